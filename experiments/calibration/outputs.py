"""What a finished fit writes: posterior table, generations, plots, predictive checks and the report.

* ``posterior.parquet``: the final population, one row per particle: ``param.<name>``, ``weight``
  (sums to 1), ``distance`` and its summary statistics ``stat.<name>``;
* ``generations.csv``: per generation t: epsilon, particles, proposals evaluated (pyabc's
  ``samples``), acceptance rate, effective sample size, model runs used (including the prior
  calibration sample in t = 0 and proposals evaluated past the n-th acceptance);
* ``posterior_pairs.png`` (pairwise weighted scatter, marginals on the diagonal) and
  ``posterior_marginals.png`` (prior vs posterior per parameter);
* ``predictive.csv``: posterior predictive checks, ``draws`` weighted draws x ``replicates`` runs;
* ``report.md``: all of the above as tables, and the held-out patterns' predictive pass rate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.spec import Resolved
from experiments.executors import ExecutorHandle
from experiments.storage import read_frame, read_manifest

PREDICTIVE_KEY = 999_999
# the files :func:`write_all` writes (read back by :func:`read_calibration`)
POSTERIOR = "posterior.parquet"
GENERATIONS = "generations.csv"
MARGINALS = "marginals.csv"
PREDICTIVE = "predictive.csv"
REPORT = "report.md"


def _history(db: Path) -> Any:
    import pyabc

    return pyabc.History(f"sqlite:///{db}", _id=1, create=False)


def last_acceptance_rate(db: Path) -> float:
    pops = _history(db).get_all_populations()
    pops = pops[pops["t"] >= 0]
    if pops.empty:
        return 1.0
    last = pops.iloc[-1]
    return float(last["particles"] / max(last["samples"], 1))


def posterior_table(db: Path) -> pd.DataFrame:
    """The last stored population as a table (see the module docstring)."""
    h = _history(db)
    pop = h.get_population(t=h.max_t)
    rows = []
    for p in pop.particles:
        row = {f"param.{k}": float(v) for k, v in dict(p.parameter).items()}
        row["weight"] = float(p.weight)
        row["distance"] = float(p.distance)
        for k, v in dict(p.sum_stat).items():
            row[f"stat.{k}"] = float(np.asarray(v, float).reshape(-1)[0]) if np.size(v) == 1 else np.nan
        rows.append(row)
    df = pd.DataFrame(rows)
    df["weight"] = df["weight"] / df["weight"].sum()
    return df


def generations_table(db: Path, log: Path, runs_per_particle: int) -> pd.DataFrame:
    h = _history(db)
    pops = h.get_all_populations()
    pops = pops[pops["t"] >= 0].copy()
    used: dict[int, int] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            e = json.loads(line)
            used[e["t"]] = used.get(e["t"], 0) + int(e["runs"])
    rows = []
    for _, r in pops.iterrows():
        t = int(r["t"])
        _, w = h.get_distribution(m=0, t=t)
        w = np.asarray(w, float)
        w = w / w.sum()
        rows.append({"t": t, "epsilon": float(r["epsilon"]), "particles": int(r["particles"]), "samples": int(r["samples"]),
                     "acceptance_rate": float(r["particles"] / max(r["samples"], 1)), "ess": float(1.0 / np.sum(w**2)),
                     "runs": used.get(t, int(r["samples"]) * runs_per_particle)})  # fmt: skip
    return pd.DataFrame(rows)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cw = np.cumsum(w) - 0.5 * w
    cw /= w.sum()
    return float(np.interp(q, cw, x))


def marginals(post: pd.DataFrame, bounds: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Per parameter: prior bounds, weighted posterior mean, sd, 5/50/95% quantiles, 90% CI width / prior width."""
    w = post["weight"].to_numpy(float)
    rows = []
    for name, (lo, hi) in bounds.items():
        x = post[f"param.{name}"].to_numpy(float)
        mean = float(np.sum(w * x))
        sd = float(np.sqrt(np.sum(w * (x - mean) ** 2)))
        q5, q50, q95 = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
        rows.append({"parameter": name, "prior_lo": lo, "prior_hi": hi, "mean": mean, "sd": sd, "q05": q5, "median": q50,
                     "q95": q95, "ci90_width_share": (q95 - q5) / (hi - lo)})  # fmt: skip
    return pd.DataFrame(rows)


def draws(post: pd.DataFrame, n: int, seed: int) -> list[dict[str, float]]:
    """n weighted draws (with replacement) of parameter sets from a posterior table."""
    cols = [c for c in post.columns if c.startswith("param.")]
    idx = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(PREDICTIVE_KEY,))).choice(
        len(post), size=n, p=post["weight"].to_numpy(float))  # fmt: skip
    return [{c.removeprefix("param."): float(post[c].iat[i]) for c in cols} for i in idx]


def predictive(res: Resolved, post: pd.DataFrame, handle: ExecutorHandle) -> pd.DataFrame:
    """Posterior predictive checks: one row per (draw, statistic)."""
    from experiments.calibration.run import job_factory
    from experiments.calibration.targets import evaluate_batch

    pp = res.spec.predictive
    if pp.draws == 0:
        return pd.DataFrame()
    make = job_factory(res)
    sets = draws(post, pp.draws, res.spec.seed)
    keys = res.fit_keys + res.holdout_keys
    jobs = [make(p, (PREDICTIVE_KEY, d), replicates=pp.replicates, full=True, keys=keys) for d, p in enumerate(sets)]
    futures = [handle.executor.submit(evaluate_batch, [j]) for j in jobs]
    rows = []
    for d, (p, f) in enumerate(zip(sets, futures, strict=True)):
        stats = f.result()[0]
        for k, v in stats.items():
            row: dict[str, Any] = {"draw": d, **{f"param.{n}": x for n, x in p.items()}, "statistic": k}
            if res.kind == "patterns":
                row |= {"role": "held out" if k in res.holdout_keys else "fit", **v}
            else:
                row |= {"role": "fit", "estimate": v, "observed": res.observed[k]}
            rows.append(row)
    return pd.DataFrame(rows)


def predictive_summary(res: Resolved, pp: pd.DataFrame) -> pd.DataFrame:
    """Per statistic: predictive mean and 5-95% range over draws; patterns: target and pass rate."""
    from experiments.validation.patterns import THRESHOLDS

    if pp.empty:
        return pd.DataFrame()
    rows = []
    for k, g in pp.groupby("statistic", sort=False):
        e = g["estimate"].to_numpy(float)
        row: dict[str, Any] = {"statistic": k, "role": g["role"].iat[0], "mean": float(np.nanmean(e)),
                               "q05": float(np.nanquantile(e, 0.05)), "q95": float(np.nanquantile(e, 0.95))}  # fmt: skip
        if res.kind == "patterns":
            row |= {"target": THRESHOLDS[k][0], "null": THRESHOLDS[k][1], "pass_rate": float(g["passed"].mean())}
        else:
            row["observed"] = res.observed[k]
        rows.append(row)
    return pd.DataFrame(rows)


def plots(post: pd.DataFrame, bounds: dict[str, tuple[float, float]], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(bounds)
    w = post["weight"].to_numpy(float)
    k = len(names)
    fig, axes = plt.subplots(k, k, figsize=(2.2 * k + 1, 2.2 * k + 1), squeeze=False)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i][j]
            if i == j:
                ax.hist(post[f"param.{a}"], bins=20, range=bounds[a], weights=w, color="tab:blue", alpha=0.8)
            elif i > j:
                ax.scatter(post[f"param.{b}"], post[f"param.{a}"], s=6 + 400 * w, alpha=0.5, color="tab:blue")
                ax.set_xlim(bounds[b])
                ax.set_ylim(bounds[a])
            else:
                ax.axis("off")
            if i == k - 1:
                ax.set_xlabel(b, fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(a, fontsize=8)
            ax.tick_params(labelsize=6)
    fig.suptitle("posterior: pairwise (weighted) and marginals")
    fig.tight_layout()
    fig.savefig(out / "posterior_pairs.png", dpi=90)
    plt.close(fig)
    cols = min(4, k)
    rows = -(-k // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    for n, a in enumerate(names):
        ax = axes[n // cols][n % cols]
        lo, hi = bounds[a]
        ax.hist(post[f"param.{a}"], bins=20, range=(lo, hi), weights=w, density=True, alpha=0.7, label="posterior")
        ax.hlines(1.0 / (hi - lo), lo, hi, colors="k", linestyles="--", label="prior")
        ax.set_title(a, fontsize=9)
        ax.tick_params(labelsize=7)
    for n in range(k, rows * cols):
        axes[n // cols][n % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "posterior_marginals.png", dpi=90)
    plt.close(fig)
    return ["posterior_pairs.png", "posterior_marginals.png"]


def _cell(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return f"{v:.4g}"
    return str(v)


def markdown(df: pd.DataFrame) -> str:
    """A Markdown table, column by column (integers as integers, floats to 4 significant digits)."""
    if df.empty:
        return "(none)"
    head = "| " + " | ".join(map(str, df.columns)) + " |\n|" + "---|" * len(df.columns) + "\n"
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return head + "\n".join(rows) + "\n"


def holdout_rate(res: Resolved, summary: pd.DataFrame) -> float | None:
    """Mean predictive pass rate of the held-out comparisons (None without held-out patterns)."""
    if not res.holdout_keys or summary.empty:
        return None
    return float(summary[summary["role"] == "held out"]["pass_rate"].mean())


def write_all(res: Resolved, out: Path, handle: ExecutorHandle, manifest: dict[str, Any]) -> dict[str, Any]:
    """Every output of a finished fit; returns the pieces the docs section is made of."""
    from experiments.calibration.run import DB

    db = out / DB
    post = posterior_table(db)
    post.to_parquet(out / POSTERIOR, index=False)
    gens = generations_table(db, out / "sampler_log.jsonl", res.runs_per_particle)
    gens.to_csv(out / GENERATIONS, index=False)
    marg = marginals(post, res.bounds)
    marg.to_csv(out / MARGINALS, index=False)
    figs = plots(post, res.bounds, out)
    pp = predictive(res, post, handle)
    pp.to_csv(out / PREDICTIVE, index=False)
    pps = predictive_summary(res, pp)
    rate = holdout_rate(res, pps)
    spec = res.spec
    parts = {
        "marginals": markdown(marg),
        "generations": markdown(gens),
        "predictive": markdown(pps),
        "holdout_rate": rate,
        "runs": int(gens["runs"].sum()) if not gens.empty else 0,
    }
    lines = [
        f"# Calibration: {spec.name}", "", spec.description, "",
        f"- ABC-SMC (pyabc), {len(res.bounds)} parameters with uniform priors, population {spec.population}, "
        f"{len(gens)} generations stored of {spec.generations}, {spec.replicates} replicates per particle "
        f"({res.runs_per_particle} runs), {parts['runs']} model runs in all; master seed {spec.seed}",
        "- targets: " + (f"patterns {', '.join(res.fit_keys)} (distance: sum of shortfalls from each pre-registered target, "
                         "in units of target - null)" if res.kind == "patterns" else
                         "observed " + ", ".join(f"{k} = {v:g}" for k, v in res.observed.items())
                         + f" ({spec.distance} Euclidean distance)"),
        f"- held out: {', '.join(res.holdout_keys) or 'none'}",
        f"- spec hash {manifest['spec_hash']}, commit {(manifest.get('git_commit') or 'unknown')[:10]}",
        "", "## Posterior marginals (weighted; 90% credible interval q05-q95)", "", parts["marginals"], "",
        "![prior vs posterior](posterior_marginals.png)", "", "![pairwise posterior](posterior_pairs.png)", "",
        "## Generations", "", parts["generations"], "",
        f"## Posterior predictive checks ({spec.predictive.draws} draws x {spec.predictive.replicates} replicates)", "",
        parts["predictive"], "",
    ]  # fmt: skip
    if rate is not None:
        lines += [f"Held-out patterns ({', '.join(res.holdout_keys)}): posterior predictive pass rate {rate:.2f}.", ""]
    (out / REPORT).write_text("\n".join(lines))
    (out / "docs_parts.json").write_text(json.dumps(parts, indent=2, default=float))
    return {"figures": figs, **parts}


@dataclass
class CalibrationOutputs:
    """A finished calibration directory as :func:`write_all` wrote it: the weighted ``posterior``
    (``param.<name>``, ``weight``, ``distance``, ``stat.<name>``), ``generations``, ``marginals``
    (prior bounds and weighted posterior quantiles per parameter), ``predictive`` (one row per draw
    and statistic; empty without predictive checks), the ``manifest`` and the ``report`` text."""

    folder: Path
    manifest: dict[str, Any]
    posterior: pd.DataFrame
    generations: pd.DataFrame
    marginals: pd.DataFrame
    predictive: pd.DataFrame
    report: str

    @property
    def parameters(self) -> list[str]:
        return [c.removeprefix("param.") for c in self.posterior.columns if c.startswith("param.")]


def read_calibration(out: str | Path) -> CalibrationOutputs | None:
    """``out`` as written by ``abm calibrate``, or None if it holds no finished calibration (no
    calibration manifest or no posterior table yet). Unreadable files raise OSError / ValueError."""
    from experiments.calibration.run import KIND

    out = Path(out)
    manifest = read_manifest(out)
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND or not (out / POSTERIOR).is_file():
        return None

    def csv(name: str) -> pd.DataFrame:
        try:
            return pd.read_csv(out / name)
        except (FileNotFoundError, pd.errors.EmptyDataError):  # no predictive checks: an empty file
            return pd.DataFrame()

    report = (out / REPORT).read_text() if (out / REPORT).is_file() else ""
    return CalibrationOutputs(out, manifest, read_frame(out / POSTERIOR), csv(GENERATIONS), csv(MARGINALS),
                              csv(PREDICTIVE), report)  # fmt: skip
