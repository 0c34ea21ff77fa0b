"""Statistics for pattern comparisons over replicates.

* probability of superiority (PS) = P(X > Y) + 0.5 P(X = Y) (the common-language effect size, the
  Mann-Whitney A / Vargha-Delaney A), paired (over common-random-number pairs) or independent;
* percentile bootstrap confidence intervals (resampling pairs, or each sample independently);
* Wilson score intervals for proportions;
* the exact probability that Gilbert's random graph G(n, p) is connected.

References: Vargha & Delaney (2000), J Educ Behav Stat 25:101; Efron & Tibshirani (1993);
Wilson (1927), JASA 22:209; Gilbert (1959), Ann Math Stat 30:1141.
"""

from __future__ import annotations

from math import comb, sqrt

import numpy as np

N_BOOT = 2000
LEVEL = 0.95


def censor(times: np.ndarray, horizon: float) -> np.ndarray:
    """Times to a threshold with NaN (never reached) replaced by horizon + 1 (ranked last, tied)."""
    t = np.asarray(times, float)
    return np.where(np.isnan(t), horizon + 1.0, t)


def _ps_paired(x: np.ndarray, y: np.ndarray) -> float:
    d = x - y
    return float(np.mean((d > 0) + 0.5 * (d == 0)))


def _ps_independent(x: np.ndarray, y: np.ndarray) -> float:
    ys = np.sort(y)
    below = np.searchsorted(ys, x, side="left")
    ties = np.searchsorted(ys, x, side="right") - below
    return float((below + 0.5 * ties).sum() / (x.size * y.size))


def _interval(samples: np.ndarray) -> tuple[float, float]:
    a = (1.0 - LEVEL) / 2.0
    lo, hi = np.nanquantile(samples, [a, 1.0 - a])
    return float(lo), float(hi)


def ps_paired(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_boot: int = N_BOOT) -> tuple[float, float, float]:
    """PS that x exceeds y over paired replicates (x[i] with y[i]), with a bootstrap CI over pairs."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    idx = rng.integers(0, x.size, (n_boot, x.size))
    d = x[idx] - y[idx]
    boot = np.mean((d > 0) + 0.5 * (d == 0), axis=1)
    return (_ps_paired(x, y), *_interval(boot))


def ps_independent(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_boot: int = N_BOOT) -> tuple[float, float, float]:
    """PS that a draw from x exceeds a draw from y (independent samples), with a bootstrap CI."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    boot = np.array([
        _ps_independent(x[rng.integers(0, x.size, x.size)], y[rng.integers(0, y.size, y.size)]) for _ in range(n_boot)
    ])  # fmt: skip
    return (_ps_independent(x, y), *_interval(boot))


def mean_ci(values: np.ndarray, rng: np.random.Generator, n_boot: int = N_BOOT) -> tuple[float, float, float]:
    """Mean with a percentile bootstrap CI (NaNs dropped)."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    boot = v[rng.integers(0, v.size, (n_boot, v.size))].mean(axis=1)
    return (float(v.mean()), *_interval(boot))


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float, float]:
    """Proportion k/n with its Wilson score interval."""
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def gilbert_connected(n: int, p: float) -> float:
    """Exact P(G(n, p) is connected) by the standard recursion on the component of a fixed vertex.

    C(1) = 1; C(m) = 1 - sum_{k=1}^{m-1} binom(m-1, k-1) C(k) (1-p)^{k (m-k)}.
    """
    q = 1.0 - p
    c = [0.0, 1.0]
    for m in range(2, n + 1):
        c.append(1.0 - sum(comb(m - 1, k - 1) * c[k] * q ** (k * (m - k)) for k in range(1, m)))
    return c[n]
