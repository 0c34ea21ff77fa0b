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
