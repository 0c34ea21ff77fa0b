"""The ``abm`` command line: a thin layer over the Python API.

Core commands (run, check, scenarios) live here. Other installed packages add their commands (batch
runs, reports, sensitivity analysis, validation, the interactive screens) through the ``abm.commands``
entry-point group: each entry point names a ``register(app)`` function, called once at import. The
model package names none of them; a plugin that fails to load is skipped with a one-line warning.
Bad input exits with status 2 and one message; no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import typer
from rich.console import Console

from abm.cli_errors import err, fail, interruptible
from abm.config import ConfigError, builtin_programs, load_scenario, with_overrides

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Agent-based model of how integration of care is generated.")
console = Console()


@app.command()
@interruptible("nothing was written")
def run(
    config: str = typer.Argument(..., help="config file or built-in program (P1..P6)"),
    seed: int = typer.Option(0, min=0, help="random seed (>= 0); one seed fixes the run bit for bit"),
    steps: int | None = typer.Option(None, min=1, help="steps (weeks); default from the config"),
    out: Path | None = typer.Option(None, help="directory for the step table, timeline, plot and provenance"),
    set_: list[str] = typer.Option(
        [], "--set", metavar="KEY=VALUE",
        help="override, repeatable: params.mu=0.2, program.pathway=top_down, 'organizations[Small Hospital].it_system=9'",
    ),
) -> None:
    """Run one simulation, print a summary, and optionally write its tables and plot."""
    from abm.io import write_run
    from abm.run import run_once

    try:
        overrides = parse_sets(set_)
        sc = load_scenario(config)
        if overrides:
            sc = with_overrides(sc, overrides)
    except ConfigError as e:
        fail(str(e))
    result = run_once(sc, seed=seed, steps=steps)
    s = result.summary
    console.print(f"[bold]{sc.name}[/] ({sc.description}) seed={seed}, {int(s['steps'])} steps")
    for key in ("final_integration", "final_consensus", "final_connectivity", "final_trust_mean", "final_engagement",
                "final_engagement_physicians", "final_retention", "time_to_consensus", "time_to_connectivity",
                "time_to_integration", "auc_integration"):  # fmt: skip
        console.print(f"  {key:<28} {s[key]:.3f}")
    console.print(f"  milestones: {len(result.milestones)} ({int(s['exits'])} partner exits)")
    if out is not None:
        try:
            write_run(result, out, {"command": "abm run", "config_source": str(config), "overrides": overrides})
        except OSError as e:
            fail(f"{out}: cannot write results ({e.strerror})")
        console.print(f"wrote {out}/steps.parquet, steps.csv, milestones.csv, outcomes.png, run.json")


@app.command()
def check(config: str = typer.Argument(..., help="config file or built-in program (P1..P6)")) -> None:
    """Validate a config without running it."""
    try:
        sc = load_scenario(config)
    except ConfigError as e:
        fail(str(e))
    console.print(f"{config}: valid ({sc.name}: {len(sc.organizations)} organizations, {len(sc.milestones)} milestones)")


@app.command()
def scenarios() -> None:
    """List the built-in programs."""
    for name, path in builtin_programs().items():
        sc = load_scenario(path)
        console.print(f"[bold]{name}[/]  {sc.description}  [dim]({path.name})[/]", highlight=False)


def parse_sets(items: list[str]) -> dict[str, object]:
    """``--set KEY=VALUE`` options as overrides; each VALUE is read as a YAML scalar or flow value
    (``9``, ``0.2``, ``true``, ``top_down``, ``[1, 2]``) by the strict safe loader."""
    from abm.yamlsafe import YamlInputError, loads

    out: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE (e.g. params.mu=0.2)")
        try:
            out[key.strip()] = loads(f"value: {text}", f"--set {key.strip()}")["value"]
        except YamlInputError as e:
            raise ConfigError(str(e)) from None
    return out


@app.command()
def national(
    regions: list[str] = typer.Argument(None, help="the regions: config files or built-in programs (distinct names)"),
    synthetic: str | None = typer.Option(None, metavar="ORGS:CLINICIANS", help="a synthetic nation instead, e.g. 10000:500000 (regions of about 20 organizations)"),
    seed: int = typer.Option(0, min=0, help="the nation's seed (>= 0); region r runs with its r-th child seed"),
    steps: int | None = typer.Option(None, min=1, help="steps (weeks); default from the configs (they must agree)"),
    out: Path | None = typer.Option(None, help="directory for national, regions and steps tables and provenance"),
    workers: int = typer.Option(1, min=1, help="processes to run regions on in parallel (the result does not depend on it)"),
) -> None:
    """Run a nation as a federation of regions that do not interact (abm/national.py) and print its outcomes."""
    from contextlib import nullcontext

    from abm.io import write_nation
    from abm.national import region_pool, run_nation, synthetic_nation

    if bool(regions) == (synthetic is not None):
        fail("national: give region configs or --synthetic ORGS:CLINICIANS (one of the two)")
    try:
        if synthetic is not None:
            o, sep, c = synthetic.partition(":")
            if not sep or not o.strip().isdigit() or not c.strip().isdigit():
                raise ConfigError(f"--synthetic {synthetic!r}: expected ORGS:CLINICIANS, two whole numbers (e.g. 10000:500000)")
            scs = synthetic_nation(int(o), int(c), seed=seed, steps=steps or 104)
        else:
            scs = [load_scenario(r) for r in regions]
        from rich.progress import Progress

        with Progress(console=err, transient=True) as bar, (region_pool(workers) if workers > 1 else nullcontext()) as pool:
            task = bar.add_task(f"{len(scs)} regions", total=len(scs))
            result = run_nation(scs, seed=seed, steps=steps, progress=lambda done, _: bar.update(task, completed=done), executor=pool)
    except (ConfigError, ValueError) as e:
        fail(str(e) if isinstance(e, ConfigError) else f"national: {e}")
    except KeyboardInterrupt:
        fail("national: interrupted; nothing was written", 130)
    last = result.national.iloc[-1]
    console.print(f"[bold]{len(scs)} regions[/], {int(result.regions.organizations.sum()):,} organizations, "
                  f"{int(result.regions.clinicians.sum()):,} clinicians, seed={seed}, {int(last['step'])} steps")  # fmt: skip
    for key in ("integration", "integration_p10", "integration_p90", "consensus", "connectivity", "trust_mean", "engagement", "retention"):
        console.print(f"  {key:<28} {last[key]:.3f}")
    if out is not None:
        try:
            write_nation(result, out, {"command": "abm national", "regions_given": regions or None, "synthetic": synthetic})
        except OSError as e:
            fail(f"{out}: cannot write results ({e.strerror})")
        console.print(f"wrote {out}/national.parquet (.csv), regions.parquet (.csv), steps.parquet, run.json")


@app.command()
def milestones() -> None:
    """List the milestone library: events a config references with `use: NAME` (timing and targets are the config's)."""
    from abm.milestone_library import library

    for key, ev in library().items():
        fx = ", ".join(f"{k}: {v}" for k, v in ev.effects.items()) + "".join(f"; needs {n}" for n in ev.needs)
        console.print(f"[bold]{key}[/]  {ev.name} ({ev.category}, {ev.valence})  [dim]{{{fx}}}[/]", highlight=False)
        console.print(f"    {ev.description}", highlight=False)


def main() -> None:  # pragma: no cover
    app()


PLUGIN_GROUP = "abm.commands"


def load_plugins(target: typer.Typer = app, eps: Iterable[EntryPoint] | None = None) -> list[str]:
    """Call ``register(target)`` of every entry point in :data:`PLUGIN_GROUP`; return the names loaded.

    A plugin that fails to import or register is skipped with one warning line on stderr (no
    traceback), so the core commands keep working.
    """
    if eps is None:
        eps = entry_points(group=PLUGIN_GROUP)
    loaded = []
    for ep in eps:
        try:
            ep.load()(target)
        except Exception as e:  # a broken plugin must not take the core commands down
            detail = " ".join(str(e).split())  # one line, whatever the exception says
            print(f"abm: warning: plugin {ep.name!r} ({ep.value}) not loaded: {type(e).__name__}: {detail}", file=sys.stderr)
        else:
            loaded.append(ep.name)
    return loaded


load_plugins()
