"""First- and total-order Sobol indices with bootstrap CIs: SALib's ``sobol.analyze``, vectorized.

SALib 1.6's estimator (Saltelli et al. 2010, normalised by the sample variance) loops over the D
parameters and, for each, re-gathers the resampled A and B blocks and recomputes their variance
three times. Here the resample gather and the variance are done once and all parameters at once;
every number is the one SALib computes, bit for bit (same normalisation, same resample draws, each
mean and standard deviation reduced over the same axis in the same order;
``tests/experiments/test_sens_sobol.py`` compares the two exactly). Second-order indices are left to SALib.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np

EPS = np.finfo(float).eps


@lru_cache(maxsize=8)
def _resamples(N: int, num_resamples: int, seed: int) -> np.ndarray:
    """SALib's resample rows (drawn as it draws them); shared by every outcome analysed at this N."""
    r = np.random.default_rng(seed).integers(N, size=(N, num_resamples))
    r.setflags(write=False)
    return r


def analyze(Y: np.ndarray, D: int, num_resamples: int, conf_level: float, seed: int) -> dict[str, np.ndarray]:
    """``S1``, ``S1_conf``, ``ST``, ``ST_conf`` of a Saltelli sample without second order (``Y``: N (D + 2) values).

    Equal to ``SALib.analyze.sobol.analyze(problem, Y, calc_second_order=False, ...)`` for a seed >= 1.
    """
    from SALib.analyze.sobol import CONST_RESULT_MSG, first_order, total_order
    from scipy.stats import norm

    if not seed:
        raise ValueError("seed must be >= 1 (SALib draws unseeded resamples for 0)")
    step = D + 2
    if Y.size % step:
        raise RuntimeError("Incorrect number of samples in model output file.")
    N = Y.size // step
    Y = (Y - Y.mean()) / Y.std()
    A, B = Y[0 : Y.size : step], Y[step - 1 : Y.size : step]
    AB = np.zeros((N, D))
    for j in range(D):
        AB[:, j] = Y[j + 1 : Y.size : step]
    r = _resamples(N, num_resamples, seed)
    Z = norm.ppf(0.5 + conf_level / 2)

    S1 = np.array([first_order(A, AB[:, j], B) for j in range(D)])
    ST = np.array([total_order(A, AB[:, j], B) for j in range(D)])
    Ar, Br = A[r], B[r]  # (N, resamples)
    y = np.r_[Ar, Br]
    spread = np.ptp(y)
    if spread <= EPS:  # SALib: every resample constant -> zero indices, and zero CIs below
        for _ in range(2 * D):
            warnings.warn(CONST_RESULT_MSG, stacklevel=2)
        s1_res = st_res = np.zeros((num_resamples, D))
    else:
        y_var = np.var(y, axis=0)[:, None]  # (resamples, 1)
        ok = y_var > EPS
        diff = AB[r] - Ar[:, :, None]  # (N, resamples, D): AB - A
        s1_num = np.mean(diff * Br[:, :, None], axis=0)  # B (AB - A), commuted: the same products
        np.square(diff, out=diff)  # (A - AB)^2 == (AB - A)^2 exactly
        st_num = 0.5 * np.mean(diff, axis=0)
        s1_res = np.divide(s1_num, y_var, out=np.zeros((num_resamples, D)), where=ok)
        st_res = np.divide(st_num, y_var, out=np.zeros((num_resamples, D)), where=ok)
    if spread != 0.0:
        # one contiguous row per parameter: the same pairwise sums as SALib's 1-D ``.std(ddof=1)``
        S1_conf = Z * np.ascontiguousarray(s1_res.T).std(axis=1, ddof=1)
        ST_conf = Z * np.ascontiguousarray(st_res.T).std(axis=1, ddof=1)
    else:
        S1_conf = ST_conf = np.zeros(D)
    return {"S1": S1, "S1_conf": S1_conf, "ST": ST, "ST_conf": ST_conf}
