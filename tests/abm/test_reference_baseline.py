"""The idiomatic-Mesa speed baseline (benchmarks/reference) runs the core scenarios and refuses what it lacks.

It is a speed baseline, not a second specification of the model's numbers: no test compares the
two models' outcomes, so a rule changes in one place (its mechanism module).
"""

from __future__ import annotations

import pytest

from abm.compat import release_model
from abm.config import load_scenario
from benchmarks.reference import ReferenceModel, core_scenario


def test_reference_runs_a_core_scenario():
    m = ReferenceModel(core_scenario(load_scenario("P4")), seed=0)
    for _ in range(5):
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    release_model(m)  # Mesa 3.3.1 keeps every model alive otherwise
    assert len(df) == 6 and df["consensus"].between(0, 1).all()


def test_reference_refuses_mechanisms_it_lacks():
    with pytest.raises(ValueError, match="lacks"):
        ReferenceModel(load_scenario("P4"), seed=0)
