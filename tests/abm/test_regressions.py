"""Regression tests for the bugs of issue 12, point 10 (each test fails on the code before its fix)."""

from __future__ import annotations

import os
import subprocess
import sys

import mesa
import numpy as np
import pytest

from abm import IntegrationModel
from abm.compat import MESA_VERSION, batch_run_replicates
from abm.config import ConfigError, MilestoneEvent, load_scenario, with_overrides
from abm.mechanisms import consensus
from abm.mechanisms._numba import generator_handle
from abm.run import run_once


def _event(**kw) -> MilestoneEvent:
    return MilestoneEvent.model_validate({"name": "test event", "category": "structural_inter", "valence": "disrupting", **kw})


def _with_events(program: str, *events: dict):
    sc = load_scenario(program)
    return with_overrides(sc, {"milestones": [*(e.model_dump(mode="json") for e in sc.milestones), *events]})


# ---------------------------------------------------------------- milestones at step 0
def test_milestone_at_zero_acts_on_the_initial_state_and_is_logged_at_step_0():
    ev = {"name": "kick-off retreat", "category": "strategic_relational", "valence": "facilitating", "at": 0,
          "targets": {"all": True}, "effects": {"trust": 0.2}}  # fmt: skip
    with_ev = IntegrationModel(_with_events("P3", ev), seed=3)
    without = IntegrationModel("P3", seed=3)
    try:
        assert with_ev.state.trust[0, 1] == pytest.approx(without.state.trust[0, 1] + 0.2)
        ms = with_ev.datacollector.get_table_dataframe("milestones")
        assert list(ms.loc[ms["name"] == "kick-off retreat", "step"]) == [0]
        assert with_ev.datacollector.get_model_vars_dataframe()["trust_mean"].iloc[0] > without.metrics["trust_mean"]
        for _ in range(5):  # it fires once, not again on a later step
            with_ev.step()
        ms = with_ev.datacollector.get_table_dataframe("milestones")
        assert (ms["name"] == "kick-off retreat").sum() == 1
    finally:
        with_ev.release()
        without.release()


# ---------------------------------------------------------------- one path for a leave
def test_configured_leave_counts_as_an_exit_with_its_step():
    ev = {"name": "partner withdraws", "category": "structural_inter", "valence": "disrupting", "at": 5,
          "targets": {"orgs": ["Home Care Provider"]}, "effects": {"leave": True}}  # fmt: skip
    sc = with_overrides(_with_events("P3", ev), {"params.mechanisms.exit": False})
    r = run_once(sc, seed=1, steps=10)
    assert r.summary["exits"] == 1.0
    exits = r.milestones[r.milestones["name"] == "partner exit"]
    assert list(exits["step"]) == [5] and list(exits["who"]) == ["Home Care Provider"]
    assert r.steps["active_partners"].iloc[5] == 1.0


def test_fire_with_leave_sets_exited_at_and_logs_the_exit():
    model = IntegrationModel("P4", seed=2)
    try:
        for _ in range(3):
            model.step()
        model.fire(_event(at=1, targets={"orgs": ["Rural Hospital G"]}, effects={"leave": True}))
        g = model.state.org_index["Rural Hospital G"]
        assert model.state.exited_at[g] == 3 and not model.state.active[g]
        ms = model.datacollector.get_table_dataframe("milestones")
        exit_rows = ms[ms["name"] == "partner exit"]
        assert list(exit_rows["who"]) == ["Rural Hospital G"] and list(exit_rows["source"]) == ["manual"]
    finally:
        model.release()


# ---------------------------------------------------------------- random mixing with nobody left
def test_random_matching_of_an_empty_read_only_member_list():
    members = np.zeros(0, np.int64)
    members.flags.writeable = False
    a, b = consensus.random_matching(generator_handle(np.random.default_rng(1)), members)
    assert a.size == b.size == 0


def test_random_mixing_with_every_partner_gone_runs_as_plain_python():
    # NumPy (NUMBA_DISABLE_JIT=1) refused to shuffle the empty read-only member list: "array is read-only"
    code = (
        "from abm.run import run_once; r = run_once('P3', seed=1, steps=3, overrides={'params.mechanisms.mixing': 'random',"
        " 'params.exit_threshold': 1.0, 'params.exit_hazard': 1.0}); print(r.summary['final_active_partners'])"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "0.0"


def test_random_mixing_run_survives_every_partner_leaving():
    r = run_once("P3", seed=1, steps=4, overrides={"params.mechanisms.mixing": "random", "params.exit_threshold": 1.0, "params.exit_hazard": 1.0})
    assert r.summary["final_active_partners"] == 0.0 and r.summary["exits"] == 2.0


# ---------------------------------------------------------------- the horizon stops Mesa
def test_mesa_batch_run_without_max_steps_stops_at_the_scenario_horizon():
    sc = with_overrides(load_scenario("P3"), {"steps": 7})
    results = mesa.batch_run(
        IntegrationModel, parameters={"scenario": [sc]}, **batch_run_replicates(1), number_processes=1,
        data_collection_period=-1, display_progress=False,
    )  # fmt: skip
    # Mesa 3.3.1 steps while `running` (else up to max_steps=1000, i.e. 1,001 steps) and reports the last
    # collected row as Step = model.steps - 1: 6 means the model stopped after exactly 7 steps
    # (Mesa >= 3.4 reports the model time of the row: 7; checked on Mesa 3.5.1)
    assert [r["Step"] for r in results] == ([7] if MESA_VERSION >= (3, 4) else [6])


def test_running_turns_false_at_the_horizon_only():
    model = IntegrationModel(with_overrides(load_scenario("P3"), {"steps": 3}), seed=1)
    try:
        flags = []
        for _ in range(3):
            flags.append(model.running)
            model.step()
        assert flags == [True, True, True] and model.running is False
    finally:
        model.release()


# ---------------------------------------------------------------- seeds
@pytest.mark.parametrize("text", ["5", " 5 ", "5\n"])
def test_seed_given_as_digits_is_that_integer(text):
    a, b = IntegrationModel("P3", seed=text), IntegrationModel("P3", seed=5)
    try:
        a.step(), b.step()
        assert a.metrics == b.metrics
    finally:
        a.release(), b.release()


@pytest.mark.parametrize("bad", ["five", "-5", "5.0", "", -1, 2.5, True])
def test_bad_seed_is_a_clear_value_error(bad):
    with pytest.raises(ValueError, match=r"seed .*expected a non-negative integer"):
        IntegrationModel("P3", seed=bad)


def test_int_seed_and_its_seed_sequence_give_the_same_run():
    a = run_once("P1", seed=5, steps=20)
    b = run_once("P1", seed=np.random.SeedSequence(5), steps=20)
    assert a.steps.equals(b.steps) and a.milestones.equals(b.milestones)


# ---------------------------------------------------------------- trust loss > gain
def test_trust_beta_ratio_of_one_is_refused_and_above_one_accepted():
    sc = load_scenario("P3")
    with pytest.raises(ConfigError, match=r"params\.trust_beta_ratio: Input should be greater than 1"):
        with_overrides(sc, {"params.trust_beta_ratio": 1.0})
    assert with_overrides(sc, {"params.trust_beta_ratio": 1.001}).params.trust_beta_ratio == 1.001


def test_open_bound_is_in_the_schema_docs_and_samplers():
    from abm.docs import parameter_table
    from abm.params import numeric_fields, sampling_range

    entry = numeric_fields()["trust_beta_ratio"]
    assert entry["lo_open"] and entry["lo"] == 1.0
    lo, hi = sampling_range(entry)
    assert 1.0 < lo < 1.0 + 1e-12 and hi == 10.0
    assert "| `trust_beta_ratio` | 3.0 | (1.0, 10.0] |" in parameter_table()
    assert sampling_range(numeric_fields()["mu"]) == (0.0, 0.5)


# ---------------------------------------------------------------- one organization's field
def test_override_one_organization_by_name_or_index():
    sc = load_scenario("P1")
    by_name = with_overrides(sc, {"organizations[Small Hospital].it_system": 9, "params.mu": 0.2})
    assert by_name.organizations[5].it_system == 9 and by_name.params.mu == 0.2
    assert [o.it_system for o in by_name.organizations[:5]] == [o.it_system for o in sc.organizations[:5]]
    assert with_overrides(sc, {"organizations[small hospital].it_system": 9}) == by_name.model_copy(update={"params": sc.params})
    by_index = with_overrides(sc, {"organizations[0].resources": 0.1})
    assert by_index.organizations[0].resources == 0.1


@pytest.mark.parametrize("key", ["organizations[Nowhere].it_system", "organizations[6].size", "organizations[-1].size"])
def test_unknown_organization_names_the_key_and_the_valid_names(key):
    with pytest.raises(ConfigError) as e:
        with_overrides(load_scenario("P1"), {key: 1})
    msg = str(e.value)
    assert key in msg and "'Small Hospital'" in msg and "5 or" in msg


def test_one_partners_it_system_set_by_name_changes_its_links():
    # no P4 receiver shares a hospital's IT system; moving the Lead Home Care Agency onto the Lead
    # Hospital's system removes the different-IT factor from their upgrade chance
    key = "organizations[Lead Home Care Agency].it_system"
    a, b = IntegrationModel("P4", seed=3), IntegrationModel(with_overrides(load_scenario("P4"), {key: 1}), seed=3)
    try:
        lead, agency = a.state.org_index["Lead Hospital"], a.state.org_index["Lead Home Care Agency"]
        assert a._p_up[lead, agency] == pytest.approx(b._p_up[lead, agency] * a.p.different_it_factor)
    finally:
        a.release(), b.release()
    base, same_it = run_once("P4", seed=3), run_once("P4", seed=3, overrides={key: 1})
    assert not base.steps["mean_link_level"].equals(same_it.steps["mean_link_level"])


# ---------------------------------------------------------------- prior partners' last contact
def test_prior_partners_start_with_a_recent_contact_others_never():
    model = IntegrationModel("P1", seed=1)
    try:
        lc, prior = model.state.last_contact, model.state.prior
        assert np.all(lc[prior > 0] == 0)
        assert np.all(lc[prior == 0] < -1000)  # the small hospital and the diagonal: never
    finally:
        model.release()
    off = IntegrationModel("P1", seed=1, mechanisms={"prior_partnerships": False})
    try:
        assert np.all(off.state.last_contact < -1000)
    finally:
        off.release()


def test_prior_partners_can_upgrade_links_before_any_program_contact():
    # with every program channel closed, prior partners (who worked together) still qualify for upgrades early on
    sc = with_overrides(load_scenario("P5"), {
        "params.volume_per_staff": 0.0, "params.team_contact": 0.0, "params.outreach_rate": 0.0, "program.pathway": "none",
        "organizations": [o.model_dump() | {"leadership": 0.0} for o in load_scenario("P5").organizations],
        "params.link_upgrade": 1.0, "params.link_trust_gate": 0.3, "params.mechanisms.milestones": False,
    })  # fmt: skip
    r = run_once(sc, seed=1, steps=5)
    assert r.steps["mean_link_level"].iloc[-1] > r.steps["mean_link_level"].iloc[0]
