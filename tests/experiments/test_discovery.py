"""Scenario discovery (``abm discover``): PRIM recovers a planted box, from the real ``abm experiment``'s results.

The planted box is :data:`experiments.toy.PLANTED_BOX` (catchment >= 0.6 and warm_handoff_share <= 0.4):
``experiments.toy.planted_box_run`` succeeds there with probability 0.95 and elsewhere with 0.05.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments.discovery import ema_prim, select_box
from experiments.discovery.prim import prim
from experiments.results import load_results, read_discovery

ROOT = Path(__file__).resolve().parents[2]


def _abm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "abm", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def _planted(n: int = 1500, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "c": rng.random(n),
                      "kind": rng.choice(["x", "y", "z"], n)})  # fmt: skip
    inside = (x["a"] >= 0.6) & (x["b"] <= 0.4) & (x["kind"] != "z")
    y = np.where(inside, rng.random(n) < 0.95, rng.random(n) < 0.05)
    return x, y


@pytest.mark.parametrize("backend", ["own", "ema"])
def test_prim_recovers_a_known_box(backend):
    if backend == "ema" and not ema_prim.available():
        pytest.skip("EMA Workbench not installed (the ema extra, Python >= 3.12)")
    x, y = _planted()
    r = (prim if backend == "own" else ema_prim.prim)(x, y)
    t = r.trajectory
    assert t["id"].tolist() == list(range(len(t))) and t["coverage"].iloc[0] == 1.0
    assert t["mass"].min() >= 0.05 - 1e-9
    if backend == "own":  # peeling only (EMA also pastes back at the end)
        assert t["mass"].is_monotonic_decreasing
    i = select_box(t, 0.5)
    lim = r.limits[i]
    assert set(r.restricted(i)) >= {"a", "b"}
    assert 0.55 <= lim["a"][0] <= 0.65 and lim["a"][1] == pytest.approx(x["a"].max())
    assert 0.35 <= lim["b"][1] <= 0.45 and lim["b"][0] == pytest.approx(x["b"].min())
    assert lim["kind"] == frozenset({"x", "y"})  # the planted category is peeled away
    assert t["density"].iloc[i] > 0.85 and t["coverage"].iloc[i] > 0.5
    assert r.qp[i]["a"][0] < 1e-6 and r.qp[i]["b"][1] < 1e-6  # both planted limits strongly supported


def test_own_prim_peels_like_ema_workbench():
    if not ema_prim.available():
        pytest.skip("EMA Workbench not installed (the ema extra, Python >= 3.12)")
    x, y = _planted()
    own, ema = prim(x, y), ema_prim.prim(x, y)
    n = len(own.trajectory)
    assert len(ema.trajectory) >= n  # EMA pastes after peeling
    np.testing.assert_array_equal(own.trajectory["n"], ema.trajectory["n"].iloc[:n])  # the same peel sizes
    for col in ("coverage", "density"):  # and (nearly) the same runs: ties between candidates may differ
        np.testing.assert_allclose(own.trajectory[col], ema.trajectory[col].iloc[:n], atol=0.01, err_msg=col)


def test_own_prim_stops_at_mass_min_and_pure_boxes():
    x = pd.DataFrame({"a": np.linspace(0, 1, 200)})
    r = prim(x, x["a"].to_numpy() > 0.9, peel_alpha=0.1, mass_min=0.05)
    last = r.trajectory.iloc[-1]
    assert last["density"] == 1.0 and r.limits[-1]["a"][0] > 0.9  # peeled to the pure upper tail, then stopped
    r = prim(x, x["a"].to_numpy() > 0.99, mass_min=0.2)  # the pure box is too small: stops at >= 20% of the runs
    assert r.trajectory["mass"].iloc[-1] >= 0.2 and r.trajectory["density"].iloc[-1] < 1


@pytest.fixture(scope="module")
def planted_dir(tmp_path_factory) -> Path:
    """A results directory written by the real ``abm experiment`` (LHS over three parameters, toy model)."""
    tmp = tmp_path_factory.mktemp("discovery")
    spec = {
        "name": "planted", "model": "experiments.toy:planted_box_run", "scenarios": ["P1"],
        "interventions": ["baseline", "no_shadowing"], "replicates": 1, "seed": 11, "steps": 2,
        "design": {"type": "lhs", "samples": 300, "seed": 5,
                   "parameters": {"catchment": [0.0, 1.0], "warm_handoff_share": [0.0, 1.0], "mu": [0.1, 0.4]}},
        "outputs": {"steps": False, "milestones": False}, "executor": {"type": "local", "workers": 1},
    }  # fmt: skip
    (tmp / "spec.yaml").write_text(yaml.safe_dump(spec))
    res = _abm("experiment", tmp / "spec.yaml", "--out", tmp / "out", "--no-progress")
    assert res.returncode == 0, res.stderr
    return tmp / "out"


def test_abm_discover_recovers_the_planted_box(planted_dir):
    res = _abm("discover", planted_dir, "--outcome", "success", "--threshold", "0.5", "--method", "own")
    assert res.returncode == 0, res.stderr
    d = read_discovery(planted_dir)
    assert d is not None and d.meta["outcome"] == "success" and d.meta["n_runs"] == 600
    assert set(d.meta["inputs"]) == {"param.catchment", "param.warm_handoff_share", "param.mu", "intervention"}
    box = d.selected_box.set_index("input")
    assert {"param.catchment", "param.warm_handoff_share"} <= set(box.index)
    assert 0.5 <= box.loc["param.catchment", "lo"] <= 0.7
    assert 0.3 <= box.loc["param.warm_handoff_share", "hi"] <= 0.5
    t = d.trajectory
    assert t["selected"].sum() == 1 and t.loc[t["selected"], "density"].item() > 0.8
    assert "param.catchment >= 0." in d.summary and "param.warm_handoff_share <= 0." in d.summary
    for png in (d.tradeoff_png, d.box_png):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert load_results(planted_dir).discovery.meta == d.meta
    assert not [p for p in d.folder.parent.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_abm_discover_below_and_default_method(planted_dir):
    res = _abm("discover", planted_dir, "--outcome", "success", "--threshold", "0.5", "--below")
    assert res.returncode == 0, res.stderr
    d = read_discovery(planted_dir)
    assert d.meta["below"] is True
    assert ("EMA Workbench" in d.meta["method"]) == ema_prim.available()


@pytest.mark.parametrize("args,expected", [
    (["--outcome", "nope", "--threshold", "0.5"], "unknown outcome 'nope'; expected one of success, noise"),
    (["--outcome", "success", "--threshold", "2"], "selects no of the 600 runs"),
    (["--outcome", "success", "--threshold", "-1"], "selects all of the 600 runs"),
    (["--outcome", "success", "--threshold", "0.5", "--min-coverage", "0"], "--min-coverage: expected a number in (0, 1]"),
])  # fmt: skip
def test_bad_input_exits_2_with_one_line_and_writes_nothing(planted_dir, args, expected):
    before = json.loads((planted_dir / "analysis" / "discovery" / "discovery.json").read_text()) if read_discovery(planted_dir) else None
    res = _abm("discover", planted_dir, *args)
    assert res.returncode == 2
    assert expected in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    after = read_discovery(planted_dir)
    assert (after.meta if after else None) == before  # an earlier discovery is left as it was


def test_bad_directories_exit_2(tmp_path):
    res = _abm("discover", tmp_path / "missing", "--outcome", "x", "--threshold", "0")
    assert res.returncode == 2 and "no such results directory" in res.stderr and "Traceback" not in res.stderr
    res = _abm("discover", tmp_path, "--outcome", "x", "--threshold", "0")
    assert res.returncode == 2 and "not a results directory (no manifest.json)" in res.stderr
    spec = {"name": "flat", "model": "experiments.toy:cheap_run", "scenarios": ["P1"], "replicates": 6, "seed": 1,
            "steps": 3, "executor": {"type": "local", "workers": 1}}  # fmt: skip
    (tmp_path / "flat.yaml").write_text(yaml.safe_dump(spec))
    assert _abm("experiment", tmp_path / "flat.yaml", "--out", tmp_path / "flat", "--no-progress").returncode == 0
    res = _abm("discover", tmp_path / "flat", "--outcome", "final_walk", "--threshold", "0")
    assert res.returncode == 2 and "no varied inputs" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "flat" / "analysis" / "discovery").exists()
