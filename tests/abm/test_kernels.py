"""The compiled kernels (abm.kernels) give the numpy mechanisms' numbers bit for bit, from the same draws.

Each test builds a random state, runs a kernel with one generator and the numpy mechanism functions
of abm.mechanisms / abm.outcomes with a twin generator (same seed), and asks for identical arrays
and identical generator states afterwards (the same number of draws, in the same order).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from abm import kernels as kn
from abm import outcomes
from abm.mechanisms import consensus as cons
from abm.mechanisms import data_sharing, detection, engagement, exit, workload
from abm.mechanisms import patient_flow as flow
from abm.mechanisms import trust as tr
from abm.model import IntegrationModel
from abm.state import TIE_DECAY, TIE_FLOOR, TIE_GAIN, pair_keys, tie_lookup, update_ties


def twins(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    return np.random.default_rng(seed), np.random.default_rng(seed)


def same_state(r1: np.random.Generator, r2: np.random.Generator) -> bool:
    return r1.bit_generator.state == r2.bit_generator.state


def blocks(rng: np.random.Generator, n_org: int, lo: int = 1, hi: int = 12) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(rng.integers(lo, hi, n_org))))


@pytest.mark.parametrize("n", [*range(0, 300, 7), 1000, 4097, 65_537])
def test_pairwise_sum_is_numpys_sum(n):
    x = np.random.default_rng(n).normal(size=n) * 10.0 ** np.random.default_rng(n + 1).integers(-4, 5, n)
    assert kn.pairwise_sum(x, 0, n) == np.add.reduce(x)


@pytest.mark.parametrize("seed", range(6))
def test_handoffs(seed):
    rng = np.random.default_rng(100 + seed)
    n_org = 9
    kind_h = np.zeros(n_org, bool)
    kind_h[[0, 3, 7]] = True
    is_recv = ~kind_h
    is_recv[5] = False  # an authority
    active = rng.random(n_org) < 0.9
    size = rng.uniform(20, 400, n_org)
    overload = rng.uniform(0, 1.2, n_org)
    trust = rng.random((n_org, n_org))
    hosp = np.flatnonzero(kind_h)
    hosp_row = np.full(n_org, -1)
    hosp_row[hosp] = np.arange(hosp.size)
    catch = rng.random((hosp.size, n_org))
    if seed % 2:
        catch[1] = 0.0  # a hospital with no receiver in reach
    block_start = blocks(rng, n_org)
    n_clin = int(block_start[-1])
    e = rng.random(n_clin)
    weight = (0.05 + e) * active[np.repeat(np.arange(n_org), np.diff(block_start))]
    keys = np.unique(rng.integers(0, n_clin * n_clin, 40))
    tie_w = rng.random(keys.size)
    level = rng.integers(0, 4, (n_org, n_org)).astype(np.int8)
    b = {"intercept": 0.3, "data": 0.4, "trust": 1.2, "coordinator": 0.5, "familiarity": 0.8, "complexity": 0.9, "overload": 1.1}
    per_step, coord, cx, ref_e = 0.02 * (1 + seed), 0.5, 0.7, 0.6

    r1, r2 = twins(seed)
    got = kn.handoffs(
        kn.generator_handle(r1), kind_h, is_recv, active, per_step, size, overload, trust, hosp, hosp_row, catch, weight,
        block_start, keys, tie_w, level, e, coord, cx, *b.values(), ref_e,
    )  # fmt: skip

    senders = flow.discharges(r2, np.where(kind_h & active, size * per_step, 0.0))
    recv_ok = is_recv & active
    if senders.size == 0 or not recv_ok.any():
        assert not got[0] and same_state(r1, r2)
        return
    capacity = size * np.maximum(0.05, 1.0 - np.minimum(overload, 0.95))
    w = np.maximum(trust[hosp], 0.01) * catch * np.where(recv_ok, capacity, 0.0)[None, :]
    rows, total = hosp_row[senders], w.sum(axis=1)
    senders, rows = senders[total[rows] > 0], rows[total[rows] > 0]
    receivers = flow.choose_receivers(r2, rows, w)
    ab = flow.pick_in_blocks(r2, np.concatenate((senders, receivers)), weight, block_start)
    a, bb = ab[: senders.size], ab[senders.size :]
    pk = pair_keys(a, bb, n_clin)
    lv = level[senders, receivers]
    z = flow.handoff_success_logit(lv, trust[senders, receivers], coord, tie_lookup(keys, tie_w, pk), cx, overload[receivers], b)
    z_ref = b["intercept"] + b["data"] * lv + ref_e * (2.0 * e[a] - 1.0) - b["complexity"] * cx
    u = r2.random((2, senders.size))
    want = (senders, receivers, a, bb, u[0] < flow.logistic(z), u[1] < flow.logistic(z_ref), pk)
    assert got[0]
    for x, y in zip(got[1:], want, strict=True):
        np.testing.assert_array_equal(x, y)
    assert same_state(r1, r2)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("building", [True, False])
def test_trust_process(seed, building):
    rng = np.random.default_rng(200 + seed)
    n, n_clin, n_h = 7, 60, 25
    trust, base, cd = rng.random((n, n)), rng.random((n, n)), rng.random((n, n))
    so, ro = rng.integers(0, n, n_h), rng.integers(0, n, n_h)
    ok, ref_ok = rng.random(n_h) < 0.7, rng.random(n_h) < 0.8
    met = rng.random((n, n)) < 0.3
    shadow = rng.integers(0, 2, (n, n)) * (rng.random((n, n)) < 0.2)
    last = rng.integers(-5, 5, (n, n))
    keys = np.unique(rng.integers(0, n_clin**2, 30))
    w = rng.uniform(0.04, 1.0, keys.size)
    contacts = rng.integers(0, n_clin**2, 20)
    contacts[:5] = keys[:5]  # some known pairs, some new
    prm = (0.05, 0.15, 0.5, 0.3, 0.04, 0.02, 0.1, 0.01)  # alpha, beta, kappa, breach, meeting, shadow, relax, drift

    r1, r2 = twins(seed)
    last1 = last.copy()
    got = kn.trust_process(
        kn.generator_handle(r1), trust, base, cd, so, ro, ok, ref_ok, met, True, shadow, True, last1, 9,
        keys, w, contacts, TIE_GAIN, TIE_DECAY, TIE_FLOOR, building, *prm,
    )  # fmt: skip

    judged = np.concatenate((so * n + ro, ro * n + so))
    n_events = np.bincount(judged, minlength=n * n).reshape(n, n)
    n_good = np.bincount(judged, np.concatenate((ok, ref_ok)), n * n).reshape(n, n)
    interacted = (n_events > 0) | met | (shadow > 0)
    last[interacted] = 9
    np.testing.assert_array_equal(last1, last)
    k2, w2 = update_ties(keys, w, contacts)
    np.testing.assert_array_equal(got[2], k2)
    np.testing.assert_array_equal(got[3], w2)
    if not building:
        r2.random((n, n))
        np.testing.assert_array_equal(got[0], trust)
    else:
        alpha, beta, kappa, breach, meeting, shadow_rate, relax, drift = prm
        t = tr.experience_update(r2, trust, n_events, n_good, cd, alpha, beta, kappa, breach)
        t = tr.contact_gain(t, met, meeting, cd, kappa)
        t = tr.contact_gain(t, shadow > 0, shadow_rate, cd, kappa)
        t, b = tr.relax(t, base, interacted, relax, drift)
        np.fill_diagonal(t, 1.0)
        np.testing.assert_array_equal(got[0], t)
        np.testing.assert_array_equal(got[1], b)
    assert same_state(r1, r2)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dims", [1, 3])
def test_consensus_process(seed, dims):
    rng = np.random.default_rng(300 + seed)
    n_org = 6
    block_start = blocks(rng, n_org, 2, 15)
    n = int(block_start[-1])
    clin_org = np.repeat(np.arange(n_org), np.diff(block_start))
    live = rng.random(n_org)[clin_org] < 0.9
    views, trust, e, champ = rng.random((n, dims)), rng.random((n_org, n_org)), rng.random(n), rng.random(n) < 0.2
    pa, pb = rng.integers(0, n, 30), rng.integers(0, n, 30)
    prm = (0.05, 0.3, 0.5, 0.2, 0.6, 2.0, 0.5)  # eps0, eps_trust, gate, mu, engagement_step, persuasion, firmness

    r1, r2 = twins(seed)
    got = kn.consensus_process(kn.generator_handle(r1), views, live, 0.3, clin_org, block_start, pa, pb, trust, e, champ, *prm)

    team = (live & (r2.random(n) < 0.3)).nonzero()[0]
    mates = flow.pick_uniform_in_blocks(r2, clin_org[team], block_start)
    a, b = cons.disjoint_matching(r2, np.concatenate((pa, team)), np.concatenate((pb, mates)))
    eps0, eps_t, gate, mu, es, pers, firm = prm
    eps_a = cons.openness(eps0, eps_t, trust[clin_org[a], clin_org[b]], e[a], gate)
    eps_b = cons.openness(eps0, eps_t, trust[clin_org[b], clin_org[a]], e[b], gate)
    mu_a, mu_b = cons.step_sizes(mu, es, e[a], e[b], champ[a], champ[b], pers, firm)
    np.testing.assert_array_equal(got, cons.bounded_confidence(views, a, b, eps_a, eps_b, mu_a, mu_b))
    assert same_state(r1, r2)


@pytest.mark.parametrize("seed", range(4))
def test_engagement_update(seed):
    rng = np.random.default_rng(400 + seed)
    n_org = 5
    block_start = blocks(rng, n_org)
    n = int(block_start[-1])
    org = np.repeat(np.arange(n_org), np.diff(block_start))
    e, base, phys = rng.random(n), rng.random(n), rng.random(n) < 0.4
    sender, receiver, success = rng.integers(0, n, 12), rng.integers(0, n, 12), rng.random(12) < 0.6
    level = rng.integers(0, 4, (n_org, n_org)).astype(np.int8)
    partners = rng.random(n_org) < 0.8
    champ, incl, directed = rng.integers(0, 3, n), rng.random(n) < 0.3, rng.random(n) < 0.5
    lead, over = rng.random(n_org), rng.random(n_org)
    r = {"usefulness": 0.03, "visibility": 0.02, "champion": 0.05, "inclusion": 0.04, "topdown": 0.06, "leadership": 0.01, "overload": 0.05, "relax": 0.02}
    with_all = seed % 2 == 0

    none_i, none_b = np.zeros(0, np.int64), np.zeros(0, bool)  # "nobody this step"
    got = kn.engagement_update(
        e, base, sender, receiver, success, level, partners, phys, champ if with_all else none_i,
        incl if with_all else none_b, directed if with_all else none_b, lead, over, org, *r.values(),
    )  # fmt: skip

    succ = np.bincount(sender[success], minlength=n) + np.bincount(receiver[success], minlength=n)
    vis = ((level == 3) & partners[None, :]).sum(axis=1) / np.maximum(partners.sum() - 1, 1)
    want = engagement.update_engagement(
        e, base, succ, vis[org] * phys, champ * with_all, incl & with_all, directed & with_all, lead[org], over[org], r,
    )  # fmt: skip
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", range(4))
def test_update_links(seed):
    rng = np.random.default_rng(500 + seed)
    n = 8
    level = rng.integers(0, 4, (n, n)).astype(np.int8)
    level = np.triu(level, 1) + np.triu(level, 1).T
    t = rng.random((n, n))
    last = rng.integers(-10, 10, (n, n))
    resourced, active = rng.random(n) < 0.8, rng.random(n) < 0.85
    p_up = rng.random((n, n))
    r1, r2 = twins(seed)
    got = kn.update_links(kn.generator_handle(r1), level, t, last, 10, 6, resourced, active, p_up, 0.45, 0.3, 0.4)
    want = data_sharing.update_links(
        r2, level, np.minimum(t, t.T), (10 - last) <= 6, resourced[:, None] & resourced[None, :], active[:, None] & active[None, :],
        p_up, 0.45, 0.3, 0.4,
    )  # fmt: skip
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype and same_state(r1, r2)


@pytest.mark.parametrize("seed", range(3))
def test_workload_and_exit(seed):
    rng = np.random.default_rng(600 + seed)
    n = 7
    block_start = blocks(rng, n)
    org = np.repeat(np.arange(n), np.diff(block_start))
    level = rng.integers(0, 4, (n, n)).astype(np.int8)
    active = rng.random(n) < 0.8
    size, res, act, step_act = rng.uniform(20, 300, n), rng.random(n), rng.random(n) * 3, rng.random(n) * 2
    received = rng.integers(0, n, 15)
    prm = (0.9, 0.04, 1.0, 0.3)
    new_act, over = kn.workload_update(act, step_act, level, active, size, res, received, 0.1, True, *prm)
    upkeep = 1.0 + 0.25 * ((level >= 2) & active[None, :]).sum(axis=1)
    want_act = (1.0 - 0.1) * act + 0.1 * (step_act + upkeep)
    np.testing.assert_array_equal(new_act, want_act)
    np.testing.assert_array_equal(over, np.where(active, workload.overload(size, res, want_act, np.bincount(received, minlength=n), *prm), 0.0))

    e, trust, counts = rng.random(org.size), rng.random((n, n)), np.diff(block_start)
    r1, r2 = twins(seed)
    leave = kn.exit_process(kn.generator_handle(r1), org, e, counts, trust, active, over, 0.3, 0.5)
    others = active[None, :] & ~np.eye(n, dtype=bool)
    benefit = exit.perceived_benefit(np.bincount(org, e, n) / counts, (trust * others).sum(axis=1) / np.maximum(others.sum(axis=1), 1), over)
    np.testing.assert_array_equal(leave, exit.leavers(r2, benefit, active, 0.3, 0.5))
    assert same_state(r1, r2)


@pytest.mark.parametrize(("n_org", "dims", "n_clin"), [(6, 1, 40), (12, 2, 90), (80, 1, 3000), (70, 3, 2500)])
def test_observe_process(n_org, dims, n_clin):
    rng = np.random.default_rng(n_org)
    views, trust, e = rng.random((n_clin, dims)), rng.random((n_org, n_org)), rng.random(n_clin)
    level = rng.integers(0, 4, (n_org, n_org)).astype(np.int8) * (rng.random((n_org, n_org)) < 3.0 / n_org)
    level = (np.triu(level, 1) + np.triu(level, 1).T).astype(np.int8)
    active, clinical = rng.random(n_org) < 0.85, rng.random(n_org) < 0.9
    partners = active & clinical
    pairs = partners[:, None] & partners[None, :]
    np.fill_diagonal(pairs, False)
    collapsed, ever = rng.random((n_org, n_org)) < 0.2, np.triu(rng.random((n_org, n_org)) < 0.1)
    live_idx, phys_idx = np.flatnonzero(rng.random(n_clin) < 0.8), np.flatnonzero(rng.random(n_clin) < 0.3)
    ever1, seen_level, seen_active = ever.copy(), np.full((n_org, n_org), -1, np.int8), active.copy()

    got = kn.observe_process(
        views, live_idx.size, trust, np.flatnonzero(pairs), e, live_idx, phys_idx, outcomes.UNIFORM_MEAN_DISTANCE,
        collapsed, np.triu(pairs, 1), 0.3, 0.45, level, active, clinical, partners, ever1, seen_level, seen_active, True, True,
    )  # fmt: skip
    c, t_mean, t_min, e_live, e_phys, new_c, any_c, state, changed, conn, mean_level, lap, li, lj = got
    assert c == outcomes.consensus(views)
    assert (t_mean, t_min) == outcomes.pair_stats(trust, pairs)
    assert e_live == outcomes.mean(e[live_idx]) and e_phys == outcomes.mean(e[phys_idx])
    want_new, want_state = detection.trust_collapses(np.minimum(trust, trust.T), collapsed, np.triu(pairs, 1), 0.3, 0.45)
    np.testing.assert_array_equal(new_c, want_new)
    np.testing.assert_array_equal(state, want_state)
    assert any_c == bool(want_new.any()) and changed
    assert conn == outcomes.connectivity(level, active, clinical)
    assert mean_level == outcomes.mean_link_level(level, clinical)
    assert float(np.linalg.eigvalsh(lap)[1]) == outcomes.algebraic_connectivity(level, partners)
    want_i, want_j = detection.new_links(level, ever)
    np.testing.assert_array_equal(li, want_i)
    np.testing.assert_array_equal(lj, want_j)
    np.testing.assert_array_equal(ever1, ever | (level >= 2))
    np.testing.assert_array_equal(seen_level, level)
    again = kn.observe_process(
        views, live_idx.size, trust, np.flatnonzero(pairs), e, live_idx, phys_idx, outcomes.UNIFORM_MEAN_DISTANCE,
        collapsed, np.triu(pairs, 1), 0.3, 0.45, level, active, clinical, partners, ever1, seen_level, seen_active, True, False,
    )  # fmt: skip
    assert not again[8] and again[0] == 0.0  # nothing changed since the last observation


def test_meeting_and_outreach():
    rng = np.random.default_rng(7)
    n_org = 6
    block_start = blocks(rng, n_org)
    n = int(block_start[-1])
    active, lead, e, manager = rng.random(n_org) < 0.9, rng.random(n_org), rng.random(n), rng.random(n) < 0.3
    r1, r2 = twins(1)
    g = kn.generator_handle(r1)
    attend, met, ra, rb = kn.meeting(g, active, lead, e, manager, block_start)
    want = active & (r2.random(n_org) < lead)
    np.testing.assert_array_equal(attend, want)
    np.testing.assert_array_equal(met, want[:, None] & want[None, :] & ~np.eye(n_org, dtype=bool))
    reps = flow.pick_in_blocks(r2, want.nonzero()[0], e * manager + 1e-9, block_start)
    for x, y in zip((ra, rb), cons.random_matching(r2, reps), strict=True):
        np.testing.assert_array_equal(x, y)
    pool, champ = np.flatnonzero(rng.random(n) < 0.8), rng.random(n) < 0.3
    any_, contacts, targets, counts = kn.champion_outreach(g, pool, champ, 1.5, n)
    champs = pool[champ[pool]]
    want_c = np.repeat(champs, r2.poisson(1.5, champs.size))
    want_t = pool[(r2.random(want_c.size) * pool.size).astype(int)]
    assert any_ == bool(champs.size)
    np.testing.assert_array_equal(contacts, want_c)
    np.testing.assert_array_equal(targets, want_t)
    np.testing.assert_array_equal(counts, np.bincount(want_t, minlength=n))
    assert same_state(r1, r2)


def test_a_copied_model_draws_from_its_own_generator():
    """The kernels reach the generator through its addresses; a copy must not keep the original's."""
    m = IntegrationModel("P4", seed=3)
    for _ in range(5):
        m.step()
    c = copy.deepcopy(m)
    for _ in range(10):
        m.step()
        c.step()
    a, b = m.datacollector.get_model_vars_dataframe(), c.datacollector.get_model_vars_dataframe()
    assert a.equals(b) and len(a) == 16
    m.release()
    c.release()
