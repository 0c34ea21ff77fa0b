"""``abm calibrate SPEC --out DIR`` and ``abm calibrate-lopo DIR... [--full DIR] [--docs FILE]``: registered on the ``abm`` app by :func:`experiments.cli.register`.

Exit status: 0 done, 1 the fit stopped on a model or executor error (recorded in the manifest),
2 bad input (nothing written), 130 interrupted (stored generations kept; the same command resumes).
"""

from __future__ import annotations

from pathlib import Path

import typer

from abm.cli_errors import fail, interruptible


def calibrate(
    spec: Path = typer.Argument(..., help="calibration spec (YAML file), or a shipped one by name (abm specs), e.g. patterns"),
    out: Path = typer.Option(..., "--out", "-o", help="results directory; an interrupted fit of the same spec resumes"),
    workers: int | None = typer.Option(None, min=1, help="local worker processes (default: the spec's, else all cores)"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address (tcp://host:8786); overrides the spec"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
    docs: Path | None = typer.Option(None, "--docs", help="also rewrite the generated calibration block of this file (docs/VALIDATION.md)"),
    readme: Path | None = typer.Option(None, "--readme", help="also rewrite the generated calibration line of this file (README.md)"),
    holdout: list[str] | None = typer.Option(None, "--holdout", help="pattern id to hold out of the fit (repeatable; replaces the spec's holdout)"),
) -> None:
    """Pattern-oriented calibration by ABC-SMC (pyabc): posterior over parameters, report, predictive checks."""
    import importlib.util
    import signal

    from experiments.calibration.run import CalibrationError, CalibrationFailed, check_out
    from experiments.calibration.run import calibrate as run_calibration
    from experiments.calibration.spec import load_calibration, resolve, spec_from_dict
    from experiments.executors import ExecutorError, make_executor
    from experiments.shipped import resolve_spec
    from experiments.spec import DaskExecutor, LocalExecutor, SpecError

    if importlib.util.find_spec("pyabc") is None:
        fail("abm calibrate needs pyabc, which is not installed: pip install 'integration-abm[calibrate]'")
    path = resolve_spec(spec, "calibration")
    try:
        loaded = load_calibration(path)
        if holdout:  # a leave-one-pattern-out run: the same spec with another holdout (another hash, another --out)
            loaded = spec_from_dict(loaded.model_dump(mode="json") | {"holdout": holdout}, loaded.source, loaded.base_dir)
        res = resolve(loaded)
        check_out(res, out)
        cfg = DaskExecutor(type="dask", address=scheduler) if scheduler else (
            LocalExecutor(workers=workers) if workers else res.spec.executor)
        handle = make_executor(cfg)
    except (SpecError, CalibrationError) as e:
        fail(str(e))
        return
    except ExecutorError as e:
        fail(f"{'--scheduler' if scheduler else f'{path}: executor.address'}: {e}")
        return
    typer.echo(f"{res.spec.name}: {len(res.bounds)} parameters, population {res.spec.population}, up to "
               f"{res.spec.generations} generations, {res.runs_per_particle} runs per particle on {handle.kind} "
               f"({handle.workers} workers) -> {out}", err=True)  # fmt: skip
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        r = run_calibration(res, out, executor=handle, progress=progress)
    except CalibrationFailed as e:
        fail(str(e), 1)
        return
    finally:
        signal.signal(signal.SIGTERM, previous)
        handle.close(cancel=True)
    if r.status == "interrupted":
        fail(f"interrupted; {r.generations} stored generations are kept in {out}: run the same command again to resume", 130)
    if docs is not None or readme is not None:
        from experiments.calibration.docs import update

        update(res, out, docs, readme, str(spec) + "".join(f" --holdout {h}" for h in holdout or []))
    how = "new" if not r.resumed_from else ("already finished" if r.resumed_from == r.generations else f"resumed after {r.resumed_from}")
    typer.echo(f"{r.generations} generations ({how}) "
               f"in {r.elapsed:.0f} s; wrote {out}/posterior.parquet, generations.csv, report.md")  # fmt: skip


def calibrate_lopo(
    folders: list[Path] = typer.Argument(..., help="results directories of `abm calibrate SPEC --holdout P --out DIR`, one per held-out pattern"),
    full: Path | None = typer.Option(None, "--full", help="the same spec's finished fit with nothing held out, for comparison (n/a if the directory does not exist)"),
    docs: Path | None = typer.Option(None, "--docs", help="also rewrite the generated leave-one-pattern-out block of this file (docs/VALIDATION.md)"),
) -> None:
    """Leave-one-pattern-out: the held-out patterns' posterior predictive pass rates of several fits, next to the full fit's."""
    from experiments.calibration.lopo import LopoError, section, summarise, update

    try:
        summary = summarise(list(folders), full)
    except LopoError as e:
        fail(str(e))
        return
    command = "abm calibrate-lopo " + " ".join(map(str, folders)) + (f" --full {full}" if full is not None else "")
    if docs is not None:
        update(summary, docs, command)
    typer.echo(section(summary, command))


def register(app: typer.Typer) -> None:
    """Add ``calibrate`` and ``calibrate-lopo`` to the ``abm`` command line."""
    app.command("calibrate")(interruptible("stored generations are kept, run the same command again to resume")(calibrate))
    app.command("calibrate-lopo")(calibrate_lopo)
