"""Outcome measures computed from the state each step.

* consensus = clip(1 - D / D_ref, 0, 1), D the mean pairwise distance between the program's original
  clinicians' views (a departed partner's views stay as they were: losing a partner cannot raise
  consensus, as for connectivity) (distance = mean absolute difference over the K dimensions, L1/K) and D_ref = 1/3, the
  mean pairwise distance of views drawn uniformly from [0,1]^K under that norm.
  0 = as dispersed as random views, 1 = full agreement.
* connectivity = share of the original clinical partner pairs joined by a path of level >= 2
  links through active clinical organizations (an exited partner counts as unconnected).
* integration = sqrt(consensus * connectivity).

References: Embuldeniya et al. (2018) (integration in the confluence of consensus and connectivity);
MODEL.md "Outcomes".
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

UNIFORM_MEAN_DISTANCE = 1.0 / 3.0
SMALL_GRAPH = 64  # up to this many partners, connectivity uses a dense closure instead of scipy
BUCKET_SORT_MIN = 2048  # from this many clinicians, views are sorted by buckets first (see _sorted_columns)
ALGEBRAIC_CONNECTIVITY_MAX_ORGS = 100  # above this, computed only on demand (cost O(O^3))


def mean_pairwise_distance(views: np.ndarray) -> float:
    """Mean |x_a - x_b| over all unordered pairs, averaged over dimensions; O(N log N) by sorting."""
    n = views.shape[0]
    if n < 2:
        return 0.0
    x = _sorted_columns(views)
    # a plain numpy reduction, not BLAS (w @ x): waking BLAS threads cost ~8 ms per call at 10k clinicians
    per_dim = np.add.reduce(_rank_weights(n) * x, axis=0)
    return float(per_dim.sum()) / per_dim.size * 2.0 / (n * (n - 1))  # the mean over dimensions (as .mean())


def _sorted_columns(views: np.ndarray) -> np.ndarray:
    """``np.sort(views, axis=0)``: the same array, faster for many clinicians.

    Views lie in [0, 1]: grouping a column first into 65,536 buckets (a stable sort of 16-bit keys is
    a linear-time radix sort) leaves it nearly sorted, and a stable sort (timsort) finishes that in
    about linear time, ~4x faster than numpy's quicksort at 10k clinicians. The result does not
    depend on the range (values outside it just share the end buckets); only the speed does.
    """
    n, k = views.shape
    if n < BUCKET_SORT_MIN:
        return np.sort(views, axis=0)
    out = np.empty_like(views)
    for d in range(k):
        col = views[:, d]
        with np.errstate(invalid="ignore"):  # (a NaN view would only land in some bucket)
            bucket = np.minimum(np.maximum(col * 65535.0, 0.0), 65535.0).astype(np.uint16)
        out[:, d] = np.sort(col[np.argsort(bucket, kind="stable")], kind="stable")
    return out


@lru_cache(maxsize=8)
def _rank_weights(n: int) -> np.ndarray:
    """Read-only column (n x 1) of the weights 2i - n + 1 of the i-th smallest value (built once per size)."""
    w = (2.0 * np.arange(n) - n + 1.0)[:, None]
    w.flags.writeable = False
    return w


def consensus(views: np.ndarray) -> float:
    """Agreement of practice views in [0, 1] (see module docstring)."""
    return min(max(1.0 - mean_pairwise_distance(views) / UNIFORM_MEAN_DISTANCE, 0.0), 1.0)  # clip to [0, 1]


def connectivity(level: np.ndarray, active: np.ndarray, original_clinical: np.ndarray) -> float:
    """Share of original clinical partner pairs that can exchange data electronically (path of level >= 2)."""
    n0 = int(original_clinical.sum())
    if n0 < 2:
        return 0.0
    live = active & original_clinical
    idx = np.flatnonzero(live)
    if idx.size < 2:
        return 0.0
    if idx.size <= SMALL_GRAPH:
        return float(_connected_ordered_pairs(level[np.ix_(idx, idx)] >= 2) / (n0 * (n0 - 1)))
    # large: a sparse graph of the links among live partners (no dense O x O copy, no dense validation)
    i, j = np.nonzero(level >= 2)
    both = live[i] & live[j]
    graph = sp.csr_matrix((np.ones(int(both.sum()), np.int8), (i[both], j[both])), shape=level.shape)
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels[idx])
    return float((sizes * (sizes - 1)).sum() / (n0 * (n0 - 1)))


def _connected_ordered_pairs(adj: np.ndarray) -> int:
    """Ordered pairs (i != j) joined by a path in a small undirected graph: transitive closure by squaring.

    Same count as sum over components of size * (size - 1); cheaper than scipy's call overhead for small graphs.
    """
    n = adj.shape[0]
    reach = adj | adj.T | np.eye(n, dtype=bool)
    while True:
        nxt = reach @ reach  # boolean matrix product (numpy's own loop, no BLAS threads)
        if (nxt == reach).all():
            return int(np.count_nonzero(reach)) - n
        reach = nxt


def mean_link_level(level: np.ndarray, original_clinical: np.ndarray) -> float:
    """Mean data level over original clinical partner pairs (exited partners count as 0)."""
    idx = np.flatnonzero(original_clinical)
    if idx.size < 2:
        return 0.0
    out = np.flatnonzero(~original_clinical)  # usually few (the regional authority): subtract their rows and columns
    total = level.sum(dtype=np.int64)
    if out.size:
        total += level[np.ix_(out, out)].sum(dtype=np.int64) - level[out].sum(dtype=np.int64) - level[:, out].sum(dtype=np.int64)
    return float(total / (idx.size * (idx.size - 1)))


def algebraic_connectivity(level: np.ndarray, mask: np.ndarray) -> float:
    """Second-smallest Laplacian eigenvalue of the link graph (weights level/3) among ``mask`` orgs."""
    idx = np.flatnonzero(mask)
    if idx.size < 2:
        return 0.0
    w = level[np.ix_(idx, idx)] / 3.0
    lap = np.diag(w.sum(axis=1)) - w
    return float(np.linalg.eigvalsh(lap)[1])


def trust_stats(trust: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Mean and minimum of trust over ordered pairs of distinct organizations in ``mask``."""
    pairs = mask[:, None] & mask[None, :]
    np.fill_diagonal(pairs, False)
    return pair_stats(trust, pairs)


def pair_stats(trust: np.ndarray, pairs: np.ndarray) -> tuple[float, float]:
    """Mean and minimum of trust over the ordered pairs where ``pairs`` (O x O bool) is True (0 if none)."""
    vals = trust[pairs]
    if vals.size == 0:  # fewer than two partners left: no partnership, no trust
        return 0.0, 0.0
    return float(vals.mean()), float(vals.min())


def mean(x: np.ndarray) -> float:
    """``float(x.mean())`` of a non-empty 1-d array, bit for bit, without ``np.mean``'s Python-level overhead."""
    if x.dtype == bool:
        return np.count_nonzero(x) / x.size
    return float(np.add.reduce(x)) / x.size


def first_reached(series: np.ndarray, threshold: float) -> float:
    """First index where ``series`` >= threshold, or NaN if never."""
    hit = np.flatnonzero(series >= threshold)
    return float(hit[0]) if hit.size else float("nan")
