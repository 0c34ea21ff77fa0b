"""Results browser on directories written by the real `abm experiment` and `abm sensitivity` code
(tests/dashboards/real_results.py: an experiment and one sensitivity analysis per method); nothing
here is written by hand in the format the browser expects."""

from __future__ import annotations

import json
import shutil

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara
import solara.widgets
from typer.testing import CliRunner

from dashboards import charts as charts_mod
from dashboards import results_figures as rf
from dashboards.figures import png
from dashboards.launch import DEFAULT_HOST, command, environment
from dashboards.results import (
    ResultsError,
    comparison,
    envelopes,
    milestone_frequencies,
    open_results,
    row_labels,
)
from dashboards.results_page import ResultsBrowser
from experiments import results as xr
from experiments.results import load_results
from tests.dashboards import real_results as rr


@pytest.fixture(scope="session")
def real_experiment(experiment_dir):
    return experiment_dir


def charts(rc) -> set[str]:
    """The interactive charts on the page (each a Vega-Lite widget inside ``div.abm-vega.abm-chart-NAME``)."""
    out = set()
    for w in rc.find(v.Html).widgets:
        cls = str(w.class_ or "").split()
        if "abm-vega" in cls:
            out |= {c for c in cls if c.startswith("abm-chart-")}
    return out


def chart_specs(rc) -> list[dict]:
    return [w.spec for w in rc.find(solara.widgets.VegaLite).widgets]


def chart_rows(rc, name: str) -> list[dict]:
    """The data rows the chart ``name`` sends to the browser."""
    (div,) = [w for w in rc.find(v.Html).widgets if f"abm-chart-{name}" in str(w.class_ or "").split()]
    (widget,) = [c for c in div.children if isinstance(c, solara.widgets.VegaLite)]
    return [r for ds in widget.spec.get("datasets", {}).values() for r in ds]


def alerts(rc) -> list[str]:
    return [str(w.children) for w in rc.find(v.Alert).widgets]


def open_in(rc, path) -> None:
    field = rc.find(v.TextField, label="results directory (path on the server)").widget
    field.v_model = str(path)
    field.fire_event("keyup.enter", None)


def test_experiment_tables(real_experiment):
    r = open_results(real_experiment)
    assert r.kind == "experiment" and r.notes == []
    stored = load_results(real_experiment)  # the one reader: the page shows exactly its tables
    pd.testing.assert_frame_equal(r.summary, stored.summary)
    assert set(r.analysis) == set(xr.EXPERIMENT_TABLES)
    cmp = comparison(r, "final_integration")
    assert len(cmp) == len(rr.SCENARIOS) * len(rr.INTERVENTIONS) and (cmp["n"] == rr.REPLICATES).all()
    assert (cmp["ci_low"] <= cmp["mean"]).all() and (cmp["mean"] <= cmp["ci_high"]).all()
    means = stored.summary.groupby(["scenario", "intervention"])["final_integration"].mean()
    assert cmp.set_index(["scenario", "intervention"])["mean"].sort_index().tolist() == pytest.approx(means.sort_index().tolist())
    env = envelopes(r, "P1", "integration")
    assert sorted(env["step"].unique()) == list(range(rr.STEPS + 1))
    assert (env["q05"] <= env["median"]).all() and (env["median"] <= env["q95"]).all()
    p1 = stored.steps[(stored.steps["scenario"] == "P1") & (stored.steps["intervention"] == "baseline")]
    assert env[env["intervention"] == "baseline"]["median"].tolist() == pytest.approx(p1.groupby("step")["integration"].median().tolist())
    freq = milestone_frequencies(r)
    assert freq.to_numpy().sum() * rr.REPLICATES == pytest.approx(len(stored.milestones))


def test_comparison_without_stored_analysis_and_program_filter(real_experiment, tmp_path):
    """Without analysis/, the same bootstrap statistics are computed by experiments.analysis."""
    d = shutil.copytree(real_experiment, tmp_path / "exp")
    shutil.rmtree(d / xr.ANALYSIS_DIR)
    stored = comparison(open_results(real_experiment), "final_integration")
    live = comparison(open_results(d), "final_integration")
    pd.testing.assert_frame_equal(live, stored, check_dtype=False)
    only = comparison(open_results(d), "final_integration", ["P3"])
    assert set(only["scenario"]) == {"P3"} and len(only) == len(rr.INTERVENTIONS)


def test_not_results_directories(tmp_path):
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


def test_missing_pieces_are_notes(real_experiment, real_sensitivity, tmp_path):
    d = shutil.copytree(real_experiment, tmp_path / "exp")
    shutil.rmtree(d / "steps")
    (d / "summary" / ".part-000009.parquet.tmp").write_bytes(b"half-written")  # in progress: ignored
    r = open_results(d)
    assert any("steps/" in n for n in r.notes) and envelopes(r, "P1", "integration").empty
    s = shutil.copytree(real_sensitivity["sobol"], tmp_path / "sens")
    shutil.rmtree(s / xr.ANALYSIS_DIR)
    assert any(xr.SENSITIVITY_INDICES in n for n in open_results(s).notes)


@pytest.mark.parametrize("method", rr.METHODS)
def test_real_sensitivity_indices_are_shown(real_sensitivity, method):
    """Every method's directory, as `abm sensitivity` writes it: its indices reach the page and the figures."""
    d = real_sensitivity[method]
    assert (d / xr.ANALYSIS_DIR / f"{xr.SENSITIVITY_INDICES}.parquet").is_file()  # the writer's name is ours
    r = open_results(d)
    assert r.kind == "sensitivity" and r.notes == []
    ind = r.analysis[xr.SENSITIVITY_INDICES]
    pd.testing.assert_frame_equal(ind, load_results(d).sensitivity_indices)
    assert set(ind["method"]) == {method} and set(ind["parameter"].dropna()) == {"x1", "x2", "x3"}
    if method == "morris":
        fig = rf.morris_figure(ind, "y")
        xs = np.sort(fig.axes[0].lines[0].get_xdata())
        assert xs == pytest.approx(np.sort(ind[ind["index"] == "mu_star"]["value"].to_numpy()))
    fig = rf.indices_figure(ind, "y", method)
    shown = sorted(p.get_width() for p in fig.axes[0].patches)
    main = ind[ind["index"].isin(rf.MAIN_INDICES[method]) & ind["parameter2"].isna()]
    assert len(main) and shown == pytest.approx(sorted(main["value"]))
    box, rc = solara.render(ResultsBrowser(), handle_error=False)
    open_in(rc, d)
    want = {"abm-chart-indices", "abm-chart-convergence"} | ({"abm-chart-morris"} if method == "morris" else set())
    assert want <= charts(rc)
    # the interactive index chart carries exactly the stored main indices (hover shows them)
    rows = chart_rows(rc, "indices")
    stored = rf.key_rows(ind[ind["statistic"] == "mean"], method)  # the page's default statistic
    assert len(rows) == len(stored) and sorted(r["value"] for r in rows) == pytest.approx(sorted(stored["value"]))
    assert all(sp["usermeta"]["embedOptions"]["actions"]["editor"] is False for sp in chart_specs(rc))  # no online editor link
    assert not any("no " in a and "indices" in a for a in alerts(rc))
    rc.close()


def test_results_page_experiment_bad_path_then_sensitivity(real_experiment, real_sensitivity, tmp_path):
    box, rc = solara.render(ResultsBrowser(), handle_error=False)
    open_in(rc, real_experiment)
    assert {"abm-chart-comparison", "abm-chart-envelopes", "abm-chart-milestones"} <= charts(rc)
    programs = rc.find(v.Select, label="programs (scenarios)").widget
    programs.v_model = ["P1"]
    assert "abm-chart-comparison" in charts(rc)
    open_in(rc, tmp_path / "nope")
    assert any("no such directory" in a for a in alerts(rc)) and not charts(rc)  # old charts are gone
    open_in(rc, real_sensitivity["sobol"])
    assert {"abm-chart-indices", "abm-chart-convergence"} <= charts(rc)
    assert not any("no such directory" in a for a in alerts(rc)) and not any("loading" in a for a in alerts(rc))
    rc.close()


def test_old_charts_are_cleared_while_a_directory_loads(real_experiment, real_sensitivity, monkeypatch):
    """While the next directory is read, the page shows "loading", not the previous directory's charts."""
    import dashboards.results_page as page

    box, rc = solara.render(ResultsBrowser(), handle_error=False)
    open_in(rc, real_experiment)
    assert "abm-chart-comparison" in charts(rc)
    seen = []

    def spy(path):
        seen.append((charts(rc), alerts(rc)))  # the page as it is while reading
        return open_results(path)

    monkeypatch.setattr(page, "open_results", spy)
    open_in(rc, real_sensitivity["pawn"])
    assert len(seen) == 1 and seen[0][0] == set() and any("loading" in a for a in seen[0][1])
    assert "abm-chart-indices" in charts(rc) and "abm-chart-comparison" not in charts(rc)
    rc.close()


def test_figures_label_units_and_keep_legends_off_the_plot(real_experiment):
    r = open_results(real_experiment)
    fig = rf.comparison_figure(comparison(r, "final_integration"), "final_integration")
    assert "share, 0-1" in fig.axes[0].get_xlabel() and "final_integration" not in fig.axes[0].get_xlabel()
    many = pd.DataFrame([{"outcome": "y", "statistic": "mean", "method": "morris", "N": n, "index": ix,
                          "parameter": f"p{k}", "parameter2": None, "value": k / n, "lo": 0.0, "hi": 1.0}
                         for n in (4, 8) for ix in ("mu_star", "sigma") for k in range(30)])  # fmt: skip
    for fig in (rf.convergence_figure(many, "y", "morris"), rf.indices_figure(many[many["N"] == 8], "y", "morris"),
                rf.morris_figure(many[many["N"] == 8], "y")):  # fmt: skip
        png(fig)  # lays the figure out
        ax = fig.axes[0]
        assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1  # beside the plot, not over it


def test_comparison_labels_name_design_points_and_charts_keep_legends_aside():
    """A design point is labelled with the parameter values that make it; axis titles are words
    with units; a many-parameter convergence legend sits beside the plot, in columns."""
    cmp = pd.DataFrame({"scenario": ["P1", "P1"], "intervention": ["baseline"] * 2, "point": [0, 1], "n": [3, 3],
                        "mean": [0.2, 0.3], "ci_low": [0.1, 0.2], "ci_high": [0.3, 0.4], "param.mu": [0.1, 0.3],
                        "param.eps0": [0.05, 0.05]})  # fmt: skip
    labels = row_labels(cmp)
    assert labels == ["P1 / baseline / point 0: mu=0.1, eps0=0.05", "P1 / baseline / point 1: mu=0.3, eps0=0.05"]
    sp = charts_mod.spec(charts_mod.comparison_chart(cmp.assign(row=labels), "final_integration", rf.outcome_label("final_integration")))
    x_titles = [lay["encoding"]["x"].get("title") for lay in sp["layer"] if "title" in lay["encoding"]["x"]]
    assert x_titles and all("share, 0-1" in t and "final_integration" not in t for t in x_titles)
    many = pd.DataFrame([{"parameter": f"p{k}", "N": n, "value": k / n, "lo": 0.0, "hi": 1.0} for n in (4, 8) for k in range(60)])
    sp = charts_mod.spec(charts_mod.convergence_chart(many, "mu_star", "y", "morris"))
    legend = next(lay["encoding"]["color"]["legend"] for lay in sp["layer"] if "legend" in lay["encoding"].get("color", {}))
    assert legend["orient"] == "right" and legend["columns"] >= 2


def test_cli_dashboard_command():
    from abm.cli import app

    res = CliRunner().invoke(app, ["dashboard", "--results", "/no/such/dir"])
    assert res.exit_code == 2 and "no such results directory" in res.output
    cmd = command()
    assert cmd[cmd.index("--host") + 1] == DEFAULT_HOST == "127.0.0.1"
    assert "--production" in cmd and "--no-check-version" in cmd and cmd[-1] == "--no-open"
    env = environment("/tmp", base={})
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False" and env["ABM_DASHBOARD_RESULTS"] == "/tmp"
