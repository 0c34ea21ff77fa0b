"""Milestone events (paper 000): scheduled or hazard-drawn, facilitating or disrupting, in six categories.

An event's effects are deltas on the state of its targets. :func:`due` decides which configured
events fire this step; :func:`apply` applies one event's effects to the state arrays in place and
returns a description of whom it touched.

References: milestone categories of the conference abstract (seeds/000); Embuldeniya et al. (2018)
for the shipped examples (P2 manager move, P4 volume +10%, P1 partner withdrawal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from abm.config import MilestoneEvent
    from abm.state import State


def due(rng: np.random.Generator, events: list[MilestoneEvent], step: int, fired: np.ndarray) -> list[int]:
    """Indices of events that fire at ``step``: scheduled ones at their step, hazard ones by a draw."""
    out = []
    u = rng.random(len(events)) if events else np.empty(0)
    for k, ev in enumerate(events):
        if ev.at is not None:
            if ev.at == step:
                out.append(k)
        elif (ev.repeat or not fired[k]) and u[k] < ev.hazard:
            out.append(k)
    return out


def target_mask(state: State, ev: MilestoneEvent) -> np.ndarray:
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
    """Pairs touched: among the targets if there are several, else between the one target and all others."""
    if mask.sum() >= 2:
        pm = mask[:, None] & mask[None, :]
    else:
        pm = mask[:, None] | mask[None, :]
    np.fill_diagonal(pm, False)
    return pm


def apply(state: State, ev: MilestoneEvent, rng: np.random.Generator) -> np.ndarray:
    """Apply the event's effects to ``state`` in place; returns the organizations' mask it touched."""
    fx = ev.effects
    mask = target_mask(state, ev) & state.active
    pm = pair_mask(mask) & state.active[:, None] & state.active[None, :]
    clin = mask[state.clin_org] & state.clin_active
    if fx.trust:
        state.trust = np.where(pm, np.clip(state.trust + fx.trust, 0.0, 1.0), state.trust)
    if fx.culture_distance:
        state.culture_distance = np.where(pm, np.clip(state.culture_distance + fx.culture_distance, 0.0, 1.0), state.culture_distance)
    if fx.data_level:
        state.data_level = np.where(pm, np.clip(state.data_level + fx.data_level, 0, 3), state.data_level).astype(np.int8)
    if fx.engagement:
        state.engagement[clin] = np.clip(state.engagement[clin] + fx.engagement, 0.0, 1.0)
    if fx.resources:
        state.resources[mask] = np.clip(state.resources[mask] + fx.resources, 0.0, 1.0)
    if fx.leadership:
        state.leadership[mask] = np.clip(state.leadership[mask] + fx.leadership, 0.0, 1.0)
    if fx.practice_pull and clin.any():
        centre = state.views[state.clin_active].mean(axis=0)
        state.views[clin] += fx.practice_pull * (centre - state.views[clin])
    if fx.volume:
        state.volume_multiplier *= 1.0 + fx.volume
    if fx.coordinator is not None:
        state.coordinator = 1.0 if fx.coordinator else 0.0
    if fx.champion_leaves:
        champs = np.flatnonzero(state.champion & clin)
        if champs.size:
            state.champion[rng.choice(champs)] = False
    if fx.leave:
        state.remove_orgs(mask)
    return mask
