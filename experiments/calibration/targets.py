"""What one particle runs, and the summary statistics and distances it yields.

A particle (one parameter set) runs ``replicates`` replicates of every scenario or pattern arm it
needs; replicate ``r`` of every arm uses the same seed (common random numbers, as in the pattern
suite), and each particle has its own seeds: ``SeedSequence(master, spawn_key=(a, b, k)).spawn(R)``
with ``(a, b, k)`` given by the sampler (generation, batch, proposal).

* **observed targets**: the statistic is the mean over replicates of a summary outcome (times to a
  threshold never reached are censored at horizon + 1); the distance is a (MAD-scaled) Euclidean norm.
* **pattern targets**: the statistics are the pattern comparisons' estimates; the distance is the sum
  of shortfalls from each pre-registered target, in units of (target - null):
  ``sum_k max(0, target_k - estimate_k) / (target_k - null_k)`` (a missing estimate counts 1). A
  particle meeting every target has distance 0. The confidence-interval part of the pass rule needs
  many replicates, so it enters the posterior predictive checks, not the distance.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from abm.config import Scenario, with_overrides

FIT_BOOT = 20


@dataclass(frozen=True)
class ParticleJob:
    """Everything a worker needs to evaluate one parameter set (plain, picklable data)."""

    kind: str  # "observed" or "patterns"
    params: dict[str, float]
    master: int
    spawn_key: tuple[int, ...]
    replicates: int
    model: str = "abm.run:run_once"
    steps: int | None = None
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    outcomes: tuple[tuple[str, str], ...] = ()  # observed: (scenario, outcome) per statistic
    keys: tuple[str, ...] = ()  # patterns: comparison keys to report
    full: bool = False  # patterns: also CI bounds and pass (predictive checks)


def overrides(params: dict[str, float]) -> dict[str, float]:
    """Parameter values as the model's dotted-key overrides."""
    return {f"params.{k}": float(v) for k, v in params.items()}


def seeds(job: ParticleJob) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(job.master, spawn_key=job.spawn_key).spawn(job.replicates)


def stat_name(scenario: str, outcome: str, single: bool) -> str:
    return outcome if single else f"{scenario}/{outcome}"


def _censored(summary: dict[str, Any], outcome: str, steps: int | None) -> float:
    v = float(summary[outcome])
    if np.isnan(v) and outcome.startswith("time_to_"):
        horizon = summary.get("steps", steps)
        return float(horizon) + 1.0 if horizon is not None else v
    return v


def run_observed(job: ParticleJob) -> dict[str, float]:
    """Mean over replicates of each (scenario, outcome), the same seeds in every scenario."""
    from experiments.plan import load_model

    fn = load_model(job.model)
    over = overrides(job.params)
    ss = seeds(job)
    single = len(job.scenarios) == 1
    wanted: dict[str, list[str]] = {}
    for s, o in job.outcomes:
        wanted.setdefault(s, []).append(o)
    out: dict[str, float] = {}
    for s, outs in wanted.items():
        vals: dict[str, list[float]] = {o: [] for o in outs}
        for seed in ss:
            summary = dict(fn(job.scenarios[s], seed=seed, steps=job.steps, overrides=over).summary)
            for o in outs:
                vals[o].append(_censored(summary, o, job.steps))
        for o in outs:
            out[stat_name(s, o, single)] = float(np.mean(vals[o]))
    return out


_ARMS: dict[tuple[int, int, int], dict[str, Any]] = {}  # per worker process: (pattern, master, n) -> its arms


def base_arms(number: int, master: int, replicates: int, starred: bool = False) -> dict[str, Any]:
    """A pattern's arms as the suite builds them (built once per process: reading the programs is not free);
    without ``starred``, not the arms that only its starred rows use."""
    from experiments.validation.patterns import PATTERNS_BY_NUMBER, STARRED_ARMS

    key = (number, master, replicates, starred)
    if key not in _ARMS:
        arms = PATTERNS_BY_NUMBER[number].arms(master, replicates)
        _ARMS[key] = arms if starred else {k: v for k, v in arms.items() if k not in STARRED_ARMS}
    return _ARMS[key]


def pattern_arms(numbers: list[int], master: int, replicates: int, params: dict[str, float], starred: bool = False) -> dict[str, Any]:
    """The arms of the given patterns (with their starred rows' arms if ``starred``), with the parameter values applied to every arm."""
    arms: dict[str, Any] = {}
    for p in numbers:
        arms.update(base_arms(p, master, replicates, starred))
    over = overrides(params)
    if not over:
        return arms
    return {k: [with_overrides(s, over) for s in v] if isinstance(v, list) else with_overrides(v, over) for k, v in arms.items()}


def run_patterns(job: ParticleJob) -> dict[str, Any]:
    """The comparisons of the patterns holding ``job.keys``: estimate per key (or, ``full``, estimate, CI and pass)."""
    from experiments.calibration.spec import pattern_of
    from experiments.validation.patterns import PATTERNS_BY_NUMBER
    from experiments.validation.runner import simulate

    numbers = sorted({pattern_of(k) for k in job.keys})
    # arm designs (resampled partners of pattern 4) are fixed by the master seed: the same for every particle
    arms = pattern_arms(numbers, job.master, job.replicates, job.params, any(k.endswith("*") for k in job.keys))
    ss = seeds(job)
    records: dict[str, list[Any]] = {}
    for name, sc in arms.items():
        designs = sc if isinstance(sc, list) else [sc] * job.replicates
        records[name] = [simulate(d, s, job.steps) for d, s in zip(designs, ss, strict=True)]
    out: dict[str, Any] = {}
    with _estimates_only(not job.full):
        for p in numbers:
            out |= _compare(PATTERNS_BY_NUMBER[p], records, job)
    return out


@contextmanager
def _estimates_only(on: bool) -> Iterator[None]:
    """While fitting only the estimates count: independent-sample PS intervals get 20 bootstrap draws, not 2000."""
    from experiments.validation import stats

    original = stats.ps_independent
    if on:
        stats.ps_independent = partial(original, n_boot=FIT_BOOT)  # type: ignore[assignment]
    try:
        yield
    finally:
        stats.ps_independent = original  # type: ignore[assignment]


def _compare(pat: Any, records: dict[str, list[Any]], job: ParticleJob) -> dict[str, Any]:
    """One pattern's comparisons that are among ``job.keys`` (bootstrap draws seeded by master, pattern and particle)."""
    out: dict[str, Any] = {}
    rng = np.random.default_rng([job.master, pat.number, *job.spawn_key])
    needed = base_arms(pat.number, job.master, job.replicates, any(k.endswith("*") for k in job.keys))
    for c in pat.evaluate({k: records[k] for k in needed}, rng, job.replicates):
        if c.key in job.keys:
            out[c.key] = {"estimate": c.estimate, "lo": c.lo, "hi": c.hi, "passed": c.passed} if job.full else float(c.estimate)
    return out


def evaluate(job: ParticleJob) -> dict[str, Any]:
    """Run one particle in a worker: its summary statistics."""
    return run_patterns(job) if job.kind == "patterns" else run_observed(job)


def evaluate_batch(jobs: list[ParticleJob]) -> list[dict[str, Any]]:
    """Several particles in one task (fewer round trips for cheap models)."""
    return [evaluate(j) for j in jobs]


def shortfall(key: str, estimate: float) -> float:
    """How far an estimate falls short of its pre-registered target, in units of (target - null)."""
    from experiments.validation.patterns import THRESHOLDS

    target, null = THRESHOLDS[key]
    if estimate is None or not np.isfinite(estimate):
        return 1.0
    scale = target - null if target > null else 1.0
    return max(0.0, target - float(estimate)) / scale


class PatternDistance:
    """pyabc distance over pattern statistics: the sum of shortfalls (see the module docstring)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = list(keys)

    def __call__(self, x: dict[str, Any], x_0: dict[str, Any]) -> float:
        return float(sum(shortfall(k, x.get(k, float("nan"))) for k in self.keys))
