"""Resolution study: P4's outcomes as the number of clinician agents per staff grows.

Writes docs/img/resolution.png and the table between the ``resolution`` markers of docs/ODD.md
(section 7.10). Run: ``python scripts/resolution_figure.py [--seeds 12]`` (about 3 minutes).
Organizations get between 1 and 100,000 agents (no clipping) so that only the resolution changes.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from abm.run import run_once  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESOLUTIONS = (0.01, 0.02, 0.05, 0.1, 0.2)
OUTCOMES = ("time_to_consensus", "final_consensus", "final_connectivity", "final_trust_mean", "auc_integration")


def study(seeds: int) -> dict[float, dict[str, np.ndarray]]:
    out = {}
    for c in RESOLUTIONS:
        ov = {"params.clinicians_per_staff": c, "params.min_clinicians": 1, "params.max_clinicians": 100000}
        runs = [run_once("P4", seed=s, overrides=ov) for s in range(seeds)]
        res = {k: np.array([r.summary[k] for r in runs], float) for k in OUTCOMES}
        res["time_to_consensus"] = np.where(np.isnan(res["time_to_consensus"]), runs[0].summary["steps"] + 1, res["time_to_consensus"])
        from abm.model import IntegrationModel

        m = IntegrationModel(runs[0].scenario, seed=0)
        res["agents"] = np.array([float(m.state.n_clinicians)])
        m.release()
        out[c] = res
        print(c, {k: round(float(np.median(v)), 3) for k, v in res.items()}, flush=True)
    return out


def table(res: dict[float, dict[str, np.ndarray]], seeds: int) -> str:
    lines = [
        f"P4, {seeds} seeds per resolution, medians (time to consensus: weeks, never = 105):",
        "",
        "| agents per staff | clinician agents | time to consensus | final consensus | final connectivity | final trust | integration AUC |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c, r in res.items():
        lines.append(
            f"| {c} | {int(r['agents'][0])} | {np.median(r['time_to_consensus']):.1f} | {np.median(r['final_consensus']):.3f} | "
            f"{np.median(r['final_connectivity']):.3f} | {np.median(r['final_trust_mean']):.3f} | {np.median(r['auc_integration']):.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=12)
    a = ap.parse_args()
    res = study(a.seeds)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    cs = list(res)
    for ax, key, label in ((axes[0], "time_to_consensus", "time to consensus (weeks)"), (axes[1], "final_connectivity", "final connectivity")):
        q = np.array([np.quantile(res[c][key], [0.25, 0.5, 0.75]) for c in cs])
        ax.fill_between(cs, q[:, 0], q[:, 2], alpha=0.25)
        ax.plot(cs, q[:, 1], marker="o")
        ax.set_xscale("log")
        ax.set_xlabel("clinician agents per staff member")
        ax.set_ylabel(label)
        ax.axvline(0.02, color="grey", ls=":", lw=1)
    fig.suptitle(f"P4: outcomes by resolution (median and quartiles, {a.seeds} seeds; dotted: default)")
    fig.tight_layout()
    img = ROOT / "docs" / "img" / "resolution.png"
    fig.savefig(img, dpi=110)
    odd = ROOT / "docs" / "ODD.md"
    text = odd.read_text()
    block = f"<!-- resolution:start -->\n{table(res, a.seeds)}\n<!-- resolution:end -->"
    text = re.sub(r"<!-- resolution:start -->.*?<!-- resolution:end -->", lambda _: block, text, flags=re.S)
    odd.write_text(text)
    print(f"wrote {img} and the table in {odd}")


if __name__ == "__main__":
    main()
