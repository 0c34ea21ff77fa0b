"""The one entry point for one run, used by the CLI, batch runs, sensitivity analysis and validation.

``run_once(config, seed)`` returns a :class:`RunResult`: the step table, the milestone timeline and
the summary outcomes. Every later tool goes through this function; one that needs more of a run than
the step table passes a read-only ``probe`` (the Deffuant-Weisbuch view path) instead of stepping a model
itself, so its runs replay like any other. Each organization's mean engagement per week (validation's
pattern 3) is recorded by the compiled weeks themselves (``org_engagement=True``): no probe, no stepping.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
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


MILESTONE_TYPES = (("step", "int64"), ("category", "object"), ("valence", "object"), ("name", "object"),
                   ("who", "object"), ("source", "object"))  # the milestone table's columns and dtypes


class RunResult:
    """What one run produces.

    ``steps`` (one row per step 0..T: ``step``, then every outcome of :func:`abm.model.metric_names`) and
    ``milestones`` (``step, category, valence, name, who, source``) are pandas DataFrames, built on first
    access from the columns the run collected and then kept. ``step_columns`` and ``milestone_columns``
    are the same tables as columns (name -> 1-D numpy array, in table order) without building a
    DataFrame: what the batch machinery ships from its workers. A caller that reads only ``summary``
    builds neither table.
    """

    def __init__(
        self,
        steps: pd.DataFrame | Mapping[str, np.ndarray],
        milestones: pd.DataFrame | Mapping[str, Sequence[Any]] | Callable[[], Mapping[str, Sequence[Any]]],
        summary: dict[str, float],
        scenario: Scenario,
        seed: Any = None,
        probes: list[Any] | None = None,
        org_engagement: np.ndarray | None = None,
    ) -> None:
        """``steps``/``milestones``: a DataFrame, or its columns by name (arrays or lists of equal length); the
        milestones also as a function that returns its columns, called on first access."""
        self._steps = steps if isinstance(steps, pd.DataFrame) else None
        self._step_columns = None if isinstance(steps, pd.DataFrame) else dict(steps)
        self._milestones = milestones if isinstance(milestones, pd.DataFrame) else None
        self._milestone_source = milestones if callable(milestones) else None  # (a DataFrame is not callable)
        self._milestone_columns = None if self._milestones is not None or self._milestone_source else dict(milestones)
        self.summary = summary  # final values, times to thresholds, AUC, retention
        self.scenario = scenario
        self.seed = seed
        self.probes = [] if probes is None else probes  # probe(model) after construction and each step
        # mean engagement per organization (rows: before the first week run, then each week), if it was asked for
        self.org_engagement = org_engagement

    @property
    def steps(self) -> pd.DataFrame:
        """The step table: one row per step (0..T), ``step`` then every outcome of ``metric_names()``."""
        if self._steps is None:
            self._steps = pd.DataFrame(self._step_columns, copy=True)  # (its own, writable copy of the columns)
        return self._steps

    @steps.setter
    def steps(self, table: pd.DataFrame) -> None:
        self._steps, self._step_columns = table, None

    @property
    def milestones(self) -> pd.DataFrame:
        """The milestone timeline: ``step`` (int64), ``category``, ``valence``, ``name``, ``who``, ``source``."""
        if self._milestones is None:
            self._milestones = milestone_frame(self._own_milestone_columns())
        return self._milestones

    @milestones.setter
    def milestones(self, table: pd.DataFrame) -> None:
        self._milestones, self._milestone_columns, self._milestone_source = table, None, None

    def _own_milestone_columns(self) -> dict[str, Sequence[Any]]:
        if self._milestone_source is not None:
            self._milestone_columns, self._milestone_source = dict(self._milestone_source()), None
        return self._milestone_columns

    @property
    def step_columns(self) -> dict[str, np.ndarray]:
        """The step table's columns by name, in table order (views of the run's data: copy before changing them)."""
        if self._step_columns is None:
            self._step_columns = {str(c): self._steps[c].to_numpy() for c in self._steps.columns}
        return self._step_columns

    @property
    def milestone_columns(self) -> dict[str, np.ndarray]:
        """The milestone table's columns by name: ``step`` as int64, the text columns as object arrays."""
        if self._milestones is not None:
            return {str(c): self._milestones[c].to_numpy() for c in self._milestones.columns}
        types = dict(MILESTONE_TYPES)
        return {c: np.array(v, dtype=types.get(c, object)) for c, v in self._own_milestone_columns().items()}

    def __repr__(self) -> str:
        return f"RunResult(summary={self.summary!r}, seed={self.seed!r})"


def milestone_frame(columns: Mapping[str, Sequence[Any]] | pd.DataFrame) -> pd.DataFrame:
    """The milestone table from Mesa's table columns (lists) or its DataFrame: ``step`` as int64; typed columns if
    there is no row."""
    if not isinstance(columns, pd.DataFrame):  # arrays first: a DataFrame of lists infers each column's type, slowly
        columns = {c: np.asarray(v, np.int64) if c == "step" else _objects(v) for c, v in columns.items()}
    ms = pd.DataFrame(columns, copy=False)
    if ms.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in MILESTONE_TYPES})
    return ms if ms["step"].dtype == np.int64 else ms.astype({"step": "int64"})  # (astype copies the whole frame)


def _objects(values: Sequence[Any]) -> np.ndarray:
    """``values`` as a 1-D object array (``np.array`` would make a 2-D array of a list of tuples)."""
    out = np.empty(len(values), object)
    out[:] = values
    return out


def summarize(steps: pd.DataFrame | Mapping[str, np.ndarray], milestones: tuple[int, int], sc: Scenario) -> dict[str, float]:
    """Summary outcomes of a run: final values, first steps reaching thresholds, integration AUC.

    ``steps``: the step table, or its columns by name (what :func:`run_model` has at hand); ``milestones``: the rows
    of the milestone table and the partner exits (:meth:`abm.model.IntegrationModel.milestone_counts`).
    """
    p = sc.params
    col = {c: np.asarray(steps[c]) for c in (*SUMMARY_METRICS, "handoff_success", "handoffs")}
    out: dict[str, float] = {f"final_{m}": float(col[m][-1]) for m in SUMMARY_METRICS}
    out["time_to_consensus"] = outcomes.first_reached(col["consensus"], p.consensus_threshold)
    out["time_to_connectivity"] = outcomes.first_reached(col["connectivity"], p.connectivity_threshold)
    out["time_to_integration"] = outcomes.first_reached(col["integration"], p.integration_threshold)
    # normalized area under the integration curve: mean over steps 1..T (trapezoid over unit steps / T)
    integ = col["integration"]
    out["auc_integration"] = float(((integ[1:] + integ[:-1]) / 2.0).sum() / max(len(integ) - 1, 1))  # (np.trapezoid's sum)
    success = col["handoff_success"]  # NaN in a week without hand-offs: the mean of the others (np.nanmean's sum)
    known = ~np.isnan(success)
    out["mean_handoff_success"] = float(np.where(known, success, 0.0).sum() / np.count_nonzero(known)) if col["handoffs"].sum() else float("nan")
    out["max_trust_mean"] = float(col["trust_mean"].max())
    out["exits"] = float(milestones[1])
    out["milestones"] = float(milestones[0])
    out["steps"] = float(len(col["consensus"]) - 1)
    return out


def _milestone_columns(collector: Any, rows: int) -> dict[str, list[Any]] | pd.DataFrame:
    """The first ``rows`` rows of a model's milestone table as its DataCollector collected it: columns of lists
    (copied), or its DataFrame if Mesa keeps the table in another form."""
    tables = getattr(collector, "tables", None)
    cols = tables.get("milestones") if isinstance(tables, dict) else None
    if isinstance(cols, dict) and all(isinstance(v, list) for v in cols.values()):
        return {c: v[:rows] for c, v in cols.items()}
    return milestone_frame(collector.get_table_dataframe("milestones")).iloc[:rows]


def run_model(
    model: IntegrationModel, steps: int, probe: Callable[[IntegrationModel], Any] | None = None,
    org_engagement: bool = False,
) -> RunResult:  # fmt: skip
    """Run an already-built model ``steps`` weeks and collect its tables (the model is released afterwards).

    Without a probe the weeks run in one compiled loop (:meth:`IntegrationModel.run_weeks`, the same
    numbers as stepping). ``probe``, if given, is called with the model before the first step and
    after every :meth:`~IntegrationModel.step`; its ``steps + 1`` return values are ``RunResult.probes``
    (see :func:`run_once`). The step table holds the rows the model collected before (its observation at
    construction, for a fresh model), then one row per week. ``org_engagement``: also record each
    organization's mean engagement (:meth:`IntegrationModel.org_engagement`) before the first week and after
    each, as ``RunResult.org_engagement`` (``steps + 1`` rows, one column per organization), on either path.
    """
    probes: list[Any] = []
    org = np.empty((steps + 1, model.state.n_orgs)) if org_engagement else None
    if org is not None:
        org[0] = model.org_engagement()
    try:
        if probe is None:  # nobody watches between weeks: the compiled loop (same numbers as stepping)
            names = metric_names()
            weeks = model.run_weeks(model.steps + steps, None if org is None else org[1:])
            rows = np.concatenate((model.datacollector.rows(names), weeks))
            rows.flags.writeable = False  # its columns are handed out as views (RunResult.step_columns)
            columns = {"step": np.arange(len(rows)), **dict(zip(names, rows.T, strict=True))}
            table: pd.DataFrame | dict[str, np.ndarray] = columns  # the DataFrame is built if someone reads it
        else:
            probes.append(probe(model))
            for week in range(1, steps + 1):
                model.step()
                if org is not None:
                    org[week] = model.org_engagement()
                probes.append(probe(model))
            table = model.datacollector.get_model_vars_dataframe()
            if not isinstance(table.index, pd.RangeIndex) or table.index.start != 0:
                table = table.reset_index(drop=True)
            table.insert(0, "step", np.arange(len(table)))
            columns = table
        counts = model.milestone_counts()
        ms = functools.partial(_milestone_columns, model.datacollector, counts[0])  # (its text is made if someone reads it)
        return RunResult(table, ms, summarize(columns, counts, model.config), model.config, probes=probes, org_engagement=org)
    finally:
        model.release()


def run_once(
    config: Scenario | str | Path | None = None,
    seed: Any = 0,
    steps: int | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    probe: Callable[[IntegrationModel], Any] | None = None,
    org_engagement: bool = False,
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
        org_engagement: also record each organization's mean engagement after construction and after every
            step (``RunResult.org_engagement``, ``steps + 1`` rows by organization), without a probe's cost.
    """
    sc = config if isinstance(config, Scenario) else (load_scenario(config) if config is not None else Scenario())
    if overrides:
        sc = with_overrides(sc, overrides)
    model = IntegrationModel(sc, seed=seed)
    result = run_model(model, sc.steps if steps is None else steps, probe, org_engagement)
    result.seed = seed
    return result
