"""Reports state their problems: unstable rankings (with a larger N), failed runs per design point
with their reasons, and design points kept apart; a report whose model cannot be imported says so in
one line. Every directory here is written by the real producers (``abm experiment``, ``run_experiment``,
the sensitivity pipeline) and read back."""

from __future__ import annotations

import sys
import textwrap

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from abm.cli import app
from experiments import api
from experiments.sensitivity import analyse_dir, run

runner = CliRunner()

# raises for one replicate of one design point (point 1, replicate 1), whatever the scenario
FLAKY = textwrap.dedent('''
    from experiments.toy import cheap_run


    def run(config=None, seed=0, steps=None, overrides=None):
        if tuple(seed.spawn_key) == (1, 1):
            raise RuntimeError("diverged at replicate 1")
        return cheap_run(config, seed, steps, overrides)
''')

# a custom test function for the sensitivity pipeline (declares its schema as the docs ask)
CUSTOM_SA = textwrap.dedent('''
    from experiments.testfunctions import noisy_linear as _f


    def run(config=None, seed=0, steps=None, overrides=None):
        return _f(config, seed, steps, overrides)


    run.parameters = _f.parameters
    run.outcomes = _f.outcomes
''')


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    """A folder on sys.path (and PYTHONPATH, for worker processes) holding custom model modules."""
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder))
    return folder


def test_failed_run_counts_as_missing_with_its_reason(tmp_path, module_dir):
    (module_dir / "flaky_model.py").write_text(FLAKY)
    spec = tmp_path / "flaky.yaml"
    spec.write_text("name: flaky\nmodel: flaky_model:run\nscenarios: [P3]\ninterventions: [baseline, no_shadowing]\n"
                    "design: {type: grid, parameters: {mu: [0.2, 0.4]}}\nreplicates: 3\nseed: 5\nsteps: 6\n")  # fmt: skip
    out = tmp_path / "out"
    res = runner.invoke(app, ["experiment", str(spec), "--out", str(out), "--no-progress", "--workers", "1"])
    assert res.exit_code == 1, res.output
    stats = pd.read_csv(out / "analysis" / "summary_stats.csv")
    row = stats[(stats.intervention == "baseline") & (stats.point == 1) & (stats.outcome == "final_walk")]
    assert len(row) == 1
    row = row.iloc[0]
    assert (row["n"], row["n_missing"], row["n_failed"]) == (2, 1, 1)
    assert row["param.mu"] == 0.4
    assert "RuntimeError" in row["missing_reasons"] and "diverged at replicate 1" in row["missing_reasons"]
    ok = stats[(stats.point == 0) & (stats.outcome == "final_walk")]
    assert (ok["n"] == 3).all() and (ok["n_missing"] == 0).all()
    # the paired effect of point 1 lacks the replicate that failed under both interventions
    paired = pd.read_csv(out / "analysis" / "paired_effects.csv")
    prow = paired[(paired.point == 1) & (paired.outcome == "final_walk")].iloc[0]
    assert (prow["n"], prow["n_missing"]) == (2, 1) and "RuntimeError" in prow["missing_reasons"]
    # the report names the failed runs per design point, with the reason
    text = (out / "analysis" / "report.md").read_text()
    warnings = text.split("## Warnings")[1].split("##")[0]
    assert "none" not in warnings.split()
    assert "point 1 (mu=0.4)" in warnings and "1 of 3 runs failed" in warnings
    assert "RuntimeError: diverged at replicate 1" in warnings


def test_design_points_are_not_pooled(tmp_path):
    spec = api.build_spec(name="pts", model="experiments.toy:cheap_run", scenarios=["P3"],
                          interventions=["baseline", "no_shadowing"],
                          design={"type": "grid", "parameters": {"mu": [0.0, 0.25, 0.5]}},
                          replicates=4, seed=3, steps=12)  # fmt: skip
    out = tmp_path / "out"
    assert api.run_experiment(spec, out, executor=1, progress=False).ok
    stats = pd.read_csv(out / "analysis" / "summary_stats.csv")
    sub = stats[stats.outcome == "final_walk"]
    assert len(sub) == 2 * 3  # scenario x intervention x design point
    assert sorted(sub.groupby("point")["param.mu"].unique().map(tuple)) == [(0.0,), (0.25,), (0.5,)]
    assert (sub["n"] == 4).all()
    s = api.load_results(out).summary
    want = s.groupby(["intervention", "point"])["final_walk"].mean()
    got = sub.set_index(["intervention", "point"])["mean"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    # one ensemble figure per design point, named by it; no pooled figure
    pngs = sorted(p.name for p in (out / "analysis").glob("ensemble_*.png"))
    assert pngs == ["ensemble_P3_p0.png", "ensemble_P3_p1.png", "ensemble_P3_p2.png"]
    text = (out / "analysis" / "report.md").read_text()
    assert "pooled" not in text.split("## Warnings")[1].split("##")[0]


def test_morris_report_warns_of_unstable_rankings_and_suggests_n(tmp_path):
    spec = {"name": "tiny-morris", "model": "experiments.testfunctions:noisy_linear", "parameters": ["x1", "x2", "x3"],
            "fixed": {"params.sigma": 3.0}, "sampler": {"name": "morris", "N": 8, "levels": 4},
            "methods": ["morris"], "replicates": 2, "seed": 4, "outcomes": ["y"],
            "bootstrap": {"resamples": 100, "seed": 1}, "executor": {"type": "local", "workers": 1}}  # fmt: skip
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    assert run(path, out, progress=False).ok
    _, a = analyse_dir(out)
    assert not a.stability["stable"].all()
    suggested = int(a.stability.loc[~a.stability["stable"], "suggested_N"].max())
    assert suggested > 8
    text = (out / "analysis" / "sensitivity_report.md").read_text()
    warnings = text.split("## Warnings")[1].split("##")[0]
    assert "- none" not in warnings
    assert "unstable" in warnings and f"increase N from 8 to {suggested}" in warnings


def test_report_with_a_missing_custom_model_exits_2_in_one_line(tmp_path, module_dir, monkeypatch):
    (module_dir / "gone_model.py").write_text(CUSTOM_SA)
    spec = {"name": "gone", "model": "gone_model:run", "parameters": ["x1", "x2", "x3"],
            "fixed": {"params.sigma": 0.5}, "sampler": {"name": "latin", "N": 64}, "methods": ["delta"],
            "replicates": 2, "seed": 1, "outcomes": ["y"], "convergence": False,
            "bootstrap": {"resamples": 20}, "executor": {"type": "local", "workers": 1}}  # fmt: skip
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    assert run(path, out, progress=False).ok
    # the model module is no longer importable (another machine, another working directory)
    (module_dir / "gone_model.py").unlink()
    monkeypatch.delitem(sys.modules, "gone_model")
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 2, res.output
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output, res.stderr
    assert "gone_model" in lines[0] and "PYTHONPATH" in lines[0]


def test_an_intervention_that_changes_nothing_is_named_in_the_report(tmp_path):
    """Work shadowing exists only in P3: switched off in P1 every run equals its baseline pair (same seed), and the
    report says that zero is by construction; in P3 it acts and is not named."""
    spec = api.build_spec(name="inert", scenarios=["P1", "P3"], interventions=["baseline", "no_shadowing"],
                          replicates=2, seed=5, steps=30)  # fmt: skip
    out = tmp_path / "out"
    assert api.run_experiment(spec, out, executor=1, progress=False).ok
    warnings = (out / "analysis" / "report.md").read_text().split("## Warnings")[1].split("\n## ")[0]
    assert "no_shadowing changed nothing in P1:" in warnings and "P3" not in warnings
