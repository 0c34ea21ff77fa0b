"""Reading a results directory back as pandas tables (sorted by run_id, completed runs only)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from experiments.storage import parts, read_frame, read_manifest

# The derived tables of ``DIR/analysis`` (docs/RESULTS-FORMAT.md, docs/SENSITIVITY.md), each written as
# ``<name>.parquet`` and ``<name>.csv``: by :func:`experiments.analysis.write_analysis` (experiments)
# and :func:`experiments.sensitivity.writer.write_report` (sensitivity analyses).
ANALYSIS_DIR = "analysis"
SUMMARY_STATS = "summary_stats"
PAIRED_EFFECTS = "paired_effects"
SENSITIVITY_INDICES = "sensitivity_indices"
SENSITIVITY_CONVERGENCE = "sensitivity_convergence"
SENSITIVITY_STABILITY = "sensitivity_stability"
SENSITIVITY_NOISE = "sensitivity_noise"
EXPERIMENT_TABLES = (SUMMARY_STATS, PAIRED_EFFECTS)
SENSITIVITY_TABLES = (SENSITIVITY_INDICES, SENSITIVITY_CONVERGENCE, SENSITIVITY_STABILITY, SENSITIVITY_NOISE)


DISCOVERY_DIR = "discovery"  # DIR/analysis/discovery: written by `abm discover` (experiments.discovery.writer)


@dataclass
class DiscoveryOutputs:
    """What ``abm discover`` wrote: the question and options (``meta``, from ``discovery.json``), the
    peeling ``trajectory``, the ``boxes`` (limits of every box), the ``summary`` text and the plots."""

    folder: Path
    meta: dict[str, Any]
    trajectory: pd.DataFrame
    boxes: pd.DataFrame
    summary: str
    tradeoff_png: Path
    box_png: Path

    @property
    def selected_box(self) -> pd.DataFrame:
        """The limits of the selected box (one row per restricted input)."""
        return self.boxes[self.boxes["id"] == self.meta["selected"]].reset_index(drop=True)


def read_discovery(out: str | Path) -> DiscoveryOutputs | None:
    """``out/analysis/discovery`` as written by ``abm discover``, or None if there is none."""
    folder = Path(out) / ANALYSIS_DIR / DISCOVERY_DIR
    if not (folder / "discovery.json").is_file():
        return None
    boxes = pd.read_csv(folder / "boxes.csv", keep_default_na=False, na_values=[""])
    boxes["categories"] = boxes["categories"].fillna("").astype(str)
    return DiscoveryOutputs(folder, json.loads((folder / "discovery.json").read_text()),
                            pd.read_csv(folder / "trajectory.csv"), boxes, (folder / "summary.md").read_text(),
                            folder / "tradeoff.png", folder / "box.png")  # fmt: skip


class ResultsError(ValueError):
    """The directory is not a readable results directory."""


def read_analysis_table(out: str | Path, name: str) -> pd.DataFrame | None:
    """``out/analysis/<name>.parquet`` (or ``.csv`` if only that exists); None if neither exists."""
    folder = Path(out) / ANALYSIS_DIR
    if (folder / f"{name}.parquet").is_file():
        return read_frame(folder / f"{name}.parquet")
    if (folder / f"{name}.csv").is_file():
        return pd.read_csv(folder / f"{name}.csv")
    return None


def _read(out: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame | None:
    files = parts(out, table)
    if not files:
        return None
    frames = []
    for f in files:
        cols = None
        if columns is not None:
            names = pq.read_schema(f).names
            cols = [c for c in columns if c in names]
        frames.append(read_frame(f, columns=cols))
    return pd.concat(frames, ignore_index=True)


class Results:
    """The tables of a results directory, each read on first access.

    ``summary`` (one row per completed run), ``steps`` and ``milestones`` (completed runs only),
    ``failures`` (runs that failed and never succeeded); all sorted by ``run_id`` (and ``step``).
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        manifest = read_manifest(self.out)
        if manifest is None:
            raise ResultsError(f"{self.out}: not a results directory (no manifest.json)")
        self.manifest: dict[str, Any] = manifest

    @cached_property
    def summary(self) -> pd.DataFrame:
        df = _read(self.out, "summary")
        if df is None:
            return pd.DataFrame(columns=["run_id", "scenario", "intervention", "point", "replicate"])
        return df.drop_duplicates("run_id").sort_values("run_id", kind="stable").reset_index(drop=True)

    def _long(self, table: str, columns: list[str] | None = None) -> pd.DataFrame | None:
        read_cols = None if columns is None else list(dict.fromkeys(["run_id", *columns]))
        df = _read(self.out, table, read_cols)
        if df is None:
            return None
        done = set(self.summary["run_id"])
        df = df[df["run_id"].isin(done)]
        order = ["run_id", "step"] if "step" in df.columns else ["run_id"]
        df = df.sort_values(order, kind="stable").reset_index(drop=True)
        if table == "steps":
            df = df.drop_duplicates(["run_id", "step"]).reset_index(drop=True)
        return df if columns is None or "run_id" in columns else df.drop(columns="run_id")

    def load_steps(self, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The step table, optionally only some columns (less memory for large sweeps)."""
        return self._long("steps", columns)

    @cached_property
    def steps(self) -> pd.DataFrame | None:
        return self._long("steps")

    @cached_property
    def milestones(self) -> pd.DataFrame | None:
        return self._long("milestones")

    @cached_property
    def failures(self) -> pd.DataFrame:
        df = _read(self.out, "failures")
        if df is None:
            return pd.DataFrame(columns=["run_id", "scenario", "intervention", "point", "replicate", "error_type", "error"])
        df = df[~df["run_id"].isin(set(self.summary["run_id"]))]
        df = df.drop_duplicates("run_id", keep="last")
        return df.sort_values("run_id", kind="stable").reset_index(drop=True)

    def analysis(self, name: str) -> pd.DataFrame | None:
        """A derived table of ``analysis/`` (e.g. :data:`SUMMARY_STATS`, :data:`SENSITIVITY_INDICES`), or None."""
        return read_analysis_table(self.out, name)

    @property
    def sensitivity_indices(self) -> pd.DataFrame | None:
        """The tidy index table of a sensitivity analysis (``outcome, statistic, method, N, index,
        parameter, parameter2, value, conf, lo, hi``), or None before ``abm report``."""
        return self.analysis(SENSITIVITY_INDICES)

    @property
    def discovery(self) -> DiscoveryOutputs | None:
        """The scenario discovery of ``abm discover`` (:func:`read_discovery`), or None."""
        return read_discovery(self.out)

    def __repr__(self) -> str:
        r = self.manifest.get("runs", {})
        return f"Results({str(self.out)!r}, kind={self.manifest.get('kind')!r}, runs={r})"


def load_results(out: str | Path) -> Results:
    """Open a results directory (tables are read lazily: ``r.summary``, ``r.steps``, ...)."""
    return Results(out)
