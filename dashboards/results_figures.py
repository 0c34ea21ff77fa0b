"""Static matplotlib figures of stored results: comparisons with CIs, ensemble envelopes, milestone
frequencies, sensitivity indices with CIs, Morris mu*-sigma plot and index convergence. The results
browser shows interactive charts (:mod:`dashboards.charts`); these are its "PNG of this chart" downloads."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from dashboards.figures import DPI
from experiments.sensitivity.analysis import KEY_INDEX

PALETTE = colormaps["tab10"]
CATEGORY_CMAP = colormaps["Set2"]
# The index SALib reports first per method (and the second shown beside it, if any).
MAIN_INDICES = {"sobol": ("S1", "ST"), "fast": ("S1", "ST"), "morris": ("mu_star",), "delta": ("delta", "S1"), "pawn": ("median",)}


# Units of the summary outcomes (docs/RESULTS-FORMAT.md; a step is one week).
SHARE = "share, 0-1"
OUTCOME_UNITS = {"final_consensus": SHARE, "final_connectivity": SHARE, "final_integration": SHARE,
                 "final_trust_mean": SHARE, "final_trust_min": SHARE, "final_engagement": SHARE,
                 "final_engagement_physicians": SHARE, "final_retention": SHARE, "max_trust_mean": SHARE,
                 "mean_handoff_success": SHARE, "final_mean_link_level": "link level",
                 "final_active_partners": "partners", "time_to_consensus": "weeks", "time_to_connectivity": "weeks",
                 "time_to_integration": "weeks", "auc_integration": "integration x weeks", "exits": "count",
                 "milestones": "count", "steps": "weeks"}  # fmt: skip
SHARE_METRICS = ("integration", "consensus", "connectivity", "trust_mean", "trust_min", "engagement", "retention")
MAX_LEGEND_INSIDE = 6  # more entries than this: the legend goes beside the plot, never over it


def outcome_label(outcome: str) -> str:
    """``final_integration`` -> ``final integration (share, 0-1)``: words and the unit, if known."""
    unit = OUTCOME_UNITS.get(outcome)
    text = outcome.replace("_", " ")
    return f"{text} ({unit})" if unit else text


def _legend(ax, n: int, crowded: bool = False, **kw) -> None:
    """A legend inside the axes for a few entries, outside on the right (in columns) for many entries
    or a crowded plot (many parameters)."""
    if n <= MAX_LEGEND_INSIDE and not crowded:
        ax.legend(fontsize=kw.pop("fontsize", 8), **kw)
        return
    kw.pop("loc", None)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, ncol=1 + n // 24,
              frameon=False)


def _empty(message: str, size=(6.4, 3.0)) -> Figure:
    fig = Figure(figsize=size, dpi=DPI)
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, color="#666666", wrap=True)
    ax.set_axis_off()
    return fig


def comparison_figure(cmp: pd.DataFrame, outcome: str) -> Figure:
    """Mean and 95% CI of one outcome, one row per scenario x intervention, colour per intervention."""
    if cmp.empty:
        return _empty(f"no values of {outcome}")
    ivs = list(dict.fromkeys(cmp["intervention"]))
    fig = Figure(figsize=(6.8, 0.9 + 0.32 * len(cmp)), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(cmp))
    colours = [PALETTE(ivs.index(i) % 10) for i in cmp["intervention"]]
    err = np.vstack([cmp["mean"] - cmp["ci_low"], cmp["ci_high"] - cmp["mean"]]).clip(min=0)
    for k in range(len(cmp)):
        ax.errorbar(cmp["mean"].iloc[k], y[k], xerr=err[:, k : k + 1], fmt="o", color=colours[k], capsize=3)
    points = "point" in cmp and cmp["point"].nunique() > 1
    labels = [f"{s} / {i}" + (f" / point {p}" if points else "")
              for s, i, p in zip(cmp["scenario"], cmp["intervention"], cmp.get("point", cmp["scenario"]), strict=True)]  # fmt: skip
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"{outcome_label(outcome)}: mean and {cmp['ci'].iloc[0]} CI")
    ax.set_ylabel("program / intervention", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"{outcome.replace('_', ' ')}: program x intervention", fontsize=10)
    return fig


def envelope_figure(env: pd.DataFrame, scenario: str, metric: str) -> Figure:
    """Median and 50%/90% envelopes over time of one metric, one colour per intervention."""
    if env.empty:
        return _empty(f"no step tables for {scenario}")
    fig = Figure(figsize=(6.8, 4.0), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    for k, (iv, g) in enumerate(env.groupby("intervention", sort=False)):
        c = PALETTE(k % 10)
        ax.fill_between(g["step"], g["q05"], g["q95"], color=c, alpha=0.12, lw=0)
        ax.fill_between(g["step"], g["q25"], g["q75"], color=c, alpha=0.25, lw=0)
        ax.plot(g["step"], g["median"], color=c, lw=1.8, label=iv)
    ax.set(xlabel="week", ylabel=f"{metric.replace('_', ' ')} (share, 0-1)" if metric in SHARE_METRICS else metric,
           title=f"{scenario}: {metric} (median, 50% and 90% of runs)")  # fmt: skip
    ax.title.set_fontsize(10)
    _legend(ax, env["intervention"].nunique())
    ax.grid(alpha=0.3)
    return fig


def milestones_figure(freq: pd.DataFrame) -> Figure:
    """Mean milestones per run by category (stacked), per scenario x intervention."""
    if freq.empty:
        return _empty("no milestone tables")
    fig = Figure(figsize=(6.8, 0.9 + 0.32 * len(freq) + 0.5), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(freq))
    left = np.zeros(len(freq))
    for k, cat in enumerate(freq.columns):
        ax.barh(y, freq[cat], left=left, color=CATEGORY_CMAP(k % 8), label=str(cat).replace("_", " "))
        left += freq[cat].to_numpy()
    ax.set_yticks(y, [f"{s} / {i}" for s, i in freq.index], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("milestones per run (mean)")
    _legend(ax, len(freq.columns), crowded=True)  # stacked bars fill the axes: the legend goes beside them
    ax.set_title("Milestone frequencies by category", fontsize=10)
    return fig


def key_rows(ind: pd.DataFrame, method: str) -> pd.DataFrame:
    main = ind[(ind["method"] == method) & ind["parameter2"].isna()] if "parameter2" in ind else ind[ind["method"] == method]
    return main[main["index"].isin(MAIN_INDICES.get(method, main["index"].unique()[:1]))]


def indices_figure(ind: pd.DataFrame, outcome: str, method: str) -> Figure:
    """Sensitivity indices with confidence intervals, parameters sorted by the first index."""
    rows = key_rows(ind[ind["outcome"] == outcome], method)
    if rows.empty:
        return _empty(f"no {method} indices for {outcome}")
    kinds = list(dict.fromkeys(rows["index"]))
    order = rows[rows["index"] == kinds[-1]].sort_values("value")["parameter"].tolist()
    fig = Figure(figsize=(6.8, 1.0 + 0.3 * len(order)), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    h = 0.8 / len(kinds)
    for k, name in enumerate(kinds):
        r = rows[rows["index"] == name].set_index("parameter").reindex(order)
        y = np.arange(len(order)) + (k - (len(kinds) - 1) / 2) * h
        lo = (r["value"] - r["lo"]).clip(lower=0).fillna(0) if "lo" in r else 0
        hi = (r["hi"] - r["value"]).clip(lower=0).fillna(0) if "hi" in r else 0
        ax.barh(y, r["value"], height=h, color=PALETTE(k), label=name, xerr=[lo, hi], capsize=2, error_kw={"lw": 0.8})
    ax.set_yticks(np.arange(len(order)), order, fontsize=8)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel("index value (error bars: 95% CI)")
    ax.set_ylabel("parameter", fontsize=8)
    ax.set_title(f"{method} indices of {outcome}", fontsize=10)
    _legend(ax, len(kinds), crowded=len(order) > MAX_LEGEND_INSIDE, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return fig


def morris_figure(ind: pd.DataFrame, outcome: str) -> Figure:
    """Morris mu* against sigma, one labelled point per parameter, mu* CI as error bars."""
    m = ind[(ind["outcome"] == outcome) & (ind["method"] == "morris")]
    mu = m[m["index"] == "mu_star"].set_index("parameter")
    sd = m[m["index"] == "sigma"].set_index("parameter")
    if mu.empty or sd.empty:
        return _empty(f"no Morris results for {outcome}")
    sd = sd.reindex(mu.index)
    fig = Figure(figsize=(6.4, 4.4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    xerr = np.vstack([(mu["value"] - mu["lo"]).clip(lower=0), (mu["hi"] - mu["value"]).clip(lower=0)]) if {"lo", "hi"} <= set(mu) else None
    ax.errorbar(mu["value"], sd["value"], xerr=xerr, fmt="o", color=PALETTE(0), capsize=2)
    for p, x, y in zip(mu.index, mu["value"], sd["value"], strict=True):
        ax.annotate(p, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7)
    top = float(np.nanmax(np.r_[mu["value"].to_numpy(), sd["value"].to_numpy(), 1e-12]))
    ax.plot([0, top], [0, top], color="grey", lw=0.8, ls="--", label="sigma = mu*")
    ax.set(xlabel="mu* (mean |elementary effect|)", ylabel="sigma (interaction / non-linearity)")
    ax.set_title(f"Morris screening of {outcome}", fontsize=10)
    _legend(ax, 1, crowded=len(mu) > MAX_LEGEND_INSIDE)
    ax.grid(alpha=0.3)
    return fig


def convergence_figure(conv: pd.DataFrame, outcome: str, method: str) -> Figure:
    """The key index of each parameter against the sample size N, with its CI band."""
    rows = key_rows(conv[conv["outcome"] == outcome], method)
    if rows.empty or rows["N"].nunique() < 2:
        return _empty(f"no convergence table for {method} / {outcome}")
    key = KEY_INDEX.get(method, rows["index"].iloc[0])  # the analysis' own key index (its stability table)
    rows = rows[rows["index"] == key] if key in set(rows["index"]) else rows
    fig = Figure(figsize=(6.8, 4.0), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    for k, (p, g) in enumerate(rows.sort_values("N").groupby("parameter", sort=False)):
        c = PALETTE(k % 10)
        ax.plot(g["N"], g["value"], marker="o", color=c, label=p, lw=1.4)
        if {"lo", "hi"} <= set(g):
            ax.fill_between(g["N"], g["lo"], g["hi"], color=c, alpha=0.12, lw=0)
    ax.set_xscale("log", base=2)
    ax.set(xlabel="sample size N", ylabel=f"{key} (index value)")
    ax.set_title(f"Convergence of {method} {key} for {outcome}", fontsize=10)
    _legend(ax, rows["parameter"].nunique(), fontsize=7)
    ax.grid(alpha=0.3)
    return fig
