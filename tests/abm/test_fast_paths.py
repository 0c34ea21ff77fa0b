"""Fast paths give the same numbers as the plain numpy they replace (bit for bit)."""

from __future__ import annotations

import numpy as np

from abm import outcomes
from abm.mechanisms import consensus as cons
from abm.mechanisms import detection
from abm.state import sorted_unique, update_ties


def test_sorted_unique_is_np_unique():
    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 50):
        x = rng.integers(0, 20, n)
        np.testing.assert_array_equal(sorted_unique(x), np.unique(x))


def test_disjoint_matching_radix_and_key_sort_agree():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 300, 200), rng.integers(0, 300, 200)
    r1, r2 = np.random.default_rng(5), np.random.default_rng(5)
    radix = cons.disjoint_matching(r1, a, b, 300)
    keyed = cons.disjoint_matching(r2, a, b, 2**20)  # indices bound above 2**16: the key-sort path
    for x, y in zip(radix, keyed, strict=True):
        np.testing.assert_array_equal(x, y)
    kept = np.concatenate(radix)
    assert np.unique(kept).size == kept.size  # disjoint


def test_mean_matches_numpy_mean():
    rng = np.random.default_rng(2)
    x = rng.random(1001)
    assert outcomes.mean(x) == float(x.mean())
    b = x < 0.3
    assert outcomes.mean(b) == float(b.mean())


def test_pair_stats_mask_or_index():
    rng = np.random.default_rng(3)
    t = rng.random((6, 6))
    pairs = rng.random((6, 6)) < 0.5
    assert outcomes.pair_stats(t, pairs) == outcomes.pair_stats(t, np.flatnonzero(pairs))


def test_update_ties_merges_new_keys_sorted():
    keys, w = np.array([3, 7, 11]), np.array([0.5, 0.06, 0.9])
    k2, w2 = update_ties(keys, w, np.array([12, 7, 1, 12]))
    np.testing.assert_array_equal(k2, [1, 3, 7, 11, 12])
    np.testing.assert_allclose(w2, [0.5, 0.49, 0.0588 + 0.5 * (1 - 0.0588), 0.882, 0.5])


def test_trust_collapses_in_place_matches_formula():
    rng = np.random.default_rng(4)
    mutual, collapsed, pairs = rng.random((8, 8)), rng.random((8, 8)) < 0.3, rng.random((8, 8)) < 0.7
    new, state = detection.trust_collapses(mutual, collapsed, pairs, 0.3, 0.6)
    np.testing.assert_array_equal(new, pairs & ~collapsed & (mutual < 0.3))
    np.testing.assert_array_equal(state, (collapsed | new) & ~(mutual > 0.6))


def test_bucketed_sort_is_np_sort():
    rng = np.random.default_rng(5)
    for views in (rng.random((5000, 3)), rng.normal(0.0, 3.0, (3000, 2)), np.round(rng.random((4000, 1)), 2)):
        np.testing.assert_array_equal(outcomes._sorted_columns(views), np.sort(views, axis=0))
