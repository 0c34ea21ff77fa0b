"""Loading scenarios and overriding their fields."""

from __future__ import annotations

import pytest

from abm.config import (
    ConfigError,
    builtin_programs,
    deep_merge,
    load_scenario,
    scenario_from_dict,
    with_overrides,
)


def test_parameter_overrides_give_the_scenario_full_validation_gives():
    """with_overrides validates parameter-only overrides alone: the same scenario as validating all of it,
    and an invalid value gets the same message, located in the scenario."""
    sc = load_scenario("P4")
    for overrides in ({"params.mu": 0.2, "params.eps0": 0.05}, {"params.mechanisms.exit": False, "params.view_dims": 2}):
        nested: dict = {"params": {}}
        for key, value in overrides.items():
            *path, last = key.split(".")[1:]
            node = nested["params"]
            for part in path:
                node = node.setdefault(part, {})
            node[last] = value
        full = scenario_from_dict(deep_merge(sc.model_dump(mode="json"), nested))
        fast = with_overrides(sc, overrides)
        assert fast == full and fast.digest() == full.digest()
        assert fast.model_dump(mode="json") == full.model_dump(mode="json")
    with pytest.raises(ConfigError, match=r"params\.mu") as err:
        with_overrides(sc, {"params.mu": 7.0})
    assert "<P4 + overrides>" in str(err.value)


def test_the_same_overrides_of_the_same_scenario_give_the_last_result():
    """A sample point's replicates share one overridden scenario; any other value, type or scenario is applied afresh."""
    sc, other = load_scenario("P4"), load_scenario("P2")
    first = with_overrides(sc, {"params.mu": 0.2, "params.view_dims": 2})
    assert with_overrides(sc, {"params.mu": 0.2, "params.view_dims": 2}) is first
    assert with_overrides(sc, {"params.mu": 0.25, "params.view_dims": 2}).params.mu == 0.25
    assert with_overrides(other, {"params.mu": 0.25, "params.view_dims": 2}).name == other.name
    a = with_overrides(sc, {"params.view_dims": 2})
    b = with_overrides(sc, {"params.view_dims": 2.0})  # another type: validated afresh (equal here)
    assert b is not a and b == a
    with_overrides(sc, {"params.mu": 0.2})
    with pytest.raises(ConfigError, match=r"params\.mu"):  # an invalid value after a valid one of another type
        with_overrides(sc, {"params.mu": "0.2x"})
    orgs = [o.model_dump(mode="json") for o in sc.organizations]
    first = with_overrides(sc, {"organizations": orgs})
    orgs[0]["size"] = 999.0  # a list may change in place: never taken for the same
    assert with_overrides(sc, {"organizations": orgs}).organizations[0].size == 999.0 != first.organizations[0].size


def test_a_scenario_file_is_parsed_once_while_unchanged(tmp_path):
    """load_scenario keeps a parsed file while it is unchanged; an edit is read, and a broken file fails every time."""
    path = tmp_path / "prog.yaml"
    text = builtin_programs()["P2"].read_text()
    path.write_text(text)
    first = load_scenario(path)
    assert load_scenario(path) is first and load_scenario("P2") is load_scenario("p2")
    assert load_scenario(path, overrides={"steps": 50}).steps == 50 and load_scenario(path) is first
    path.write_text(text + "\nsteps: 105\n")
    assert (first.steps, load_scenario(path).steps) == (104, 105)
    path.write_text(text + "\nsteps: -1\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match="steps"):
            load_scenario(path)


def test_named_prior_partnerships_give_the_matrix_runs_bit_for_bit():
    """P4 with its prior partnership matrix written as named pairs: the same matrix, the same run."""
    import numpy as np
    import pandas as pd

    from abm.config import Scenario
    from abm.run import run_once

    p4 = load_scenario("P4")
    names = [o.name for o in p4.organizations]
    m = p4.prior_matrix()
    assert m is not None and np.array_equal(m, m.T)
    pairs = [{"between": [names[i], names[j]], "strength": float(m[i, j])}
             for i in range(len(names)) for j in range(i + 1, len(names)) if m[i, j] > 0]  # fmt: skip
    named = Scenario.model_validate({**p4.model_dump(mode="json"), "prior_partnerships": pairs})
    assert np.array_equal(named.prior_matrix(), m)
    a, b = run_once(p4, seed=3), run_once(named, seed=3)
    assert pd.Series(a.summary).equals(pd.Series(b.summary))  # NaN (never reached) equals NaN here
    assert a.steps.equals(b.steps)
    # a partnership left out is absent: the runs differ
    fewer = Scenario.model_validate({**p4.model_dump(mode="json"), "prior_partnerships": pairs[1:]})
    assert not pd.Series(run_once(fewer, seed=3).summary).equals(pd.Series(a.summary))


def test_an_empty_list_of_prior_partnerships_means_none():
    """``prior_partnerships: []`` lists no pair (it used to be read as a 0x0 matrix and refused); a two-partner
    synthetic region, which has no pair to list, builds and runs."""
    import numpy as np

    from abm.config import Scenario
    from abm.run import run_once
    from abm.synthetic import synthetic_region

    p1 = load_scenario("P1")
    none = Scenario.model_validate({**p1.model_dump(mode="json"), "prior_partnerships": []})
    n = len(p1.organizations)
    assert np.array_equal(none.prior_matrix(), np.zeros((n, n)))
    assert run_once(none, seed=1, steps=5).steps.equals(
        run_once(Scenario.model_validate({**p1.model_dump(mode="json"), "prior_partnerships": None}), seed=1, steps=5).steps
    )
    assert len(run_once(synthetic_region(2, 20, seed=1), seed=0, steps=3).steps) == 4
