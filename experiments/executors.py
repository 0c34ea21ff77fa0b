"""Executors behind one ``concurrent.futures.Executor`` interface: a local process pool or Dask.

``make_executor`` returns an :class:`ExecutorHandle` whose ``executor`` is a
``concurrent.futures.Executor`` (``ProcessPoolExecutor``, or Dask's ``ClientExecutor`` over a
``distributed.Client``). A local pool broken by a dying worker can be rebuilt with ``restart()``.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from experiments.spec import DaskExecutor, LocalExecutor
from experiments.worker import ignore_sigint


class ExecutorError(ValueError):
    """The executor cannot be started (e.g. an unreachable Dask scheduler)."""


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass
class ExecutorHandle:
    """An executor, how many tasks it runs at once, and how to rebuild or close it."""

    kind: str
    workers: int
    executor: Executor
    address: str | None = None
    _client: Any = field(default=None, repr=False)

    def restart(self) -> None:
        """Replace a broken local pool by a fresh one (Dask replaces dead workers itself)."""
        if self.kind == "local":
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = _pool(self.workers)

    def close(self, cancel: bool = False) -> None:
        if self._client is not None:  # Dask: cancel what is left of ours, leave the cluster running
            self.executor.shutdown(wait=not cancel)
            self._client.close()
        else:
            self.executor.shutdown(wait=not cancel, cancel_futures=cancel)


def _pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: safe with the progress bar's thread (fork is not), and workers fork from a server that
    # already imported the model, so starting or restarting a pool is cheap.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["experiments.worker", "abm.run"])
    else:  # pragma: no cover - Windows, macOS without forkserver
        ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=ignore_sigint)


def make_executor(cfg: LocalExecutor | DaskExecutor | None = None) -> ExecutorHandle:
    """Start the executor a spec (or the caller) asks for; raises :class:`ExecutorError`."""
    cfg = cfg or LocalExecutor()
    if isinstance(cfg, LocalExecutor):
        n = cfg.workers or default_workers()
        return ExecutorHandle("local", n, _pool(n))
    from distributed import Client

    try:
        client = Client(cfg.address, timeout=cfg.timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ExecutorError(f"cannot connect to the Dask scheduler at {cfg.address!r} ({type(e).__name__}: {e})") from None
    n = max(1, sum(client.nthreads().values()))
    return ExecutorHandle("dask", n, client.get_executor(pure=False), cfg.address, client)
