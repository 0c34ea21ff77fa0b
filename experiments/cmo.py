"""Realist context x mechanism analysis: knock out each mechanism in each of the six programs.

For every program (context) and mechanism, the mechanism is switched off and compared with the
program as is over the same replicate seeds (common random numbers). Effects on integration are
paired differences, knock-out minus baseline, with percentile bootstrap 95% intervals:

* final integration (week 104);
* time to integration (weeks to the integration threshold; runs that never reach it are censored at
  horizon + 1, so a difference of 0 with both censored means "neither reaches it");
* area under the integration curve, and PS = P(baseline > knock-out) on it.

A mechanism a program lacks (shadowing outside P3, co-design in P1's top-down program, prior
partnerships in P3, link formation where every pair starts linked) is not run: "no evidence either
way" (Pawson & Tilley 1997: what works for whom, in what circumstances).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.validation import context as cx
from experiments.validation import knockouts as ko
from experiments.validation import stats
from experiments.validation.report import heatmap, markdown, provenance, runs_table
from experiments.validation.runner import Record, column, run_arms, scenario

MASTER_SEED = 2026112308  # report seeds, not used during calibration


def arms(programs: list[str], mechanisms: list[str]) -> dict[str, Any]:
    """Baseline and applicable knock-out arms."""
    out: dict[str, Any] = {}
    for p in programs:
        base = scenario(p)
        out[p] = base
        for m in mechanisms:
            if ko.applies(base, m):
                out[f"{p}-ko-{m}"] = scenario(p, ko.overrides(m))
    return out


def context(programs: list[str]) -> pd.DataFrame:
    """Descriptors of each program's context (for reading the table)."""
    rows = []
    for p in programs:
        sc = scenario(p)
        orgs = sc.organizations
        prior = sc.prior_matrix() if sc.prior_partnerships else np.zeros((1, 1))
        res = [o.resources for o in orgs]
        rows.append({
            "program": p, "partners": len(orgs), "condition": sc.program.condition,
            "complexity": sc.program.complexity, "mean prior partnership": float(prior[np.triu_indices(len(prior), 1)].mean()) if len(prior) > 1 else 0.0,
            "resources min-max": f"{min(res):.2f}-{max(res):.2f}", "size max/min": round(max(o.size for o in orgs) / min(o.size for o in orgs), 1),
            "IT systems": len({o.it_system for o in orgs}), "pathway": sc.program.pathway,
        })  # fmt: skip
    return pd.DataFrame(rows)


def effects(records: dict[str, list[Record]], programs: list[str], mechanisms: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """One row per program x mechanism: paired effects of the knock-out with 95% CIs."""
    rows = []
    for p in programs:
        base = records[p]
        horizon = base[0].summary["steps"]
        for m in mechanisms:
            k = f"{p}-ko-{m}"
            row: dict[str, Any] = {"program": p, "mechanism": m, "kind": "facilitating" if m in ko.FACILITATING else "disrupting",
                                   "applies": k in records}  # fmt: skip
            if k in records:
                kor = records[k]
                fi = column(kor, "final_integration") - column(base, "final_integration")
                ti = stats.censor(column(kor, "time_to_integration"), horizon) - stats.censor(column(base, "time_to_integration"), horizon)
                row["base_final_integration"] = float(column(base, "final_integration").mean())
                row["d_final_integration"], row["d_final_lo"], row["d_final_hi"] = stats.mean_ci(fi, rng)
                row["d_time_to_integration"], row["d_time_lo"], row["d_time_hi"] = stats.mean_ci(ti, rng)
                row["reached_base"] = float(np.mean(~np.isnan(column(base, "time_to_integration"))))
                row["reached_ko"] = float(np.mean(~np.isnan(column(kor, "time_to_integration"))))
                row["ps_auc_base_gt_ko"], row["ps_lo"], row["ps_hi"] = stats.ps_paired(
                    column(base, "auc_integration"), column(kor, "auc_integration"), rng
                )
                row["n"] = len(base)
            rows.append(row)
    return pd.DataFrame(rows)


def cmo_markdown(df: pd.DataFrame, ctx: pd.DataFrame) -> str:
    """Context x mechanism table: effect on final integration [CI]; time to integration [CI]."""
    cells = pd.DataFrame(index=sorted(set(df["program"])), columns=[ko.LABELS[m] for m in dict.fromkeys(df["mechanism"])])
    for _, r in df.iterrows():
        if not r["applies"]:
            txt = "n/a"
        else:
            txt = (f"{r.d_final_integration:+.3f} [{r.d_final_lo:+.3f}, {r.d_final_hi:+.3f}]; "
                   f"{r.d_time_to_integration:+.1f} wk [{r.d_time_lo:+.1f}, {r.d_time_hi:+.1f}]")  # fmt: skip
        cells.loc[r["program"], ko.LABELS[r["mechanism"]]] = txt
    cells.insert(0, "baseline final integration", [
        f"{df[(df.program == p) & df.applies]['base_final_integration'].iloc[0]:.3f}" if ((df.program == p) & df.applies).any() else ""
        for p in cells.index
    ])  # fmt: skip
    cells = cells.reset_index(names="program")
    intro = ("Cell: change in final integration (knock-out - baseline) [95% CI]; change in weeks to integration "
             "(censored at horizon + 1) [95% CI]. n/a: the program lacks what the mechanism acts on.\n\n")
    return "Contexts\n\n" + markdown(ctx) + "\n\n" + intro + markdown(cells)


def dependence(records: dict[str, list[Record]], programs: list[str], mechanisms: list[str], master: int) -> pd.DataFrame:
    """Pattern 7c over the grid: per facilitating mechanism, the program x knock-out interaction on auc_integration."""
    facilitating = [m for m in mechanisms if m in ko.FACILITATING]
    return cx.context_dependence(records, "auc_integration", np.random.default_rng([master, 8]), facilitating, programs)


def write_cmo(out: Path, df: pd.DataFrame, ctx: pd.DataFrame, prov: dict[str, Any],
              records: dict[str, list[Record]] | None = None, dep: pd.DataFrame | None = None) -> str:  # fmt: skip
    """cmo_table.csv, cmo_table.md, cmo_heatmap.png, results.json and (given the records) runs.csv into
    ``out``, and (given ``dep``, from :func:`dependence`) cmo_context.csv, its table appended to the
    Markdown; returns the Markdown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "cmo_table.csv", index=False)
    if records is not None:
        runs_table(records).to_csv(out / "runs.csv", index=False)
    md = cmo_markdown(df, ctx)
    if dep is not None and len(dep):
        from experiments.validation.patterns import THRESHOLDS

        dep.to_csv(out / "cmo_context.csv", index=False)
        md += "\n\n" + cx.dependence_markdown(dep, *THRESHOLDS["7c"])
    (out / "cmo_table.md").write_text(md)
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.2))
    d = df.pivot(index="program", columns="mechanism", values="d_final_integration")[list(dict.fromkeys(df["mechanism"]))]
    span = float(np.nanmax(np.abs(d.to_numpy(float)))) if np.isfinite(d.to_numpy(float)).any() else 1.0
    heatmap(axes[0], d, "change in final integration (knock-out - baseline)", cmap="RdBu", center=0.0, span=max(span, 1e-3))
    t = df.pivot(index="program", columns="mechanism", values="d_time_to_integration")[list(dict.fromkeys(df["mechanism"]))]
    tspan = float(np.nanmax(np.abs(t.to_numpy(float)))) if np.isfinite(t.to_numpy(float)).any() else 1.0
    heatmap(axes[1], t, "change in weeks to integration (knock-out - baseline)", cmap="RdBu_r", center=0.0, span=max(tspan, 1e-3))
    fig.tight_layout()
    fig.savefig(out / "cmo_heatmap.png", dpi=110)
    plt.close(fig)
    (out / "results.json").write_text(json.dumps({"provenance": prov, "rows": df.to_dict(orient="records")}, indent=2, default=float))
    return md


def run_cmo(replicates: int, out: Path, programs: list[str] | None = None, mechanisms: list[str] | None = None,
            master: int = MASTER_SEED, workers: int = 2, param_sets: list[dict] | None = None,
            posterior: str | None = None) -> tuple[pd.DataFrame, str]:  # fmt: skip
    """Run the knock-out grid and write the context x mechanism table and heatmap.

    ``param_sets``: one override set per replicate (posterior draws from ``posterior``), the same in
    every arm, so a knock-out and its baseline stay paired in seed and parameters.
    """
    programs = list(programs or ko.PROGRAMS)
    mechanisms = list(mechanisms or ko.MECHANISMS)
    records = run_arms(arms(programs, mechanisms), master, replicates, workers, param_sets=param_sets)
    df = effects(records, programs, mechanisms, np.random.default_rng([master, 7]))
    prov = provenance("abm cmo", replicates, master, {"programs": programs, "mechanisms": mechanisms, "posterior": posterior})
    md = write_cmo(out, df, context(programs), prov, records, dependence(records, programs, mechanisms, master))
    return df, md
