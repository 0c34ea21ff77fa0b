"""Patient transitions: discharges from hospitals and clinician-to-clinician hand-offs.

References: Embuldeniya et al. (2018) Milbank Q 96(4) (hand-offs, coordinators, warm hand-offs,
"they know who they're sending the patient home with"); MODEL.md process 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Handoffs:
    """This step's hand-offs, one entry per patient."""

    sender_org: np.ndarray
    receiver_org: np.ndarray
    sender: np.ndarray  # clinician index
    receiver: np.ndarray  # clinician index
    success: np.ndarray  # bool: the receiver took the patient over well
    referral_ok: np.ndarray  # bool: the sender's referral was complete and timely

    @property
    def n(self) -> int:
        return int(self.sender.size)


def logistic(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z))."""
    return 1.0 / (1.0 + np.exp(-z))


def pick_in_blocks(rng: np.random.Generator, org: np.ndarray, weight: np.ndarray, block_start: np.ndarray) -> np.ndarray:
    """For each entry of ``org``, draw one clinician of that organization with probability ~ weight.

    Clinicians are stored contiguously by organization; ``block_start[o]`` is the first index of
    organization o and ``block_start[o + 1]`` one past its last. One vectorized draw for all entries.
    """
    cum = np.empty(weight.size + 1)
    cum[0] = 0.0
    np.cumsum(weight, out=cum[1:])
    first, end = block_start[org], block_start[org + 1]
    lo = cum[first]
    hi = cum[end]
    u = lo + rng.random(org.size) * (hi - lo)
    idx = np.searchsorted(cum, u, side="right") - 1
    return np.minimum(np.maximum(idx, first), end - 1)  # clip into the organization's block


def pick_uniform_in_blocks(rng: np.random.Generator, org: np.ndarray, block_start: np.ndarray) -> np.ndarray:
    """For each entry of ``org``, one clinician of that organization drawn uniformly.

    Same draw as :func:`pick_in_blocks` with equal weights (one uniform number per entry), without
    the cumulative sum over all clinicians.
    """
    lo = block_start[org]
    hi = block_start[org + 1]
    return np.minimum(lo + (rng.random(org.size) * (hi - lo)).astype(np.int64), hi - 1)


def choose_receivers(rng: np.random.Generator, senders: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Receiver organization for each patient: row ``weights[sender]`` normalized, one draw each.

    ``weights`` is (rows x organizations); ``senders`` are row indices (the caller may pass only the
    rows that can send). One vectorized search over the row-offset cumulative weights: O(P log(R O)).
    """
    n_rows, n_org = weights.shape
    total = weights.sum(axis=1, keepdims=True)
    cum = np.cumsum(weights, axis=1) / np.where(total > 0, total, 1.0)
    flat = (cum + np.arange(n_rows)[:, None]).ravel()
    u = senders + rng.random(senders.size) * (1.0 - 1e-12)
    idx = np.searchsorted(flat, u, side="right")
    return np.minimum(idx - senders * n_org, n_org - 1)


def discharges(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    """Sender organization index of each discharged patient, Poisson(expected[o]) per organization."""
    counts = rng.poisson(expected)
    return np.repeat(np.arange(expected.size), counts)


def handoff_success_logit(
    data_level: np.ndarray,
    trust: np.ndarray,
    coordinator: float,
    familiarity: np.ndarray,
    complexity: float,
    overload: np.ndarray,
    b: dict[str, float],
) -> np.ndarray:
    """Logit of hand-off success: rises with data, trust, coordinator, familiarity; falls with complexity, overload."""
    return (
        b["intercept"]
        + b["data"] * data_level
        + b["trust"] * trust
        + b["coordinator"] * coordinator
        + b["familiarity"] * familiarity
        - b["complexity"] * complexity
        - b["overload"] * overload
    )
