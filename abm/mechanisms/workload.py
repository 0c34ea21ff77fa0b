"""Workload and resources: participation costs weigh more on small organizations.

Fixed costs of each program activity are in "capacity at a 100-staff organization", so cost per staff
scales as 1/size; patients received cost per staff. Capacity grows with slack resources.

References: Embuldeniya et al. (2018), P1's small partner ("something has to give ... we're not
robots"), P4's uneven resources; MODEL.md process 8.
"""

from __future__ import annotations

import numpy as np


def overload(
    size: np.ndarray,
    resources: np.ndarray,
    activities: np.ndarray,
    patients_received: np.ndarray,
    base_workload: float,
    fixed_cost: float,
    patient_cost: float,
    slack_capacity: float,
) -> np.ndarray:
    """Overload per organization: max(0, workload / capacity - 1)."""
    load = base_workload + fixed_cost * activities * (100.0 / size) + patient_cost * patients_received / size
    capacity = 1.0 + slack_capacity * resources
    return np.maximum(0.0, load / capacity - 1.0)
