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
    u = rng.random(trust.shape)  # one draw per pair, whether or not it had experience
    had = np.flatnonzero(n_events)  # few pairs exchange patients in a step: work only on those
    t = trust.ravel()[had]
    share = n_good.ravel()[had] / n_events.ravel()[had]
    gain = alpha * share * (1.0 - t) * (1.0 - kappa * culture_distance.ravel()[had])
    breach = u.ravel()[had] < breach_probability * (1.0 - share)
    out = trust.copy()
    out.ravel()[had] = np.clip(t + gain - np.where(breach, beta * t, 0.0), 0.0, 1.0)
    return out


def contact_gain(trust: np.ndarray, met: np.ndarray, rate: float, culture_distance: np.ndarray, kappa: float) -> np.ndarray:
    """Trust gain from planned contact (meetings, shadowing) between pairs that met this step."""
    out = 1.0 - trust  # computed in place: each O x O temporary costs page faults at province scale
    out *= rate
    out *= 1.0 - kappa * culture_distance
    out += trust
    np.copyto(out, trust, where=~met)
    return out


def relax(trust: np.ndarray, baseline: np.ndarray, interacted: np.ndarray, relax_rate: float, drift: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs without interaction relax toward the baseline; the baseline drifts toward current trust."""
    new = baseline - trust  # trust + relax_rate * (baseline - trust), in place (fewer O x O temporaries)
    new *= relax_rate
    new += trust
    np.copyto(new, trust, where=interacted)
    moved = new - baseline  # baseline + drift * (new - baseline)
    moved *= drift
    moved += baseline
    return new, moved


def equilibrium(success: float, alpha: float, beta: float, kappa: float, distance: float, breach_probability: float) -> float:
    """Steady-state trust under continuous interaction with hand-off success share ``success``."""
    a = alpha * success * (1.0 - kappa * distance)
    b = beta * breach_probability * (1.0 - success)
    return a / (a + b) if a + b > 0 else float("nan")
