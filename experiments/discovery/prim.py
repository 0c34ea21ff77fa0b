"""A small PRIM (Friedman & Fisher 1999) for binary scenario discovery, used where EMA Workbench is not installed.

Why our own: EMA Workbench's PRIM (the reference implementation of scenario discovery) needs Python
>= 3.12, so it cannot serve the Python 3.11 end of the supported matrix; the ``prim`` package on PyPI
(1.0.0) is an unmaintained fork of an old EMA release that still calls pandas' ``DataFrame.ix``
(removed in pandas 1.0). This module follows EMA Workbench's conventions so both give the same tables
(:class:`PrimResult`), and is tested against a known box (tests/experiments/test_discovery.py).

Peeling: starting from the box holding every run, each step tries, for every input, removing the
``peel_alpha`` share of the box's runs with the lowest values and with the highest values (numeric
inputs; ties are removed together), or one category (categorical inputs), and keeps the candidate
with the largest gain in the share of runs of interest per run removed (EMA Workbench's default
"lenient1" objective, which unlike the original objective, the share alone, does not favour peeling a
whole category at once; ties: the candidate that removes fewer runs). It stops when no candidate keeps
at least ``mass_min`` of all runs or raises the share, or when the box holds only runs of interest. There is no pasting step. Every box along the way is kept: the
peeling trajectory (coverage, density, mass, restricted dimensions) with its limits and the quasi-p
values of each restriction (Bryant & Lempert 2010: a one-sided binomial test of the box's hits against
the density of the box with that one limit removed), as EMA Workbench computes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

Limit = tuple[float, float] | frozenset  # numeric [lo, hi], or the categories kept


@dataclass
class PrimResult:
    """One PRIM run: the peeling trajectory and, for each of its boxes, the limits and quasi-p values.

    ``trajectory``: one row per box (``id`` 0 = all runs), columns ``id, coverage, density, mass,
    res_dim, n, k`` (``n`` runs in the box, ``k`` of them of interest). ``limits[i]``: input name ->
    :data:`Limit` of box ``i`` for every input; ``qp[i]``: restricted input -> (quasi-p of the lower
    limit, of the upper limit), NaN where that side is not restricted (categorical: the first value).
    """

    method: str
    inputs: list[str]
    initial: dict[str, Limit]
    trajectory: pd.DataFrame
    limits: list[dict[str, Limit]]
    qp: list[dict[str, tuple[float, float]]] = field(default_factory=list)

    def restricted(self, i: int) -> list[str]:
        """The inputs box ``i`` restricts (in input order)."""
        return [u for u in self.inputs if self.limits[i][u] != self.initial[u]]


def _inside(x: pd.DataFrame, limits: dict[str, Limit]) -> np.ndarray:
    keep = np.ones(len(x), bool)
    for u, lim in limits.items():
        col = x[u].to_numpy()
        keep &= np.isin(col, list(lim)) if isinstance(lim, frozenset) else (col >= lim[0]) & (col <= lim[1])
    return keep


def initial_box(x: pd.DataFrame) -> dict[str, Limit]:
    """The box holding every run: [min, max] of numeric inputs, every category of the others."""
    return {u: (float(x[u].min()), float(x[u].max())) if pd.api.types.is_numeric_dtype(x[u])
            else frozenset(x[u].unique()) for u in x.columns}  # fmt: skip


def _candidates(x: pd.DataFrame, box: np.ndarray, limits: dict[str, Limit], alpha: float):
    """(input, new limit, rows kept) for every one-sided peel of every input."""
    for u, lim in limits.items():
        col = x[u].to_numpy()[box]
        idx = np.flatnonzero(box)
        if isinstance(lim, frozenset):
            if len(lim) < 2:
                continue
            for c in sorted(lim, key=str):
                keep = col != c
                yield u, frozenset(lim - {c}), idx[keep]
            continue
        if col.min() == col.max():
            continue
        lo_q, hi_q = np.quantile(col, alpha), np.quantile(col, 1 - alpha)
        keep = col > lo_q if (col <= lo_q).any() and (col > lo_q).any() else col > col.min()
        yield u, (float(col[keep].min()), lim[1]), idx[keep]
        keep = col < hi_q if (col >= hi_q).any() and (col < hi_q).any() else col < col.max()
        yield u, (lim[0], float(col[keep].max())), idx[keep]


def _quasi_p(x: pd.DataFrame, y: np.ndarray, limits: dict[str, Limit], initial: dict[str, Limit],
             restricted: list[str], n: int, k: int) -> dict[str, tuple[float, float]]:  # fmt: skip
    out: dict[str, tuple[float, float]] = {}
    for u in restricted:
        sides: list[Limit] = []
        lim, full = limits[u], initial[u]
        if isinstance(lim, frozenset):
            sides = [full]
        else:
            sides = [(full[0], lim[1]) if lim[0] != full[0] else None, (lim[0], full[1]) if lim[1] != full[1] else None]
        values = []
        for side in sides:
            if side is None:
                values.append(float("nan"))
                continue
            wider = _inside(x, {**limits, u: side})
            p = y[wider].mean()
            values.append(float(binom.sf(k - 1, n, p)))  # P(at least k hits of n at the wider box's density)
        out[u] = (values[0], values[1] if len(values) > 1 else float("nan"))
    return out


def prim(x: pd.DataFrame, y: np.ndarray, peel_alpha: float = 0.05, mass_min: float = 0.05) -> PrimResult:
    """Peel one box for the runs where ``y`` is True (see the module docstring)."""
    y = np.asarray(y, bool)
    x = x.reset_index(drop=True)
    initial = initial_box(x)
    n_all, k_all = len(y), int(y.sum())
    box = np.ones(n_all, bool)
    limits = dict(initial)
    rows: list[dict[str, Any]] = []
    all_limits: list[dict[str, Limit]] = []
    qps: list[dict[str, tuple[float, float]]] = []

    def record() -> None:
        n, k = int(box.sum()), int(y[box].sum())
        restricted = [u for u in x.columns if limits[u] != initial[u]]
        rows.append({"id": len(rows), "coverage": k / max(k_all, 1), "density": k / n, "mass": n / n_all,
                     "res_dim": len(restricted), "n": n, "k": k})  # fmt: skip
        all_limits.append(dict(limits))
        qps.append(_quasi_p(x, y, limits, initial, restricted, n, k))

    record()
    while y[box].mean() < 1:
        best = None
        for u, lim, kept in _candidates(x, box, limits, peel_alpha):
            if kept.size < mass_min * n_all or kept.size == 0:
                continue
            removed = int(box.sum()) - kept.size
            if removed == 0:
                continue
            gain = (y[kept].mean() - y[box].mean()) / removed  # "lenient1": gain in mean per run removed
            score = (gain, kept.size)
            if best is None or score > best[0]:
                best = (score, u, lim, kept)
        if best is None or best[0][0] <= 0:
            break
        _, u, lim, kept = best
        limits[u] = lim
        box = np.zeros(n_all, bool)
        box[kept] = True
        record()
    return PrimResult("PRIM (experiments.discovery.prim)", list(x.columns), initial, pd.DataFrame(rows), all_limits, qps)
