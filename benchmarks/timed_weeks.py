"""The compiled weeks with a clock: :func:`abm.engine.run_weeks` rebuilt with a cycle-counter read at each process.

Batch runs, sensitivity analysis and calibration run their weeks in one compiled loop, where no Python
timer can reach. :func:`timed_run_weeks` takes that loop's source, reads the CPU's cycle counter (LLVM's
``readcyclecounter``: the time-stamp counter on x86-64) where each process of the loop starts (its
``# N.`` comments, the ODD process overview) and where the week ends, and compiles the result. The
mechanisms it calls are the same compiled functions, so the numbers it computes are the model's, bit for
bit (``tests/abm/test_profile_processes.py``); reading the counter costs a few nanoseconds.

Time is counted from one process comment to the next: process 1 includes what the loop prepares for the
week (participation weights, the contact lists). A week the loop leaves early (configured events due,
partners leaving: Python applies them) loses the part of the section it was in; the section is counted
again when the week resumes. Used by ``benchmarks/profile_processes.py --compiled``; nothing in ``abm``
imports it.
"""

from __future__ import annotations

import functools
import inspect
import platform
import re
import statistics
import time
from collections.abc import Callable

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from abm import engine

PROCESS_COMMENT = re.compile(r"^(\s+)# (\d+)\. (.*)$")


class NoCycleCounter(RuntimeError):
    """This CPU's cycle counter cannot be read from user code (the profile is x86-64 only)."""


@intrinsic
def _cycles(typingctx):
    """The CPU's cycle counter (LLVM's ``readcyclecounter``)."""
    from llvmlite import ir
    from numba.core import cgutils

    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(64), []), "llvm.readcyclecounter")
        return builder.call(fn, [])

    return types.uint64(), codegen


@njit
def _read_counter():
    return _cycles()


def cycles_per_second(samples: int = 3, interval: float = 0.05) -> float:
    """The cycle counter's rate, against ``time.perf_counter`` (median of ``samples`` intervals)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        raise NoCycleCounter(f"the compiled-weeks profile reads the x86-64 time-stamp counter; this machine is {platform.machine()}")
    _read_counter()
    rates = []
    for _ in range(samples):
        c0, t0 = _read_counter(), time.perf_counter()
        time.sleep(interval)
        c1, t1 = _read_counter(), time.perf_counter()
        rates.append((c1 - c0) / (t1 - t0))
    return statistics.median(rates)


@functools.cache  # compiled once per process (about 15 s)
def timed_run_weeks() -> tuple[Callable[..., tuple], tuple[str, ...]]:
    """:func:`abm.engine.run_weeks` with a clock: (function, process names).

    The function takes the arguments of ``run_weeks`` and then ``counts``, a uint64 array of at least
    ``len(names) + 1`` elements; ``counts[k]`` accumulates the cycles of process k (1-based, as the ODD
    numbers them). Names are the text of the process comments, without their parenthesis.
    """
    src = inspect.getsource(engine.run_weeks)
    lines = src.splitlines()
    if not lines[0].startswith("@jit") or not lines[1].startswith("def run_weeks("):
        raise RuntimeError("abm.engine.run_weeks no longer starts with '@jit' and its def: update benchmarks/timed_weeks.py")
    header = lines[1]
    if not header.endswith("):"):
        raise RuntimeError("abm.engine.run_weeks's signature spans several lines: update benchmarks/timed_weeks.py")
    out = ["@_njit", header[:-2] + ", _counts):"]
    names: dict[int, str] = {}
    loop = end = False
    for line in lines[2:]:
        m = PROCESS_COMMENT.match(line)
        if m and loop:
            k = int(m.group(2))
            names[k] = m.group(3).split(" (")[0]
            if k > 1:
                out.append(f"{m.group(1)}_t1 = _cycles(); _counts[{k - 1}] += _t1 - _t0; _t0 = _t1")
        if line.strip() == "phase = MILESTONES" and loop:  # the week's last line: the last process ends
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}_t1 = _cycles(); _counts[{max(names)}] += _t1 - _t0; _t0 = _t1")
            end = True
        out.append(line)
        if line.strip() == "for step in range(first, last + 1):":
            out.append(line[: len(line) - len(line.lstrip())] + "    _t0 = _cycles()")
            loop = True
    if not (loop and end) or sorted(names) != list(range(1, len(names) + 1)) or len(names) < 2:
        raise RuntimeError("abm.engine.run_weeks no longer has its week loop with '# N.' process comments: "
                           "update benchmarks/timed_weeks.py")  # fmt: skip
    namespace = dict(vars(engine), _njit=njit(nogil=True), _cycles=_cycles)
    exec(compile("\n".join(out), f"{engine.__file__} (timed)", "exec"), namespace)  # our own source, rewritten
    return namespace["run_weeks"], tuple(names[k] for k in sorted(names))


class Clocked:
    """While in a ``with`` block, :meth:`abm.model.IntegrationModel.run_weeks` calls the timed weeks; ``counts``
    holds the cycles per process (index k: process k), ``calls`` the number of compiled calls."""

    def __init__(self) -> None:
        self.function, self.names = timed_run_weeks()
        self.counts = np.zeros(len(self.names) + 1, np.uint64)
        self.calls = 0

    def __enter__(self) -> Clocked:
        self._plain = engine.run_weeks

        def run_weeks(*args):
            self.calls += 1
            return self.function(*args, self.counts)

        engine.run_weeks = run_weeks
        return self

    def __exit__(self, *exc: object) -> None:
        engine.run_weeks = self._plain
