"""Detection of endogenous milestones, logged with the same categories as configured events.

First electronic link of a pair, consensus and integration reached, trust collapse of a pair,
partner exit. Each is reported once (a pair's trust collapse again only after recovering).

References: seeds/000 (milestone categories); MODEL.md "Milestones".
"""

from __future__ import annotations

import numpy as np


def new_links(level: np.ndarray, ever_linked: np.ndarray) -> np.ndarray:
    """Upper-triangle pairs that reach level >= 2 for the first time: (i, j) index arrays."""
    new = np.triu((level >= 2) & ~ever_linked, 1)
    return np.nonzero(new)


def trust_collapses(mutual: np.ndarray, collapsed: np.ndarray, pairs: np.ndarray, low: float, recover: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose mutual trust falls below ``low`` (not already collapsed); returns (new, collapsed-state)."""
    new = pairs & ~collapsed & (mutual < low)
    state = (collapsed | new) & ~(mutual > recover)
    return new, state


def crossed(value: float, threshold: float, already: bool) -> bool:
    """True the first time ``value`` reaches ``threshold``."""
    return (not already) and value >= threshold
