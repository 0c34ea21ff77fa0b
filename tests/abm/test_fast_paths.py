"""Fast paths still on the model's numpy side give the same numbers as plain numpy (bit for bit); the merge of new familiarity ties."""

from __future__ import annotations

import numpy as np

from abm import outcomes
from abm.state import update_ties


def test_mean_matches_numpy_mean():
    rng = np.random.default_rng(2)
    x = rng.random(1001)
    assert outcomes.mean(x) == float(x.mean())
    b = x < 0.3
    assert outcomes.mean(b) == float(b.mean())


def test_update_ties_merges_new_keys_sorted():
    keys, w = np.array([3, 7, 11]), np.array([0.5, 0.06, 0.9])
    k2, w2 = update_ties(keys, w, np.array([12, 7, 1, 12]))
    np.testing.assert_array_equal(k2, [1, 3, 7, 11, 12])
    np.testing.assert_allclose(w2, [0.5, 0.49, 0.0588 + 0.5 * (1 - 0.0588), 0.882, 0.5])


def test_bucketed_sort_is_np_sort():
    rng = np.random.default_rng(5)
    for views in (rng.random((5000, 3)), rng.normal(0.0, 3.0, (3000, 2)), np.round(rng.random((4000, 1)), 2)):
        np.testing.assert_array_equal(outcomes._sorted_columns(views), np.sort(views, axis=0))
