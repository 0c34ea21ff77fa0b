"""Opening a stored results directory (docs/RESULTS-FORMAT.md) for the results browser.

Everything is read through the experiments package's public reader (:mod:`experiments.results`:
tables, completed runs only, analysis file names, the scenario discovery of ``abm discover``) and
computed with :mod:`experiments.analysis` (outcome columns, bootstrap summary statistics, ensemble
quantiles): one reader of the format. A calibration directory (``abm calibrate``) is read with
:func:`experiments.calibration.outputs.read_calibration`.
Missing pieces are not errors: each becomes a note the page shows. A path that is not a results
directory raises :class:`ResultsError` with one clear message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from experiments import results as xr
from experiments.analysis import QUANTILES, ensemble, outcome_columns, summary_stats
from experiments.calibration.outputs import CalibrationOutputs, read_calibration
from experiments.storage import ID_COLUMNS, parts

KINDS = ("experiment", "sensitivity", "validation", "calibration")
QUANTILE_NAMES = dict(zip(QUANTILES, ("q05", "q25", "median", "q75", "q95"), strict=True))

__all__ = ["KINDS", "OpenedResults", "ResultsError", "comparison", "discovery_limits", "discovery_tradeoff", "envelopes",
           "milestone_frequencies", "open_results", "outcome_columns", "posterior_histograms", "predictive_rates",
           "row_labels", "step_metrics"]  # fmt: skip


class ResultsError(ValueError):
    """The path is not a readable results directory; the message says why."""


@dataclass
class OpenedResults:
    """A results directory as :func:`experiments.results.load_results` reads it, its ``analysis/``
    tables (keyed by the names of :mod:`experiments.results`) and notes on what is missing."""

    results: xr.Results
    analysis: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    discovery: xr.DiscoveryOutputs | None = None  # DIR/analysis/discovery, if ``abm discover`` ran
    calibration: CalibrationOutputs | None = None  # a calibration directory's outputs (kind "calibration")

    @property
    def path(self) -> Path:
        return self.results.out

    @property
    def manifest(self) -> dict[str, Any]:
        return self.results.manifest

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.path.name)

    @property
    def summary(self) -> pd.DataFrame:
        return self.results.summary

    @property
    def milestones(self) -> pd.DataFrame | None:
        return self.results.milestones

    @property
    def failures(self) -> pd.DataFrame:
        return self.results.failures


def open_results(path: str | Path) -> OpenedResults:
    """Open a results directory; raises ResultsError if it is not one."""
    if not str(path).strip():
        raise ResultsError("give the path of a results directory")
    p = Path(str(path).strip()).expanduser()
    if not p.exists():
        raise ResultsError(f"{p}: no such directory")
    if not p.is_dir():
        raise ResultsError(f"{p}: not a directory (give a results directory holding manifest.json)")
    mf = p / "manifest.json"
    try:
        r = xr.load_results(p)
    except xr.ResultsError:
        raise ResultsError(f"{p}: not a results directory (no manifest.json); see docs/RESULTS-FORMAT.md") from None
    except (OSError, ValueError) as e:  # json.JSONDecodeError is a ValueError
        raise ResultsError(f"{mf}: unreadable manifest ({e})") from None
    kind = r.manifest.get("kind") if isinstance(r.manifest, dict) else None
    if kind not in KINDS:
        got = kind if isinstance(r.manifest, dict) else type(r.manifest).__name__
        raise ResultsError(f"{mf}: 'kind' must be one of {', '.join(KINDS)}, got {got!r}")
    o = OpenedResults(r)
    if kind == "calibration":
        return _open_calibration(o)
    names = xr.SENSITIVITY_TABLES if kind == "sensitivity" else xr.EXPERIMENT_TABLES
    try:
        _ = r.summary, r.failures  # read now: an unreadable table is an error of opening, not of a chart
        for name in names:
            df = r.analysis(name)
            if df is not None:
                o.analysis[name] = df
        o.discovery = r.discovery
    except (OSError, ValueError, KeyError) as e:  # pyarrow errors are ValueError/OSError subclasses
        raise ResultsError(f"{p}: unreadable results table ({type(e).__name__}: {e})") from None
    _note_missing(o)
    return o


def _open_calibration(o: OpenedResults) -> OpenedResults:
    try:
        o.calibration = read_calibration(o.path)
    except (OSError, ValueError, KeyError) as e:
        raise ResultsError(f"{o.path}: unreadable calibration output ({type(e).__name__}: {e})") from None
    if o.calibration is None:
        raise ResultsError(f"{o.path}: a calibration without a posterior table yet (run `abm calibrate` to the end); "
                           "see docs/CALIBRATION.md")  # fmt: skip
    status = o.manifest.get("status")
    if status and status != "complete":
        o.notes.append(f"status: {status} (the posterior is the last stored generation)")
    if o.calibration.predictive.empty:
        o.notes.append("no posterior predictive checks (predictive.draws was 0)")
    return o


def _has(r: OpenedResults, table: str) -> bool:
    return bool(parts(r.path, table))


def _note_missing(r: OpenedResults) -> None:
    if r.kind == "experiment":
        if r.summary.empty:
            r.notes.append("no completed runs yet (summary/ is empty or missing)")
        if not _has(r, "steps"):
            r.notes.append("no steps/ tables: ensemble envelopes need the experiment's outputs.steps")
        if not _has(r, "milestones"):
            r.notes.append("no milestones/ tables: milestone frequencies need outputs.milestones")
    if r.kind == "sensitivity" and xr.SENSITIVITY_INDICES not in r.analysis:
        r.notes.append(f"no {xr.ANALYSIS_DIR}/{xr.SENSITIVITY_INDICES} table: "
                       "run the sensitivity analysis (or `abm report`) first")  # fmt: skip
    if len(r.failures):
        r.notes.append(f"{len(r.failures)} run(s) failed (see failures/)")
    status = r.manifest.get("status")
    if status and status != "complete":
        r.notes.append(f"status: {status} (showing completed runs only)")


def step_metrics(r: OpenedResults) -> list[str]:
    """Numeric columns of the steps/ tables (from the Parquet schema: no table is read)."""
    files = parts(r.path, "steps")
    if not files:
        return []
    schema = pq.read_schema(files[0])
    skip = {*ID_COLUMNS, "step"}
    return [f.name for f in schema if f.name not in skip and (str(f.type).startswith(("double", "float", "int")))]


def comparison(r: OpenedResults, outcome: str, scenarios: list[str] | None = None) -> pd.DataFrame:
    """Scenario x intervention (x design point): n, mean and 95% bootstrap CI of one outcome.

    The stored ``analysis/summary_stats`` when present, else the same statistics computed from
    ``summary/`` by :func:`experiments.analysis.summary_stats`. ``scenarios``: keep only these.
    The ``param.*`` columns that differ between design points are kept (they say what a point is).
    """
    cols = ["scenario", "intervention", "point", "n", "mean", "ci_low", "ci_high"]
    st = r.analysis.get(xr.SUMMARY_STATS)
    if st is None or outcome not in set(st["outcome"]):
        if r.summary.empty or outcome not in r.summary:
            return pd.DataFrame(columns=[*cols, "ci"])
        keep = [c for c in r.summary.columns if c in ID_COLUMNS or c.startswith(("param.", "seed_"))]
        fails = r.failures if len(r.failures) else None
        st = summary_stats(r.summary[[*keep, outcome]], fails)
    varying = [c for c in st.columns if c.startswith("param.") and st[c].nunique(dropna=False) > 1]
    out = st.loc[st["outcome"] == outcome, cols + varying]
    if scenarios is not None:
        out = out[out["scenario"].isin(scenarios)]
    return out.assign(ci="bootstrap 95%").reset_index(drop=True)


def row_labels(cmp: pd.DataFrame) -> list[str]:
    """``P1 / baseline``, and with several design points ``P1 / baseline / point 2: mu=0.3, eps0=0.1``
    (the parameter values that make the design point)."""
    params = [c for c in cmp.columns if c.startswith("param.")]
    points = "point" in cmp and cmp["point"].nunique() > 1
    out = []
    for _, r in cmp.iterrows():
        text = f"{r['scenario']} / {r['intervention']}"
        if points:
            vals = ", ".join(f"{c.removeprefix('param.')}={r[c]:.4g}" for c in params if pd.notna(r[c]))
            text += f" / point {r['point']}" + (f": {vals}" if vals else "")
        out.append(text)
    return out


def envelopes(r: OpenedResults, scenario: str, metric: str) -> pd.DataFrame:
    """Per intervention and step: median and 5/25/75/95% quantiles of ``metric`` over the scenario's
    runs (:func:`experiments.analysis.ensemble`; pooled over design points if there are several)."""
    if metric not in step_metrics(r):
        return pd.DataFrame()
    steps = r.results.load_steps(columns=["scenario", "intervention", "point", "step", metric])
    s = steps[steps["scenario"] == scenario] if steps is not None else None
    if s is None or s.empty:
        return pd.DataFrame()
    q = ensemble(s, metrics=(metric,), by_point=False)
    wide = q.pivot_table(index=["intervention", "step"], columns="quantile", values=metric, sort=False)
    wide.columns = [QUANTILE_NAMES[c] for c in wide.columns]
    return wide.reset_index()


def milestone_frequencies(r: OpenedResults) -> pd.DataFrame:
    """Mean milestones per run by category, for each scenario x intervention (rows) and category (columns)."""
    ms = r.milestones
    if ms is None or r.summary.empty:
        return pd.DataFrame()
    runs = r.summary.groupby(["scenario", "intervention"], sort=False)["run_id"].nunique()
    counts = ms.groupby(["scenario", "intervention", "category"], sort=False).size().unstack(fill_value=0)
    counts = counts.reindex(runs.index, fill_value=0)
    return counts.div(runs, axis=0)



# --------------------------------------------------------------------------- scenario discovery
def _limit_text(b: pd.Series) -> str:
    name = str(b["input"]).removeprefix("param.")
    if b["kind"] == "categorical":
        return f"{name} in {{{str(b['categories']).replace('|', ', ')}}}"
    return f"{name} in [{b['lo']:.3g}, {b['hi']:.3g}]"


def discovery_tradeoff(d: xr.DiscoveryOutputs) -> pd.DataFrame:
    """The peeling trajectory (``id, coverage, density, mass, res_dim, n, k, selected``) with
    ``restricted``: each box's restricted inputs and limits in words ("none" for the whole space)."""
    words: dict[int, str] = {}
    for _, b in d.boxes.iterrows():
        words[int(b["id"])] = "; ".join(filter(None, [words.get(int(b["id"]), ""), _limit_text(b)]))
    t = d.trajectory.copy()
    t["restricted"] = t["id"].map(words).fillna("none")
    t["selected"] = t["id"] == d.meta["selected"]
    return t


def discovery_limits(d: xr.DiscoveryOutputs) -> pd.DataFrame:
    """The selected box: one row per restricted input, its limits, the input's range and quasi-p values."""
    b = d.selected_box
    cols = ["input", "kind", "lo", "hi", "categories", "range_lo", "range_hi", "qp_lo", "qp_hi"]
    out = b[[c for c in cols if c in b]].copy()
    if "categories" in out and not (out["kind"] == "categorical").any():
        out = out.drop(columns="categories")
    return out


# --------------------------------------------------------------------------- calibration
def posterior_histograms(c: CalibrationOutputs, bins: int = 20) -> pd.DataFrame:
    """Weighted posterior histograms over each parameter's prior range, as densities, and the uniform
    prior's density: rows ``parameter, kind (posterior | prior), lo, hi, density, mass``."""
    bounds = c.marginals.set_index("parameter")[["prior_lo", "prior_hi"]] if not c.marginals.empty else None
    w = c.posterior["weight"].to_numpy(float)
    rows: list[dict[str, Any]] = []
    for name in c.parameters:
        x = c.posterior[f"param.{name}"].to_numpy(float)
        if bounds is not None and name in bounds.index:
            lo, hi = (float(v) for v in bounds.loc[name])
        else:
            lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
        hi = hi if hi > lo else lo + 1.0
        mass, edges = np.histogram(x, bins=bins, range=(lo, hi), weights=w / w.sum())
        width = (hi - lo) / bins
        rows += [{"parameter": name, "kind": "posterior", "lo": float(a), "hi": float(b), "density": float(m / width),
                  "mass": float(m)} for a, b, m in zip(edges[:-1], edges[1:], mass, strict=True)]  # fmt: skip
        rows.append({"parameter": name, "kind": "prior", "lo": lo, "hi": hi, "density": 1.0 / (hi - lo), "mass": 1.0})
    return pd.DataFrame(rows, columns=["parameter", "kind", "lo", "hi", "density", "mass"])


def predictive_rates(c: CalibrationOutputs) -> pd.DataFrame:
    """Per statistic of the posterior predictive checks: role (fit | held out), draws, mean and 5-95%
    range of the estimate; ``pass_rate`` (share of draws passing the pattern's test) for pattern
    targets, ``observed`` for observed targets."""
    pp = c.predictive
    if pp.empty or "statistic" not in pp:
        return pd.DataFrame()
    rows = []
    for (stat, role), g in pp.groupby(["statistic", "role"], sort=False):
        e = g["estimate"].to_numpy(float)
        row: dict[str, Any] = {"statistic": str(stat), "role": role, "draws": int(g["draw"].nunique()),
                               "mean": float(np.nanmean(e)), "q05": float(np.nanquantile(e, 0.05)),
                               "q95": float(np.nanquantile(e, 0.95))}  # fmt: skip
        if "passed" in g:
            row["pass_rate"] = float(g["passed"].astype(bool).mean())
        if "observed" in g:
            row["observed"] = float(g["observed"].iat[0])
        rows.append(row)
    return pd.DataFrame(rows)
