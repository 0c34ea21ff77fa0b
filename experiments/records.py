"""A run's tables as plain arrays (what a worker sends), and one long table per chunk (what the runner writes).

A worker turns each table of a run (the step table, the milestone table) into :class:`Columns`: the
column names and the columns grouped by dtype into 2-D arrays, one row per column. A run then crosses
the process boundary as a few arrays instead of a pickled DataFrame, and the model need not build a
DataFrame at all (:attr:`abm.run.RunResult.step_columns`). The runner concatenates a chunk's runs
column by column into one Arrow table (:func:`long_table`): the table, schema and pandas metadata that
``pd.concat`` of the runs' DataFrames followed by ``DataFrame.to_parquet`` gives, without building the
DataFrame. A table that plain arrays cannot hold unchanged (an extension dtype such as pandas'
``string``, non-text or repeated column names) travels as its DataFrame; a chunk holding one, or whose
columns Arrow would store other than as numbers and text (an all-missing text column, dates), is
assembled as a DataFrame by concatenating the runs' DataFrames, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa


@dataclass(frozen=True)
class Columns:
    """A table as plain numpy data: ``names`` in order; ``blocks`` holds (positions in ``names``, 2-D array
    with one row per column of that dtype)."""

    names: tuple[str, ...]
    blocks: tuple[tuple[tuple[int, ...], np.ndarray], ...]
    n_rows: int

    @classmethod
    def from_arrays(cls, columns: Mapping[str, Any]) -> Columns:
        """From 1-D columns of equal length by name (numpy arrays, or sequences numpy turns into 1-D arrays)."""
        names = tuple(columns)
        arrays = [np.asarray(a) for a in columns.values()]
        n = len(arrays[0]) if arrays else 0
        for name, a in zip(names, arrays, strict=True):
            if a.ndim != 1 or len(a) != n:
                raise ValueError(f"column {name!r}: expected a 1-D column of {n} values, got shape {a.shape}")
        groups: dict[np.dtype, list[int]] = {}
        for i, a in enumerate(arrays):
            groups.setdefault(a.dtype, []).append(i)
        blocks = []
        for dtype, idx in groups.items():
            block = np.empty((len(idx), n), dtype)
            for row, i in enumerate(idx):
                block[row] = arrays[i]
            blocks.append((tuple(idx), block))
        return cls(names, tuple(blocks), n)

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> Columns | pd.DataFrame:
        """The frame's columns (its index is dropped, as the stored tables drop it); the frame itself if plain
        arrays cannot hold it unchanged."""
        names = list(df.columns)
        plain = all(isinstance(c, str) for c in names) and len(set(names)) == len(names)
        if not plain or not all(isinstance(t, np.dtype) for t in df.dtypes):
            return df
        return cls.from_arrays({c: df[c].to_numpy() for c in names})

    @property
    def schema(self) -> tuple[Any, ...]:
        """Names, and the dtype and positions of each block: chunks of runs with equal schemas concatenate column-wise."""
        return self.names, tuple((idx, a.dtype) for idx, a in self.blocks)

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns by name, in order (views into the blocks)."""
        out: dict[int, np.ndarray] = {}
        for idx, a in self.blocks:
            out.update(zip(idx, a, strict=True))
        return {name: out[i] for i, name in enumerate(self.names)}

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (a RangeIndex)."""
        return pd.DataFrame(self.arrays(), columns=list(self.names))


Table = Columns | pd.DataFrame


def select(columns: Mapping[str, Any] | pd.DataFrame, names: Sequence[str]) -> Any:
    """The columns ``names``, in that order (a KeyError names the missing ones, as pandas does)."""
    if isinstance(columns, pd.DataFrame):
        return columns[list(names)]
    missing = [n for n in names if n not in columns]
    if missing:
        raise KeyError(f"{missing} not in index")
    return {n: columns[n] for n in names}


def long_table(ids: Mapping[str, Sequence[Any]], tables: Sequence[Table]) -> pa.Table | pd.DataFrame | None:
    """One table of many runs: ``ids`` (identifying columns, one value per run) repeated over each run's rows, then
    the runs' tables concatenated; None if they have no row.

    The Arrow table that ``pd.concat`` of the runs' DataFrames (``ignore_index=True``) beside the repeated ids, then
    ``DataFrame.to_parquet(index=False)``, would write (values, types, pandas metadata); or that DataFrame itself
    where this cannot be built without it (see the module's docstring).
    """
    lengths = [t.n_rows if isinstance(t, Columns) else len(t) for t in tables]
    if not sum(lengths):
        return None
    first = tables[0]
    same = isinstance(first, Columns) and all(isinstance(t, Columns) and t.schema == first.schema for t in tables)
    if same and not set(first.names) & set(ids):  # type: ignore[union-attr]
        columns: dict[int, np.ndarray] = {}
        for b, (idx, _) in enumerate(first.blocks):  # type: ignore[union-attr]
            block = np.concatenate([t.blocks[b][1] for t in tables], axis=1)  # type: ignore[union-attr]
            columns.update(zip(idx, block, strict=True))
        table = _arrow({k: _repeat(v, lengths) for k, v in ids.items()} | {name: columns[i] for i, name in enumerate(first.names)})  # type: ignore[union-attr]
        if table is not None:
            return table
    rep = {k: np.repeat(list(v), lengths) for k, v in ids.items()}
    body = pd.concat([t.frame() if isinstance(t, Columns) else t for t in tables], ignore_index=True)
    if body.empty:
        return None
    return pd.concat([pd.DataFrame(rep), body.reset_index(drop=True)], axis=1)


def _repeat(values: Sequence[Any], lengths: list[int]) -> np.ndarray | pa.Array:
    """Each run's value repeated over its rows (``np.repeat`` as the DataFrame path does); text as an Arrow string
    array, taken from the distinct values (no Python string per row)."""
    a = np.repeat(list(values), lengths)
    if a.dtype.kind != "U":
        return a
    distinct, codes = np.unique(np.asarray(values, dtype=object), return_inverse=True)
    return pa.array(distinct, type=pa.string()).take(pa.array(np.repeat(codes, lengths)))


_METADATA: dict[tuple[Any, ...], dict[bytes, bytes]] = {}  # (names, dtypes, Arrow types) -> pandas schema metadata


def _arrow(columns: dict[str, np.ndarray | pa.Array]) -> pa.Table | None:
    """The Arrow table ``Table.from_pandas(pd.DataFrame(columns), preserve_index=False)`` gives (NaN stored as null,
    as pandas does; an Arrow string array stands for an object column of text), built column by column; None unless
    every column is numbers, booleans or text."""
    arrays, dtypes = [], []
    for a in columns.values():
        if isinstance(a, pa.Array):  # text (_repeat)
            arrays.append(a)
            dtypes.append(np.dtype(object))
            continue
        if a.dtype.kind not in "biuf" and a.dtype != object:
            return None
        arr = pa.array(a, from_pandas=True)
        if a.dtype == object and arr.type != pa.string():  # all missing (null type), or not all text
            return None
        arrays.append(arr)
        dtypes.append(a.dtype)
    schema = pa.schema([pa.field(name, arr.type) for name, arr in zip(columns, arrays, strict=True)])
    key = (tuple(columns), tuple(dtypes), schema)
    if key not in _METADATA:  # pandas' metadata depends on the column names, dtypes and Arrow types only
        empty = pd.DataFrame({name: np.empty(0, t) for name, t in zip(columns, dtypes, strict=True)})
        _METADATA[key] = pa.Table.from_pandas(empty, schema=schema, preserve_index=False).schema.metadata
    return pa.Table.from_arrays(arrays, schema=schema.with_metadata(_METADATA[key]))
