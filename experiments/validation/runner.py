"""Replicates for validation: paired seeds, a small process pool, and per-run records.

Every arm of a comparison runs replicate i with the same child seed
(``numpy.random.SeedSequence(master).spawn(n)[i]``, which is ``SeedSequence(master, spawn_key=(i,))``):
common random numbers, so a knock-out and its baseline differ only by the switch. One seed fixes a
run whatever the worker count.

Runs are :func:`abm.run.run_once`'s (the compiled weeks also record per-organization engagement), and every
:class:`Record` carries its seed as data (:func:`seed_data`), so one validation run replays like
any experiment run::

    run_once(sc, seed=replay_seed(record.seed))   # sc: the arm's scenario; same summary, bit for bit
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from abm.config import Scenario, load_scenario, with_overrides
from experiments.executors import local_pool

SERIES = ("consensus", "connectivity", "integration", "trust_mean", "engagement", "engagement_physicians", "retention")


@dataclass
class Record:
    """What validation keeps of one run."""

    summary: dict[str, float]
    series: dict[str, np.ndarray]  # per-step outcome columns (steps 0..T)
    org_engagement: np.ndarray  # (T+1, O) mean engagement per organization
    exited_at: np.ndarray  # per organization: step of exit or -1
    names: list[str]
    seed: dict[str, Any] = field(default_factory=dict)  # {"entropy", "spawn_key"}: replay_seed(seed) replays the run


def scenario(program: str | Scenario, overrides: dict[str, Any] | None = None) -> Scenario:
    """A built-in program (or Scenario) with dotted-key overrides applied."""
    sc = program if isinstance(program, Scenario) else load_scenario(program)
    return with_overrides(sc, overrides) if overrides else sc


def seed_data(seed: Any) -> dict[str, Any]:
    """A run's seed as JSON-able data: ``{"entropy": ..., "spawn_key": [...]}``.

    ``replay_seed`` turns it back into an equivalent ``SeedSequence`` (same state, same run).
    """
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
        entropy = [int(e) for e in entropy] if isinstance(entropy, (list, tuple, np.ndarray)) else int(entropy)
        return {"entropy": entropy, "spawn_key": [int(k) for k in seed.spawn_key]}
    if isinstance(seed, (int, np.integer)):
        return {"entropy": int(seed), "spawn_key": []}
    raise TypeError(f"cannot record seed {seed!r}: expected an int or a numpy.random.SeedSequence")


def replay_seed(data: dict[str, Any]) -> np.random.SeedSequence:
    """The SeedSequence recorded by :func:`seed_data` (``Record.seed``), for ``abm.run.run_once``."""
    return np.random.SeedSequence(data["entropy"], spawn_key=tuple(data["spawn_key"]))


def simulate(sc: Scenario, seed: Any, steps: int | None = None) -> Record:
    """One run, ``run_once(sc, seed, steps)``'s (the same lines: a model, then :func:`abm.run.run_model`), keeping
    the outcome table, per-organization engagement (recorded by the compiled weeks) and exits."""
    from abm.model import IntegrationModel
    from abm.run import run_model

    recorded = seed_data(seed)  # (before the run: a seed that cannot be replayed fails fast)
    model = IntegrationModel(sc, seed=seed)
    res = run_model(model, sc.steps if steps is None else steps, org_engagement=True)
    series = {c: np.array(res.step_columns[c], float) for c in SERIES}  # (own copies; no DataFrame: 0.3 ms a run)
    s = model.state
    return Record(res.summary, series, res.org_engagement, s.exited_at.copy(), list(s.names), recorded)


def _job(args: tuple[Scenario, Any, int | None]) -> Record:
    return simulate(*args)


def seeds(master: int, n: int) -> list[np.random.SeedSequence]:
    """Replicate seeds: the children of SeedSequence(master); child i is ``SeedSequence(master, spawn_key=(i,))``."""
    return np.random.SeedSequence(master).spawn(n)


def run_arms(
    arms: dict[str, Scenario | list[Scenario]], master: int, n: int, workers: int = 2, steps: int | None = None,
    param_sets: list[dict[str, Any]] | None = None,
) -> dict[str, list[Record]]:
    """Run every arm over the same n replicate seeds (paired across arms).

    An arm is one Scenario, or a list of n Scenarios (one design per replicate, e.g. resampled partners).
    ``param_sets`` (n dotted-key override sets, e.g. posterior draws) gives replicate i its parameters in
    every arm, on top of the arm's scenario (arms switch mechanisms or program settings, not these numbers).
    """
    ss = seeds(master, n)
    jobs = []
    for sc in arms.values():
        designs = sc if isinstance(sc, list) else [sc] * n
        if param_sets is not None:
            designs = [with_overrides(d, p) for d, p in zip(designs, param_sets, strict=True)]
        jobs += [(d, s, steps) for d, s in zip(designs, ss, strict=True)]
    if workers <= 1:
        out = [_job(j) for j in jobs]
    else:
        out = pool_map(_job, jobs, workers)
    return {name: out[k * n : (k + 1) * n] for k, name in enumerate(arms)}


def pool_map(fn, items: list, workers: int) -> list[Any]:  # noqa: ANN001
    """``fn`` over ``items`` on ``workers`` processes (:func:`~experiments.executors.local_pool`), in order. Workers
    ignore Ctrl-C; the caller's Ctrl-C cancels the chunks not yet started (``with ProcessPoolExecutor`` would
    have run them all first)."""
    ex = local_pool(workers)
    try:
        return list(ex.map(fn, items, chunksize=max(1, len(items) // (8 * workers))))
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def column(records: list[Record], key: str) -> np.ndarray:
    """A summary value across replicates."""
    return np.array([r.summary[key] for r in records], float)


def series(records: list[Record], key: str) -> np.ndarray:
    """A per-step outcome across replicates: array (replicates, T+1)."""
    return np.array([r.series[key] for r in records], float)
