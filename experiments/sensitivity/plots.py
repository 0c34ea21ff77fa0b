"""Plots of a sensitivity analysis, each from a tidy table (no model, no runner).

Every function takes a table made by :mod:`experiments.sensitivity.analysis` and returns a
matplotlib Figure; :mod:`experiments.sensitivity.writer` saves them as PNG.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # the object API: no pyplot state, no backend switching

DPI = 110  # the figures are drawn at the resolution they are saved at (no dpi switch in savefig)


def _fig(w: float, h: float):
    fig = Figure(figsize=(w, h), dpi=DPI)
    return fig, fig.subplots()


def _layout(fig: Figure) -> Figure:
    """Tight layout once, then no layout engine: savefig would otherwise lay the figure out again."""
    fig.tight_layout()
    fig.set_layout_engine(None)
    return fig


PAIRS = {"sobol": ("S1", "ST"), "fast": ("S1", "ST"), "delta": ("delta", "S1"), "pawn": ("median", "maximum")}


def index_bars(ix: pd.DataFrame, outcome: str, statistic: str, method: str) -> Figure:
    """First-order and total (or the method's two) indices with CI error bars, sorted by the second."""
    a, b = PAIRS[method]
    sub = ix[(ix["outcome"] == outcome) & (ix["statistic"] == statistic) & (ix["method"] == method)]
    ta = sub[sub["index"] == a].set_index("parameter")
    tb = sub[sub["index"] == b].set_index("parameter")
    order = tb["value"].sort_values(ascending=True).index
    ta, tb = ta.reindex(order), tb.reindex(order)
    fig, ax = _fig(7, 0.35 * len(order) + 1.6)
    y = np.arange(len(order))
    h = 0.38
    for k, (t, lab) in enumerate(((ta, a), (tb, b))):
        err = t["conf"].to_numpy(dtype=float)
        ax.barh(y + (k - 0.5) * h, t["value"], height=h, label=lab,
                xerr=np.where(np.isfinite(err), err, 0), capsize=2)  # fmt: skip
    ax.set_yticks(y, order)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel("index (bars: 95% bootstrap CI)" if method != "pawn" else "PAWN KS statistic")
    ax.set_title(f"{method}: {outcome} ({statistic} over replicates)", y=1.0)
    ax.legend(loc="lower right")
    return _layout(fig)


def morris_plot(ix: pd.DataFrame, outcome: str, statistic: str) -> Figure:
    """Morris mu* against sigma, with mu* CIs; labelled points."""
    sub = ix[(ix["outcome"] == outcome) & (ix["statistic"] == statistic) & (ix["method"] == "morris")]
    mu = sub[sub["index"] == "mu_star"].set_index("parameter")
    sg = sub[sub["index"] == "sigma"].set_index("parameter").reindex(mu.index)
    fig, ax = _fig(7, 5.5)
    ax.errorbar(mu["value"], sg["value"], xerr=np.nan_to_num(mu["conf"].to_numpy(dtype=float)), fmt="o", ms=4,
                capsize=2)  # fmt: skip
    top = mu["value"].sort_values(ascending=False).index[:12]
    for name in top:
        ax.annotate(name, (mu.loc[name, "value"], sg.loc[name, "value"]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")  # fmt: skip
    lim = max(float(np.nanmax(mu["value"])), float(np.nanmax(sg["value"])), 1e-12)
    ax.plot([0, lim], [0, lim], ls="--", lw=0.6, color="grey", label="sigma = mu*")
    ax.set_xlabel("mu* (mean |elementary effect|)")
    ax.set_ylabel("sigma (sd of elementary effects)")
    ax.set_title(f"Morris: {outcome} ({statistic} over replicates)", y=1.0)
    ax.legend(loc="upper left")
    return _layout(fig)


def convergence_plot(conv: pd.DataFrame, outcome: str, statistic: str, method: str, index: str,
                     top: int = 8) -> Figure:  # fmt: skip
    """The key index of the most influential parameters at N/4, N/2, N, with CIs."""
    sub = conv[(conv["outcome"] == outcome) & (conv["statistic"] == statistic) & (conv["method"] == method)
               & (conv["index"] == index) & conv["parameter2"].isna()]  # fmt: skip
    n_full = sub["N"].max()
    names = sub[sub["N"] == n_full].sort_values("value", ascending=False)["parameter"].head(top)
    fig, ax = _fig(7, 4.5)
    for name in names:
        t = sub[sub["parameter"] == name].sort_values("N")
        err = np.nan_to_num(t["conf"].to_numpy(dtype=float))
        ax.errorbar(t["N"], t["value"], yerr=err, marker="o", ms=3, capsize=2, label=name)
    vals = sub[sub["parameter"].isin(names)]["value"].to_numpy(dtype=float)
    if len(vals) and np.isfinite(vals).any():  # small-N CIs can be huge: keep the values readable
        lo, hi = min(float(np.nanmin(vals)), 0.0), float(np.nanmax(vals))
        span = max(hi - lo, 1e-9)
        ax.set_ylim(lo - 0.3 * span, hi + 0.3 * span)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(sub["N"].unique()), [str(n) for n in sorted(sub["N"].unique())])
    ax.set_xlabel("base sample size N")
    ax.set_ylabel(index)
    ax.set_title(f"Convergence, {method} {index}: {outcome} ({statistic})", y=1.0)
    ax.legend(fontsize=7, ncol=2)
    return _layout(fig)


def noise_plot(noise: pd.DataFrame) -> Figure:
    """Share of one run's variance that is noise (across replicates) versus design (across points)."""
    t = noise.sort_values("noise_share")
    fig, ax = _fig(7, 0.4 * len(t) + 1.6)
    y = np.arange(len(t))
    ax.barh(y, 1 - t["noise_share"], color="tab:blue", label="design (across sample points)")
    ax.barh(y, t["noise_share"], left=1 - t["noise_share"], color="tab:orange", label="noise (across replicates)")
    lo = (1 - t["noise_share_hi"]).to_numpy()
    hi = (1 - t["noise_share_lo"]).to_numpy()
    mid = (1 - t["noise_share"]).to_numpy()
    ax.errorbar(mid, y, xerr=[mid - lo, hi - mid], fmt="none", ecolor="black", capsize=2)
    ax.set_yticks(y, t["outcome"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the variance of a single run (bar: 95% bootstrap CI)")
    ax.set_title("Noise versus design", y=1.0)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.08), ncol=2, fontsize=8)
    return _layout(fig)
