"""Executors behind one ``concurrent.futures.Executor`` interface: a local process pool or Dask.

``make_executor`` returns an :class:`ExecutorHandle` whose ``executor`` is a
``concurrent.futures.Executor`` (``ProcessPoolExecutor``, or Dask's ``ClientExecutor`` over a
``distributed.Client``). A local pool broken by a dying worker can be rebuilt with ``restart()``.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import spawn
from typing import Any

from experiments.spec import DaskExecutor, LocalExecutor
from experiments.worker import worker_init


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
    checked: set[str] = field(default_factory=set, repr=False)  # models that passed the preflight

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
            # The pool's manager thread outlives shutdown(wait=False) to close the pool's pipes. CPython 3.11's exit
            # hook wakes every such thread without a lock, so one closing its pipe at that moment makes the exit
            # print an OSError traceback after a clean Ctrl-C. Waiting for it here (the exit hook would wait for it
            # anyway) leaves the exit hook nothing to race with.
            manager = getattr(self.executor, "_executor_manager_thread", None)
            self.executor.shutdown(wait=not cancel, cancel_futures=cancel)
            if manager is not None:
                manager.join()


_LAUNCH = threading.Lock()


def _without_main(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("init_main_from_path", "init_main_from_name")}


if "forkserver" in multiprocessing.get_all_start_methods():
    from multiprocessing import popen_forkserver

    class _NoMainPopen(popen_forkserver.Popen):
        """Start a worker without re-running the caller's main script in it.

        multiprocessing re-imports ``__main__`` in every child it starts that way, so a script
        calling ``run_experiment`` without an ``if __name__ == "__main__":`` guard would start a sweep
        inside each worker (which fails). Workers only need ``experiments.worker`` and the model,
        which is named by module, so the main module is left out.
        """

        def _launch(self, process_obj: Any) -> None:
            with _LAUNCH:
                original = spawn.get_preparation_data
                spawn.get_preparation_data = lambda name: _without_main(original(name))
                try:
                    super()._launch(process_obj)
                finally:
                    spawn.get_preparation_data = original

    class _NoMainProcess(multiprocessing.context.ForkServerProcess):
        @staticmethod
        def _Popen(process_obj: Any) -> _NoMainPopen:
            return _NoMainPopen(process_obj)

    class _NoMainContext(multiprocessing.context.ForkServerContext):
        Process = _NoMainProcess

    _CONTEXT: Any = _NoMainContext()
else:  # pragma: no cover - Windows, macOS without forkserver
    _CONTEXT = multiprocessing.get_context("spawn")


def _pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: safe with the progress bar's thread (fork is not), and workers fork from a server that
    # already imported the model and loaded its compiled kernels (experiments.preload), so starting or
    # restarting a pool is cheap. Workers die with the runner (worker_init), and the forkserver follows
    # once its workers are gone.
    if isinstance(_CONTEXT, multiprocessing.context.ForkServerContext):
        _CONTEXT.set_forkserver_preload(["experiments.worker", "abm.run", "experiments.preload"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=_CONTEXT, initializer=worker_init)


def make_executor(cfg: LocalExecutor | DaskExecutor | None = None) -> ExecutorHandle:
    """Start the executor a spec (or the caller) asks for; raises :class:`ExecutorError`."""
    cfg = cfg or LocalExecutor()
    if isinstance(cfg, LocalExecutor):
        n = cfg.workers or default_workers()
        return ExecutorHandle("local", n, _pool(n))
    from distributed import Client

    try:
        client = Client(cfg.address, timeout=cfg.timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:  # nothing has been written yet
        raise ExecutorError(f"cannot connect to the Dask scheduler at {cfg.address!r} ({type(e).__name__}: {e})") from None
    n = max(1, sum(client.nthreads().values()))
    return ExecutorHandle("dask", n, client.get_executor(pure=False), cfg.address, client)
