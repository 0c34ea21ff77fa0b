"""Tiny results directories written by the real commands (never by hand), for the results browser tests.

An experiment run with ``experiments.api.run_experiment`` (as ``abm experiment``) and one sensitivity
analysis per method run with ``experiments.sensitivity.run`` (as ``abm sensitivity``) on the Ishigami
test function, whose analytic indices are known (x2 > x1 > x3 for first order).
"""

from __future__ import annotations

from pathlib import Path

SCENARIOS = ("P1", "P3")
INTERVENTIONS = ("baseline", "no_shadowing")
REPLICATES = 3
STEPS = 12
ISHIGAMI = "experiments.testfunctions:ishigami"
# method -> the sampler it needs (delta and PAWN take any sample: a small Latin hypercube)
SAMPLERS = {"sobol": {"name": "sobol", "N": 64}, "morris": {"name": "morris", "N": 12},
            "fast": {"name": "fast", "N": 300, "M": 2}, "delta": {"name": "latin", "N": 128},
            "pawn": {"name": "latin", "N": 128}}  # fmt: skip
METHODS = tuple(SAMPLERS)


def build_experiment(out: Path) -> Path:
    """2 scenarios x 2 interventions x 3 replicates of 12 steps, with steps and milestones kept."""
    from experiments import api

    spec = api.build_spec(name="dash-exp", scenarios=list(SCENARIOS), replicates=REPLICATES, seed=7, steps=STEPS,
                          interventions=list(INTERVENTIONS), outputs={"steps": True, "milestones": True})  # fmt: skip
    api.run_experiment(spec, out, executor=1, progress=False)
    return out


def sensitivity_spec(method: str) -> dict:
    return {"name": f"dash-{method}", "model": ISHIGAMI, "parameters": ["x1", "x2", "x3"],
            "sampler": SAMPLERS[method], "methods": [method], "seed": 3, "outcomes": ["y"],
            "replicates": 1, "bootstrap": {"resamples": 20}}  # fmt: skip


def build_sensitivity(out: Path, method: str) -> Path:
    """A sensitivity analysis of Ishigami with one method, analysed and reported like ``abm sensitivity``."""
    from experiments.sensitivity import pipeline, spec_from_dict

    pipeline.run(spec_from_dict(sensitivity_spec(method)), out, executor=1, progress=False)
    return out
