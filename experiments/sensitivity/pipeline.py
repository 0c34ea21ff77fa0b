"""Running a sensitivity spec through the experiment machinery, and reading it back for analysis.

The SALib sample becomes explicit design rows of an experiment (``experiments.api``): same
executors, seeds (``SeedSequence(master, spawn_key=(point * replicates + replicate,))``), crash-safe
storage, resume and failures table; the manifest has ``"kind": "sensitivity"`` and stores the
sensitivity spec under ``extra``. :func:`report` rebuilds every table and plot from the stored
results alone, re-ordered to the sample order (stored row order never matters).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.sensitivity.analysis import Analysis, analyse
from experiments.sensitivity.design import Design, make_design, sampler_seed
from experiments.sensitivity.preflight import inert_parameters, inert_warning
from experiments.sensitivity.spec import (
    DEFAULT_MODEL,
    SensitivitySpec,
    load_spec,
    scenario_ref,
    spec_from_dict,
)  # fmt: skip

KIND = "sensitivity"
INTERVENTION = "sensitivity"  # the one intervention (no overrides; fixed values are design columns)


def experiment_spec(spec: SensitivitySpec, design: Design):
    """The experiment spec that runs the design's points (``replicates`` each), summaries only."""
    from experiments.api import build_spec

    src = Path(spec.source)
    base = src.parent if src.exists() else Path(".")
    rows = point_table(spec, design)
    exp = build_spec(
        base_dir=base, source=spec.source, name=spec.name, description=spec.raw.description, model=spec.raw.model,
        scenarios=[scenario_ref(spec) or "P1"],  # a custom model ignores the scenario it is handed
        interventions={INTERVENTION: {}}, replicates=spec.raw.replicates, seed=spec.raw.seed,
        steps=spec.raw.steps, outputs={"steps": False, "milestones": False},
        executor=spec.raw.executor.model_dump(mode="json"),
    )  # fmt: skip
    from experiments.api import with_design

    return with_design(exp, rows)


def point_table(spec: SensitivitySpec, design: Design) -> pd.DataFrame:
    """One row per sample point: a column per varied parameter (integers as int64), then the spec's
    fixed overrides as constant columns (a custom model's keys are not the ABM's, so they travel with
    the design rather than as an intervention, which the runner checks against the ABM's schema)."""
    cols: dict[str, object] = {}
    for j, p in enumerate(spec.params):
        cols[p.name] = design.X[:, j].astype("int64") if p.integer else design.X[:, j]
    df = pd.DataFrame(cols)
    for key, value in spec.raw.fixed.items():
        df[key] = [value] * len(df)
    return df


def _custom_plan(exp):
    """Thin adapter: ``experiments.plan.resolve`` checks design overrides against the ABM's Scenario
    schema, which a custom model function (e.g. Ishigami's ``params.x1``) does not share. Resolve the
    spec without its design (model, scenarios, interventions checked), then attach the design rows
    and hash the whole spec exactly as ``resolve`` does."""
    from experiments.design import build_design, point_overrides
    from experiments.plan import Plan, _sha, resolve
    from experiments.spec import NoDesign, RowsDesign

    bare = resolve(exp.model_copy(update={"design": NoDesign()}))
    design = build_design(exp.design, exp.seed, Path(exp.base_dir), exp.source)
    body = exp.model_dump(mode="json", exclude={"executor", "description"})
    if isinstance(exp.design, RowsDesign):
        body["design"] = {"type": "rows", "rows_sha256": _sha(exp.design.rows)}
    body["scenario_digests"] = {k: v.digest() for k, v in bare.scenarios.items()}
    body["design_sha256"] = _sha(design.to_dict("list"))
    plan = Plan(exp, bare.scenarios, bare.interventions, design, _sha(body)[:20], exp.source)
    plan._points = [point_overrides(row) for row in design.to_dict("records")]
    return plan


def _extra(spec: SensitivitySpec, design: Design, inert: list[str]) -> dict[str, Any]:
    return {"sensitivity": spec.to_dict(), "source": spec.source, "problem": design.problem,
            "sampler_seed": sampler_seed(spec), "sample_points": design.n_points, "inert_parameters": inert}  # fmt: skip


def run(spec: SensitivitySpec | str | Path, out: str | Path, executor: Any = None, progress: bool = True,
        retry_failed: bool = False, report_after: bool = True, batch_size: int | None = None):  # fmt: skip
    """Run (or resume) a sensitivity spec into ``out``; then write the report unless interrupted.

    ``executor``: None (the spec's), a worker count, a Dask scheduler address, an executor config or
    a started ``ExecutorHandle`` (as :func:`experiments.api.run_experiment`). Returns the run counts. A local
    pool is started first: its server loads the model while the design is drawn and the parameters checked.
    """
    from experiments.api import executor_config, run_experiment
    from experiments.executors import ExecutorHandle, make_executor
    from experiments.runner import run_plan
    from experiments.spec import LocalExecutor
    from experiments.storage import ResultsStore

    if not isinstance(spec, SensitivitySpec):
        spec = load_spec(spec)
    handle = executor if isinstance(executor, ExecutorHandle) else None
    config = None if handle is not None else executor_config(executor, spec.raw)
    if isinstance(config, LocalExecutor):
        handle = make_executor(config)  # its server loads the model meanwhile
    try:
        design = make_design(spec)
        exp = experiment_spec(spec, design)
        inert = inert_parameters(spec)
        for line in inert_warning(inert, spec.raw.scenario):
            print(f"warning: {line}", file=sys.stderr)
        extra = _extra(spec, design, inert)
        if spec.raw.model == DEFAULT_MODEL:
            summary = run_experiment(exp, out, executor=handle or executor, progress=progress, kind=KIND, extra=extra,
                                     retry_failed=retry_failed, analyze=False, batch_size=batch_size)  # fmt: skip
        else:
            plan = _custom_plan(exp)
            ResultsStore(out, plan).check(KIND)
            handle = handle or make_executor(config)
            summary = run_plan(plan, out, handle, progress=progress, kind=KIND, extra=extra,
                               retry_failed=retry_failed, batch_size=batch_size)  # fmt: skip
    finally:
        if handle is not None and handle is not executor:
            handle.close(cancel=True)
    _store_spec(out, extra)
    if report_after and not summary.interrupted and summary.completed:
        report(out)
    return summary


def _store_spec(out: str | Path, extra: dict[str, Any]) -> None:
    """Keep the manifest's sensitivity spec current: a resumed directory keeps its first manifest, but
    analysis options (outcomes, statistics, bootstrap) may have changed without changing any run."""
    from experiments.storage import read_manifest, write_json

    m = read_manifest(out)
    if m is not None and m.get("extra") != extra:
        m["extra"] = extra
        write_json(Path(out) / "manifest.json", m)


@dataclass
class Stored:
    """A sensitivity results directory read back: spec, design, one row per completed run, failures."""

    spec: SensitivitySpec
    design: Design
    results: pd.DataFrame
    failures: pd.DataFrame
    manifest: dict[str, Any]


def load(out: str | Path) -> Stored:
    """Read a sensitivity results directory; the design is re-drawn from the stored spec and checked
    against the stored parameter values (a different SALib version would be caught here)."""
    from experiments.results import ResultsError, load_results

    res = load_results(out)
    m = res.manifest
    if m.get("kind") != KIND:
        raise ResultsError(f"{out}: manifest kind is {m.get('kind')!r}, expected {KIND!r}")
    extra = m.get("extra") or {}
    _check_model(out, (extra.get("sensitivity") or {}).get("model", DEFAULT_MODEL))
    spec = spec_from_dict(extra["sensitivity"], extra.get("source", str(out)), check_files=False)
    design = make_design(spec)
    summary = res.summary
    if len(summary):
        want = design.X[summary["point"].to_numpy()]
        got = summary[[f"param.{p.name}" for p in spec.params]].to_numpy(dtype=float)
        if not np.allclose(want, got, rtol=1e-12, atol=0):
            raise ResultsError(f"{out}: stored parameter values differ from the spec's SALib design "
                               "(different SALib version?); re-run into a new directory")  # fmt: skip
    fails = res.failures if res.failures is not None else pd.DataFrame()
    return Stored(spec, design, summary, fails, m)


def _check_model(out: str | Path, model: str) -> None:
    """The stored spec is re-validated against its model's schema: say in one line if it cannot be imported."""
    from experiments.results import ResultsError
    from experiments.sensitivity.spec import SpecError, resolve_model

    try:
        resolve_model(model, f"{out}/manifest.json")
    except SpecError as e:
        module = model.partition(":")[0]
        raise ResultsError(f"{e}; the report re-reads the spec with its model: make module {module!r} importable "
                           f"(run from the folder holding {module.replace('.', '/')}.py, or add that folder to "
                           "PYTHONPATH) and run the report again") from None  # fmt: skip


def failure_warnings(failures: pd.DataFrame, replicates: int) -> list[str]:
    """Failed runs per sample point, with their reasons (the first points; then how many more)."""
    from experiments.analysis import MAX_LISTED, point_label, point_parameters, reasons_text

    if failures is None or failures.empty:
        return []
    params = point_parameters(failures.iloc[:0], failures)
    groups = list(failures.groupby("point", sort=True))
    out = [f"{len(failures)} runs failed, at {len(groups)} sample points (their replicates are missing from the "
           "point statistics; details in failures/; rerun them with --retry-failed):"]  # fmt: skip
    for pt, f in groups[:MAX_LISTED]:
        out.append(f"  {point_label(params, pt)}: {len(f)} of {replicates} replicates failed: {reasons_text(f)}")
    if len(groups) > MAX_LISTED:
        out.append(f"  ... and {len(groups) - MAX_LISTED} more sample points (see failures/)")
    return out


def analyse_dir(out: str | Path) -> tuple[Stored, Analysis]:
    """Load and analyse a results directory (nothing written)."""
    st = load(out)
    a = analyse(st.spec, st.design, st.results)
    a.warnings[:0] = failure_warnings(st.failures, st.spec.raw.replicates)
    a.warnings[:0] = inert_warning((st.manifest.get("extra") or {}).get("inert_parameters") or [], st.spec.raw.scenario)
    return st, a


def report(out: str | Path) -> list[Path]:
    """Regenerate ``out/analysis``: index, noise, convergence tables (Parquet and CSV), plots, report.md."""
    from experiments.sensitivity.writer import figure_helper, write_report

    with figure_helper() as helper:  # (it starts while the results are read and analysed)
        st, a = analyse_dir(out)
        return write_report(Path(out), st, a, helper)
