"""Configured milestone events applied to the model's state (the rules are in :mod:`abm.mechanisms.milestones`).

:func:`target_mask` resolves an event's targets (organizations by name, kind, pair or all);
:func:`apply` changes the state in place and returns the organizations it touched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.config import MilestoneEvent
from abm.mechanisms import consensus
from abm.mechanisms import milestones as ms
from abm.state import State


def schedule(events: list[MilestoneEvent]) -> dict[str, np.ndarray]:
    """The events' timing as arrays for :func:`abm.mechanisms.milestones.due`."""
    return {
        "at": np.array([-1 if e.at is None else e.at for e in events], np.int64),
        "hazard": np.array([e.hazard or 0.0 for e in events], float),
        "repeat": np.array([bool(e.repeat) for e in events], bool),
    }


def target_mask(state: State, ev: Any) -> np.ndarray:
    """Bool mask over organizations touched by the event."""
    t = ev.targets
    if t.all:
        return state.active.copy()
    mask = np.zeros(state.n_orgs, bool)
    for name in list(t.orgs) + list(t.pair or []):
        mask[state.org_index[name]] = True
    for kind in t.kinds:
        mask |= state.kind == state.kind_code[kind]
    return mask


def pair_mask(mask: np.ndarray) -> np.ndarray:
    """Pairs touched (see :func:`abm.mechanisms.milestones.pair_mask`)."""
    return ms.pair_mask(np.ascontiguousarray(mask, dtype=bool))


def apply(state: State, ev: Any, rng: np.random.Generator) -> np.ndarray:
    """Apply the event's effects to ``state`` in place; returns the organizations' mask it touched.

    ``effects.leave`` and ``effects.merge_into`` are not applied here: the model removes the returned
    organizations (:meth:`abm.model.IntegrationModel._remove`, shared with endogenous exits) or merges
    them (:meth:`abm.model.IntegrationModel._merge`, :func:`abm.merger.merge`).
    """
    fx = ev.effects
    mask = target_mask(state, ev) & state.active
    pm = pair_mask(mask) & state.active[:, None] & state.active[None, :]
    clin = mask[state.clin_org] & state.clin_active
    if fx.trust:
        ms.shift(state.trust, pm, fx.trust, 0.0, 1.0)
    if fx.culture_distance:
        ms.shift(state.culture_distance, pm, fx.culture_distance, 0.0, 1.0)
    if fx.structure:
        ms.shift(state.structure, pm, fx.structure, 0.0, 1.0)
    if fx.data_level:
        level = state.data_level.astype(float)
        ms.shift(level, pm, float(fx.data_level), 0.0, 3.0)
        state.data_level = level.astype(np.int8)
    if fx.engagement:
        ms.shift(state.engagement, clin, fx.engagement, 0.0, 1.0)
    if fx.resources:
        ms.shift(state.resources, mask, fx.resources, 0.0, 1.0)
    if fx.leadership:
        ms.shift(state.leadership, mask, fx.leadership, 0.0, 1.0)
    if fx.practice_pull and clin.any():
        centre = consensus.mean_view(state.views, state.clin_active)
        state.views = consensus.pull_toward(state.views, clin, centre, fx.practice_pull)
    if fx.volume:
        state.volume_multiplier *= 1.0 + fx.volume
    if fx.coordinator is not None:
        state.coordinator = 1.0 if fx.coordinator else 0.0
    if fx.champion_leaves:
        champs = np.flatnonzero(state.champion & clin)
        if champs.size:
            state.champion[rng.choice(champs)] = False
    return mask  # (a `leave` is the model's: IntegrationModel._remove, the one path by which partners leave)
