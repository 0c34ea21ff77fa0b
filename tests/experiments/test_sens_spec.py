"""Sensitivity specs: bounds from the schema, and every bad input rejected (exit 2) before any run."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from abm.cli import app
from abm.params import numeric_fields
from experiments.sensitivity import SpecError, load_spec, make_design, spec_from_dict
from experiments.sensitivity.design import block_size
from experiments.sensitivity.preflight import inert_parameters
from experiments.shipped import SPECS_DIR

SPECS = SPECS_DIR / "sensitivity"

BASE = {
    "name": "t", "scenario": "P2", "parameters": {"mu": None, "eps0": [0.0, 0.3]},
    "sampler": {"name": "sobol", "N": 16}, "methods": ["sobol"], "seed": 1,
    "outcomes": ["final_integration"],
}  # fmt: skip


def test_default_bounds_come_from_the_schema():
    spec = spec_from_dict(BASE)
    schema = numeric_fields()
    mu = spec.params[0]
    assert (mu.lo, mu.hi) == (schema["mu"]["lo"], schema["mu"]["hi"])
    assert (spec.params[1].lo, spec.params[1].hi) == (0.0, 0.3)
    assert spec.problem()["names"] == ["mu", "eps0"]


def test_all_parameters_and_integer_rounding():
    spec = spec_from_dict(BASE | {"parameters": "all", "bounds": {"view_dims": [1, 3]},
                                  "sampler": {"name": "morris", "N": 8}, "methods": ["morris"]})  # fmt: skip
    assert len(spec.params) == len(numeric_fields())
    design = make_design(spec)
    assert design.n_points == 8 * block_size(spec)
    j = spec.names.index("view_dims")
    assert set(design.X[:, j]) <= {1.0, 2.0, 3.0}


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_specs_are_valid(path):
    spec = load_spec(path)
    assert len(spec.params) >= 3


def test_shipped_specs_cover_the_brief():
    sobol = load_spec(SPECS / "p4_sobol.yaml")
    assert sobol.raw.scenario == "P4" and len(sobol.params) >= 12 and sobol.raw.sampler.N == 512
    assert sobol.raw.replicates == 5
    assert len(load_spec(SPECS / "all_morris.yaml").params) == len(numeric_fields())
    assert load_spec(SPECS / "p2_efast.yaml").methods[0].name == "fast"


BAD = [
    ({"parameters": {"not_a_param": None}}, "parameters.not_a_param", "unknown parameter"),
    ({"parameters": {"mu": [0.4, 0.2], "eps0": None}}, "parameters.mu", "lower bound must be < upper"),
    ({"parameters": {"mu": [0.0, 0.9], "eps0": None}}, "parameters.mu", "outside the schema range"),
    ({"sampler": {"name": "sobol", "N": 100}}, "sampler.N", "power of two"),
    ({"methods": ["morris"]}, "methods.0", "needs sampler 'morris'"),
    ({"outcomes": ["final_integration", "final_happiness"]}, "outcomes.1", "not an outcome"),
    ({"sampler": {"name": "sobol", "N": 16, "Nn": 3}}, "sampler.Nn", "unknown key"),
    ({"methods": [{"name": "sobol", "second_order": True}]}, "methods.0.second_order", "sampler.second_order"),
    ({"statistics": ["mean", "std"]}, "statistics", "replicates >= 2"),
    ({"scenario": "P9"}, "scenario", "P9"),
    ({"fixed": {"params.no_such": 1}}, "fixed", "params.no_such"),
    ({"fixed": {"params.mu": 0.1}}, "parameters.mu", "both varied and held fixed"),
    ({"model": "experiments.testfunctions:nothing"}, "model", "cannot import"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "expected"), BAD, ids=[b[1] for b in BAD])
def test_bad_input_exits_2_with_one_line(tmp_path, change, field, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(BASE | change))
    with pytest.raises(SpecError, match=expected):
        load_spec(path)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["sensitivity", str(path), "--out", str(out), "--no-progress"])
    assert res.exit_code == 2, res.output
    msg = res.output.strip()
    assert "\n" not in msg
    assert msg.startswith("error:") and f"{path}: {field}:" in msg and expected in msg
    assert not out.exists()  # nothing ran


def test_test_function_declares_its_schema():
    spec = spec_from_dict({"name": "i", "model": "experiments.testfunctions:ishigami", "parameters": ["x1", "x2"],
                           "sampler": {"name": "latin", "N": 10}, "methods": ["delta"], "seed": 0,
                           "outcomes": ["y"]})  # fmt: skip
    assert spec.params[0].lo == pytest.approx(-3.14159265)
    with pytest.raises(SpecError, match="outcomes.0"):
        spec_from_dict({**spec.to_dict(), "outcomes": ["final_integration"]})


@pytest.mark.parametrize("name", ["p4_sobol.yaml", "p2_efast.yaml"])
def test_every_parameter_of_a_focused_spec_acts_on_its_scenario(name):
    """A variance-based spec over a few parameters must not spend a share of its runs on a parameter the
    scenario never reads (e.g. ``shadowing_rate`` in a program without shadowing): at its lower and upper
    bound, with the same seed, some outcome of the run must differ."""
    assert inert_parameters(load_spec(SPECS / name)) == []
