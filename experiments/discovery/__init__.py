"""Scenario discovery over a stored experiment: under which inputs does an outcome cross a threshold?

:func:`discover` reads a results directory through :mod:`experiments.results` (its summary table),
marks the runs of interest (``outcome > threshold``, or ``< threshold`` with ``below``; a NaN outcome,
e.g. a ``time_to_*`` never reached, is never of interest), and runs PRIM over the inputs that vary
across runs: the design parameters (``param.*`` columns) and the scenario and intervention factors.
It writes ``DIR/analysis/discovery/`` (:mod:`experiments.discovery.writer`); read it back with
:func:`experiments.results.read_discovery`.

PRIM implementation: EMA Workbench's where it is installed (the ``ema`` extra, Python >= 3.12), else
our own (:mod:`experiments.discovery.prim`, which says why); ``method`` picks one explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from experiments.discovery.prim import PrimResult

ID_COLUMNS = ("run_id", "scenario", "intervention", "point", "replicate", "seed_entropy", "seed_spawn_key")
FACTORS = ("scenario", "intervention")
Method = Literal["auto", "ema", "own"]


class DiscoveryError(ValueError):
    """Bad input to scenario discovery (one line, naming the directory or option and what was expected)."""


@dataclass
class Discovery:
    """A discovery run: its question, inputs, the PRIM result and the box chosen on the trajectory."""

    out: Path
    outcome: str
    threshold: float
    below: bool
    n_runs: int
    n_interest: int
    inputs: list[str]
    result: PrimResult
    selected: int
    min_coverage: float


def outcome_columns(summary: pd.DataFrame) -> list[str]:
    """The summary's numeric outcome columns (not identifiers, seeds or design parameters)."""
    return [c for c in summary.columns if c not in ID_COLUMNS and not c.startswith("param.")
            and pd.api.types.is_numeric_dtype(summary[c]) and not pd.api.types.is_bool_dtype(summary[c])]  # fmt: skip


def input_columns(summary: pd.DataFrame) -> list[str]:
    """The inputs that vary across runs: ``param.*`` columns, then the scenario and intervention factors."""
    cols = [c for c in summary.columns if c.startswith("param.")] + [c for c in FACTORS if c in summary.columns]
    return [c for c in cols if summary[c].nunique(dropna=False) > 1]


def select_box(trajectory: pd.DataFrame, min_coverage: float) -> int:
    """The box to report: among those with coverage >= ``min_coverage``, the best balance of coverage and
    density (their harmonic mean; ties: fewer restrictions, then more coverage). Peeling on past it buys a
    little density, often noise, for much coverage; the trajectory keeps every box for another choice."""
    ok = trajectory[trajectory["coverage"] >= min_coverage - 1e-12].copy()
    if ok.empty:
        return 0
    ok["balance"] = 2 * ok["coverage"] * ok["density"] / (ok["coverage"] + ok["density"])
    best = ok.sort_values(["balance", "res_dim", "coverage"], ascending=[False, True, False], kind="stable")
    return int(best["id"].iloc[0])


def _backend(method: Method):
    from experiments.discovery import ema_prim
    from experiments.discovery import prim as own

    if method == "ema" and not ema_prim.available():
        raise DiscoveryError("--method ema: EMA Workbench is not installed (pip install 'integration-abm[ema]', Python >= 3.12)")
    return ema_prim.prim if method == "ema" or (method == "auto" and ema_prim.available()) else own.prim


def discover(out: str | Path, outcome: str, threshold: float, below: bool = False, *, min_coverage: float = 0.5,
             peel_alpha: float = 0.05, mass_min: float = 0.05, method: Method = "auto") -> Discovery:  # fmt: skip
    """Run PRIM on a results directory (nothing is written; see :func:`experiments.discovery.writer.write_discovery`)."""
    from experiments.results import ResultsError, load_results

    out = Path(out)
    if not out.is_dir():
        raise DiscoveryError(f"{out}: no such results directory")
    try:
        summary = load_results(out).summary
    except ResultsError as e:
        raise DiscoveryError(str(e)) from None
    if summary.empty:
        raise DiscoveryError(f"{out}: no completed runs to analyse")
    valid = outcome_columns(summary)
    if outcome not in valid:
        raise DiscoveryError(f"{out}: --outcome: unknown outcome {outcome!r}; expected one of {', '.join(valid)}")
    if not np.isfinite(threshold):
        raise DiscoveryError(f"--threshold: expected a finite number, got {threshold}")
    inputs = input_columns(summary)
    if not inputs:
        raise DiscoveryError(f"{out}: no varied inputs (every design parameter, scenario and intervention is the same in "
                             "all runs); expected an experiment with a design, several scenarios or interventions")  # fmt: skip
    values = summary[outcome].to_numpy(float)
    with np.errstate(invalid="ignore"):
        y = values < threshold if below else values > threshold
    side = "below" if below else "above"
    if not y.any() or y.all():
        lo, hi = np.nanmin(values), np.nanmax(values)
        raise DiscoveryError(f"--threshold: {outcome} {side} {threshold:g} selects {'no' if not y.any() else 'all'} of the "
                             f"{len(y)} runs (observed range {lo:g} .. {hi:g}); expected a threshold that splits them")  # fmt: skip
    for name, v in (("--min-coverage", min_coverage), ("--mass-min", mass_min)):
        if not 0 < v <= 1:
            raise DiscoveryError(f"{name}: expected a number in (0, 1], got {v}")
    if not 0 < peel_alpha < 0.5:
        raise DiscoveryError(f"--peel-alpha: expected a number in (0, 0.5), got {peel_alpha}")
    x = summary[inputs].copy()
    for c in x.columns:  # on/off switches (e.g. a feature or mechanism in the design) are categories
        if pd.api.types.is_bool_dtype(x[c]) or not pd.api.types.is_numeric_dtype(x[c]):
            x[c] = x[c].astype(str)
    result = _backend(method)(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
    return Discovery(out, outcome, float(threshold), below, len(y), int(y.sum()), inputs, result,
                     select_box(result.trajectory, min_coverage), min_coverage)  # fmt: skip
