"""The abm CLI: run, check, scenarios; every bad-input case exits 2 with one clear message."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from abm.cli import PLUGIN_GROUP, app, load_plugins

runner = CliRunner()

GOOD = """
name: tiny
organizations:
  - {name: H, kind: hospital, size: 800}
  - {name: C, kind: home_care, size: 300}
params: {mu: 0.2}
"""

BAD = {
    "unknown_key": (GOOD.replace("params: {mu: 0.2}", "params: {muu: 0.2}"), ["params.muu", "unknown key"]),
    "wrong_type": (GOOD.replace("size: 800", "size: big"), ["organizations.0.size", "valid number", "big"]),
    "out_of_range": (GOOD.replace("mu: 0.2", "mu: 0.9"), ["params.mu", "less than or equal to 0.5", "0.9"]),
    "unknown_target": (
        GOOD + "milestones:\n  - {name: x, category: political, valence: disrupting, at: 3, targets: {orgs: [Nowhere]}}\n",
        ["milestones.0.targets", "unknown organization 'Nowhere'"],
    ),
    "prior_shape": (GOOD + "prior_partnerships: [[0, 1, 0], [1, 0, 0]]\n", ["prior_partnerships", "2x2 matrix", "got 2x3"]),
    "invalid_yaml": (GOOD + "params: {mu: [\n", ["invalid YAML", "line"]),
    "unknown_category": (
        GOOD + "milestones:\n  - {name: x, category: weather, valence: disrupting, at: 3}\n",
        ["milestones.0.category", "strategic_relational"],
    ),
    "milestone_when": (GOOD + "milestones:\n  - {name: x, category: political, valence: disrupting}\n", ["milestones.0", "exactly one of 'at'"]),
}


def test_scenarios_lists_six_programs():
    res = runner.invoke(app, ["scenarios"])
    assert res.exit_code == 0
    for p in ("P1", "P2", "P3", "P4", "P5", "P6"):
        assert p in res.output


def test_check_accepts_good_config(tmp_path):
    f = tmp_path / "good.yaml"
    f.write_text(GOOD)
    res = runner.invoke(app, ["check", str(f)])
    assert res.exit_code == 0 and "valid" in res.output


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_config_exits_2_with_one_clear_message(tmp_path, case, command):
    text, expected = BAD[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text)
    out = tmp_path / "out"
    args = [command, str(f)] + (["--out", str(out), "--steps", "3"] if command == "run" else [])
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    msg = res.stderr if hasattr(res, "stderr") else res.output
    assert str(f) in msg.replace("\n", "")
    for part in expected:
        assert part in msg.replace("\n", ""), (part, msg)
    assert "Traceback" not in msg
    assert not out.exists()  # nothing written on failure


def test_missing_file_exits_2(tmp_path):
    res = runner.invoke(app, ["check", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "cannot read" in res.stderr


def test_run_writes_tables_plot_and_provenance(tmp_path):
    out = tmp_path / "p3"
    res = runner.invoke(app, ["run", "P3", "--seed", "5", "--steps", "20", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "final_integration" in res.output
    steps = pd.read_parquet(out / "steps.parquet")
    assert len(steps) == 21 and pd.read_csv(out / "steps.csv").shape == steps.shape
    assert (out / "milestones.csv").exists() and (out / "outcomes.png").stat().st_size > 10_000
    prov = json.loads((out / "run.json").read_text())
    assert prov["seed"] == 5 and prov["scenario"]["name"] == "P3" and "mesa" in prov["versions"]
    assert not [p for p in Path(tmp_path).iterdir() if p.name.startswith(".p3")]  # no temporary left behind


def test_yaml_cannot_execute_code(tmp_path):
    f = tmp_path / "evil.yaml"
    f.write_text("!!python/object/apply:os.system ['touch " + str(tmp_path / "pwned") + "']\n")
    res = runner.invoke(app, ["check", str(f)])
    assert res.exit_code == 2
    assert not (tmp_path / "pwned").exists()


# --- commands added by other packages through the `abm.commands` entry points -------------------

PLUGIN_COMMANDS = ("experiment", "report", "replay", "sensitivity", "validate", "cmo", "dashboard")
PLUGIN_ENTRY_POINTS = {
    "experiments": "experiments.cli:register",
    "sensitivity": "experiments.sensitivity_cli:register",
    "validation": "experiments.validation_cli:register",
    "dashboard": "dashboards.cli:register",
}


def _abm(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("abm")
    assert exe.exists(), f"{exe}: the console script is missing (pip install -e .)"
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env_extra or {})}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)


def test_run_set_overrides_reach_the_run_and_its_provenance(tmp_path):
    out = tmp_path / "p1"
    res = runner.invoke(app, ["run", "P1", "--steps", "3", "--out", str(out), "--set", "params.mu=0.2",
                              "--set", "organizations[Small Hospital].it_system=9", "--set", "program.pathway=co_design"])  # fmt: skip
    assert res.exit_code == 0, res.output
    prov = json.loads((out / "run.json").read_text())
    assert prov["overrides"] == {"params.mu": 0.2, "organizations[Small Hospital].it_system": 9, "program.pathway": "co_design"}
    assert prov["scenario"]["params"]["mu"] == 0.2 and prov["scenario"]["organizations"][5]["it_system"] == 9
    assert prov["scenario"]["program"]["pathway"] == "co_design"


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--set", "params.mu"], "expected KEY=VALUE"), (["--set", "params.mu=0.9"], "params.mu: Input should be less than or equal to 0.5"),
     (["--set", "organizations[Nowhere].size=5"], "unknown organization 'Nowhere'"), (["--set", "params.trust_beta_ratio=1"], "greater than 1"),
     (["--seed", "-1"], "--seed")],
)  # fmt: skip
def test_run_bad_overrides_and_seeds_exit_2(args, expected, tmp_path):
    res = _abm("run", "P1", "--steps", "2", "--out", str(tmp_path / "r"), *args)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert expected in " ".join(res.stderr.split())
    assert not (tmp_path / "r").exists()


def test_help_lists_core_and_plugin_commands():
    res = _abm("--help")
    assert res.returncode == 0, res.stderr
    listed = set(re.findall(r"^\W*([a-z]+)\s{2,}", res.stdout, flags=re.MULTILINE))
    for command in ("run", "check", "scenarios", "milestones", *PLUGIN_COMMANDS):
        assert command in listed, (command, res.stdout)
    assert "warning" not in res.stderr


def test_plugins_are_registered_by_entry_point():
    eps = {ep.name: ep.value for ep in entry_points(group=PLUGIN_GROUP)}
    for name, value in PLUGIN_ENTRY_POINTS.items():
        assert eps.get(name) == value, (name, eps)
    fresh = typer.Typer()
    loaded = load_plugins(fresh)
    assert set(PLUGIN_ENTRY_POINTS) <= set(loaded)
    assert set(PLUGIN_COMMANDS) <= {c.name for c in fresh.registered_commands}
    assert set(PLUGIN_COMMANDS) <= {c.name for c in app.registered_commands}


def test_broken_plugin_is_skipped_with_one_line_warning(capsys):
    broken = EntryPoint(name="broken", value="no_such_abm_plugin.cli:register", group=PLUGIN_GROUP)
    fresh = typer.Typer()
    good = EntryPoint(name="dashboard", value=PLUGIN_ENTRY_POINTS["dashboard"], group=PLUGIN_GROUP)
    assert load_plugins(fresh, [broken, good]) == ["dashboard"]
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "broken" in err and "Traceback" not in err, err
    assert [c.name for c in fresh.registered_commands] == ["dashboard"]


def test_broken_installed_plugin_leaves_core_commands_working(tmp_path):
    # A distribution whose `abm.commands` entry point cannot be imported, found on PYTHONPATH.
    dist = tmp_path / "broken_abm_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-abm-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[abm.commands]\nbroken = no_such_abm_plugin.cli:register\n")
    res = _abm("scenarios", env_extra={"PYTHONPATH": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    assert "P1" in res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken" in lines[0] and "warning" in lines[0], res.stderr
    assert "Traceback" not in res.stderr
    help_res = _abm("--help", env_extra={"PYTHONPATH": str(tmp_path)})
    assert help_res.returncode == 0 and "dashboard" in help_res.stdout
