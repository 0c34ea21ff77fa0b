"""The calibration spec: a YAML file validated by a frozen schema, then checked against the model.

:func:`load_calibration` reads and validates a spec and :func:`resolve` checks it against the model
(parameter names and bounds against ``abm/params.py``, pattern ids against the validation suite,
outcome names against what the model returns); every failure is a :class:`SpecError`
``<file>: <field>: <expected>`` raised before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator

from abm.config import ConfigError, Scenario, read_yaml
from abm.params import Frozen
from experiments.spec import MAX_SEED, Executor, LocalExecutor, SpecError, format_errors

DEFAULT_MODEL = "abm.run:run_once"


class Targets(Frozen):
    """What the fit is to: observed outcome means, or ids of the pattern suite (not both)."""

    observed: dict[str, float | dict[str, float]] | None = Field(
        None, description="outcome -> observed mean (one scenario), or scenario -> {outcome: mean}")
    patterns: list[str | int] | None = Field(None, description="pattern numbers (all their comparisons) or comparison keys, e.g. [1a, 2, 3]")


class Predictive(Frozen):
    """Posterior predictive checks after the fit: draws from the posterior, replicates per draw."""

    draws: int = Field(10, ge=0, le=10_000)
    replicates: int = Field(20, ge=2, le=10_000)


class CalibrationSpec(Frozen):
    """An ABC-SMC calibration: parameters with uniform priors, targets, and the sampler's budget."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    model: str = Field(DEFAULT_MODEL, pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
                       description="one-run function 'module:function' with run_once's signature")
    scenario: str | None = Field(None, description="a built-in program (P1..P6) or a config path")
    scenarios: list[str] | None = Field(None, min_length=1, description="several scenarios: a joint fit with shared parameters")
    parameters: dict[str, tuple[float, float] | None] = Field(
        min_length=1, description="name -> [lo, hi] (uniform prior), or null for the declared range")
    targets: Targets
    holdout: list[str | int] = Field(default_factory=list, description="pattern ids left out of the fit and checked on the posterior")
    replicates: int = Field(4, ge=1, le=1000, description="runs per particle (paired seeds), averaged")
    population: int = Field(200, ge=2, le=100_000)
    generations: int = Field(8, ge=1, le=100)
    min_epsilon: float | None = Field(None, ge=0)
    max_runs: int | None = Field(None, ge=1, description="stop once this many model runs were used")
    distance: Literal["adaptive", "fixed"] = Field("adaptive", description="observed targets: scale by MAD (adaptive) or not")
    steps: int | None = Field(None, ge=1, le=5200)
    seed: int = Field(ge=0, le=MAX_SEED)
    predictive: Predictive = Field(default_factory=Predictive)
    executor: Executor = Field(default_factory=LocalExecutor)
    _source: str = PrivateAttr("<spec>")
    _base_dir: str = PrivateAttr(".")

    @property
    def source(self) -> str:
        return self._source

    @property
    def base_dir(self) -> str:
        return self._base_dir

    @field_validator("parameters")
    @classmethod
    def _bounds(cls, v: dict[str, tuple[float, float] | None]) -> dict[str, tuple[float, float] | None]:
        for name, b in v.items():
            if b is not None and not b[0] < b[1]:
                raise ValueError(f"{name}: bounds must satisfy lo < hi, got [{b[0]}, {b[1]}]")
        return v


@dataclass
class Resolved:
    """A spec checked against the model: priors, scenarios, target keys, and the statistics' names."""

    spec: CalibrationSpec
    bounds: dict[str, tuple[float, float]]
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    observed: dict[str, float] = field(default_factory=dict)  # statistic name -> observed mean
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (scenario label, outcome) per statistic
    fit_keys: list[str] = field(default_factory=list)  # pattern comparison keys in the fit
    holdout_keys: list[str] = field(default_factory=list)
    spec_hash: str = ""

    @property
    def kind(self) -> str:
        return "patterns" if self.fit_keys else "observed"

    @property
    def names(self) -> list[str]:
        return list(self.bounds)

    @property
    def pattern_numbers(self) -> list[int]:
        return sorted({pattern_of(k) for k in self.fit_keys})

    @property
    def runs_per_particle(self) -> int:
        """Model runs one particle costs (patterns: arms x replicates; observed: scenarios x replicates)."""
        n = self.spec.replicates
        if self.kind == "observed":
            return len(self.scenarios) * n
        from experiments.validation.patterns import PATTERNS_BY_NUMBER, STARRED_ARMS

        starred = any(k.endswith("*") for k in [*self.fit_keys, *self.holdout_keys])
        arms: set[str] = set()
        for p in self.pattern_numbers:
            arms |= set(PATTERNS_BY_NUMBER[p].arms(self.spec.seed, 1))
        return len(arms if starred else arms - STARRED_ARMS) * n


def pattern_of(key: str) -> int:
    """Pattern number of a comparison key ('4a' -> 4)."""
    return int(re.match(r"\d+", key).group())  # type: ignore[union-attr]


def pattern_keys(ids: list[str | int] | list[str], source: str, where: str) -> list[str]:
    """Comparison keys of pattern ids: '2' -> 2a, 2b, 2c; '4a' -> 4a (SpecError if unknown).

    A pattern number gives its comparisons, not its starred rows (the same comparison with a confound
    removed, e.g. '1c*'), which a spec names by key when it wants them fitted.
    """
    from experiments.validation.patterns import THRESHOLDS

    out: list[str] = []
    for i, raw in enumerate(ids):
        key = str(raw).strip()
        found = [key] if key in THRESHOLDS else [k for k in THRESHOLDS if key.isdigit() and pattern_of(k) == int(key) and not k.endswith("*")]
        if not found:
            raise SpecError(f"{source}: {where}.{i}: unknown pattern id {key!r}; expected a pattern number "
                            f"(1-7) or a comparison key ({', '.join(THRESHOLDS)})")  # fmt: skip
        out += [k for k in found if k not in out]
    return out


def spec_from_dict(data: Any, source: str = "<spec>", base_dir: str | Path = ".") -> CalibrationSpec:
    """Validate a mapping as a :class:`CalibrationSpec` (raises :class:`SpecError`)."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: (top level): expected a mapping, got {type(data).__name__}")
    try:
        spec = CalibrationSpec.model_validate(data)
    except ValidationError as e:
        msg = format_errors(e, source).replace("not a field of the experiment spec", "not a field of the calibration spec")
        raise SpecError(msg) from None
    spec._source, spec._base_dir = source, str(base_dir)
    return spec


def load_calibration(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration spec file (schema only; see :func:`resolve`)."""
    try:
        data = read_yaml(path)
    except ConfigError as e:
        raise SpecError(str(e)) from None
    return spec_from_dict(data, str(path), Path(path).parent)


def _bounds(spec: CalibrationSpec, source: str) -> dict[str, tuple[float, float]]:
    from abm.params import numeric_fields

    custom = spec.model != DEFAULT_MODEL
    schema = numeric_fields()
    out = {}
    for name, b in spec.parameters.items():
        where = f"{source}: parameters.{name}"
        entry = schema.get(name.removeprefix("params."))
        if entry is None and not custom:
            raise SpecError(f"{where}: unknown parameter; expected a numeric parameter of abm/params.py "
                            "(abm check and docs/ODD.md list them)")  # fmt: skip
        if entry is None and b is None:
            raise SpecError(f"{where}: give bounds [lo, hi]: a custom model's parameter has no declared range")
        lo, hi = b if b is not None else (float(entry["lo"]), float(entry["hi"]))  # type: ignore[index]
        if entry is not None and not custom:
            for which, v in (("lower", lo), ("upper", hi)):
                if not entry["lo"] <= v <= entry["hi"]:
                    raise SpecError(f"{where}: {which} bound {v:g} is outside the declared range "
                                    f"[{entry['lo']:g}, {entry['hi']:g}] of params.{name.removeprefix('params.')}")  # fmt: skip
        out[name.removeprefix("params.")] = (float(lo), float(hi))
    return out


def _scenarios(spec: CalibrationSpec, source: str) -> dict[str, Scenario]:
    from experiments.plan import _resolve_scenario

    if spec.scenario is not None and spec.scenarios is not None:
        raise SpecError(f"{source}: scenarios: give scenario or scenarios, not both")
    labels = spec.scenarios or ([spec.scenario] if spec.scenario else [])
    if len(set(labels)) != len(labels):
        raise SpecError(f"{source}: scenarios: scenarios must be unique")
    return {lab: _resolve_scenario(lab, Path(spec.base_dir), source, i) for i, lab in enumerate(labels)}


def _observed(spec: CalibrationSpec, scenarios: dict[str, Scenario], source: str) -> tuple[dict[str, float], list[tuple[str, str]]]:
    obs = spec.targets.observed or {}
    if not scenarios:
        raise SpecError(f"{source}: scenario: observed targets need a scenario (or scenarios: [...]) to run")
    labels = list(scenarios)
    flat: list[tuple[str, str, float, str]] = []  # scenario, outcome, value, field
    for k, v in obs.items():
        if isinstance(v, dict):
            if k not in scenarios:
                raise SpecError(f"{source}: targets.observed.{k}: not one of the spec's scenarios ({', '.join(labels)})")
            if not v:
                raise SpecError(f"{source}: targets.observed.{k}: empty; expected outcome: observed mean")
            flat += [(k, o, float(x), f"targets.observed.{k}.{o}") for o, x in v.items()]
        elif len(labels) == 1:
            flat.append((labels[0], k, float(v), f"targets.observed.{k}"))
        else:
            raise SpecError(f"{source}: targets.observed.{k}: with several scenarios, give scenario: {{outcome: mean}}")
    known = _outcome_names(spec, scenarios, source)
    for _, o, _, where in flat:
        if o not in known:
            raise SpecError(f"{source}: {where}: unknown outcome {o!r}; expected one of {', '.join(sorted(known))}")
    single = len(labels) == 1
    return ({(o if single else f"{s}/{o}"): v for s, o, v, _ in flat}, [(s, o) for s, o, _, _ in flat])


def _outcome_names(spec: CalibrationSpec, scenarios: dict[str, Scenario], source: str) -> set[str]:
    """The summary outcomes the model returns: one step of the first scenario, run here."""
    import numpy as np

    from experiments.plan import load_model

    try:
        fn = load_model(spec.model)
    except (ImportError, AttributeError, TypeError, ValueError) as e:
        raise SpecError(f"{source}: model: cannot import {spec.model!r} ({e}); expected 'module:function'") from None
    sc = next(iter(scenarios.values()))
    try:
        res = fn(sc, seed=np.random.SeedSequence(spec.seed), steps=1, overrides=None)
    except Exception as e:  # noqa: BLE001 - a model that cannot run one step cannot be calibrated
        raise SpecError(f"{source}: model: {spec.model} fails on one step of {sc.name} ({type(e).__name__}: {e})") from None
    return {str(k) for k in dict(res.summary)}


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def resolve(spec: CalibrationSpec) -> Resolved:
    """Check a spec against the model (raises :class:`SpecError`; nothing is run but one model step)."""
    source = spec.source
    bounds = _bounds(spec, source)
    t = spec.targets
    if not t.observed and not t.patterns and not spec.holdout:
        raise SpecError(f"{source}: targets: empty; expected observed: {{outcome: mean}} or patterns: [ids]")
    if t.observed and t.patterns:
        raise SpecError(f"{source}: targets: give observed or patterns, not both")
    scenarios = _scenarios(spec, source)
    res = Resolved(spec, bounds, scenarios)
    if t.observed:
        if spec.holdout:
            raise SpecError(f"{source}: holdout: held-out patterns need pattern targets (targets.patterns)")
        res.observed, res.outcomes = _observed(spec, scenarios, source)
    else:
        if spec.model != DEFAULT_MODEL:
            raise SpecError(f"{source}: model: pattern targets run the validation suite, which needs the ABM ({DEFAULT_MODEL})")
        if spec.steps is not None:
            raise SpecError(f"{source}: steps: pattern targets run each program's own horizon (the patterns read weeks 52 and 104); remove steps")
        holdout = pattern_keys(spec.holdout, source, "holdout")
        fit = pattern_keys(t.patterns or ["1", "2", "3", "4", "5", "6", "7"], source, "targets.patterns")
        res.fit_keys = [k for k in fit if k not in holdout]
        res.holdout_keys = holdout
        if not res.fit_keys:
            raise SpecError(f"{source}: targets.patterns: empty once the held-out patterns are removed; expected at least one to fit")
    body = spec.model_dump(mode="json", exclude={"executor": True, "description": True})
    body["scenario_digests"] = {k: v.digest() for k, v in scenarios.items()}
    res.spec_hash = _sha(body)[:20]
    return res
