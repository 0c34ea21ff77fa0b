"""Where a run's time goes: wall time per process of the step (the ODD schedule), per step.

By default each process method of :class:`abm.model.IntegrationModel` is timed inside real runs
stepped through ``step()`` (fresh models, 104 steps, several seeds: the path of dashboards, Mesa's
``batch_run`` and probes), so the figures include what a process pays in a real step (cold caches,
Python-to-kernel calls), not what it costs when called in a tight loop. Construction and the result
tables are timed too.

``--compiled`` profiles the runs batch experiments, sensitivity analysis and calibration make
(``run_once``: the weeks in one compiled loop): each process inside that loop is timed by the CPU's
cycle counter (:mod:`benchmarks.timed_weeks`, x86-64 only), and what the run spends in Python (construction,
applying events and exits, the tables and summary) is the rest of its wall time. Prints a table; no files
are written.

    .venv/bin/python benchmarks/profile_processes.py P4 --runs 30
    .venv/bin/python benchmarks/profile_processes.py P4 --runs 200 --compiled
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from abm.config import ConfigError, Scenario, load_scenario  # noqa: E402
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


def compiled(sc: Scenario, label: str, runs: int, steps: int) -> int:
    """Profile ``runs`` runs of the compiled weeks (after one warm-up run); prints the table."""
    from benchmarks.timed_weeks import Clocked, NoCycleCounter, cycles_per_second

    try:
        hz = cycles_per_second()
    except NoCycleCounter as e:
        print(f"profile_processes: {e}", file=sys.stderr)
        return 2
    clock = Clocked()
    build, total = [], []
    with clock:
        for seed in range(runs + 1):
            if seed == 1:  # the first run loads the compiled kernels: not timed, nor the collection of what loading left
                gc.collect()
                clock.counts[:] = 0
                clock.calls = 0
                build.clear(), total.clear()
            t0 = time.perf_counter()
            model = IntegrationModel(sc, seed=seed)
            t1 = time.perf_counter()
            run_model(model, steps)
            t2 = time.perf_counter()
            build.append(t1 - t0), total.append(t2 - t0)
    per_run = clock.counts / hz / runs  # seconds per run, by process
    weeks = per_run.sum()
    print(f"{label}: {runs} runs x {steps} weeks, compiled (run_once's path); one run {statistics.mean(total) * 1e3:.2f} ms (mean), "
          f"{statistics.median(total) * 1e3:.2f} ms (median); {clock.calls / runs:.1f} compiled calls per run")  # fmt: skip
    print(f"{'process':40s} {'us/week':>9s} {'ms/run':>8s} {'share':>6s}")
    rows = [(f"{k}. {name}", per_run[k]) for k, name in enumerate(clock.names, start=1)]
    rows += [("compiled weeks (sum)", weeks), ("construction", statistics.mean(build)),
             ("Python: calls, mergers, tables, summary", statistics.mean(total) - statistics.mean(build) - weeks)]  # fmt: skip
    for name, sec in rows:
        print(f"{name:40s} {sec / steps * 1e6:9.2f} {sec * 1e3:8.3f} {sec / statistics.mean(total):6.1%}")
    return 0


def _positive(text: str) -> int:
    """An integer of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value}")
    return value


def _scenario(program: str) -> Scenario:
    """A built-in program, a YAML file, or ``ORGS:CLINICIANS``: the benchmarks' synthetic region (seed 1)."""
    orgs, sep, clinicians = program.partition(":")
    if sep and orgs.isdigit() and clinicians.isdigit():
        if not 1 <= int(orgs) <= int(clinicians):
            raise ConfigError(f"{program}: a synthetic region needs 1 <= organizations <= clinicians")
        from abm.synthetic import synthetic_region

        return synthetic_region(int(orgs), int(clinicians), seed=1)
    return load_scenario(program)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("program", nargs="?", default="P4",
                    help="built-in program, YAML path, or ORGS:CLINICIANS for a synthetic region (default P4)")  # fmt: skip
    ap.add_argument("--runs", type=_positive, default=30, help="runs timed after one warm-up run")
    ap.add_argument("--steps", type=_positive, default=104)
    ap.add_argument("--compiled", action="store_true", help="profile the compiled weeks (run_once's path) instead of step()")
    ap.add_argument("--core", action="store_true",
                    help="switch off what the idiomatic-Mesa reference lacks, as the speed-up benchmark does")  # fmt: skip
    a = ap.parse_args(argv)
    try:
        sc = _scenario(a.program)
    except ConfigError as e:
        print(f"profile_processes: {e}", file=sys.stderr)
        return 2
    if a.core:
        from benchmarks.reference import core_scenario

        sc = core_scenario(sc)
    if a.compiled:
        return compiled(sc, a.program, a.runs, a.steps)
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
