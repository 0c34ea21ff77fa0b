"""Writing a sensitivity analysis to ``DIR/analysis``: tidy tables, PNG plots and report.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

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


def write_report(out: Path, st: Stored, a: Analysis) -> list[Path]:
    """Tables, plots and a short markdown report; returns the files written."""
    from experiments.sensitivity import plots

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

    def save(fig, name: str) -> None:
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=plots.DPI)
        files.append(path)

    ix = a.indices
    if len(ix):
        for (outcome, stat, method), _ in ix.groupby(["outcome", "statistic", "method"], sort=False):
            if method == "morris":
                save(plots.morris_plot(ix, outcome, stat), _slug("sens_morris", outcome, stat))
            else:
                save(plots.index_bars(ix, outcome, stat, method), _slug("sens_indices", method, outcome, stat))
    conv = a.convergence
    if len(conv) and conv["N"].nunique() > 1:
        for (outcome, stat, method), _ in conv.groupby(["outcome", "statistic", "method"], sort=False):
            fig = plots.convergence_plot(conv, outcome, stat, method, KEY_INDEX[method])
            save(fig, _slug("sens_convergence", method, outcome, stat))
    if len(a.noise):
        save(plots.noise_plot(a.noise), "sens_noise_design")
    md = folder / "sensitivity_report.md"
    md.write_text(_markdown(st, a))
    files.append(md)
    return files


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

