"""Partner exit (ODD process 9): while perceived benefit is below a threshold, leave with a per-step hazard.

Perceived benefit of organization o: B_o = E_o x T_o - O_o, with E_o its clinicians' mean
engagement, T_o its mean trust toward the other active partners and O_o its overload. An active
organization with B_o < ``exit_threshold`` leaves with probability ``exit_hazard`` per step. A hazard
(not a countdown) spreads exits over time: P1's small partner left "approximately a year later".
An organization that leaves (:func:`remove`; also a milestone's ``leave``) ends its links and shared structures.

References: Embuldeniya et al. (2018), P1; MODEL.md process 9.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import as_generator, jit, mean_by_org


@jit
def perceived_benefit(clin_org, engagement, trust, active, overload):
    """B_o = mean engagement x mean trust toward the other active partners - overload."""
    n = active.size
    n_clin = np.bincount(clin_org, minlength=n)
    mean_e = mean_by_org(engagement, clin_org, n_clin)
    n_active = np.count_nonzero(active)
    out = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(n):
            if active[j] and i != j:
                s += trust[i, j]
        others = n_active - (1 if active[i] else 0)
        e = mean_e[i] if n_clin[i] else 0.0  # (no clinicians: absorbed in a merger)
        out[i] = e * (s / max(others, 1)) - overload[i]
    return out


@jit
def leavers(gen, clin_org, engagement, trust, active, overload, params):
    """Bool mask of the active organizations that leave this step (one uniform draw per organization)."""
    p = params[0]
    benefit = perceived_benefit(clin_org, engagement, trust, active, overload)
    u = as_generator(gen).random(active.size)
    leave = np.empty(active.size, np.bool_)
    for o in range(active.size):
        leave[o] = active[o] and benefit[o] < p.exit_threshold and u[o] < p.exit_hazard
    return leave


@jit
def remove(leave, active, exited_at, data_level, structure, champion, clin_org, step):
    """The active organizations of ``leave`` leave at ``step``: no longer active, ``exited_at`` the step, their links and
    shared structures ended, their champions no longer championing. Returns new (active, exited_at, data_level,
    structure, champion) and the leavers' indices (ascending)."""
    n = active.size
    gone = leave & active
    new_active = active & ~gone
    new_exited = exited_at.copy()
    level = data_level.copy()
    shared = structure.copy()
    for i in range(n):
        if gone[i]:
            new_exited[i] = step
        for j in range(n):
            if gone[i] or gone[j]:
                level[i, j] = 0
                shared[i, j] = 0.0
    return new_active, new_exited, level, shared, champion & ~gone[clin_org], np.flatnonzero(gone)
