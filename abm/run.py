"""The one entry point for one run, used by the CLI, batch runs, sensitivity analysis and validation.

``run_once(config, seed)`` returns a :class:`RunResult`: the step table, the milestone timeline and
the summary outcomes. Every later tool goes through this function; one that needs more of a run than
the step table (validation's per-organization engagement, the Deffuant-Weisbuch view path) passes a
read-only ``probe`` instead of stepping a model itself, so its runs replay like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm import outcomes
from abm.config import Scenario, load_scenario, with_overrides
from abm.model import IntegrationModel, metric_names

SUMMARY_METRICS = (
    "consensus", "connectivity", "integration", "trust_mean", "trust_min", "engagement",
    "engagement_physicians", "mean_link_level", "retention", "active_partners",
)  # fmt: skip


@dataclass
class RunResult:
    """What one run produces."""

    steps: pd.DataFrame  # one row per step (0..T): every outcome of abm.model.metric_names()
    milestones: pd.DataFrame  # step, category, valence, name, who, source
    summary: dict[str, float]  # final values, times to thresholds, AUC, retention
    scenario: Scenario = field(repr=False)
    seed: Any = None
    probes: list[Any] = field(default_factory=list, repr=False)  # probe(model) after construction and each step


def summarize(steps: pd.DataFrame | Mapping[str, np.ndarray], milestones: pd.DataFrame, sc: Scenario) -> dict[str, float]:
    """Summary outcomes of a run: final values, first steps reaching thresholds, integration AUC.

    ``steps``: the step table, or its columns as arrays by name (what :func:`run_model` has at hand).
    """
    p = sc.params
    col = {c: np.asarray(steps[c]) for c in (*SUMMARY_METRICS, "handoff_success", "handoffs")}
    out: dict[str, float] = {f"final_{m}": float(col[m][-1]) for m in SUMMARY_METRICS}
    out["time_to_consensus"] = outcomes.first_reached(col["consensus"], p.consensus_threshold)
    out["time_to_connectivity"] = outcomes.first_reached(col["connectivity"], p.connectivity_threshold)
    out["time_to_integration"] = outcomes.first_reached(col["integration"], p.integration_threshold)
    # normalized area under the integration curve: mean over steps 1..T (trapezoid over unit steps / T)
    integ = col["integration"]
    out["auc_integration"] = float(np.trapezoid(integ) / max(len(integ) - 1, 1))
    out["mean_handoff_success"] = float(np.nanmean(col["handoff_success"])) if col["handoffs"].sum() else float("nan")
    out["max_trust_mean"] = float(col["trust_mean"].max())
    out["exits"] = float((milestones["name"] == "partner exit").sum()) if len(milestones) else 0.0
    out["milestones"] = float(len(milestones))
    out["steps"] = float(len(col["consensus"]) - 1)
    return out


def run_model(
    model: IntegrationModel, steps: int, probe: Callable[[IntegrationModel], Any] | None = None
) -> RunResult:
    """Run an already-built model ``steps`` weeks and collect its tables (the model is released afterwards).

    Without a probe the weeks run in one compiled loop (:meth:`IntegrationModel.run_weeks`, the same
    numbers as stepping). ``probe``, if given, is called with the model before the first step and
    after every :meth:`~IntegrationModel.step`; its ``steps + 1`` return values are ``RunResult.probes``
    (see :func:`run_once`). The step table holds the rows the model collected before (its observation at
    construction, for a fresh model), then one row per week.
    """
    probes: list[Any] = []
    try:
        if probe is None:  # nobody watches between weeks: the compiled loop (same numbers as stepping)
            names = metric_names()
            rows = np.concatenate((model.datacollector.rows(names), model.run_weeks(model.steps + steps)))
            columns = dict(zip(names, rows.T, strict=True))
            table = pd.DataFrame({"step": np.arange(len(rows)), **columns})
        else:
            probes.append(probe(model))
            for _ in range(steps):
                model.step()
                probes.append(probe(model))
            table = model.datacollector.get_model_vars_dataframe()
            if not isinstance(table.index, pd.RangeIndex) or table.index.start != 0:
                table = table.reset_index(drop=True)
            table.insert(0, "step", np.arange(len(table)))
            columns = table
        ms = model.datacollector.get_table_dataframe("milestones")
        if ms.empty:
            ms = pd.DataFrame({c: pd.Series(dtype=t) for c, t in (("step", "int64"), ("category", "object"), ("valence", "object"), ("name", "object"), ("who", "object"), ("source", "object"))})
        if ms["step"].dtype != np.int64:  # (astype copies the whole frame even when it changes nothing)
            ms = ms.astype({"step": "int64"})
        return RunResult(table, ms, summarize(columns, ms, model.config), model.config, probes=probes)
    finally:
        model.release()


def run_once(
    config: Scenario | str | Path | None = None,
    seed: Any = 0,
    steps: int | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    probe: Callable[[IntegrationModel], Any] | None = None,
) -> RunResult:
    """Run one simulation.

    Args:
        config: a validated Scenario, a built-in program name ("P1".."P6") or a YAML path.
        seed: an int or a ``numpy.random.SeedSequence``; the same seed gives an identical run.
        steps: horizon (default: the scenario's ``steps``).
        overrides: dotted-key overrides (``{"params.mu": 0.2, "program.pathway": "top_down"}``).
        probe: optional ``probe(model) -> value``, called once after the model is built (step 0)
            and once after every step; the ``steps + 1`` values are returned in
            ``RunResult.probes`` (empty without a probe). Use it to record what the step table
            does not hold, e.g. ``lambda m: m.state.views[:, 0].copy()``. A probe must only
            read: it must not step the model, draw from ``model.rng`` or write to ``model.state``,
            so a run gives the same numbers with or without it. Copy arrays it returns (the
            model updates its arrays in place). Without a probe the weeks run in one compiled
            loop (:meth:`IntegrationModel.run_weeks`); with one, the model is stepped week by
            week (:meth:`IntegrationModel.step`). Both give the same numbers, bit for bit.
    """
    sc = config if isinstance(config, Scenario) else (load_scenario(config) if config is not None else Scenario())
    if overrides:
        sc = with_overrides(sc, overrides)
    model = IntegrationModel(sc, seed=seed)
    result = run_model(model, sc.steps if steps is None else steps, probe)
    result.seed = seed
    return result
