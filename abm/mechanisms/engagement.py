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
    successes: np.ndarray | None,
    visibility: np.ndarray | None,
    champion_contacts: np.ndarray | None,
    included: np.ndarray | None,
    directed: np.ndarray | None,
    leadership: np.ndarray,
    overload: np.ndarray,
    r: dict[str, float],
) -> np.ndarray:
    """New engagement per clinician; every input array is per clinician (org values already gathered).

    An input given as None is zero for everyone (its term is skipped: adding 0 changes nothing).
    """
    up = _weighted_sum((
        (r["usefulness"], successes), (r["visibility"], visibility), (r["champion"], champion_contacts),
        (r["inclusion"], included), (r["leadership"], leadership),
    ))  # fmt: skip
    down = _weighted_sum(((r["topdown"], directed), (r["overload"], overload)))
    new = e + r["relax"] * (baseline - e) + np.minimum(up, 1.0) * (1.0 - e) - np.minimum(down, 1.0) * e
    return np.minimum(np.maximum(new, 0.0), 1.0)  # = np.clip(new, 0, 1), without np.clip's Python-level overhead


def _weighted_sum(terms: tuple[tuple[float, np.ndarray | None], ...]) -> np.ndarray:
    """rate_1 * x_1 + rate_2 * x_2 + ..., left to right, over the terms whose x is not None."""
    total = None
    for rate, x in terms:
        if x is not None:
            total = rate * x if total is None else total + rate * x
    return total
