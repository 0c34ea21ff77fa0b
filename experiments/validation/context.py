"""Context dependence of knock-out effects: a program x knock-out interaction over paired seeds.

MODEL.md pattern 7 says switching off a facilitating mechanism lowers integration "by different
amounts in different contexts". For each mechanism that applies in at least two programs, the
effect in a program is the paired difference base - knock-out (same seed, common random numbers)
in an outcome, averaged over seeds. The statistic is the mean effect in the program where it is
largest minus where it is smallest (the two programs chosen on the full sample), with a percentile
bootstrap interval that resamples seeds within each program independently. The interval is
conditional on that choice: with equal effects everywhere the chosen contrast is still positive by
noise, which the target (a substantive difference, ``THRESHOLDS["7c"]``) and not the interval
guards against.

Reference: Pawson & Tilley (1997), Realistic Evaluation ("what works for whom, in what circumstances").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.validation import knockouts as ko
from experiments.validation import stats
from experiments.validation.runner import Record, column


def paired_effects(records: dict[str, list[Record]], mechanism: str, outcome: str, programs=ko.PROGRAMS) -> dict[str, np.ndarray]:
    """Program -> per-seed effect base - knock-out, for the programs where the knock-out was run."""
    return {p: column(records[p], outcome) - column(records[f"{p}-ko-{mechanism}"], outcome)
            for p in programs if p in records and f"{p}-ko-{mechanism}" in records}  # fmt: skip


def extreme_contrast(effects: dict[str, np.ndarray], rng: np.random.Generator, n_boot: int = stats.N_BOOT
                     ) -> tuple[str, str, float, float, float]:  # fmt: skip
    """(most, least, mean effect in most - in least, CI low, CI high); needs at least two programs."""
    if len(effects) < 2:
        raise ValueError("context dependence needs the mechanism in at least two programs")
    means = {p: float(np.mean(e)) for p, e in effects.items()}
    most, least = max(means, key=means.get), min(means, key=means.get)  # type: ignore[arg-type]
    a, b = effects[most], effects[least]
    boot = a[rng.integers(0, a.size, (n_boot, a.size))].mean(axis=1) - b[rng.integers(0, b.size, (n_boot, b.size))].mean(axis=1)
    lo, hi = np.quantile(boot, [(1 - stats.LEVEL) / 2, (1 + stats.LEVEL) / 2])
    return most, least, means[most] - means[least], float(lo), float(hi)


def context_dependence(records: dict[str, list[Record]], outcome: str, rng: np.random.Generator,
                       mechanisms=ko.FACILITATING, programs=ko.PROGRAMS) -> pd.DataFrame:  # fmt: skip
    """One row per mechanism: the programs it applies in, the mean effect in each, and the extreme contrast.

    A mechanism that applies in fewer than two programs has no contrast (NaN, ``testable`` False).
    """
    rows = []
    for m in mechanisms:
        eff = paired_effects(records, m, outcome, programs)
        row = {"mechanism": m, "programs": ",".join(eff), "testable": len(eff) >= 2,
               "effects": "; ".join(f"{p} {e.mean():+.3f}" for p, e in eff.items())}  # fmt: skip
        if len(eff) >= 2:
            row["most"], row["least"], row["difference"], row["lo"], row["hi"] = extreme_contrast(eff, rng)
            row["n"] = int(min(e.size for e in eff.values()))
        rows.append(row)
    return pd.DataFrame(rows)


def dependence_markdown(df: pd.DataFrame, target: float, null: float) -> str:
    """The context-dependence table as Markdown, with the pass rule (estimate >= target, CI low > null)."""
    from experiments.validation.report import markdown

    d = df.copy()
    d["mechanism"] = [ko.LABELS.get(m, m) for m in d["mechanism"]]
    for col in ("most", "least", "difference", "lo", "hi", "n"):
        if col not in d:
            d[col] = np.nan
    d["most - least [95% CI]"] = [f"{x:+.3f} [{a:+.3f}, {b:+.3f}]" if t else "n/a (one program)"
                                  for x, a, b, t in zip(d["difference"], d["lo"], d["hi"], d["testable"], strict=True)]  # fmt: skip
    d["passed"] = [bool(t and x >= target and a > null) if t else "n/a"
                   for x, a, t in zip(d["difference"], d["lo"], d["testable"], strict=True)]  # fmt: skip
    d["most"] = [m if t else "" for m, t in zip(d["most"], d["testable"], strict=True)]
    d["least"] = [m if t else "" for m, t in zip(d["least"], d["testable"], strict=True)]
    intro = (f"Context dependence (program x knock-out interaction, pattern 7c): mean paired effect base - knock-out on "
             f"the area under the integration curve in each program, and the most - least contrast with a bootstrap "
             f"interval resampling seeds within program; passes if >= {target:.2f} and CI low > {null:.2f}.\n\n")
    return intro + markdown(d, ["mechanism", "effects", "most", "least", "most - least [95% CI]", "passed"])
