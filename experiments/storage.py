"""Crash-safe streaming storage of a batch's results (layout: docs/RESULTS-FORMAT.md).

Completed runs are buffered and written in Parquet chunks; every file is written under a temporary
name, fsynced and renamed, so a visible file is always complete. Chunk K is written steps, milestones,
then summary: a run is completed iff its run_id is in ``summary/``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from experiments.plan import Plan
from experiments.worker import Outcome

TABLES = ("summary", "steps", "milestones", "failures")
ID_COLUMNS = ("run_id", "scenario", "intervention", "point", "replicate")
FORMAT_VERSION = 1


class StoreError(OSError):
    """The results directory cannot be used (not writable, or holds another spec's results)."""


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary sibling, fsync it, and rename it to ``path``."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_json(path: Path, obj: Any) -> None:
    atomic_write(path, lambda p: p.write_text(json.dumps(obj, indent=2, default=str)))


def read_manifest(out: str | Path) -> dict[str, Any] | None:
    p = Path(out) / "manifest.json"
    if not p.exists():
        return None
    return json.loads(p.read_text())


def parts(out: Path, table: str) -> list[Path]:
    return sorted((out / table).glob("part-*.parquet"))


def _chunk_no(p: Path) -> int:
    return int(p.stem.split("-")[1])


def check_writable(out: Path) -> None:
    """Create ``out`` and prove a file can be written there (raises :class:`StoreError`)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".probe.", dir=out)
        os.close(fd)
        os.unlink(name)
    except OSError as e:
        raise StoreError(f"{out}: results directory is not writable ({e.strerror or e})") from None


class ResultsStore:
    """A results directory opened for (re)writing by one runner."""

    def __init__(self, out: str | Path, plan: Plan, flush_runs: int = 200, flush_seconds: float = 20.0) -> None:
        self.out = Path(out)
        self.plan = plan
        self.flush_runs = flush_runs
        self.flush_seconds = flush_seconds
        self._buf: list[Outcome] = []
        self._last_flush = time.monotonic()
        self.chunk = 0
        self.written_ok = 0  # runs written by this store (this session)
        self.written_failed = 0

    # --- opening and resume
    def check(self, kind: str) -> dict[str, Any] | None:
        """Check the directory; return the previous manifest if this is a resume of the same spec."""
        check_writable(self.out)
        old = read_manifest(self.out)
        if old is None:
            stray = [p.name for p in self.out.iterdir()
                     if not p.name.startswith(".") and not (p.name in (*TABLES, "analysis") and not parts(self.out, p.name))]  # fmt: skip
            if stray:
                raise StoreError(f"{self.out}: not empty and not a results directory (found {', '.join(sorted(stray)[:3])}); choose a new --out")
        elif old.get("spec_hash") != self.plan.spec_hash or old.get("kind") != kind:
            raise StoreError(
                f"{self.out}: holds results of a different spec ({old.get('kind')} {old.get('name')!r}, hash "
                f"{old.get('spec_hash')}; this spec: {kind} {self.plan.spec.name!r}, hash {self.plan.spec_hash}); "
                "results are never mixed: choose another --out"
            )
        return old

    def open(self, kind: str) -> dict[str, Any] | None:
        """:meth:`check`, then clean up after a crash and find the next chunk number."""
        old = self.check(kind)
        for t in TABLES:
            (self.out / t).mkdir(exist_ok=True)
            for tmp in (self.out / t).glob(".*.tmp"):
                tmp.unlink()
        committed = {_chunk_no(p) for p in parts(self.out, "summary")}
        for t in ("steps", "milestones"):  # a crash between a chunk's writes: drop the orphans
            for p in parts(self.out, t):
                if _chunk_no(p) not in committed:
                    p.unlink()
        self.chunk = 1 + max((_chunk_no(p) for t in TABLES for p in parts(self.out, t)), default=-1)
        return old

    def done_ids(self, table: str) -> set[int]:
        ids: set[int] = set()
        for p in parts(self.out, table):
            ids.update(pq.read_table(p, columns=["run_id"]).column("run_id").to_pylist())
        return ids

    # --- streaming
    def add(self, outcome: Outcome) -> None:
        self._buf.append(outcome)
        if len(self._buf) >= self.flush_runs:
            self.flush()

    def maybe_flush(self) -> None:
        """Flush if the oldest buffered run has waited ``flush_seconds`` (a slow sweep still streams)."""
        if self._buf and time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def _ids(self, o: Outcome) -> dict[str, Any]:
        t = o.task
        return {"run_id": t.run_id, "scenario": t.scenario, "intervention": t.intervention,
                "point": t.point, "replicate": t.replicate}  # fmt: skip

    def _seeds_params(self, o: Outcome) -> dict[str, Any]:
        return {"seed_entropy": self.plan.spec.seed, "seed_spawn_key": ",".join(map(str, o.task.spawn_key))} | self.plan.param_values(o.task)

    def _long(self, ok: list[Outcome], attr: str) -> pd.DataFrame | None:
        frames = [(o, getattr(o, attr)) for o in ok if getattr(o, attr) is not None]
        if not frames:
            return None
        body = pd.concat([f for _, f in frames], ignore_index=True)
        lengths = [len(f) for _, f in frames]
        ids = pd.DataFrame({k: np.repeat([self._ids(o)[k] for o, _ in frames], lengths) for k in ID_COLUMNS})
        if body.empty:
            return None
        return pd.concat([ids, body.reset_index(drop=True)], axis=1)

    def _write(self, table: str, df: pd.DataFrame) -> None:
        # an all-missing text column would be stored with Parquet's null type and clash with the
        # string type of other chunks when the folder is read as one dataset
        for col in df.columns[np.array([dt is np.dtype(object) for dt in df.dtypes], bool)]:
            if df[col].isna().all():
                df[col] = df[col].astype("string")
        path = self.out / table / f"part-{self.chunk:06d}.parquet"
        atomic_write(path, lambda p: df.to_parquet(p, index=False, engine="pyarrow"))

    def flush(self) -> None:
        """Write buffered runs as chunk K (steps, milestones, summary, failures), then clear.

        If interrupted, the buffer is kept and a second call rewrites the same chunk K.
        """
        self._last_flush = time.monotonic()
        if not self._buf:
            return
        buf = sorted(self._buf, key=lambda o: o.task.run_id)
        ok = [o for o in buf if o.ok]
        bad = [o for o in buf if not o.ok]
        if ok:
            for attr in ("steps", "milestones"):
                df = self._long(ok, attr)
                if df is not None:
                    self._write(attr, df)
            rows = [self._ids(o) | self._seeds_params(o) | o.summary for o in ok]
            self._write("summary", pd.DataFrame(rows))
        if bad:
            rows = [
                self._ids(o) | self._seeds_params(o)
                | {"error_type": o.error_type, "error": o.error, "traceback": o.traceback, "attempts": o.attempts}
                for o in bad
            ]  # fmt: skip
            self._write("failures", pd.DataFrame(rows))
        self.chunk += 1
        self._buf = []
        self.written_ok += len(ok)
        self.written_failed += len(bad)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(self.out / "manifest.json", manifest)
