"""EMA Workbench's PRIM (``ema_workbench.analysis.prim.Prim``), giving the same :class:`PrimResult` as our own.

Used by ``abm discover`` where the ``ema`` extra is installed (Python >= 3.12). Options match
:func:`experiments.discovery.prim.prim`; EMA's defaults otherwise (the "lenient1" objective, pasting).
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pandas as pd

from experiments.discovery.prim import Limit, PrimResult, initial_box


def available() -> bool:
    """Whether EMA Workbench is installed."""
    return importlib.util.find_spec("ema_workbench") is not None


def _limits(frame: pd.DataFrame, initial: dict[str, Limit]) -> dict[str, Limit]:
    out: dict[str, Limit] = {}
    for u, full in initial.items():
        lo, hi = frame[u].iloc[0], frame[u].iloc[1]
        out[u] = frozenset(lo) if isinstance(full, frozenset) else (float(lo), float(hi))
    return out


def prim(x: pd.DataFrame, y: np.ndarray, peel_alpha: float = 0.05, mass_min: float = 0.05) -> PrimResult:
    """One box for the runs where ``y`` is True, found by EMA Workbench's PRIM (peeling and pasting)."""
    with warnings.catch_warnings():  # EMA warns at import about optional parallel back-ends
        warnings.simplefilter("ignore")
        import ema_workbench
        from ema_workbench.analysis import prim as ema

    names = list(x.columns)
    x = x.reset_index(drop=True).set_axis([f"x{i}" for i in range(len(names))], axis=1)  # EMA drops a column named "scenario"
    for u in x.columns:  # EMA peels float, int and categorical columns; bools are categories
        if not pd.api.types.is_numeric_dtype(x[u]) or pd.api.types.is_bool_dtype(x[u]):
            x[u] = x[u].astype(str).astype("category")
    initial = initial_box(x)
    box = ema.Prim(x, np.asarray(y, bool), peel_alpha=peel_alpha, mass_min=mass_min).find_box()
    pt = box.peeling_trajectory
    trajectory = pd.DataFrame({
        "id": pt["id"].astype(int), "coverage": pt["coverage"].astype(float), "density": pt["density"].astype(float),
        "mass": pt["mass"].astype(float), "res_dim": pt["res_dim"].astype(int), "n": pt["n"].astype(int),
        "k": pt["k"].astype(int),
    })  # fmt: skip
    name = dict(zip(x.columns, names, strict=True))
    limits = [{name[u]: v for u, v in _limits(b, initial).items()} for b in box.box_lims]
    qp = [{name[u]: tuple(np.nan if v == -1 else float(v) for v in (list(vals) + [-1])[:2]) for u, vals in p.items()}
          for p in box.p_values]  # fmt: skip
    initial = {name[u]: v for u, v in initial.items()}
    return PrimResult(f"PRIM (EMA Workbench {ema_workbench.__version__})", names, initial, trajectory, limits, qp)
