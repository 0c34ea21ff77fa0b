"""Asymmetric interorganizational trust (ODD process 4): slow to build, quick to fall.

T[i, j] in [0, 1] is how much organization i trusts j. Once per step, from this step's experience
(rates, not counts, so the speed of trust does not scale with patient volume):

* Experience. i judges j on the hand-offs between them: the sender judges the receiver by the
  hand-off's success, the receiver judges the sender by the referral. With s the share of good
  experiences of the pair this step and d = culture_distance[i, j]:
      gain   = alpha s (1 - T) (1 - kappa d)
      breach with probability p_breach (1 - s); a breach costs beta T, beta = ``trust_beta_ratio`` alpha
      T <- clip(T + gain - [breach] beta T, 0, 1)
* Planned contact. Pairs whose organizations met at the steering table (or in virtual rounds) gain
      T <- T + r_meet (1 - T) (1 - kappa d),  r_meet = ``meeting_trust``;
  pairs that shadowed each other gain the same with r_shadow = ``shadow_alpha_ratio`` alpha.
* Relaxation. A pair without any interaction this step relaxes toward its baseline B:
      T <- T + r_relax (B - T);
  and every baseline drifts toward current trust: B <- B + delta (T - B).
* Shadowing also shrinks the pair's culture distance: d <- max(0, d - ``shadow_culture_shrink`` x visits)
  (visits as organizations count them: see :func:`abm.mechanisms.interactions.org_visits`).

Equilibrium under steady interaction (expected change zero, ignoring meetings):
    T* = a / (a + b),  a = alpha s (1 - kappa d),  b = beta p_breach (1 - s)
(:func:`equilibrium`; docs/ODD.md section 7.4 tabulates it and a test checks the table against a
long simulation of this module alone).

References: Embuldeniya et al. (2018), "Building Trust" (P3 shadowing, P4 process mapping); MODEL.md process 4.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import as_generator, clip01, jit, skip


@jit
def experience_counts(sender_org, receiver_org, success, referral_ok, n):
    """Per ordered pair (i judges j): number of hand-off experiences and of good ones."""
    n_events = np.zeros((n, n), np.int64)
    n_good = np.zeros((n, n))
    for k in range(sender_org.size):
        s, r = sender_org[k], receiver_org[k]
        n_events[s, r] += 1
        n_good[s, r] += 1.0 if success[k] else 0.0
        n_events[r, s] += 1
        n_good[r, s] += 1.0 if referral_ok[k] else 0.0
    return n_events, n_good


@jit
def experiences(sender_org, receiver_org, success, referral_ok, joint, last_contact, step):
    """This step's :func:`experience_counts`, and :func:`mark_contacts` of every pair that worked together (in place)."""
    n_events, n_good = experience_counts(sender_org, receiver_org, success, referral_ok, last_contact.shape[0])
    mark_contacts(last_contact, n_events, joint, step)
    return n_events, n_good


@jit
def experience(t, share, distance, u, p):
    """One pair's trust after a step with a share ``share`` of good experiences; ``u`` its uniform draw."""
    gain = p.trust_alpha * share * (1.0 - t) * (1.0 - p.culture_damping * distance)
    beta = p.trust_alpha * p.trust_beta_ratio
    loss = beta * t if u < p.breach_probability * (1.0 - share) else 0.0
    return clip01(t + gain - loss)


@jit
def contact(t, rate, distance, p):
    """One pair's trust after planned contact at ``rate`` (meeting or shadowing)."""
    return (1.0 - t) * rate * (1.0 - p.culture_damping * distance) + t


@jit
def relax(t, b, p):
    """A pair's trust after a step without interaction: toward its baseline, T + r_relax (B - T)."""
    return (b - t) * p.trust_relax + t


@jit
def drift(t, b, p):
    """A pair's new baseline after the step's trust t: B + delta (T - B)."""
    return (t - b) * p.baseline_drift + b


@jit
def update(gen, trust, baseline, culture_distance, n_events, n_good, met, shadow_counts, params):
    """New (trust, baseline) after one step: experience, planned contact, relaxation, in that order.

    Every pair is first relaxed (one pass over all pairs, with no branch); a pair that interacted is then
    computed again from its old trust by experience and contact, in place of relaxation.
    One uniform draw per ordered pair, whether or not it had experience, in row-major order (the draws
    of ``random(n * n)``): a pair with experience reads its draw, the others' are skipped
    (:func:`~abm.mechanisms._numba.skip`), not drawn. The diagonal stays 1.
    """
    p = params[0]
    n = trust.shape[0]
    rng = as_generator(gen)
    t = np.empty((n, n))
    new_b = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            t[i, j] = relax(trust[i, j], baseline[i, j], p)
            new_b[i, j] = drift(t[i, j], baseline[i, j], p)
    shadow_rate = p.trust_alpha * p.shadow_alpha_ratio
    drawn = 0  # pairs (row-major) whose draws are behind the generator
    for i in range(n):
        for j in range(n):
            if not ((n_events[i, j] > 0) | met[i, j] | (shadow_counts[i, j] > 0)):  # (|: one branch, not three)
                continue  # no interaction: relaxed (above)
            x = trust[i, j]
            d = culture_distance[i, j]
            if n_events[i, j] > 0:
                skip(gen, i * n + j - drawn)  # the draws of the pairs since the last one read
                drawn = i * n + j + 1
                x = experience(x, n_good[i, j] / n_events[i, j], d, rng.random(), p)
            if met[i, j]:
                x = contact(x, p.meeting_trust, d, p)
            if shadow_counts[i, j] > 0:
                x = contact(x, shadow_rate, d, p)
            t[i, j] = x
            new_b[i, j] = drift(x, baseline[i, j], p)
        t[i, i] = 1.0
    skip(gen, n * n - drawn)
    return t, new_b


@jit
def mark_contacts(last_contact, n_events, joint, step):
    """``last_contact[i, j] = step`` for every pair that worked together: exchanged a patient, or ``joint`` work
    (shadowing, virtual rounds; counts per pair). Meeting at the steering table is not joint work."""
    n = last_contact.shape[0]
    for i in range(n):
        for j in range(n):
            if (n_events[i, j] > 0) | (joint[i, j] > 0):  # (|: one branch, not two)
                last_contact[i, j] = step


@jit
def shrink_culture_distance(distance, shadow_counts, params):
    """Culture distance after shadowing: d - ``shadow_culture_shrink`` x visits, not below 0."""
    p = params[0]
    out = np.empty_like(distance)
    for i in range(distance.shape[0]):
        for j in range(distance.shape[1]):
            out[i, j] = max(0.0, distance[i, j] - p.shadow_culture_shrink * shadow_counts[i, j])
    return out


def equilibrium(success: float, alpha: float, beta: float, kappa: float, distance: float, breach_probability: float) -> float:
    """Steady-state trust T* = a / (a + b) under steady interaction with success share ``success``."""
    a = alpha * success * (1.0 - kappa * distance)
    b = beta * breach_probability * (1.0 - success)
    return a / (a + b) if a + b > 0 else float("nan")
