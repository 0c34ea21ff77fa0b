"""Benchmark: the shipped Sobol spec of P4 (experiments/specs/sensitivity/p4_sobol.yaml), whole or a fraction.

Runs the spec with its sample size replaced by ``--N`` (default 64; the shipped spec has 512) through
the experiment machinery on ``--workers`` local processes, then the full analysis (bootstrap CIs,
noise split, convergence, plots), and extrapolates linearly to the shipped N (run time is linear in
the number of runs; the analysis is close to linear in N). Prints one JSON object.

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", type=Path, default=SPEC)
    ap.add_argument("--N", type=int, default=64, help="base sample size to time (power of two)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="results directory (default: a temporary one)")
    args = ap.parse_args()

    from abm.config import read_yaml
    from experiments.sensitivity import report, run, spec_from_dict

    data = read_yaml(args.spec)
    full_n = data["sampler"]["N"]
    data["sampler"] = {**data["sampler"], "N": args.N}
    data["name"] = f"{data['name']}-bench-N{args.N}"
    spec = spec_from_dict(data, str(args.spec))
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_sens_"))
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    r = run(spec, out, executor=args.workers, progress=False, report_after=False)
    t_runs = time.perf_counter() - t0
    t1 = time.perf_counter()
    report(out)
    t_analysis = time.perf_counter() - t1
    scale = full_n / args.N
    result = {
        "spec": str(args.spec), "parameters": len(spec.params), "replicates": spec.raw.replicates,
        "N_timed": args.N, "runs_timed": r.total, "completed": r.completed, "failed": r.failed,
        "workers": args.workers, "cpus": os.cpu_count(), "loadavg_before": round(load0, 2),
        "loadavg_after": round(os.getloadavg()[0], 2),
        "seconds_runs": round(t_runs, 1), "seconds_analysis": round(t_analysis, 1),
        "runs_per_second": round(r.ran / t_runs, 2),
        "N_full": full_n, "runs_full": r.total * full_n // args.N,
        "extrapolated_minutes_full": round((t_runs + t_analysis) * scale / 60, 1),
        "extrapolated": args.N != full_n, "out": str(out),
    }  # fmt: skip
    print(json.dumps(result, indent=2))
    import sys

    sys.path.insert(0, str(ROOT))
    from benchmarks.record import save

    print(f"wrote {save('sensitivity', result)}")


if __name__ == "__main__":
    main()
