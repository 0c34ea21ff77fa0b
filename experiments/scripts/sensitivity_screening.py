"""Example: Morris screening of the model from a shipped spec, made cheaper in code, then a report.

Loads the shipped spec all_morris (experiments/specs/sensitivity/all_morris.yaml: every numeric
parameter, bounds from the parameter schema), lets you shrink it (fewer trajectories, a shorter
horizon, another program) without editing the file, runs it, and prints the most influential
parameters for integration with mu*, sigma and their CIs.
``abm report OUT`` regenerates the same tables and plots later from the stored results.

    .venv/bin/python experiments/scripts/sensitivity_screening.py --out results/screening \
        --trajectories 8 --steps 26 --scenario P2
"""

from __future__ import annotations

import argparse
from pathlib import Path

from abm.config import read_yaml
from experiments import sensitivity as sa
from experiments.shipped import shipped_specs

SPEC = shipped_specs("sensitivity")["all_morris"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results/screening"))
    ap.add_argument("--trajectories", type=int, default=20)
    ap.add_argument("--steps", type=int, default=None, help="horizon in steps (default: the scenario's)")
    ap.add_argument("--scenario", default=None, help="another program (default: the spec's)")
    ap.add_argument("--replicates", type=int, default=None, help="runs per point (default: the spec's)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--top", type=int, default=10)
    args = ap.parse_args()

    data = read_yaml(SPEC)
    data["sampler"]["N"] = args.trajectories
    data["convergence"] = args.trajectories >= 8
    data["name"] = f"{data['name']}-example"
    if args.steps:
        data["steps"] = args.steps
    if args.scenario:
        data["scenario"] = args.scenario
    if args.replicates:
        data["replicates"] = args.replicates
    spec = sa.spec_from_dict(data, str(SPEC))  # validated exactly like the file
    print(f"{spec.name}: {len(spec.params)} parameters, {args.trajectories} trajectories, "
          f"{spec.raw.replicates} replicates on {spec.raw.scenario}")  # fmt: skip
    sa.run(spec, args.out, executor=args.workers, progress=False)

    _, analysis = sa.analyse_dir(args.out)
    ix = analysis.indices.query("outcome == 'final_integration' and method == 'morris'")
    wide = ix.pivot_table(index="parameter", columns="index", values="value")
    wide["mu_star_conf"] = ix[ix["index"] == "mu_star"].set_index("parameter")["conf"]
    print(wide.sort_values("mu_star", ascending=False).head(args.top)[["mu_star", "mu_star_conf", "sigma"]].round(4))
    for w in analysis.warnings:
        print("warning:", w)
    print(f"plots and tables: {args.out / 'analysis'} (mu*-sigma plot: sens_morris_final_integration_mean.png)")


if __name__ == "__main__":
    main()
