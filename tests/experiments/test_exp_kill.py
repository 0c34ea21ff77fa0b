"""Crash safety: SIGKILL an experiment mid-way, resume it, and get exactly an uninterrupted run's results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from experiments import api

ROOT = Path(__file__).resolve().parents[2]
ABM = [sys.executable, "-c", "from abm.cli import app; app()"]
SPEC = """\
name: killme
scenarios: [P2, P3]
interventions: [baseline, no_shadowing]
design: {type: grid, parameters: {mu: [0.2, 0.3]}}
replicates: 15
seed: 99
steps: 60
outputs: {chunk_runs: 6}
"""


def _start(spec: Path, out: Path) -> subprocess.Popen:
    cmd = [*ABM, "experiment", str(spec), "--out", str(out), "--workers", "2", "--no-progress"]
    # SIGINT as in a terminal: a non-interactive shell starts background jobs with SIGINT ignored, and an
    # ignored signal is inherited, so a test run from such a job would otherwise never see the Ctrl-C
    return subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509


def _wait_for_parts(out: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while len(list((out / "summary").glob("part-*.parquet"))) < n:
        assert proc.poll() is None, "the experiment ended before it could be interrupted"
        assert time.monotonic() - t0 < timeout, "no results appeared"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref")
    (d / "spec.yaml").write_text(SPEC)
    res = api.run_experiment(d / "spec.yaml", d / "out", executor=2, progress=False, analyze=False)
    assert res.ok and res.completed == 120
    r = api.load_results(d / "out")
    return {"summary": r.summary, "steps": r.steps, "milestones": r.milestones}


def _check_same(out: Path, reference: dict[str, pd.DataFrame]) -> None:
    raw = pd.concat([pq.read_table(p, columns=["run_id"]).to_pandas() for p in (out / "summary").glob("part-*.parquet")])
    assert raw["run_id"].is_unique, "no run stored twice"
    assert sorted(raw["run_id"]) == list(range(120)), "no run missing"
    r = api.load_results(out)
    for name, table in (("summary", r.summary), ("steps", r.steps), ("milestones", r.milestones)):
        pd.testing.assert_frame_equal(table, reference[name], check_exact=True)
    assert not list(out.rglob(".*.tmp")), "no half-written file left behind"


def test_sigkill_then_resume_equals_uninterrupted(tmp_path, reference):
    spec, out = tmp_path / "spec.yaml", tmp_path / "out"
    spec.write_text(SPEC)
    proc = _start(spec, out)
    _wait_for_parts(out, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, mid-write if it so happens
    proc.wait(timeout=30)
    done = len(api.load_results(out).summary)
    assert 0 < done < 120, done
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    proc = _start(spec, out)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    _check_same(out, reference)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and len(m["sessions"]) == 2 and m["sessions"][1]["completed"] == 120 - done


def test_ctrl_c_stops_cleanly_and_keeps_completed_runs(tmp_path, reference):
    spec, out = tmp_path / "spec.yaml", tmp_path / "out"
    spec.write_text(SPEC)
    proc = _start(spec, out)
    _wait_for_parts(out, 2, proc)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and m["runs"]["completed"] == len(api.load_results(out).summary) > 0
    res = api.run_experiment(spec, out, executor=1, progress=False, analyze=False)
    assert res.ok and res.skipped == m["runs"]["completed"]
    _check_same(out, reference)


def test_ctrl_c_while_the_workers_start_is_one_line_and_130(tmp_path):
    # the first seconds: the forkserver imports the model while one worker is asked to run a step (the preflight)
    spec, out = tmp_path / "spec.yaml", tmp_path / "out"
    spec.write_text(SPEC)
    proc = _start(spec, out)
    deadline = time.monotonic() + 120
    while not subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True).stdout and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    lines = err.decode().strip().splitlines()
    assert proc.returncode == 130, err.decode()
    assert len(lines) == 1 and "experiment: interrupted" in lines[0] and "resume" in lines[0], err.decode()
