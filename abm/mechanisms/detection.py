"""Detection of endogenous milestones (ODD process 10), logged with the categories of configured events.

First electronic link of a pair (level >= 2 for the first time), trust collapse of a pair (mutual
trust below ``link_collapse_trust``; counted again only after it recovers above ``TRUST_RECOVERY``),
consensus and integration reached (first time a threshold is met), partner exit (process 9).

References: seeds/000 (milestone categories); MODEL.md "Milestones".
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import jit

TRUST_RECOVERY = 0.45  # a collapsed pair is counted again only after mutual trust recovers above this


@jit
def new_links(level, ever_linked):
    """Pairs i < j linked (level >= 2) for the first time: (i, j) index arrays; ``ever_linked`` is updated in place."""
    n = level.shape[0]
    m = 0
    for i in range(n):
        for j in range(i + 1, n):
            m += 1 if level[i, j] >= 2 and not ever_linked[i, j] else 0
    li = np.empty(m, np.int64)
    lj = np.empty(m, np.int64)
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            if level[i, j] >= 2 and not ever_linked[i, j]:
                li[k], lj[k] = i, j
                k += 1
    for i in range(n):
        for j in range(n):
            ever_linked[i, j] |= level[i, j] >= 2
    return li, lj


@jit
def trust_collapses(trust, collapsed, pairs, low):
    """Pairs i < j in ``pairs`` whose mutual trust min(T[i, j], T[j, i]) falls below ``low``, not already collapsed.

    Returns their (i, j) index arrays; ``collapsed`` is updated in place: a pair stays collapsed
    until its mutual trust recovers above TRUST_RECOVERY. Mutual trust is symmetric, so only i < j is read
    (``pairs`` and ``collapsed`` below the diagonal are ignored and left as they are).
    """
    n = trust.shape[0]
    m = 0
    below = False  # whether any trust is below low: usually none is, and then no pair collapses anew
    for i in range(n):
        for j in range(n):
            below |= trust[i, j] < low
    for i in range(n if below else 0):  # first the new collapses (few), then the state
        for j in range(i + 1, n):
            if pairs[i, j] and not collapsed[i, j]:
                m += 1 if min(trust[i, j], trust[j, i]) < low else 0
    li = np.empty(m, np.int64)
    lj = np.empty(m, np.int64)
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            if not (collapsed[i, j] or (m and pairs[i, j])):  # stays not collapsed (none collapses anew if m == 0)
                continue
            mutual = min(trust[i, j], trust[j, i])
            new = mutual < low and pairs[i, j] and not collapsed[i, j]
            if new:
                li[k], lj[k] = i, j
                k += 1
            collapsed[i, j] = (collapsed[i, j] or new) and not (mutual > TRUST_RECOVERY)
    return li, lj


@jit
def crossed(value, threshold, already):
    """True the first time ``value`` reaches ``threshold``."""
    return (not already) and value >= threshold
