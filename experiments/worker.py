"""What runs inside a worker process: a batch of runs through the pluggable one-run function.

Every run is isolated: an exception becomes a failure record (type, message, traceback) and the
batch goes on. Only plain data crosses the process boundary: a run's summary as a dict and its tables
as :class:`experiments.records.Columns` (arrays), taken from ``RunResult.step_columns`` and
``.milestone_columns`` when the model gives them, so no DataFrame is built or pickled per run.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from abm.config import Scenario
from abm.interrupts import ignore_sigint
from experiments.plan import RunTask, load_model
from experiments.records import Columns, Table, select


@dataclass
class Outcome:
    """The result of one run: either a summary (and tables: :class:`Columns`, or a DataFrame that arrays
    cannot hold unchanged) or an error."""

    task: RunTask
    summary: dict[str, Any] | None = None
    steps: Table | None = None
    milestones: Table | None = None
    error_type: str | None = None
    error: str | None = None
    traceback: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error_type is None


@dataclass(frozen=True)
class BatchJob:
    """A batch of runs with what they need: the model, seed, horizon, scenarios and outputs."""

    model: str
    master_seed: int
    steps: int | None
    scenarios: dict[str, Scenario]
    tasks: tuple[RunTask, ...]
    keep_steps: bool = True
    keep_milestones: bool = True
    step_metrics: tuple[str, ...] | None = None


PR_SET_PDEATHSIG = 1


def _die_with_parent_process() -> None:
    """Linux: SIGKILL this process when its parent (the forkserver) dies."""
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no prctl
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _watch_runner() -> None:
    """Exit as soon as the runner that started this worker is gone (killed, OOM: no clean shutdown).

    A forkserver worker is the forkserver's child, not the runner's, so PR_SET_PDEATHSIG alone cannot
    see the runner die; multiprocessing's parent sentinel (a pipe the runner holds open) can.
    """
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is None:  # pragma: no cover - not started by multiprocessing
        return

    def watch() -> None:
        try:
            multiprocessing.connection.wait([sentinel])
        except OSError:  # pragma: no cover
            pass
        os._exit(1)

    threading.Thread(target=watch, name="runner-watchdog", daemon=True).start()


def worker_init() -> None:
    """Initializer of local worker processes: no Ctrl-C (the runner handles it); die with the runner."""
    ignore_sigint()
    _die_with_parent_process()
    _watch_runner()


def ping() -> int:
    """An empty task: proves a worker process can start and run something."""
    return os.getpid()


def preflight(job: BatchJob) -> str | None:
    """Import the model and run one step of the job's first run; None, or one line on what is missing.

    Only a missing module is reported (it would fail every run alike); any other error of the model is
    left to the sweep, which records it run by run.
    """
    try:
        fn = load_model(job.model)
    except (ImportError, AttributeError) as e:
        return f"cannot import the model {job.model!r} ({type(e).__name__}: {e})"
    task = job.tasks[0]
    seed = np.random.SeedSequence(job.master_seed, spawn_key=task.spawn_key)
    try:
        fn(job.scenarios[task.scenario], seed=seed, steps=1, overrides=task.overrides or None)
    except ImportError as e:
        return f"the model {job.model!r} imports a module that is missing ({type(e).__name__}: {e})"
    except Exception:  # noqa: BLE001 - the sweep records run errors with their traceback
        pass
    return None


def _table(result: Any, name: str, columns: str, keep: tuple[str, ...] | None = None) -> Table | None:
    """A result's table ``name`` as :class:`Columns`: from its arrays (attribute ``columns``, e.g.
    ``RunResult.step_columns``) if it has them, else from its DataFrame; None if it has neither.
    ``keep``: only these columns, in this order (a KeyError names the missing ones)."""
    cols = getattr(result, columns, None)
    if not isinstance(cols, Mapping):
        cols = getattr(result, name, None)
        if not isinstance(cols, pd.DataFrame):
            return None
    if keep is not None:
        cols = select(cols, keep)
    return Columns.from_frame(cols) if isinstance(cols, pd.DataFrame) else Columns.from_arrays(cols)


def run_task(job: BatchJob, task: RunTask) -> Outcome:
    """One run; never raises (errors are returned)."""
    try:
        fn = load_model(job.model)
        seed = np.random.SeedSequence(job.master_seed, spawn_key=task.spawn_key)
        result = fn(job.scenarios[task.scenario], seed=seed, steps=job.steps, overrides=task.overrides or None)
        summary = {str(k): _scalar(v) for k, v in dict(result.summary).items()}
        metrics = None if job.step_metrics is None else ("step", *[m for m in job.step_metrics if m != "step"])
        steps = _table(result, "steps", "step_columns", metrics) if job.keep_steps else None
        ms = _table(result, "milestones", "milestone_columns") if job.keep_milestones else None
        return Outcome(task, summary, steps, ms)
    except Exception as e:  # noqa: BLE001 - fault isolation: any error of a run is data
        return Outcome(task, error_type=type(e).__name__, error=str(e)[:2000], traceback=traceback.format_exc()[-20000:])


def _scalar(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def run_batch(job: BatchJob) -> list[Outcome]:
    """Every run of a batch, in order."""
    return [run_task(job, t) for t in job.tasks]
