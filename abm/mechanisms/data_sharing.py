"""Data-sharing links between organizations: formation by trust and joint work, decay when trust collapses.

Levels: 0 none, 1 phone/fax/e-mail, 2 secure messaging or portal, 3 shared record or real-time dashboard.

References: Embuldeniya et al. (2018), "Sharing Information" (different IT systems, privacy
interpretations, P6 dashboard); MODEL.md process 7.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8)
def _upper(n: int) -> np.ndarray:
    """Read-only mask of the strict upper triangle of an n x n matrix (built once per size)."""
    iu = np.triu(np.ones((n, n), bool), 1)
    iu.flags.writeable = False
    return iu


def upgrade_probability(
    same_it: np.ndarray,
    privacy_gap: np.ndarray,
    base: float,
    different_it_factor: float,
    privacy_mismatch_factor: float,
) -> np.ndarray:
    """Per-step chance that an eligible pair upgrades its link by one level."""
    return base * np.where(same_it, 1.0, different_it_factor) * np.clip(1.0 - privacy_mismatch_factor * privacy_gap, 0.0, 1.0)


def update_links(
    rng: np.random.Generator,
    level: np.ndarray,
    mutual_trust: np.ndarray,
    worked_together: np.ndarray,
    resourced: np.ndarray,
    active_pair: np.ndarray,
    p_upgrade: np.ndarray,
    gate: float,
    collapse: float,
    p_decay: float,
) -> np.ndarray:
    """New symmetric level matrix: eligible pairs may go up one level, low-trust pairs may go down one.

    The upper triangle decides; the result is symmetric. Conditions are evaluated only on the
    candidate pairs (pairs that worked together may go up, low-trust pairs may go down), which are
    few at scale, instead of on every pair.
    """
    iu = _upper(level.shape[0])
    u = rng.random(level.shape).ravel()  # one draw per pair, as the dense rule would
    flat = level.ravel()
    cand = np.flatnonzero(iu & worked_together)
    p_up = p_upgrade if np.ndim(p_upgrade) == 0 else np.asarray(p_upgrade).ravel()[cand]
    ok = active_pair.ravel()[cand] & resourced.ravel()[cand] & (mutual_trust.ravel()[cand] > gate)
    up = cand[ok & (flat[cand] < 3) & (u[cand] < p_up)]
    down = np.flatnonzero(iu & (mutual_trust < collapse))
    down = down[(flat[down] > 0) & (u[down] < p_decay)]
    upper = np.where(iu, level, 0).astype(level.dtype, copy=False)
    upper.ravel()[up] += 1
    upper.ravel()[down] -= 1
    new = upper + upper.T
    if not active_pair.all():
        new[~active_pair] = 0
    return new
