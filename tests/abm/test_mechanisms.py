"""Mechanism unit tests with hand-computed values, one block per mechanism module."""

from __future__ import annotations

import numpy as np
import pytest

from abm import outcomes
from abm.mechanisms import consensus as cons
from abm.mechanisms import data_sharing, detection, engagement, exit, workload
from abm.mechanisms import patient_flow as flow
from abm.mechanisms import trust as tr


class NoBreach:
    """A stand-in generator whose uniform draws are all 0.99 (no breach unless probability > 0.99)."""

    def random(self, shape):
        return np.full(shape, 0.99)


class AlwaysBreach:
    def random(self, shape):
        return np.zeros(shape)


# --------------------------------------------------------------------------- trust
def test_trust_gain_is_alpha_times_share_times_headroom_damped_by_culture():
    t = np.array([[1.0, 0.4], [0.5, 1.0]])
    n = np.array([[0, 4], [0, 0]])
    good = np.array([[0, 3], [0, 0]])
    cd = np.array([[0.0, 0.8], [0.8, 0.0]])
    new = tr.experience_update(NoBreach(), t, n, good, cd, alpha=0.1, beta=0.3, kappa=0.5, breach_probability=0.3)
    # 0.4 + 0.1 * 0.75 * 0.6 * (1 - 0.4) = 0.427
    assert new[0, 1] == pytest.approx(0.427)
    assert new[1, 0] == 0.5  # no experience of 0 by 1: unchanged


def test_trust_breach_loses_beta_times_trust():
    t = np.array([[1.0, 0.4], [0.5, 1.0]])
    n = np.array([[0, 2], [0, 0]])
    good = np.array([[0, 0], [0, 0]])
    new = tr.experience_update(AlwaysBreach(), t, n, good, np.zeros((2, 2)), 0.1, 0.3, 0.5, 0.3)
    assert new[0, 1] == pytest.approx(0.4 - 0.3 * 0.4)


def test_trust_relaxes_toward_baseline_only_without_interaction():
    t = np.array([0.8, 0.8])
    base = np.array([0.4, 0.4])
    new, new_base = tr.relax(t, base, np.array([True, False]), relax_rate=0.1, drift=0.01)
    assert new[0] == 0.8 and new[1] == pytest.approx(0.76)
    assert new_base[1] == pytest.approx(0.4 + 0.01 * (0.76 - 0.4))


def test_trust_equilibrium_matches_documented_threshold():
    # per-event updates, every failure a breach, beta = 4 alpha, distance 0.8: >= 0.7 needs success >= 0.94
    eq = lambda s: tr.equilibrium(s, 0.02, 0.08, 0.5, 0.8, 1.0)  # noqa: E731
    assert eq(0.95) > 0.7 > eq(0.93)
    # the model's defaults (beta = 3 alpha, breach probability 0.3): about 78%
    eq2 = lambda s: tr.equilibrium(s, 0.02, 0.06, 0.5, 0.8, 0.3)  # noqa: E731
    assert eq2(0.79) > 0.7 > eq2(0.77)


def test_trust_update_simulated_mean_matches_equilibrium():
    rng = np.random.default_rng(0)
    t = np.full((1, 1), 0.5)
    vals = []
    for _ in range(20000):
        good = np.array([[float(rng.random() < 0.9)]])
        t = tr.experience_update(rng, t, np.ones((1, 1)), good, np.full((1, 1), 0.8), 0.02, 0.06, 0.5, 0.3)
        vals.append(t[0, 0])
    # E[dT] = 0 at the mean is only approximately T*, since the loss is proportional to T: within 0.05
    assert np.mean(vals[2000:]) == pytest.approx(tr.equilibrium(0.9, 0.02, 0.06, 0.5, 0.8, 0.3), abs=0.05)


# --------------------------------------------------------------------------- consensus
def test_bounded_confidence_moves_only_within_bound():
    views = np.array([[0.2], [0.3], [0.9], [0.0]])
    a, b = np.array([0, 2]), np.array([1, 3])
    new = cons.bounded_confidence(views, a, b, np.array([0.2, 0.2]), np.array([0.05, 0.2]), np.array([0.5, 0.5]), np.array([0.5, 0.5]))
    assert new[0, 0] == pytest.approx(0.25)  # |0.1| < 0.2: moves half way
    assert new[1, 0] == pytest.approx(0.3)  # its own bound 0.05 < 0.1: stays
    assert new[2, 0] == 0.9 and new[3, 0] == 0.0  # distance 0.9 exceeds both bounds


def test_bounded_confidence_preserves_mean_for_symmetric_pairs():
    rng = np.random.default_rng(1)
    views = rng.random((100, 2))
    a, b = np.arange(50), np.arange(50, 100)
    eps = np.full(50, 1.0)
    mu = np.full(50, 0.3)
    new = cons.bounded_confidence(views, a, b, eps, eps, mu, mu)
    np.testing.assert_allclose(new.mean(axis=0), views.mean(axis=0))


def test_openness_formula():
    eps = cons.openness(0.05, 0.3, np.array([0.5]), np.array([0.25]), gate=1.0)
    assert eps[0] == pytest.approx((0.05 + 0.15) * 0.5)
    assert cons.openness(0.05, 0.3, np.array([0.5]), np.array([0.25]), gate=0.0)[0] == pytest.approx(0.2)


def test_champions_persuade_more_and_move_less():
    mu_a, mu_b = cons.step_sizes(0.2, 1.0, np.array([0.5]), np.array([0.5]), np.array([True]), np.array([False]), 2.0, 0.5)
    assert mu_a[0] == pytest.approx(0.1)  # champion a moves half as much
    assert mu_b[0] == pytest.approx(0.4)  # b is moved twice as much


def test_disjoint_matching_never_reuses_a_clinician():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 30, 200)
    b = rng.integers(0, 30, 200)
    ka, kb = cons.disjoint_matching(rng, a, b)
    ends = np.concatenate((ka, kb))
    assert np.unique(ends).size == ends.size and ka.size > 0
    assert np.all(ka != kb)


def test_random_matching_pairs_everyone_once():
    a, b = cons.random_matching(np.random.default_rng(3), np.arange(11))
    assert a.size == b.size == 5 and np.unique(np.concatenate((a, b))).size == 10


def test_co_designed_pathway_is_participants_mean():
    views = np.array([[0.0], [1.0], [0.5]])
    np.testing.assert_allclose(cons.co_designed_pathway(views, np.array([True, True, False])), [0.5])
    pulled = cons.pull_toward(views, np.array([True, False, False]), np.array([1.0]), 0.3)
    assert pulled[0, 0] == pytest.approx(0.3) and pulled[1, 0] == 1.0


# --------------------------------------------------------------------------- engagement
def _rates(**kw):
    r = dict(usefulness=0.1, visibility=0.0, champion=0.0, inclusion=0.0, topdown=0.0, leadership=0.0, overload=0.0, relax=0.0)
    r.update(kw)
    return r


def test_engagement_gain_and_loss_by_hand():
    z = np.zeros(2)
    e = np.array([0.5, 0.5])
    new = engagement.update_engagement(e, z, np.array([2.0, 0.0]), z, z, z, z, z, np.array([0.0, 1.0]), _rates(overload=0.2))
    assert new[0] == pytest.approx(0.5 + 0.2 * 0.5)
    assert new[1] == pytest.approx(0.5 - 0.2 * 0.5)


def test_engagement_relaxes_to_baseline():
    z = np.zeros(1)
    new = engagement.update_engagement(np.array([0.9]), np.array([0.4]), z, z, z, z, z, z, z, _rates(usefulness=0.0, relax=0.1))
    assert new[0] == pytest.approx(0.85)


# --------------------------------------------------------------------------- data sharing
def test_upgrade_probability_by_hand():
    p = data_sharing.upgrade_probability(np.array([True, False]), np.array([0.0, 0.5]), 0.04, 0.3, 0.8)
    np.testing.assert_allclose(p, [0.04, 0.04 * 0.3 * 0.6])


class Draws:
    def __init__(self, value):
        self.value = value

    def random(self, shape):
        return np.full(shape, self.value)


def test_links_upgrade_when_eligible_and_decay_when_trust_collapses():
    level = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], np.int8)
    mutual = np.array([[1, 0.8, 0.1], [0.8, 1, 0.5], [0.1, 0.5, 1]])
    yes = np.ones((3, 3), bool)
    new = data_sharing.update_links(Draws(0.0), level, mutual, yes, yes, yes, np.full((3, 3), 0.5), gate=0.55, collapse=0.25, p_decay=0.5)
    assert new[0, 1] == new[1, 0] == 2  # trusted pair upgrades
    assert new[0, 2] == new[2, 0] == 1  # collapsed pair decays
    assert new[1, 2] == 1  # below the gate: unchanged
    inactive = yes.copy()
    inactive[2, :] = inactive[:, 2] = False
    new2 = data_sharing.update_links(Draws(0.99), level, mutual, yes, yes, inactive, np.full((3, 3), 0.5), 0.55, 0.25, 0.5)
    assert new2[2].sum() == 0 and new2[:, 2].sum() == 0  # a departed partner keeps no links


# --------------------------------------------------------------------------- workload and exit
def test_overload_scales_with_one_over_size():
    o = workload.overload(np.array([100.0, 50.0]), np.zeros(2), np.array([5.0, 5.0]), np.zeros(2), 0.9, 0.04, 1.0, 0.3)
    np.testing.assert_allclose(o, [0.1, 0.3])


def test_exit_only_below_threshold_and_active():
    leave = exit.leavers(Draws(0.0), np.array([0.0, 0.5, 0.0]), np.array([True, True, False]), 0.04, 0.1)
    assert leave.tolist() == [True, False, False]
    assert exit.perceived_benefit(np.array([0.5]), np.array([0.4]), np.array([0.1]))[0] == pytest.approx(0.1)


# --------------------------------------------------------------------------- patient flow
def test_logistic_and_success_logit():
    b = dict(intercept=1.0, data=0.5, trust=1.5, coordinator=0.8, familiarity=0.5, complexity=1.5, overload=3.0)
    z = flow.handoff_success_logit(np.array([2]), np.array([0.5]), 1.0, np.array([0.0]), 0.8, np.array([0.1]), b)
    assert z[0] == pytest.approx(1 + 1 + 0.75 + 0.8 - 1.2 - 0.3)
    assert flow.logistic(np.array([0.0]))[0] == 0.5


def test_receivers_follow_weights():
    rng = np.random.default_rng(4)
    w = np.array([[0.0, 1.0, 3.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    r = flow.choose_receivers(rng, np.zeros(40000, int), w)
    assert set(np.unique(r)) == {1, 2}
    assert np.mean(r == 2) == pytest.approx(0.75, abs=0.01)


def test_pick_in_blocks_stays_in_block_and_follows_weights():
    rng = np.random.default_rng(5)
    block_start = np.array([0, 3, 5])
    weight = np.array([1.0, 0.0, 3.0, 1.0, 1.0])
    picks = flow.pick_in_blocks(rng, np.zeros(20000, int), weight, block_start)
    assert set(np.unique(picks)) == {0, 2}
    assert np.mean(picks == 2) == pytest.approx(0.75, abs=0.015)
    assert set(np.unique(flow.pick_in_blocks(rng, np.ones(100, int), weight, block_start))) <= {3, 4}


# --------------------------------------------------------------------------- detection and outcomes
def test_detection_of_new_links_and_collapse():
    level = np.array([[0, 2], [2, 0]])
    i, j = detection.new_links(level, np.zeros((2, 2), bool))
    assert list(zip(i, j, strict=True)) == [(0, 1)]
    new, state = detection.trust_collapses(np.array([[1, 0.1], [0.1, 1]]), np.zeros((2, 2), bool), np.array([[False, True], [False, False]]), 0.25, 0.45)
    assert new[0, 1] and state[0, 1]
    assert detection.crossed(0.9, 0.8, False) and not detection.crossed(0.9, 0.8, True)


def test_consensus_reference_points():
    assert outcomes.consensus(np.full((10, 1), 0.3)) == pytest.approx(1.0)
    rng = np.random.default_rng(6)
    assert outcomes.consensus(rng.random((4000, 2))) == pytest.approx(0.0, abs=0.03)
    x = np.array([[0.0], [1.0]])
    assert outcomes.mean_pairwise_distance(x) == pytest.approx(1.0)


def test_connectivity_counts_paths_and_exits():
    level = np.zeros((4, 4), int)
    level[0, 1] = level[1, 0] = 2
    level[1, 2] = level[2, 1] = 3
    clinical = np.array([True, True, True, True])
    # 0-1-2 connected (3 pairs of 6)
    assert outcomes.connectivity(level, np.ones(4, bool), clinical) == pytest.approx(0.5)
    # partner 1 leaves: no path remains
    assert outcomes.connectivity(level, np.array([True, False, True, True]), clinical) == 0.0


def test_algebraic_connectivity_of_a_path():
    level = np.array([[0, 3, 0], [3, 0, 3], [0, 3, 0]])
    assert outcomes.algebraic_connectivity(level, np.ones(3, bool)) == pytest.approx(1.0)
