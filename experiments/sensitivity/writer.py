"""Writing a sensitivity analysis to ``DIR/analysis``: tidy tables, PNG plots and report.md.

The plots (two per outcome and statistic, about 0.13 s each) are drawn by this process and, if one is given,
a helper process (:func:`figure_helper`, started while the results are read and analysed), every other one.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from experiments.analysis import markdown_table
from experiments.sensitivity.analysis import KEY_INDEX, Analysis

if TYPE_CHECKING:
    from experiments.sensitivity.pipeline import Stored


def _slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(parts))


def _table(df: pd.DataFrame, folder: Path, name: str) -> list[Path]:
    df.to_parquet(folder / f"{name}.parquet", index=False)
    df.to_csv(folder / f"{name}.csv", index=False)
    return [folder / f"{name}.parquet", folder / f"{name}.csv"]


def write_report(out: Path, st: Stored, a: Analysis, helper: Executor | None = None) -> list[Path]:
    """Tables, plots and a short markdown report; returns the files written. ``helper``: a process pool of one
    worker (:func:`figure_helper`) that draws every other plot."""
    folder = out / "analysis"
    folder.mkdir(parents=True, exist_ok=True)
    for old in list(folder.glob("sens_*")) + list(folder.glob("sensitivity_*")):
        old.unlink()  # stale plots of outcomes no longer analysed
    files: list[Path] = []
    files += _table(a.indices, folder, "sensitivity_indices")
    files += _table(a.noise, folder, "sensitivity_noise")
    files += _table(a.convergence, folder, "sensitivity_convergence")
    files += _table(a.stability, folder, "sensitivity_stability")
    sample = st.design.table()
    sample.to_parquet(folder / "sensitivity_sample.parquet", index=False)
    files.append(folder / "sensitivity_sample.parquet")

    plots: list[tuple[str, tuple[Any, ...], Path]] = []  # (function of experiments.sensitivity.plots, arguments, file)
    ix = a.indices
    if len(ix):
        for (outcome, stat, method), g in ix.groupby(["outcome", "statistic", "method"], sort=False):
            if method == "morris":
                plots.append(("morris_plot", (g, outcome, stat), folder / f"{_slug('sens_morris', outcome, stat)}.png"))
            else:
                plots.append(("index_bars", (g, outcome, stat, method), folder / f"{_slug('sens_indices', method, outcome, stat)}.png"))
    conv = a.convergence
    if len(conv) and conv["N"].nunique() > 1:
        for (outcome, stat, method), g in conv.groupby(["outcome", "statistic", "method"], sort=False):
            plots.append(("convergence_plot", (g, outcome, stat, method, KEY_INDEX[method]),
                          folder / f"{_slug('sens_convergence', method, outcome, stat)}.png"))  # fmt: skip
    if len(a.noise):
        plots.append(("noise_plot", (a.noise,), folder / "sens_noise_design.png"))
    if helper is None:
        files += [draw(*job) for job in plots]
    else:
        theirs = {k: _submit(helper, job) for k, job in enumerate(plots) if k % 2}
        mine = {k: draw(*job) for k, job in enumerate(plots) if not k % 2}
        files += [mine[k] if k in mine else theirs[k].result() for k in range(len(plots))]
    md = folder / "sensitivity_report.md"
    md.write_text(_markdown(st, a))
    files.append(md)
    return files


def _submit(helper: Executor, job: tuple[str, tuple[Any, ...], Path]) -> Any:
    """The plot ``job`` sent to the helper; drawn here (a finished future) if the helper cannot take it."""
    try:
        return helper.submit(draw, *job)
    except Exception:  # noqa: BLE001 - a helper that could not start (BrokenProcessPool): draw it here
        done: Future[Path] = Future()
        done.set_result(draw(*job))
        return done


def draw(function: str, args: tuple[Any, ...], path: Path) -> Path:
    """Draw one plot (``experiments.sensitivity.plots.<function>(*args)``) and save it as PNG at ``path``."""
    from experiments.sensitivity import plots

    getattr(plots, function)(*args).savefig(path, dpi=plots.DPI)
    return path


def _ready() -> bool:
    """A helper's first task: import the plotting code while the results are read."""
    from experiments.sensitivity import plots  # noqa: F401

    return True


@contextlib.contextmanager
def figure_helper() -> Iterator[Executor | None]:
    """A process that draws every other plot (:func:`write_report`), started now so that it has imported matplotlib
    by the time the plots are drawn; None on a machine of one core, or if no process can be started."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    from experiments.executors import local_pool

    try:
        pool = local_pool(1)
    except Exception:  # noqa: BLE001 - then this process draws them all
        yield None
        return
    # its first task starts its process, which waits for the pool's server to load the model: not here
    starting = threading.Thread(target=pool.submit, args=(_ready,), name="figure-helper", daemon=True)
    starting.start()
    try:
        yield pool
    finally:
        starting.join()
        pool.shutdown(wait=True, cancel_futures=True)


def _markdown(st: Stored, a: Analysis) -> str:
    r = st.spec.raw
    m = st.manifest
    runs = m.get("runs", {})
    lines = [
        f"# Sensitivity analysis: {r.name}",
        "",
        r.description or "",
        "",
        f"- model `{r.model}`, scenario `{r.scenario}`, sampler `{r.sampler.name}` N={r.sampler.N}, "
        f"methods {', '.join(x.name for x in st.spec.methods)}",
        f"- {len(st.spec.params)} parameters, {st.design.n_points} sample points x {r.replicates} replicates; "
        f"runs completed {runs.get('completed')}, failed {runs.get('failed')}, remaining {runs.get('remaining')}",
        f"- master seed {r.seed}; bootstrap {r.bootstrap.resamples} resamples, seed {r.bootstrap.seed}",
        "",
        "## Warnings",
        "",
    ]
    lines += [f"  - {w.strip()}" if w.startswith("  ") else f"- {w}" for w in a.warnings] or ["- none"]
    if len(a.noise):
        lines += ["", "## Noise versus design", "", markdown_table(a.noise.round(4))]
    if len(a.stability):
        lines += ["", "## Convergence (rankings of the key index at N/4, N/2 versus N)", "", markdown_table(a.stability.round(3))]
    ix = a.indices
    for (outcome, stat, method), g in ix.groupby(["outcome", "statistic", "method"], sort=False):
        key = KEY_INDEX[method]
        t = g[g["index"] == key].sort_values("value", ascending=False).head(10)
        lines += ["", f"## {method} {key}: {outcome} ({stat}), top 10", "",
                  markdown_table(t[["parameter", "value", "conf"]].round(4))]  # fmt: skip
    return "\n".join(lines) + "\n"

