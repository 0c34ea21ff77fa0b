"""Partner exit: while perceived benefit is below a threshold, leave with a per-step hazard.

A hazard (not a fixed countdown) spreads exits over time; P1's small partner left
"approximately a year later".

References: Embuldeniya et al. (2018), P1; MODEL.md process 9.
"""

from __future__ import annotations

import numpy as np


def perceived_benefit(mean_engagement: np.ndarray, trust_in_partners: np.ndarray, burden: np.ndarray) -> np.ndarray:
    """Benefit = engagement x trust toward partners - burden."""
    return mean_engagement * trust_in_partners - burden


def leavers(rng: np.random.Generator, benefit: np.ndarray, active: np.ndarray, threshold: float, hazard: float) -> np.ndarray:
    """Bool mask of active organizations that leave this step."""
    return active & (benefit < threshold) & (rng.random(benefit.size) < hazard)
