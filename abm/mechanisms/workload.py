"""Workload and resources (ODD process 8): participation costs weigh more on small organizations.

Program activity A_o is smoothed over steps (share ``ACTIVITY_SMOOTHING`` per step) from this step's
activities: taking part at all (1), meetings attended, workshops, shadowing visits made, and 0.25
per link of level >= 2 with an active partner (links to maintain). Then, for an active organization
of S_o staff with slack resources R_o that received P_o patients:

    load     = base_workload + fixed_cost A_o (100 / S_o) + patient_cost (B / 60) P_o / S_o
    overload = max(0, load / (1 + slack_capacity R_o) - 1)

Fixed costs are in "capacity at a 100-staff organization", so their cost per staff scales as 1/S.
A patient received stays in the receiver's care for the program's bundle of B days
(``program.bundle_days``): ``patient_cost`` is the cost of a 60-day bundle patient
(``REFERENCE_BUNDLE_DAYS``), and a longer bundle costs proportionally more (P1's 104-day stroke bundle).
With the burden switched off, overload stays 0.

References: Embuldeniya et al. (2018), P1's small partner ("something has to give ... we're not
robots"), P4's uneven resources; MODEL.md process 8.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import jit

ACTIVITY_SMOOTHING = 0.1  # exponential smoothing of program activities per step
REFERENCE_BUNDLE_DAYS = 60.0  # bundle length at which a patient received costs ``patient_cost``


@jit
def overload(load, resources, p):
    """max(0, load / capacity - 1), capacity = 1 + slack_capacity x resources."""
    return max(0.0, load / (1.0 + p.slack_capacity * resources) - 1.0)


@jit
def update(activity, step_activity, level, active, size, resources, receiver_org, bundle_days, burden, params):
    """New (smoothed activity, overload) per organization; overload is 0 for inactive partners or without burden."""
    p = params[0]
    n = activity.size
    received = np.zeros(n, np.int64)
    for r in receiver_org:
        received[r] += 1
    new_act = np.empty(n)
    over = np.zeros(n)
    for o in range(n):
        links = 0
        for j in range(n):
            links += (level[o, j] >= 2) & active[j]  # (& and a sum: no branch)
        new_act[o] = (1.0 - ACTIVITY_SMOOTHING) * activity[o] + ACTIVITY_SMOOTHING * (step_activity[o] + (1.0 + 0.25 * links))
        if burden and active[o]:
            load = p.base_workload + p.fixed_cost * new_act[o] * (100.0 / size[o]) + p.patient_cost * (bundle_days / REFERENCE_BUNDLE_DAYS) * received[o] / size[o]
            over[o] = overload(load, resources[o], p)
    return new_act, over
