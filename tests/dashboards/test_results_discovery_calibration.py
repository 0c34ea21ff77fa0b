"""Scenario discovery and calibration in the results browser, on directories written by the real
``abm experiment`` + ``abm discover`` and ``abm calibrate`` (tests/dashboards/real_results.py): the
calibration reader, the tables and chart data the page derives from them, and the page itself."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import solara

from dashboards.results import (
    ResultsError,
    discovery_limits,
    discovery_tradeoff,
    open_results,
    posterior_histograms,
    predictive_rates,
)
from dashboards.results_page import ResultsBrowser
from dashboards.results_panels import question
from experiments.calibration import outputs as co
from experiments.calibration.outputs import read_calibration
from experiments.results import load_results, read_discovery
from tests.dashboards import real_results as rr
from tests.dashboards.test_results import alerts, chart_rows, charts, open_in


def test_read_calibration_reads_what_abm_calibrate_wrote(calibration_dir):
    c = read_calibration(calibration_dir)
    spec = rr.TOY_CALIBRATION
    assert c is not None and c.folder == calibration_dir and c.manifest["kind"] == "calibration"
    assert c.manifest["name"] == spec["name"] and c.manifest["status"] == "complete"
    assert c.parameters == list(spec["parameters"]) and len(c.posterior) == spec["population"]
    assert c.posterior["weight"].sum() == pytest.approx(1.0) and (c.posterior["param.theta"].abs() <= 5).all()
    pd.testing.assert_frame_equal(c.posterior, pd.read_parquet(calibration_dir / co.POSTERIOR))
    assert c.generations["t"].tolist() == list(range(spec["generations"]))
    assert {"epsilon", "ess", "acceptance_rate"} <= set(c.generations.columns)
    assert c.generations["epsilon"].is_monotonic_decreasing
    assert c.marginals["parameter"].tolist() == ["theta"] and c.marginals[["prior_lo", "prior_hi"]].iloc[0].tolist() == [-5, 5]
    draws = spec["predictive"]["draws"]
    assert len(c.predictive) == draws and set(c.predictive["statistic"]) == {"y"}
    assert c.report.startswith(f"# Calibration: {spec['name']}")


def test_read_calibration_is_none_for_other_directories(calibration_dir, discovery_dir, tmp_path):
    assert read_calibration(discovery_dir) is None  # an experiment
    assert read_calibration(tmp_path) is None  # no manifest
    d = shutil.copytree(calibration_dir, tmp_path / "unfinished")
    (d / co.POSTERIOR).unlink()
    assert read_calibration(d) is None
    with pytest.raises(ResultsError, match="without a posterior table"):
        open_results(d)
    (d / "manifest.json").write_text("{")
    with pytest.raises(ResultsError, match="unreadable manifest"):
        open_results(d)


def test_calibration_tables_for_the_page(calibration_dir, pattern_calibration_dir):
    r = open_results(calibration_dir)
    assert r.kind == "calibration" and r.notes == [] and r.discovery is None
    c = r.calibration
    hist = posterior_histograms(c, bins=10)
    post = hist[hist["kind"] == "posterior"]
    assert len(post) == 10 and post["mass"].sum() == pytest.approx(1.0)
    mass, edges = np.histogram(c.posterior["param.theta"], bins=10, range=(-5, 5), weights=c.posterior["weight"])
    assert post["mass"].tolist() == pytest.approx(mass.tolist()) and post["lo"].tolist() == pytest.approx(edges[:-1].tolist())
    assert (post["density"] * (post["hi"] - post["lo"])).sum() == pytest.approx(1.0)  # a density over the prior range
    prior = hist[hist["kind"] == "prior"].iloc[0]
    assert (prior["lo"], prior["hi"], prior["density"]) == (-5, 5, pytest.approx(0.1))
    pr = predictive_rates(c)
    assert pr["statistic"].tolist() == ["y"] and pr["draws"].iloc[0] == rr.TOY_CALIBRATION["predictive"]["draws"]
    assert pr["mean"].iloc[0] == pytest.approx(c.predictive["estimate"].mean()) and pr["observed"].iloc[0] == 1.0
    assert "pass_rate" not in pr  # observed targets have no pass rule
    # pattern targets: a pass rate per comparison, fitted and held out
    p = open_results(pattern_calibration_dir).calibration
    pr = predictive_rates(p).set_index("statistic")
    assert set(pr.index) == {"5", "6b"} and pr.loc["6b", "role"] == "held out" and pr.loc["5", "role"] == "fit"
    want = p.predictive.assign(statistic=p.predictive["statistic"].astype(str)).groupby("statistic")["passed"].mean()
    assert pr["pass_rate"].sort_index().tolist() == pytest.approx(want.sort_index().tolist())
    assert set(posterior_histograms(p)["parameter"]) == {"mu", "catchment"}


def test_discovery_tables_for_the_page(discovery_dir):
    r = open_results(discovery_dir)
    d = r.discovery
    assert r.kind == "experiment" and d is not None and d.meta == read_discovery(discovery_dir).meta
    outcome, threshold = rr.DISCOVERY_QUESTION
    assert (d.meta["outcome"], d.meta["threshold"], d.meta["below"]) == (outcome, threshold, False)
    assert question(d).startswith(f"Which inputs make {outcome} fall above {threshold:g}?")
    t = discovery_tradeoff(d)
    pd.testing.assert_frame_equal(t.drop(columns="restricted"), d.trajectory, check_dtype=False)
    assert t["selected"].sum() == 1 and int(t.loc[t["selected"], "id"].iloc[0]) == d.meta["selected"]
    assert t["restricted"].iloc[0] == "none"  # box 0 is the whole input space
    sel = t[t["selected"]].iloc[0]
    lim = discovery_limits(d)
    assert len(lim) == int(sel["res_dim"]) and lim["input"].tolist() == d.selected_box["input"].tolist()
    for _, b in lim.iterrows():  # the hover text names every restricted input with its limits
        assert f"{b['input'].removeprefix('param.')} in [{b['lo']:.3g}, {b['hi']:.3g}]" in sel["restricted"]
    # the planted box: catchment is restricted from below
    assert "param.catchment" in set(lim["input"]) and lim.set_index("input").loc["param.catchment", "lo"] > 0.3
    assert load_results(discovery_dir).discovery.meta == d.meta


def test_results_page_shows_discovery_and_calibration(discovery_dir, calibration_dir, experiment_dir):
    box, rc = solara.render(ResultsBrowser(), handle_error=False)
    open_in(rc, discovery_dir)
    assert {"abm-chart-tradeoff", "abm-chart-comparison"} <= charts(rc)
    rows = chart_rows(rc, "tradeoff")
    d = read_discovery(discovery_dir)
    assert len(rows) == len(d.trajectory) and [r["id"] for r in rows if r["selected"]] == [d.meta["selected"]]
    open_in(rc, calibration_dir)
    assert charts(rc) == {"abm-chart-posterior"}  # the experiment's charts are gone
    rows = chart_rows(rc, "posterior")
    assert sum(r["mass"] for r in rows if r["kind"] == "posterior") == pytest.approx(1.0)
    assert not any("Traceback" in a for a in alerts(rc))
    open_in(rc, experiment_dir)  # no abm discover there: no discovery section
    assert "abm-chart-tradeoff" not in charts(rc) and "abm-chart-comparison" in charts(rc)
    rc.close()


def test_discovery_json_is_the_question_shown(discovery_dir, tmp_path):
    """A --below discovery reads as "below" (the page shows the stored question, not a default)."""
    d = shutil.copytree(discovery_dir, tmp_path / "d")
    f = d / "analysis" / "discovery" / "discovery.json"
    meta = json.loads(f.read_text())
    assert question(read_discovery(d)).split("? ")[0].endswith(f"above {meta['threshold']:g}")
    rr.abm("discover", d, "--outcome", "success", "--threshold", "0.5", "--below")
    assert "fall below 0.5?" in question(read_discovery(d))
