"""The calibration pipeline end to end on a pluggable model with a known posterior, determinism,
resume after a real ``abm calibrate`` is killed, and the posterior used by experiments."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import api
from experiments.calibration.posterior import load_posterior
from experiments.calibration.run import DB, calibrate, stored_generations
from experiments.calibration.spec import load_calibration, resolve
from tests.experiments.test_exp_dask import cluster  # noqa: F401 - the real Dask cluster fixture

ROOT = Path(__file__).resolve().parents[2]
ABM = [sys.executable, "-c", "from abm.cli import app; app()"]

TOY = """\
name: toy
model: experiments.calibration.toys:normal_mean
scenario: P1
parameters: {{theta: [-5, 5]}}
targets:
  observed: {{y: 1.0}}
replicates: {replicates}
population: {population}
generations: {generations}
distance: fixed
seed: {seed}
predictive: {{draws: 3, replicates: 4}}
executor: {{type: local, workers: {workers}}}
"""


def _toy(tmp: Path, name: str = "toy.yaml", replicates: int = 4, population: int = 150, generations: int = 5,
         seed: int = 3, workers: int = 2) -> Path:  # fmt: skip
    p = tmp / name
    p.write_text(TOY.format(replicates=replicates, population=population, generations=generations, seed=seed, workers=workers))
    return p


def _moments(out: Path, name: str) -> tuple[float, float]:
    post = pd.read_parquet(out / "posterior.parquet")
    w = post["weight"].to_numpy()
    x = post[f"param.{name}"].to_numpy()
    m = float(np.sum(w * x))
    return m, float(np.sqrt(np.sum(w * (x - m) ** 2)))


def test_conjugate_toy_matches_the_analytic_posterior(tmp_path):
    """Flat prior, y ~ N(theta, 1), mean of R = 4 replicates observed at 1: posterior N(1, 1/4) (+ eps^2/3 from ABC)."""
    res = resolve(load_calibration(_toy(tmp_path)))
    out = tmp_path / "out"
    r = calibrate(res, out, progress=False)
    assert r.status == "complete" and r.generations == 5
    gens = pd.read_csv(out / "generations.csv")
    eps = float(gens["epsilon"].iloc[-1])
    assert eps < 0.3 and gens["epsilon"].is_monotonic_decreasing
    mean, sd = _moments(out, "theta")
    exact_sd = np.sqrt(0.25 + eps**2 / 3)
    assert abs(mean - 1.0) < 0.12, mean  # the posterior mean's Monte Carlo error is about 0.5 / sqrt(ESS) ~ 0.04
    assert 0.8 * exact_sd < sd < 1.2 * exact_sd, (sd, exact_sd)
    post = pd.read_parquet(out / "posterior.parquet")
    assert len(post) == 150 and np.isclose(post["weight"].sum(), 1.0)
    assert {"param.theta", "weight", "distance", "stat.y"} <= set(post.columns)
    assert (post["distance"] <= eps + 1e-12).all()
    assert set(gens.columns) >= {"t", "epsilon", "ess", "acceptance_rate", "runs"}
    for f in ("report.md", "manifest.json", DB, "posterior_pairs.png", "posterior_marginals.png", "predictive.csv"):
        assert (out / f).exists(), f
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["versions"].get("pyabc") and m["seeds"]["master"] == 3
    # the docs blocks are generated from the stored run, between markers, leaving the rest alone
    from experiments.calibration.docs import update

    doc, readme = tmp_path / "V.md", tmp_path / "R.md"
    doc.write_text("# record\n<!-- BEGIN GENERATED: calibrate -->\nold\n<!-- END GENERATED: calibrate -->\ntail\n")
    update(res, out, doc, readme, "toy.yaml")
    text = doc.read_text()
    assert text.startswith("# record\n") and text.endswith("tail\n") and "old" not in text
    assert f"abm calibrate toy.yaml --out {out}" in text and "| theta | -5 | 5 |" in text
    assert "theta" in readme.read_text() and "BEGIN GENERATED: calibrate" in readme.read_text()


def test_same_seed_same_posterior_whatever_the_worker_count(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    calibrate(resolve(load_calibration(_toy(tmp_path, "a.yaml", population=40, generations=3, workers=2))), a, progress=False)
    calibrate(resolve(load_calibration(_toy(tmp_path, "b.yaml", population=40, generations=3, workers=1))), b, progress=False)
    pa, pb = pd.read_parquet(a / "posterior.parquet"), pd.read_parquet(b / "posterior.parquet")
    pd.testing.assert_frame_equal(pa, pb, check_exact=True)
    c = tmp_path / "c"
    calibrate(resolve(load_calibration(_toy(tmp_path, "c.yaml", population=40, generations=3, seed=4))), c, progress=False)
    assert not pd.read_parquet(c / "posterior.parquet").equals(pa), "another seed, another posterior"


def test_killed_calibration_resumes_to_the_uninterrupted_result(tmp_path):
    spec = _toy(tmp_path, population=60, generations=5)
    out = tmp_path / "killed"
    cmd = [*ABM, "calibrate", str(spec), "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t0 = time.monotonic()
    try:
        while stored_generations(out / DB) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() - t0 < 300, "no generation was stored"
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers
        proc.wait()
    cut = stored_generations(out / DB)
    assert 2 <= cut < 5, "killed mid-fit"
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    assert not (out / "posterior.parquet").exists()
    r = calibrate(resolve(load_calibration(spec)), out, progress=False)  # the same spec, the same directory: resumes
    assert r.resumed_from == cut and r.generations == 5 and r.status == "complete"
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and len(m["sessions"]) == 2
    ref = tmp_path / "ref"
    calibrate(resolve(load_calibration(spec)), ref, progress=False)
    # each generation's proposals are seeded from (seed, generation), so the continuation is the same fit
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"), pd.read_parquet(ref / "posterior.parquet"))
    gens = pd.read_csv(out / "generations.csv")
    assert list(gens["t"]) == list(range(5))


@pytest.fixture(scope="module")
def toy_posterior(tmp_path_factory):
    d = tmp_path_factory.mktemp("post")
    post = pd.DataFrame({"param.mu": [0.15, 0.25, 0.35], "param.trust_alpha": [0.01, 0.03, 0.05], "weight": [0.2, 0.5, 0.3]})
    post.to_parquet(d / "posterior.parquet", index=False)
    return d


def test_experiment_replicates_draw_from_a_posterior(tmp_path, toy_posterior):
    spec = tmp_path / "exp.yaml"
    spec.write_text(f"name: post\nscenarios: [P2, P6]\ninterventions: [baseline, no_shadowing]\nreplicates: 6\nseed: 5\nsteps: 4\n"
                    f"posterior: {toy_posterior}\noutputs: {{steps: false, milestones: false}}\n")  # fmt: skip
    r = api.run_experiment(spec, tmp_path / "out", executor=2, progress=False, analyze=False)
    assert r.ok
    s = api.load_results(tmp_path / "out").summary
    assert {"param.mu", "param.trust_alpha"} <= set(s.columns)
    pairs = set(zip(s["param.mu"], s["param.trust_alpha"], strict=True))
    assert pairs <= {(0.15, 0.01), (0.25, 0.03), (0.35, 0.05)} and len(pairs) >= 2
    per_rep = s.groupby("replicate")[["param.mu"]].nunique()
    assert (per_rep["param.mu"] == 1).all(), "a replicate has one draw across scenarios and interventions"
    post = load_posterior(toy_posterior)
    assert s[s.replicate == 3]["param.mu"].iat[0] == post.draw(5, 3)["mu"]


def test_experiment_posterior_errors_exit_2(tmp_path, toy_posterior):
    from typer.testing import CliRunner

    from abm.cli import app

    spec = tmp_path / "exp.yaml"
    base = "name: post\nscenarios: [P2]\nreplicates: 2\nseed: 5\nsteps: 4\n"
    for extra, needle in ((f"posterior: {tmp_path / 'nowhere'}\n", "no posterior.parquet"),
                          (f"posterior: {toy_posterior}\ndesign: {{type: grid, parameters: {{mu: [0.1]}}}}\n", "both drawn")):  # fmt: skip
        spec.write_text(base + extra)
        res = CliRunner().invoke(app, ["experiment", str(spec), "--out", str(tmp_path / "o"), "--no-progress"])
        assert res.exit_code == 2 and needle in " ".join(res.stderr.split()), res.stderr
        assert not (tmp_path / "o").exists()


def test_validate_and_cmo_run_over_posterior_draws(tmp_path, toy_posterior):
    from typer.testing import CliRunner

    from abm.cli import app

    cli = CliRunner()
    res = cli.invoke(app, ["validate", "--replicates", "3", "--pattern", "5", "--no-reductions", "--out", str(tmp_path / "v"),
                           "--posterior", str(toy_posterior)])  # fmt: skip
    assert res.exit_code == 0, res.output
    prov = json.loads((tmp_path / "v" / "results.json").read_text())
    assert "--posterior" in json.dumps(prov)
    res = cli.invoke(app, ["cmo", "--replicates", "2", "--program", "P6", "--mechanism", "trust_building", "--out", str(tmp_path / "c"),
                           "--posterior", str(toy_posterior)])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = cli.invoke(app, ["validate", "--replicates", "3", "--out", str(tmp_path / "x"), "--posterior", str(tmp_path)])
    assert res.exit_code == 2 and "posterior.parquet" in res.stderr and not (tmp_path / "x").exists()


def test_posterior_draws_change_the_runs(toy_posterior):
    """The draws reach the model: the same seed under two posterior draws gives different runs."""
    from experiments.validation.runner import run_arms, scenario

    post = load_posterior(toy_posterior)
    sets = [{"params.mu": 0.05, "params.trust_alpha": 0.001}, {"params.mu": 0.4, "params.trust_alpha": 0.15}]
    assert post.draw(1, 0) in [{"mu": 0.15, "trust_alpha": 0.01}, {"mu": 0.25, "trust_alpha": 0.03}, {"mu": 0.35, "trust_alpha": 0.05}]
    a = run_arms({"P2": scenario("P2")}, 9, 2, workers=1, steps=20, param_sets=[sets[0], sets[0]])["P2"]
    b = run_arms({"P2": scenario("P2")}, 9, 2, workers=1, steps=20, param_sets=[sets[1], sets[1]])["P2"]
    assert a[0].summary["final_trust_mean"] != b[0].summary["final_trust_mean"]


def test_dask_scheduler_gives_the_local_posterior(tmp_path, cluster):  # noqa: F811 - the imported fixture
    """``abm calibrate --scheduler`` on a real Dask cluster (scheduler and worker processes): the same posterior."""
    from typer.testing import CliRunner

    from abm.cli import app

    spec = _toy(tmp_path, population=30, generations=2)
    calibrate(resolve(load_calibration(spec)), tmp_path / "local", progress=False)
    res = CliRunner().invoke(app, ["calibrate", str(spec), "--out", str(tmp_path / "dask"), "--scheduler", cluster, "--no-progress"])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert m["sessions"][-1]["executor"] == "dask"
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "posterior.parquet"),
                                  pd.read_parquet(tmp_path / "local" / "posterior.parquet"), check_exact=True)  # fmt: skip


def test_a_model_error_stops_the_fit_with_exit_1_and_says_so(tmp_path):
    from typer.testing import CliRunner

    from abm.cli import app

    spec = tmp_path / "fail.yaml"
    spec.write_text("name: fail\nmodel: experiments.toy:flaky_run\nscenario: P2\nparameters: {mu: [0.3, 0.5]}\n"
                    "targets: {observed: {final_trust_mean: 0.9}}\nreplicates: 1\npopulation: 10\ngenerations: 1\n"
                    "steps: 3\nseed: 3\nexecutor: {type: local, workers: 1}\n")  # fmt: skip
    res = CliRunner().invoke(app, ["calibrate", str(spec), "--out", str(tmp_path / "o"), "--no-progress"])
    assert res.exit_code == 1 and "flaky_run: refusing mu=" in res.stderr and "Traceback" not in res.stderr
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["status"] == "failed"


def test_pattern_fit_with_a_held_out_pattern_reports_its_predictive_pass_rate(tmp_path):
    """The pattern path end to end, small: fit on pattern 5, hold 6b out, check it on posterior draws."""
    spec = tmp_path / "pat.yaml"
    spec.write_text("name: pat\nparameters: {mu: [0.05, 0.3]}\ntargets: {patterns: [5]}\nholdout: [6b]\nreplicates: 2\n"
                    "population: 6\ngenerations: 1\nseed: 8\npredictive: {draws: 2, replicates: 3}\n"
                    "executor: {type: local, workers: 2}\n")  # fmt: skip
    res = resolve(load_calibration(spec))
    assert res.fit_keys == ["5"] and res.holdout_keys == ["6b"] and res.runs_per_particle == 4
    out = tmp_path / "out"
    assert calibrate(res, out, progress=False).status == "complete"
    post = pd.read_parquet(out / "posterior.parquet")
    assert list(post.filter(like="stat.").columns) == ["stat.5"] and len(post) == 6
    assert ((post["param.mu"] >= 0.05) & (post["param.mu"] <= 0.3)).all()
    pp = pd.read_csv(out / "predictive.csv")
    assert set(pp["statistic"].astype(str)) == {"5", "6b"} and set(pp["role"]) == {"fit", "held out"}
    assert {"estimate", "lo", "hi", "passed"} <= set(pp.columns) and len(pp) == 4
    assert "Held-out patterns (6b): posterior predictive pass rate" in (out / "report.md").read_text()
