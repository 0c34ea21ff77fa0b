"""Milestone events (ODD process 1): scheduled or hazard-drawn, facilitating or disrupting, in six categories.

A configured event fires at its step (``at``) or, without one, with probability ``hazard`` per step
(once, or every time if ``repeat``). Its effects are deltas on the state of its targets: organizations
(resources, leadership), pairs among them (trust, culture distance, data level; a single target's
pairs with every other partner) and their clinicians (engagement, practice pulled toward the mean
of all live clinicians, :func:`abm.mechanisms.consensus.pull_toward`). The model applies them
with the rules below (:func:`apply_effects`; :mod:`abm.events` resolves the targets and tabulates the
effects, :data:`EFFECTS`).

References: milestone categories of the conference abstract (seeds/000); Embuldeniya et al. (2018)
for the shipped examples (P2 manager move, P4 volume +10%, P1 partner withdrawal).
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms import consensus
from abm.mechanisms._numba import as_generator, jit

EFFECTS = (
    "trust", "culture_distance", "structure", "data_level", "engagement", "resources", "leadership", "practice_pull",
    "volume", "coordinator", "champion_leaves",
)  # fmt: skip
"""The columns of an event's row of effects (:func:`abm.events.effects_row`): the deltas of
:class:`abm.config.Effects`; ``coordinator`` is 1 or 0 (set), NaN (unchanged); ``champion_leaves`` 1 or 0."""
(TRUST, CULTURE_DISTANCE, STRUCTURE, DATA_LEVEL, ENGAGEMENT, RESOURCES, LEADERSHIP, PRACTICE_PULL, VOLUME, COORDINATOR,
 CHAMPION_LEAVES) = range(len(EFFECTS))  # fmt: skip


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


@jit
def apply_effects(gen, fx, mask, active, clin_org, pairs, clinicians, organizations, program):
    """One event's effects ``fx`` (a row of :data:`EFFECTS`) on its active targets ``mask``.

    ``pairs``: (trust, culture distance, structure, data level), changed for the pairs the event touches
    (:func:`pair_mask`, among active partners), the first three within [0, 1], the data level within [0, 3];
    ``clinicians``: (engagement, views, champion) of all clinicians: the targets' engagement within [0, 1], their
    views pulled a share ``practice_pull`` toward the mean view of all live clinicians, one champion drawn among
    them stops championing (one integer draw, if there is a champion); ``organizations``: (resources,
    leadership) of the targets, within [0, 1]; ``program``: (volume multiplier, coordinator): the volume
    multiplied by 1 + ``volume``, the coordinator set. In place, but the data level and views, which are
    replaced: returns the new (pairs, clinicians, program).
    """
    trust, culture_distance, structure, data_level = pairs
    engagement, views, champion = clinicians
    resources, leadership = organizations
    volume, coordinator = program
    n = active.size
    pm = pair_mask(mask)
    for i in range(n):
        for j in range(n):
            pm[i, j] = pm[i, j] and active[i] and active[j]
    clin = mask[clin_org]  # the targets' clinicians
    if fx[TRUST] != 0.0:
        shift(trust, pm, fx[TRUST], 0.0, 1.0)
    if fx[CULTURE_DISTANCE] != 0.0:
        shift(culture_distance, pm, fx[CULTURE_DISTANCE], 0.0, 1.0)
    if fx[STRUCTURE] != 0.0:
        shift(structure, pm, fx[STRUCTURE], 0.0, 1.0)
    if fx[DATA_LEVEL] != 0.0:
        level = data_level.astype(np.float64)
        shift(level, pm, fx[DATA_LEVEL], 0.0, 3.0)
        data_level = level.astype(np.int8)
    if fx[ENGAGEMENT] != 0.0:
        shift(engagement, clin, fx[ENGAGEMENT], 0.0, 1.0)
    if fx[RESOURCES] != 0.0:
        shift(resources, mask, fx[RESOURCES], 0.0, 1.0)
    if fx[LEADERSHIP] != 0.0:
        shift(leadership, mask, fx[LEADERSHIP], 0.0, 1.0)
    if fx[PRACTICE_PULL] != 0.0 and clin.any():
        views = consensus.pull_toward(views, clin, consensus.mean_view(views, active[clin_org]), fx[PRACTICE_PULL])
    if fx[VOLUME] != 0.0:
        volume *= 1.0 + fx[VOLUME]
    if not np.isnan(fx[COORDINATOR]):
        coordinator = fx[COORDINATOR]
    if fx[CHAMPION_LEAVES] != 0.0:
        champs = np.flatnonzero(champion & clin)
        if champs.size:
            champion[champs[as_generator(gen).integers(0, champs.size)]] = False  # (numpy's choice(champs): the same draw)
    return (trust, culture_distance, structure, data_level), (engagement, views, champion), (volume, coordinator)
