"""``abm experiment``, ``abm report``, ``abm specs`` and ``abm discover``: thin wrappers over :mod:`experiments.api`
and :mod:`experiments.discovery`.

Only typer is imported at module level (this module is imported at every ``abm`` start); the heavy
modules are imported inside the commands. Exit status: 0 all runs completed, 1 some run failed,
2 bad input (nothing started), 130 interrupted (completed runs kept; run again to resume).
"""

from __future__ import annotations

from pathlib import Path

import typer

from abm.cli_errors import fail, interruptible


def experiment(
    spec: Path = typer.Argument(..., help="experiment spec (YAML file), or a shipped spec by name (abm specs), e.g. ontario"),
    out: Path = typer.Option(..., "--out", "-o", help="results directory; an interrupted run of the same spec resumes"),
    workers: int | None = typer.Option(None, min=1, help="local worker processes (default: the spec's, else all cores)"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address (tcp://host:8786); overrides the spec"),
    replicates: int | None = typer.Option(None, min=1, help="override the spec's replicates (a different spec: new --out)"),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="on resume, run failed runs again"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
) -> None:
    """Run a batch experiment from a YAML spec into a crash-safe, resumable results directory."""
    import signal

    from rich.console import Console

    from experiments import api
    from experiments.shipped import resolve_spec
    from experiments.spec import DaskExecutor, LocalExecutor

    console = Console(soft_wrap=True)
    spec = resolve_spec(spec, "experiment")
    try:
        s = api.load_spec(spec)
        if replicates is not None:
            s = api.build_spec(s.base_dir, s.source, **(s.model_dump(mode="json") | {"replicates": replicates}))
        cfg = DaskExecutor(type="dask", address=scheduler) if scheduler else (
            LocalExecutor(workers=workers) if workers else s.executor)
        p = api.plan(s)
        api.ResultsStore(out, p).check("experiment")  # creates nothing
        handle = api.make_executor(cfg)
    except (api.SpecError, api.StoreError, api.ExecutorError) as e:
        where = "--scheduler" if scheduler else f"{spec}: executor.address"
        fail(f"{where}: {e}" if isinstance(e, api.ExecutorError) else str(e))
        return
    # SIGTERM (a batch system's time limit) stops as cleanly as Ctrl-C
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        try:  # one worker imports the model and runs a step: a missing module fails here, not in every run
            api.check_workers(handle, p)
        except api.ExecutorError as e:
            fail(f"{spec}: model: {e}")
            return
        console.print(f"[bold]{s.name}[/]: {p.n_runs} runs ({len(p.scenarios)} scenarios x {len(p.interventions)} "
                      f"interventions x {p.n_points} design points x {s.replicates} replicates) on "
                      f"{handle.kind} ({handle.workers} workers) -> {out}", highlight=False)  # fmt: skip
        r = api.run_experiment(s, out, executor=handle, progress=progress, retry_failed=retry_failed)
    except (api.StoreError, api.ExecutorError) as e:  # another runner took the directory; workers that cannot start
        fail(str(e))
        return
    finally:  # Ctrl-C (while the workers start, or between runs and storage): see register
        signal.signal(signal.SIGTERM, previous)
        handle.close(cancel=True)
    console.print(f"{r.completed} completed, {r.failed} failed, {r.remaining} remaining of {r.total} "
                  f"({r.skipped} already done, {r.ran} run now in {r.elapsed:.1f} s); status: {r.status}",
                  highlight=False)  # fmt: skip
    if r.interrupted:
        fail(f"interrupted; {r.completed} completed runs are kept in {out}: run the same command again to resume", 130)
    if r.failed:
        fail(f"{r.failed} run(s) failed (status: {r.status}); see {out}/failures (error, traceback, parameters and "
             "seed of each); --retry-failed runs them again", 1)  # fmt: skip
    console.print(f"results in {out} (manifest.json, summary/, steps/, milestones/, analysis/)", highlight=False)


def report(out: Path = typer.Argument(..., help="a results directory")) -> None:
    """Regenerate tables and plots (analysis/) of a results directory from stored results alone."""
    import importlib
    import importlib.util
    import json

    from experiments.storage import settle_stale

    manifest = out / "manifest.json"
    try:
        json.loads(manifest.read_text())
        m = settle_stale(out) or {}  # a runner killed while "running": now "interrupted"
    except (OSError, ValueError) as e:
        fail(f"{manifest}: not a results directory ({getattr(e, 'strerror', None) or e})")
        return
    kind = m.get("kind", "experiment")
    from abm.config import ConfigError
    from experiments.results import ResultsError

    try:  # a stored spec whose model cannot be imported, or unreadable results: one line, exit 2
        if kind == "experiment":
            from experiments import api

            written = api.report(out)
        elif kind in ("sensitivity", "validation"):
            name = f"experiments.{kind}"
            if importlib.util.find_spec(name) is None or not hasattr(importlib.import_module(name), "report"):
                fail(f"{manifest}: kind: a {kind!r} results directory, but {name}.report is not available in this installation")
                return
            written = importlib.import_module(name).report(out) or []
        else:
            fail(f"{manifest}: kind: unknown kind {kind!r}; expected experiment, sensitivity or validation")
            return
    except (ConfigError, ResultsError) as e:
        fail(str(e))
        return
    for w in written:
        typer.echo(str(w))
    runs = m.get("runs", {})
    typer.echo(f"status: {m.get('status')} ({runs.get('completed')} completed, {runs.get('failed')} failed, "
               f"{runs.get('remaining')} remaining of {runs.get('total')})")  # fmt: skip


def specs(name: str | None = typer.Argument(None, help="a shipped spec to print (redirect it to a file to edit a copy)")) -> None:
    """List the specs shipped with the package, or print one: abm specs ontario > my_spec.yaml."""
    from abm.config import read_yaml
    from experiments.shipped import shipped_specs, spec_kind

    found = shipped_specs()
    if name is None:
        for n, path in found.items():
            description = read_yaml(path).get("description", "")
            command = {"calibration": "calibrate"}.get(spec_kind(path), spec_kind(path))
            typer.echo(f"{n:<12} abm {command} {n} --out DIR   {description}")
        return
    path = found.get(name.removesuffix(".yaml"))
    if path is None:
        fail(f"{name}: no shipped spec of that name; expected one of {', '.join(found)}")
        return
    typer.echo(path.read_text(), nl=False)


def replay(
    results: Path = typer.Argument(..., help="results directory written by abm experiment or abm sensitivity"),
    run_id: int = typer.Argument(..., help="the run's run_id (column run_id of summary/)"),
    out: Path = typer.Option(..., "--out", "-o", help="directory for the replayed run's tables (as abm run --out writes them)"),
) -> None:
    """Re-run one stored run bit for bit and say whether its summary matches the stored one.

    Exit status: 0 it matches, 1 it differs (the tables are written either way), 2 bad input.
    """
    from abm.io import write_run
    from experiments.replay import ReplayError, replay_run

    try:
        r = replay_run(results, run_id)
    except ReplayError as e:
        fail(str(e))
        return
    inp = r.inputs
    typer.echo(f"run {inp.run_id}: scenario {inp.scenario_label}, intervention {inp.intervention}, point {inp.point}, "
               f"replicate {inp.replicate}, seed SeedSequence({inp.seed.entropy}, spawn_key={inp.seed.spawn_key}), {inp.steps} steps")  # fmt: skip
    try:
        write_run(r.result, out, {"command": "abm replay", "results": str(results), "run_id": inp.run_id,
                                  "overrides": inp.overrides, "matches_stored_summary": r.matches})  # fmt: skip
    except OSError as e:
        fail(f"{out}: cannot write results ({e.strerror})")
        return
    typer.echo(f"wrote {out}/steps.parquet, steps.csv, milestones.csv, outcomes.png, run.json")
    if r.matches:
        typer.echo(f"summary matches the stored one ({len(r.result.summary)} values, bit for bit)")
        return
    for key, (stored, now) in r.differences.items():
        typer.echo(f"  {key}: stored {stored!r}, replayed {now!r}")
    fail(f"the replayed summary differs from the stored one in {len(r.differences)} value(s)", 1)


def discover(
    out: Path = typer.Argument(..., help="a results directory (abm experiment, sensitivity or validation)"),
    outcome: str = typer.Option(..., "--outcome", help="a summary outcome column, e.g. final_integration"),
    threshold: float = typer.Option(..., "--threshold", help="runs of interest: outcome above this (or below, --below)"),
    below: bool = typer.Option(False, "--below", help="runs of interest have the outcome below the threshold"),
    min_coverage: float = typer.Option(0.5, "--min-coverage", help="select among boxes covering at least this share of the runs of interest"),
    peel_alpha: float = typer.Option(0.05, "--peel-alpha", help="share of a box's runs removed per peel"),
    mass_min: float = typer.Option(0.05, "--mass-min", help="smallest box, as a share of all runs"),
    method: str = typer.Option("auto", "--method", help="auto (EMA Workbench's PRIM if installed, else ours), ema or own"),
) -> None:
    """Scenario discovery (PRIM): which inputs make an outcome cross a threshold? Writes DIR/analysis/discovery/."""
    from experiments.discovery import DiscoveryError
    from experiments.discovery import discover as run
    from experiments.discovery.writer import write_discovery

    if method not in ("auto", "ema", "own"):
        fail(f"--method: expected auto, ema or own, got {method!r}")
        return
    try:
        d = run(out, outcome, threshold, below, min_coverage=min_coverage, peel_alpha=peel_alpha, mass_min=mass_min,
                method=method)  # type: ignore[arg-type]  # fmt: skip
    except DiscoveryError as e:
        fail(str(e))
        return
    folder = write_discovery(d, peel_alpha=peel_alpha, mass_min=mass_min)
    s = d.result.trajectory.iloc[d.selected]
    typer.echo(f"{d.result.method}: box {d.selected} of {len(d.result.trajectory)} restricts {int(s['res_dim'])} of "
               f"{len(d.inputs)} inputs; coverage {s['coverage']:.2f}, density {s['density']:.2f} "
               f"({d.n_interest} of {d.n_runs} runs of interest)")  # fmt: skip
    typer.echo(f"written: {folder} (summary.md, trajectory.csv, boxes.csv, tradeoff.png, box.png)")


RESUME = "completed runs are kept, run the same command again to resume"


def register(app: typer.Typer) -> None:
    """Add the experiment, report, specs, discover, replay and calibrate commands to the ``abm`` app."""
    app.command("experiment")(interruptible(RESUME)(experiment))
    app.command("report")(interruptible("analysis/ may be incomplete: run the same command again")(report))
    app.command("specs")(specs)
    app.command("discover")(interruptible("nothing was written")(discover))
    app.command("replay")(interruptible("nothing was written")(replay))
    from experiments.calibration.cli import register as register_calibration

    register_calibration(app)  # abm calibrate
