"""Functions with known sensitivity indices, callable exactly like :func:`abm.run.run_once`.

They let the sensitivity pipeline (spec, executor, storage, analysis) be checked end to end
against analytic answers. Each takes ``(config, seed, steps, overrides)``, reads its inputs from
dotted-key overrides (``{"params.x1": 0.3}``) and returns an object with a ``.summary`` dict.
Each function also declares ``parameters`` (name -> default, lo, hi, type, like
:func:`abm.params.numeric_fields`) and ``outcomes`` so a spec is validated before any run.

References: Ishigami T., Homma T. (1990), An importance quantification technique in uncertainty
analysis for computer models, ISUMA'90, 398-403 (analytic indices as in SALib's test problems).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

PI = math.pi


@dataclass
class TestResult:
    """What a test function returns: only the summary outcomes."""

    summary: dict[str, float]
    seed: Any = None


def _param(default: float, lo: float, hi: float, unit: str = "", description: str = "") -> dict[str, Any]:
    return {"default": default, "lo": lo, "hi": hi, "unit": unit, "description": description, "type": "float"}


def _inputs(fn: Callable[..., Any], overrides: dict[str, Any] | None) -> dict[str, float]:
    """Parameter values: declared defaults, replaced by ``params.<name>`` overrides."""
    values = {k: float(v["default"]) for k, v in fn.parameters.items()}  # type: ignore[attr-defined]
    for key, value in (overrides or {}).items():
        name = key.removeprefix("params.")
        if name not in values:
            raise KeyError(f"{fn.__name__}: unknown parameter {key!r}; expected one of {sorted(values)}")
        values[name] = float(value)
    return values


def ishigami_value(x1: float, x2: float, x3: float, a: float = 7.0, b: float = 0.1) -> float:
    """f(x) = sin x1 + a sin^2 x2 + b x3^4 sin x1."""
    return math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, tuple[float, ...]]:
    """Analytic first-order and total indices and variance of Ishigami on U(-pi, pi)^3."""
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return {"S1": (v1 / var, v2 / var, 0.0), "ST": ((v1 + v13) / var, v2 / var, v13 / var), "var": (var,)}


def ishigami(config: Any = None, seed: Any = 0, steps: int | None = None,
             overrides: dict[str, Any] | None = None) -> TestResult:  # fmt: skip
    """Deterministic Ishigami function; outcomes ``y`` and ``constant`` (always 1, for warnings)."""
    p = _inputs(ishigami, overrides)
    y = ishigami_value(p["x1"], p["x2"], p["x3"], p["a"], p["b"])
    return TestResult({"y": y, "constant": 1.0}, seed)


ishigami.parameters = {  # type: ignore[attr-defined]
    "x1": _param(0.0, -PI, PI, "", "first input"),
    "x2": _param(0.0, -PI, PI, "", "second input"),
    "x3": _param(0.0, -PI, PI, "", "third input"),
    "a": _param(7.0, 0.0, 20.0, "", "Ishigami constant a"),
    "b": _param(0.1, 0.0, 1.0, "", "Ishigami constant b"),
}
ishigami.outcomes = ("y", "constant")  # type: ignore[attr-defined]


def linear_value(x: np.ndarray, coef: np.ndarray) -> float:
    return float(np.dot(coef, x))


def noisy_linear(config: Any = None, seed: Any = 0, steps: int | None = None,
                 overrides: dict[str, Any] | None = None) -> TestResult:  # fmt: skip
    """y = x1 + 2 x2 + 3 x3 + sigma * e, e ~ N(0, 1) drawn from the run's seed; x_i ~ U(0, 1).

    Var of the known part is (1 + 4 + 9) / 12, so the true noise share of Var(y) is
    sigma^2 / (14/12 + sigma^2) (see :func:`noisy_linear_truth`). Outcome ``f`` is the noise-free part.
    """
    p = _inputs(noisy_linear, overrides)
    f = p["x1"] + 2 * p["x2"] + 3 * p["x3"]
    rng = np.random.default_rng(seed)
    return TestResult({"y": f + p["sigma"] * float(rng.standard_normal()), "f": f}, seed)


noisy_linear.parameters = {  # type: ignore[attr-defined]
    "x1": _param(0.5, 0.0, 1.0, "", "input, coefficient 1"),
    "x2": _param(0.5, 0.0, 1.0, "", "input, coefficient 2"),
    "x3": _param(0.5, 0.0, 1.0, "", "input, coefficient 3"),
    "sigma": _param(1.0, 0.0, 10.0, "", "noise standard deviation"),
}
noisy_linear.outcomes = ("y", "f")  # type: ignore[attr-defined]


def noisy_linear_truth(sigma: float) -> dict[str, Any]:
    """True noise share and indices of the replicate-free response (x_i ~ U(0, 1))."""
    coef = np.array([1.0, 2.0, 3.0])
    var_f = float(np.sum(coef**2) / 12)
    return {"noise_share": sigma**2 / (var_f + sigma**2), "var_f": var_f, "S1": tuple(coef**2 / 12 / var_f)}


def ishigami_morris_mu_star(levels: int = 6, a: float = 7.0, b: float = 0.1) -> tuple[float, ...]:
    """Exact Morris mu* of Ishigami on SALib's grid (even ``levels``, step = levels / (2 (levels - 1))).

    Morris' estimand depends on its grid: with a step near half the range, sin^2(x2) (period pi) moves
    little, so for levels >= 6 the exact ranking is x1 > x3 > x2, unlike the total indices (x1 > x2 > x3).
    Computed by enumerating every grid point and elementary step.
    """
    if levels % 2:
        raise ValueError("levels must be even")
    grid = np.linspace(-PI, PI, levels)
    k = levels // 2
    delta = levels / (2 * (levels - 1))
    g1, g2, g3 = np.meshgrid(grid, grid, grid, indexing="ij")
    f = np.sin(g1) + a * np.sin(g2) ** 2 + b * g3**4 * np.sin(g1)
    out = []
    for axis in range(3):
        lo = np.take(f, range(levels - k), axis=axis)
        hi = np.take(f, range(k, levels), axis=axis)
        out.append(float(np.mean(np.abs(hi - lo)) / delta))
    return tuple(out)
