"""Mechanism tests: cases worked on paper, properties and statistical checks, one block per module.

Every function here is the compiled rule the model runs (``abm/mechanisms``), called with plain
arrays, a parameter record (:meth:`abm.params.Params.record`) and a seeded generator handle.
Parameters that share a default are given distinct values where a test could confuse them.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm import outcomes
from abm.mechanisms import consensus as cons
from abm.mechanisms import (
    data_sharing,
    detection,
    engagement,
    familiarity,
    interactions,
    milestones,
    routines,
    structures,
    workload,
)
from abm.mechanisms import exit as partner_exit
from abm.mechanisms import patient_flow as flow
from abm.mechanisms import trust as tr
from abm.mechanisms._numba import (
    DRAWS,
    JIT_DISABLED,
    PCG64_JUMPS,
    generator_handle,
    permutation,
    search_right,
    search_right_near,
    skip,
    sort_keys,
)
from abm.params import Params


def rec(**kw):
    """The parameter record with some parameters set."""
    return Params(**kw).record()


class Gen:
    """A seeded generator and its handle (the handle is valid while this object lives)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.h = generator_handle(self.rng)


NONE = np.zeros(0, np.int64)
NO = np.zeros(0, bool)


# --------------------------------------------------------------------------- trust
def two_orgs(t01=0.4, t10=0.5):
    return np.array([[1.0, t01], [t10, 1.0]])


def test_trust_two_organizations_worked_on_paper():
    # 0 sent 4 patients to 1, 3 taken over well; 1 judged 0's referrals: 4 of 4 good.
    # alpha 0.1, kappa 0.5, d 0.8, no breach possible (p_breach 0):
    #   T01 = 0.4 + 0.1 * 0.75 * (1 - 0.4) * (1 - 0.4) = 0.427
    #   T10 = 0.5 + 0.1 * 1.00 * (1 - 0.5) * (1 - 0.4) = 0.53
    p = rec(trust_alpha=0.1, culture_damping=0.5, breach_probability=0.0, trust_relax=0.07, baseline_drift=0.0)
    n_events, n_good = tr.experience_counts(np.array([0, 0, 0, 0]), np.array([1, 1, 1, 1]), np.array([1, 1, 1, 0], bool), np.ones(4, bool), 2)
    assert n_events.tolist() == [[0, 4], [4, 0]] and n_good.tolist() == [[0.0, 3.0], [4.0, 0.0]]
    d = np.full((2, 2), 0.8)
    t, b = tr.update(Gen(0).h, two_orgs(), two_orgs(), d, n_events, n_good, np.zeros((2, 2), bool), np.zeros((2, 2), np.int64), p)
    assert t[0, 1] == pytest.approx(0.427) and t[1, 0] == pytest.approx(0.53)
    assert t[0, 0] == t[1, 1] == 1.0


def test_trust_breach_costs_beta_times_trust():
    # no good experience and p_breach 1: a breach for sure; beta = 3 x 0.1; T = 0.4 - 0.3 * 0.4 = 0.28
    p = rec(trust_alpha=0.1, trust_beta_ratio=3.0, breach_probability=1.0)
    n_events = np.array([[0, 2], [0, 0]])
    t, _ = tr.update(Gen(0).h, two_orgs(), two_orgs(), np.zeros((2, 2)), n_events, np.zeros((2, 2)), np.zeros((2, 2), bool), np.zeros((2, 2), np.int64), p)
    assert t[0, 1] == pytest.approx(0.28)


def test_trust_meeting_shadowing_and_relaxation_use_their_own_rates():
    # distinct rates so that a swap is visible: meeting 0.02, shadowing 4 x 0.03 = 0.12, relaxation 0.07
    p = rec(trust_alpha=0.03, shadow_alpha_ratio=4.0, meeting_trust=0.02, trust_relax=0.07, baseline_drift=0.01, culture_damping=0.5)
    n = 4
    t = np.full((n, n), 0.5)
    np.fill_diagonal(t, 1.0)
    base = np.full((n, n), 0.3)
    d = np.zeros((n, n))
    met = np.zeros((n, n), bool)
    met[0, 1] = True
    shadow = np.zeros((n, n), np.int64)
    shadow[0, 2] = 1
    none = np.zeros((n, n), np.int64)
    new, new_b = tr.update(Gen(0).h, t, base, d, none, np.zeros((n, n)), met, shadow, p)
    assert new[0, 1] == pytest.approx(0.5 + 0.02 * 0.5)  # met
    assert new[0, 2] == pytest.approx(0.5 + 0.12 * 0.5)  # shadowed
    assert new[0, 3] == pytest.approx(0.5 + 0.07 * (0.3 - 0.5))  # no interaction: relaxes
    assert new_b[0, 3] == pytest.approx(0.3 + 0.01 * (new[0, 3] - 0.3))  # baseline drifts toward trust
    assert new[1, 0] == pytest.approx(0.5 + 0.07 * (0.3 - 0.5))  # met is directed as given


def test_culture_damps_trust_gains():
    p = rec(meeting_trust=0.1, culture_damping=0.5)
    met = np.ones((2, 2), bool)
    z = np.zeros((2, 2), np.int64)
    near, _ = tr.update(Gen(0).h, two_orgs(0.5, 0.5), two_orgs(), np.zeros((2, 2)), z, np.zeros((2, 2)), met, z, p)
    far, _ = tr.update(Gen(0).h, two_orgs(0.5, 0.5), two_orgs(), np.ones((2, 2)), z, np.zeros((2, 2)), met, z, p)
    assert near[0, 1] == pytest.approx(0.55) and far[0, 1] == pytest.approx(0.525)


def test_breach_frequency_is_p_breach_times_failure_share():
    # 3,600 ordered pairs, each with half its experiences bad; p_breach 0.6: breaches in 30% of pairs.
    # A different rule (e.g. p (1 - s)^2 = 15%) is far outside the band.
    n = 61
    p = rec(trust_alpha=0.1, trust_beta_ratio=5.0, breach_probability=0.6)  # no breach: 0.525; breach: 0.275
    t = np.full((n, n), 0.5)
    n_events = np.full((n, n), 4)
    np.fill_diagonal(n_events, 0)
    new, _ = tr.update(Gen(7).h, t, t.copy(), np.zeros((n, n)), n_events, n_events / 2.0, np.zeros((n, n), bool), np.zeros((n, n), np.int64), p)
    off = ~np.eye(n, dtype=bool)
    breached = np.mean(new[off] < 0.5)
    assert breached == pytest.approx(0.3, abs=4 * np.sqrt(0.3 * 0.7 / off.sum()))


def test_shadowing_shrinks_culture_distance_not_below_zero():
    d = np.array([[0.0, 0.05], [0.5, 0.0]])
    out = tr.shrink_culture_distance(d, np.array([[0, 2], [2, 0]]), rec(shadow_culture_shrink=0.04))
    np.testing.assert_allclose(out, [[0.0, 0.0], [0.42, 0.0]])


@settings(max_examples=60, deadline=None)
@given(t=st.floats(0, 1), share=st.floats(0, 1), d=st.floats(0, 1), u=st.floats(0, 1))
def test_experience_keeps_trust_in_bounds_and_good_experience_never_hurts_more(t, share, d, u):
    p = rec(trust_alpha=0.2, trust_beta_ratio=10.0)[0]
    x = tr.experience(t, share, d, u, p)
    assert 0.0 <= x <= 1.0
    assert tr.experience(t, min(1.0, share + 0.1), d, u, p) >= x - 1e-12  # more success: no less trust


# --------------------------------------------------------------------------- familiarity
def test_ties_decay_strengthen_merge_and_are_forgotten():
    keys, w = np.array([3, 7, 11]), np.array([0.5, 0.06, 0.9])
    k2, w2 = familiarity.update_ties(keys, w, np.array([12, 7, 1, 12]))
    # decay 2%, then contacts gain 0.5 of the way to 1; 3's tie 0.49; 11's 0.882; 7: 0.0588 -> 0.5294; new 1, 12: 0.5
    np.testing.assert_array_equal(k2, [1, 3, 7, 11, 12])
    np.testing.assert_allclose(w2, [0.5, 0.49, 0.0588 + 0.5 * (1 - 0.0588), 0.882, 0.5])
    k3, _ = familiarity.update_ties(np.array([5]), np.array([0.05]), NONE)
    assert k3.size == 0  # 0.049 < floor: forgotten


@settings(max_examples=200, deadline=None)
@given(
    ties=st.dictionaries(st.integers(0, 60), st.floats(0.05, 1.0), max_size=30),
    contacts=st.lists(st.integers(0, 60), max_size=40),
)
def test_ties_follow_the_rule_written_plainly(ties, contacts):
    """The one-pass merge gives what the rule says, tie by tie: decay, gain once per contacted pair, floor."""
    expected = {k: w * (1.0 - familiarity.TIE_DECAY) for k, w in ties.items()}
    for k in set(contacts):
        w = expected.get(k, 0.0)
        expected[k] = w + familiarity.TIE_GAIN * (1.0 - w)
    expected = {k: w for k, w in expected.items() if w >= familiarity.TIE_FLOOR}
    keys = np.array(sorted(ties), np.int64)
    k2, w2 = familiarity.update_ties(keys, np.array([ties[k] for k in keys], float), np.array(contacts, np.int64))
    assert k2.tolist() == sorted(expected)
    assert w2.tolist() == [expected[k] for k in sorted(expected)]  # bit for bit


def test_tie_lookup_is_order_free():
    keys, weights = familiarity.pair_keys(np.array([2, 9]), np.array([5, 1]), 10), np.array([0.3, 0.7])
    order = np.argsort(keys)
    q, w = familiarity.lookup(keys[order], weights[order], np.array([5, 1, 3]), np.array([2, 9, 4]), 10)
    np.testing.assert_allclose(w, [0.3, 0.7, 0.0])


# --------------------------------------------------------------------------- patient flow
def test_handoff_success_logit_by_hand():
    # z = 1.0 + 0.5 * 2 + 1.5 * 0.5 + 0.8 * 1 + 0.4 * 0.25 - 1.5 * 0.8 - 3.0 * 0.1 = 2.15
    p = rec(handoff_intercept=1.0, handoff_data=0.5, handoff_trust=1.5, handoff_coordinator=0.8, handoff_familiarity=0.4,
            handoff_complexity=1.5, handoff_overload=3.0, referral_engagement=2.0)  # fmt: skip
    level = np.array([[0, 2], [2, 0]], np.int8)
    trust = two_orgs(0.5, 0.5)
    g = Gen(1)
    n = 40000
    support = flow.support(1.0, False, False, p)
    assert support == pytest.approx(0.8)
    ok, ref = flow.outcomes(g.h, np.zeros(n, np.int64), np.ones(n, np.int64), np.zeros(n, np.int64), np.full(n, 0.25), level, trust,
                            np.array([0.75, 0.5]), np.array([0.0, 0.1]), support, 0.8, p)  # fmt: skip
    assert flow.logistic(0.0) == 0.5
    assert ok.mean() == pytest.approx(flow.logistic(2.15), abs=0.01)
    # referral (the sender's engagement and data, not the patient's complexity): 1.0 + 1.0 + 2.0 * (2 * 0.75 - 1) = 3.0
    assert ref.mean() == pytest.approx(flow.logistic(3.0), abs=0.01)


def test_program_support_adds_each_feature_once():
    p = rec(handoff_coordinator=0.8, handoff_line_24_7=0.3, handoff_telemonitoring=0.2, warm_handoff_share=0.7)
    assert flow.support(0.0, False, False, p) == 0.0
    assert flow.support(0.7, False, False, p) == pytest.approx(0.56)  # a warm hand-off: 0.7 of a coordinator
    assert flow.support(0.0, True, False, p) == pytest.approx(0.3)
    assert flow.support(0.0, False, True, p) == pytest.approx(0.2)
    assert flow.support(1.0, True, True, p) == pytest.approx(1.3)


def test_care_team_has_m_pairs_per_patient_on_average():
    g = Gen(12)
    n = 20000
    s_org, r_org = np.zeros(n, np.int64), np.ones(n, np.int64)
    block_start = np.array([0, 10, 20])
    weight = np.ones(20)
    a, b = flow.pick_clinicians(g.h, s_org, r_org, flow.cumulative(weight), block_start)
    pat, ta, tb = flow.care_team(g.h, s_org, r_org, a, b, flow.cumulative(weight), block_start, 1.0)
    assert ta is a and tb is b and np.array_equal(pat, np.arange(n))  # m = 1: the lead pairs, nothing drawn
    pat, ta, tb = flow.care_team(g.h, s_org, r_org, a, b, flow.cumulative(weight), block_start, 2.5)
    assert ta.size / n == pytest.approx(2.5, abs=0.02)
    assert np.array_equal(ta[:n], a) and np.array_equal(pat[:n], np.arange(n))  # the lead pair comes first
    assert ((ta >= 0) & (ta < 10)).all() and ((tb >= 10) & (tb < 20)).all()  # each side in its organization
    pat, ta, tb = flow.care_team(g.h, s_org, r_org, a, b, flow.cumulative(weight), block_start, 0.25)
    assert ta.size / n == pytest.approx(0.25, abs=0.02) and np.array_equal(ta, a[pat])


def test_referral_weights_by_hand():
    # receiver 1: size 100, overload 0.2 -> cap 80; receiver 2: size 50, overload 2 -> cap 50 * 0.05 = 2.5
    trust = np.array([[1.0, 0.5, 0.005], [0, 1, 0], [0, 0, 1]])
    catch = np.array([[0.0, 0.9, 0.1]])
    w = flow.referral_weights(trust, np.array([0]), catch, np.array([300.0, 100.0, 50.0]), np.array([0.0, 0.2, 2.0]), np.array([False, True, True]))
    np.testing.assert_allclose(w, [[0.0, 0.5 * 0.9 * 80, 0.01 * 0.1 * 2.5]])


def test_receivers_follow_weights():
    g = Gen(4)
    w = np.array([[0.0, 1.0, 3.0], [0.0, 0.0, 0.0]])
    kept, cols = flow.choose_rows(g.h, np.array([0] * 40000 + [1] * 10), w)
    assert kept.size == 40000  # a row without weight sends nobody
    assert set(np.unique(cols)) == {1, 2} and np.mean(cols == 2) == pytest.approx(0.75, abs=0.01)


def test_pick_in_blocks_stays_in_block_and_follows_weights():
    u = np.random.default_rng(5).random(20000)
    block_start = np.array([0, 3, 5])
    weight = np.array([1.0, 0.0, 3.0, 1.0, 1.0])
    picks = flow.pick_in_blocks(u, np.zeros(20000, np.int64), flow.cumulative(weight), block_start)
    assert set(np.unique(picks)) == {0, 2} and np.mean(picks == 2) == pytest.approx(0.75, abs=0.015)
    assert set(np.unique(flow.pick_in_blocks(u[:100], np.ones(100, np.int64), flow.cumulative(weight), block_start))) <= {3, 4}


def test_discharges_are_poisson_volume_of_active_hospitals():
    g = Gen(3)
    counts = np.zeros(3)
    for _ in range(2000):
        senders = flow.discharges(g.h, np.array([True, True, False]), np.array([True, False, True]), np.array([500.0, 500.0, 500.0]), 0.004)
        counts += np.bincount(senders, minlength=3)
    assert counts[1] == counts[2] == 0  # an inactive hospital and a non-hospital discharge nobody
    assert counts[0] / 2000 == pytest.approx(2.0, abs=0.1)


# --------------------------------------------------------------------------- interactions
def test_participation_weights():
    w = interactions.participation(np.array([0.5, 0.2, 0.9]), np.array([True, True, False]), np.array([False, True, False]))
    np.testing.assert_allclose(w, [0.55, 1.05, 0.0])


def test_meeting_attendance_is_leadership_and_pairs_are_symmetric():
    g = Gen(8)
    block_start = np.array([0, 2, 4, 6])
    att = np.zeros(3)
    for _ in range(3000):
        attend, met, a, b = interactions.meeting(g.h, np.array([True, True, False]), np.array([0.9, 0.3, 1.0]), np.full(6, 0.5),
                                                 np.ones(6, bool), block_start, 1.0)  # fmt: skip
        att += attend
        assert np.array_equal(met, met.T) and not met.diagonal().any()
    np.testing.assert_allclose(att / 3000, [0.9, 0.3, 0.0], atol=0.03)
    reps = 0
    for _ in range(2000):  # two representatives per attending organization at m = 2 (one conversation pair per two)
        attend, met, a, b = interactions.meeting(g.h, np.array([True, True, True]), np.ones(3), np.full(6, 0.5), np.ones(6, bool), block_start, 2.0)
        reps += a.size + b.size
    assert reps / 2000 == pytest.approx(6.0)


def test_champion_outreach_and_team_contacts_stay_among_live_clinicians():
    g = Gen(9)
    live_idx = np.array([0, 1, 2, 5])
    contacts, targets = interactions.champion_outreach(g.h, live_idx, np.array([1, 0, 0, 0, 0, 0], bool), 3.0)
    assert set(contacts) <= {0} and set(targets) <= set(live_idx)
    none = interactions.champion_outreach(g.h, live_idx, np.zeros(6, bool), 3.0)
    assert none[0].size == 0
    live = np.array([True, True, True, False, False, True])
    team, mates = interactions.team_contacts(g.h, live, np.array([0, 0, 0, 1, 1, 2]), np.array([0, 3, 5, 6]), 1.0)
    assert set(team) == {0, 1, 2, 5}
    assert all((m < 3) if t < 3 else m == 5 for t, m in zip(team, mates, strict=True))


def test_shadowing_visits_the_other_sector():
    g = Gen(10)
    clin_org = np.repeat(np.arange(3), 4)
    v, h, vo, ho = interactions.shadowing(g.h, clin_org, np.ones(3, bool), np.ones(3, bool), np.array([True, False, False]),
                                          flow.cumulative(np.ones(12)), np.array([0, 4, 8, 12]), 1.0)  # fmt: skip
    assert v.size == 12
    assert np.all((vo == 0) != (ho == 0))  # hospital <-> community only
    assert np.all(clin_org[h] == ho) and np.all(clin_org[v] == vo)
    counts = interactions.visit_counts(vo, ho, 3)
    assert np.array_equal(counts, counts.T) and counts.sum() == 24


# --------------------------------------------------------------------------- consensus
def test_three_clinician_consensus_step_worked_on_paper():
    # clinicians 0, 1 (org 0) and 2 (org 1); views 0.2, 0.3, 0.6; pairs (0, 1) and (2, 1) ... disjoint: (0, 1) only,
    # so we pass the disjoint pairs directly. eps0 0.05, eps_trust 0.3, g = 1, h = 1, mu 0.2, engagement 0.5 each:
    #   eps = (0.05 + 0.3 T) * (0 + 2 * 0.5) = 0.35 within the organization (T = 1); step = 0.2 * (0.5 + 0.5) = 0.2
    #   0 and 1 (distance 0.1 < 0.35): 0.2 -> 0.22, 0.3 -> 0.28
    p = rec(eps0=0.05, eps_trust=0.3, engagement_openness=1.0, engagement_step=1.0, mu=0.2)
    views = np.array([[0.2], [0.3], [0.6]])
    trust = np.array([[1.0, 0.1], [0.5, 1.0]])
    clin_org = np.array([0, 0, 1])
    e = np.full(3, 0.5)
    out = cons.bounded_confidence(views, np.array([0]), np.array([1]), trust, clin_org, e, np.zeros(3, bool), p)
    np.testing.assert_allclose(out.ravel(), [0.22, 0.28, 0.6])
    # across organizations (1 and 2, distance 0.3): 1's bound (0.05 + 0.3 * 0.1) = 0.08 -> stays;
    # 2's bound (0.05 + 0.3 * 0.5) = 0.2 -> stays too; with T[1, 0] = 1, 2's bound 0.35 -> 0.6 - 0.2 * 0.3 = 0.54
    out = cons.bounded_confidence(views, np.array([1]), np.array([2]), trust, clin_org, e, np.zeros(3, bool), p)
    np.testing.assert_allclose(out.ravel(), [0.2, 0.3, 0.6])
    trust[1, 0] = 1.0
    out = cons.bounded_confidence(views, np.array([1]), np.array([2]), trust, clin_org, e, np.zeros(3, bool), p)
    np.testing.assert_allclose(out.ravel(), [0.2, 0.3, 0.54])


def test_champions_persuade_more_and_move_less():
    p = rec(champion_persuasion=2.0, champion_firmness=0.5)[0]
    assert cons.step_size(0.2, True, False, p) == pytest.approx(0.1)
    assert cons.step_size(0.2, False, True, p) == pytest.approx(0.4)
    assert cons.step_size(0.4, False, True, p) == 0.5  # limited to 0.5


def test_openness_formula():
    assert cons.openness(0.5, 0.25, rec(eps0=0.05, eps_trust=0.3, engagement_openness=1.0)[0]) == pytest.approx(0.1)
    assert cons.openness(0.5, 0.25, rec(eps0=0.05, eps_trust=0.3, engagement_openness=0.0)[0]) == pytest.approx(0.2)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_bounded_confidence_keeps_views_in_hull_and_symmetric_pairs_keep_the_mean(seed):
    rng = np.random.default_rng(seed)
    views = rng.random((40, 2))
    a, b = np.arange(20), np.arange(20, 40)
    p = rec(eps0=1.0, mu=0.3, engagement_step=0.0, engagement_openness=0.0)
    out = cons.bounded_confidence(views, a, b, np.ones((1, 1)), np.zeros(40, np.int64), rng.random(40), np.zeros(40, bool), p)
    assert out.min() >= views.min() - 1e-12 and out.max() <= views.max() + 1e-12
    np.testing.assert_allclose(out.mean(axis=0), views.mean(axis=0))


def test_disjoint_matching_never_reuses_a_clinician():
    g = Gen(2)
    rng = np.random.default_rng(2)
    ka, kb = cons.disjoint_matching(g.h, rng.integers(0, 30, 200), rng.integers(0, 30, 200), 30)
    ends = np.concatenate((ka, kb))
    assert np.unique(ends).size == ends.size and ka.size > 0 and np.all(ka != kb)


def test_random_matching_pairs_everyone_once():
    a, b = cons.random_matching(Gen(3).h, np.arange(11))
    assert a.size == b.size == 5 and np.unique(np.concatenate((a, b))).size == 10


def test_pathway_is_participants_mean_and_pull_moves_only_them():
    views = np.array([[0.0], [1.0], [0.5]])
    np.testing.assert_allclose(cons.mean_view(views, np.array([True, True, False])), [0.5])
    pulled = cons.pull_toward(views, np.array([True, False, False]), np.array([1.0]), 0.3)
    assert pulled[0, 0] == pytest.approx(0.3) and pulled[1, 0] == 1.0


def test_workshop_participation_rises_with_engagement():
    g = Gen(11)
    e = np.repeat([0.1, 0.5], 20000)
    who = cons.workshop_participants(g.h, np.ones(e.size, bool), e, rec(workshop_share=0.3))
    assert who[:20000].mean() == pytest.approx(0.06, abs=0.01) and who[20000:].mean() == pytest.approx(0.3, abs=0.015)


# --------------------------------------------------------------------------- engagement
def engage(e, baseline=None, n_success=None, vis=None, phys=None, champ=NONE, incl=NO, directed=NO, lead=None, over=None, **kw):
    n = e.size
    z = np.zeros(n)
    return engagement.update(
        e, z if baseline is None else baseline, np.zeros(n, np.int64) if n_success is None else n_success, z if vis is None else vis,
        np.zeros(n, bool) if phys is None else phys, champ, incl, directed, np.arange(n), z if lead is None else lead,
        z if over is None else over, rec(**kw),
    )  # fmt: skip


ALL_ZERO = dict(usefulness_gain=0.0, data_visibility_gain=0.0, champion_gain=0.0, inclusion_gain=0.0, topdown_penalty=0.0,
                leadership_gain=0.0, overload_penalty=0.0, engagement_relax=0.0)  # fmt: skip


def test_engagement_each_rate_acts_through_its_own_input():
    e = np.full(2, 0.5)
    one = np.array([1.0, 0.0])
    cases = {  # rate -> the input it must act through (rate 0.1: clinician 0 moves to 0.55, or 0.45 for a loss)
        "usefulness_gain": dict(n_success=np.array([1, 0])),
        "data_visibility_gain": dict(vis=one, phys=np.array([True, False])),
        "champion_gain": dict(champ=np.array([1, 0])),
        "inclusion_gain": dict(incl=np.array([True, False])),
        "leadership_gain": dict(lead=one),
        "topdown_penalty": dict(directed=np.array([True, False])),
        "overload_penalty": dict(over=one),
    }
    for rate in cases:
        for other, other_inputs in cases.items():
            new = engage(e, **other_inputs, **(ALL_ZERO | {rate: 0.1}))
            expected = 0.5 if rate != other else (0.45 if rate in ("topdown_penalty", "overload_penalty") else 0.55)
            assert new[0] == pytest.approx(expected), (rate, other)
            assert new[1] == 0.5


def test_data_visibility_counts_only_physicians():
    e = np.full(2, 0.5)
    new = engage(e, vis=np.ones(2), phys=np.array([True, False]), **(ALL_ZERO | {"data_visibility_gain": 0.2}))
    assert new.tolist() == pytest.approx([0.6, 0.5])


def test_engagement_relaxes_to_baseline_and_gains_saturate():
    assert engage(np.array([0.9]), baseline=np.array([0.4]), **(ALL_ZERO | {"engagement_relax": 0.1}))[0] == pytest.approx(0.85)
    assert engage(np.array([0.5]), n_success=np.array([50]), **(ALL_ZERO | {"usefulness_gain": 0.3}))[0] == 1.0


def test_visibility_share_and_successes():
    level = np.array([[0, 3, 3], [3, 0, 2], [3, 2, 0]], np.int8)
    np.testing.assert_allclose(engagement.data_visibility(level, np.array([True, True, False])), [0.5 / 0.5, 1.0, 1.0])
    np.testing.assert_allclose(engagement.data_visibility(level, np.ones(3, bool)), [1.0, 0.5, 0.5])
    assert engagement.successes(np.array([0, 1]), np.array([2, 2]), np.array([True, False]), 3).tolist() == [1, 0, 1]


# --------------------------------------------------------------------------- data sharing
def test_upgrade_probability_by_hand():
    q = data_sharing.upgrade_probability(np.array([1, 1, 2]), np.array([0.0, 0.0, 0.5]),
                                         rec(link_upgrade=0.04, different_it_factor=0.3, privacy_mismatch_factor=0.8))  # fmt: skip
    assert q[0, 1] == pytest.approx(0.04) and q[0, 2] == pytest.approx(0.04 * 0.3 * 0.6)
    assert np.array_equal(q, q.T)


def test_links_upgrade_when_eligible_and_decay_when_trust_collapses():
    level = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], np.int8)
    trust = np.array([[1, 0.8, 0.1], [0.8, 1, 0.5], [0.1, 0.5, 1]])
    contact = np.zeros((3, 3), np.int64)
    p = rec(link_trust_gate=0.55, link_collapse_trust=0.25, link_decay=1.0, contact_window=8, min_resources=0.1)
    new = data_sharing.update_links(Gen(0).h, level, trust, contact, 5, np.full(3, 0.5), np.ones(3, bool), np.ones((3, 3)), p)
    assert new[0, 1] == new[1, 0] == 2  # worked together, trusted, resourced: up
    assert new[0, 2] == new[2, 0] == 1  # trust collapsed: down
    assert new[1, 2] == 1  # below the gate: unchanged
    late = data_sharing.update_links(Gen(0).h, level, trust, contact, 9, np.full(3, 0.5), np.ones(3, bool), np.ones((3, 3)), p)
    assert late[0, 1] == 1  # no contact within the window: no upgrade
    poor = data_sharing.update_links(Gen(0).h, level, trust, contact, 5, np.array([0.5, 0.05, 0.5]), np.ones(3, bool), np.ones((3, 3)), p)
    assert poor[0, 1] == 1  # a partner without slack resources: no upgrade
    gone = data_sharing.update_links(Gen(0).h, level, trust, contact, 5, np.full(3, 0.5), np.array([True, True, False]), np.ones((3, 3)), p)
    assert gone[2].sum() == 0 and gone[:, 2].sum() == 0  # a departed partner keeps no links


def test_random_links_reduction():
    level = np.ones((4, 4), np.int8)
    new = data_sharing.random_links(Gen(0).h, level, np.ones(4, bool), 1.0)
    assert (new[~np.eye(4, dtype=bool)] == 2).all() and np.array_equal(new, new.T)


# --------------------------------------------------------------------------- workload and exit
def test_overload_by_hand_scales_with_one_over_size():
    # activities smoothed: 0.9 * 4 + 0.1 * (2 + 1 + 0.25 * 1 link) = 3.925; load = 0.9 + 0.04 * 3.925 * 100 / size
    p = rec(base_workload=0.9, fixed_cost=0.04, patient_cost=1.0, slack_capacity=0.0)
    level = np.array([[0, 2], [2, 0]], np.int8)
    act, over = workload.update(np.full(2, 4.0), np.full(2, 2.0), level, np.ones(2, bool), np.array([100.0, 50.0]), np.zeros(2), NONE, 60.0, True, p)
    np.testing.assert_allclose(act, [3.925, 3.925])
    np.testing.assert_allclose(over, [max(0, 0.9 + 0.04 * 3.925 - 1), 0.9 + 0.08 * 3.925 - 1])
    _, off = workload.update(np.full(2, 4.0), np.full(2, 2.0), level, np.ones(2, bool), np.array([100.0, 50.0]), np.zeros(2), NONE, 60.0, False, p)
    assert not off.any()


def test_patients_received_and_slack_capacity():
    p = rec(base_workload=1.0, fixed_cost=0.0, patient_cost=10.0, slack_capacity=0.5)
    _, over = workload.update(np.zeros(2), np.zeros(2), np.zeros((2, 2), np.int8), np.ones(2, bool), np.full(2, 100.0), np.array([0.0, 1.0]),
                              np.array([0, 0, 1]), 60.0, True, p)  # fmt: skip
    # org 0: load 1 + 10 x 2 / 100 = 1.2 on capacity 1 -> 0.2; org 1: 1.1 on capacity 1.5 -> 0
    np.testing.assert_allclose(over, [0.2, 0.0])
    _, more = workload.update(np.zeros(2), np.zeros(2), np.zeros((2, 2), np.int8), np.ones(2, bool), np.full(2, 100.0), np.array([0.0, 0.0]),
                              np.array([0, 0, 1]), 60.0, True, p)  # fmt: skip
    assert more[1] == pytest.approx(0.1)  # without slack resources org 1 is overloaded too
    _, longer = workload.update(np.zeros(2), np.zeros(2), np.zeros((2, 2), np.int8), np.ones(2, bool), np.full(2, 100.0), np.array([0.0, 0.0]),
                                np.array([0, 0, 1]), 120.0, True, p)  # fmt: skip
    np.testing.assert_allclose(longer, [0.4, 0.2])  # a bundle twice as long: each patient costs twice as much


def test_perceived_benefit_and_exit():
    trust = np.array([[1.0, 0.4, 0.8], [0.6, 1.0, 0.2], [0.5, 0.5, 1.0]])
    b = partner_exit.perceived_benefit(np.array([0, 0, 1, 2]), np.array([0.4, 0.6, 0.5, 0.9]), trust, np.array([True, True, False]), np.array([0.1, 0, 0]))
    # org 0: engagement 0.5 x trust in active others (1): 0.4 - 0.1 = 0.1; org 1: 0.5 x 0.6 = 0.3
    assert b[0] == pytest.approx(0.1) and b[1] == pytest.approx(0.3)
    leave = partner_exit.leavers(Gen(0).h, np.array([0, 1, 2]), np.array([0.0, 0.9, 0.0]), trust, np.array([True, True, False]), np.zeros(3),
                                 rec(exit_threshold=0.04, exit_hazard=1.0))  # fmt: skip
    assert leave.tolist() == [True, False, False]


# --------------------------------------------------------------------------- milestones and detection
def test_milestones_due_and_effects():
    fired = np.array([False, True, False])
    due = milestones.due(np.array([0.5, 0.0, 0.0]), np.array([3, -1, -1]), np.array([0.0, 0.5, 0.1]), np.array([False, False, True]), fired, 3)
    assert due.tolist() == [0, 2]  # scheduled now; a fired one-off hazard does not repeat; a repeating one does
    pm = milestones.pair_mask(np.array([True, False, False]))
    assert pm[0, 1] and pm[1, 0] and not pm[1, 2] and not pm[0, 0]
    x = np.array([0.2, 0.9])
    milestones.shift(x, np.array([True, True]), 0.3, 0.0, 1.0)
    np.testing.assert_allclose(x, [0.5, 1.0])


def test_detection_of_new_links_and_collapse():
    level = np.array([[0, 2], [2, 0]], np.int8)
    ever = np.zeros((2, 2), bool)
    i, j = detection.new_links(level, ever)
    assert list(zip(i, j, strict=True)) == [(0, 1)] and ever[0, 1]
    assert detection.new_links(level, ever)[0].size == 0  # reported once
    pairs = np.array([[False, True], [False, False]])
    collapsed = np.zeros((2, 2), bool)
    i, j = detection.trust_collapses(np.array([[1, 0.1], [0.1, 1]]), collapsed, pairs, 0.25)
    assert list(zip(i, j, strict=True)) == [(0, 1)] and collapsed[0, 1]
    i, _ = detection.trust_collapses(np.array([[1, 0.3], [0.3, 1]]), collapsed, pairs, 0.25)
    assert i.size == 0 and collapsed[0, 1]  # not recovered above TRUST_RECOVERY: still collapsed, not counted again
    detection.trust_collapses(np.array([[1, 0.5], [0.5, 1]]), collapsed, pairs, 0.25)
    assert not collapsed[0, 1]  # recovered
    i, _ = detection.trust_collapses(np.array([[1, 0.1], [0.1, 1]]), collapsed, pairs, 0.25)
    assert i.size == 1  # a new collapse after recovery is counted again
    assert detection.crossed(0.9, 0.8, False) and not detection.crossed(0.9, 0.8, True)


# --------------------------------------------------------------------------- outcomes
def consensus(views):
    return outcomes.consensus(outcomes.sorted_columns(views))


def test_consensus_reference_points():
    assert consensus(np.full((10, 1), 0.3)) == pytest.approx(1.0)
    assert consensus(np.random.default_rng(6).random((4000, 2))) == pytest.approx(0.0, abs=0.03)
    assert outcomes.mean_pairwise_distance(np.sort(np.array([[0.0], [1.0], [0.5]]), axis=0)) == pytest.approx((1 + 0.5 + 0.5) / 3)


def test_bucketed_sort_is_np_sort():
    rng = np.random.default_rng(5)
    ends = np.concatenate((np.zeros(10), np.ones(10), rng.random(2029)))[:, None]  # 0 and 1: the first and last bucket
    clustered = np.clip(rng.normal(0.5, 1e-4, (4097, 1)), 0.0, 1.0)  # a converged program: buckets span its range
    ulps = 0.3 + np.spacing(0.3) * rng.integers(0, 5, (3000, 1))  # converged to a few floating-point steps apart
    for views in (rng.random((5000, 3)), rng.normal(0.0, 3.0, (3000, 2)), np.round(rng.random((4000, 1)), 2),
                  rng.random((2048, 1)), ends, clustered, ulps, np.full((2500, 1), 0.7), rng.random((70_000, 1))):  # fmt: skip
        np.testing.assert_array_equal(outcomes.sorted_columns(views), np.sort(views, axis=0))


def test_sort_from_last_order_is_np_sort_and_keeps_the_order():
    rng = np.random.default_rng(8)
    views = rng.random((300, 2))
    order = np.stack([rng.permutation(300), rng.permutation(300)], axis=1)  # any start: the fallback sorts afresh
    for _ in range(6):
        np.testing.assert_array_equal(outcomes.sorted_columns_by(views, order), np.sort(views, axis=0))
        np.testing.assert_array_equal(np.take_along_axis(views, order, axis=0), np.sort(views, axis=0))
        moved = rng.random(300) < 0.1  # some views move a little, as a week's conversations move them
        views = np.where(moved[:, None], np.clip(views + rng.normal(0.0, 0.02, views.shape), 0.0, 1.0), views)
    big = rng.random((3000, 1))  # from BUCKET_SORT_MIN views: the bucketed sort, order left alone
    untouched = np.arange(3000).reshape(-1, 1)
    np.testing.assert_array_equal(outcomes.sorted_columns_by(big, untouched), np.sort(big, axis=0))


def test_connectivity_counts_paths_and_exits():
    level = np.zeros((4, 4), np.int8)
    level[0, 1] = level[1, 0] = 2
    level[1, 2] = level[2, 1] = 3
    clinical = np.ones(4, bool)
    conn, mean_level = outcomes.connectivity(level, np.ones(4, bool), clinical)
    assert conn == pytest.approx(0.5) and mean_level == pytest.approx(10 / 12)  # 0-1-2 joined: 6 of 12 ordered pairs
    assert outcomes.connectivity(level, np.array([True, False, True, True]), clinical)[0] == 0.0  # 1 leaves: no path


def test_algebraic_connectivity_of_a_path_and_trust_means():
    level = np.array([[0, 3, 0], [3, 0, 3], [0, 3, 0]], np.int8)
    assert outcomes.algebraic_connectivity(level, np.ones(3, bool)) == pytest.approx(1.0)
    t = np.array([[1.0, 0.2], [0.6, 1.0]])
    tm, tmin, e, ep = outcomes.trust_and_engagement(t, np.array([1, 2]), np.array([0.2, 0.4]), np.array([0, 1]), NONE)
    assert (tm, tmin, e) == pytest.approx((0.4, 0.2, 0.3)) and np.isnan(ep)


def test_algebraic_connectivity_is_zero_exactly_when_the_links_fall_in_pieces():
    # two linked groups, 0-1-2-3 and 4-5-6-7, and no link between them: this machine's eigensolver says 8e-17, not 0
    level = np.zeros((8, 8), np.int8)
    for i, j, v in ((0, 1, 2), (0, 2, 1), (0, 3, 1), (1, 3, 3), (4, 5, 2), (4, 7, 3), (5, 7, 3), (6, 7, 3)):
        level[i, j] = level[j, i] = v
    everyone = np.ones(8, bool)
    assert not outcomes.links_join(level, everyone)
    assert outcomes.algebraic_connectivity(level, everyone) == 0.0
    level[3, 4] = level[4, 3] = 1  # one link joins them: the eigensolver's value, as NumPy's
    assert outcomes.links_join(level, everyone)
    assert outcomes.algebraic_connectivity(level, everyone) == np.linalg.eigvalsh(outcomes.link_laplacian(level, everyone))[1] > 0
    assert outcomes.links_join(level, np.array([True, True, False, True, False, False, False, False]))  # 0, 1, 3 among themselves
    assert not outcomes.links_join(level, np.array([True, False, False, False, False, False, True, False]))  # 0 and 6: no link
    assert outcomes.algebraic_connectivity(level, np.array([True] + [False] * 7)) == 0.0  # one partner


# --------------------------------------------------------------------------- connectivity: structures and routines
def test_meetings_are_not_joint_work_but_handoffs_and_shadowing_are():
    last = np.full((3, 3), -100)
    n_events = np.zeros((3, 3), np.int64)
    n_events[0, 1] = n_events[1, 0] = 1
    joint = np.zeros((3, 3), np.int64)
    joint[1, 2] = joint[2, 1] = 2  # shadowing or virtual rounds
    tr.mark_contacts(last, n_events, joint, 7)
    assert last[0, 1] == last[1, 0] == last[1, 2] == last[2, 1] == 7
    assert last[0, 2] == last[2, 0] == -100  # (a steering meeting is not passed here: it is not joint work)


def test_routine_flow_and_quality_by_hand():
    p = rec(routine_smoothing=0.5, routine_flow=0.5, routine_success=0.9)
    flow_, qual = np.zeros((2, 2)), np.zeros((2, 2))
    s_org, r_org = np.array([0, 0]), np.array([1, 1])
    flow_, qual = routines.update(flow_, qual, s_org, r_org, np.array([True, False]), p)
    assert flow_[0, 1] == pytest.approx(1.0) and qual[0, 1] == pytest.approx(0.25)  # 0 + 0.5 (2 - 0); 0 + 0.5 (0.5 - 0)
    flow_, qual = routines.update(flow_, qual, s_org[:0], r_org[:0], np.zeros(0, bool), p)
    assert flow_[0, 1] == pytest.approx(0.5) and qual[0, 1] == pytest.approx(0.25)  # no hand-off: quality kept
    care = np.array([[False, True], [False, False]])
    assert routines.share_routine(flow_, qual, care, np.ones(2, bool), p) == 0.0  # regular but not reliable
    qual[0, 1] = 0.95
    assert routines.share_routine(flow_, qual, care, np.ones(2, bool), p) == 1.0
    assert routines.share_routine(flow_, qual, care, np.array([True, False]), p) == 0.0  # an exited partner: no routine


def test_codesign_builds_structure_between_partners_that_took_part():
    p = rec(codesign_structure=0.2, workshop_share=0.5)
    s0 = np.zeros((3, 3))
    s0[0, 1] = s0[1, 0] = 0.5
    # shares taking part: org 0 1/2, org 1 1/1, org 2 0/1
    out = structures.codesign(s0, np.array([0, 0, 1, 2]), np.array([True, False, True, False]), np.ones(3, bool), p)
    assert out[0, 1] == out[1, 0] == pytest.approx(0.65)  # g = 0.2 (0.5 + 1) / 1 = 0.3: 0.5 + 0.3 (1 - 0.5)
    assert out[0, 2] == out[2, 0] == pytest.approx(0.1) and out[1, 2] == pytest.approx(0.2)  # one side took part
    assert structures.mean_structure(out, np.ones(3, bool), np.ones(3, bool)) == pytest.approx(1.9 / 6)
    assert structures.mean_structure(out, np.array([True, False, True]), np.ones(3, bool)) == pytest.approx(0.2 / 6)  # exited: 0


def test_directive_is_adopted_in_proportion_to_engagement():
    p = rec(topdown_pull=0.5)
    views = np.array([[0.0], [0.0], [0.0]])
    out = cons.directive(views, np.array([True, True, False]), np.array([1.0]), np.array([1.0, 0.2, 1.0]), p)
    np.testing.assert_allclose(out[:, 0], [0.5, 0.1, 0.0])


def test_connectivity_is_the_mean_of_its_components():
    assert outcomes.composite_connectivity(1.0, 0.5, 0.0) == pytest.approx(0.5)


def test_org_visits_thin_each_visit_by_one_over_m():
    g = Gen(21)
    v, h = np.zeros(40000, np.int64), np.ones(40000, np.int64)
    assert np.array_equal(interactions.org_visits(g.h, v, h, 2, 1.0), interactions.visit_counts(v, h, 2))  # m = 1: all, no draw
    c = interactions.org_visits(g.h, v, h, 2, 4.0)
    assert c[0, 1] == c[1, 0] and c[0, 1] / 40000 == pytest.approx(0.25, abs=0.01)


def test_codesign_structure_gain_follows_the_partners_participation_shares():
    p = rec(codesign_structure=0.2, workshop_share=0.25)
    s0 = np.zeros((3, 3))
    # org 0: 1 of 4 clinicians took part (share 0.25), org 1: 1 of 8 (0.125), org 2: none of 2
    who = np.array([True, False, False, False, True] + [False] * 7 + [False, False])
    out = structures.codesign(s0, np.array([0] * 4 + [1] * 8 + [2] * 2), who, np.ones(3, bool), p)
    assert not structures.codesign(s0, np.array([0] * 4 + [1] * 8 + [2] * 2), who, np.array([True, False, True]), p)[0, 1]  # not with an inactive partner
    assert out[0, 1] == out[1, 0] == pytest.approx(0.2 * (0.25 + 0.125) / 0.5)
    assert out[0, 2] == pytest.approx(0.2 * 0.25 / 0.5) and out[1, 2] == pytest.approx(0.2 * 0.125 / 0.5)


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.Philox, np.random.MT19937, np.random.SFC64])
def test_generator_handle_holds_the_bit_generators_ctypes_addresses_and_draws_as_numpy(bit_generator):
    rng = np.random.Generator(bit_generator(7))
    c = rng.bit_generator.ctypes
    expected = [c.state_address, *(ctypes.cast(f, ctypes.c_void_p).value for f in (c.next_uint64, c.next_uint32, c.next_double))]
    handle = generator_handle(rng)
    assert handle[:4].tolist() == expected
    assert handle[4] == (PCG64_JUMPS if bit_generator is np.random.PCG64 else DRAWS)  # how skip() skips its draws
    twin = np.random.Generator(bit_generator(7))
    drawn = flow.discharges(generator_handle(rng), np.ones(4, bool), np.ones(4, bool), np.full(4, 30.0), 0.5)
    np.testing.assert_array_equal(np.bincount(drawn, minlength=4), twin.poisson(15.0, 4))
    assert rng.random() == twin.random()  # the compiled draws advanced rng's own state


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.Philox, np.random.MT19937])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 1000, 70_000])
def test_permutation_is_numpys_draw_for_draw(bit_generator, n):
    rng, twin = np.random.Generator(bit_generator(n)), np.random.Generator(bit_generator(n))
    x = np.arange(n) * 3 + 1
    x.flags.writeable = False  # (a copy is shuffled, as NumPy's permutation does)
    np.testing.assert_array_equal(permutation(rng, x), twin.permutation(x.copy()))
    np.testing.assert_array_equal(permutation(rng, np.arange(n)), twin.permutation(n))  # permutation(n), as the model asks
    # the same draws were taken: 32-bit draws (which read the half of a 64-bit draw the shuffle may have left), then 64-bit
    np.testing.assert_array_equal(rng.integers(0, 1000, 3, dtype=np.uint32), twin.integers(0, 1000, 3, dtype=np.uint32))
    assert rng.integers(0, 2**40) == twin.integers(0, 2**40)


@pytest.mark.parametrize("seed", range(6))
def test_initial_ties_take_numpys_draws_in_numpys_order(seed):
    """Binomial tie counts (both of NumPy's algorithms: up to 400 trials), then uniform clinicians on either side."""
    r = np.random.default_rng(seed)
    n_org = 30
    n_clin = r.integers(1, 400, n_org)
    block_start = np.concatenate(([0], np.cumsum(n_clin)))
    n = int(block_start[-1])
    iu, ju = np.triu_indices(n_org, 1)
    keep = r.random(iu.size) < 0.3
    iu, ju = iu[keep].astype(np.int64), ju[keep].astype(np.int64)
    strength = r.random(iu.size)
    strength[::9] = 0.0
    trials = np.minimum(n_clin[iu], n_clin[ju]).astype(np.int64)
    rng, twin = np.random.default_rng(seed + 7), np.random.default_rng(seed + 7)
    keys, weights = familiarity.initial_ties(generator_handle(rng), iu, ju, trials, strength, block_start, n)
    n_ties = twin.binomial(trials, 0.5 * strength)  # NumPy, array at a time
    oi, oj = np.repeat(iu, n_ties), np.repeat(ju, n_ties)
    ca = block_start[oi] + (twin.random(oi.size) * n_clin[oi]).astype(int)
    cb = block_start[oj] + (twin.random(oj.size) * n_clin[oj]).astype(int)
    all_keys = np.minimum(ca, cb) * n + np.maximum(ca, cb)
    expected_keys = np.unique(all_keys)
    expected = np.zeros(expected_keys.size)
    np.maximum.at(expected, np.searchsorted(expected_keys, all_keys), np.repeat(strength, n_ties))
    assert n_ties.max() > 60  # (NumPy's BTPE algorithm, besides inversion)
    np.testing.assert_array_equal(keys, expected_keys)
    np.testing.assert_array_equal(weights, expected)
    assert rng.random() == twin.random()


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.Philox, np.random.MT19937, np.random.PCG64DXSM])
@pytest.mark.parametrize("k", [0, 1, 2, 3, 63, 64, 65, 40_000, 2**20 + 7])
def test_skip_leaves_the_generator_where_drawing_does(bit_generator, k):
    rng, twin = np.random.Generator(bit_generator(k)), np.random.Generator(bit_generator(k))
    for g in (rng, twin):  # a 32-bit draw leaves half a 64-bit draw buffered, which uniform draws do not touch
        g.random(5), g.integers(0, 10, dtype=np.uint32)
    skip(generator_handle(rng), k)
    expected = twin.random(k + 1)[-1]  # the draw after the k skipped
    assert rng.random() == expected
    assert repr(rng.bit_generator.state) == repr(twin.bit_generator.state)  # the whole state, buffer included
    np.testing.assert_array_equal(rng.integers(0, 1000, 3, dtype=np.uint32), twin.integers(0, 1000, 3, dtype=np.uint32))


@pytest.mark.skipif(JIT_DISABLED, reason="plain Python draws what it skips (2**62 draws)")
def test_skip_jumps_pcg64_without_drawing():
    rng = np.random.Generator(np.random.PCG64(1))
    handle = generator_handle(rng)
    assert handle[4] == PCG64_JUMPS
    skip(handle, 2**62)  # drawing these would take centuries: the test would not end
    twin = np.random.Generator(np.random.PCG64(1))
    twin.bit_generator.advance(2**62)  # NumPy's own jump (it clears the half-word buffer, empty here)
    assert rng.random() == twin.random()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-5, 5), st.just(float("nan"))), max_size=12),
    st.one_of(st.floats(-6, 6), st.just(float("nan"))),
    st.integers(0, 12),
    st.integers(0, 12),
)
def test_search_right_is_searchsorted_of_the_slice(values, x, lo, hi):
    a = np.sort(np.array(values, float))  # NumPy sorts NaN last
    lo, hi = min(lo, a.size), min(hi, a.size)
    hi = max(lo, hi)
    assert search_right(a, lo, hi, x) == lo + np.searchsorted(a[lo:hi], x, side="right")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-5, 5), st.sampled_from([0.0, 1.0, float("nan")])), max_size=60),
    st.one_of(st.floats(-6, 6), st.just(float("nan"))),
    st.integers(0, 60),
    st.integers(0, 60),
    st.integers(-5, 70),
)
def test_search_right_near_finds_what_bisection_finds_from_any_guess(values, x, lo, hi, guess):
    # arrays up to 60 long, so a guess can be further than NEAR_STEPS from the answer (the bisection fallback)
    a = np.sort(np.array(values, float))
    lo, hi = min(lo, a.size), min(hi, a.size)
    hi = max(lo, hi)
    assert search_right_near(a, lo, hi, x, guess) == search_right(a, lo, hi, x)


def test_sort_keys_is_np_sort():
    rng = np.random.default_rng(11)
    cases = [np.zeros(0, np.int64), np.array([5, 3, 5], np.int64), rng.integers(0, 10**8, 600),  # 27 bits: 3 passes of 9
             rng.integers(0, 2**62, 5000), rng.integers(0, 4, 3000), np.zeros(1000, np.int64),  # many ties; all zero
             np.append(rng.integers(0, 100, 700), -1)]  # a negative key: np.sort
    for keys in cases:
        np.testing.assert_array_equal(sort_keys(keys), np.sort(keys))
