"""Resolving a spec into a plan: scenarios loaded, interventions and design checked, runs enumerated.

Every check that can fail on bad input happens here, before anything runs. Runs are enumerated
lazily by index (``run_id``), in the order scenario, intervention, design point, replicate.
Seeds are data: run (point p, replicate r) uses ``SeedSequence(master).spawn(P)[p].spawn(R)[r]``,
i.e. ``SeedSequence(master, spawn_key=(p, r))``, whatever its scenario or intervention (common random
numbers). Raising the replicate count adds seeds without changing the existing ones.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.config import ConfigError, Scenario, builtin_programs, load_scenario, with_overrides
from experiments.design import build_design, check_integers, override_key, point_overrides
from experiments.spec import BUILTIN_INTERVENTIONS, ExperimentSpec, RowsDesign, SpecError


@dataclass(frozen=True)
class RunTask:
    """One run to do: identifiers, seed index and the overrides to apply."""

    run_id: int
    scenario: str
    intervention: str
    point: int
    replicate: int
    spawn_key: tuple[int, int]
    overrides: dict[str, Any]


@dataclass
class Plan:
    """A resolved spec: everything a runner needs, checked."""

    spec: ExperimentSpec
    scenarios: dict[str, Scenario]
    interventions: dict[str, dict[str, Any]]
    design: pd.DataFrame
    spec_hash: str
    source: str = "<spec>"
    posterior: Any = None  # experiments.calibration.posterior.Posterior: per-replicate parameter draws
    _points: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _design_rows: list[dict[str, Any]] | None = field(default=None, repr=False)  # param_values' rows, built once

    @property
    def n_points(self) -> int:
        return len(self.design)

    @property
    def n_runs(self) -> int:
        return len(self.scenarios) * len(self.interventions) * self.n_points * self.spec.replicates

    @property
    def parameters(self) -> list[str]:
        return [c.removeprefix("param.") for c in self.design.columns]

    def task(self, run_id: int) -> RunTask:
        """The run with this id."""
        rest, r = divmod(run_id, self.spec.replicates)
        rest, p = divmod(rest, self.n_points)
        s, i = divmod(rest, len(self.interventions))
        if not 0 <= s < len(self.scenarios):
            raise IndexError(run_id)
        iname = list(self.interventions)[i]
        drawn = self.posterior.overrides(self.spec.seed, r) if self.posterior is not None else {}
        overrides = {**self._points[p], **drawn, **self.interventions[iname]}
        return RunTask(run_id, list(self.scenarios)[s], iname, p, r, (p, r), overrides)

    def tasks(self, skip: set[int] | frozenset[int] = frozenset()) -> Iterator[RunTask]:
        """All runs not in ``skip``, in run_id order."""
        return (self.task(k) for k in range(self.n_runs) if k not in skip)

    def seed(self, task: RunTask) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.spec.seed, spawn_key=task.spawn_key)

    def param_values(self, task: RunTask) -> dict[str, Any]:
        """The design's values of this run's point (plain Python scalars, by column), and its posterior draw."""
        if self._design_rows is None:  # once per plan (pandas boxes to Python scalars): not a DataFrame lookup per run
            self._design_rows = self.design.to_dict("records") if len(self.design.columns) else [{}] * len(self.design)
        values = dict(self._design_rows[task.point])
        if self.posterior is not None:  # the replicate's posterior draw
            values |= {f"param.{k}": v for k, v in self.posterior.draw(self.spec.seed, task.replicate).items()}
        return values


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested overrides -> dotted keys ({'params': {'mu': 0.2}} -> {'params.mu': 0.2})."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def load_model(ref: str) -> Callable[..., Any]:
    """Import 'module:function'."""
    module, _, name = ref.partition(":")
    fn = getattr(importlib.import_module(module), name)
    if not callable(fn):
        raise TypeError(f"{ref} is not callable")
    return fn


def _resolve_scenario(label: str, base: Path, source: str, i: int) -> Scenario:
    programs = builtin_programs()
    if label.upper() in programs:
        return load_scenario(programs[label.upper()])  # (parsed once while the file is unchanged)
    path = Path(label)
    if not path.is_absolute() and not path.exists():
        path = base / path
    if not path.exists():
        known = ", ".join(builtin_programs())
        raise SpecError(f"{source}: scenarios.{i}: unknown scenario {label!r}; expected a built-in program ({known}) or an existing config file")
    try:
        return load_scenario(path)
    except ConfigError as e:
        raise SpecError(f"{source}: scenarios.{i}: {e}") from None


def _interventions(spec: ExperimentSpec, source: str) -> dict[str, dict[str, Any]]:
    raw = spec.interventions
    items = [(n, None) for n in raw] if isinstance(raw, list) else list(raw.items())
    out = {}
    for name, over in items:
        if over is None:
            if name not in BUILTIN_INTERVENTIONS:
                known = ", ".join(BUILTIN_INTERVENTIONS)
                raise SpecError(f"{source}: interventions.{name}: unknown intervention; expected a built-in ({known}) or a mapping of overrides")
            over = BUILTIN_INTERVENTIONS[name]
        out[name] = flatten(over)
    return out


def _check(sc: Scenario, overrides: dict[str, Any], where: str, source: str) -> None:
    if not overrides:
        return
    try:
        with_overrides(sc, overrides)
    except ConfigError as e:
        detail = str(e).split("invalid config: ", 1)[-1]
        raise SpecError(f"{source}: {where}: {detail}") from None


def _check_bounds(spec: ExperimentSpec, scenarios: dict[str, Scenario], source: str) -> None:
    """Bounds of a sampled design are checked as bounds (before sampling), naming the bound and the range."""
    from abm.params import numeric_fields

    if spec.design.type not in ("lhs", "sobol", "morris"):
        return
    check_integers(spec.design, pd.DataFrame(), source)
    schema = numeric_fields()
    for name, (lo, hi) in spec.design.parameters.items():
        key = override_key(name)
        field = f"design.parameters.{name}"
        entry = schema.get(key.removeprefix("params.")) if key.startswith("params.") else None
        slo, shi = (entry["lo"], entry["hi"]) if entry is not None else (None, None)
        for which, v in (("lower", lo), ("upper", hi)):
            if slo is not None and shi is not None and not slo <= v <= shi:
                raise SpecError(f"{source}: {field}: {which} bound {v:g} is outside the allowed range [{slo:g}, {shi:g}] of {key}")
            for sc in scenarios.values():
                try:
                    with_overrides(sc, {key: v})
                except ConfigError as e:
                    detail = str(e).split("invalid config: ", 1)[-1]
                    raise SpecError(f"{source}: {field}: {which} bound {v:g} is not allowed ({detail})") from None


def _probes(design: pd.DataFrame, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Overrides that check every design value cheaply: each distinct value of each parameter
    (or its min and max if there are many), and the first and last full rows."""
    out = [points[0], points[-1]] if design.columns.size else []
    for col in design.columns:
        values = design[col].drop_duplicates()
        if len(values) > 20 and pd.api.types.is_numeric_dtype(values):
            values = pd.Series([values.min(), values.max()])
        out += [point_overrides({col: v}) for v in values]
    return out


def _posterior(spec: ExperimentSpec, design: pd.DataFrame, scenarios: dict[str, Scenario], check: bool) -> Any:
    """The posterior a spec names (relative to the spec's folder), checked against design and scenarios."""
    from experiments.calibration.posterior import PosteriorError, load_posterior

    path = Path(spec.posterior)  # type: ignore[arg-type]
    if not path.is_absolute() and not path.exists():
        path = Path(spec.base_dir) / path
    try:
        post = load_posterior(path)
    except PosteriorError as e:
        raise SpecError(f"{spec.source}: posterior: {e}") from None
    both = sorted(set(post.names) & {c.removeprefix("param.") for c in design.columns})
    if both:
        raise SpecError(f"{spec.source}: posterior: parameter(s) {both} are both drawn from the posterior and set by the design; keep one")
    for sc in scenarios.values() if check else ():
        _check(sc, post.overrides(spec.seed, 0), "posterior", spec.source)
    return post


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def resolve(spec: ExperimentSpec, check_overrides: bool = True) -> Plan:
    """Check a spec against the model and enumerate its runs (raises :class:`SpecError`).

    ``check_overrides=False`` skips checking design and intervention overrides against the ABM's
    Scenario schema: for a custom model function whose parameters are not the ABM's (e.g. Ishigami).
    """
    base, source = Path(spec.base_dir), spec.source
    try:
        load_model(spec.model)
    except (ImportError, AttributeError, TypeError, ValueError) as e:
        raise SpecError(f"{source}: model: cannot import {spec.model!r} ({e}); expected 'module:function'") from None
    scenarios = {lab: _resolve_scenario(lab, base, source, i) for i, lab in enumerate(spec.scenarios)}
    interventions = _interventions(spec, source)
    if check_overrides:
        _check_bounds(spec, scenarios, source)
    design = build_design(spec.design, spec.seed, base, source)
    points = [point_overrides(row) for row in design.to_dict("records")] if len(design.columns) else [{}] * len(design)
    probe = _probes(design, points)
    for sc in scenarios.values() if check_overrides else ():
        for name, over in interventions.items():
            _check(sc, over, f"interventions.{name}", source)
        for over in probe:
            _check(sc, over, "design.parameters", source)
    if spec.outputs.step_metrics is not None:
        from abm.model import metric_names

        known = set(metric_names())
        bad = [m for m in spec.outputs.step_metrics if m not in known]
        if bad:
            raise SpecError(f"{source}: outputs.step_metrics: unknown metric(s) {bad}; expected some of {sorted(known)}")
    # what cannot change results stays out of the hash: the executor, the description, chunking
    body = spec.model_dump(mode="json", exclude={"executor": True, "description": True,
                                                 "outputs": {"chunk_runs", "chunk_seconds"}})  # fmt: skip
    if isinstance(spec.design, RowsDesign):
        body["design"] = {"type": "rows", "rows_sha256": _sha(spec.design.rows)}
    body["scenario_digests"] = {k: v.digest() for k, v in scenarios.items()}
    body["design_sha256"] = _sha(design.to_dict("list"))
    post = _posterior(spec, design, scenarios, check_overrides) if spec.posterior else None
    if post is not None:
        body["posterior"] = post.digest  # the particles and weights, not the path
    plan = Plan(spec, scenarios, interventions, design, _sha(body)[:20], source, post)
    plan._points = points
    return plan
