"""Tiny results directories written by the real commands (never by hand), for the results browser tests.

An experiment run with ``experiments.api.run_experiment`` (as ``abm experiment``) and one sensitivity
analysis per method run with ``experiments.sensitivity.run`` (as ``abm sensitivity``) on the Ishigami
test function, whose analytic indices are known (x2 > x1 > x3 for first order). Scenario discovery
and calibration directories are written by the ``abm`` command itself in a subprocess: ``abm
experiment`` + ``abm discover`` on the planted-box toy model, ``abm calibrate`` on the conjugate
normal toy (observed target, 2 generations) and on the real model's pattern 5 (pass rates).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

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


# abm discover: success is likely inside a planted box of catchment x warm_handoff_share (experiments.toy)
DISCOVERY_SPEC = {
    "name": "dash-discovery", "model": "experiments.toy:planted_box_run", "scenarios": ["P1"], "interventions": ["baseline"],
    "replicates": 1, "seed": 11, "steps": 2, "outputs": {"steps": False, "milestones": False},
    "design": {"type": "lhs", "samples": 200, "seed": 5,
               "parameters": {"catchment": [0.0, 1.0], "warm_handoff_share": [0.0, 1.0], "mu": [0.1, 0.4]}},
    "executor": {"type": "local", "workers": 1},
}  # fmt: skip
DISCOVERY_QUESTION = ("success", 0.5)  # --outcome, --threshold
# abm calibrate: theta of y ~ N(theta, 1), observed mean 1.0 (experiments.calibration.toys)
TOY_CALIBRATION = {
    "name": "dash-calibration", "model": "experiments.calibration.toys:normal_mean", "scenario": "P1",
    "parameters": {"theta": [-5, 5]}, "targets": {"observed": {"y": 1.0}}, "replicates": 2, "population": 10,
    "generations": 2, "distance": "fixed", "seed": 3, "predictive": {"draws": 3, "replicates": 2},
    "executor": {"type": "local", "workers": 1},
}  # fmt: skip
# abm calibrate on the real model: pattern 5 fitted, 6b held out (predictive pass rates of both)
PATTERN_CALIBRATION = {
    "name": "dash-patterns", "parameters": {"mu": [0.05, 0.3], "catchment": [0.0, 1.0]}, "targets": {"patterns": [5]},
    "holdout": ["6b"], "replicates": 2, "population": 8, "generations": 2, "seed": 8,
    "predictive": {"draws": 2, "replicates": 3}, "executor": {"type": "local", "workers": 1},
}  # fmt: skip


def abm(*args: object) -> None:
    """Run the ``abm`` command; fail with its error output if it does not exit 0."""
    res = subprocess.run([sys.executable, "-m", "abm", *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, f"abm {' '.join(map(str, args))}: exit {res.returncode}\n{res.stderr[-3000:]}"


def build_discovery(out: Path) -> Path:
    """``abm experiment`` (a Latin hypercube of 200 points, toy model) then ``abm discover`` on it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    spec = out.parent / "discovery.yaml"
    spec.write_text(yaml.safe_dump(DISCOVERY_SPEC))
    abm("experiment", spec, "--out", out, "--no-progress")
    outcome, threshold = DISCOVERY_QUESTION
    abm("discover", out, "--outcome", outcome, "--threshold", threshold)
    return out


def build_calibration(out: Path, spec: dict) -> Path:
    """``abm calibrate SPEC --out OUT`` with the spec written to a YAML file beside ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.parent / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec))
    abm("calibrate", path, "--out", out, "--no-progress")
    return out
