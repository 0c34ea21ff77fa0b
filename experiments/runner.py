"""Running a plan: batches submitted to an executor, results streamed to storage as they finish.

At most a few batches per worker are in flight, so memory stays flat in the number of runs. A run
that raises is a failure record; a batch whose worker died is retried once run by run, then each run
that dies again is recorded as failed. Ctrl-C (KeyboardInterrupt) stops cleanly: every completed run
is kept and the directory can be resumed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abm.interrupts import sigint_ignored
from experiments.executors import ExecutorError, ExecutorHandle, make_executor
from experiments.manifest import new_manifest, now, session_entry
from experiments.plan import Plan, RunTask
from experiments.progress import Progress
from experiments.storage import ResultsStore
from experiments.worker import BatchJob, Outcome, ping, preflight, run_batch

COMPLETE = "complete"
COMPLETE_WITH_FAILURES = "complete_with_failures"  # every run has been tried; some failed (see failures/)
CLUSTER_DOCS = "docs/EXPERIMENTS.md, 'Running on a cluster'"


@dataclass
class RunSummary:
    """Counts of one call to :func:`run_plan` (``completed``/``failed`` count the whole directory)."""

    out: Path
    total: int
    completed: int
    failed: int
    skipped: int
    ran: int
    failed_now: int
    interrupted: bool
    elapsed: float

    @property
    def remaining(self) -> int:
        return self.total - self.completed - self.failed

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted and not self.remaining

    @property
    def status(self) -> str:
        """As in the manifest: complete, complete_with_failures, incomplete or interrupted."""
        if self.interrupted:
            return "interrupted"
        if self.remaining:
            return "incomplete"
        return COMPLETE_WITH_FAILURES if self.failed else COMPLETE


def _job_of(plan: Plan) -> dict[str, Any]:
    spec = plan.spec
    return dict(
        model=spec.model, master_seed=spec.seed, steps=spec.steps, keep_steps=spec.outputs.steps,
        keep_milestones=spec.outputs.milestones,
        step_metrics=tuple(spec.outputs.step_metrics) if spec.outputs.step_metrics is not None else None,
    )  # fmt: skip


def _where(handle: ExecutorHandle) -> str:
    return f"Dask workers at {handle.address}" if handle.kind == "dask" else "local worker processes"


def check_workers(handle: ExecutorHandle, plan: Plan, timeout: float | None = None) -> None:
    """Preflight: on one worker, import the model and run one step of the plan's first run.

    Raises :class:`ExecutorError` (one line naming what is missing) if a worker cannot start, cannot
    import this package or the model, or the model needs a missing module: a fault of the environment,
    which would otherwise fail every run alike. Done once per handle and model. On Dask this waits for
    a first worker to join.
    """
    if plan.spec.model in handle.checked or not plan.n_runs:
        return
    first = next(iter(plan.tasks(set())))
    job = BatchJob(scenarios={first.scenario: plan.scenarios[first.scenario]}, tasks=(first,), **_job_of(plan))
    install = (f"install this package (same version as here) and the model's module on every worker; see {CLUSTER_DOCS}"
               if handle.kind == "dask" else "make the model's module importable here (e.g. pip install it, or set PYTHONPATH)")  # fmt: skip
    try:
        problem = handle.executor.submit(preflight, job).result(timeout=timeout)
    except ModuleNotFoundError as e:  # the worker cannot even load experiments.worker
        raise ExecutorError(f"{_where(handle)} cannot import {e.name or e}: {install}") from None
    except Exception as e:  # noqa: BLE001 - a worker that cannot start (BrokenProcessPool, ...)
        raise ExecutorError(f"{_where(handle)} cannot run anything ({type(e).__name__}: {e}); "
                            "nothing was recorded: fix the environment and run again") from None  # fmt: skip
    if problem:
        raise ExecutorError(f"{_where(handle)}: {problem}: {install}")
    handle.checked.add(plan.spec.model)
    if handle.kind == "dask" and handle._client is not None:  # workers that joined meanwhile
        handle.workers = max(handle.workers, sum(handle._client.nthreads().values()))


def _healthy(handle: ExecutorHandle) -> str | None:
    """None if a worker can run an empty task, else why not."""
    try:
        handle.executor.submit(ping).result(timeout=120)
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"
    return None


def _batches(tasks: Iterator[RunTask], size: int) -> Iterator[tuple[RunTask, ...]]:
    batch: list[RunTask] = []
    for t in tasks:
        batch.append(t)
        if len(batch) == size:
            yield tuple(batch)
            batch = []
    if batch:
        yield tuple(batch)


def _submit(handle: ExecutorHandle, job: Any) -> Future:
    """Submit a batch; a local pool that broke under us (a worker just died) is rebuilt and the batch resubmitted.

    CPython's ProcessPoolExecutor may then raise BrokenProcessPool, or OSError ("handle is closed") while it
    respawns a worker with queues its manager thread has just closed. The futures still held from the
    old pool fail with BrokenProcessPool and go through the usual retry path.
    """
    try:
        return handle.executor.submit(run_batch, job)
    except (BrokenProcessPool, OSError):
        if handle.kind != "local":
            raise
        handle.restart()
        return handle.executor.submit(run_batch, job)

def run_plan(
    plan: Plan,
    out: str | Path,
    executor: ExecutorHandle | None = None,
    progress: bool = True,
    kind: str = "experiment",
    extra: dict[str, Any] | None = None,
    retry_failed: bool = False,
    batch_size: int | None = None,
) -> RunSummary:
    """Run every run of ``plan`` not yet in ``out``; see :func:`experiments.api.run_experiment`."""
    t0 = time.monotonic()
    spec = plan.spec
    store = ResultsStore(out, plan, spec.outputs.chunk_runs, spec.outputs.chunk_seconds)
    store.check(kind)  # refuse before starting anything; nothing is created before the preflight passed
    own = executor is None
    handle = executor or make_executor(spec.executor)
    try:
        check_workers(handle, plan)
        old = store.open(kind)
    except BaseException:
        if own:
            handle.close(cancel=True)
        raise
    try:
        return _run(plan, store, old, handle, own, t0, progress, kind, extra, retry_failed, batch_size)
    finally:
        store.close()


def _run(plan: Plan, store: ResultsStore, old: dict[str, Any] | None, handle: ExecutorHandle, own: bool, t0: float,
         progress: bool, kind: str, extra: dict[str, Any] | None, retry_failed: bool, batch_size: int | None) -> RunSummary:  # fmt: skip
    spec, out = plan.spec, store.out
    completed = store.done_ids("summary")
    failed_before = store.done_ids("failures") - completed
    skip = completed | (set() if retry_failed else failed_before)
    n_failed_old = 0 if retry_failed else len(failed_before)
    todo = plan.n_runs - len(skip)
    attempts_before = store.failure_attempts() if retry_failed and failed_before else {}

    manifest = old or new_manifest(plan, kind, extra)
    manifest.setdefault("sessions", []).append(session_entry(handle))
    manifest["status"] = "running"
    counts = {"completed": len(completed), "failed": n_failed_old}

    def write_manifest(status: str) -> None:
        manifest["status"] = status
        # runs on disk (finished runs still in the write buffer are not counted yet)
        stored = {"completed": len(completed) + store.written_ok, "failed": n_failed_old + store.written_failed}
        if status != "running":
            stored = dict(counts)
        remaining = plan.n_runs - stored["completed"] - stored["failed"]
        manifest["runs"] = {"total": plan.n_runs, **stored, "remaining": remaining}
        manifest["sessions"][-1].update(ended=now() if status != "running" else None, status=status,
                                        completed=ran, failed=failed_now)  # fmt: skip
        if status != "running":
            manifest["ended"] = now()
        store.write_manifest(manifest)

    ran = failed_now = 0
    write_manifest("running")
    size = batch_size or max(1, min(16, todo // (handle.workers * 8) or 1))
    max_inflight = 3 * handle.workers
    job_of = _job_of(plan)

    def make_job(tasks: tuple[RunTask, ...]) -> BatchJob:
        return BatchJob(scenarios={t.scenario: plan.scenarios[t.scenario] for t in tasks}, tasks=tasks, **job_of)

    batches = _batches(plan.tasks(skip), size)
    retries: deque[tuple[RunTask, ...]] = deque()
    inflight: dict[Future, tuple[tuple[RunTask, ...], int]] = {}
    bar = Progress(plan.n_runs, len(skip) - n_failed_old, n_failed_old, enabled=progress, label=spec.name)
    last_manifest = time.monotonic()
    interrupted = False

    def record(o: Outcome) -> None:
        nonlocal ran, failed_now
        if not o.ok and o.task.run_id in attempts_before:  # retried in an earlier session too
            o.attempts += attempts_before[o.task.run_id]
        store.add(o)
        ran += 1
        if o.ok:
            counts["completed"] += 1
        else:
            counts["failed"] += 1
            failed_now += 1

    try:
        with bar:
            exhausted = False
            while True:
                if retries:  # a retry runs alone, so a worker that dies again names its culprit
                    if not inflight:
                        tasks = retries.popleft()
                        inflight[_submit(handle, make_job(tasks))] = (tasks, 2)
                else:
                    while len(inflight) < max_inflight and not exhausted:
                        tasks = next(batches, None)
                        if tasks is None:
                            exhausted = True
                            break
                        inflight[_submit(handle, make_job(tasks))] = (tasks, 1)
                if not inflight:
                    break
                done, _ = wait(list(inflight), timeout=1.0, return_when=FIRST_COMPLETED)
                broken = False
                died: list[tuple[RunTask, Exception]] = []
                for fut in done:
                    tasks, attempt = inflight.pop(fut)
                    try:
                        outcomes = fut.result()
                    except Exception as e:  # noqa: BLE001 - a worker died (BrokenProcessPool, KilledWorker) or similar
                        broken = broken or handle.kind == "local"
                        for t in tasks:
                            if attempt == 1:
                                retries.append((t,))
                            else:
                                died.append((t, e))
                        continue
                    for o in outcomes:
                        record(o)
                if broken:  # every other future of a broken pool fails too: requeue them, rebuild the pool
                    for fut, (tasks, _) in list(inflight.items()):
                        if not fut.cancel() and fut.done() and not fut.cancelled() and fut.exception() is None:
                            for o in fut.result():  # finished just before the pool broke
                                record(o)
                        else:
                            retries.extend((t,) for t in tasks)
                    inflight.clear()
                    handle.restart()
                if died:  # blame the run only if a fresh worker can run an empty task
                    why = _healthy(handle)
                    if why is not None:
                        raise ExecutorError(f"{_where(handle)} die even on an empty task ({why}); runs left unrecorded "
                                            "(not failed): fix the environment and run again to resume")  # fmt: skip
                    for t, e in died:
                        record(Outcome(t, error_type="WorkerDied", error=f"worker died twice running this run ({type(e).__name__}: {e})"[:2000], traceback="", attempts=2))
                bar.update(counts["completed"], counts["failed"])  # once per pass, not per run
                store.maybe_flush()
                if time.monotonic() - last_manifest > 10:
                    write_manifest("running")
                    last_manifest = time.monotonic()
    except KeyboardInterrupt:
        interrupted = True
        for fut in inflight:
            fut.cancel()
    finally:
        with sigint_ignored():  # a second Ctrl-C must not cut the last chunk short
            store.flush()
            # the record of truth is what is stored
            stored = store.done_ids("summary")
            counts["completed"] = len(stored)
            counts["failed"] = len(store.done_ids("failures") - stored)
        remaining = plan.n_runs - counts["completed"] - counts["failed"]
        status = COMPLETE_WITH_FAILURES if counts["failed"] else COMPLETE
        write_manifest("interrupted" if interrupted else (status if not remaining else "incomplete"))
        if own:  # after the results are safe: closing waits for the batches still running
            try:
                handle.close(cancel=True)
            except Exception:  # noqa: BLE001 - closing a broken executor must not hide the results
                pass
    return RunSummary(Path(out), plan.n_runs, counts["completed"], counts["failed"], len(skip), ran, failed_now,
                      interrupted, time.monotonic() - t0)  # fmt: skip
