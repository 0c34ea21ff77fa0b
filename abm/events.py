"""Configured milestone events applied to the model's state (the rules are in :mod:`abm.mechanisms.milestones`).

:func:`target_mask` resolves an event's targets (organizations by name, kind, pair or all);
:func:`apply` changes the state (:func:`abm.mechanisms.milestones.apply_effects`) and returns the organizations it
touched; :func:`table` gives the events as the compiled weeks apply them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.config import MilestoneEvent
from abm.mechanisms import milestones as ms
from abm.state import State


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


def effects_row(ev: Any) -> np.ndarray:
    """The event's effects as compiled code reads them: a row of :data:`abm.mechanisms.milestones.EFFECTS`."""
    fx = ev.effects
    row = np.array([float(getattr(fx, name) or 0.0) for name in ms.EFFECTS])
    row[ms.COORDINATOR] = np.nan if fx.coordinator is None else float(fx.coordinator)
    return row


def table(state: State, events: list[MilestoneEvent]) -> dict[str, np.ndarray]:
    """The events as arrays, one row each: their timing for :func:`abm.mechanisms.milestones.due` (``at``: -1 if
    drawn by hazard), and how the compiled weeks (:func:`abm.engine.run_weeks`) apply them: their effects, the
    organizations each targets (all of them for ``all``; the active ones among them are touched), whether its
    targets leave and whether it needs Python (a merger)."""
    n = len(events)
    masks = np.zeros((n, state.n_orgs), bool)
    for k, ev in enumerate(events):
        masks[k] = True if ev.targets.all else target_mask(state, ev)
    return {
        "at": np.array([-1 if e.at is None else e.at for e in events], np.int64),
        "hazard": np.array([e.hazard or 0.0 for e in events], float),
        "repeat": np.array([bool(e.repeat) for e in events], bool),
        "effects": np.array([effects_row(ev) for ev in events]).reshape(n, len(ms.EFFECTS)),
        "targets": masks,
        "to_all": np.array([bool(ev.targets.all) for ev in events], bool),
        "leave": np.array([bool(ev.effects.leave) for ev in events], bool),
        "python": np.array([ev.effects.merge_into is not None for ev in events], bool),
    }


def apply(state: State, ev: Any, gen: np.ndarray) -> np.ndarray:
    """Apply the event's effects to ``state`` (:func:`abm.mechanisms.milestones.apply_effects`, with the run's
    generator handle ``gen``); returns the organizations' mask it touched.

    ``effects.leave`` and ``effects.merge_into`` are not applied here: the model removes the returned
    organizations (:meth:`abm.model.IntegrationModel._remove`, shared with endogenous exits) or merges
    them (:meth:`abm.model.IntegrationModel._merge`, :func:`abm.merger.merge`).
    """
    mask = target_mask(state, ev) & state.active
    pairs, clinicians, program = ms.apply_effects(
        gen, effects_row(ev), mask, state.active, state.clin_org,
        (state.trust, state.culture_distance, state.structure, state.data_level),
        (state.engagement, state.views, state.champion), (state.resources, state.leadership),
        (float(state.volume_multiplier), float(state.coordinator)),
    )  # fmt: skip
    state.data_level, state.views, (state.volume_multiplier, state.coordinator) = pairs[3], clinicians[1], program
    return mask  # (a `leave` is the model's: IntegrationModel._remove, the one path by which partners leave)
