"""``abm replay``: one stored run of a results directory written by the real ``abm experiment`` (and
``abm sensitivity``) re-run bit for bit; exit 0 if its summary matches, 1 if not, 2 for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from experiments.results import load_results

ABM = Path(sys.executable).with_name("abm")
ID = ["run_id", "scenario", "intervention", "point", "replicate"]

SPEC = {
    "name": "replay-small", "scenarios": ["P1"],
    "interventions": {"baseline": {}, "no_shadowing": {"params.mechanisms.shadowing": False},
                      "small_hospital_it": {"organizations[Small Hospital].it_system": 1, "organizations[5].size": 400}},
    "design": {"type": "grid", "parameters": {"mu": [0.1, 0.2]}},
    "replicates": 2, "seed": 7, "steps": 16, "outputs": {"steps": True, "milestones": True},
    "executor": {"type": "local", "workers": 1},
}  # fmt: skip


def abm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ABM), *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def exp_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("replay")
    spec = folder / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    res = abm("experiment", str(spec), "--out", str(folder / "out"), "--no-progress")
    assert res.returncode == 0, res.stderr
    return folder / "out"


def _stored(out: Path, run_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = load_results(out)
    steps = r.steps[r.steps["run_id"] == run_id].drop(columns=ID).reset_index(drop=True)
    ms = r.milestones[r.milestones["run_id"] == run_id].drop(columns=ID).reset_index(drop=True)
    return steps, ms


@pytest.mark.parametrize("run_id", [0, 5, 11])  # baseline; no_shadowing (point 0, replicate 1); one organization overridden (point 1)
def test_replay_reproduces_a_stored_run_bit_for_bit(exp_dir, tmp_path, run_id):
    res = abm("replay", str(exp_dir), str(run_id), "--out", str(tmp_path / "r"))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "summary matches the stored one" in res.stdout
    steps, ms = _stored(exp_dir, run_id)
    replayed = pd.read_parquet(tmp_path / "r" / "steps.parquet")
    pd.testing.assert_frame_equal(replayed, steps, check_exact=True, check_dtype=False)
    replayed_ms = pd.read_parquet(tmp_path / "r" / "milestones.parquet")
    pd.testing.assert_frame_equal(replayed_ms.reset_index(drop=True), ms, check_dtype=False)
    assert {"steps.csv", "milestones.csv", "run.json", "outcomes.png"} <= {p.name for p in (tmp_path / "r").iterdir()}


def test_the_organization_override_reached_the_runs(exp_dir):
    s = load_results(exp_dir).summary
    p1 = s.set_index(["intervention", "point", "replicate"])
    assert not p1.loc["small_hospital_it", "auc_integration"].equals(p1.loc["baseline", "auc_integration"])


def test_replay_of_a_summary_that_differs_exits_1(exp_dir, tmp_path):
    # a copy of the directory whose stored summary of run 2 is not what the model gives (e.g. older code)
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(exp_dir, copy)
    for part in sorted((copy / "summary").glob("part-*.parquet")):
        df = pd.read_parquet(part)
        if (df["run_id"] == 2).any():
            df.loc[df["run_id"] == 2, "final_consensus"] += 1e-9
            df.to_parquet(part, index=False)
    res = abm("replay", str(copy), "2", "--out", str(tmp_path / "r"))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "final_consensus: stored" in res.stdout and "differs from the stored one in 1 value" in res.stderr
    assert (tmp_path / "r" / "steps.parquet").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["{missing}", "0"], "no such results directory"), (["{dir}", "99"], "no completed run with id 99; completed run ids are 0..11"),
     (["{empty}", "0"], "not a results directory")],
)  # fmt: skip
def test_bad_input_exits_2_without_writing(exp_dir, tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    fill = {"missing": str(tmp_path / "nope"), "dir": str(exp_dir), "empty": str(tmp_path / "empty")}
    res = abm("replay", *[a.format(**fill) for a in args], "--out", str(tmp_path / "r"))
    assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "r").exists()


def test_a_changed_scenario_file_is_refused(tmp_path):
    cfg = tmp_path / "prog.yaml"
    cfg.write_text((Path(__file__).resolve().parents[2] / "abm" / "programs" / "p3_cardiac_surgery.yaml").read_text())
    spec = {**SPEC, "scenarios": ["prog.yaml"], "interventions": ["baseline"], "design": {"type": "none"}, "replicates": 1, "steps": 4}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    assert abm("experiment", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out"), "--no-progress").returncode == 0
    assert abm("replay", str(tmp_path / "out"), "0", "--out", str(tmp_path / "r0")).returncode == 0
    cfg.write_text(cfg.read_text().replace("trust_initial: 0.2", "trust_initial: 0.3"))
    res = abm("replay", str(tmp_path / "out"), "0", "--out", str(tmp_path / "r1"))
    assert res.returncode == 2 and "has changed since the run" in res.stderr


def test_replay_of_a_sensitivity_run(tmp_path):
    spec = {
        "name": "tiny-morris", "scenario": "P3", "parameters": {"trust_beta_ratio": None, "mu": [0.05, 0.2]},
        "fixed": {"organizations[Home Care Provider].it_system": 1, "steps": 10},
        "sampler": {"name": "morris", "N": 2, "levels": 4}, "methods": ["morris"], "replicates": 1, "seed": 3,
        "outcomes": ["final_integration"], "bootstrap": {"resamples": 20, "seed": 3}, "convergence": False,
        "executor": {"type": "local", "workers": 1},
    }  # fmt: skip
    (tmp_path / "sens.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    res = abm("sensitivity", str(tmp_path / "sens.yaml"), "--out", str(tmp_path / "out"), "--no-progress")
    assert res.returncode == 0, res.stderr
    s = load_results(tmp_path / "out").summary
    assert (s["param.trust_beta_ratio"] > 1.0).all()  # the open lower bound is sampled just above 1
    low = int(s.loc[s["param.trust_beta_ratio"].idxmin(), "run_id"])
    res = abm("replay", str(tmp_path / "out"), str(low), "--out", str(tmp_path / "r"))
    assert res.returncode == 0, res.stdout + res.stderr
