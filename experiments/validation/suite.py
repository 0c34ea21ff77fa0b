"""Run the pattern suite: gather the arms of the chosen patterns, run them once, evaluate each pattern."""

from __future__ import annotations

import numpy as np

from experiments.validation.patterns import Comparison, Pattern
from experiments.validation.runner import Record, run_arms

MASTER_SEED = 2026112307  # report seeds: SeedSequence(MASTER_SEED).spawn(n), never used during calibration (which used 20181204 and 0..n-1)


def run_suite(
    patterns: list[Pattern], replicates: int, master: int = MASTER_SEED, workers: int = 2,
    param_sets: list[dict] | None = None,
) -> tuple[list[Comparison], dict[str, list[Record]]]:
    """All comparisons of the given patterns, and the runs behind them (arms shared between patterns).

    ``param_sets``: one override set per replicate (posterior draws), the same in every arm.
    """
    arms: dict = {}
    for pat in patterns:
        arms.update(pat.arms(master, replicates))
    records = run_arms(arms, master, replicates, workers, param_sets=param_sets)
    rows: list[Comparison] = []
    for pat in patterns:
        rng = np.random.default_rng([master, pat.number])  # bootstrap draws: fixed per pattern
        needed = pat.arms(master, replicates)
        rows += pat.evaluate({k: records[k] for k in needed}, rng, replicates)
    return rows, records
