"""Pluggable one-run functions with known posteriors, for tests of the calibration pipeline.

``normal_mean``: one draw y ~ N(theta, SIGMA^2) (``params.theta``; the config is ignored). With a
flat prior on [lo, hi] wide around the data and R replicates averaged, the exact posterior given an
observed mean y0 is N(y0, SIGMA^2 / R) truncated to [lo, hi] (the flat-prior limit of the
normal-normal conjugate pair). ABC with tolerance eps on |ybar - y0| adds about eps^2 / 3 to its variance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.toy import ToyResult

SIGMA = 1.0


def normal_mean(config: Any = None, seed: Any = 0, steps: int | None = None, overrides: dict[str, Any] | None = None) -> ToyResult:
    """y ~ N(theta, SIGMA^2), theta from ``params.theta`` (default 0)."""
    theta = float((overrides or {}).get("params.theta", 0.0))
    y = theta + SIGMA * np.random.default_rng(seed).standard_normal()
    return ToyResult({"y": float(y)})
