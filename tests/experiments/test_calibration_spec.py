"""Calibration specs: bad input exits 2 with the file and field named and nothing written; the shipped spec resolves."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from abm.cli import app
from experiments.calibration.spec import load_calibration, pattern_keys, resolve
from experiments.shipped import shipped_specs
from experiments.spec import SpecError

runner = CliRunner()

GOOD = """\
name: p2-recovery
scenario: P2
parameters: {trust_alpha: null, mu: [0.1, 0.4]}
targets:
  observed: {final_trust_mean: 0.62, auc_integration: 0.4}
replicates: 2
population: 10
generations: 1
seed: 11
"""

BAD = {
    "unknown_parameter": (GOOD.replace("trust_alpha: null", "trust_alfa: null"), ["parameters.trust_alfa", "unknown parameter"]),
    "bounds_outside_range": (GOOD.replace("mu: [0.1, 0.4]", "mu: [0.1, 0.9]"),
                             ["parameters.mu", "upper bound 0.9", "declared range [0, 0.5]"]),
    "bounds_reversed": (GOOD.replace("mu: [0.1, 0.4]", "mu: [0.4, 0.1]"), ["parameters", "lo < hi"]),
    "unknown_pattern": (GOOD.replace("observed: {final_trust_mean: 0.62, auc_integration: 0.4}", "patterns: [1a, 9z]"),
                        ["targets.patterns.1", "unknown pattern id '9z'"]),
    "unknown_holdout": (GOOD.replace("observed: {final_trust_mean: 0.62, auc_integration: 0.4}", "patterns: [1, 2]")
                        + "holdout: [4q]\n", ["holdout.0", "unknown pattern id '4q'"]),
    "unknown_outcome": (GOOD.replace("auc_integration: 0.4", "auc_integegration: 0.4"),
                        ["targets.observed.auc_integegration", "unknown outcome", "final_trust_mean"]),
    "empty_targets": (GOOD.replace("observed: {final_trust_mean: 0.62, auc_integration: 0.4}", "observed: {}"),
                      ["targets", "empty"]),
    "no_targets": (GOOD.replace("targets:\n  observed: {final_trust_mean: 0.62, auc_integration: 0.4}\n", "targets: {}\n"),
                   ["targets", "empty"]),
    "unknown_key": (GOOD + "generatons: 3\n", ["generatons", "unknown key", "calibration spec"]),
    "bad_population": (GOOD.replace("population: 10", "population: 1"), ["population", "greater than or equal to 2"]),
    "both_targets": (GOOD.replace("auc_integration: 0.4}", "auc_integration: 0.4}\n  patterns: [1]"), ["targets", "not both"]),
    "only_holdout": (GOOD.replace("observed: {final_trust_mean: 0.62, auc_integration: 0.4}", "patterns: [4a]")
                     + "holdout: [4a]\n", ["targets.patterns", "held-out"]),
    "steps_with_patterns": (GOOD.replace("observed: {final_trust_mean: 0.62, auc_integration: 0.4}", "patterns: [5]")
                            + "steps: 30\n", ["steps", "own horizon"]),
    "unknown_scenario": (GOOD.replace("scenario: P2", "scenario: P9"), ["scenarios.0", "unknown scenario"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spec_exits_2_with_one_clear_message_and_writes_nothing(tmp_path, case):
    text, needles = BAD[case]
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    res = runner.invoke(app, ["calibrate", str(spec), "--out", str(out), "--no-progress"])
    assert res.exit_code == 2, res.output
    msg = " ".join(res.stderr.split())
    assert "Traceback" not in msg and msg.count("error:") == 1, msg
    assert str(spec) in msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert not out.exists(), "nothing may be written on bad input"


def test_a_directory_of_another_spec_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"kind": "calibration", "spec_hash": "other", "name": "x"}')
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD)
    res = runner.invoke(app, ["calibrate", str(spec), "--out", str(out), "--no-progress"])
    assert res.exit_code == 2 and "another spec" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]


def test_pattern_ids_are_numbers_or_comparison_keys():
    assert pattern_keys(["2", "4a", 5], "s", "f") == ["2a", "2b", "2c", "4a", "5"]
    with pytest.raises(SpecError, match="s: f.0: unknown pattern id '8'"):
        pattern_keys(["8"], "s", "f")


def test_shipped_patterns_spec_resolves():
    path = shipped_specs("calibration")["patterns"]
    res = resolve(load_calibration(path))
    assert res.kind == "patterns" and 6 <= len(res.bounds) <= 10
    assert {k[0] for k in res.fit_keys} == set("123456")
    assert res.runs_per_particle == 12 * res.spec.replicates  # the 12 arms of patterns 1-6


def test_abm_specs_lists_the_calibration_spec_with_its_command():
    listing = runner.invoke(app, ["specs"])
    assert listing.exit_code == 0 and "abm calibrate patterns --out DIR" in listing.output
