"""Validation report: the pattern table (CSV, Markdown, JSON with provenance), one figure per pattern,
the reductions table, one row per run with its seed (runs.csv), and the generated section of
docs/VALIDATION.md.

Figures are matplotlib (Agg); a figure shows the distributions behind a comparison, not only its
statistic.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.validation import knockouts as ko
from experiments.validation import patterns as pt
from experiments.validation.runner import Record, column, series

COLUMNS = ["pattern", "key", "role", "comparison", "statistic", "estimate", "lo", "hi", "target", "null", "n", "passed"]


def git_commit() -> str:
    """The checkout's commit (provenance), or 'unknown'."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def table(rows: list[pt.Comparison]) -> pd.DataFrame:
    """The pattern table as a DataFrame."""
    return pd.DataFrame([r.row() for r in rows])[COLUMNS]


def markdown(df: pd.DataFrame, columns: list[str] | None = None) -> str:
    """A GitHub-flavoured Markdown table (numbers to 3 decimals)."""
    df = df[columns] if columns else df
    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    fmt = [(f"{v:.3f}" if isinstance(v, float) else ("**pass**" if v is True else ("FAIL" if v is False else str(v))))
           for v in df.to_numpy().ravel()]  # fmt: skip
    k = len(df.columns)
    return head + "".join("| " + " | ".join(fmt[i : i + k]) + " |\n" for i in range(0, len(fmt), k))


def pattern_markdown(df: pd.DataFrame) -> str:
    """The results table as it appears in docs/VALIDATION.md."""
    d = df.copy()
    d["CI 95%"] = [f"[{a:.3f}, {b:.3f}]" for a, b in zip(d["lo"], d["hi"], strict=True)]
    d["pass if"] = [f">= {t:.2f}, CI low > {n:.2f}" for t, n in zip(d["target"], d["null"], strict=True)]
    d = d.rename(columns={"key": "id", "estimate": "estimate", "passed": "result"})
    md = markdown(d, ["id", "role", "comparison", "statistic", "estimate", "CI 95%", "pass if", "n", "result"])
    notes = []
    if d["id"].str.endswith("*").any():
        notes.append("Starred rows (1a*, ...) repeat the comparison of the same id with its confound removed (what is set by "
                     "hand at step 0 equalized in both arms; `experiments/validation/confounds.py` names each), under the "
                     "same thresholds: a pattern holds through its mechanism only if its starred row passes too.")
    if (d["id"] == "7a").any():
        notes.append("7a has one row per program in which the mechanism applies; 7c is the program x knock-out "
                     "interaction: the mean paired effect in the program where the knock-out costs most minus where it "
                     "costs least, with a bootstrap interval resampling seeds within each program.")
    return md + "".join(f"\n{n}\n" for n in notes)


# ---------------------------------------------------------------- figures
def _band(ax, y: np.ndarray, label: str, color: str) -> None:
    t = np.arange(y.shape[1])
    ax.plot(t, np.nanmean(y, axis=0), color=color, label=label)
    lo, hi = np.nanquantile(y, [0.1, 0.9], axis=0)
    ax.fill_between(t, lo, hi, color=color, alpha=0.2, linewidth=0)


def _ecdf(ax, x: np.ndarray, label: str, color: str, horizon: float) -> None:
    v = np.sort(np.where(np.isnan(x), horizon + 1, x))  # never reached: at horizon + 1
    ax.step(np.concatenate(([0.0], v)), np.arange(v.size + 1) / v.size, where="post", label=label, color=color)
    ax.set_xlim(0, horizon + 1)
    ax.set_ylim(0, 1.02)


def figures(records: dict[str, list[Record]], numbers: list[int], out: Path) -> list[str]:
    """One PNG per pattern (those run); returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    written = []
    for num in numbers:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        a, b = axes
        if num == 1:
            for c, k in zip(colors, ("P2", "P2-noprior", "P3"), strict=False):
                _band(a, series(records[k], "integration"), k, c)
                _ecdf(b, column(records[k], "time_to_integration"), k, c, len(records[k][0].series["integration"]) - 1)
            a.set_ylabel("integration"), b.set_xlabel("weeks to integration threshold"), b.set_ylabel("share of runs")
        elif num == 2:
            for c, k in zip(colors, ("P3", "P3-noshadow"), strict=False):
                _band(a, series(records[k], "trust_mean"), k, c)
                _band(b, series(records[k], "connectivity"), k, c)
            a.set_ylabel("mean trust"), b.set_ylabel("connectivity")
        elif num == 3:
            recs = records["P1"]
            names = recs[0].names
            eng = np.array([pt._year_one_engagement(r) for r in recs])
            a.boxplot([eng[:, i] for i in range(len(names))], tick_labels=[n[:12] for n in names])
            a.tick_params(axis="x", rotation=45, labelsize=7)
            a.set_ylabel("mean engagement, weeks 1-52")
            ex = np.array([r.exited_at for r in recs])
            t = np.arange(len(recs[0].series["consensus"]))
            for i, n in enumerate(names):
                b.step(t, [((ex[:, i] >= 0) & (ex[:, i] <= s)).mean() for s in t], where="post", label=n[:16])
            b.set_xlabel("week"), b.set_ylabel("share exited")
        elif num == 4:
            keys = [k for k in ("scale-4", "scale-14", "P6", "P4") if k in records]
            for c, k in zip(colors, keys, strict=False):
                _band(a, series(records[k], "consensus"), k, c)
                _ecdf(b, column(records[k], "time_to_consensus"), k, c, len(records[k][0].series["consensus"]) - 1)
            a.set_ylabel("consensus"), b.set_xlabel("weeks to consensus threshold"), b.set_ylabel("share of runs")
        elif num == 5:
            for c, k in zip(colors, ("P5", "P5-average"), strict=False):
                _band(a, series(records[k], "consensus"), k, c)
            d = column(records["P5-average"], "time_to_consensus") - column(records["P5"], "time_to_consensus")
            b.hist(d[~np.isnan(d)], bins=20, color="tab:gray")
            b.axvline(0, color="k", lw=0.8)
            a.set_ylabel("consensus"), b.set_xlabel("paired difference in weeks to consensus (average - P5)")
        elif num == 6:
            for c, k in zip(colors, ("P6", "P6-nodashboard"), strict=False):
                _band(a, series(records[k], "engagement_physicians"), k, c)
                _band(b, series(records[k], "integration"), k, c)
            a.set_ylabel("physician engagement"), b.set_ylabel("integration")
        elif num == 7:
            fig.clf()
            fig.set_size_inches(8, 4)
            ax = fig.add_subplot(111)
            heatmap(ax, knockout_effects(records)["ps"], "PS(base > knock-out), auc integration")
        for ax in fig.axes:
            if num != 7 and ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
            if num not in (3, 7) and ax.get_xlabel() == "":
                ax.set_xlabel("week")
        fig.suptitle(f"Pattern {num}: {pt.PATTERNS_BY_NUMBER[num].title}")
        fig.tight_layout()
        name = f"pattern{num}.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        written.append(name)
    return written


def knockout_effects(records: dict[str, list[Record]], outcome: str = pt.OUTCOME_7) -> dict[str, pd.DataFrame]:
    """Program x mechanism tables of PS(base > KO) and mean paired difference (KO - base); NaN if n/a."""
    ps = pd.DataFrame(index=list(ko.PROGRAMS), columns=list(ko.MECHANISMS), dtype=float)
    diff = ps.copy()
    for p in ko.PROGRAMS:
        for m in ko.MECHANISMS:
            k = f"{p}-ko-{m}"
            if p in records and k in records:
                x, y = column(records[p], outcome), column(records[k], outcome)
                d = x - y
                ps.loc[p, m] = float(np.mean((d > 0) + 0.5 * (d == 0)))
                diff.loc[p, m] = float(np.mean(y - x))
    return {"ps": ps, "diff": diff}


def heatmap(ax, df: pd.DataFrame, title: str, cmap: str = "RdBu", center: float = 0.5, span: float = 0.5) -> None:
    """A labelled heatmap of a program x mechanism table (grey = not applicable)."""
    import matplotlib.pyplot as plt

    v = df.to_numpy(float)
    cm = plt.get_cmap(cmap).copy()
    cm.set_bad("lightgrey")
    im = ax.imshow(np.ma.masked_invalid(v), cmap=cm, vmin=center - span, vmax=center + span, aspect="auto")
    ax.set_xticks(range(v.shape[1]), [ko.LABELS.get(c, c) for c in df.columns], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(v.shape[0]), df.index)
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            if not np.isnan(v[i, j]):
                ax.text(j, i, f"{v[i, j]:.2f}", ha="center", va="center", fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.figure.colorbar(im, ax=ax, fraction=0.03)


# ---------------------------------------------------------------- files
def runs_table(records: dict[str, list[Record]]) -> pd.DataFrame:
    """One row per run: arm, replicate, its seed as data, then every summary outcome.

    As in an experiment's summary table, ``seed_entropy`` and ``seed_spawn_key`` ("i", comma-joined)
    give the run's seed ``numpy.random.SeedSequence(seed_entropy, spawn_key=(i,))``; with the arm's
    scenario (:func:`experiments.validation.patterns.arm_scenario`) ``abm.run.run_once`` replays it.
    """
    rows = []
    for arm, recs in records.items():
        for i, r in enumerate(recs):
            e = r.seed.get("entropy")
            rows.append({"arm": arm, "replicate": i,
                         "seed_entropy": json.dumps(e) if isinstance(e, list) else e,
                         "seed_spawn_key": ",".join(map(str, r.seed.get("spawn_key", []))), **r.summary})  # fmt: skip
    return pd.DataFrame(rows)


def provenance(command: str, replicates: int, master: int, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a reader needs to reproduce a results directory."""
    from abm.params import Params

    return {
        "command": command,
        "replicates": replicates,
        "master_seed": master,
        "seeds": f"numpy.random.SeedSequence({master}).spawn({replicates}); replicate i: SeedSequence({master}, spawn_key=(i,))",
        "replay": "runs.csv row: abm.run.run_once(experiments.validation.patterns.arm_scenario(arm, replicate, master_seed, "
                  "replicates), seed=numpy.random.SeedSequence(seed_entropy, spawn_key=(replicate,)))",
        "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "thresholds": {k: {"target": t, "null": n} for k, (t, n) in pt.THRESHOLDS.items()},
        "params_defaults": Params().model_dump(mode="json"),
        **(extra or {}),
    }


def write_validation(out: Path, rows: list[pt.Comparison], records: dict[str, list[Record]], numbers: list[int],
                     reductions: pd.DataFrame | None, prov: dict[str, Any]) -> None:  # fmt: skip
    """Write table.csv, table.md, runs.csv, results.json, reductions.csv and pattern figures into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    df = table(rows)
    df.to_csv(out / "table.csv", index=False)
    runs_table(records).to_csv(out / "runs.csv", index=False)
    md = pattern_markdown(df)
    if reductions is not None and len(reductions):
        reductions.to_csv(out / "reductions.csv", index=False)
        m = prov.get("master_seed")
        prov = {**prov, "reduction_seeds": {
            "deffuant_weisbuch_and_no_interaction": f"numpy.random.SeedSequence([{m}, 1], spawn_key=(i,))",
            "gilbert": f"numpy.random.SeedSequence([{m}, 2], spawn_key=(i,))",
        }}  # fmt: skip
        md += "\n\nReductions to canonical models\n\n" + reductions_markdown(reductions)
    (out / "table.md").write_text(md)
    figs = figures(records, numbers, out)
    prov = {**prov, "figures": figs, "passed": int(df["passed"].sum()), "comparisons": len(df)}
    (out / "results.json").write_text(json.dumps({"provenance": prov, "rows": df.to_dict(orient="records")}, indent=2, default=float))


def reductions_markdown(df: pd.DataFrame) -> str:
    d = df.copy()
    d["CI 95%"] = [f"[{a:.3f}, {b:.3f}]" for a, b in zip(d["lo"], d["hi"], strict=True)]
    return markdown(d, ["reduction", "setting", "statistic", "estimate", "CI 95%", "expected", "n", "passed"])


BEGIN = "<!-- BEGIN GENERATED: {name} -->"
END = "<!-- END GENERATED: {name} -->"


def update_docs(doc: Path, name: str, body: str) -> None:
    """Replace the generated block ``name`` of a Markdown file (appended if missing)."""
    begin, end = BEGIN.format(name=name), END.format(name=name)
    text = doc.read_text() if doc.exists() else ""
    block = f"{begin}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
