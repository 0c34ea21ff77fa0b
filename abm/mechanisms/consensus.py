"""Bounded-confidence consensus (Deffuant-Weisbuch) with trust- and engagement-dependent openness,
and pathway development (co-design workshops vs a top-down pathway).

Distance between views is the mean absolute difference over the K dimensions (L1 / K).

References: Deffuant, Neau, Amblard & Weisbuch (2000), Adv. Complex Syst. 3:87;
Embuldeniya et al. (2018), "Developing Thoughtful Models"; MODEL.md process 5.
"""

from __future__ import annotations

import numpy as np


def disjoint_matching(rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A random disjoint subset of the candidate pairs (a[i], b[i]): no clinician is in two kept pairs.

    Pairs are shuffled; a pair is kept if it is the first appearance of both its members.
    """
    if a.size == 0:
        return a, b
    order = rng.permutation(a.size)
    a, b = a[order], b[order]
    keep = a != b
    ends = np.column_stack((a, b)).ravel()  # a0, b0, a1, b1, ... in shuffled pair order
    # first appearance of each clinician among the ends (as np.unique(return_index=True)): sort the
    # unique keys clinician * m + position (a plain vectorized sort; a stable argsort is ~10x slower)
    m = ends.size
    who, pos = np.divmod(np.sort(ends.astype(np.int64) * m + np.arange(m)), m)
    first_sorted = np.empty(m, bool)
    first_sorted[0] = True
    np.not_equal(who[1:], who[:-1], out=first_sorted[1:])
    is_first = np.zeros(m, bool)
    is_first[pos[first_sorted]] = True
    keep &= is_first[0::2] & is_first[1::2]
    return a[keep], b[keep]


def random_matching(rng: np.random.Generator, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complete random mixing: a uniformly random perfect matching of ``members`` (one left out if odd)."""
    p = rng.permutation(members)
    half = p.size // 2
    return p[:half], p[half : 2 * half]


def openness(eps0: float, eps_trust: float, trust: np.ndarray, engagement: np.ndarray, gate: float) -> np.ndarray:
    """Confidence bound: (eps0 + eps_trust * trust) * ((1 - gate) + gate * 2 * engagement)."""
    return (eps0 + eps_trust * trust) * ((1.0 - gate) + gate * 2.0 * engagement)


def bounded_confidence(
    views: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    eps_a: np.ndarray,
    eps_b: np.ndarray,
    mu_a: np.ndarray,
    mu_b: np.ndarray,
) -> np.ndarray:
    """One round of pairwise bounded-confidence updates over disjoint pairs; returns new views.

    a moves toward b by mu_a * (x_b - x_a) if their distance is below a's bound eps_a; likewise b.
    """
    out = views.copy()
    if a.size == 0:
        return out
    xa, xb = views[a], views[b]
    diff = xb - xa
    dist = np.abs(diff).sum(axis=1) / diff.shape[1]  # mean over the K dimensions (as .mean(axis=1), cheaper)
    move_a = np.where(dist < eps_a, mu_a, 0.0)[:, None]
    move_b = np.where(dist < eps_b, mu_b, 0.0)[:, None]
    out[a] = xa + move_a * diff
    out[b] = xb - move_b * diff
    return out


def step_sizes(mu: float, engagement_step: float, e_a: np.ndarray, e_b: np.ndarray, champ_a: np.ndarray, champ_b: np.ndarray, persuasion: float, firmness: float) -> tuple[np.ndarray, np.ndarray]:
    """Convergence steps for both sides: mu scaled by the pair's engagement; champions persuade more, move less."""
    base = mu * ((1.0 - engagement_step) + engagement_step * (e_a + e_b))
    mu_a = base * np.where(champ_a, 1.0 - firmness, 1.0) * np.where(champ_b, persuasion, 1.0)
    mu_b = base * np.where(champ_b, 1.0 - firmness, 1.0) * np.where(champ_a, persuasion, 1.0)
    return np.minimum(np.maximum(mu_a, 0.0), 0.5), np.minimum(np.maximum(mu_b, 0.0), 0.5)  # clip to [0, 0.5]


def pull_toward(views: np.ndarray, who: np.ndarray, target: np.ndarray, strength: float) -> np.ndarray:
    """Move the views of ``who`` (bool mask) a share ``strength`` of the way to ``target``."""
    out = views.copy()
    out[who] += strength * (target - views[who])
    return out


def co_designed_pathway(views: np.ndarray, participants: np.ndarray) -> np.ndarray:
    """The co-designed pathway: the mean view of the workshop's participants."""
    return views[participants].mean(axis=0)
