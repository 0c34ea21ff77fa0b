"""Shared structures (connectivity's "structures" component): joint governance, shared roles and processes.

S[i, j] in [0, 1] (symmetric) is how far partners i and j share structures: joint planning
committees, a single consent form, one team identity, shared roles. It starts at
``prior_structure`` x the pair's prior partnership, is created by milestones (``effects.structure``,
e.g. a joint governance agreement) and by co-designed pathways, and is eroded by disrupting
milestones. A co-design workshop adds, for every pair of partners i, j whose clinicians took part in
shares f_i, f_j of their clinician agents,

    g = min(1, ``codesign_structure`` (f_i + f_j) / (2 ``workshop_share``)),   S <- S + g (1 - S)

(the co-designed pathway is a shared process of the partners that designed it, as much as their
staff took part: g = ``codesign_structure`` at the expected share. The gain is linear in the shares,
so its expectation does not depend on how many agents an organization has, i.e. on the resolution). The structures
component of connectivity is the mean of S over the original clinical partner pairs, an exited
partner's pairs counting 0.

References: Embuldeniya et al. (2018) ("systems, structures, and things coming together"; P2's joint
back office; P4's MOU); MODEL.md "Outcomes".
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import jit


@jit
def codesign(structure, clin_org, participants, active, params):
    """New structure after a co-design workshop with ``participants`` (bool per clinician), between active partners."""
    p = params[0]
    n = structure.shape[0]
    took = np.zeros(n)
    size = np.zeros(n)
    for i in range(participants.size):
        size[clin_org[i]] += 1.0
        if participants[i]:
            took[clin_org[i]] += 1.0
    share = took / np.maximum(size, 1.0)
    out = structure.copy()
    for i in range(n):
        for j in range(n):
            if i != j and active[i] and active[j] and (share[i] > 0 or share[j] > 0):
                g = min(1.0, p.codesign_structure * (share[i] + share[j]) / (2.0 * max(p.workshop_share, 1e-9)))
                out[i, j] = structure[i, j] + g * (1.0 - structure[i, j])
    return out


@jit
def mean_structure(structure, active, original_clinical):
    """Mean S over ordered pairs of original clinical partners (an inactive partner's pairs count 0)."""
    n = structure.shape[0]
    n0 = 0
    for i in range(n):
        n0 += 1 if original_clinical[i] else 0
    if n0 < 2:
        return 0.0
    kept = original_clinical & active
    s0 = s1 = s2 = s3 = 0.0  # four partial sums, j into sum j mod 4 (as outcomes._sum_and_min_at)
    for i in range(n):
        if kept[i]:
            j = 0
            while j + 4 <= n:
                s0 += structure[i, j] if kept[j] and j != i else 0.0
                s1 += structure[i, j + 1] if kept[j + 1] and j + 1 != i else 0.0
                s2 += structure[i, j + 2] if kept[j + 2] and j + 2 != i else 0.0
                s3 += structure[i, j + 3] if kept[j + 3] and j + 3 != i else 0.0
                j += 4
            for r in range(j, n):
                s0 += structure[i, r] if kept[r] and r != i else 0.0
    return ((s0 + s1) + (s2 + s3)) / (n0 * (n0 - 1))
