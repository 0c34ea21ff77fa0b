"""Results browser: reading stored directories (format of docs/RESULTS-FORMAT.md) and its page."""

from __future__ import annotations

import json
import shutil

import ipyvuetify as v
import ipywidgets
import pandas as pd
import pytest
import solara
from typer.testing import CliRunner

from dashboards.launch import DEFAULT_HOST, command, environment
from dashboards.results import (
    ResultsError,
    comparison,
    envelopes,
    milestone_frequencies,
    open_results,
)
from dashboards.results_page import ResultsBrowser
from tests.dashboards.conftest import INTERVENTIONS, REPLICATES, SCENARIOS, STEPS


def charts(rc) -> set[str]:
    return {c for w in rc.find(ipywidgets.Image).widgets for c in w._dom_classes if c.startswith("abm-chart-")}


def alerts(rc) -> list[str]:
    return [str(w.children) for w in rc.find(v.Alert).widgets]


def open_in(rc, path) -> None:
    field = rc.find(v.TextField, label="results directory (path on the server)").widget
    field.v_model = str(path)
    field.fire_event("keyup.enter", None)


def test_experiment_tables(experiment_dir):
    r = open_results(experiment_dir)
    assert r.kind == "experiment" and r.notes == []
    cmp = comparison(r, "final_integration")
    assert len(cmp) == len(SCENARIOS) * len(INTERVENTIONS)
    assert (cmp["n"] == REPLICATES).all()
    assert (cmp["ci_low"] <= cmp["mean"]).all() and (cmp["mean"] <= cmp["ci_high"]).all()
    means = r.summary.groupby(["scenario", "intervention"])["final_integration"].mean()
    assert cmp.set_index(["scenario", "intervention"])["mean"].sort_index().tolist() == pytest.approx(means.sort_index().tolist())
    env = envelopes(r, "P1", "integration")
    assert sorted(env["step"].unique()) == list(range(STEPS + 1))
    assert (env["q05"] <= env["median"]).all() and (env["median"] <= env["q95"]).all()
    freq = milestone_frequencies(r)
    assert freq.to_numpy().sum() * REPLICATES == pytest.approx(len(r.milestones))


def test_stored_analysis_is_preferred(experiment_dir, tmp_path):
    d = shutil.copytree(experiment_dir, tmp_path / "exp")
    (d / "analysis").mkdir()
    stats = pd.DataFrame([{"scenario": "P1", "intervention": "baseline", "outcome": "final_integration", "n": 3,
                           "n_missing": 0, "mean": 0.5, "median": 0.5, "ci_low": 0.4, "ci_high": 0.6}])  # fmt: skip
    stats.to_csv(d / "analysis" / "summary_stats.csv", index=False)
    cmp = comparison(open_results(d), "final_integration")
    assert cmp[["mean", "ci_low", "ci_high"]].iloc[0].tolist() == [0.5, 0.4, 0.6] and cmp["ci"].iloc[0] == "bootstrap 95%"


def test_not_results_directories(tmp_path, experiment_dir):
    with pytest.raises(ResultsError, match="no such directory"):
        open_results(tmp_path / "missing")
    with pytest.raises(ResultsError, match="no manifest.json"):
        open_results(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "pictures"}))
    with pytest.raises(ResultsError, match="'kind' must be one of"):
        open_results(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ResultsError, match="unreadable manifest"):
        open_results(tmp_path)
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(ResultsError, match="not a directory"):
        open_results(tmp_path / "f.txt")


def test_missing_pieces_are_notes(experiment_dir, tmp_path):
    d = shutil.copytree(experiment_dir, tmp_path / "exp")
    shutil.rmtree(d / "steps")
    (d / "summary" / ".part-000001.parquet.tmp").write_bytes(b"half-written")  # in progress: ignored
    r = open_results(d)
    assert r.steps is None and any("steps/" in n for n in r.notes)
    assert envelopes(r, "P1", "integration").empty


def test_results_page_experiment_bad_path_then_sensitivity(experiment_dir, sensitivity_dir, tmp_path):
    box, rc = solara.render(ResultsBrowser(), handle_error=False)
    open_in(rc, experiment_dir)
    assert {"abm-chart-comparison", "abm-chart-envelopes", "abm-chart-milestones"} <= charts(rc)
    open_in(rc, tmp_path / "nope")
    assert any("no such directory" in a for a in alerts(rc)) and not charts(rc)
    open_in(rc, sensitivity_dir)
    assert {"abm-chart-indices", "abm-chart-morris", "abm-chart-convergence"} <= charts(rc)
    assert not any("no such directory" in a for a in alerts(rc))
    rc.find(v.Select, label="method").widget.v_model = "morris"
    assert "abm-chart-indices" in charts(rc)
    rc.close()


def test_cli_dashboard_command():
    from abm.cli import app

    res = CliRunner().invoke(app, ["dashboard", "--results", "/no/such/dir"])
    assert res.exit_code == 2 and "no such results directory" in res.output
    cmd = command()
    assert cmd[cmd.index("--host") + 1] == DEFAULT_HOST == "127.0.0.1"
    assert "--production" in cmd and "--no-check-version" in cmd and cmd[-1] == "--no-open"
    env = environment("/tmp", base={})
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False" and env["ABM_DASHBOARD_RESULTS"] == "/tmp"


def test_reads_a_directory_written_by_experiments_api(tmp_path):
    """The browser reads what the experiments package writes (guards against format drift)."""
    api = pytest.importorskip("experiments.api")
    spec = api.build_spec(name="dash", scenarios=["P1"], replicates=2, seed=1, steps=10,
                          interventions=["baseline", "no_shadowing"], outputs={"steps": True, "milestones": True})  # fmt: skip
    api.run_experiment(spec, tmp_path / "r", executor=1, progress=False)
    r = open_results(tmp_path / "r")
    assert r.kind == "experiment" and len(r.summary) == 4 and r.steps is not None
    cmp = comparison(r, "final_integration")
    assert set(cmp["intervention"]) == {"baseline", "no_shadowing"} and cmp["ci"].iloc[0] == "bootstrap 95%"
    box, rc = solara.render(ResultsBrowser(), handle_error=False)
    open_in(rc, tmp_path / "r")
    assert {"abm-chart-comparison", "abm-chart-envelopes"} <= charts(rc)
    rc.close()
