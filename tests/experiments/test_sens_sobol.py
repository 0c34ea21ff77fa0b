"""The vectorized Sobol estimator gives SALib's numbers exactly (it replaces sobol.analyze without second order)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from SALib.analyze import sobol as salib_sobol
from SALib.sample import sobol as salib_sample

from experiments.sensitivity import sobol_indices
from experiments.testfunctions import ishigami


def _problem(d: int) -> dict:
    return {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[-np.pi, np.pi]] * d}


def _ishigami_like(X: np.ndarray, rng) -> np.ndarray:
    y = np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])
    return y + 0.05 * X[:, 3:].sum(axis=1) + rng.normal(0, 0.3, len(X))  # small effects and noise: near-ties


@pytest.mark.parametrize("d, n, resamples, conf, seed", [(3, 64, 100, 0.95, 1), (6, 256, 500, 0.9, 20261123),
                                                         (12, 128, 37, 0.99, 5)])  # fmt: skip
def test_vectorized_sobol_equals_salib_bit_for_bit(d, n, resamples, conf, seed):
    problem = _problem(d)
    X = salib_sample.sample(problem, n, calc_second_order=False, seed=seed)
    Y = _ishigami_like(X, np.random.default_rng(seed))
    want = salib_sobol.analyze(problem, Y, calc_second_order=False, num_resamples=resamples, conf_level=conf,
                               seed=seed)  # fmt: skip
    got = sobol_indices.analyze(Y, d, resamples, conf, seed)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_array_equal(got[key], np.asarray(want[key]), err_msg=key)
    assert np.all(got["ST_conf"] > 0)


def test_constant_output_gives_zeros_like_salib():
    problem = _problem(4)
    Y = np.full(6 * 32, 2.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = salib_sobol.analyze(problem, Y, calc_second_order=False, num_resamples=20, seed=3)
        got = sobol_indices.analyze(Y, 4, 20, 0.95, 3)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_array_equal(got[key], np.asarray(want[key]), err_msg=key)


def test_sizes_and_seed_are_checked():
    with pytest.raises(RuntimeError, match="Incorrect number"):
        sobol_indices.analyze(np.zeros(7), 3, 10, 0.95, 1)
    with pytest.raises(ValueError, match="seed"):
        sobol_indices.analyze(np.zeros(10), 3, 10, 0.95, 0)


def test_ishigami_runs_through_the_vectorized_estimator():
    """The real test function of the pipeline tests, one replicate per point: S1 of x3 is ~0, ST of x3 is not."""
    problem = _problem(3)
    X = salib_sample.sample(problem, 512, calc_second_order=False, seed=2)
    Y = np.array([ishigami(None, seed=np.random.SeedSequence(1, spawn_key=(i,)),
                           overrides={f"params.x{j + 1}": float(v) for j, v in enumerate(x)}).summary["y"]
                  for i, x in enumerate(X)])  # fmt: skip
    got = sobol_indices.analyze(Y, 3, 100, 0.95, 9)
    assert abs(got["S1"][2]) < 0.1 < got["ST"][2]
