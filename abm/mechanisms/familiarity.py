"""Clinician familiarity ties: who knows whom across (and within) organizations.

A tie between clinicians a and b has a weight w in (0, 1]. Once per step (ODD process 4):

* every tie decays:                      w <- (1 - TIE_DECAY) w
* a pair in contact this step (hand-off, meeting, shadowing, outreach, team contact; once however
  often they met) strengthens or starts: w <- w + TIE_GAIN (1 - w)
* ties weaker than TIE_FLOOR are forgotten.

A tie raises the chance that a hand-off between the two succeeds (process 2: "they know who they're
sending the patient home with"). Ties are stored sparse: sorted order-free pair keys
``min(a, b) * N + max(a, b)`` and their weights.

References: Embuldeniya et al. (2018), Milbank Q 96(4) (knowing one's counterpart); MODEL.md process 4.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import as_generator, jit, sort_keys

TIE_GAIN = 0.5  # weight gained per step with contact (share of the way to 1)
TIE_DECAY = 0.02  # share of a tie's weight lost per step
TIE_FLOOR = 0.05  # ties weaker than this are forgotten


@jit
def pair_keys(a, b, n):
    """Order-free key ``min(a, b) * n + max(a, b)`` of each clinician pair (a[k], b[k])."""
    out = np.empty(a.size, np.int64)
    for k in range(a.size):
        out[k] = min(a[k], b[k]) * n + max(a[k], b[k])
    return out


@jit
def tie_weight(keys, weights, query):
    """Weight of the tie of each queried pair key (0 if the two do not know each other)."""
    out = np.zeros(query.size)
    if keys.size == 0:
        return out
    for k in range(query.size):
        pos = min(np.searchsorted(keys, query[k]), keys.size - 1)
        if keys[pos] == query[k]:
            out[k] = weights[pos]
    return out


@jit
def lookup(keys, weights, a, b, n):
    """Pair keys of the clinician pairs (a[k], b[k]) and the weight of their ties: (keys, weights)."""
    query = pair_keys(a, b, n)
    return query, tie_weight(keys, weights, query)


@jit
def sorted_unique(x):
    """The distinct values of an array of non-negative integers (pair keys), sorted."""
    y = sort_keys(x)
    m = 0
    for i in range(y.size):  # each first occurrence moved to the front, in place
        if m == 0 or y[i] != y[m - 1]:
            y[m] = y[i]
            m += 1
    return y[:m]


@jit
def update_ties(keys, weights, contacts):
    """Decay every tie, strengthen (or start) the ties of this step's contacts, forget the weakest.

    ``contacts`` are pair keys (repeats allowed). Returns the new (keys, weights), keys sorted: one
    merge of the sorted ties with the sorted distinct contacts. Each kept entry is written, then counted
    (``o += kept``): no branch on the floor.
    """
    met = sorted_unique(contacts)
    n_k, n_m = keys.size, met.size
    out_keys = np.empty(n_k + n_m, np.int64)
    out_w = np.empty(n_k + n_m)
    i = o = 0
    for j in range(n_m + 1):
        bound = met[j] if j < n_m else np.iinfo(np.int64).max
        while i < n_k and keys[i] < bound:  # ties without contact: decay
            w = weights[i] * (1.0 - TIE_DECAY)
            out_keys[o], out_w[o] = keys[i], w
            o += w >= TIE_FLOOR
            i += 1
        if j == n_m:
            break
        w = 0.0  # a contacted pair: its tie decays and strengthens, or a new tie starts from 0
        if i < n_k and keys[i] == bound:
            w = weights[i] * (1.0 - TIE_DECAY)
            i += 1
        w += TIE_GAIN * (1.0 - w)
        out_keys[o], out_w[o] = bound, w
        o += w >= TIE_FLOOR
    return out_keys[:o], out_w[:o]


@jit
def initial_ties(gen, org_i, org_j, trials, strength, block_start, n):
    """Ties at the start from prior partnerships (ODD initialization): about half the smaller team knows someone
    at the partner. Pair k of prior partners (``org_i[k]``, ``org_j[k]``) of strength s_k gets
    Binomial(``trials[k]``, s_k / 2) ties, each between a uniformly drawn clinician of either organization, of
    weight s_k (the strongest, if drawn twice). Returns (keys, weights), keys sorted.

    Draws, in NumPy's order: the tie counts, then the first clinicians of every tie, then the second ones.
    """
    rng = as_generator(gen)
    counts = np.empty(org_i.size, np.int64)
    for k in range(org_i.size):
        counts[k] = rng.binomial(trials[k], 0.5 * strength[k])
    tie_s = np.repeat(strength, counts)
    who = (np.repeat(org_i, counts), np.repeat(org_j, counts))  # organizations, then the clinicians drawn there
    for side in who:
        for t in range(side.size):
            o = side[t]
            side[t] = block_start[o] + np.int64(rng.random() * (block_start[o + 1] - block_start[o]))
    all_keys = pair_keys(who[0], who[1], n)
    keys = sorted_unique(all_keys)
    weights = np.zeros(keys.size)
    for t in range(all_keys.size):
        pos = np.searchsorted(keys, all_keys[t])
        weights[pos] = max(weights[pos], tie_s[t])
    return keys, weights
