"""Stand-in one-run functions with ``run_once``'s signature, for tests and benchmarks of the machinery.

``cheap_run`` costs microseconds (machinery overhead and memory benchmarks); ``flaky_run`` is the
real model but raises for ``params.mu`` above :data:`FAIL_ABOVE`; ``dying_run`` kills its own worker
process for ``params.mu`` above :data:`FAIL_ABOVE` (a worker lost to the OOM killer);
``planted_box_run`` succeeds mostly inside :data:`PLANTED_BOX` (a known answer for scenario discovery).
"""

from __future__ import annotations

import math
import os
import signal
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

FAIL_ABOVE = 0.45
# planted_box_run: success is likely (95%) inside this box of two parameters, unlikely (5%) outside
PLANTED_BOX = {"params.catchment": (0.6, 1.0), "params.warm_handoff_share": (0.0, 0.4)}


@dataclass
class ToyResult:
    """Any object with a ``.summary`` dict (and optional ``.steps``/``.milestones``) will do."""

    summary: dict[str, float]
    steps: pd.DataFrame | None = None
    milestones: pd.DataFrame | None = field(default=None)


def cheap_run(config: Any = None, seed: Any = 0, steps: int | None = None, overrides: dict[str, Any] | None = None) -> ToyResult:
    """A random walk of ``steps`` (default 10) steps: the cheapest honest model."""
    rng = np.random.default_rng(seed)
    n = 10 if steps is None else steps
    mu = float((overrides or {}).get("params.mu", 0.3))
    walk = np.concatenate([[0.0], np.cumsum(rng.normal(mu, 1.0, n))])
    table = pd.DataFrame({"step": np.arange(n + 1), "integration": 1 / (1 + np.exp(-walk)),
                          "consensus": rng.random(n + 1), "connectivity": rng.random(n + 1)})  # fmt: skip
    return ToyResult({"final_walk": float(walk[-1]), "max_walk": float(walk.max())}, table)


def _mu(config: Any, overrides: dict[str, Any] | None) -> float:
    if overrides and "params.mu" in overrides:
        return float(overrides["params.mu"])
    return float(getattr(getattr(config, "params", None), "mu", 0.3))


def flaky_run(config: Any = None, seed: Any = 0, steps: int | None = None, overrides: dict[str, Any] | None = None) -> Any:
    """The real model, except that it raises for ``params.mu > FAIL_ABOVE``."""
    from abm.run import run_once

    if _mu(config, overrides) > FAIL_ABOVE:
        raise ValueError(f"flaky_run: refusing mu={_mu(config, overrides)} > {FAIL_ABOVE}")
    return run_once(config, seed=seed, steps=steps, overrides=overrides)


def dying_run(config: Any = None, seed: Any = 0, steps: int | None = None, overrides: dict[str, Any] | None = None) -> Any:
    """The cheap model, except that the worker process dies (SIGKILL) for ``params.mu > FAIL_ABOVE``."""
    if _mu(config, overrides) > FAIL_ABOVE:
        os.kill(os.getpid(), signal.SIGKILL)
    return cheap_run(config, seed, steps, overrides)


def planted_box_run(config: Any = None, seed: Any = 0, steps: int | None = None,
                    overrides: dict[str, Any] | None = None) -> ToyResult:  # fmt: skip
    """``success`` is 1 with probability 0.95 inside :data:`PLANTED_BOX` and 0.05 outside (the run's seed draws it)."""
    o = overrides or {}
    inside = all(lo <= float(o.get(k, math.nan)) <= hi for k, (lo, hi) in PLANTED_BOX.items())
    rng = np.random.default_rng(seed)
    success = rng.random() < (0.95 if inside else 0.05)
    return ToyResult({"success": float(success), "noise": float(rng.normal())})
