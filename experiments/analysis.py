"""Analysis of stored results only (never the model): summary statistics, paired effects, ensembles.

Everything here reads a results directory and writes into its ``analysis/`` folder, so
``abm report DIR`` can rebuild it at any time.

References: Efron & Tibshirani (1993) An Introduction to the Bootstrap (percentile intervals).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.results import Results, load_results
from experiments.storage import ID_COLUMNS, atomic_write

BOOTSTRAP_SEED = 20240101
BOOTSTRAP_RESAMPLES = 2000
ENSEMBLE_METRICS = ("integration", "consensus", "connectivity")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
NON_OUTCOMES = frozenset({*ID_COLUMNS, "seed_entropy", "seed_spawn_key"})


def outcome_columns(summary: pd.DataFrame) -> list[str]:
    """Numeric outcome columns of a summary table (not ids, seeds or parameters)."""
    return [c for c in summary.columns
            if c not in NON_OUTCOMES and not c.startswith("param.") and pd.api.types.is_numeric_dtype(summary[c])]  # fmt: skip


def bootstrap_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (fixed seed: the same data give the same interval)."""
    x = x[~np.isnan(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    means = x[rng.integers(0, x.size, size=(BOOTSTRAP_RESAMPLES, x.size))].mean(axis=1)
    a = (1 - level) / 2
    lo, hi = np.quantile(means, [a, 1 - a])
    return float(lo), float(hi)


def _describe(x: np.ndarray) -> dict[str, float]:
    valid = x[~np.isnan(x)]
    lo, hi = bootstrap_ci(x)
    mean = float(valid.mean()) if valid.size else float("nan")
    median = float(np.median(valid)) if valid.size else float("nan")
    return {"n": int(valid.size), "n_missing": int(x.size - valid.size), "mean": mean, "median": median,
            "ci_low": lo, "ci_high": hi}  # fmt: skip


def summary_stats(summary: pd.DataFrame) -> pd.DataFrame:
    """Tidy table: one row per scenario x intervention x outcome (mean, median, 95% bootstrap CI)."""
    rows = []
    for (sc, iv), g in summary.groupby(["scenario", "intervention"], sort=False):
        for col in outcome_columns(summary):
            rows.append({"scenario": sc, "intervention": iv, "outcome": col} | _describe(g[col].to_numpy(float)))
    return pd.DataFrame(rows)


def paired_effects(summary: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """Mean paired difference (intervention - baseline, same scenario, point and replicate) with its CI."""
    if baseline not in set(summary["intervention"]):
        return pd.DataFrame()
    key = ["scenario", "point", "replicate"]
    outs = outcome_columns(summary)
    base = summary[summary["intervention"] == baseline].set_index(key)[outs]
    rows = []
    for (sc, iv), g in summary[summary["intervention"] != baseline].groupby(["scenario", "intervention"], sort=False):
        g = g.set_index(key)[outs]
        common = g.index.intersection(base.index)
        diff = g.loc[common] - base.loc[common]
        for col in outs:
            rows.append({"scenario": sc, "intervention": iv, "outcome": col} | _describe(diff[col].to_numpy(float)))
    return pd.DataFrame(rows)


def ensemble(steps: pd.DataFrame, metrics: tuple[str, ...] = ENSEMBLE_METRICS) -> pd.DataFrame:
    """Quantiles over replicates of each metric at each step, per scenario and intervention."""
    metrics = tuple(m for m in metrics if m in steps.columns)
    q = steps.groupby(["scenario", "intervention", "step"], sort=False)[list(metrics)].quantile(list(QUANTILES))
    q.index = q.index.set_names("quantile", level=-1)
    return q.reset_index()


def plot_ensemble(ens: pd.DataFrame, scenario: str, path: Path) -> None:
    """Median and 50%/90% envelopes of each metric over time, one column per intervention."""
    from matplotlib.figure import Figure

    d = ens[ens["scenario"] == scenario]
    ivs = list(dict.fromkeys(d["intervention"]))
    metrics = [m for m in ENSEMBLE_METRICS if m in d.columns]
    fig = Figure(figsize=(1.9 * len(ivs) + 1.0, 1.7 * len(metrics) + 0.9))
    axes = fig.subplots(len(metrics), len(ivs), squeeze=False,
                        gridspec_kw={"wspace": 0.08, "hspace": 0.12, "left": 0.9 / (1.9 * len(ivs) + 1.0),
                                     "right": 0.99, "bottom": 0.5 / (1.7 * len(metrics) + 0.9), "top": 0.86})
    base = d[(d["intervention"] == ivs[0]) & (d["quantile"] == 0.5)]
    for j, iv in enumerate(ivs):
        di = d[d["intervention"] == iv]
        qs = {q: di[di["quantile"] == q].sort_values("step") for q in QUANTILES}
        for i, m in enumerate(metrics):
            ax = axes[i, j]
            x = qs[0.5]["step"].to_numpy()
            ax.fill_between(x, qs[0.05][m], qs[0.95][m], color="C0", alpha=0.18, lw=0, label="90%")
            ax.fill_between(x, qs[0.25][m], qs[0.75][m], color="C0", alpha=0.35, lw=0, label="50%")
            if j:
                ax.plot(base["step"], base[m], color="0.4", ls="--", lw=1, label=f"{ivs[0]} median")
            ax.plot(x, qs[0.5][m], color="C0", lw=1.5, label="median")
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlim(x[0], x[-1])
            ax.set_xticks(np.linspace(x[0], x[-1], 3).round())
            ax.set_yticks([0, 0.5, 1])
            ax.tick_params(labelsize=7, labelleft=j == 0, labelbottom=i == len(metrics) - 1)
            if i == 0:
                ax.set_title(iv, fontsize=8)
            if j == 0:
                ax.set_ylabel(m)
            if i == len(metrics) - 1:
                ax.set_xlabel("step", fontsize=8)
    axes[0, -1].legend(fontsize=6, loc="lower right")
    fig.suptitle(f"{scenario}: median and 50%/90% envelopes over replicates")
    atomic_write(path, lambda p: fig.savefig(p, dpi=90, format="png"))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem) or "scenario"


def write_analysis(out: str | Path, results: Results | None = None) -> list[Path]:
    """Write the analysis/ folder of a results directory; returns the files written."""
    r = results or load_results(out)
    adir = Path(out) / "analysis"
    adir.mkdir(exist_ok=True)
    written: list[Path] = []
    summary = r.summary
    if summary.empty:
        return written
    for name, df in (("summary_stats", summary_stats(summary)), ("paired_effects", paired_effects(summary))):
        if df.empty:
            continue
        for ext, w in ((".csv", lambda p, df=df: df.to_csv(p, index=False)),
                       (".parquet", lambda p, df=df: df.to_parquet(p, index=False))):  # fmt: skip
            atomic_write(adir / f"{name}{ext}", w)
            written.append(adir / f"{name}{ext}")
    steps = r.load_steps(columns=["scenario", "intervention", "step", *ENSEMBLE_METRICS])
    if steps is not None and not steps.empty:
        ens = ensemble(steps)
        del steps
        for sc in dict.fromkeys(ens["scenario"]):
            path = adir / f"ensemble_{_safe(str(sc))}.png"
            plot_ensemble(ens, sc, path)
            written.append(path)
    return written
