"""A pyabc sampler that evaluates proposals in batches on the project's executor, reproducibly.

pyabc's ``simulate_one`` draws a proposal (from ``numpy.random``'s global state), runs the model
and accepts or rejects, all in one call. To run the model in parallel yet keep one seed -> one
posterior whatever the executor's worker count or scheduling, each batch goes in three phases:

1. **record**: from a saved random state, ``simulate_one`` is called B times; the model
   (:class:`BatchModel`) notes each proposal and stops the call before anything is simulated;
2. **evaluate**: the B proposals run on the executor (local processes or Dask), each with its own
   seeds ``SeedSequence(master, spawn_key=(t + 1, call, batch, i))``;
3. **replay**: the random state is restored and ``simulate_one`` is called again in the same order;
   the model now returns the stored statistics, so pyabc draws the same proposals and accepts or
   rejects each exactly as a sequential run would, until n are accepted.

The random state is seeded at every sampler call from (master, generation, call), so a resumed
fit draws what an uninterrupted one would have drawn from the same stored population. Batch sizes
depend only on the counts so far (never on the worker count). Proposals evaluated beyond the n-th
acceptance are counted as used runs.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
from pyabc.sampler import Sampler

from experiments.calibration.targets import ParticleJob, evaluate_batch
from experiments.executors import ExecutorHandle

MIN_RATE = 0.02  # batch size guess floor: B <= need / MIN_RATE
MAX_BATCH_FACTOR = 4  # ... and B <= 4 n


class _Proposed(Exception):
    """Raised by the model in the record phase: the proposal is noted, nothing simulated."""


class BatchModel:
    """The function pyabc calls as its model: records proposals, then replays evaluated statistics."""

    def __init__(self) -> None:
        self.recording = True
        self.proposed: list[dict[str, float]] = []
        self.results: list[dict[str, Any]] = []
        self.cursor = 0

    def __call__(self, pars: Any) -> dict[str, Any]:
        p = {str(k): float(v) for k, v in dict(pars).items()}
        if self.recording:
            self.proposed.append(p)
            raise _Proposed
        expected = self.proposed[self.cursor]
        if p != expected:  # pragma: no cover - the replay drew a different proposal: a bug, not bad input
            raise RuntimeError(f"replay drew {p}, recorded {expected}: the random state diverged")
        r = self.results[self.cursor]
        self.cursor += 1
        return r


class ExecutorSampler(Sampler):
    """pyabc ``Sampler`` over an :class:`~experiments.executors.ExecutorHandle` (see the module docstring)."""

    def __init__(self, model: BatchModel, make_job: Callable[[dict[str, float], tuple[int, ...]], ParticleJob],
                 handle: ExecutorHandle, master: int, runs_per_particle: int, log: Path | None = None,
                 on_progress: Callable[[int, int, int, int], None] | None = None) -> None:  # fmt: skip
        super().__init__()
        self.model, self.make_job, self.handle, self.master = model, make_job, handle, master
        self.runs_per_particle = runs_per_particle
        self.log = log
        self.on_progress = on_progress
        self._calls: dict[int, int] = {}
        self.last_rate = 1.0

    def _evaluate(self, jobs: list[ParticleJob]) -> list[dict[str, Any]]:
        """Statistics of every job, in order; a local pool broken by a dying worker is rebuilt once."""
        # a particle of the ABM is seconds of work: one per task, so an interruption waits for one particle at most
        size = 1 if self.runs_per_particle >= 8 else max(1, math.ceil(len(jobs) / (4 * self.handle.workers)))
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        for attempt in (1, 2):
            try:
                futures = [self.handle.executor.submit(evaluate_batch, c) for c in chunks]
                return [r for f in futures for r in f.result()]
            except BrokenProcessPool:
                if attempt == 2 or self.handle.kind != "local":
                    raise
                self.handle.restart()
        raise AssertionError("unreachable")  # pragma: no cover

    def sample_until_n_accepted(self, n: int, simulate_one: Callable, t: int, *, max_eval: float = np.inf,
                                all_accepted: bool = False, ana_vars: Any = None) -> Any:  # fmt: skip
        call = self._calls.get(t, 0)
        self._calls[t] = call + 1
        np.random.seed(np.random.SeedSequence(self.master, spawn_key=(t + 1, call)).generate_state(8))  # noqa: NPY002 - pyabc draws from the global state
        t0 = time.monotonic()
        sample = self._create_empty_sample()
        accepted = replayed = simulated = batch = 0
        rate = 1.0 if all_accepted else self.last_rate
        while accepted < n and replayed < max_eval:
            need = n - accepted
            size = need if all_accepted else int(min(max(need, math.ceil(need / max(rate, MIN_RATE))), MAX_BATCH_FACTOR * n))
            if np.isfinite(max_eval):
                size = int(min(size, max_eval - replayed))
            state = np.random.get_state()  # noqa: NPY002
            self.model.recording, self.model.proposed = True, []
            for _ in range(size):
                try:
                    simulate_one()
                except _Proposed:
                    continue
                raise RuntimeError("pyabc did not call the model")  # pragma: no cover
            jobs = [self.make_job(p, (t + 1, call, batch, i)) for i, p in enumerate(self.model.proposed)]
            self.model.results = self._evaluate(jobs)
            simulated += size
            np.random.set_state(state)  # noqa: NPY002
            self.model.recording, self.model.cursor = False, 0
            got = tried = 0
            for _ in range(size):
                particle = simulate_one()
                sample.append(particle)
                tried += 1
                if particle.accepted:
                    got += 1
                    accepted += 1
                    if accepted >= n:
                        break
            replayed += tried
            rate = got / tried if tried else rate
            batch += 1
            if self.on_progress is not None:
                self.on_progress(t, accepted, n, simulated)
        self.nr_evaluations_ = replayed
        if accepted < n:
            sample.ok = False
        if not all_accepted:
            self.last_rate = accepted / replayed if replayed else 1.0
        if self.log is not None:
            entry = {"t": t, "call": call, "calibration_sample": bool(all_accepted), "accepted": accepted,
                     "replayed": replayed, "simulated": simulated, "runs": simulated * self.runs_per_particle,
                     "batches": batch, "seconds": round(time.monotonic() - t0, 3)}  # fmt: skip
            with self.log.open("a") as fh:
                fh.write(json.dumps(entry) + "\n")
        return sample
