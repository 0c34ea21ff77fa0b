"""Reading a stored results directory (docs/RESULTS-FORMAT.md) for the results browser.

Reads files only (pandas/pyarrow), never the model or the runner. Missing pieces are not errors:
each becomes a note the page shows ("no steps/ folder: ensemble envelopes need outputs.steps").
A path that is not a results directory raises :class:`ResultsError` with one clear message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

KINDS = ("experiment", "sensitivity", "validation")
ID_COLUMNS = ["run_id", "scenario", "intervention", "point", "replicate"]
SENSITIVITY_TABLES = ("indices", "convergence", "stability", "noise")


class ResultsError(ValueError):
    """The path is not a readable results directory; the message says why."""


@dataclass
class Results:
    """The tables of one results directory (None where absent) and notes on what is missing."""

    path: Path
    manifest: dict[str, Any]
    summary: pd.DataFrame | None = None
    steps: pd.DataFrame | None = None
    milestones: pd.DataFrame | None = None
    failures: pd.DataFrame | None = None
    analysis: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.path.name)


def read_parts(folder: Path) -> pd.DataFrame | None:
    """Concatenate ``folder/part-*.parquet`` (complete chunks only; dot-files are in-progress), sorted."""
    if not folder.is_dir():
        return None
    parts = sorted(p for p in folder.glob("part-*.parquet") if not p.name.startswith("."))
    if not parts:
        return None
    df = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    keys = [c for c in ("run_id", "step") if c in df.columns]
    return df.sort_values(keys, kind="stable").reset_index(drop=True) if keys else df


def read_table(folder: Path, stem: str) -> pd.DataFrame | None:
    """``folder/stem.parquet`` or ``folder/stem.csv``, whichever exists first."""
    for ext, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        p = folder / f"{stem}{ext}"
        if p.is_file():
            return reader(p)
    return None


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest, checked enough to know how to show the directory."""
    if not path.exists():
        raise ResultsError(f"{path}: no such directory")
    if not path.is_dir():
        raise ResultsError(f"{path}: not a directory (give a results directory holding manifest.json)")
    mf = path / "manifest.json"
    if not mf.is_file():
        raise ResultsError(f"{path}: not a results directory (no manifest.json); see docs/RESULTS-FORMAT.md")
    try:
        manifest = json.loads(mf.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ResultsError(f"{mf}: unreadable manifest ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("kind") not in KINDS:
        got = manifest.get("kind") if isinstance(manifest, dict) else type(manifest).__name__
        raise ResultsError(f"{mf}: 'kind' must be one of {', '.join(KINDS)}, got {got!r}")
    return manifest


def open_results(path: str | Path) -> Results:
    """Read a results directory; raises ResultsError if it is not one."""
    p = Path(str(path).strip()).expanduser()
    if not str(path).strip():
        raise ResultsError("give the path of a results directory")
    r = Results(p, read_manifest(p))
    try:
        r.summary = read_parts(p / "summary")
        done = set(r.summary["run_id"]) if r.summary is not None and "run_id" in r.summary else None
        for name in ("steps", "milestones", "failures"):
            df = read_parts(p / name)
            if df is not None and done is not None and name != "failures" and "run_id" in df:
                df = df[df["run_id"].isin(done)].reset_index(drop=True)  # finished runs only
            if df is not None and name == "failures" and done is not None and "run_id" in df:
                df = df[~df["run_id"].isin(done)].drop_duplicates("run_id", keep="last")
            setattr(r, name, df)
        for stem in ("summary_stats", "paired_effects", *SENSITIVITY_TABLES):
            df = read_table(p / "analysis", stem)
            if df is not None:
                r.analysis[stem] = df
    except (OSError, ValueError, KeyError) as e:  # pyarrow errors are ValueError/OSError subclasses
        raise ResultsError(f"{p}: unreadable results table ({type(e).__name__}: {e})") from None
    _note_missing(r)
    return r


def _note_missing(r: Results) -> None:
    if r.summary is None and r.kind == "experiment":
        r.notes.append("no completed runs yet (summary/ is empty or missing)")
    if r.kind == "experiment":
        if r.steps is None:
            r.notes.append("no steps/ tables: ensemble envelopes need the experiment's outputs.steps")
        if r.milestones is None:
            r.notes.append("no milestones/ tables: milestone frequencies need outputs.milestones")
    if r.kind == "sensitivity" and "indices" not in r.analysis:
        r.notes.append("no analysis/indices table: run the sensitivity analysis (or `abm report`) first")
    if r.failures is not None and len(r.failures):
        r.notes.append(f"{len(r.failures)} run(s) failed (see failures/)")
    status = r.manifest.get("status")
    if status and status != "complete":
        r.notes.append(f"status: {status} (showing completed runs only)")


def outcome_columns(summary: pd.DataFrame) -> list[str]:
    """Numeric outcome columns of a summary table (not ids, seeds or design parameters)."""
    skip = set(ID_COLUMNS) | {"seed_entropy", "seed_spawn_key"}
    return [c for c in summary.columns if c not in skip and not c.startswith("param.") and pd.api.types.is_numeric_dtype(summary[c])]


def comparison(r: Results, outcome: str) -> pd.DataFrame:
    """Scenario x intervention: n, mean and 95% CI of one outcome.

    From the stored ``analysis/summary_stats`` (bootstrap CIs) when present; otherwise a normal
    approximation (mean +/- 1.96 s/sqrt(n)) from ``summary/``, said so in the ``ci`` column.
    """
    st = r.analysis.get("summary_stats")
    if st is not None and {"scenario", "intervention", "outcome", "mean", "ci_low", "ci_high"} <= set(st.columns):
        sub = st[st["outcome"] == outcome]
        if len(sub):
            out = sub[["scenario", "intervention", "n", "mean", "ci_low", "ci_high"]].copy() if "n" in sub else sub[["scenario", "intervention", "mean", "ci_low", "ci_high"]].copy()
            out["ci"] = "bootstrap 95%"
            return out.reset_index(drop=True)
    if r.summary is None or outcome not in r.summary:
        return pd.DataFrame(columns=["scenario", "intervention", "n", "mean", "ci_low", "ci_high", "ci"])
    g = r.summary.groupby(["scenario", "intervention"], sort=False)[outcome]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    half = 1.96 * out["sd"].fillna(0.0) / out["n"].clip(lower=1) ** 0.5
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    out["ci"] = "normal approx. 95%"
    return out.drop(columns="sd")


def envelopes(r: Results, scenario: str, metric: str) -> pd.DataFrame:
    """Per intervention and step: median and 5/25/75/95% quantiles of ``metric`` over runs."""
    if r.steps is None or metric not in r.steps:
        return pd.DataFrame()
    s = r.steps[r.steps["scenario"] == scenario]
    q = s.groupby(["intervention", "step"], sort=False)[metric].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = ["q05", "q25", "median", "q75", "q95"]
    return q.reset_index()


def milestone_frequencies(r: Results) -> pd.DataFrame:
    """Mean milestones per run by category, for each scenario x intervention (rows) and category (columns)."""
    if r.milestones is None or r.summary is None:
        return pd.DataFrame()
    runs = r.summary.groupby(["scenario", "intervention"], sort=False)["run_id"].nunique()
    counts = r.milestones.groupby(["scenario", "intervention", "category"], sort=False).size().unstack(fill_value=0)
    counts = counts.reindex(runs.index, fill_value=0)
    return counts.div(runs, axis=0)
