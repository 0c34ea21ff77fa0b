"""Crash-safe streaming storage of a batch's results (layout: docs/RESULTS-FORMAT.md).

Completed runs are buffered and written in Parquet chunks; every file is written under a temporary
name, fsynced and renamed, so a visible file is always complete. Chunk K is written steps, milestones,
then summary: a run is completed iff its run_id is in ``summary/``.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.plan import Plan
from experiments.records import long_table
from experiments.worker import Outcome

TABLES = ("summary", "steps", "milestones", "failures")
ID_COLUMNS = ("run_id", "scenario", "intervention", "point", "replicate")
FORMAT_VERSION = 1


class StoreError(OSError):
    """The results directory cannot be used (not writable, or holds another spec's results)."""


LOCK = ".lock"  # held (flock) by the runner writing a directory; a stale "running" manifest has no holder


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask would, process-wide and racily)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):  # pragma: no cover - not Linux
        pass
    mask = os.umask(0o022)  # pragma: no cover
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


FILE_MODE = 0o666 & ~_umask()  # what open() would give: mkstemp's 0600 would hide results from co-workers


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
        os.chmod(tmp, FILE_MODE)
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


def read_table(path: str | Path, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file, read into memory and decoded on the calling thread.

    Arrow's thread pools are kept out: a pool thread still finishing when the interpreter exits aborts
    the process ("terminate called without an active exception", apache/arrow#34314) after all its
    work is done. ``pd.read_parquet`` aborted 3 of 80 scripts that only read a results directory, on a
    loaded machine; this reader starts no thread.
    """
    with pq.ParquetFile(pa.BufferReader(Path(path).read_bytes())) as f:
        return f.read(columns=columns, use_threads=False, use_pandas_metadata=True)


def read_frame(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """One Parquet file as ``pd.read_parquet`` gives it, without Arrow's thread pools (:func:`read_table`)."""
    return read_table(path, columns).to_pandas(use_threads=False)


def parts(out: Path, table: str) -> list[Path]:
    return sorted((out / table).glob("part-*.parquet"))


def _chunk_no(p: Path) -> int:
    return int(p.stem.split("-")[1])


def check_writable(out: Path, create: bool = True) -> None:
    """Create ``out`` and prove a file can be written there (raises :class:`StoreError`).

    With ``create=False`` a missing ``out`` is not created: its nearest existing ancestor must be a
    writable directory (so that an input error found later leaves nothing behind).
    """
    if not create and not out.exists():
        parent = out.absolute().parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise StoreError(f"{out}: results directory is not writable (cannot be created: {parent} is not a writable directory)")
        return
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
        self._lock: int | None = None

    # --- opening and resume
    def check(self, kind: str, create: bool = False) -> dict[str, Any] | None:
        """Check the directory; return the previous manifest if this is a resume of the same spec.

        Nothing is created unless ``create`` (the directory is made by :meth:`open`).
        """
        check_writable(self.out, create)
        if not self.out.exists():
            return None
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
        if old is not None and not try_lock(self.out, hold=False):
            raise StoreError(f"{self.out}: another runner is writing to this directory ({_holder(self.out)}); "
                             "wait for it to end or choose another --out")  # fmt: skip
        return old

    def open(self, kind: str) -> dict[str, Any] | None:
        """:meth:`check`, take the directory's lock, clean up after a crash, find the next chunk number.

        A previous session still marked "running" is marked "interrupted" (its runner is gone: it
        would hold the lock). Call :meth:`close` to release the lock.
        """
        old = self.check(kind, create=True)
        self._lock = try_lock(self.out, hold=True)
        if self._lock is None:
            raise StoreError(f"{self.out}: another runner is writing to this directory ({_holder(self.out)}); "
                             "wait for it to end or choose another --out")  # fmt: skip
        if old is not None:
            mark_interrupted(old)
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

    def close(self) -> None:
        """Release the directory's lock."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def failure_attempts(self) -> dict[int, int]:
        """run_id -> attempts so far, over every session's failure records."""
        out: dict[int, int] = {}
        for p in parts(self.out, "failures"):
            t = read_table(p, columns=["run_id", "attempts"]).to_pydict()
            for rid, n in zip(t["run_id"], t["attempts"], strict=True):
                out[rid] = max(out.get(rid, 0), int(n or 1))
        return out

    def done_ids(self, table: str) -> set[int]:
        ids: set[int] = set()
        for p in parts(self.out, table):
            ids.update(read_table(p, columns=["run_id"]).column("run_id").to_pylist())
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

    def _long(self, ok: list[Outcome], attr: str) -> pa.Table | pd.DataFrame | None:
        runs = [o for o in ok if getattr(o, attr) is not None]
        if not runs:
            return None
        ids = {k: [getattr(o.task, k) for o in runs] for k in ID_COLUMNS}
        return long_table(ids, [getattr(o, attr) for o in runs])

    def _write(self, table: str, df: pa.Table | pd.DataFrame) -> None:
        """Write chunk K of ``table``: an Arrow table as it is, a DataFrame as ``to_parquet`` writes it."""
        path = self.out / table / f"part-{self.chunk:06d}.parquet"
        if isinstance(df, pa.Table):  # (what to_parquet would write for the same table: records.long_table)
            atomic_write(path, lambda p: pq.write_table(df, str(p), compression="snappy"))
            return
        # an all-missing text column would be stored with Parquet's null type and clash with the
        # string type of other chunks when the folder is read as one dataset
        for col in df.columns[np.array([dt is np.dtype(object) for dt in df.dtypes], bool)]:
            if df[col].isna().all():
                df[col] = df[col].astype("string")
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


def try_lock(out: Path, hold: bool) -> int | None:
    """Take the directory's lock without waiting: its fd (``hold``) or 1 (released at once); None if held."""
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    if hold:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        return fd
    os.close(fd)
    return 1


def _holder(out: Path) -> str:
    try:
        pid, host = (out / LOCK).read_text().split()
        return f"pid {pid} on {host}"
    except (OSError, ValueError):
        return "unknown process"


def mark_interrupted(manifest: dict[str, Any]) -> bool:
    """Mark sessions (and the status) left "running" by a runner that is gone; True if any was."""
    changed = False
    for s in manifest.get("sessions", []):
        if s.get("status") == "running":
            s["status"] = "interrupted"
            changed = True
    if manifest.get("status") == "running":
        manifest["status"] = "interrupted"
        changed = True
    return changed


def settle_stale(out: str | Path) -> dict[str, Any] | None:
    """The manifest of ``out``, first marked "interrupted" (on disk) if its runner died while "running"."""
    out = Path(out)
    m = read_manifest(out)
    if m is None or m.get("status") != "running" or not os.access(out, os.W_OK):
        return m
    fd = try_lock(out, hold=True)
    if fd is None:  # a runner is alive and writing
        return m
    try:
        m = read_manifest(out) or m
        if mark_interrupted(m):
            write_json(out / "manifest.json", m)
    finally:
        os.close(fd)
    return m
