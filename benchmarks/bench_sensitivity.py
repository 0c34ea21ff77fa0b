"""Benchmark: the shipped Sobol spec of P4 (experiments/specs/sensitivity/p4_sobol.yaml), whole or a fraction.

Runs the spec with its sample size replaced by ``--N`` (default 64; the shipped spec has 512) through
the experiment machinery on ``--workers`` local processes, then the full analysis (bootstrap CIs,
noise split, convergence, plots). At the shipped N it measures the whole, as a user's run. Below it,
it first times the start-up a run pays once (imports, the forkserver loading the model), then times N
and 2N and extrapolates runs and analysis each as a + b N through the two, plus that start-up: the
figures cost the same at any N while the runs and the bootstrap grow with it, so scaling one small run
by 512/N would overstate the whole. Prints one JSON object.

    .venv/bin/python benchmarks/bench_sensitivity.py --N 64 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "specs" / "sensitivity" / "p4_sobol.yaml"


def _time_once(data: dict, n: int, out: Path, args: argparse.Namespace) -> dict[str, float]:
    """Run the spec at base size ``n`` into ``out``, then its report; the seconds of each."""
    from experiments.sensitivity import report, run, spec_from_dict

    spec = spec_from_dict({**data, "sampler": {**data["sampler"], "N": n}, "name": f"{data['name']}-bench-N{n}"},
                          str(args.spec))  # fmt: skip
    t0 = time.perf_counter()
    r = run(spec, out, executor=args.workers, progress=False, report_after=False)
    t1 = time.perf_counter()
    report(out)
    t2 = time.perf_counter()
    return {"runs_s": t1 - t0, "analysis_s": t2 - t1, "runs": r.total, "ran": r.ran, "completed": r.completed,
            "failed": r.failed, "parameters": len(spec.params), "replicates": spec.raw.replicates}  # fmt: skip


def _start_up(workers: int) -> float:
    """Seconds to import the pipeline and its report, and to start a pool whose forkserver has loaded the model
    (what a run pays once)."""
    t0 = time.perf_counter()
    import SALib.analyze.sobol  # noqa: F401

    import experiments.results  # noqa: F401
    import experiments.sensitivity.plots  # noqa: F401
    import experiments.sensitivity.writer  # noqa: F401
    from experiments.executors import make_executor
    from experiments.spec import LocalExecutor
    from experiments.worker import ping

    handle = make_executor(LocalExecutor(workers=workers))
    try:
        handle.executor.submit(ping).result()
    finally:
        handle.close()
    return time.perf_counter() - t0


def _line(ns: list[int], ys: list[float], at: int) -> float:
    """The line through (ns[0], ys[0]) and (ns[1], ys[1]) at ``at``."""
    slope = (ys[1] - ys[0]) / (ns[1] - ns[0])
    return ys[0] + slope * (at - ns[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", type=Path, default=SPEC)
    ap.add_argument("--N", type=int, default=64, help="base sample size to time (power of two)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="results directory (default: a temporary one)")
    args = ap.parse_args()

    from abm.config import read_yaml

    data = read_yaml(args.spec)
    full_n = data["sampler"]["N"]
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_sens_"))
    load0 = os.getloadavg()[0]
    sizes = [args.N] if args.N >= full_n else [args.N, 2 * args.N]
    startup = 0.0 if len(sizes) == 1 else _start_up(args.workers)
    timed = [_time_once(data, n, out if len(sizes) == 1 else out / f"N{n}", args) for n in sizes]
    first = timed[0]
    result = {
        "spec": str(args.spec), "parameters": first["parameters"], "replicates": first["replicates"],
        "N_timed": args.N, "runs_timed": first["runs"], "completed": first["completed"], "failed": first["failed"],
        "workers": args.workers, "cpus": os.cpu_count(), "loadavg_before": round(load0, 2),
        "loadavg_after": round(os.getloadavg()[0], 2),
        "seconds_runs": round(first["runs_s"], 1), "seconds_analysis": round(first["analysis_s"], 1),
        "runs_per_second": round(first["ran"] / first["runs_s"], 2),
        "N_full": full_n, "runs_full": first["runs"] * full_n // args.N,
    }  # fmt: skip
    if len(timed) == 1:
        result |= {"minutes_full": round((first["runs_s"] + first["analysis_s"]) / 60, 1), "extrapolated": False}
    else:  # the timed runs exclude the start-up, which a full run pays once
        second = timed[1]
        fit = {k: _line(sizes, [t[k] for t in timed], full_n) for k in ("runs_s", "analysis_s")}
        result |= {
            "seconds_startup": round(startup, 1), "N_timed_2": sizes[1], "seconds_runs_2": round(second["runs_s"], 1),
            "seconds_analysis_2": round(second["analysis_s"], 1),
            "seconds_runs_full": round(startup + fit["runs_s"], 1), "seconds_analysis_full": round(fit["analysis_s"], 1),
            "minutes_full": round((startup + fit["runs_s"] + fit["analysis_s"]) / 60, 1), "extrapolated": True,
        }  # fmt: skip
    result["out"] = str(out)
    print(json.dumps(result, indent=2))
    import sys

    sys.path.insert(0, str(ROOT))
    from benchmarks.record import save

    print(f"wrote {save('sensitivity', result)}")


if __name__ == "__main__":
    main()
