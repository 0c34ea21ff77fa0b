"""The Python API of batch experiments; the ``abm experiment`` and ``abm report`` commands wrap it.

>>> from experiments.api import load_spec, run_experiment, load_results   # doctest: +SKIP
>>> spec = load_spec("experiments/specs/experiment/ontario.yaml")                  # doctest: +SKIP
>>> counts = run_experiment(spec, "results/ontario", executor=2)          # doctest: +SKIP
>>> load_results("results/ontario").summary                               # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from experiments.analysis import write_analysis
from experiments.executors import ExecutorError, ExecutorHandle, make_executor
from experiments.plan import Plan, resolve
from experiments.results import Results, ResultsError, load_results
from experiments.runner import RunSummary, check_workers, run_plan
from experiments.spec import (
    DaskExecutor,
    ExperimentSpec,
    LocalExecutor,
    SpecError,
    load_spec,
    spec_from_dict,
)
from experiments.storage import ResultsStore, StoreError, settle_stale

__all__ = [
    "ExecutorError", "ExecutorHandle", "ExperimentSpec", "Plan", "Results", "ResultsError", "RunSummary",
    "SpecError", "StoreError", "build_spec", "check_workers", "executor_config", "load_results", "load_spec", "make_executor",
    "plan", "report", "run_experiment", "with_design",
]  # fmt: skip


def build_spec(base_dir: str | Path = ".", source: str = "<spec>", **fields: Any) -> ExperimentSpec:
    """A spec from keyword fields (``build_spec(name="x", scenarios=["P3"], replicates=5, seed=1)``)."""
    return spec_from_dict(fields, source, base_dir)


def with_design(spec: ExperimentSpec, rows: pd.DataFrame) -> ExperimentSpec:
    """The spec with explicit design rows (columns: parameter names such as ``mu`` or ``params.mu``).

    This is how SALib (or any) samples are run through the experiment machinery.
    """
    records = [{str(k): (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows.to_dict("records")]
    data = spec.model_dump(mode="json") | {"design": {"type": "rows", "rows": records}}
    return spec_from_dict(data, spec.source, spec.base_dir)


def plan(spec: ExperimentSpec) -> Plan:
    """Resolve a spec: load scenarios, check interventions and design, enumerate runs (no run starts)."""
    return resolve(spec)


def executor_config(executor: Any, spec: ExperimentSpec) -> LocalExecutor | DaskExecutor:
    """None (the spec's), a worker count, a scheduler address ('tcp://...'), or a config object."""
    if executor is None:
        return spec.executor
    if isinstance(executor, LocalExecutor | DaskExecutor):
        return executor
    if isinstance(executor, int):
        return LocalExecutor(workers=executor)
    if isinstance(executor, str):
        return LocalExecutor() if executor == "local" else DaskExecutor(type="dask", address=executor)
    raise TypeError(f"executor: expected None, an int, an address or an executor config, got {executor!r}")


def run_experiment(
    spec: ExperimentSpec | str | Path,
    out: str | Path,
    executor: ExecutorHandle | LocalExecutor | DaskExecutor | int | str | None = None,
    progress: bool = True,
    design: pd.DataFrame | None = None,
    kind: str = "experiment",
    extra: dict[str, Any] | None = None,
    retry_failed: bool = False,
    analyze: bool = True,
    batch_size: int | None = None,
) -> RunSummary:
    """Run (or resume) an experiment into ``out`` and return the counts.

    Everything that can be wrong with the input is checked before any run starts: the spec
    (:class:`SpecError`), the directory (:class:`StoreError`: not writable, another spec's results, or
    another runner writing there) and the executor (:class:`ExecutorError`: unreachable, or its
    workers cannot import the model, see :func:`check_workers`); ``out`` is created only once these
    passed. An ``ExecutorHandle`` passed in is left open.

    Args:
        spec: a spec, or a path to a spec file.
        out: the results directory (docs/RESULTS-FORMAT.md); an interrupted run of the same spec resumes.
        executor: see :func:`executor_config`; or an already started :class:`ExecutorHandle`.
        progress: show a progress bar on stderr.
        design: explicit design rows replacing the spec's design (e.g. SALib samples).
        kind: the manifest kind ("experiment"; "sensitivity" for sensitivity analyses).
        extra: free-form data stored in the manifest under "extra".
        retry_failed: on resume, run again the runs recorded as failed.
        analyze: write the analysis/ folder afterwards (kind "experiment" only).
        batch_size: runs per task sent to a worker (default: automatic).
    """
    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    if design is not None:
        spec = with_design(spec, design)
    p = resolve(spec)
    ResultsStore(out, p).check(kind)  # not writable, or another spec's results: refuse before starting
    handle = executor if isinstance(executor, ExecutorHandle) else make_executor(executor_config(executor, spec))
    own = not isinstance(executor, ExecutorHandle)
    try:
        summary = run_plan(p, out, handle, progress=progress, kind=kind, extra=extra,
                           retry_failed=retry_failed, batch_size=batch_size)  # fmt: skip
    finally:
        if own:
            handle.close(cancel=True)
    if analyze and kind == "experiment" and not summary.interrupted and summary.completed:
        write_analysis(out)
    return summary


def report(out: str | Path) -> list[Path]:
    """Regenerate the analysis/ folder of an experiment results directory from stored results alone.

    A manifest left "running" by a runner that is gone (killed) is first marked "interrupted".
    """
    m = settle_stale(out)
    if m is None:
        raise ResultsError(f"{out}: not a results directory (no manifest.json)")
    return write_analysis(out)
