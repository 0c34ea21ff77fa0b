"""Designs: grid order, samplers within bounds and seeded, CSV and explicit rows, integer parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import api
from experiments.design import column_name, override_key
from experiments.spec import SpecError

BASE = dict(name="d", scenarios=["P2"], replicates=2, seed=5, steps=3)


def test_names_and_columns():
    assert override_key("mu") == "params.mu" and override_key("program.volume_multiplier") == "program.volume_multiplier"
    assert column_name("params.mu") == column_name("mu") == "param.mu"
    assert column_name("mechanisms.shadowing") == "param.mechanisms.shadowing"


def test_grid_is_full_factorial_first_parameter_slowest():
    p = api.plan(api.build_spec(**BASE, design={"type": "grid", "parameters": {
        "mu": [0.1, 0.2], "program.pathway": ["co_design", "top_down", "none"]}}))  # fmt: skip
    assert p.n_points == 6 and p.n_runs == 12
    assert list(p.design["param.mu"]) == [0.1] * 3 + [0.2] * 3
    assert list(p.design["param.program.pathway"][:3]) == ["co_design", "top_down", "none"]
    t = p.task(7)  # point 3, replicate 1
    assert (t.point, t.replicate, t.spawn_key) == (3, 1, (3, 1))
    assert t.overrides == {"params.mu": 0.2, "program.pathway": "co_design"}


@pytest.mark.parametrize("kind,samples,points", [("lhs", 7, 7), ("sobol", 4, 4 * (2 * 2 + 2)), ("morris", 3, 3 * 3)])
def test_samplers_stay_in_bounds_round_integers_and_are_seeded(kind, samples, points):
    design = {"type": kind, "samples": samples, "parameters": {"mu": [0.1, 0.4], "meeting_interval": [2, 12]}}
    p = api.plan(api.build_spec(**BASE, design=design))
    d = p.design
    assert len(d) == points
    assert d["param.mu"].between(0.1, 0.4).all() and d["param.meeting_interval"].between(2, 12).all()
    assert d["param.meeting_interval"].dtype == np.int64, "integer parameters are rounded"
    assert api.plan(api.build_spec(**BASE, design=design)).design.equals(d)
    other = api.plan(api.build_spec(**(BASE | {"seed": 6}), design=design)).design
    assert not other.equals(d), "the sampler follows the master seed"


def test_csv_and_explicit_rows(tmp_path):
    rows = pd.DataFrame({"mu": [0.15, 0.25], "params.eps0": [0.05, 0.1]})
    rows.to_csv(tmp_path / "rows.csv", index=False)
    spec = api.build_spec(tmp_path, "spec.yaml", **BASE, design={"type": "csv", "path": "rows.csv"})
    p = api.plan(spec)
    assert list(p.design.columns) == ["param.mu", "param.eps0"] and p.n_points == 2
    q = api.plan(api.with_design(api.build_spec(**BASE), rows))
    pd.testing.assert_frame_equal(p.design, q.design)
    assert p.spec_hash != api.plan(api.with_design(api.build_spec(**BASE), rows.iloc[::-1])).spec_hash
    (tmp_path / "empty.csv").write_text("mu\n")
    with pytest.raises(SpecError, match="design.path: .*no rows"):
        api.plan(api.build_spec(tmp_path, "spec.yaml", **BASE, design={"type": "csv", "path": "empty.csv"}))


def test_explicit_rows_run_and_keep_only_chosen_step_metrics(tmp_path):
    rows = pd.DataFrame({"mu": [0.15, 0.3]})
    spec = api.build_spec(**BASE, outputs={"milestones": False, "step_metrics": ["integration", "trust_mean"]})
    res = api.run_experiment(spec, tmp_path / "out", executor=1, progress=False, design=rows, analyze=False)
    assert res.ok and res.completed == 4
    r = api.load_results(tmp_path / "out")
    assert list(r.summary["param.mu"]) == [0.15, 0.15, 0.3, 0.3]
    assert list(r.steps.columns) == ["run_id", "scenario", "intervention", "point", "replicate", "step", "integration", "trust_mean"]
    assert len(r.steps) == 4 * 4 and r.milestones is None
