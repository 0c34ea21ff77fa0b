"""Small results directories written in the documented format (docs/RESULTS-FORMAT.md).

The values come from real model runs (``abm.run.run_once``) and a real SALib analysis of a known
linear function, so nothing shown by the pages is hard-coded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.config import load_scenario
from abm.run import run_once

SCENARIOS = ("P1", "P3")
INTERVENTIONS = {"baseline": {}, "slow_trust": {"params": {"trust_alpha": 0.005}}}
REPLICATES = 3
STEPS = 30
SENS_NAMES = ["a", "b", "c"]
SENS_COEF = np.array([3.0, 1.0, 0.1])  # y = 3a + b + 0.1c: a matters most, c hardly at all


def _ids(run_id: int, scenario: str, intervention: str, replicate: int) -> dict:
    return {"run_id": run_id, "scenario": scenario, "intervention": intervention, "point": 0, "replicate": replicate}


def write_experiment(out: Path, with_steps: bool = True) -> Path:
    """An experiment directory: 2 scenarios x 2 interventions x 3 replicates of 30 steps."""
    summary, steps, milestones = [], [], []
    run_id = 0
    for sc_name in SCENARIOS:
        for iv, over in INTERVENTIONS.items():
            sc = load_scenario(sc_name, over)
            for rep in range(REPLICATES):
                res = run_once(sc, seed=rep, steps=STEPS)
                ids = _ids(run_id, sc_name, iv, rep)
                summary.append({**ids, "seed_entropy": 7, "seed_spawn_key": rep, **res.summary})
                steps.append(res.steps.assign(**ids))
                if len(res.milestones):
                    milestones.append(res.milestones.assign(**ids))
                run_id += 1
    for name, df in (("summary", pd.DataFrame(summary)), ("steps", pd.concat(steps) if with_steps else None),
                     ("milestones", pd.concat(milestones))):  # fmt: skip
        if df is None:
            continue
        (out / name).mkdir(parents=True, exist_ok=True)
        df.reset_index(drop=True).to_parquet(out / name / "part-000000.parquet", index=False)
    manifest = {"kind": "experiment", "format_version": 1, "name": "dashboard-test", "status": "complete",
                "runs": {"total": run_id, "completed": run_id, "failed": 0, "remaining": 0},
                "model": "abm.run:run_once", "git_commit": None}  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def write_sensitivity(out: Path) -> Path:
    """A sensitivity directory with Sobol and Morris indices (with CIs) and a convergence table."""
    from SALib.analyze import morris as morris_an
    from SALib.analyze import sobol
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 3, "names": SENS_NAMES, "bounds": [[0, 1]] * 3}
    rows, conv = [], []

    def add(target, n, method, index, values, confs):
        for p, v, c in zip(SENS_NAMES, values, confs, strict=True):
            target.append({"outcome": "y", "statistic": "mean", "method": method, "N": n, "index": index,
                           "parameter": p, "parameter2": None, "value": float(v), "conf": float(c),
                           "lo": float(v - c), "hi": float(v + c)})  # fmt: skip

    for n in (32, 64, 128):
        X = sobol_sample.sample(problem, n, seed=1)
        res = sobol.analyze(problem, X @ SENS_COEF, seed=1)
        for idx in ("S1", "ST"):
            add(conv, n, "sobol", idx, res[idx], res[f"{idx}_conf"])
            if n == 128:
                add(rows, n, "sobol", idx, res[idx], res[f"{idx}_conf"])
    X = morris_sample.sample(problem, 20, seed=1)
    res = morris_an.analyze(problem, X, X @ SENS_COEF, seed=1)
    add(rows, 20, "morris", "mu_star", res["mu_star"], res["mu_star_conf"])
    add(rows, 20, "morris", "sigma", res["sigma"], np.zeros(3))
    (out / "analysis").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(out / "analysis" / "sensitivity_indices.parquet", index=False)  # experiments.results names
    pd.DataFrame(conv).to_csv(out / "analysis" / "sensitivity_convergence.csv", index=False)
    manifest = {"kind": "sensitivity", "format_version": 1, "name": "sens-test", "status": "complete",
                "runs": {"total": 1, "completed": 1, "failed": 0, "remaining": 0}}  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


@pytest.fixture(scope="session")
def experiment_dir(tmp_path_factory) -> Path:
    return write_experiment(tmp_path_factory.mktemp("experiment"))


@pytest.fixture(scope="session")
def sensitivity_dir(tmp_path_factory) -> Path:
    return write_sensitivity(tmp_path_factory.mktemp("sensitivity"))
