"""Analysis of stored results only (never the model): summary statistics, paired effects, ensembles.

Everything here reads a results directory and writes into its ``analysis/`` folder, so
``abm report DIR`` can rebuild it at any time. Tables and plots are per scenario x intervention x
design point (``point``, with the point's ``param.*`` values): runs of different design points are
never pooled, except in an ensemble figure of a design with more than :data:`MAX_POINT_PLOTS` points,
whose title and ``report.md`` say so. A failed run (``failures/``) counts as missing, with its reason.

References: Efron & Tibshirani (1993) An Introduction to the Bootstrap (percentile intervals).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.results import Results, load_results
from experiments.storage import ID_COLUMNS, atomic_write

BOOTSTRAP_SEED = 20240101
BOOTSTRAP_RESAMPLES = 2000
ENSEMBLE_METRICS = ("integration", "consensus", "connectivity")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
NON_OUTCOMES = frozenset({*ID_COLUMNS, "seed_entropy", "seed_spawn_key"})
GROUP = ["scenario", "intervention", "point"]  # one row group of every table: never pooled
MAX_POINT_PLOTS = 12  # designs with more points get one pooled ensemble figure per scenario (said so)
MAX_LISTED = 40  # report.md lists at most this many failed groups, then says how many more
REASON_CHARS = 160


def outcome_columns(summary: pd.DataFrame) -> list[str]:
    """Numeric outcome columns of a summary table (not ids, seeds or parameters)."""
    return [c for c in summary.columns
            if c not in NON_OUTCOMES and not c.startswith("param.") and pd.api.types.is_numeric_dtype(summary[c])]  # fmt: skip


def param_columns(table: pd.DataFrame) -> list[str]:
    """The design parameter columns (``param.<name>``) of a summary or failures table."""
    return [c for c in table.columns if c.startswith("param.")]


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


def _no_failures() -> pd.DataFrame:
    return pd.DataFrame(columns=[*ID_COLUMNS, "error_type", "error"])


def failure_reason(error_type: Any, error: Any) -> str:
    """``ErrorType: first line of the message`` (shortened), as tables and reports show a failure."""
    msg = str(error).strip().splitlines()[0] if isinstance(error, str) and str(error).strip() else ""
    text = f"{error_type}: {msg}" if msg else str(error_type)
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."


def _reasons(failures: pd.DataFrame, label: str = "") -> list[str]:
    """``"<k> failed[ (label)]: <reason>"`` per distinct reason, most frequent first."""
    if failures.empty:
        return []
    reasons = [failure_reason(t, e) for t, e in zip(failures["error_type"], failures["error"], strict=True)]
    counts = pd.Series(reasons).value_counts(sort=True)
    tag = f" ({label})" if label else ""
    return [f"{k} failed{tag}: {r}" for r, k in counts.items()]


def _join(parts: list[str]) -> str:
    return "; ".join(parts)


def reasons_text(failures: pd.DataFrame) -> str:
    """The reasons of some failed runs in one line: the reason alone if there is one, else with counts."""
    why = _reasons(failures)
    return why[0].split(": ", 1)[1] if len(why) == 1 else _join(why)


def _keys(summary: pd.DataFrame, failures: pd.DataFrame, keys: list[str]) -> list[tuple]:
    """Distinct ``keys`` of completed and failed runs, in run order (run_id)."""
    both = pd.concat([summary[["run_id", *keys]], failures[["run_id", *keys]]], ignore_index=True)
    both = both.sort_values("run_id", kind="stable").drop_duplicates(keys)
    return [tuple(k) for k in both[keys].itertuples(index=False)]


def point_parameters(summary: pd.DataFrame, failures: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per design point: ``point`` and its ``param.*`` values (from completed and failed runs)."""
    failures = _no_failures() if failures is None else failures
    cols = param_columns(summary) or param_columns(failures)
    frames = [t[["point", *[c for c in cols if c in t.columns]]] for t in (summary, failures) if len(t)]
    if not frames:
        return pd.DataFrame(columns=["point", *cols])
    table = pd.concat(frames, ignore_index=True)
    # a parameter drawn per replicate (spec `posterior:`) is not a property of the point
    varying = [c for c in table.columns if c != "point" and table.groupby("point")[c].nunique(dropna=False).max() > 1]
    table = table.drop(columns=varying).drop_duplicates("point")
    return table.sort_values("point", kind="stable").reset_index(drop=True)


def point_label(params: pd.DataFrame, point: int) -> str:
    """``point 3 (mu=0.2, eps0=0.05)``: a design point as reports name it."""
    row = params[params["point"] == point]
    if row.empty or len(row.columns) == 1:
        return f"point {point}"
    items = [f"{c[len('param.'):]}={_fmt(v)}" for c, v in row.iloc[0].drop("point").items()]
    more = f", ... {len(items) - 6} more" if len(items) > 6 else ""
    return f"point {point} ({', '.join(items[:6])}{more})"


def _fmt(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float | np.floating) else str(v)


def summary_stats(summary: pd.DataFrame, failures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tidy table: one row per scenario x intervention x design point x outcome.

    Columns ``scenario, intervention, point, param.*, outcome, n, n_missing, n_failed, n_nan, mean,
    median, ci_low, ci_high, missing_reasons``: ``n`` valid values; ``n_missing = n_failed + n_nan``
    (runs recorded in ``failures/`` plus completed runs whose outcome is NaN), with the reasons.
    """
    failures = _no_failures() if failures is None else failures
    outs = outcome_columns(summary)
    params = point_parameters(summary, failures).set_index("point")
    by_group = dict(iter(summary.groupby(GROUP, sort=False))) if len(summary) else {}
    fails = dict(iter(failures.groupby(GROUP, sort=False))) if len(failures) else {}
    rows = []
    for key in _keys(summary, failures, GROUP):
        sc, iv, pt = key
        g = by_group.get(key, summary.iloc[:0])
        f = fails.get(key, failures.iloc[:0])
        fail_reasons = _reasons(f)
        head = {"scenario": sc, "intervention": iv, "point": pt}
        head |= params.loc[pt].to_dict() if pt in params.index else {}
        for col in outs:
            d = _describe(g[col].to_numpy(float))
            n_nan = d.pop("n_missing")
            why = fail_reasons + ([f"{n_nan} NaN"] if n_nan else [])
            rows.append(head | {"outcome": col, "n": d.pop("n"), "n_missing": len(f) + n_nan, "n_failed": len(f),
                                "n_nan": n_nan} | d | {"missing_reasons": _join(why)})  # fmt: skip
    return pd.DataFrame(rows)


def paired_effects(summary: pd.DataFrame, failures: pd.DataFrame | None = None, baseline: str = "baseline") -> pd.DataFrame:
    """Mean paired difference (intervention - baseline, same scenario, point and replicate) with its CI,
    one row per scenario x intervention x design point x outcome. A replicate whose run failed under
    the intervention or the baseline has no pair: it counts in ``n_missing``, with the reason."""
    failures = _no_failures() if failures is None else failures
    if baseline not in set(summary["intervention"]) | set(failures["intervention"]):
        return pd.DataFrame()
    outs = outcome_columns(summary)
    params = point_parameters(summary, failures).set_index("point")
    key = ["scenario", "point", "replicate"]
    done = summary.set_index(["intervention", *key])[outs].sort_index()
    failed = failures.set_index(["intervention", *key]).sort_index()
    have = {name: set(zip(*(t.index.get_level_values(i) for i in range(3)), strict=True))
            for name, t in (("done", done), ("failed", failed))}  # fmt: skip
    levels = ["intervention", "scenario", "point"]

    def side(name: str, sc: str, pt: int) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        ok = done.xs((name, sc, pt), level=levels) if (name, sc, pt) in have["done"] else None
        bad = failed.xs((name, sc, pt), level=levels) if (name, sc, pt) in have["failed"] else None
        return ok, bad

    rows = []
    for sc, iv, pt in _keys(summary, failures, GROUP):
        if iv == baseline:
            continue
        (a, fa), (b, fb) = side(iv, sc, pt), side(baseline, sc, pt)
        reps = [set() if t is None else set(t.index) for t in (a, b, fa, fb)]
        common = sorted(reps[0] & reps[1])
        unpaired = len(set().union(*reps)) - len(common)
        why = _reasons(failures.iloc[:0] if fa is None else fa.reset_index(), iv)
        why += _reasons(failures.iloc[:0] if fb is None else fb.reset_index(), baseline)
        if unpaired > len(reps[2] | reps[3]):
            why.append("runs not completed yet")
        head = {"scenario": sc, "intervention": iv, "point": pt}
        head |= params.loc[pt].to_dict() if pt in params.index else {}
        for col in outs:
            diff = (a.loc[common, col].to_numpy(float) - b.loc[common, col].to_numpy(float)) if common else np.array([])
            d = _describe(diff)
            n_nan = d.pop("n_missing")
            rows.append(head | {"outcome": col, "n": d.pop("n"), "n_missing": unpaired + n_nan, "n_unpaired": unpaired,
                                "n_nan": n_nan} | d | {"missing_reasons": _join(why + ([f"{n_nan} NaN"] if n_nan else []))})  # fmt: skip
    return pd.DataFrame(rows)


def inert_interventions(summary: pd.DataFrame, baseline: str = "baseline") -> dict[str, list[str]]:
    """Intervention -> the scenarios in which it changed nothing: every one of its runs equals its baseline
    pair (same scenario, design point and replicate, so the same seed) in every outcome (NaN equal to NaN)."""
    if summary.empty or baseline not in set(summary["intervention"]):
        return {}
    outs, key = outcome_columns(summary), ["scenario", "point", "replicate"]
    base = summary[summary["intervention"] == baseline].set_index(key)[outs].sort_index()
    found: dict[str, list[str]] = {}
    others = summary[summary["intervention"] != baseline]
    for (iv, sc), runs in others.groupby(["intervention", "scenario"], sort=False):
        runs = runs.set_index(key)[outs].sort_index()
        common = runs.index.intersection(base.index)
        if len(common) and runs.loc[common].equals(base.loc[common]):
            found.setdefault(str(iv), []).append(str(sc))
    return found


def ensemble(steps: pd.DataFrame, metrics: tuple[str, ...] = ENSEMBLE_METRICS, by_point: bool = True) -> pd.DataFrame:
    """Quantiles over replicates of each metric at each step, per scenario, intervention and design point
    (``by_point=False``: pooled over the design's points)."""
    metrics = tuple(m for m in metrics if m in steps.columns)
    keys = ["scenario", "intervention", *(["point"] if by_point and "point" in steps.columns else []), "step"]
    q = steps.groupby(keys, sort=False)[list(metrics)].quantile(list(QUANTILES))
    q.index = q.index.set_names("quantile", level=-1)
    return q.reset_index()


def plot_ensemble(ens: pd.DataFrame, scenario: str, path: Path, point: int | None = None, title: str | None = None) -> None:
    """Median and 50%/90% envelopes of each metric over time, one column per intervention
    (of one design point if ``point`` is given; ``title`` says what the envelopes are over)."""
    from matplotlib.figure import Figure

    d = ens[ens["scenario"] == scenario]
    if point is not None and "point" in d.columns:
        d = d[d["point"] == point]
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
    width = int((1.9 * len(ivs) + 1.0) * 13)  # characters of a 9-point title line
    text = title or f"{scenario}: median and 50%/90% envelopes over replicates"
    fig.suptitle("\n".join(textwrap.wrap(text, width)[:3]), fontsize=9)
    atomic_write(path, lambda p: fig.savefig(p, dpi=90, format="png"))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem) or "scenario"


def _write_table(adir: Path, name: str, df: pd.DataFrame) -> list[Path]:
    written = []
    for ext, w in ((".csv", lambda p: df.to_csv(p, index=False)), (".parquet", lambda p: df.to_parquet(p, index=False))):
        atomic_write(adir / f"{name}{ext}", w)
        written.append(adir / f"{name}{ext}")
    return written


def _ensembles(r: Results, adir: Path, params: pd.DataFrame) -> tuple[list[Path], list[str]]:
    """Ensemble figures: one per scenario and design point, or pooled (said so) for large designs."""
    steps = r.load_steps(columns=["scenario", "intervention", "point", "step", *ENSEMBLE_METRICS])
    if steps is None or steps.empty:
        return [], []
    written, warns = [], []
    for sc in list(dict.fromkeys(steps["scenario"])):
        s = steps[steps["scenario"] == sc]
        points = sorted(s["point"].unique())
        if len(points) > MAX_POINT_PLOTS:
            ens = ensemble(s, by_point=False)
            path = adir / f"ensemble_{_safe(str(sc))}.png"
            plot_ensemble(ens, sc, path, title=f"{sc}: POOLED over {len(points)} design points (each with its own "
                                                 "parameters): median and 50%/90% envelopes over all their runs")  # fmt: skip
            warns.append(f"{path.name}: pools the runs of {len(points)} design points of scenario {sc} (more than "
                         f"{MAX_POINT_PLOTS}, too many figures); per-point values are in summary_stats")  # fmt: skip
            written.append(path)
            continue
        ens = ensemble(s)
        for pt in points:
            name = f"ensemble_{_safe(str(sc))}" + (f"_p{pt}" if len(points) > 1 else "")
            label = point_label(params, pt)
            what = f", design {label}" if len(params.columns) > 1 else ""
            path = adir / f"{name}.png"
            plot_ensemble(ens, sc, path, point=pt, title=f"{sc}{what}: median and 50%/90% envelopes over replicates")
            written.append(path)
    return written, warns


def report_warnings(r: Results, stats: pd.DataFrame | None = None) -> list[str]:
    """Problems a reader of the tables must know: failed runs per design point (with reasons), interventions
    that changed nothing in a scenario, runs not done yet, NaN outcomes."""
    m = r.manifest
    summary, failures = r.summary, r.failures
    params = point_parameters(summary, failures)
    reps = (m.get("spec") or {}).get("replicates")
    out = []
    if len(failures):
        groups = list(failures.groupby(GROUP, sort=False))
        out.append(f"{len(failures)} runs failed, in {len(groups)} scenario x intervention x design point groups "
                   "(counted in n_missing of summary_stats, reasons in missing_reasons; details in failures/; "
                   "rerun them with --retry-failed):")  # fmt: skip
        for (sc, iv, pt), f in groups[:MAX_LISTED]:
            of = f" of {reps}" if reps else ""
            ids = ", ".join(str(i) for i in f["run_id"].head(8)) + (", ..." if len(f) > 8 else "")
            out.append(f"  {sc} / {iv} / {point_label(params, pt)}: {len(f)}{of} runs failed (run_id {ids}): {reasons_text(f)}")
        if len(groups) > MAX_LISTED:
            out.append(f"  ... and {len(groups) - MAX_LISTED} more groups (see failures/)")
    for iv, scenarios in inert_interventions(summary).items():
        out.append(f"{iv} changed nothing in {', '.join(scenarios)}: every run equals its baseline pair (same seed) in every "
                   "outcome. Either the scenario lacks what it switches off (e.g. a feature the program does not have) or "
                   "that never came into play in these runs (e.g. exit, when no partner came near leaving); the zero "
                   "effects there are by construction, not an estimate")  # fmt: skip
    remaining = (m.get("runs") or {}).get("remaining")
    if remaining:
        out.append(f"{remaining} runs not run yet (status {m.get('status')}): tables cover completed runs only; "
                   "run the same command again to resume")  # fmt: skip
    if stats is not None and len(stats) and "n_nan" in stats:
        nan = stats.groupby("outcome", sort=False)[["n_nan", "n"]].sum()
        nan = nan[nan["n_nan"] > 0]
        if len(nan):
            out.append("NaN outcomes (counted in n_missing; a time_to_* NaN means never reached): "
                       + ", ".join(f"{o} {int(v.n_nan)} of {int(v.n_nan + v.n)} runs" for o, v in nan.iterrows()))  # fmt: skip
    return out


def _report_md(r: Results, warns: list[str], files: list[Path]) -> str:
    m = r.manifest
    runs = m.get("runs") or {}
    s = r.summary
    params = point_parameters(s, r.failures)
    lines = [f"# Experiment report: {m.get('name', r.out.name)}", "",
             f"- model `{m.get('model')}`, status {m.get('status')}; runs total {runs.get('total')}, completed "
             f"{runs.get('completed')}, failed {runs.get('failed')}, remaining {runs.get('remaining')}",
             f"- tables (and ensemble figures, up to {MAX_POINT_PLOTS} points) are per scenario x intervention x design point ({len(params)} design points"
             f"{', parameters ' + ', '.join(c[6:] for c in param_columns(params)) if param_columns(params) else ''})",
             "", "## Warnings", ""]  # fmt: skip
    body = [f"  - {w.strip()}" if w.startswith("  ") else f"- {w}" for w in warns]
    lines += body or ["- none"]
    if param_columns(params):
        done = s.groupby("point").size() if len(s) else pd.Series(dtype=int)
        bad = r.failures.groupby("point").size() if len(r.failures) else pd.Series(dtype=int)
        t = params.copy()
        t["completed"] = t["point"].map(done).fillna(0).astype(int)
        t["failed"] = t["point"].map(bad).fillna(0).astype(int)
        lines += ["", "## Design points", "", markdown_table(t.head(200), _fmt)]
        if len(t) > 200:
            lines.append(f"\n... and {len(t) - 200} more (summary_stats has them all)")
    lines += ["", "## Files", "", *[f"- `{p.name}`" for p in files]]
    return "\n".join(lines) + "\n"


def markdown_table(df: pd.DataFrame, fmt=str) -> str:
    """A Markdown table of ``df`` (cells written by ``fmt``), for the reports."""
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "---|" * len(df.columns)
    body = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def write_analysis(out: str | Path, results: Results | None = None) -> list[Path]:
    """Write the analysis/ folder of a results directory (tables, ensemble figures, ``report.md`` with
    its warnings); returns the files written."""
    r = results or load_results(out)
    adir = Path(out) / "analysis"
    adir.mkdir(exist_ok=True)
    for old in [*adir.glob("ensemble_*.png"), adir / "report.md"]:
        old.unlink(missing_ok=True)  # stale figures of an earlier layout
    written: list[Path] = []
    summary, failures = r.summary, r.failures
    if summary.empty and failures.empty:
        return written
    stats = summary_stats(summary, failures)
    for name, df in (("summary_stats", stats), ("paired_effects", paired_effects(summary, failures))):
        if not df.empty:
            written += _write_table(adir, name, df)
    figs, pooled = _ensembles(r, adir, point_parameters(summary, failures))
    written += figs
    warns = report_warnings(r, stats) + pooled
    md = adir / "report.md"
    text = _report_md(r, warns, written)
    atomic_write(md, lambda p: p.write_text(text))
    written.append(md)
    return written
