"""Write a :class:`~experiments.discovery.Discovery` to ``DIR/analysis/discovery/``, all or nothing.

Files (read back by :func:`experiments.results.read_discovery`):

- ``trajectory.csv``: the peeling trajectory, one row per box: ``id, coverage, density, mass, res_dim,
  n, k, selected`` (``n`` runs in the box, ``k`` of them of interest);
- ``boxes.csv``: the limits of every box of the trajectory, one row per box and restricted input:
  ``id, input, kind (numeric | categorical), lo, hi, categories ("|"-joined), range_lo, range_hi,
  qp_lo, qp_hi`` (quasi-p values of the lower and upper limit; NaN where unrestricted);
- ``tradeoff.png`` (coverage against density, coloured by restricted inputs, the selected box
  circled) and ``box.png`` (the selected box's limits within each input's range);
- ``summary.md``: the question, the method and the selected box in words and a table;
- ``discovery.json``: the question and options (outcome, threshold, below, method, selected, ...).

Everything is written into a temporary sibling folder, then renamed into place: the folder holds a
complete discovery or is left as it was.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.io import swap_in
from experiments.discovery import Discovery

FOLDER = ("analysis", "discovery")


def box_table(d: Discovery) -> pd.DataFrame:
    """``boxes.csv``: the restricted limits of every box on the trajectory."""
    r = d.result
    rows: list[dict[str, Any]] = []
    for i in range(len(r.limits)):
        for u in r.restricted(i):
            lim, full = r.limits[i][u], r.initial[u]
            qp = r.qp[i].get(u, (math.nan, math.nan)) if i < len(r.qp) else (math.nan, math.nan)
            cat = isinstance(lim, frozenset)
            rows.append({
                "id": i, "input": u, "kind": "categorical" if cat else "numeric",
                "lo": math.nan if cat else lim[0], "hi": math.nan if cat else lim[1],
                "categories": "|".join(sorted(map(str, lim))) if cat else "",
                "range_lo": math.nan if cat else full[0], "range_hi": math.nan if cat else full[1],
                "qp_lo": qp[0], "qp_hi": qp[1],
            })  # fmt: skip
    cols = ["id", "input", "kind", "lo", "hi", "categories", "range_lo", "range_hi", "qp_lo", "qp_hi"]
    return pd.DataFrame(rows, columns=cols)


def trajectory_table(d: Discovery) -> pd.DataFrame:
    t = d.result.trajectory.copy()
    t["selected"] = t["id"] == d.selected
    return t


def _plot_tradeoff(t: pd.DataFrame, d: Discovery, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=22, zorder=2)
    ax.plot(t["coverage"], t["density"], color="0.75", lw=0.8, zorder=1)
    sel = t[t["id"] == d.selected]
    ax.scatter(sel["coverage"], sel["density"], s=140, facecolors="none", edgecolors="crimson", lw=1.8, zorder=3,
               label=f"selected box {d.selected}")  # fmt: skip
    ax.axvline(d.min_coverage, color="crimson", ls=":", lw=0.8)
    fig.colorbar(sc, ax=ax, label="restricted inputs")
    ax.set_xlabel("coverage (share of runs of interest inside the box)")
    ax.set_ylabel("density (share of the box's runs of interest)")
    ax.set_title(f"PRIM peeling trajectory: {d.outcome} {'<' if d.below else '>'} {d.threshold:g}", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_box(boxes: pd.DataFrame, d: Discovery, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sel = boxes[boxes["id"] == d.selected].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(6.5, 0.9 + 0.55 * max(len(sel), 1)))
    for j, row in sel.iterrows():
        if row["kind"] == "numeric":
            span = (row["range_hi"] - row["range_lo"]) or 1.0
            lo, hi = (row["lo"] - row["range_lo"]) / span, (row["hi"] - row["range_lo"]) / span
            ax.barh(j, hi - lo, left=lo, color="tab:blue", alpha=0.7)
            ax.text(lo, j + 0.32, f"{row['lo']:.3g}", ha="center", fontsize=8)
            ax.text(hi, j + 0.32, f"{row['hi']:.3g}", ha="center", fontsize=8)
        else:
            ax.barh(j, 1.0, color="tab:orange", alpha=0.4)
            ax.text(0.5, j, row["categories"].replace("|", ", "), ha="center", va="center", fontsize=8)
    ax.set_yticks(range(len(sel)), [f"{u}\n(qp {_qp(r):.2g})" for u, r in zip(sel["input"], sel.itertuples(), strict=True)],
                  fontsize=8)  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, max(len(sel), 1) - 0.2)
    ax.set_xlabel("position within the input's range in the experiment (0 = min, 1 = max)")
    s = d.result.trajectory.iloc[d.selected]
    ax.set_title(f"Box {d.selected}: coverage {s['coverage']:.2f}, density {s['density']:.2f}, mass {s['mass']:.2f}",
                 fontsize=10)  # fmt: skip
    if sel.empty:
        ax.text(0.5, 0, "no restriction (all runs)", ha="center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _qp(row: Any) -> float:
    v = [x for x in (row.qp_lo, row.qp_hi) if not (isinstance(x, float) and math.isnan(x))]
    return max(v) if v else math.nan


def _limit_text(row: Any) -> str:
    if row.kind == "categorical":
        return f"{row.input} in {{{row.categories.replace('|', ', ')}}}"
    parts = []
    if row.lo > row.range_lo:
        parts.append(f"{row.input} >= {row.lo:.4g}")
    if row.hi < row.range_hi:
        parts.append(f"{row.input} <= {row.hi:.4g}")
    return " and ".join(parts)


def summary_markdown(d: Discovery, t: pd.DataFrame, boxes: pd.DataFrame) -> str:
    from experiments.analysis import markdown_table

    s = t.iloc[d.selected]
    sel = boxes[boxes["id"] == d.selected]
    rule = " and ".join(_limit_text(r) for r in sel.itertuples()) or "no restriction"
    op = "<" if d.below else ">"
    lines = [
        f"# Scenario discovery: {d.outcome} {op} {d.threshold:g}",
        "",
        f"Results directory `{d.out}`: {d.n_runs} completed runs, {d.n_interest} of interest "
        f"({d.outcome} {op} {d.threshold:g}; a missing value is never of interest).",
        f"Inputs ({len(d.inputs)}): {', '.join(f'`{u}`' for u in d.inputs)}.",
        f"Method: {d.result.method}; the trajectory has {len(t)} boxes. Selected: box {d.selected}, the best balance of coverage "
        f"and density (harmonic mean) among boxes with coverage >= {d.min_coverage:g}.",
        "",
        f"**Runs of interest are concentrated where {rule}**: the box holds {s['n']:.0f} runs (mass {s['mass']:.2f}), "
        f"{s['k']:.0f} of interest (density {s['density']:.2f}, against {d.n_interest / d.n_runs:.2f} over all runs), "
        f"covering {s['coverage']:.2f} of all runs of interest.",
        "",
    ]  # fmt: skip
    if not sel.empty:
        show = sel[["input", "kind", "lo", "hi", "categories", "range_lo", "range_hi", "qp_lo", "qp_hi"]]
        lines += [markdown_table(show, _cell), ""]
    lines += ["Quasi-p values (Bryant & Lempert 2010) test each limit: a large value (say > 0.05) means that limit "
              "is not supported by the data. Files: `trajectory.csv`, `boxes.csv`, `tradeoff.png`, `box.png`, "
              "`discovery.json`.", ""]  # fmt: skip
    return "\n".join(lines)


def write_discovery(d: Discovery, *, peel_alpha: float, mass_min: float) -> Path:
    """Write ``DIR/analysis/discovery/`` (see the module docstring); returns the folder."""
    parent = d.out.joinpath(*FOLDER[:-1])
    parent.mkdir(parents=True, exist_ok=True)
    final = parent / FOLDER[-1]
    tmp = Path(tempfile.mkdtemp(prefix=f".{FOLDER[-1]}.", dir=parent))
    try:
        t, boxes = trajectory_table(d), box_table(d)
        t.to_csv(tmp / "trajectory.csv", index=False)
        boxes.to_csv(tmp / "boxes.csv", index=False)
        _plot_tradeoff(t, d, tmp / "tradeoff.png")
        _plot_box(boxes, d, tmp / "box.png")
        (tmp / "summary.md").write_text(summary_markdown(d, t, boxes))
        meta = {"outcome": d.outcome, "threshold": d.threshold, "below": d.below, "n_runs": d.n_runs,
                "n_interest": d.n_interest, "inputs": d.inputs, "method": d.result.method, "selected": d.selected,
                "min_coverage": d.min_coverage, "peel_alpha": peel_alpha, "mass_min": mass_min,
                "selected_stats": {k: _plain(v) for k, v in t.iloc[d.selected].items()}}  # fmt: skip
        (tmp / "discovery.json").write_text(json.dumps(meta, indent=2))
        os.chmod(tmp, 0o755)
        swap_in(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _cell(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
