"""Clinician engagement: usefulness, data visibility, champions, inclusion, leadership, workload.

Gains act on (1 - e) and losses on e, so engagement stays in [0, 1]; it relaxes toward a per-role
baseline that a program can set (P5's culture of engagement is a high baseline).

References: Embuldeniya et al. (2018), "Engaging Clinicians" (P5), "Sharing Information" (P6 dashboard),
P1 ("we're not robots"); MODEL.md process 6.
"""

from __future__ import annotations

import numpy as np


def update_engagement(
    e: np.ndarray,
    baseline: np.ndarray,
    successes: np.ndarray,
    visibility: np.ndarray,
    champion_contacts: np.ndarray,
    included: np.ndarray,
    directed: np.ndarray,
    leadership: np.ndarray,
    overload: np.ndarray,
    r: dict[str, float],
) -> np.ndarray:
    """New engagement per clinician; every input array is per clinician (org values already gathered)."""
    up = (
        r["usefulness"] * successes
        + r["visibility"] * visibility
        + r["champion"] * champion_contacts
        + r["inclusion"] * included
        + r["leadership"] * leadership
    )
    down = r["topdown"] * directed + r["overload"] * overload
    new = e + r["relax"] * (baseline - e) + np.minimum(up, 1.0) * (1.0 - e) - np.minimum(down, 1.0) * e
    return np.minimum(np.maximum(new, 0.0), 1.0)  # = np.clip(new, 0, 1), without np.clip's Python-level overhead
