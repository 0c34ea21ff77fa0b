"""Invariants under random parameters (hypothesis): bounded outcomes, no NaN, no links for leavers."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abm import IntegrationModel
from abm.params import numeric_fields

FIELDS = numeric_fields()
# Parameters drawn over their whole schema range (resolution parameters kept small for speed).
VARIED = [n for n, f in FIELDS.items() if f["type"] == "float" and n not in ("clinicians_per_staff",)]


@st.composite
def overrides(draw):
    names = draw(st.lists(st.sampled_from(VARIED), min_size=1, max_size=12, unique=True))
    out = {n: draw(st.floats(FIELDS[n]["lo"], FIELDS[n]["hi"], exclude_min=FIELDS[n]["lo_open"], allow_nan=False)) for n in names}
    out["meeting_interval"] = draw(st.integers(1, 8))
    out["workshop_interval"] = draw(st.integers(1, 12))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kw=overrides(), program=st.sampled_from(["P1", "P3", "P4", "P6"]), seed=st.integers(0, 2**32 - 1))
def test_state_stays_in_bounds(kw, program, seed):
    model = IntegrationModel(program, seed=seed, **kw)
    try:
        for _ in range(15):
            model.step()
            s = model.state
            for arr in (s.trust, s.engagement, s.views, s.trust_baseline, s.culture_distance):
                assert np.all(np.isfinite(arr))
                assert arr.min() >= 0.0 and arr.max() <= 1.0
            assert s.data_level.min() >= 0 and s.data_level.max() <= 3
            assert np.array_equal(s.data_level, s.data_level.T)
            gone = ~s.active
            assert not s.data_level[gone].any() and not s.data_level[:, gone].any()
            assert not s.champion[gone[s.clin_org]].any()
            m = model.metrics
            for key in ("consensus", "connectivity", "integration", "trust_mean", "trust_min", "engagement", "retention"):
                assert 0.0 <= m[key] <= 1.0, key
    finally:
        model.release()


def test_exits_drop_links_in_a_forced_exit_run():
    # every partner below the benefit threshold with a certain hazard: all leave at step 1
    model = IntegrationModel("P4", seed=1, exit_threshold=1.0, exit_hazard=1.0)
    model.step()
    assert not model.state.active.any()
    assert model.state.data_level.sum() == 0
    assert model.metrics["connectivity"] == 0.0 and model.metrics["retention"] == 0.0
    model.release()
