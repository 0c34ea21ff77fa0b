"""Data-sharing links (ODD process 7): formed by pairs that work together and trust each other, lost when trust collapses.

Levels: 0 none, 1 phone/fax/e-mail, 2 secure messaging or portal, 3 shared record or real-time
dashboard. Links are symmetric; per step and unordered pair {i, j} of active partners, one uniform
draw u decides:

* up one level if the pair worked together (any contact within ``contact_window`` steps), both
  have slack resources >= ``min_resources``, mutual trust min(T[i, j], T[j, i]) > ``link_trust_gate``,
  the level is below 3 and u < q_ij, with
      q_ij = link_upgrade x (1 if same IT system else different_it_factor)
             x clip(1 - privacy_mismatch_factor |privacy_i - privacy_j|, 0, 1);
* down one level if mutual trust < ``link_collapse_trust``, the level is above 0 and u < ``link_decay``.

A pair with an inactive partner has no link. Reduction (``link_formation: fixed``): every active
pair below level 3 goes up with probability ``link_upgrade`` per step, nothing else (Gilbert's G(n, p)).

References: Embuldeniya et al. (2018), "Sharing Information" (different IT systems, privacy
interpretations, P6 dashboard); MODEL.md process 7.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import as_generator, jit, skip


@jit
def upgrade_probability(it_system, privacy, params):
    """q_ij: per-step chance that an eligible pair upgrades its link (fixed during a run)."""
    p = params[0]
    n = it_system.size
    q = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            it = 1.0 if it_system[i] == it_system[j] else p.different_it_factor
            q[i, j] = p.link_upgrade * it * min(max(1.0 - p.privacy_mismatch_factor * abs(privacy[i] - privacy[j]), 0.0), 1.0)
    return q


@jit
def update_links(gen, level, trust, last_contact, step, resources, active, q, params):
    """New symmetric level matrix (module docstring): one uniform draw per ordered pair, in row-major order (the
    draws of ``random(n * n)``), the upper triangle's decide. A pair that can move reads its draw; the
    others' are skipped (:func:`~abm.mechanisms._numba.skip`), not drawn."""
    p = params[0]
    n = level.shape[0]
    rng = as_generator(gen)
    new = np.zeros((n, n), np.int8)
    drawn = 0  # pairs (row-major) whose draws are behind the generator (as in trust.update)
    for i in range(n):
        for j in range(n):
            if j <= i or not (active[i] and active[j]):
                continue
            lv = level[i, j]
            mutual = min(trust[i, j], trust[j, i])
            worked = step - last_contact[i, j] <= p.contact_window
            resourced = resources[i] >= p.min_resources and resources[j] >= p.min_resources
            up = worked and resourced and mutual > p.link_trust_gate and lv < 3
            down = mutual < p.link_collapse_trust and lv > 0
            delta = 0
            if up or down:
                skip(gen, i * n + j - drawn)  # the draws of the pairs since the last one read
                drawn = i * n + j + 1
                u = rng.random()
                delta = (1 if up and u < q[i, j] else 0) - (1 if down and u < p.link_decay else 0)
            new[i, j] = lv + delta
            new[j, i] = new[i, j]
    skip(gen, n * n - drawn)
    return new


@jit
def random_links(gen, level, active, q):
    """Reduction: every active pair below level 3 goes up one level with probability ``q`` (one draw per ordered pair)."""
    n = level.shape[0]
    u = as_generator(gen).random(n * n)
    new = np.zeros((n, n), np.int8)
    for i in range(n):
        for j in range(i + 1, n):
            if active[i] and active[j]:
                lv = level[i, j]
                new[i, j] = lv + 1 if lv < 3 and u[i * n + j] < q else lv
                new[j, i] = new[i, j]
    return new
