"""Fast versions of the MODEL.md pattern suite (fixed seeds, fewer replicates) and its CLI.

The full suite (``abm validate --replicates 100``) applies the pre-registered thresholds with
confidence bounds; here each comparison's point estimate must reach its target over 20 paired
replicates (the margins at the current defaults are several standard errors wide), except 4a, which
falls short of its target in the full report and is held to its direction only. A slow test runs
the full pass rule at 60 replicates.
"""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from abm.cli import app
from experiments.validation import knockouts as ko
from experiments.validation import patterns as pt
from experiments.validation import stats
from experiments.validation.runner import column, run_arms, scenario
from experiments.validation.suite import run_suite

FAST_REPLICATES = 20
FAST_SEED = 424242
# Known to miss its effect-size target in the full report (docs/VALIDATION.md section 6): its
# direction holds (PS 0.685, CI above 0.5 at 100 replicates), so here only the direction is required.
KNOWN_SHORT_OF_TARGET = {"4a"}


@pytest.fixture(scope="module")
def fast_rows():
    rows, _ = run_suite(pt.resolve(["1", "2", "3", "4", "5", "6"]), FAST_REPLICATES, FAST_SEED, workers=2)
    return {r.key: r for r in rows}


@pytest.mark.parametrize("key", ["1a", "1b", "1c", "2a", "2b", "2c", "3a", "3b", "3c", "4a", "4b", "5", "6a", "6b"])
def test_pattern_point_estimate_reaches_target(fast_rows, key):
    r = fast_rows[key]
    target = 0.6 if key in KNOWN_SHORT_OF_TARGET else r.target
    assert r.estimate >= target, f"{key} {r.comparison}: {r.estimate:.3f} < target {target}"


def test_facilitating_knockouts_lower_integration_where_they_apply():
    """Pattern 7 (subset): trust building, shadowing and data sharing in P3; prior partnerships in P2."""
    cases = [("P3", "trust_building"), ("P3", "shadowing"), ("P3", "data_sharing"), ("P2", "prior_partnerships")]
    arms = {p: scenario(p) for p, _ in cases} | {f"{p}-ko-{m}": scenario(p, ko.overrides(m)) for p, m in cases}
    rec = run_arms(arms, FAST_SEED, 12, workers=2)
    rng = np.random.default_rng(0)
    for p, m in cases:
        ps, lo, _ = stats.ps_paired(column(rec[p], "auc_integration"), column(rec[f"{p}-ko-{m}"], "auc_integration"), rng)
        assert ps >= pt.THRESHOLDS["7a"][0] and lo > 0.5, (p, m, ps, lo)


def test_knockout_of_a_feature_a_program_lacks_is_not_run():
    assert not ko.applies(scenario("P1"), "shadowing")
    assert not ko.applies(scenario("P1"), "co_design")  # top-down pathway
    assert not ko.applies(scenario("P3"), "prior_partnerships")
    assert not ko.applies(scenario("P6"), "data_sharing")  # every pair starts on the dashboard
    assert ko.applies(scenario("P3"), "shadowing") and ko.applies(scenario("P5"), "data_sharing")


def test_knockout_keeps_common_random_numbers():
    """Switching exit off where nobody exits leaves the run identical (paired seeds stay paired)."""
    a = run_arms({"b": scenario("P3"), "k": scenario("P3", ko.overrides("exit"))}, 3, 2, workers=1)
    for x, y in zip(a["b"], a["k"], strict=True):
        np.testing.assert_array_equal(x.series["integration"], y.series["integration"])


def test_pass_rule_needs_target_and_interval():
    ok = pt.Comparison(1, "1a", "c", "s", 0.8, 0.6, 0.9, 0.75, 0.5, 10, "calibration")
    low_ci = pt.Comparison(1, "1a", "c", "s", 0.8, 0.45, 0.9, 0.75, 0.5, 10, "calibration")
    small = pt.Comparison(1, "1a", "c", "s", 0.7, 0.6, 0.9, 0.75, 0.5, 10, "calibration")
    assert ok.passed and not low_ci.passed and not small.passed


def test_probability_of_superiority_known_values():
    rng = np.random.default_rng(1)
    assert stats.ps_paired(np.array([2.0, 2, 1, 1]), np.array([1.0, 1, 1, 2]), rng)[0] == pytest.approx(0.625)
    assert stats.ps_independent(np.array([3.0, 4]), np.array([1.0, 2, 3]), rng)[0] == pytest.approx(5.5 / 6)
    p, lo, hi = stats.wilson(50, 100)
    assert p == 0.5 and lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["validate", "--replicates", "1", "--out", "x"], "--replicates must be at least 2"),
        (["validate", "--replicates", "5", "--pattern", "9", "--out", "x"], "unknown pattern '9'"),
        (["validate", "--pattern", "scale", "--out", "x"], "unknown pattern 'scale'"),
        (["cmo", "--mechanism", "telepathy", "--out", "x"], "unknown mechanism 'telepathy'"),
        (["cmo", "--replicates", "0", "--out", "x"], "--replicates must be at least 2"),
        (["cmo", "--program", "P9", "--out", "x"], "unknown program 'P9'"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, needle, tmp_path):
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    err = res.stderr if hasattr(res, "stderr") else res.output
    lines = [x for x in err.strip().splitlines() if x]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err


def test_validate_cli_writes_table_and_figure(tmp_path):
    res = CliRunner().invoke(app, ["validate", "--replicates", "3", "--pattern", "6", "--no-reductions", "--workers", "1",
                                   "--out", str(tmp_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (tmp_path / "table.csv").exists() and (tmp_path / "pattern6.png").exists() and (tmp_path / "results.json").exists()


@pytest.mark.slow
def test_full_pass_rule_patterns_1_to_6():
    rows, _ = run_suite(pt.resolve(["1", "2", "3", "4", "5", "6"]), 60, FAST_SEED, workers=2)
    # starred rows (a confound removed) are tested, with their known failures, in tests/experiments/test_pattern_mechanisms.py
    failed = [f"{r.key} {r.estimate:.3f} [{r.lo:.3f}]" for r in rows
              if not r.passed and r.key not in KNOWN_SHORT_OF_TARGET and not r.key.endswith("*")]  # fmt: skip
    assert not failed, failed
    for r in rows:
        if r.key in KNOWN_SHORT_OF_TARGET:
            assert r.lo > r.null, f"{r.key}: even its direction is no longer supported ({r.estimate:.3f} [{r.lo:.3f}])"
