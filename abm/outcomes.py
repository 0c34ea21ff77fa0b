"""Outcome measures (ODD process 10), computed from the state each step.

* consensus = clip(1 - D / D_ref, 0, 1), D the mean pairwise distance between the program's original
  clinicians' views (distance = mean absolute difference over the K dimensions, L1 / K; a departed
  partner's views stay as they were, so losing a partner cannot raise consensus) and D_ref = 1/3,
  the mean pairwise distance of views drawn uniformly from [0, 1]^K under that norm.
  0 = as dispersed as random views, 1 = full agreement.
* connectivity = (systems + structures + routines) / 3, paper 002's "systems, structures, and
  things coming together", each component in [0, 1] and recorded separately:
  systems = share of the ordered pairs of original clinical partners joined by a path of level >= 2
  links through active clinical organizations (:func:`connectivity`); structures = mean shared
  structure S over those pairs (:mod:`~abm.mechanisms.structures`); routines = share of the care
  pairs whose hand-offs are regular and reliable (:mod:`~abm.mechanisms.routines`). An exited
  partner counts as unconnected in every component; the regional authority is not in any denominator.
* integration = sqrt(consensus x connectivity).
* mean link level over original clinical partner pairs; algebraic connectivity (second-smallest
  Laplacian eigenvalue of the link graph among partners, weights level / 3; 0 when the links fall in
  pieces); trust mean and minimum
  over ordered partner pairs; mean engagement of live clinicians and of live physicians.

References: Embuldeniya et al. (2018) (integration in the confluence of consensus and connectivity);
MODEL.md "Outcomes".
"""

from __future__ import annotations

import math

import numpy as np

from abm.mechanisms._numba import clip01, jit

UNIFORM_MEAN_DISTANCE = 1.0 / 3.0
BUCKET_SORT_MIN = 2048  # from this many clinicians, views are sorted by buckets first (see sorted_column)
RESORT_MOVES = 16  # views moving more places than this per view are sorted afresh (see sorted_columns_by); at 4, half
# of a sensitivity analysis's P4 weeks sorted twice (5.0 us a week, 2.6 at 16; a 1,500-clinician region 103 -> 40 us)
BUCKETS_PER_VIEW = 2  # buckets of the bucketed sort: the smallest power of two of at least this many per view
ALGEBRAIC_CONNECTIVITY_MAX_ORGS = 100  # above this, not computed each step (cost O(O^3)): NaN


@jit
def sorted_column(x):
    """``np.sort(x)`` for a column of views (values in [0, 1]), in linear time for many clinicians.

    From ``BUCKET_SORT_MIN`` values: a counting sort into equal buckets between the column's lowest and highest
    view leaves the column sorted up to the order within each bucket, which an insertion sort finishes. The
    number of buckets is the smallest power of two of at least ``BUCKETS_PER_VIEW`` per value. The buckets span
    the views' own range, so as a program converges its views stay spread over all of them and each holds few.
    The sorted values are the same as ``np.sort``'s (a sorted multiset is unique, and the bucket of a value
    never decreases with it); a value outside [0, 1] (never a view) falls back to ``np.sort``.
    """
    n = x.size
    if n < BUCKET_SORT_MIN:
        return np.sort(x)
    lo = hi = x[0]
    for v in x:
        if not (0.0 <= v <= 1.0):
            return np.sort(x)
        lo, hi = min(lo, v), max(hi, v)
    buckets = 1
    while buckets < BUCKETS_PER_VIEW * n:
        buckets *= 2
    scale = (buckets - 1) / (hi - lo) if hi > lo else 0.0
    if not math.isfinite(scale):  # (views closer than about 1e-300: one bucket)
        scale = 0.0
    start = np.zeros(buckets + 1, np.int64)
    for v in x:
        start[int((v - lo) * scale) + 1] += 1
    for b in range(buckets):
        start[b + 1] += start[b]
    out = np.empty(n)
    for v in x:
        b = int((v - lo) * scale)
        out[start[b]] = v
        start[b] += 1
    for i in range(1, n):
        v = out[i]
        j = i - 1
        while j >= 0 and out[j] > v:
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = v
    return out


@jit
def sorted_columns(views):
    """``np.sort(views, axis=0)`` (:func:`sorted_column` per dimension)."""
    out = np.empty_like(views)
    for d in range(views.shape[1]):
        out[:, d] = sorted_column(np.ascontiguousarray(views[:, d]))
    return out


@jit
def sorted_columns_by(views, order):
    """``np.sort(views, axis=0)``, starting from ``order``: the rows that sorted each column last time
    (updated in place to this time's order).

    Views move little from one week to the next, so an insertion sort of the last order costs
    O(N + moves); after ``RESORT_MOVES`` N moves in a column (views reshuffled) that column is sorted afresh. From
    ``BUCKET_SORT_MIN`` clinicians many views move far each week and :func:`sorted_columns` is faster
    (``order`` is then left as it was). The sorted values are the same as ``np.sort``'s whatever
    ``order`` held (a sorted multiset is unique).
    """
    n, k_dims = views.shape
    if n >= BUCKET_SORT_MIN:
        return sorted_columns(views)
    out = np.empty_like(views)
    for d in range(k_dims):
        y = out[:, d]
        o = order[:, d]
        for i in range(n):
            y[i] = views[o[i], d]
        moves = 0
        for i in range(1, n):
            v, oi = y[i], o[i]
            j = i - 1
            while j >= 0 and y[j] > v:
                y[j + 1], o[j + 1] = y[j], o[j]
                j -= 1
            moves += i - 1 - j
            y[j + 1], o[j + 1] = v, oi
            if moves > RESORT_MOVES * n:  # far from last week's order: sort afresh
                col = np.ascontiguousarray(views[:, d])
                o[:] = np.argsort(col)
                for m in range(n):
                    y[m] = col[o[m]]
                break
    return out


@jit
def mean_pairwise_distance(sorted_views):
    """D: mean |x_a - x_b| over unordered pairs, averaged over dimensions, from column-sorted views.

    With a column sorted ascending, sum over pairs |x_a - x_b| = sum_i (2 i - n + 1) x_(i): O(N log N).
    """
    n, k = sorted_views.shape
    if n < 2:
        return 0.0
    s = 0.0
    for d in range(k):
        s0 = s1 = s2 = s3 = 0.0  # four partial sums (see _sum_and_min_at)
        i = 0
        while i + 4 <= n:
            s0 += (2.0 * i - n + 1.0) * sorted_views[i, d]
            s1 += (2.0 * i - n + 3.0) * sorted_views[i + 1, d]
            s2 += (2.0 * i - n + 5.0) * sorted_views[i + 2, d]
            s3 += (2.0 * i - n + 7.0) * sorted_views[i + 3, d]
            i += 4
        for r in range(i, n):
            s0 += (2.0 * r - n + 1.0) * sorted_views[r, d]
        s += (s0 + s1) + (s2 + s3)
    return s / k * 2.0 / (n * (n - 1))


@jit
def consensus_of_sorted(sorted_views):
    """Consensus in [0, 1] from column-sorted views (module docstring)."""
    return clip01(1.0 - mean_pairwise_distance(sorted_views) / UNIFORM_MEAN_DISTANCE)


@jit
def consensus_of(views):
    """Consensus in [0, 1] of the views (module docstring); compiled code's :func:`consensus`."""
    return consensus_of_sorted(sorted_columns(views))


def consensus(views: np.ndarray) -> float:
    """Consensus in [0, 1] of the views (module docstring)."""
    return float(consensus_of(views))


@jit
def _sum_and_min_at(x, idx):
    """(sum, minimum) of ``x[idx]`` (``idx`` not empty).

    The sum runs in four partial sums, element k into sum k mod 4, added as (s0 + s1) + (s2 + s3). One running
    sum makes each add wait for the one before; four let compiled code overlap them, about three times as
    fast over long sums. The order is fixed, so every run and machine (and plain Python) gets the same number;
    it differs from a single running sum only by rounding.
    """
    m = idx.size
    s0 = s1 = s2 = s3 = 0.0
    lo = x[idx[0]]
    k = 0
    while k + 4 <= m:
        a, b, c, d = x[idx[k]], x[idx[k + 1]], x[idx[k + 2]], x[idx[k + 3]]
        s0, s1, s2, s3 = s0 + a, s1 + b, s2 + c, s3 + d
        lo = min(lo, min(min(a, b), min(c, d)))
        k += 4
    for r in range(k, m):
        s0 += x[idx[r]]
        lo = min(lo, x[idx[r]])
    return (s0 + s1) + (s2 + s3), lo


@jit
def trust_and_engagement(trust, partner_pair_idx, engagement, live_idx, phys_idx):
    """(trust mean, trust minimum) over ordered partner pairs (0 if none), mean engagement of live clinicians
    (0 if none) and of live physicians (NaN if none)."""
    t_mean = t_min = 0.0
    if partner_pair_idx.size:
        t_sum, t_min = _sum_and_min_at(trust.ravel(), partner_pair_idx)
        t_mean = t_sum / partner_pair_idx.size
    e_live = _sum_and_min_at(engagement, live_idx)[0] / live_idx.size if live_idx.size else 0.0
    e_phys = _sum_and_min_at(engagement, phys_idx)[0] / phys_idx.size if phys_idx.size else np.nan
    return t_mean, t_min, e_live, e_phys


@jit
def _root(parent, i):
    while parent[i] != i:
        i = parent[i]
    return i


@jit
def connectivity(level, active, original_clinical):
    """(systems connectivity, mean link level) over the original clinical partners (module docstring).

    Components of the level >= 2 links among live partners by union-find.
    """
    n = level.shape[0]
    n0 = 0
    for i in range(n):
        n0 += 1 if original_clinical[i] else 0
    if n0 < 2:
        return 0.0, 0.0
    parent = np.arange(n)
    for i in range(n):
        if active[i] and original_clinical[i]:
            for j in range(i + 1, n):
                if active[j] and original_clinical[j] and (level[i, j] >= 2 or level[j, i] >= 2):
                    ri, rj = _root(parent, i), _root(parent, j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
    sizes = np.zeros(n, np.int64)
    for i in range(n):
        if active[i] and original_clinical[i]:
            sizes[_root(parent, i)] += 1
    pairs = 0
    for r in range(n):
        pairs += sizes[r] * (sizes[r] - 1)
    levels = 0
    for i in range(n):
        if original_clinical[i]:
            for j in range(n):
                if original_clinical[j]:
                    levels += int(level[i, j])  # (an int8 sum would overflow in plain Python)
    return pairs / (n0 * (n0 - 1)), levels / (n0 * (n0 - 1))


@jit
def composite_connectivity(systems, structures, routines):
    """Connectivity: the mean of its three components (module docstring)."""
    return (systems + structures + routines) / 3.0


@jit
def link_laplacian(level, partners):
    """Laplacian of the link graph among ``partners`` (weights level / 3)."""
    idx = np.flatnonzero(partners)
    m = idx.size
    lap = np.zeros((m, m))
    for a in range(m):
        deg = 0.0
        for b in range(m):
            w = level[idx[a], idx[b]] / 3.0
            lap[a, b] = -w
            deg += w
        lap[a, a] += deg
    return lap


@jit
def links_join(level, partners):
    """Whether the link graph among ``partners`` (an edge where level > 0) is in one piece (two or more partners)."""
    idx = np.flatnonzero(partners)
    m = idx.size
    if m < 2:
        return False
    seen = np.zeros(m, np.bool_)
    stack = np.empty(m, np.int64)
    seen[0], stack[0], top, reached = True, 0, 1, 1
    while top:
        top -= 1
        a = stack[top]
        for b in range(m):
            if not seen[b] and level[idx[a], idx[b]] > 0:
                seen[b] = True
                stack[top] = b
                top += 1
                reached += 1
    return reached == m


@jit
def algebraic_connectivity(level, partners):
    """Second-smallest eigenvalue of :func:`link_laplacian`: 0 with fewer than two partners, and 0 exactly when
    the links fall in pieces (:func:`links_join`; the eigensolver would return its rounding, ~1e-16 of
    either sign). Otherwise numba calls LAPACK's symmetric eigensolver as NumPy does (the same values).
    """
    if not links_join(level, partners):
        return 0.0
    return np.linalg.eigvalsh(link_laplacian(level, partners))[1]


@jit
def links_changed(level, active, seen_level, seen_active):
    """Whether links or membership differ from the last observation (then ``seen_*`` are updated in place)."""
    changed = False
    n = level.shape[0]
    for i in range(n):
        changed |= active[i] != seen_active[i]
        for j in range(n):
            changed |= level[i, j] != seen_level[i, j]
    if changed:
        seen_level[:] = level
        seen_active[:] = active
    return changed


def first_reached(series: np.ndarray, threshold: float) -> float:
    """First index where ``series`` >= threshold, or NaN if never."""
    if not len(series):
        return float("nan")
    at = int(np.argmax(series >= threshold))  # (0 if none is: then series[0] < threshold)
    return float(at) if series[at] >= threshold else float("nan")

