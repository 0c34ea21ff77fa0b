"""Replicates for validation: paired seeds, a small process pool, and per-run records.

Every arm of a comparison runs replicate i with the same child seed
(``numpy.random.SeedSequence(master).spawn(n)[i]``): common random numbers, so a knock-out and its
baseline differ only by the switch. One seed fixes a run whatever the worker count.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from abm.config import Scenario, load_scenario, with_overrides

SERIES = ("consensus", "connectivity", "integration", "trust_mean", "engagement", "engagement_physicians", "retention")


@dataclass
class Record:
    """What validation keeps of one run."""

    summary: dict[str, float]
    series: dict[str, np.ndarray]  # per-step outcome columns (steps 0..T)
    org_engagement: np.ndarray  # (T+1, O) mean engagement per organization
    exited_at: np.ndarray  # per organization: step of exit or -1
    names: list[str]


def scenario(program: str | Scenario, overrides: dict[str, Any] | None = None) -> Scenario:
    """A built-in program (or Scenario) with dotted-key overrides applied."""
    sc = program if isinstance(program, Scenario) else load_scenario(program)
    return with_overrides(sc, overrides) if overrides else sc


def simulate(sc: Scenario, seed: Any, steps: int | None = None) -> Record:
    """One run of the model, keeping the outcome table, per-organization engagement and exits."""
    from abm.model import IntegrationModel
    from abm.run import summarize

    model = IntegrationModel(sc, seed=seed)
    try:
        s = model.state
        counts = np.diff(s.block_start)
        org_e = [np.bincount(s.clin_org, s.engagement, s.n_orgs) / counts]
        for _ in range(sc.steps if steps is None else steps):
            model.step()
            org_e.append(np.bincount(s.clin_org, s.engagement, s.n_orgs) / counts)
        table = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        ms = model.datacollector.get_table_dataframe("milestones")
        if ms.empty:
            import pandas as pd

            ms = pd.DataFrame({"step": pd.Series(dtype="int64"), "name": pd.Series(dtype=object)})
        summary = summarize(table, ms, model.scenario)
        series = {c: table[c].to_numpy(float) for c in SERIES}
        return Record(summary, series, np.array(org_e), s.exited_at.copy(), list(s.names))
    finally:
        model.release()


def _job(args: tuple[Scenario, Any, int | None]) -> Record:
    return simulate(*args)


def seeds(master: int, n: int) -> list[np.random.SeedSequence]:
    """Replicate seeds: the children of SeedSequence(master)."""
    return np.random.SeedSequence(master).spawn(n)


def run_arms(
    arms: dict[str, Scenario | list[Scenario]], master: int, n: int, workers: int = 2, steps: int | None = None
) -> dict[str, list[Record]]:
    """Run every arm over the same n replicate seeds (paired across arms).

    An arm is one Scenario, or a list of n Scenarios (one design per replicate, e.g. resampled partners).
    """
    ss = seeds(master, n)
    jobs = []
    for sc in arms.values():
        designs = sc if isinstance(sc, list) else [sc] * n
        jobs += [(d, s, steps) for d, s in zip(designs, ss, strict=True)]
    if workers <= 1:
        out = [_job(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as ex:
            out = list(ex.map(_job, jobs, chunksize=max(1, len(jobs) // (8 * workers))))
    return {name: out[k * n : (k + 1) * n] for k, name in enumerate(arms)}


def column(records: list[Record], key: str) -> np.ndarray:
    """A summary value across replicates."""
    return np.array([r.summary[key] for r in records], float)


def series(records: list[Record], key: str) -> np.ndarray:
    """A per-step outcome across replicates: array (replicates, T+1)."""
    return np.array([r.series[key] for r in records], float)
