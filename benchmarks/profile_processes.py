"""Where a run's time goes: wall time per process of the step (the ODD schedule), per step.

Each process method of :class:`abm.model.IntegrationModel` is timed inside real runs (fresh models,
104 steps, several seeds), so the figures include what a process pays in a real step (cold caches,
Python-to-kernel calls), not what it costs when called in a tight loop. Construction and the result
tables are timed too. Prints a table; no files are written.

    .venv/bin/python benchmarks/profile_processes.py P4 --runs 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from abm.config import load_scenario  # noqa: E402
from abm.model import IntegrationModel  # noqa: E402
from abm.run import run_model  # noqa: E402

PROCESSES = (
    "apply_milestones", "patient_transitions", "planned_interactions", "update_trust", "update_consensus",
    "update_engagement", "update_data_sharing", "update_workload", "partner_exit", "observe",
)  # fmt: skip


class Timed(IntegrationModel):
    """The model with every process method timed (the numbers it computes are unchanged)."""

    times: dict[str, list[float]] = {}


def _timed(name: str):
    inner = getattr(IntegrationModel, name)

    def method(self: IntegrationModel) -> None:
        t0 = time.perf_counter()
        inner(self)
        Timed.times.setdefault(name, []).append(time.perf_counter() - t0)

    return method


for _name in PROCESSES:
    setattr(Timed, _name, _timed(_name))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("program", nargs="?", default="P4", help="built-in program or YAML path (default P4)")
    ap.add_argument("--runs", type=int, default=30, help="runs timed after one warm-up run")
    ap.add_argument("--steps", type=int, default=104)
    a = ap.parse_args(argv)
    sc = load_scenario(a.program)
    build, tables, total = [], [], []
    for seed in range(a.runs + 1):
        if seed == 1:  # the first run loads the compiled kernels: not timed
            Timed.times.clear()
            build.clear(), tables.clear(), total.clear()
        t0 = time.perf_counter()
        model = Timed(sc, seed=seed)
        t1 = time.perf_counter()
        for _ in range(a.steps):
            model.step()
        t2 = time.perf_counter()
        run_model(model, 0)  # the result tables and the summary (and release)
        t3 = time.perf_counter()
        build.append(t1 - t0), tables.append(t3 - t2), total.append(t3 - t0)
    n = a.runs * a.steps
    print(f"{a.program}: {a.runs} runs x {a.steps} steps; one run {statistics.median(total) * 1e3:.1f} ms (median)")
    print(f"{'process':24s} {'us/step (mean)':>15s} {'us/call (median)':>17s} {'ms/run':>8s}")
    for name in PROCESSES:
        ts = Timed.times.get(name, [])
        print(f"{name:24s} {sum(ts) / n * 1e6:15.1f} {statistics.median(ts) * 1e6 if ts else 0.0:17.1f} {sum(ts) / a.runs * 1e3:8.2f}")
    print(f"{'construction':24s} {'':15s} {'':17s} {statistics.median(build) * 1e3:8.2f}")
    print(f"{'tables and summary':24s} {'':15s} {'':17s} {statistics.median(tables) * 1e3:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
