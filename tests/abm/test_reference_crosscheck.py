"""Statistical cross-check: the idiomatic-Mesa reference (benchmarks/reference) and the array model agree.

Both run the same scenario with the mechanisms the reference lacks switched off. With the same seed
both start from the same initial state (both call ``build_state`` first with the run's generator),
so replicates are paired: the dynamics differ only in their random streams. For consensus, trust
and engagement at two times we require (a) the paired mean difference within 4 standard errors and
(b) a two-sample Kolmogorov-Smirnov test not rejecting at 0.001. Seeds are fixed, so the outcome is
deterministic (no flakes); a rule that differs between the two implementations fails (see
``test_crosscheck_detects_a_different_rule``).
"""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from scipy import stats

from abm.config import load_scenario, with_overrides
from abm.model import IntegrationModel
from benchmarks.reference import ReferenceModel, core_scenario

REPLICATES = 60
STEPS = 40
COLUMNS = ("consensus", "trust_mean", "engagement")
Z_MAX = 4.0
KS_ALPHA = 1e-3


def outcomes(cls, scenario, seeds) -> np.ndarray:
    """(replicate, statistic) array: each column at mid-run and at the end."""
    rows = []
    for seed in seeds:
        m = cls(scenario, seed=seed)
        for _ in range(STEPS):
            m.step()
        df = m.datacollector.get_model_vars_dataframe()
        mesa.Agent._ids.pop(m, None)  # Mesa 3.3.1 keeps every model alive otherwise
        rows.append([df[c].iloc[t] for c in COLUMNS for t in (STEPS // 2, STEPS)])
    return np.array(rows)


def disagreements(a: np.ndarray, b: np.ndarray) -> list[str]:
    """Statistics on which paired replicates a and b disagree (paired z or KS)."""
    out = []
    names = [f"{c}@{t}" for c in COLUMNS for t in (STEPS // 2, STEPS)]
    for k, name in enumerate(names):
        d = a[:, k] - b[:, k]
        se = d.std(ddof=1) / np.sqrt(len(d))
        z = d.mean() / se if se > 0 else (0.0 if d.mean() == 0 else np.inf)
        p = stats.ks_2samp(a[:, k], b[:, k]).pvalue
        if abs(z) > Z_MAX or p < KS_ALPHA:
            out.append(f"{name}: mean difference {d.mean():+.4f} (z={z:.1f}), KS p={p:.2g}")
    return out


@pytest.fixture(scope="module")
def p4_main():
    sc = core_scenario(load_scenario("P4"))
    return sc, outcomes(IntegrationModel, sc, range(REPLICATES))


@pytest.mark.parametrize("program", ["P3", "P6"])
def test_reference_agrees_with_model(program):
    sc = core_scenario(load_scenario(program))
    seeds = range(REPLICATES)
    bad = disagreements(outcomes(IntegrationModel, sc, seeds), outcomes(ReferenceModel, sc, seeds))
    assert not bad, f"{program}: model and reference disagree on " + "; ".join(bad)


def test_reference_agrees_with_model_p4(p4_main):
    sc, main = p4_main
    bad = disagreements(main, outcomes(ReferenceModel, sc, range(REPLICATES)))
    assert not bad, "P4: model and reference disagree on " + "; ".join(bad)


def test_crosscheck_detects_a_different_rule(p4_main):
    # the reference with a smaller convergence step: the comparison must notice
    sc, main = p4_main
    other = with_overrides(sc, {"params.mu": 0.2})
    bad = disagreements(main, outcomes(ReferenceModel, other, range(REPLICATES)))
    assert any(b.startswith("consensus") for b in bad), bad


def test_reference_refuses_mechanisms_it_lacks():
    with pytest.raises(ValueError, match="lacks"):
        ReferenceModel(load_scenario("P4"), seed=0)
