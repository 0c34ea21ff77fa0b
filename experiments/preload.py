"""Imported once by the forkserver that starts local workers (:mod:`experiments.executors`): loads the model's
compiled code there, so that every worker forked from the server starts with it.

numba loads a kernel's machine code (from its on-disk cache) in each process at the kernel's first call:
about half a second, which every worker would otherwise pay on its first run, and again after a pool
restart. One week of a built-in program, run here once per runner process, loads the kernels of the
compiled whole-run path. A failure here is harmless: the workers then load the kernels themselves.

Then the objects of the imported modules (about 190,000) are frozen out of the garbage collector
(:func:`gc.freeze`, as Python's documentation advises before forking workers): otherwise each worker's
full collections traverse them all again, about 0.2 ms per P4 run (one 90-110 ms collection every ~500
runs), and touching them copies their pages into every worker.
"""

from __future__ import annotations

import gc


def warm() -> bool:
    """Run one week of P4 (compiled path); True if it ran."""
    try:
        from abm.run import run_once

        run_once("P4", seed=0, steps=1)
    except Exception:  # noqa: BLE001 - workers load (or report) what is missing on their own
        return False
    return True


WARMED = warm()
gc.freeze()
