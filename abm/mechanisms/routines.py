"""Hand-off routines (ODD process 7, connectivity's "routines" component): care pairs whose hand-offs became regular and reliable.

A care pair is a hospital h and a receiving partner r (home care, community, primary care) of the
same region, both original clinical partners. Per step, with F[h, r] the smoothed hand-offs from h
to r (patients per step), Q[h, r] the smoothed share of them that succeeded, n this step's
hand-offs of the pair and k the successful ones, and lambda = ``routine_smoothing``:

    F <- F + lambda (n - F)
    Q <- Q + lambda (k / n - Q)          (only in a step with n > 0)

The pair's hand-offs are a routine when F >= ``routine_flow`` and Q >= ``routine_success``: regular
(a patient every few weeks or more) and reliable, "everybody started to connect differently with
their community colleagues" (P4). Q starts at 0: a routine has to be earned by hand-offs.

References: Embuldeniya et al. (2018) (P4: new working relationships around hand-offs); MODEL.md
"Outcomes" (connectivity: systems, structures, routines).
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import jit


@jit
def update(flow, quality, sender_org, receiver_org, success, params):
    """New smoothed (flow, quality) per ordered pair of organizations after this step's hand-offs."""
    p = params[0]
    n = flow.shape[0]
    lam = p.routine_smoothing
    # this step's hand-offs n and good ones k per pair, held only where a pair had some: the other entries are
    # never read (a region's pair arrays are large and its hand-offs few, so nothing is filled that is not read)
    count = np.empty((n, n))
    good = np.empty((n, n))
    for k in range(sender_org.size):
        count[sender_org[k], receiver_org[k]] = good[sender_org[k], receiver_org[k]] = 0.0
    for k in range(sender_org.size):
        count[sender_org[k], receiver_org[k]] += 1.0
        good[sender_org[k], receiver_org[k]] += 1.0 if success[k] else 0.0
    new_f = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            new_f[i, j] = flow[i, j] + lam * (0.0 - flow[i, j])  # no hand-off (n = 0)
    new_q = quality.copy()
    for k in range(sender_org.size):  # the pairs with hand-offs (each set alike at each of its hand-offs)
        i, j = sender_org[k], receiver_org[k]
        new_f[i, j] = flow[i, j] + lam * (count[i, j] - flow[i, j])
        new_q[i, j] = quality[i, j] + lam * (good[i, j] / count[i, j] - quality[i, j])
    return new_f, new_q


@jit
def share_routine(flow, quality, care_pairs, active, params):
    """Share of the care pairs (bool matrix, sender row, receiver column) whose hand-offs are a routine; an inactive partner's are not."""
    p = params[0]
    n = flow.shape[0]
    total = 0
    routine = 0
    for i in range(n):
        for j in range(n):  # (& and sums: no branch)
            total += care_pairs[i, j]
            routine += care_pairs[i, j] & active[i] & active[j] & (flow[i, j] >= p.routine_flow) & (quality[i, j] >= p.routine_success)
    return routine / total if total else 0.0
