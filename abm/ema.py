"""The model as an EMA Workbench ``Model``, for exploratory modelling (``pip install 'integration-abm[ema]'``, Python >= 3.12).

:func:`build_model` wraps :func:`abm.run.run_once` for any scenario: its **uncertainties** are the
numeric parameters of :mod:`abm.params` over their declared ranges (or narrower ``ranges``), its
**levers** the program features (:class:`abm.config.Features`, on/off), its **outcomes** keys of the run
summary (``final_integration``, ``time_to_integration``, ...; :data:`DEFAULT_OUTCOMES`). Each
experiment runs ``replicates`` seeds (0, 1, ...) and reports their mean, so it is deterministic, as EMA
Workbench expects. docs/EMA.md runs ``perform_experiments`` and PRIM on it.

The time and resolution parameters (:data:`STRUCTURAL`: step length, clinicians per staff member,
clinician bounds, view dimensions) change what a step or an agent is rather than a mechanism, and at
the top of their ranges make a run thousands of times slower; they are not uncertainties unless named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ema_workbench import BooleanParameter, IntegerParameter, Model, RealParameter, ScalarOutcome

from abm.config import Features, Scenario, load_scenario
from abm.params import numeric_fields

STRUCTURAL = ("step_days", "clinicians_per_staff", "min_clinicians", "max_clinicians", "view_dims")
DEFAULT_OUTCOMES = (
    "final_integration", "final_consensus", "final_connectivity", "final_trust_mean", "final_engagement",
    "final_retention", "time_to_integration", "auc_integration", "mean_handoff_success", "exits",
)  # fmt: skip
LEVER_PREFIX = "feature_"  # lever names: feature_coordinator, feature_shadowing, ...


def parameter_names() -> list[str]:
    """Every numeric parameter that is an uncertainty by default (all but :data:`STRUCTURAL`)."""
    return [n for n in numeric_fields() if n not in STRUCTURAL]


def uncertainties(names: Iterable[str] | None = None, ranges: Mapping[str, tuple[float, float]] | None = None) -> list[Any]:
    """EMA parameters for ``names`` (default :func:`parameter_names`) over their declared ranges, or ``ranges``.

    Raises ValueError for an unknown name or a range outside the declared one.
    """
    fields = numeric_fields()
    ranges = dict(ranges or {})
    names = list(parameter_names() if names is None else names)
    for n in [*names, *ranges]:
        if n not in fields:
            raise ValueError(f"{n}: not a numeric parameter of abm/params.py")
    out = []
    for n in dict.fromkeys([*names, *ranges]):
        f = fields[n]
        lo, hi = ranges.get(n, (f["lo"], f["hi"]))
        if not f["lo"] <= lo < hi <= f["hi"]:
            raise ValueError(f"{n}: range [{lo}, {hi}] must be increasing and within the declared [{f['lo']}, {f['hi']}]")
        cls = IntegerParameter if f["type"] == "int" else RealParameter
        out.append(cls(n, int(lo) if cls is IntegerParameter else float(lo), int(hi) if cls is IntegerParameter else float(hi)))
    return out


def summary_keys() -> list[str]:
    """The run summary's keys (the outcomes a model can report), from a two-step run of P1."""
    from abm.run import run_once

    return list(run_once("P1", seed=0, steps=2).summary)


def levers(features: Iterable[str] | None = None) -> list[Any]:
    """One on/off lever per program feature (None: all of :class:`abm.config.Features`)."""
    names = list(Features.model_fields if features is None else features)
    for n in names:
        if n not in Features.model_fields:
            raise ValueError(f"{n}: not a program feature; expected one of {', '.join(Features.model_fields)}")
    return [BooleanParameter(LEVER_PREFIX + n) for n in names]


def _run(scenario: Scenario, steps: int | None, replicates: int, outcomes: tuple[str, ...], **inputs: Any) -> dict[str, float]:
    from abm.run import run_once

    overrides: dict[str, Any] = {}
    for k, v in inputs.items():
        if k.startswith(LEVER_PREFIX):
            overrides[f"program.features.{k.removeprefix(LEVER_PREFIX)}"] = bool(v)
        else:
            overrides[f"params.{k}"] = v.item() if hasattr(v, "item") else v
    sums = dict.fromkeys(outcomes, 0.0)
    for seed in range(replicates):
        summary = run_once(scenario, seed=seed, steps=steps, overrides=overrides).summary
        for o in outcomes:
            sums[o] += float(summary[o])
    return {o: s / replicates for o, s in sums.items()}


def build_model(
    scenario: Scenario | str | Path = "P4",
    *,
    parameters: Iterable[str] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    features: Iterable[str] | None = (),
    outcomes: Iterable[str] = DEFAULT_OUTCOMES,
    steps: int | None = None,
    replicates: int = 1,
    name: str | None = None,
) -> Model:
    """An ``ema_workbench.Model`` running ``scenario`` (a built-in program, YAML path or :class:`Scenario`).

    Args:
        parameters: uncertainties by name (default :func:`parameter_names`); ``ranges`` narrows some
            (and adds those not named).
        features: program features as levers (default none: the scenario's own; None: all nine).
        outcomes: run summary keys reported (``time_to_*`` are NaN where never reached).
        steps: horizon (default: the scenario's); replicates: seeds averaged per experiment.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(str(scenario))
    outcomes = tuple(outcomes)
    unknown = [o for o in outcomes if o not in summary_keys()]
    if unknown:
        raise ValueError(f"unknown outcome(s) {', '.join(unknown)}; expected run summary keys: {', '.join(summary_keys())}")
    if replicates < 1:
        raise ValueError(f"replicates must be >= 1, got {replicates}")

    def function(**inputs: Any) -> dict[str, float]:
        return _run(sc, steps, replicates, outcomes, **inputs)

    model = Model(name or re.sub(r"\W", "_", f"abm_{sc.name}") or "abm", function=function)
    model.uncertainties = uncertainties(parameters, ranges)
    model.levers = levers(features)
    model.outcomes = [ScalarOutcome(o, kind=ScalarOutcome.INFO) for o in outcomes]
    return model

