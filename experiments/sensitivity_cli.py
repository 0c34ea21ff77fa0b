"""``abm sensitivity SPEC --out DIR``: a thin wrapper over :mod:`experiments.sensitivity`.

Only typer is imported at module level (imported at every ``abm`` start). Exit status: 0 done,
1 some run failed (indices are still computed if every sample point has a value), 2 bad input
(nothing started), 130 interrupted (completed runs kept; run the same command again to resume).
``abm report DIR`` (experiments.cli) calls :func:`experiments.sensitivity.report` for this kind.
"""

from __future__ import annotations

from pathlib import Path

import typer

from abm.cli_errors import fail, interruptible


def sensitivity(
    spec: Path = typer.Argument(..., help="sensitivity spec (YAML file), or a shipped spec by name (abm specs), e.g. p2_efast"),
    out: Path = typer.Option(..., "--out", "-o", help="results directory; an interrupted run of the same spec resumes"),
    workers: int | None = typer.Option(None, min=1, help="local worker processes (default: the spec's)"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address (tcp://host:8786); overrides the spec"),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="on resume, run failed runs again"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
) -> None:
    """Run a global sensitivity analysis (SALib) and write indices, noise split, convergence and plots."""
    import signal

    from rich.console import Console

    from abm.config import ConfigError
    from experiments.executors import ExecutorError
    from experiments.results import ResultsError
    from experiments.sensitivity import load_spec, report, run
    from experiments.shipped import resolve_spec
    from experiments.spec import DaskExecutor, LocalExecutor
    from experiments.storage import StoreError

    console = Console(soft_wrap=True)
    spec = resolve_spec(spec, "sensitivity")
    try:
        s = load_spec(spec)
    except ConfigError as e:
        fail(str(e))
        return
    executor = DaskExecutor(type="dask", address=scheduler) if scheduler else (
        LocalExecutor(workers=workers) if workers else None)  # fmt: skip
    d = s.raw
    console.print(f"[bold]{d.name}[/]: {d.sampler.name} N={d.sampler.N}, {len(s.params)} parameters, "
                  f"{d.replicates} replicates, methods {', '.join(m.name for m in s.methods)} -> {out}",
                  highlight=False)  # fmt: skip
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        r = run(s, out, executor=executor, progress=progress, retry_failed=retry_failed, report_after=False)
    except (ConfigError, StoreError) as e:
        fail(str(e))
        return
    except ExecutorError as e:
        fail(f"{spec}: executor.address: {e}")
        return
    finally:
        signal.signal(signal.SIGTERM, previous)
    console.print(f"{r.completed} completed, {r.failed} failed, {r.remaining} remaining of {r.total} "
                  f"({r.skipped} already done, {r.ran} run now in {r.elapsed:.1f} s)", highlight=False)  # fmt: skip
    if r.interrupted:
        fail(f"interrupted; {r.completed} completed runs are kept in {out}: run the same command again to resume", 130)
    try:
        written = report(out)
    except (ResultsError, ValueError) as e:
        fail(f"{out}: analysis: {e}", 1)
        return
    console.print(f"wrote {len(written)} files to {out}/analysis (sensitivity_report.md, tables, PNGs)", highlight=False)
    if r.failed:
        fail(f"{r.failed} run(s) failed; see {out}/failures and {out}/analysis/sensitivity_report.md", 1)


def register(app: typer.Typer) -> None:
    """Add the ``sensitivity`` command to the ``abm`` app."""
    app.command("sensitivity")(interruptible("completed runs are kept, run the same command again to resume")(sensitivity))
