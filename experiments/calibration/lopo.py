"""Leave-one-pattern-out: the held-out pass rates of several fits, side by side with the full fit's.

Each directory is a finished ``abm calibrate SPEC --holdout P --out DIR`` (read by
:func:`~experiments.calibration.outputs.read_calibration`); all must be fits of one spec but for the
held-out patterns. :func:`summarise` gives two tables: one row per fit (held-out pattern, generations,
final epsilon and effective sample size, model runs, wall time, held-out and fitted pass rates, and
the full fit's pass rate on the same comparisons), and one row per held-out comparison (predictive
mean, 5-95% range, target, null, pass rate when held out and in the full fit). :func:`section` is
the generated ``lopo`` block of docs/VALIDATION.md. Bad input raises :class:`LopoError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.outputs import CalibrationOutputs, markdown, read_calibration

# spec fields that may differ between the fits compared (and the full fit)
FREE_FIELDS = ("holdout", "executor", "description")


class LopoError(ValueError):
    """A directory that is not a finished pattern calibration, or fits of different specs."""


@dataclass
class LopoSummary:
    fits: pd.DataFrame  # one row per held-out fit
    comparisons: pd.DataFrame  # one row per held-out comparison
    full: Path | None  # the full fit compared against (None: not found)
    full_commit: str  # its git commit ('' without it)
    spec: dict[str, Any]  # the shared spec (holdout removed)
    commits: list[str]


def _spec_body(c: CalibrationOutputs) -> dict[str, Any]:
    return {k: v for k, v in (c.manifest.get("spec") or {}).items() if k not in FREE_FIELDS}


def _load(folder: Path) -> CalibrationOutputs:
    try:
        c = read_calibration(folder)
    except (OSError, ValueError) as e:
        raise LopoError(f"{folder}: unreadable calibration outputs ({e})") from None
    if c is None:
        raise LopoError(f"{folder}: not a finished calibration; expected the --out directory of a finished "
                        "`abm calibrate` (manifest.json of kind calibration and posterior.parquet)")  # fmt: skip
    if c.manifest.get("targets_kind") != "patterns":
        raise LopoError(f"{folder / 'manifest.json'}: targets_kind: {c.manifest.get('targets_kind')!r}; expected a fit to patterns")
    if c.predictive.empty:
        raise LopoError(f"{folder / 'predictive.csv'}: empty; expected posterior predictive checks (predictive.draws > 0)")
    return c


def pass_rates(c: CalibrationOutputs) -> pd.DataFrame:
    """Per comparison of a fit's predictive checks: role, predictive mean and 5-95% range, pass rate."""
    pp = c.predictive.assign(statistic=c.predictive["statistic"].astype(str))
    rows = []
    for k, g in pp.groupby("statistic", sort=False):
        e = g["estimate"].to_numpy(float)
        rows.append({"statistic": k, "role": g["role"].iat[0], "mean": float(np.nanmean(e)), "q05": float(np.nanquantile(e, 0.05)),
                     "q95": float(np.nanquantile(e, 0.95)), "pass_rate": float(g["passed"].astype(bool).mean())})  # fmt: skip
    return pd.DataFrame(rows).set_index("statistic")


def wall_minutes(manifest: dict[str, Any]) -> float:
    """Wall time of every session of a fit (sampling and predictive checks), in minutes."""
    total = 0.0
    for s in manifest.get("sessions") or []:
        if s.get("started") and s.get("ended"):
            total += (datetime.fromisoformat(s["ended"]) - datetime.fromisoformat(s["started"])).total_seconds()
    return total / 60


def summarise(folders: list[Path], full: Path | None) -> LopoSummary:
    """The fits in ``folders`` (each with held-out patterns) against the full fit in ``full`` (if it exists)."""
    from experiments.validation.patterns import THRESHOLDS

    fits = [_load(f) for f in folders]
    spec = _spec_body(fits[0])
    for f, c in zip(folders, fits, strict=True):
        if not c.manifest.get("holdout_keys"):
            raise LopoError(f"{f / 'manifest.json'}: holdout_keys: empty; expected a fit with held-out patterns (--holdout P)")
        if _spec_body(c) != spec:
            raise LopoError(f"{f / 'manifest.json'}: spec: differs from {folders[0]}'s beyond holdout; expected fits of one spec")
    ref = None
    if full is not None and full.exists():
        ref = _load(full)
        if _spec_body(ref) != spec or ref.manifest.get("holdout_keys"):
            raise LopoError(f"{full / 'manifest.json'}: spec: not the same spec without held-out patterns as {folders[0]}; "
                            "expected the full fit of that spec (or no --full)")  # fmt: skip
    ref_rates = pass_rates(ref) if ref is not None else None

    def ref_rate(keys: list[str]) -> float:
        if ref_rates is None or not set(keys) <= set(ref_rates.index):
            return float("nan")
        return float(ref_rates.loc[keys, "pass_rate"].mean())

    fit_rows, cmp_rows = [], []
    for c in fits:
        m = c.manifest
        held = [str(k) for k in m["holdout_keys"]]
        label = ", ".join(str(h) for h in (m.get("spec") or {}).get("holdout", held))
        rates = pass_rates(c)
        missing = [k for k in held if k not in rates.index]
        if missing:
            raise LopoError(f"{c.folder / 'predictive.csv'}: statistic: no rows for held-out {', '.join(missing)}")
        g = c.generations
        last = g.iloc[-1] if not g.empty else None
        fitted = rates[rates["role"] == "fit"]
        fit_rows.append({"held out": label, "comparisons": ", ".join(held), "generations": len(g),
                         "final epsilon": float(last["epsilon"]) if last is not None else float("nan"),
                         "final ESS": float(last["ess"]) if last is not None else float("nan"),
                         "fit runs": int(g["runs"].sum()) if not g.empty else 0, "wall minutes": wall_minutes(m),
                         "fitted pass rate": float(fitted["pass_rate"].mean()) if not fitted.empty else float("nan"),
                         "held-out pass rate": float(rates.loc[held, "pass_rate"].mean()),
                         "full fit, same comparisons": ref_rate(held)})  # fmt: skip
        for k in held:
            r = rates.loc[k]
            cmp_rows.append({"comparison": k, "held out": label, "target": THRESHOLDS[k][0], "null": THRESHOLDS[k][1],
                             "mean": r["mean"], "q05": r["q05"], "q95": r["q95"], "pass rate held out": r["pass_rate"],
                             "pass rate full fit": ref_rate([k])})  # fmt: skip
    commits = sorted({_commit(c) for c in fits})
    return LopoSummary(pd.DataFrame(fit_rows), pd.DataFrame(cmp_rows), ref.folder if ref is not None else None,
                       _commit(ref) if ref is not None else "", spec, commits)  # fmt: skip


def _commit(c: CalibrationOutputs) -> str:
    return (c.manifest.get("git_commit") or "unknown")[:10]


def _na(table: str) -> str:
    """Missing values (no full fit) as n/a."""
    return re.sub(r"(?<=\| )nan(?= \|)", "n/a", table)


def section(s: LopoSummary, command: str) -> str:
    """The generated block: provenance, the per-fit table and the per-comparison table."""
    spec = s.spec
    pp = spec.get("predictive") or {}
    total = s.fits["held-out pass rate"].mean()
    ref_total = s.fits["full fit, same comparisons"].mean()
    lines = [
        f"Generated by `{command}` from {len(s.fits)} fits of the spec `{spec.get('name')}` (master seed {spec.get('seed')}, "
        f"commit {', '.join(s.commits)}), each with one pattern held out: population {spec.get('population')}, up to "
        f"{spec.get('generations')} generations, {spec.get('replicates')} replicates per particle; predictive checks "
        f"{pp.get('draws')} draws x {pp.get('replicates')} replicates (pass = the suite's rule, estimate >= target and CI low > null).",
        "", "Full fit compared against: " + (f"`{s.full}` (no pattern held out; commit {s.full_commit}"
                                             + ("" if [s.full_commit] == s.commits else
                                                "; the fits' commits differ: check that the model did not change between them") + ")."
                                             if s.full is not None else "n/a (not found)."),
        "", "Per fit (final epsilon and ESS of the last generation; fit runs exclude the predictive checks; "
        "wall time of all sessions, whatever else the machine ran):",
        "", _na(markdown(s.fits)), "", "Per held-out comparison (predictive mean and 5-95% range over draws):",
        "", _na(markdown(s.comparisons)), "",
        f"Mean held-out pass rate over the {len(s.fits)} fits: {total:.2f}"
        + (f" (the full fit, same comparisons: {ref_total:.2f})." if np.isfinite(ref_total) else " (full fit: n/a)."),
    ]  # fmt: skip
    return "\n".join(lines)


def update(s: LopoSummary, doc: Path, command: str) -> None:
    """Rewrite the generated ``lopo`` block of ``doc``."""
    from experiments.validation.report import update_docs

    update_docs(doc, "lopo", section(s, command))
