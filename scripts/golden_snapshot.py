"""Write the golden snapshot of the model's outputs: run summaries of P1-P6 x 20 seeds.

The snapshot pins the model's numbers across refactors that must not change them
(``tests/abm/test_golden.py``). A deliberate scientific change regenerates it::

    .venv/bin/python scripts/golden_snapshot.py tests/data/golden_summary.parquet
"""

from __future__ import annotations

import sys

import pandas as pd

from abm.run import run_once

PROGRAMS = ("P1", "P2", "P3", "P4", "P5", "P6")
SEEDS = range(20)


def snapshot() -> pd.DataFrame:
    """One row per (program, seed): every summary outcome of a full run."""
    rows = []
    for program in PROGRAMS:
        for seed in SEEDS:
            r = run_once(program, seed=seed)
            rows.append({"program": program, "seed": seed, **r.summary})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    snapshot().to_parquet(sys.argv[1] if len(sys.argv) > 1 else "tests/data/golden_summary.parquet", index=False)
