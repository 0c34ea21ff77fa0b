"""Data-sharing links between organizations: formation by trust and joint work, decay when trust collapses.

Levels: 0 none, 1 phone/fax/e-mail, 2 secure messaging or portal, 3 shared record or real-time dashboard.

References: Embuldeniya et al. (2018), "Sharing Information" (different IT systems, privacy
interpretations, P6 dashboard); MODEL.md process 7.
"""

from __future__ import annotations

import numpy as np


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
    """New symmetric level matrix: eligible pairs may go up one level, low-trust pairs may go down one."""
    iu = np.triu(np.ones(level.shape, bool), 1)
    u = rng.random(level.shape)
    up = iu & active_pair & worked_together & resourced & (mutual_trust > gate) & (level < 3) & (u < p_upgrade)
    down = iu & (level > 0) & (mutual_trust < collapse) & (u < p_decay)
    upper = np.where(iu, level + up - down, 0)
    new = upper + upper.T
    new[~active_pair] = 0
    return new.astype(level.dtype)
