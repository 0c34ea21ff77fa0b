"""Robustness of the runner (issue 15): the documented script without a main guard, workers that die
with their runner, a model missing on Dask workers, an unreachable scheduler, stale "running" sessions,
the status of a sweep with failures, retry attempts across sessions and file modes."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
from typer.testing import CliRunner

from abm.cli import app
from experiments import api
from tests.experiments.test_exp_dask import cluster  # noqa: F401 - a real scheduler and 2 workers (fixture)

ROOT = Path(__file__).resolve().parents[2]
ABM = [sys.executable, "-c", "from abm.cli import app; app()"]
ENV = os.environ | {"PYTHONPATH": str(ROOT)}
runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_documented_script_without_main_guard_just_works(tmp_path):
    # the Python API example of docs/EXPERIMENTS.md, saved as a script with no __main__ guard
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""\
        from experiments.api import build_spec, run_experiment

        spec = build_spec(name="trust", scenarios=["P3"], interventions=["baseline", "no_shadowing"],
                          design={{"type": "grid", "parameters": {{"trust_alpha": [0.01, 0.02]}}}},
                          replicates=2, seed=1, steps=4)
        counts = run_experiment(spec, {str(tmp_path / "trust")!r}, executor=2, progress=False, analyze=False)
        print("COUNTS", counts.completed, counts.failed, counts.remaining)
    """))
    r = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "COUNTS 8 0 0" in r.stdout, r.stdout + r.stderr
    assert "bootstrapping phase" not in r.stderr
    assert api.load_results(tmp_path / "trust").failures.empty


def test_workers_that_cannot_run_anything_record_nothing(tmp_path):
    # the model exists in the caller only (a module made at run time): every worker would fail alike,
    # which is the environment's fault, not the runs'; nothing may be recorded as failed
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""\
        import sys, types
        from experiments.api import ExecutorError, build_spec, run_experiment
        from experiments.toy import cheap_run

        mod = types.ModuleType("made_here")
        mod.run = cheap_run
        sys.modules["made_here"] = mod
        spec = build_spec(name="here", model="made_here:run", scenarios=["P3"], replicates=3, seed=1, steps=4)
        try:
            run_experiment(spec, {str(tmp_path / "out")!r}, executor=2, progress=False)
        except ExecutorError as e:
            print("ERROR", e)
    """))
    r = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "ERROR local worker processes: cannot import the model 'made_here:run'" in r.stdout, r.stdout + r.stderr
    assert not (tmp_path / "out").exists(), "nothing is created, so nothing is skipped on a rerun"


SPEC_LONG = """\
name: long
scenarios: [P2, P3]
interventions: [baseline, no_shadowing]
design: {type: grid, parameters: {mu: [0.2, 0.3]}}
replicates: 300
seed: 99
steps: 20
outputs: {chunk_runs: 20, chunk_seconds: 1}
"""


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    left = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(p)
        except psutil.NoSuchProcess:
            pass
    return left


def test_workers_die_with_the_runner_and_the_session_is_marked_interrupted(tmp_path):
    spec, out = tmp_path / "spec.yaml", tmp_path / "out"
    spec.write_text(SPEC_LONG)
    cmd = [*ABM, "experiment", str(spec), "--out", str(out), "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    children: list[psutil.Process] = []
    try:
        t0 = time.monotonic()
        while not list((out / "summary").glob("part-*.parquet")):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() - t0 < 120, "no results appeared"
            time.sleep(0.05)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 3, children  # the forkserver and 2 workers (and the resource tracker)
        os.kill(proc.pid, signal.SIGKILL)  # the runner alone, as the OOM killer does
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _alive(children)
        assert not left, [(p.pid, p.cmdline()[-1][:60]) for p in left]
    finally:
        for p in _alive(children):  # never leave strays behind
            p.kill()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"  # as left by the dead runner
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and m["sessions"][0]["status"] == "interrupted"
    assert "status: interrupted" in res.output


def test_stale_session_is_marked_interrupted_on_resume(tmp_path):
    spec = api.build_spec(name="stale", model="experiments.toy:cheap_run", scenarios=["P3"], replicates=4, seed=3, steps=3)
    out = tmp_path / "out"
    api.run_experiment(spec, out, executor=1, progress=False, analyze=False)
    m = json.loads((out / "manifest.json").read_text())
    m["status"] = m["sessions"][0]["status"] = "running"  # what a SIGKILLed runner leaves behind
    (out / "manifest.json").write_text(json.dumps(m))
    api.run_experiment(spec, out, executor=1, progress=False, analyze=False)
    m = json.loads((out / "manifest.json").read_text())
    assert [s["status"] for s in m["sessions"]] == ["interrupted", "complete"] and m["status"] == "complete"


def test_status_says_complete_with_failures(tmp_path):
    spec = tmp_path / "flaky.yaml"
    spec.write_text(
        "name: flaky\nmodel: experiments.toy:flaky_run\nscenarios: [P3]\n"
        "design: {type: grid, parameters: {mu: [0.2, 0.5]}}\nreplicates: 1\nseed: 5\nsteps: 3\n"
    )
    out = tmp_path / "out"
    res = runner.invoke(app, ["experiment", str(spec), "--out", str(out), "--no-progress", "--workers", "1"])
    assert res.exit_code == 1, res.output
    assert "status: complete_with_failures" in res.output and "complete_with_failures" in res.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete_with_failures" and m["sessions"][0]["status"] == "complete_with_failures"
    assert m["runs"] == {"total": 2, "completed": 1, "failed": 1, "remaining": 0}
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    assert "status: complete_with_failures (1 completed, 1 failed" in res.output


def test_retry_attempts_accumulate_across_sessions(tmp_path):
    spec = api.build_spec(name="dying", model="experiments.toy:dying_run", scenarios=["P3"], replicates=1, seed=2,
                          design={"type": "grid", "parameters": {"mu": [0.2, 0.5]}}, steps=3)  # fmt: skip
    out = tmp_path / "out"
    first = api.run_experiment(spec, out, executor=1, progress=False, analyze=False)
    assert (first.completed, first.failed) == (1, 1)
    assert list(api.load_results(out).failures["attempts"]) == [2]
    again = api.run_experiment(spec, out, executor=1, progress=False, analyze=False, retry_failed=True)
    assert (again.completed, again.failed, again.ran) == (1, 1, 1)
    assert list(api.load_results(out).failures["attempts"]) == [4]


def test_result_files_respect_the_umask(tmp_path):
    spec = api.build_spec(name="modes", model="experiments.toy:cheap_run", scenarios=["P3"], replicates=2, seed=3, steps=3)
    out = tmp_path / "out"
    api.run_experiment(spec, out, executor=1, progress=False)
    mask = os.umask(0o022)
    os.umask(mask)
    files = [out / "manifest.json", *(out / "summary").glob("*.parquet"), *(out / "steps").glob("*.parquet"),
             *(out / "analysis").glob("*.csv")]  # fmt: skip
    assert len(files) >= 4
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~mask, f


def test_unreachable_scheduler_creates_nothing(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"name: far\nscenarios: [P3]\nreplicates: 1\nseed: 1\nsteps: 3\n"
                    f"executor: {{type: dask, address: 'tcp://127.0.0.1:{_free_port()}', timeout: 1}}\n")  # fmt: skip
    out = tmp_path / "deep" / "out"
    res = runner.invoke(app, ["experiment", str(spec), "--out", str(out), "--no-progress"])
    assert res.exit_code == 2, res.output
    assert res.stderr.count("\n") == 1 and "cannot connect to the Dask scheduler" in res.stderr
    assert not out.exists() and not out.parent.exists()


def test_model_missing_on_dask_workers_fails_before_the_sweep(cluster, tmp_path):  # noqa: F811
    # the model module is importable by the runner (PYTHONPATH) but not by the workers
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / "my_local_model.py").write_text("from experiments.toy import cheap_run as run\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: custom\nmodel: my_local_model:run\nscenarios: [P3]\nreplicates: 4\nseed: 1\nsteps: 3\n")
    out = tmp_path / "out"
    env = ENV | {"PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path / 'mods'}"}
    r = subprocess.run([*ABM, "experiment", str(spec), "--out", str(out), "--scheduler", cluster, "--no-progress"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert "my_local_model" in r.stderr and "install" in r.stderr and "Running on a cluster" in r.stderr
    assert not out.exists()
