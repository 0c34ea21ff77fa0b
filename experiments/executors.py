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
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import spawn
from typing import Any

from abm.interrupts import interrupts_after, sigint_ignored
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
            self.executor = local_pool(self.workers)

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
    from multiprocessing import forkserver, popen_forkserver

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


class _Pool(ProcessPoolExecutor):
    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        # A submit may start a worker, which waits for the server to finish its imports. Ctrl-C then waits for
        # the submit (interrupts_after): cut short, the request would still be served later, by a worker the pool
        # never recorded (so shutdown would not wait for it), after the caller and its semaphores are gone; that
        # worker would print its traceback after the caller's one-line message.
        with interrupts_after():
            return super().submit(fn, *args, **kwargs)


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A local process pool: its workers fork from one server that already imported the model and loaded its
    compiled kernels (:mod:`experiments.preload`), and they ignore Ctrl-C from birth (the caller handles it).

    forkserver is safe with a progress bar's thread (fork is not), and starting or restarting a pool is
    cheap. The pool names its start method: the process's default is not ours to rely on (importing Mesa
    3.3.1 makes it ``spawn``, whose workers each import the model again). Workers die with the runner
    (:func:`~experiments.worker.worker_init`), and the server follows once its workers are gone.
    """
    if isinstance(_CONTEXT, multiprocessing.context.ForkServerContext):
        _CONTEXT.set_forkserver_preload(["experiments.worker", "abm.run", "experiments.preload"])
        # The server, and every worker it forks, inherits Ctrl-C ignored: a Ctrl-C during its seconds of imports
        # would otherwise print its own traceback beside the caller's one-line message.
        with sigint_ignored():
            forkserver.ensure_running()
    return _Pool(max_workers=workers, mp_context=_CONTEXT, initializer=worker_init)


def make_executor(cfg: LocalExecutor | DaskExecutor | None = None) -> ExecutorHandle:
    """Start the executor a spec (or the caller) asks for; raises :class:`ExecutorError`."""
    cfg = cfg or LocalExecutor()
    if isinstance(cfg, LocalExecutor):
        n = cfg.workers or default_workers()
        return ExecutorHandle("local", n, local_pool(n))
    from distributed import Client

    try:
        client = Client(cfg.address, timeout=cfg.timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:  # nothing has been written yet
        raise ExecutorError(f"cannot connect to the Dask scheduler at {cfg.address!r} ({type(e).__name__}: {e})") from None
    n = max(1, sum(client.nthreads().values()))
    return ExecutorHandle("dask", n, client.get_executor(pure=False), cfg.address, client)
