"""Compile (or load from numba's on-disk cache) every mechanism by running each built-in program briefly.

``make install`` runs ``python -m abm.warmup`` so the first experiment, test or dashboard does not pay
the one-off compilation (about a minute on a 2-core machine); later processes load the cached machine
code. Both paths of a week are compiled: the whole-run loop (:mod:`abm.engine`, batch runs) and each
mechanism called on its own (``IntegrationModel.step``, interactive viewers).
"""

from __future__ import annotations

from abm.run import run_once


def warm() -> None:
    """Run every built-in program for a few steps, compiled and stepped, and the reductions' code paths."""
    for program in ("P1", "P2", "P3", "P4", "P5", "P6"):
        run_once(program, seed=0, steps=8)
        run_once(program, seed=0, steps=8, probe=_nothing)  # a probe: step() each week
    run_once("P1", seed=0, steps=2, overrides={"params.mechanisms.mixing": "random"})
    run_once("P1", seed=0, steps=2, overrides={"params.mechanisms.link_formation": "fixed"})


def _nothing(model) -> None:
    """A probe that reads nothing."""


if __name__ == "__main__":
    warm()
