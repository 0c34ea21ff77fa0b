"""What the explorer's "Setup" builds: a program, a seed and slider overrides, turned into a model.

Sliders are generated from the parameter schema (:func:`abm.params.numeric_fields`): names, bounds,
units and descriptions come from there, and a slider starts at the value the chosen program uses
(its config may override the schema default). No default or bound is typed here.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

from abm.config import ConfigError, Scenario, builtin_programs, load_scenario
from abm.model import IntegrationModel
from abm.params import numeric_fields

# The sliders shown first (names only); every other numeric parameter is under "All parameters".
MAIN = (
    "clinicians_per_staff", "max_clinicians", "trust_alpha", "trust_beta_ratio", "breach_probability",
    "eps0", "eps_trust", "mu", "champion_gain", "usefulness_gain", "overload_penalty",
    "link_trust_gate", "link_upgrade", "exit_threshold",
)  # fmt: skip
SLIDER_STEPS = 100  # a float slider moves in steps of about (hi - lo) / SLIDER_STEPS, 1-2-5, finer if a program needs it
MAX_INT_SLIDER_RANGE = 2000  # wider integer ranges get a number box instead of a slider
CONFIG_FILE = "config file..."


@dataclass(frozen=True)
class SliderSpec:
    """One generated input: name, bounds, step, unit, description, and whether it is an integer."""

    name: str
    lo: float
    hi: float
    step: float
    unit: str
    description: str
    integer: bool

    @property
    def label(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name

    @property
    def use_slider(self) -> bool:
        return not self.integer or (self.hi - self.lo) <= MAX_INT_SLIDER_RANGE

    def on_grid(self, value: float) -> bool:
        """Whether a slider can show ``value`` exactly (it snaps to lo + k * step)."""
        return on_grid(value, self.lo, self.step)


def on_grid(value: float, lo: float, step: float) -> bool:
    k = (value - lo) / step
    return abs(k - round(k)) < 1e-6


def exact_step(lo: float, hi: float, values: list[float]) -> float:
    """The largest 1-2-5 step, at most about (hi - lo) / SLIDER_STEPS, on whose grid every value lies
    (so a slider never moves a program's value: 0.95 stays 0.95)."""
    step = nice_step(hi - lo)
    for _ in range(12):
        if all(on_grid(v, lo, step) for v in values):
            return step
        mant = round(step / 10.0 ** math.floor(math.log10(step)))
        step = step / 2.5 if mant == 5 else step / 2  # 5 -> 2 -> 1 -> 0.5 ...
    return step


def nice_step(span: float) -> float:
    """A 1-2-5 step close to span / SLIDER_STEPS."""
    if span <= 0:
        return 1.0
    raw = span / SLIDER_STEPS
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * 0.999)


@functools.cache
def program_values() -> dict[str, list[float]]:
    """Every built-in program's value of each numeric parameter (the slider grids must hold them)."""
    per = [scenario_values(load_scenario(p)) for p in builtin_programs()]
    return {name: [v[name] for v in per] for name in numeric_fields()}


@functools.cache
def slider_specs() -> dict[str, SliderSpec]:
    """Every numeric parameter as a slider spec, MAIN ones first, from the schema."""
    fields = numeric_fields()
    order = [n for n in MAIN if n in fields] + [n for n in fields if n not in MAIN]
    values = program_values()
    out = {}
    for name in order:
        f = fields[name]
        integer = f["type"] == "int"
        step = 1 if integer else exact_step(f["lo"], f["hi"], [f["default"], *values[name]])
        lo = f["lo"] + step if f["lo_open"] else f["lo"]  # an open bound (trust_beta_ratio > 1) is not selectable
        out[name] = SliderSpec(name, lo, f["hi"], step, f["unit"], f["description"], integer)
    return out


def program_choices() -> list[str]:
    """Built-in program names, then the config-file choice."""
    return [*builtin_programs(), CONFIG_FILE]


@dataclass(frozen=True)
class Setup:
    """An applied setup: everything needed to build (and rebuild on Reset) the same model."""

    scenario: Scenario
    seed: int
    overrides: dict[str, Any] = field(default_factory=dict)
    source: tuple[str, str] = ("", "")  # (program choice, config path) it was set up from

    def model_parameters(self) -> dict[str, Any]:
        """Keyword arguments of :class:`IntegrationModel` (what Mesa's Reset passes)."""
        return {"scenario": self.scenario, "seed": self.seed, **self.overrides}

    def build(self) -> IntegrationModel:
        """A fresh model; raises :class:`ConfigError` if an override is out of range."""
        return IntegrationModel(**self.model_parameters())


def load_program(choice: str, path: str = "") -> Scenario:
    """The chosen built-in program, or the config file at ``path``; ConfigError with a clear message."""
    if choice != CONFIG_FILE:
        return load_scenario(choice)
    if not path.strip():
        raise ConfigError("give the path of a config file (YAML)")
    return load_scenario(path.strip())


def scenario_values(scenario: Scenario) -> dict[str, float]:
    """The value of every numeric parameter in this scenario (slider starting points)."""
    return {name: getattr(scenario.params, name) for name in numeric_fields()}


def overrides_from(values: dict[str, float], scenario: Scenario) -> dict[str, float]:
    """Only the sliders that differ from the scenario's own values."""
    base = scenario_values(scenario)
    return {k: v for k, v in values.items() if k in base and not math.isclose(v, base[k], rel_tol=1e-12, abs_tol=1e-12)}


def make_setup(choice: str, path: str, seed: int, values: dict[str, float] | None) -> tuple[Setup, IntegrationModel]:
    """Validate the program and overrides and build the model (raises ConfigError)."""
    scenario = load_program(choice, path)
    overrides = overrides_from(values or {}, scenario)
    setup = Setup(scenario, int(seed), overrides, (choice, path.strip() if choice == CONFIG_FILE else ""))
    return setup, setup.build()
