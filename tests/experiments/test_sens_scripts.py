"""The example scripts run, the CLI runs a spec, and ``abm report`` regenerates it from storage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from abm.cli import app

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "experiments" / "scripts"


def run_script(name: str, *args: str) -> str:
    res = subprocess.run([sys.executable, str(SCRIPTS / name), *args], capture_output=True, text=True,
                         cwd=ROOT, timeout=240)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout


def test_ishigami_example(tmp_path):
    out = run_script("sensitivity_ishigami.py", "--out", str(tmp_path / "ish"), "--N", "256", "--workers", "1")
    assert "ST    x1" in out and "analytic" in out
    assert (tmp_path / "ish" / "analysis" / "sens_indices_sobol_y_mean.png").exists()


def test_screening_example_on_the_abm(tmp_path):
    out = run_script("sensitivity_screening.py", "--out", str(tmp_path / "scr"), "--trajectories", "2",
                     "--steps", "6", "--scenario", "P2", "--replicates", "1", "--workers", "2", "--top", "5")  # fmt: skip
    assert "mu_star" in out
    ix = pd.read_parquet(tmp_path / "scr" / "analysis" / "sensitivity_indices.parquet")
    assert set(ix["method"]) == {"morris"} and ix["value"].notna().all()


def test_cli_run_and_report_dispatch(tmp_path):
    spec = {"name": "cli-ishigami", "model": "experiments.testfunctions:ishigami", "parameters": ["x1", "x2", "x3"],
            "sampler": {"name": "fast", "N": 260}, "methods": ["fast"], "seed": 1, "outcomes": ["y"],
            "bootstrap": {"resamples": 50}, "executor": {"type": "local", "workers": 1}}  # fmt: skip
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(app, ["sensitivity", str(path), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    first = pd.read_parquet(out / "analysis" / "sensitivity_indices.parquet")
    assert sorted(first["N"].unique()) == [260]  # eFAST main design; N/4, N/2 designs only in convergence
    conv = pd.read_parquet(out / "analysis" / "sensitivity_convergence.parquet")
    assert sorted(conv["N"].unique()) == [65, 130, 260]
    for f in (out / "analysis").iterdir():
        f.unlink()
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_parquet(out / "analysis" / "sensitivity_indices.parquet"), first)
    # running the same spec again into the same directory resumes: nothing left to run
    res = runner.invoke(app, ["sensitivity", str(path), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0 and "0 run now" in res.output
