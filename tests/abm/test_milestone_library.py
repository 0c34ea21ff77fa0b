"""The milestone library: every event loads, fires and changes what its effects name; mergers keep the
state consistent; a bad reference is a clear config error (exit 2 from ``abm run``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from abm import IntegrationModel
from abm.config import CATEGORIES, MilestoneEvent, load_scenario, with_overrides
from abm.milestone_library import library

ABM = Path(sys.executable).with_name("abm")
# the state each effect names (a merger moves clinicians: clin_org)
CLAIMED = {
    "trust": "trust", "culture_distance": "culture_distance", "engagement": "engagement", "practice_pull": "views",
    "structure": "structure", "coordinator": "coordinator", "champion_leaves": "champion", "leave": "active",
    "volume": "volume_multiplier", "data_level": "data_level", "resources": "resources", "leadership": "leadership",
    "merge_into": "clin_org",
}  # fmt: skip
# P1: warm hand-offs (coordinator 0.7), champions, level-2 links among the big partners
TARGETS = {"orgs": ["Stroke Centre", "District Hospital", "Rehab Centre"]}
NEEDS = {"merge_into": "Stroke Centre"}
FIRE_AT = 3


def _scenario(*events: dict):
    sc = load_scenario("P1")
    return with_overrides(sc, {"milestones": [*(e.model_dump(mode="json") for e in sc.milestones), *events]})


def _paired(*events: dict):
    """P1 with shared structures from the start (so a negative `structure` has something to remove) and ``events``."""
    return _scenario({"use": "joint_governance_mou", "name": "standing table", "at": 0, "targets": {"all": True}}, *events)


def _event(key: str, **kw) -> dict:
    effects = {n: v for n, v in NEEDS.items() if n in library()[key].needs}
    return {"use": key, "at": FIRE_AT, "targets": TARGETS, **({"effects": effects} if effects else {}), **kw}


def test_library_covers_the_brief_and_every_category():
    lib = library()
    for key in ("joint_workshop", "codesigned_pathway_adopted", "pathway_imposed", "coordinator_hired", "manager_moved_to_partner",
                "champion_leaves", "joint_governance_mou", "partner_withdrawal", "patient_volume_surge",
                "rural_connectivity_outage", "funding_model_launched", "regional_authority_merger"):  # fmt: skip
        assert key in lib
    assert {ev.category for ev in lib.values()} == set(CATEGORIES)
    assert lib["patient_volume_surge"].effects == {"volume": 0.1}
    for key in ("joint_governance_mou", "codesigned_pathway_adopted", "funding_model_launched"):
        assert lib[key].effects["structure"] > 0, key
    assert lib["partner_withdrawal"].effects["structure"] < 0


@pytest.mark.parametrize("key", list(library()))
def test_each_library_event_fires_and_changes_what_it_claims(key):
    ev = MilestoneEvent.model_validate(_event(key))
    entry = library()[key]
    assert (ev.name, ev.category, ev.valence) == (entry.name, entry.category, entry.valence)
    claimed = {CLAIMED[k] for k in (*entry.effects, *entry.needs)}
    # the control has the same event never due (each event takes one draw per step: the pair keeps common random numbers)
    with_ev, without = IntegrationModel(_paired(_event(key)), seed=4), IntegrationModel(_paired(_event(key, at=10_000)), seed=4)
    try:
        for _ in range(FIRE_AT):
            # before it fires, the paired runs are identical in every claimed quantity
            for attr in claimed:
                assert np.array_equal(getattr(with_ev.state, attr), getattr(without.state, attr)), attr
            with_ev.step(), without.step()
        log = with_ev.datacollector.get_table_dataframe("milestones")
        fired = log[(log["name"] == entry.name) & (log["source"] == "configured")]
        assert list(fired["step"]) == [FIRE_AT] and list(fired["category"]) == [entry.category]
        for attr in claimed:
            assert not np.array_equal(getattr(with_ev.state, attr), getattr(without.state, attr)), (key, attr)
    finally:
        with_ev.release(), without.release()


def test_structure_is_added_on_the_targets_pairs_and_stays_symmetric():
    model = IntegrationModel(_scenario({"use": "joint_governance_mou", "at": 0, "targets": {"kinds": ["hospital"]}}), seed=1)
    before = IntegrationModel(_scenario(), seed=1)  # the same program without the event (structure from prior partnership)
    try:
        s, s0 = model.state, before.state.structure
        hosp = np.flatnonzero(s.kind == 0)
        pairs = np.zeros_like(s.structure, bool)
        pairs[np.ix_(hosp, hosp)] = True
        np.fill_diagonal(pairs, False)
        np.testing.assert_allclose(s.structure[pairs], np.minimum(s0[pairs] + 0.3, 1.0))
        assert np.array_equal(s.structure[~pairs], s0[~pairs])
        assert np.array_equal(s.structure, s.structure.T)
    finally:
        model.release(), before.release()


def test_a_config_overrides_the_entrys_name_and_effects():
    ev = MilestoneEvent.model_validate({"use": "joint_governance_mou", "at": 5, "name": "hospital MOU", "effects": {"trust": 0.0, "structure": 0.5}})
    assert ev.name == "hospital MOU" and ev.category == "structural_inter"
    assert ev.effects.trust == 0.0 and ev.effects.structure == 0.5
    assert MilestoneEvent.model_validate(ev.model_dump(mode="json")) == ev  # a dumped event validates to itself


# ---------------------------------------------------------------- merger
MERGE = {"use": "regional_authority_merger", "at": 4, "targets": {"orgs": ["Hospital D", "Hospital E", "Hospital I"]},
         "effects": {"merge_into": "Hospital D"}}  # fmt: skip


def _check_consistent(model: IntegrationModel) -> None:
    s = model.state
    counts = np.bincount(s.clin_org, minlength=s.n_orgs)
    assert np.all(np.diff(s.clin_org) >= 0)
    assert np.array_equal(s.block_start, np.concatenate(([0], np.cumsum(counts))))
    assert all(agent.index == i for i, agent in enumerate(model.clinicians))
    assert np.array_equal(model._physician, s.role == 0) and np.array_equal(model._manager, s.role == 4)
    assert np.all(np.diff(s.tie_keys) > 0) and (s.tie_keys.size == 0 or s.tie_keys.max() < s.n_clinicians**2)
    assert np.array_equal(s.data_level, s.data_level.T) and np.array_equal(s.structure, s.structure.T)
    gone = ~s.active
    assert not s.data_level[gone].any() and not s.data_level[:, gone].any() and not s.structure[gone].any()
    for arr in (s.trust, s.engagement, s.views, s.culture_distance, s.structure):
        assert np.all(np.isfinite(arr)) and arr.min() >= 0.0 and arr.max() <= 1.0
    for key in ("consensus", "connectivity", "integration", "trust_mean", "engagement", "retention"):
        assert 0.0 <= model.metrics[key] <= 1.0, key


def test_merger_moves_clinicians_and_keeps_every_derived_quantity_consistent():
    sc = load_scenario("P4")
    model = IntegrationModel(with_overrides(sc, {"milestones": [MERGE], "params.mechanisms.exit": False}), seed=2)
    try:
        s = model.state
        d, e, i = (s.org_index[n] for n in ("Hospital D", "Hospital E", "Hospital I"))
        for _ in range(3):
            model.step()
        before = {id(a): (a.view.copy(), a.role, a.champion, a.organization.name) for a in model.clinicians}
        ties = {frozenset((id(model.clinicians[x]), id(model.clinicians[y]))) for x, y in zip(*np.divmod(s.tie_keys, s.n_clinicians), strict=True)}
        n_absorbed = int((s.clin_org == e).sum() + (s.clin_org == i).sum())
        n_d, size = int((s.clin_org == d).sum()), s.size[[d, e, i]].sum()
        links = np.maximum.reduce([s.data_level[x] for x in (d, e, i)])
        model.step()  # the merger fires first in this step
        s = model.state
        assert not s.active[e] and not s.active[i] and s.active[d] and s.exited_at[e] == s.exited_at[i] == -1
        assert int((s.clin_org == d).sum()) == n_d + n_absorbed and not np.isin([e, i], s.clin_org).any()
        assert s.size[d] == size and not s.original_clinical[e] and not s.original_clinical[i]
        assert model.metrics["retention"] == 1.0  # a merger is not an exit
        others = [k for k in range(s.n_orgs) if k not in (d, e, i) and s.active[k]]
        assert np.all(s.data_level[d, others] >= links[others])  # the survivor keeps the best link of either
        for a in model.clinicians:  # each clinician is the same person: view (before this step's updates), role, champion
            view, role, champ, org = before[id(a)]
            assert a.role == role and a.champion == champ
            assert a.organization.name == ("Hospital D" if org in ("Hospital E", "Hospital I") else org)
        after = {frozenset((id(model.clinicians[x]), id(model.clinicians[y]))) for x, y in zip(*np.divmod(s.tie_keys, s.n_clinicians), strict=True)}
        assert before and after  # ties of the same people (this step also formed and dropped some)
        assert len(ties & after) > 0.5 * len(ties)
        for _ in range(20):
            model.step()
            _check_consistent(model)
    finally:
        model.release()


def test_merger_by_hand_relabels_clinicians_exactly():
    model = IntegrationModel("P6", seed=3)
    try:
        model.step()
        before = {id(a): (a.view.copy(), a.role, a.champion, a.engagement) for a in model.clinicians}
        ev = MilestoneEvent.model_validate({**MERGE, "targets": {"orgs": ["Hospital A", "Hospital B"]}, "effects": {"merge_into": "Hospital A", "engagement": 0.0}})
        model.fire(ev)
        _check_consistent(model)
        for a in model.clinicians:
            view, role, champ, eng = before[id(a)]
            assert np.array_equal(a.view, view) and a.role == role and a.champion == champ and a.engagement == eng
        assert not model.state.active[1] and len(model.organizations[0].clinicians) == model.state.block_start[1]
        for _ in range(10):
            model.step()
            _check_consistent(model)
    finally:
        model.release()


# ---------------------------------------------------------------- bad references
@pytest.mark.parametrize(
    ("milestone", "expected"),
    [("{use: no_such_event, at: 3}", "unknown library event 'no_such_event'; expected one of joint_workshop"),
     ("{use: regional_authority_merger, at: 3}", "effects.merge_into is required"),
     ("{use: regional_authority_merger, at: 3, effects: {merge_into: Nowhere}}", "merge_into: unknown organization 'Nowhere'")],
)  # fmt: skip
def test_bad_library_reference_exits_2_from_abm_run(tmp_path, milestone, expected):
    cfg = tmp_path / "prog.yaml"
    cfg.write_text(f"name: x\nmilestones:\n  - {milestone}\n")
    res = subprocess.run([str(ABM), "run", str(cfg), "--steps", "2"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    msg = " ".join(res.stderr.split())
    assert str(cfg) in msg and "milestones.0" in msg and expected in msg


def test_abm_milestones_lists_the_library():
    res = subprocess.run([str(ABM), "milestones"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0
    out = " ".join(res.stdout.split())
    for key, ev in library().items():
        assert key in out and ev.category in out
