"""What runs inside a worker process: a batch of runs through the pluggable one-run function.

Every run is isolated: an exception becomes a failure record (type, message, traceback) and the
batch goes on. Only plain data crosses the process boundary.
"""

from __future__ import annotations

import signal
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from abm.config import Scenario
from experiments.plan import RunTask, load_model


@dataclass
class Outcome:
    """The result of one run: either a summary (and tables) or an error."""

    task: RunTask
    summary: dict[str, Any] | None = None
    steps: pd.DataFrame | None = None
    milestones: pd.DataFrame | None = None
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


def ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is handled by the parent, which stops the pool cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _table(result: Any, name: str) -> pd.DataFrame | None:
    t = getattr(result, name, None)
    return t if isinstance(t, pd.DataFrame) else None


def run_task(job: BatchJob, task: RunTask) -> Outcome:
    """One run; never raises (errors are returned)."""
    try:
        fn = load_model(job.model)
        seed = np.random.SeedSequence(job.master_seed, spawn_key=task.spawn_key)
        result = fn(job.scenarios[task.scenario], seed=seed, steps=job.steps, overrides=task.overrides or None)
        summary = {str(k): _scalar(v) for k, v in dict(result.summary).items()}
        steps = _table(result, "steps") if job.keep_steps else None
        if steps is not None and job.step_metrics is not None:
            steps = steps[["step", *[m for m in job.step_metrics if m != "step"]]]
        ms = _table(result, "milestones") if job.keep_milestones else None
        return Outcome(task, summary, steps, ms)
    except Exception as e:  # noqa: BLE001 - fault isolation: any error of a run is data
        return Outcome(task, error_type=type(e).__name__, error=str(e)[:2000], traceback=traceback.format_exc()[-20000:])


def _scalar(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def run_batch(job: BatchJob) -> list[Outcome]:
    """Every run of a batch, in order."""
    return [run_task(job, t) for t in job.tasks]
