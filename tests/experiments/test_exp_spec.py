"""Experiment specs: every bad input exits 2 with one message naming file and field; nothing starts."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from abm.cli import app
from experiments import api
from experiments.shipped import shipped_specs
from experiments.spec import SpecError

runner = CliRunner()

GOOD = """\
name: tiny
scenarios: [P2, P3]
interventions: [baseline, no_shadowing]
design: {type: grid, parameters: {mu: [0.2, 0.3]}}
replicates: 2
seed: 3
steps: 5
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BAD = {
    "unknown_key": (GOOD.replace("replicates: 2", "replicats: 2"), ["replicats", "unknown key"]),
    "unknown_nested_key": (GOOD.replace("steps: 5", "steps: 5\noutputs: {stepz: true}"), ["outputs.stepz", "unknown key"]),
    "wrong_type": (GOOD.replace("seed: 3", "seed: many"), ["seed", "valid integer", "many"]),
    "empty_design": (GOOD.replace("{mu: [0.2, 0.3]}", "{}"), ["design.parameters", "at least 1"]),
    "empty_values": (GOOD.replace("[0.2, 0.3]", "[]"), ["design.parameters.mu", "at least 1"]),
    "replicates_zero": (GOOD.replace("replicates: 2", "replicates: 0"), ["replicates", "greater than or equal to 1"]),
    "unknown_scenario": (GOOD.replace("[P2, P3]", "[P2, P9]"), ["scenarios.1", "unknown scenario 'P9'", "P1"]),
    "unknown_intervention": (GOOD.replace("no_shadowing]", "no_shadowwing]"), ["interventions.no_shadowwing", "unknown intervention", "no_shadowing"]),
    "bad_override": (GOOD.replace("[baseline, no_shadowing]", "{baseline: {}, x: {params.mechanisms.shadowin: false}}"),
                     ["interventions.x", "params.mechanisms.shadowin", "unknown key"]),
    "unknown_parameter": (GOOD.replace("{mu: [0.2, 0.3]}", "{muu: [0.2]}"), ["design.parameters", "params.muu", "unknown key"]),
    "out_of_range_value": (GOOD.replace("[0.2, 0.3]", "[0.2, 0.9]"), ["design.parameters", "params.mu", "0.9"]),
    "sobol_not_power_of_two": (GOOD.replace("{type: grid, parameters: {mu: [0.2, 0.3]}}", "{type: sobol, samples: 100, parameters: {mu: [0.1, 0.4]}}"),
                               ["design.samples", "power of two", "64 or 128"]),
    "bounds_reversed": (GOOD.replace("{type: grid, parameters: {mu: [0.2, 0.3]}}", "{type: lhs, samples: 4, parameters: {mu: [0.4, 0.1]}}"),
                        ["design.parameters", "lo < hi"]),
    "unknown_design_type": (GOOD.replace("type: grid", "type: factorial"), ["design", "grid", "sobol"]),
    "bad_model": (GOOD + "model: 'experiments.nothing:run'\n", ["model", "cannot import"]),
    "not_a_mapping": ("- a\n- b\n", ["(top level)", "mapping"]),
    "invalid_yaml": (GOOD + "seed: [\n", ["invalid YAML", "line"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spec_exits_2_with_one_clear_message(tmp_path, case):
    text, needles = BAD[case]
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    res = runner.invoke(app, ["experiment", str(spec), "--out", str(out), "--no-progress"])
    assert res.exit_code == 2, res.output
    msg = res.stderr
    assert "Traceback" not in msg and msg.count("error:") == 1, msg
    assert str(spec) in msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert not out.exists(), "nothing may start on bad input"


def test_unreachable_dask_scheduler_exits_2(tmp_path):
    spec = tmp_path / "spec.yaml"
    port = _free_port()
    spec.write_text(GOOD + f"executor: {{type: dask, address: 'tcp://127.0.0.1:{port}', timeout: 1}}\n")
    out = tmp_path / "out"
    res = runner.invoke(app, ["experiment", str(spec), "--out", str(out), "--no-progress"])
    assert res.exit_code == 2, res.output
    assert "executor.address" in res.stderr and "cannot connect" in res.stderr and str(port) in res.stderr
    assert "Traceback" not in res.stderr
    assert not (out / "manifest.json").exists()


def test_unwritable_results_dir_exits_2_before_any_run(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    res = runner.invoke(app, ["experiment", str(spec), "--out", str(blocker / "out"), "--no-progress"])
    assert res.exit_code == 2 and "not writable" in res.stderr and "Traceback" not in res.stderr


def test_directory_of_another_spec_is_refused(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD)
    out = tmp_path / "out"
    res = runner.invoke(app, ["experiment", str(spec), "--out", str(out), "--no-progress", "--workers", "1"])
    assert res.exit_code == 0, res.output + res.stderr
    before = sorted(p.name for p in (out / "summary").iterdir())
    spec.write_text(GOOD.replace("seed: 3", "seed: 4"))
    res = runner.invoke(app, ["experiment", str(spec), "--out", str(out), "--no-progress", "--workers", "1"])
    assert res.exit_code == 2 and "different spec" in res.stderr and "never mixed" in res.stderr
    assert sorted(p.name for p in (out / "summary").iterdir()) == before


def test_api_validation_names_field():
    with pytest.raises(SpecError, match=r"<spec>: replicates: Input should be greater than or equal to 1"):
        api.build_spec(name="x", scenarios=["P1"], replicates=0, seed=1)
    s = api.build_spec(name="x", scenarios=["P1"], replicates=2, seed=1,
                       design={"type": "sobol", "samples": 8, "parameters": {"mu": [0.1, 0.4], "eps0": [0.0, 0.2]}})
    p = api.plan(s)
    assert p.n_points == 8 * (2 * 2 + 2) and p.parameters == ["mu", "eps0"]
    assert api.plan(s).design.equals(p.design), "designs are seeded"


def test_ontario_spec_is_valid():
    p = api.plan(api.load_spec(shipped_specs("experiment")["ontario"]))
    assert list(p.scenarios) == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert "baseline" in p.interventions and len(p.interventions) >= 8


def test_report_on_a_directory_without_results_exits_2(tmp_path):
    res = runner.invoke(app, ["report", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "not a results directory" in res.stderr and "Traceback" not in res.stderr


def test_report_refuses_an_unknown_kind(tmp_path):
    (tmp_path / "manifest.json").write_text('{"kind": "horoscope"}')
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "kind" in res.stderr and "horoscope" in res.stderr
