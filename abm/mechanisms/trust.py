"""Asymmetric interorganizational trust: slow to build, quick to fall.

Trust T[i, j] is how much organization i trusts j. Once per step, from the rates of this step's
experience (not once per event, so the speed of trust does not scale with patient volume):

* good experience raises it: T += alpha * s * (1 - T) * (1 - kappa * culture_distance),
  with s the share of good experiences;
* a bad experience is felt as a breach with probability ``breach_probability * (1 - s)``;
  a breach lowers it: T -= beta * T (beta = ratio * alpha > alpha);
* without interaction it relaxes toward a baseline B, which itself drifts slowly toward T.

Equilibrium under steady interaction (expected per-step change zero):
T* = a / (a + b) with a = alpha * s * (1 - kappa * d), b = beta * p_breach * (1 - s).
With the defaults (beta = 3 alpha, p_breach = 0.3, d = 0.8, kappa = 0.5) trust settles above 0.7 once
hand-offs succeed about 78% of the time; with per-event updates and every failure a breach
(p_breach = 1, beta = 4 alpha) the same level would need s >= 0.94 (see docs/ODD.md).

References: Embuldeniya et al. (2018), "Building Trust" (P3 shadowing, P4 process mapping); MODEL.md process 4.
"""

from __future__ import annotations

import numpy as np


def experience_update(
    rng: np.random.Generator,
    trust: np.ndarray,
    n_events: np.ndarray,
    n_good: np.ndarray,
    culture_distance: np.ndarray,
    alpha: float,
    beta: float,
    kappa: float,
    breach_probability: float,
) -> np.ndarray:
    """New trust after one step of experience. ``n_events``/``n_good`` are per ordered pair (i judges j)."""
    had = n_events > 0
    share = np.divide(n_good, n_events, out=np.zeros_like(trust), where=had)
    gain = alpha * share * (1.0 - trust) * (1.0 - kappa * culture_distance)
    breach = had & (rng.random(trust.shape) < breach_probability * (1.0 - share))
    return np.clip(trust + np.where(had, gain, 0.0) - np.where(breach, beta * trust, 0.0), 0.0, 1.0)


def contact_gain(trust: np.ndarray, met: np.ndarray, rate: float, culture_distance: np.ndarray, kappa: float) -> np.ndarray:
    """Trust gain from planned contact (meetings, shadowing) between pairs that met this step."""
    return np.where(met, trust + rate * (1.0 - trust) * (1.0 - kappa * culture_distance), trust)


def relax(trust: np.ndarray, baseline: np.ndarray, interacted: np.ndarray, relax_rate: float, drift: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs without interaction relax toward the baseline; the baseline drifts toward current trust."""
    new = np.where(interacted, trust, trust + relax_rate * (baseline - trust))
    return new, baseline + drift * (new - baseline)


def equilibrium(success: float, alpha: float, beta: float, kappa: float, distance: float, breach_probability: float) -> float:
    """Steady-state trust under continuous interaction with hand-off success share ``success``."""
    a = alpha * success * (1.0 - kappa * distance)
    b = beta * breach_probability * (1.0 - success)
    return a / (a + b) if a + b > 0 else float("nan")
