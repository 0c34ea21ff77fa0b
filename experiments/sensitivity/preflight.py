"""Before the runs: varied parameters that the scenario never reads.

A parameter whose value changes nothing in the scenario (``shadowing_rate`` in a program without work
shadowing; link-formation parameters where every pair starts with a shared record) still gets indices:
noise only, bought with its share of the runs. :func:`inert_parameters` runs the model's scenario
at each varied parameter's lower and upper bound (the spec's fixed values and horizon, the same seed
at both bounds); a parameter that changes no summary outcome of those runs, for any of the seeds, is
reported. A parameter that acts only rarely can be reported too: the message says what was run.
"""

from __future__ import annotations

from experiments.sensitivity.spec import DEFAULT_MODEL, SensitivitySpec, scenario_ref

SEEDS = (1, 2)


def inert_parameters(spec: SensitivitySpec, seeds: tuple[int, ...] = SEEDS) -> list[str]:
    """Names of the varied parameters that change no summary outcome of the scenario between their
    bounds, for any seed in ``seeds``. Only for the ABM (a custom model's parameters are its own)."""
    if spec.raw.model != DEFAULT_MODEL:
        return []
    from abm.config import load_scenario, with_overrides
    from abm.run import run_once
    from experiments.replay import same_value

    sc = load_scenario(scenario_ref(spec) or "P1")
    if spec.raw.fixed:
        sc = with_overrides(sc, spec.raw.fixed)
    inert = []
    for p in spec.params:
        bounds = (int(p.lo), int(p.hi)) if p.integer else (p.lo, p.hi)
        for s in seeds:
            lo, hi = (run_once(sc, seed=s, steps=spec.raw.steps, overrides={p.override: v}).summary for v in bounds)
            if any(not same_value(lo[k], hi[k]) for k in lo):
                break
        else:
            inert.append(p.name)
    return inert


def inert_warning(names: list[str], scenario: str | None) -> list[str]:
    """The report's warning for :func:`inert_parameters` (none if there are none)."""
    if not names:
        return []
    return [f"{', '.join(names)}: no summary outcome of scenario {scenario or 'P1'} changed between "
            f"{'its' if len(names) == 1 else 'their'} lower and upper bound (seeds {', '.join(map(str, SEEDS))}): "
            "either the scenario does not read it (e.g. a feature the program lacks), and its indices measure noise "
            "only (drop it from the spec), or it acts too rarely to show in two runs"]  # fmt: skip
