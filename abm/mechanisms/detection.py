"""Detection of endogenous milestones, logged with the same categories as configured events.

First electronic link of a pair, consensus and integration reached, trust collapse of a pair,
partner exit. Each is reported once (a pair's trust collapse again only after recovering).

References: seeds/000 (milestone categories); MODEL.md "Milestones".
"""

from __future__ import annotations

import numpy as np


def new_links(level: np.ndarray, ever_linked: np.ndarray) -> np.ndarray:
    """Upper-triangle pairs that reach level >= 2 for the first time: (i, j) index arrays."""
    new = (level >= 2) & ~ever_linked
    if not np.count_nonzero(new):  # the usual case: skip the triangle and the O x O nonzero
        return np.empty(0, np.intp), np.empty(0, np.intp)
    return np.nonzero(np.triu(new, 1))


def trust_collapses(mutual: np.ndarray, collapsed: np.ndarray, pairs: np.ndarray, low: float, recover: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose mutual trust falls below ``low`` (not already collapsed); returns (new, collapsed-state)."""
    new = mutual < low  # = pairs & ~collapsed & (mutual < low), in place (fewer O x O temporaries)
    new &= pairs
    new &= ~collapsed
    state = mutual > recover  # = (collapsed | new) & ~(mutual > recover)
    np.logical_not(state, out=state)
    state &= collapsed | new
    return new, state


def crossed(value: float, threshold: float, already: bool) -> bool:
    """True the first time ``value`` reaches ``threshold``."""
    return (not already) and value >= threshold
