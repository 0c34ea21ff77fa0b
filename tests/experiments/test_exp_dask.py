"""A real Dask cluster (``dask scheduler`` and ``dask worker`` processes on 127.0.0.1) gives the same
results as the local pool, through the API and through ``abm experiment --scheduler``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from abm.cli import app
from experiments import api

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SPEC = dict(
    name="dasky",
    scenarios=["P2", "P3"],
    interventions=["baseline", "no_trust_building"],
    design={"type": "lhs", "samples": 2, "parameters": {"mu": [0.1, 0.4]}},
    replicates=2,
    seed=123,
    steps=6,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = os.environ | {"PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    common = dict(cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0", "--no-show"], **common)]  # fmt: skip
    try:
        from distributed import Client

        t0 = time.monotonic()
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() - t0 < 60, "scheduler did not start"
                time.sleep(0.2)
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                       "--no-dashboard", "--host", "127.0.0.1"], **common))  # fmt: skip
        with Client(address, timeout=30) as c:
            c.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def _tables(out):
    r = api.load_results(out)
    return {"summary": r.summary, "steps": r.steps, "milestones": r.milestones}


def test_dask_cluster_gives_identical_results(cluster, tmp_path):
    spec = api.build_spec(**SPEC)
    local = api.run_experiment(spec, tmp_path / "local", executor=1, progress=False, analyze=False)
    remote = api.run_experiment(spec, tmp_path / "dask", executor=cluster, progress=False, analyze=False, batch_size=2)
    assert local.ok and remote.ok and remote.completed == 16
    a, b = _tables(tmp_path / "local"), _tables(tmp_path / "dask")
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    # the CLI sends the same spec to the same cluster
    (tmp_path / "spec.yaml").write_text(pd.Series(SPEC).to_json())  # JSON is YAML
    res = CliRunner().invoke(app, ["experiment", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "cli"),
                                   "--scheduler", cluster, "--no-progress"])  # fmt: skip
    assert res.exit_code == 0, res.output + res.stderr
    assert "on dask" in res.output
    pd.testing.assert_frame_equal(api.load_results(tmp_path / "cli").summary, a["summary"], check_exact=True)
