"""Milestone events (ODD process 1): scheduled or hazard-drawn, facilitating or disrupting, in six categories.

A configured event fires at its step (``at``) or, without one, with probability ``hazard`` per step
(once, or every time if ``repeat``). Its effects are deltas on the state of its targets: organizations
(resources, leadership), pairs among them (trust, culture distance, data level; a single target's
pairs with every other partner) and their clinicians (engagement, practice pulled toward the mean
of all live clinicians, :func:`abm.mechanisms.consensus.pull_toward`). The model applies them
(:mod:`abm.events`) with the rules below.

References: milestone categories of the conference abstract (seeds/000); Embuldeniya et al. (2018)
for the shipped examples (P2 manager move, P4 volume +10%, P1 partner withdrawal).
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import jit


@jit
def due(u, at, hazard, repeat, fired, step):
    """Indices of the events that fire at ``step``: scheduled ones (``at`` >= 0) at their step, the others if u < hazard.

    ``u`` holds one uniform draw per event; an unrepeatable hazard event fires once.
    """
    out = np.empty(at.size, np.int64)
    m = 0
    for k in range(at.size):
        if at[k] >= 0:
            fire = at[k] == step
        else:
            fire = (repeat[k] or not fired[k]) and u[k] < hazard[k]
        if fire:
            out[m] = k
            m += 1
    return out[:m]


@jit
def pair_mask(mask):
    """Pairs an event touches: among its targets if there are several, else between the one target and all others."""
    n = mask.size
    several = 0
    for i in range(n):
        several += 1 if mask[i] else 0
    pm = np.zeros((n, n), np.bool_)
    for i in range(n):
        for j in range(n):
            if i != j:
                pm[i, j] = (mask[i] and mask[j]) if several >= 2 else (mask[i] or mask[j])
    return pm


@jit
def shift(x, where, delta, lo, hi):
    """``x + delta`` limited to [lo, hi] where ``where`` is True (in place; x and where of one shape)."""
    xf, wf = x.ravel(), where.ravel()
    for k in range(xf.size):
        if wf[k]:
            xf[k] = min(max(xf[k] + delta, lo), hi)
