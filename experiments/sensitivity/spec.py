"""The sensitivity spec: what to vary, how to sample, what to analyse; validated before any run.

A spec is YAML (shipped: ``experiments/specs/sensitivity/*.yaml``; ``abm specs``) or built in code with :func:`spec_from_dict`.
Parameter bounds default to the model's parameter schema (:func:`abm.params.numeric_fields` for
the ABM, the ``parameters`` attribute of a test function); a bound is only written in a spec to
narrow the schema's range, never to repeat it. Every error is a :class:`SpecError` whose message
is ``<file>: <field>: <expected>``.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from abm.config import ConfigError, read_yaml
from experiments.spec import Executor, LocalExecutor

DEFAULT_MODEL = "abm.run:run_once"
SAMPLERS = ("sobol", "morris", "fast", "latin", "random")
METHODS = ("sobol", "morris", "fast", "delta", "pawn")
# analysis method -> samplers whose design it can analyse (delta and PAWN take any given data)
COMPATIBLE = {
    "sobol": ("sobol",),
    "morris": ("morris",),
    "fast": ("fast",),
    "delta": ("sobol", "latin", "random", "morris"),
    "pawn": ("sobol", "latin", "random", "morris"),
}
STATISTICS = ("mean", "std", "median", "q10", "q90")


class SpecError(ConfigError):
    """A sensitivity spec is invalid: ``<file>: <field>: <expected>``."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sampler(_Frozen):
    """How SALib draws the design. ``N``: base samples (Sobol, eFAST, latin, random) or trajectories (Morris)."""

    name: Literal["sobol", "morris", "fast", "latin", "random"]
    N: int = Field(..., ge=2, description="base sample size, or Morris trajectories")
    second_order: bool = Field(False, description="Sobol: also sample for second-order indices")
    levels: int = Field(4, ge=2, description="Morris: grid levels")
    M: int = Field(4, ge=1, description="eFAST: interference parameter (harmonics)")
    seed: int | None = Field(None, description="sampler seed; default derived from the master seed")


class Method(_Frozen):
    """One SALib analysis over the design."""

    name: Literal["sobol", "morris", "fast", "delta", "pawn"]
    second_order: bool = Field(False, description="Sobol: compute S2 (needs sampler.second_order)")
    slides: int = Field(10, ge=2, description="PAWN: conditioning intervals")


class Bootstrap(_Frozen):
    resamples: int = Field(500, ge=10)
    confidence: float = Field(0.95, gt=0, lt=1)
    # >= 1: SALib treats seed 0 as "no seed" and would draw unseeded resamples
    seed: int = Field(20240607, ge=1, description="fixed seed of every bootstrap (indices and noise split)")


class SpecModel(_Frozen):
    """The YAML schema of a sensitivity spec."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    model: str = Field(DEFAULT_MODEL, description="'module:function' with run_once's signature")
    scenario: str | None = Field(None, description="base scenario: built-in program (P1..P6) or YAML path")
    steps: int | None = Field(None, ge=1)
    fixed: dict[str, Any] = Field(default_factory=dict, description="dotted-key overrides held constant")
    parameters: Any = Field(..., description="'all', a list of names, or name -> null | [lower, upper]")
    exclude: list[str] = Field(default_factory=list, description="with parameters: all, names left out")
    bounds: dict[str, list[float]] = Field(default_factory=dict, description="narrowed bounds (with 'all')")
    sampler: Sampler
    methods: list[Any] = Field(..., min_length=1, description="method names, or mappings (name, options)")
    replicates: int = Field(1, ge=1, description="runs per sample point (different seeds)")
    seed: int = Field(..., ge=0, description="master seed")
    outcomes: list[str] = Field(..., min_length=1)
    statistics: list[Literal["mean", "std", "median", "q10", "q90"]] = Field(default_factory=lambda: ["mean"])
    nan_fill: dict[str, float | Literal["horizon"]] = Field(
        default_factory=dict, description="outcome -> value replacing NaN; 'horizon' = the run's steps + 1 (censoring)"
    )
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    convergence: bool = True
    executor: Executor = Field(default_factory=LocalExecutor, description="as in experiment specs")


@dataclass(frozen=True)
class ParamRange:
    name: str
    lo: float
    hi: float
    integer: bool
    override: str  # dotted key the value is passed as


@dataclass(frozen=True)
class SensitivitySpec:
    """A validated spec: the raw model plus resolved parameters, methods and the model's schema."""

    raw: SpecModel
    source: str
    params: tuple[ParamRange, ...]
    methods: tuple[Method, ...]

    @property
    def name(self) -> str:
        return self.raw.name

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @cached_property
    def model_fn(self) -> Callable[..., Any]:
        return resolve_model(self.raw.model, self.source)

    def problem(self) -> dict[str, Any]:
        """The SALib problem. Integer parameters are sampled on [lo - 0.5, hi + 0.5] then rounded."""
        bounds = [[p.lo - 0.5, p.hi + 0.5] if p.integer else [p.lo, p.hi] for p in self.params]
        return {"num_vars": len(self.params), "names": self.names, "bounds": bounds}

    def to_dict(self) -> dict[str, Any]:
        return self.raw.model_dump(mode="json")


def _fail(source: str, field: str, expected: str) -> SpecError:
    return SpecError(f"{source}: {field}: {expected}")


def resolve_model(ref: str, source: str = "<spec>") -> Callable[..., Any]:
    """Import ``module:function``."""
    mod_name, _, fn_name = ref.partition(":")
    if not mod_name or not fn_name:
        raise _fail(source, "model", f"expected 'module:function', got {ref!r}")
    try:
        fn = getattr(importlib.import_module(mod_name), fn_name)
    except (ImportError, AttributeError) as e:
        raise _fail(source, "model", f"cannot import {ref!r} ({e})") from None
    if not callable(fn):
        raise _fail(source, "model", f"{ref!r} is not callable")
    return fn


def abm_outcomes() -> tuple[str, ...]:
    """Summary outcomes of :func:`abm.run.run_once`, derived from ``summarize`` on an empty-ish table."""
    import pandas as pd

    from abm.config import Scenario
    from abm.model import metric_names
    from abm.run import summarize

    table = pd.DataFrame({m: [0.0, 0.0] for m in metric_names()})
    return tuple(summarize(table, (0, 0), Scenario()))


def model_schema(ref: str, fn: Callable[..., Any]) -> tuple[dict[str, dict[str, Any]] | None, tuple[str, ...] | None]:
    """(parameter schema, outcome names) of a model function; None where the function declares none."""
    if ref == DEFAULT_MODEL:
        from abm.params import numeric_fields

        return numeric_fields(), abm_outcomes()
    params = getattr(fn, "parameters", None)
    outs = getattr(fn, "outcomes", None)
    return (dict(params) if params is not None else None), (tuple(outs) if outs is not None else None)


def _resolve_params(m: SpecModel, schema: dict[str, dict[str, Any]] | None, src: str) -> tuple[ParamRange, ...]:
    known = sorted(schema) if schema is not None else None
    hint = f"; expected one of the numeric parameters of {m.model}" + (
        f" ({', '.join(known[:8])}{', ...' if len(known) > 8 else ''})" if known else ""
    )

    def check_name(field: str, name: str) -> None:
        key = name.removeprefix("params.")
        if schema is not None and key not in schema:
            raise _fail(src, field, f"unknown parameter {name!r}{hint}")

    if not (m.parameters == "all" or isinstance(m.parameters, list | dict)):
        raise _fail(src, "parameters", "expected 'all', a list of names, or a mapping name -> null | [lower, upper]")
    if isinstance(m.parameters, list) and not all(isinstance(x, str) for x in m.parameters):
        raise _fail(src, "parameters", "expected a list of parameter names (write bounds as a mapping)")
    if m.parameters == "all":
        if schema is None:
            raise _fail(src, "parameters", f"'all' needs a model with a parameter schema; {m.model} declares none")
        for i, name in enumerate(m.exclude):
            check_name(f"exclude.{i}", name)
        for name in m.bounds:
            check_name(f"bounds.{name}", name)
        _no_duplicates(src, "exclude", list(enumerate(m.exclude)))
        _no_duplicates(src, "bounds", [(n, n) for n in m.bounds])
        excluded = {n.removeprefix("params.") for n in m.exclude}
        bounds = {n.removeprefix("params."): b for n, b in m.bounds.items()}
        chosen: dict[str, Any] = {n: bounds.get(n) for n in schema if n not in excluded}
        prefix = "bounds"
    else:
        if m.exclude:
            raise _fail(src, "exclude", "only allowed with 'parameters: all'")
        if m.bounds:
            raise _fail(src, "bounds", "only allowed with 'parameters: all' (write bounds under parameters)")
        if isinstance(m.parameters, list):
            _no_duplicates(src, "parameters", list(enumerate(m.parameters)))
            chosen = dict.fromkeys(m.parameters)
        else:
            _no_duplicates(src, "parameters", [(n, n) for n in m.parameters])
            chosen = dict(m.parameters)
        prefix = "parameters"
    if not chosen:
        raise _fail(src, "parameters", "expected at least one parameter to vary")
    fixed_keys = {k.removeprefix("params.") for k in m.fixed}
    out = []
    for name, given in chosen.items():
        key = name.removeprefix("params.")
        field = f"{prefix}.{name}"
        check_name(field, name)
        if key in fixed_keys:
            raise _fail(src, field, f"{name!r} is both varied and held fixed (fixed.params.{key})")
        entry = schema.get(key) if schema is not None else None
        if given is None:
            if entry is None or entry.get("lo") is None or entry.get("hi") is None:
                raise _fail(src, field, f"expected [lower, upper]: {m.model} declares no range for {name!r}")
            from abm.params import sampling_range

            lo, hi = sampling_range(entry)  # an open lower bound (trust_beta_ratio > 1) starts just above it
        else:
            if not isinstance(given, list | tuple) or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in given):
                raise _fail(src, field, f"expected null (the schema's range) or [lower, upper], got {given!r}")
            if len(given) != 2 or not all(math.isfinite(float(v)) for v in given):
                raise _fail(src, field, f"expected [lower, upper] (two finite numbers), got {given!r}")
            lo, hi = float(given[0]), float(given[1])
        if not lo < hi:
            raise _fail(src, field, f"lower bound must be < upper bound, got [{lo:g}, {hi:g}]")
        if entry is not None and entry.get("lo") is not None and entry.get("hi") is not None:
            slo, shi = float(entry["lo"]), float(entry["hi"])
            is_open = bool(entry.get("lo_open"))
            for which, v in (("lower", lo), ("upper", hi)):
                if not (slo < v if is_open else slo <= v) or not v <= shi:
                    shown = f"{'(' if is_open else '['}{slo:g}, {shi:g}]"
                    raise _fail(src, field, f"{which} bound {v:g} is outside the schema range {shown} of {key}")
        integer = entry is not None and entry.get("type") == "int"
        if integer and not (lo.is_integer() and hi.is_integer()):
            raise _fail(src, field, f"{key} is an integer parameter; expected integer bounds, got [{lo:g}, {hi:g}] (never rounded)")
        out.append(ParamRange(key, lo, hi, integer, f"params.{key}"))
    return tuple(out)


def _no_duplicates(src: str, field: str, items: list[tuple[Any, str]]) -> None:
    """The same parameter named twice ('mu' and 'params.mu' are one) is ambiguous: an error."""
    seen: dict[str, Any] = {}
    for at, name in items:
        key = name.removeprefix("params.") if isinstance(name, str) else name
        if key in seen:
            raise _fail(src, f"{field}.{at}", f"parameter {key!r} is named twice (also {field}.{seen[key]}); name each parameter once")
        seen[key] = at


def _loc(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a dotted field path, without union/type tags."""
    parts = [str(x) for i, x in enumerate(loc) if not (i > 0 and ("[" in str(x) or str(x) in ("local", "dask")))]
    return ".".join(parts) or "(top level)"


def _methods(raw: list[Any], source: str) -> tuple[Method, ...]:
    out = []
    for i, x in enumerate(raw):
        if isinstance(x, str):
            x = {"name": x}
        if not isinstance(x, dict):
            raise _fail(source, f"methods.{i}", f"expected a method name ({', '.join(METHODS)}) or a mapping")
        if x.get("name") not in METHODS:
            raise _fail(source, f"methods.{i}", f"unknown method {x.get('name')!r}; expected one of {', '.join(METHODS)}")
        try:
            out.append(Method.model_validate(x))
        except ValidationError as e:
            e0 = e.errors()[0]
            raise _fail(source, f"methods.{i}.{_loc(e0['loc'])}", e0["msg"]) from None
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise _fail(source, "methods", "each method at most once")
    return tuple(out)


def _check_design(m: SpecModel, methods: tuple[Method, ...], n_params: int, src: str) -> None:
    s = m.sampler
    for i, meth in enumerate(methods):
        if s.name not in COMPATIBLE[meth.name]:
            need = " or ".join(repr(x) for x in COMPATIBLE[meth.name])
            raise _fail(src, f"methods.{i}", f"{meth.name!r} needs sampler {need}, but sampler.name is {s.name!r}")
        if meth.second_order and not (meth.name == "sobol" and s.second_order):
            raise _fail(src, f"methods.{i}.second_order", "needs method 'sobol' with sampler.second_order: true")
    if s.name == "sobol" and (s.N & (s.N - 1)) != 0:
        raise _fail(src, "sampler.N", f"Sobol sampling needs a power of two, got {s.N}")
    if s.name == "sobol" and m.convergence and s.N < 16:
        raise _fail(src, "sampler.N", f"the convergence check (N/4) needs N >= 16, got {s.N}")
    if s.name == "morris" and m.convergence and s.N < 8:
        raise _fail(src, "sampler.N", f"the convergence check needs at least 8 Morris trajectories, got {s.N}")
    if s.name == "fast":
        smallest = s.N // 4 if m.convergence else s.N
        if smallest <= 4 * s.M**2:
            what = "N/4" if m.convergence else "N"
            raise _fail(src, "sampler.N", f"eFAST needs {what} > 4 M^2 = {4 * s.M**2}, got N = {s.N}")
    if s.second_order and s.name != "sobol":
        raise _fail(src, "sampler.second_order", "only meaningful for sampler 'sobol'")
    if n_params < 2:
        raise _fail(src, "parameters", "expected at least two parameters to vary")
    if m.replicates < 2 and any(st != "mean" for st in m.statistics):
        raise _fail(src, "statistics", "statistics other than 'mean' need replicates >= 2")


def spec_from_dict(data: Any, source: str = "<spec>", check_files: bool = True) -> SensitivitySpec:
    """Validate a mapping as a sensitivity spec (all checks run here, before any model run).

    ``check_files=False`` skips loading the base scenario (reading a stored spec back elsewhere).
    """
    if not isinstance(data, dict):
        raise SpecError(f"{source}: (top level): expected a mapping, got {type(data).__name__}")
    try:
        m = SpecModel.model_validate(data)
    except ValidationError as e:
        e0 = e.errors()[0]
        loc = _loc(e0["loc"])
        msg = "unknown key (check the spelling)" if e0["type"] == "extra_forbidden" else e0["msg"]
        if "input" in e0 and e0["type"] not in ("missing", "extra_forbidden") and not isinstance(e0["input"], dict | list):
            msg += f" (got {e0['input']!r})"
        raise SpecError(f"{source}: {loc}: {msg}") from None
    fn = resolve_model(m.model, source)
    schema, outcomes = model_schema(m.model, fn)
    params = _resolve_params(m, schema, source)
    methods = _methods(m.methods, source)
    _check_design(m, methods, len(params), source)
    if outcomes is not None:
        for i, o in enumerate(m.outcomes):
            if o not in outcomes:
                raise _fail(source, f"outcomes.{i}", f"{o!r} is not an outcome of {m.model}; expected one of {list(outcomes)}")
        for o, v in m.nan_fill.items():
            if o not in outcomes:
                raise _fail(source, f"nan_fill.{o}", f"not an outcome of {m.model}")
            if v == "horizon" and "steps" not in outcomes:
                raise _fail(source, f"nan_fill.{o}", f"'horizon' needs a 'steps' outcome, which {m.model} lacks")
    if check_files and m.scenario is None and m.model == DEFAULT_MODEL:
        raise _fail(source, "scenario", "expected a built-in program (P1..P6) or a scenario config path")
    if check_files and m.scenario is not None and m.model == DEFAULT_MODEL:
        from abm.config import builtin_programs, load_scenario

        path = _scenario_path(m.scenario, source)
        if path.upper() not in builtin_programs() and not Path(path).is_file():
            known = ", ".join(builtin_programs())
            raise _fail(source, "scenario", f"unknown scenario {m.scenario!r}; expected a built-in program ({known}) or an existing config file")
        try:
            sc = load_scenario(path)
        except ConfigError as e:
            raise _fail(source, "scenario", str(e)) from None
        if m.fixed:
            from abm.config import with_overrides

            try:
                with_overrides(sc, m.fixed)
            except ConfigError as e:
                raise _fail(source, "fixed", str(e).split("invalid config: ", 1)[-1]) from None
    return SensitivitySpec(m, source, params, methods)


def _scenario_path(scenario: str, source: str) -> str:
    """A built-in name, a path as given, or a path relative to the spec file."""
    from abm.config import builtin_programs

    if scenario.upper() in builtin_programs() or Path(scenario).exists():
        return scenario
    rel = Path(source).parent / scenario
    return str(rel) if rel.exists() else scenario


def load_spec(path: str | Path) -> SensitivitySpec:
    """Read and validate a sensitivity spec file."""
    data = read_yaml(path)
    return spec_from_dict(data, str(path))


def scenario_ref(spec: SensitivitySpec) -> str | None:
    """The base scenario reference resolved against the spec's directory."""
    return None if spec.raw.scenario is None else _scenario_path(spec.raw.scenario, spec.source)
