"""Parameter designs: the table of design points (one row per point, one column per parameter).

Grid (full factorial), Latin hypercube (scipy), Sobol/Saltelli and Morris (SALib), or rows given in
a CSV file or inline. Samplers are seeded, so one spec always gives the same design.

References: Saltelli et al. (2010) Comput Phys Commun 181:259-270; Morris (1991) Technometrics 33:161.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.config import Scenario
from abm.params import Params
from experiments.spec import CsvDesign, GridDesign, NoDesign, RowsDesign, SampledDesign, SpecError

TOP_LEVEL = frozenset(Scenario.model_fields)


def override_key(name: str) -> str:
    """Spec parameter name -> dotted override key ('mu' -> 'params.mu'; 'organizations[0].size' stays)."""
    return name if re.split(r"[.\[]", name, maxsplit=1)[0] in TOP_LEVEL else f"params.{name}"


def column_name(name: str) -> str:
    """Spec parameter name -> its column in results ('params.mu' and 'mu' -> 'param.mu')."""
    key = override_key(name)
    return "param." + key.removeprefix("params.")


def _integer_fields() -> set[str]:
    return {n for n, f in Params.model_fields.items() if f.annotation is int}


def _is_integer_param(name: str) -> bool:
    key = override_key(name)
    return key.startswith("params.") and key.removeprefix("params.") in _integer_fields()


def _fractional(v: Any) -> bool:
    """A number with a fractional part (or not finite): never a valid value of an integer parameter."""
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        return False  # not a number: the scenario schema reports it
    return not float(v).is_integer()


def _integer_error(source: str, field: str, name: str, got: Any) -> SpecError:
    return SpecError(f"{source}: {field}: {name} is an integer parameter; got {got!r} (values are never rounded)")


def check_integers(design: Any, df: pd.DataFrame, source: str) -> None:
    """Non-integer values of integer parameters are errors, never rounded silently (samplers excepted)."""
    if isinstance(design, GridDesign):
        for name, values in design.parameters.items():
            bad = [v for v in values if _fractional(v)]
            if _is_integer_param(name) and bad:
                raise _integer_error(source, f"design.parameters.{name}", name, bad[0])
    elif isinstance(design, SampledDesign):
        for name, (lo, hi) in design.parameters.items():
            if _is_integer_param(name) and (_fractional(lo) or _fractional(hi)):
                raise SpecError(f"{source}: design.parameters.{name}: {name} is an integer parameter; "
                                f"expected integer bounds, got [{lo:g}, {hi:g}]")  # fmt: skip
    elif isinstance(design, CsvDesign | RowsDesign):
        for col in df.columns:
            name = col.removeprefix("param.")
            if not _is_integer_param(name):
                continue
            rows = [i for i, v in enumerate(df[col]) if _fractional(v)]
            if rows:
                i = rows[0]
                field = f"design.path: row {i + 1}, column {name}" if isinstance(design, CsvDesign) else f"design.rows.{i}.{name}"
                raise _integer_error(source, field, name, _plain(df[col].iat[i]))


def _round_integers(df: pd.DataFrame) -> pd.DataFrame:
    ints = _integer_fields()
    for col in df.columns:
        key = override_key(col.removeprefix("param."))
        if key.startswith("params.") and key.removeprefix("params.") in ints and df[col].dtype.kind == "f":
            df[col] = np.rint(df[col]).astype("int64")
    return df


def _sampled(d: SampledDesign, seed: int) -> np.ndarray:
    names = list(d.parameters)
    bounds = [list(d.parameters[n]) for n in names]
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    if d.type == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(d.samples)
        lo, hi = np.array(bounds).T
        return qmc.scale(unit, lo, hi)
    if d.type == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, d.samples, num_levels=d.levels, seed=seed)


def build_design(design: Any, master_seed: int, base_dir: Path, source: str = "<spec>") -> pd.DataFrame:
    """The design table: columns ``param.<name>``, one row per design point (never empty)."""
    if isinstance(design, NoDesign):
        return pd.DataFrame(index=pd.RangeIndex(1))
    if isinstance(design, GridDesign):
        names = list(design.parameters)
        rows = list(itertools.product(*(design.parameters[n] for n in names)))
        df = pd.DataFrame(rows, columns=[column_name(n) for n in names])
    elif isinstance(design, SampledDesign):
        values = _sampled(design, master_seed if design.seed is None else design.seed)
        df = pd.DataFrame(values, columns=[column_name(n) for n in design.parameters])
    elif isinstance(design, CsvDesign):
        path = Path(design.path)
        path = path if path.is_absolute() or path.exists() else base_dir / path
        try:
            df = pd.read_csv(path)
        except (OSError, pd.errors.EmptyDataError, pd.errors.ParserError) as e:
            raise SpecError(f"{source}: design.path: cannot read design CSV {str(path)!r} ({e})") from None
        if df.empty or not len(df.columns):
            raise SpecError(f"{source}: design.path: the design CSV {str(path)!r} has no rows; expected at least one")
        df.columns = [column_name(str(c)) for c in df.columns]
    elif isinstance(design, RowsDesign):
        df = pd.DataFrame(design.rows)
        df.columns = [column_name(str(c)) for c in df.columns]
    else:  # pragma: no cover - the schema admits no other type
        raise SpecError(f"{source}: design.type: unknown design {design!r}")
    if df.columns.duplicated().any():
        dup = sorted(set(df.columns[df.columns.duplicated()]))
        raise SpecError(f"{source}: design.parameters: the same parameter is named twice ({', '.join(dup)})")
    if df.isna().any().any():
        raise SpecError(f"{source}: design: missing values in the design rows; expected every parameter in every row")
    check_integers(design, df, source)
    return _round_integers(df.reset_index(drop=True))


def point_overrides(row: dict[str, Any]) -> dict[str, Any]:
    """A design row (``param.<name>`` -> value) as dotted-key overrides."""
    return {override_key(col.removeprefix("param.")): _plain(v) for col, v in row.items()}


def _plain(v: Any) -> Any:
    """numpy scalars -> Python scalars (pydantic and JSON want plain values)."""
    return v.item() if isinstance(v, np.generic) else v
