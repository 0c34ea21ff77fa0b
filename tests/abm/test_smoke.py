"""The six programs load and run; the same seed gives the same run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abm import run_once
from abm.config import builtin_programs


@pytest.mark.parametrize("program", ["P1", "P2", "P3", "P4", "P5", "P6"])
def test_program_runs_104_steps(program):
    r = run_once(program, seed=3)
    assert len(r.steps) == 105
    assert not r.steps.drop(columns=["handoff_success", "engagement_physicians"]).isna().any().any()
    for col in ("consensus", "connectivity", "integration", "trust_mean", "engagement"):
        assert r.steps[col].between(0, 1).all()


def test_six_programs_are_built_in():
    assert sorted(builtin_programs()) == ["P1", "P2", "P3", "P4", "P5", "P6"]


def test_same_seed_same_table_different_seed_different():
    a = run_once("P4", seed=11, steps=30)
    b = run_once("P4", seed=11, steps=30)
    c = run_once("P4", seed=12, steps=30)
    pd.testing.assert_frame_equal(a.steps, b.steps)
    pd.testing.assert_frame_equal(a.milestones, b.milestones)
    assert not np.allclose(a.steps["consensus"], c.steps["consensus"])
