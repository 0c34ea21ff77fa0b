"""Running experiments: determinism across worker counts, paired seeds, fault isolation, resume, report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from abm.cli import app
from abm.run import run_once
from experiments import api

runner = CliRunner()

SPEC = dict(
    name="det",
    scenarios=["P2", "P3"],
    interventions=["baseline", "no_shadowing", "no_milestones"],
    design={"type": "grid", "parameters": {"mu": [0.2, 0.35]}},
    replicates=2,
    seed=11,
    steps=8,
)


def _tables(out) -> dict[str, pd.DataFrame]:
    r = api.load_results(out)
    return {"summary": r.summary, "steps": r.steps, "milestones": r.milestones}


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    out = tmp_path_factory.mktemp("w1") / "out"
    res = api.run_experiment(api.build_spec(**SPEC), out, executor=1, progress=False, batch_size=1)
    assert res.ok and res.completed == 24
    return out


def test_two_workers_give_identical_results(one_worker, tmp_path):
    out = tmp_path / "out"
    res = api.run_experiment(api.build_spec(**SPEC), out, executor=2, progress=False, batch_size=3)
    assert res.ok
    a, b = _tables(one_worker), _tables(out)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    assert list(a["summary"]["run_id"]) == list(range(24))


def test_seeds_are_data_and_paired_across_interventions(one_worker):
    s = api.load_results(one_worker).summary
    keys = s.groupby(["scenario", "point", "replicate"])["seed_spawn_key"].nunique()
    assert (keys == 1).all(), "same (scenario, point, replicate) -> same seed under every intervention"
    assert s.groupby(["point", "replicate"]).ngroups == s["seed_spawn_key"].nunique() == 4
    # the stored seed reproduces the stored run exactly
    row = s[(s["scenario"] == "P3") & (s["intervention"] == "no_shadowing")].iloc[-1]
    p, r = map(int, row["seed_spawn_key"].split(","))
    seed = np.random.SeedSequence(int(row["seed_entropy"]), spawn_key=(p, r))
    again = run_once("P3", seed=seed, steps=8, overrides={"params.mu": row["param.mu"], "params.mechanisms.shadowing": False})
    assert again.summary["final_consensus"] == row["final_consensus"]
    assert again.summary["auc_integration"] == row["auc_integration"]
    # and different replicates do differ
    base = s[(s["scenario"] == "P3") & (s["intervention"] == "baseline") & (s["point"] == 0)]
    assert base["final_consensus"].nunique() == 2


def test_manifest_provenance_and_analysis(one_worker):
    m = json.loads((one_worker / "manifest.json").read_text())
    assert m["kind"] == "experiment" and m["status"] == "complete"
    assert m["runs"] == {"total": 24, "completed": 24, "failed": 0, "remaining": 0}
    assert m["versions"]["mesa"] and m["spec"]["seed"] == 11 and len(m["spec_hash"]) == 20
    assert m["started"] and m["ended"] and m["sessions"][0]["workers"] == 1
    stats = pd.read_csv(one_worker / "analysis" / "summary_stats.csv")
    assert set(stats.columns) >= {"scenario", "intervention", "outcome", "mean", "median", "ci_low", "ci_high"}
    # one row per scenario x intervention x design point (points are never pooled)
    rows = stats[(stats.scenario == "P2") & (stats.intervention == "baseline") & (stats.outcome == "final_consensus")]
    assert list(rows["point"]) == [0, 1] and list(rows["param.mu"]) == [0.2, 0.35]
    row = rows.iloc[1]
    s = api.load_results(one_worker).summary
    vals = s[(s.scenario == "P2") & (s.intervention == "baseline") & (s.point == 1)]["final_consensus"]
    assert row["mean"] == pytest.approx(vals.mean()) and row["n"] == 2 and row["n_missing"] == 0
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    assert (one_worker / "analysis" / "ensemble_P2_p1.png").stat().st_size > 1000
    # report regenerates the analysis from stored results alone, identically (fixed bootstrap seed)
    before = (one_worker / "analysis" / "summary_stats.csv").read_text()
    (one_worker / "analysis" / "summary_stats.csv").unlink()
    res = runner.invoke(app, ["report", str(one_worker)])
    assert res.exit_code == 0, res.output
    assert (one_worker / "analysis" / "summary_stats.csv").read_text() == before


def test_resume_skips_completed_runs(one_worker, tmp_path):
    out = tmp_path / "out"
    spec = api.build_spec(**SPEC)
    api.run_experiment(spec, out, executor=1, progress=False, batch_size=1)
    # simulate an interruption after a first chunk holding runs 0..9
    for table in ("summary", "steps", "milestones"):
        (part,) = sorted((out / table).glob("part-*.parquet"))
        full = pd.read_parquet(part)
        full[full.run_id < 10].to_parquet(part, index=False)
    res = api.run_experiment(spec, out, executor=2, progress=False)
    assert res.skipped == 10 and res.ran == 14 and res.ok
    a, b = _tables(one_worker), _tables(out)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["sessions"]) == 2 and m["status"] == "complete"


def test_failing_runs_are_recorded_and_the_sweep_goes_on(tmp_path):
    spec = tmp_path / "flaky.yaml"
    spec.write_text(
        "name: flaky\nmodel: experiments.toy:flaky_run\nscenarios: [P3]\n"
        "design: {type: grid, parameters: {mu: [0.2, 0.5, 0.3]}}\nreplicates: 2\nseed: 5\nsteps: 5\n"
    )
    out = tmp_path / "out"
    res = runner.invoke(app, ["experiment", str(spec), "--out", str(out), "--no-progress", "--workers", "2"])
    assert res.exit_code == 1, res.output
    assert "2 run(s) failed" in res.stderr and "Traceback" not in res.stderr
    r = api.load_results(out)
    assert sorted(r.summary["param.mu"]) == [0.2, 0.2, 0.3, 0.3]
    f = r.failures
    assert list(f["run_id"]) == [2, 3] and set(f["param.mu"]) == {0.5}
    assert (f["error_type"] == "ValueError").all() and f["traceback"].str.contains("flaky_run").all()
    assert list(f["seed_spawn_key"]) == ["1,0", "1,1"] and (f["seed_entropy"] == 5).all()
    m = json.loads((out / "manifest.json").read_text())
    assert m["runs"] == {"total": 6, "completed": 4, "failed": 2, "remaining": 0}


def test_dying_worker_is_retried_once_then_recorded(tmp_path):
    spec = api.build_spec(name="dying", model="experiments.toy:dying_run", scenarios=["P3"], replicates=3, seed=2,
                          design={"type": "grid", "parameters": {"mu": [0.2, 0.5, 0.3]}}, steps=5)  # fmt: skip
    res = api.run_experiment(spec, tmp_path / "out", executor=2, progress=False, batch_size=2)
    assert (res.completed, res.failed) == (6, 3)
    r = api.load_results(tmp_path / "out")
    assert set(r.summary["param.mu"]) == {0.2, 0.3}
    assert list(r.failures["run_id"]) == [3, 4, 5]
    assert (r.failures["error_type"] == "WorkerDied").all() and (r.failures["attempts"] == 2).all()


def test_reading_results_starts_no_thread_and_reads_what_pandas_reads(one_worker):
    """A script that reads results must not leave Arrow pool threads behind: one still finishing at
    interpreter exit aborts the process after its work is done (apache/arrow#34314)."""
    import subprocess
    import sys

    from experiments.results import SUMMARY_STATS
    from experiments.storage import parts, read_frame

    script = (
        "import os, sys\n"
        "from experiments import api\n"
        "from experiments.results import SUMMARY_STATS, read_analysis_table\n"
        "def n():  # threads, less the allocator's background thread (started lazily, never a pool worker)\n"
        "    names = [open(f'/proc/self/task/{t}/comm').read().strip() for t in os.listdir('/proc/self/task')]\n"
        "    return sum(name != 'jemalloc_bg_thd' for name in names)\n"
        "before = n()\n"
        "r = api.load_results(sys.argv[1])\n"
        "sizes = [len(r.summary), len(r.steps), len(r.milestones), len(read_analysis_table(sys.argv[1], SUMMARY_STATS))]\n"
        "print(before, n(), *sizes)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(one_worker)], capture_output=True, text=True, check=True)
    before, after, *sizes = map(int, out.stdout.split())
    assert after == before, f"reading results started {after - before} thread(s)"
    assert sizes[0] == 24 and min(sizes) > 0
    files = [f for t in ("summary", "steps", "milestones") for f in parts(one_worker, t)]
    files.append(one_worker / "analysis" / f"{SUMMARY_STATS}.parquet")
    for f in files:
        pd.testing.assert_frame_equal(read_frame(f), pd.read_parquet(f), check_exact=True)
