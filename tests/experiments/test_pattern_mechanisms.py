"""Each MODEL.md pattern holds through the mechanism it names, not through a value set by hand.

For every pattern, ``experiments/validation/confounds.py`` names what could produce it by
construction (a starting value, a link or a milestone given at step 0) and builds arms with it
removed; the pattern suite reports the comparison again as a starred row (``1c*``). Here each
starred comparison runs alone over paired replicates with a fixed master seed, and must pass the
full pass rule of the original pattern (estimate >= target and CI low > null; the same thresholds,
never loosened). A comparison that fails against today's model is marked ``xfail(strict=True)``
with what it measured, so it turns into a failure to remove the mark when the model changes.

The 7c test checks the context-dependence statistic itself (program x knock-out interaction).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from experiments.validation import context as cx
from experiments.validation import knockouts as ko
from experiments.validation import patterns as pt
from experiments.validation.runner import Record, run_arms, scenario

MASTER = 20261129  # not the report's seed, nor calibration's
N = 50  # paired replicates per arm

# starred key -> (pattern, the arms its comparison needs)
NEEDS = {
    "1a*": (1, ("P2-no-handset", "P3-no-handset")),
    "1b*": (1, ("P2-unaligned", "P2-noprior")),
    "1c*": (1, ("P2-unaligned", "P2-noprior")),
    "2a*": (2, ("P3-no-handset", "P3-noshadow-no-handset")),
    "2b*": (2, ("P3-no-handset", "P3-noshadow-no-handset")),
    "2c*": (2, ("P3-no-handset", "P3-noshadow-no-handset")),
    "3a*": (3, ("P1-small-equalized",)),
    "3b*": (3, ("P1-small-equalized",)),
    "3c*": (3, ("P1-small-equalized",)),
    "4a*": (4, ("scale-4-same-views", "scale-14-same-views")),
    "4b*": (4, ("P4-same-views", "P6-same-views")),
    "5*": (5, ("P5-culture-only", "P5-average")),
    "6a*": (6, ("P6-start-at-baseline", "P6-nodashboard-start-at-baseline")),
    "6b*": (6, ("P6-start-at-baseline", "P6-nodashboard-start-at-baseline")),
}
# Fail against today's model (measured with these seeds; see the reason): the lead's model changes may flip them.
FAILS_TODAY = {
    "1a*": "P2 without its shared records at start, alignment and milestones vs P3 at default trust: PS 0.638 "
           "[0.526, 0.746] here, 0.743 [0.633, 0.845] in the 40-replicate suite; target 0.75",
    "4a*": "scale with practice centres equal at start: PS 0.657 [0.543, 0.760]; target 0.70 (4a itself fails too)",
    "4b*": "P4 vs P6 with practice centres equal at start: PS 0.564 [0.451, 0.681]; target 0.70 "
           "(4b's pass comes largely from more partners starting less agreed)",
}


@cache
def _records(pattern: int, arms: tuple[str, ...]) -> dict[str, list[Record]]:
    every = pt.PATTERNS_BY_NUMBER[pattern].arms(MASTER, N)
    return run_arms({a: every[a] for a in arms}, MASTER, N, workers=2)


def _row(key: str) -> pt.Comparison:
    pattern, arms = NEEDS[key]
    rows = pt.PATTERNS_BY_NUMBER[pattern].evaluate(_records(pattern, arms), np.random.default_rng([MASTER, pattern]), N)
    (row,) = [r for r in rows if r.key == key]
    return row


def test_every_pattern_comparison_has_a_deconfounded_twin():
    assert set(NEEDS) == {f"{k}*" for k in pt.DECONFOUNDED}
    assert all(pt.THRESHOLDS[f"{k}*"] == pt.THRESHOLDS[k] for k in pt.DECONFOUNDED)  # same thresholds, not loosened
    for key, (pattern, arms) in NEEDS.items():
        assert set(arms) <= set(pt.PATTERNS_BY_NUMBER[pattern].arms(MASTER, 2)), key


@pytest.mark.parametrize(
    "key", [pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=FAILS_TODAY[k])) if k in FAILS_TODAY else k for k in NEEDS]
)
def test_pattern_holds_with_its_confound_removed(key):
    r = _row(key)
    assert r.passed, f"{key} {r.comparison}: {r.estimate:.3f} [{r.lo:.3f}, {r.hi:.3f}]; needs >= {r.target} and CI low > {r.null}"


def test_confound_arms_remove_what_they_name():
    """Each de-confounded arm differs from its program exactly where confounds.py says."""
    from abm.params import Params
    from experiments.validation import confounds as cf

    p2 = cf.p2_no_handset()
    assert p2.program.shared_systems == [] and p2.params.prior_view_alignment == 0 and not p2.params.mechanisms.milestones
    p3 = cf.p3_no_handset()
    assert p3.params.trust_initial == Params().trust_initial != scenario("P3").params.trust_initial
    p1, p1_orig = cf.p1_small_equalized(), scenario("P1")
    small = {o.name: o for o in p1.organizations}[cf.SMALL_PARTNER]
    peer = {o.name: o for o in p1.organizations}[cf.SMALL_PEER]
    orig_small = {o.name: o for o in p1_orig.organizations}[cf.SMALL_PARTNER]
    assert (small.size, small.resources) == (orig_small.size, orig_small.resources)  # the disparity stays
    assert (small.leadership, small.privacy, small.it_system) == (peer.leadership, peer.privacy, peer.it_system)
    i = [o.name for o in p1.organizations].index(cf.SMALL_PARTNER)
    assert all(x == cf.PRIOR_WITH_SMALL for j, x in enumerate(p1.prior_partnerships[i]) if j != i)
    assert p1.program.engagement_baseline["physician"] == p1.params.baseline_other
    p6 = cf.p6_start_at_baseline()
    assert p6.program.engagement_start["physician"] == Params().baseline_physician
    p5 = cf.p5_culture_only()
    assert p5.program.engagement_start["physician"] == Params().baseline_physician
    assert p5.program.engagement_baseline == scenario("P5").program.engagement_baseline


def test_unaligned_views_are_what_alignment_does():
    """prior_view_alignment acts only at step 0 and only with prior partnerships: the no-prior arm needs no twin."""
    base = run_arms({"a": scenario("P2", ko.overrides("prior_partnerships")),
                     "b": scenario("P2", {**ko.overrides("prior_partnerships"), "params.prior_view_alignment": 0.0})},
                    MASTER, 2, workers=1)  # fmt: skip
    for x, y in zip(base["a"], base["b"], strict=True):
        np.testing.assert_array_equal(x.series["consensus"], y.series["consensus"])
    al = run_arms({"a": scenario("P2"), "b": scenario("P2", {"params.prior_view_alignment": 0.0})}, MASTER, 2, workers=1)
    assert any(x.series["consensus"][0] != y.series["consensus"][0] for x, y in zip(al["a"], al["b"], strict=True))


# ---------------------------------------------------------------- 7c: context dependence
def _fake(values: dict[str, tuple[list[float], list[float]]]) -> dict[str, list[Record]]:
    """Records with only auc_integration: program -> (base values, knock-out values)."""

    def recs(xs: list[float]) -> list[Record]:
        return [Record({"auc_integration": x}, {}, np.zeros((1, 1)), np.zeros(1), ["a"]) for x in xs]

    out = {}
    for p, (base, koed) in values.items():
        out[p], out[f"{p}-ko-shadowing"] = recs(base), recs(koed)
    return out


def test_context_contrast_detects_an_interaction_and_not_its_absence():
    rng = np.random.default_rng(5)
    noise = rng.normal(0, 0.01, 60)
    differ = _fake({"P1": (list(0.5 + noise), list(0.5 + noise - 0.10)), "P2": (list(0.5 + noise), list(0.5 + noise - 0.01))})
    most, least, est, lo, hi = cx.extreme_contrast(cx.paired_effects(differ, "shadowing", "auc_integration"), rng)
    assert (most, least) == ("P1", "P2") and est == pytest.approx(0.09) and lo > 0.08 and hi < 0.10
    same = _fake({p: (list(0.5 + noise), list(0.5 + noise - 0.05 + rng.normal(0, 0.02, 60))) for p in ("P1", "P2")})
    _, _, est, lo, _ = cx.extreme_contrast(cx.paired_effects(same, "shadowing", "auc_integration"), rng)
    target, null = pt.THRESHOLDS["7c"]
    assert not (est >= target and lo > null)  # equal effects: no context dependence claimed
    with pytest.raises(ValueError, match="at least two programs"):
        cx.extreme_contrast(cx.paired_effects(_fake({"P1": ([0.5], [0.4])}), "shadowing", "auc_integration"), rng)


def test_7a_reports_every_applicable_cell_and_7c_each_multi_program_mechanism():
    """7a: one row per (mechanism, program) where the knock-out applies; 7c: one per mechanism in two or more programs."""
    arms = pt.arms_7(MASTER, 2)
    rng = np.random.default_rng(3)
    rec = {}
    for name in arms:  # outcomes only: knock-outs cost 0.1 in P4 and 0.01 elsewhere
        cost = 0.0 if "-ko-" not in name else (0.1 if name.startswith("P4") else 0.01)
        rec[name] = [Record({"auc_integration": 0.5 + e - cost}, {}, np.zeros((1, 1)), np.zeros(1), ["a"])
                     for e in rng.normal(0, 0.001, 30)]  # fmt: skip
    rows = pt.eval_7(rec, np.random.default_rng(0), 30)
    cells = [(m, p) for m in ko.FACILITATING for p in ko.PROGRAMS if f"{p}-ko-{m}" in arms]
    a7 = [r for r in rows if r.key == "7a"]
    assert [r.comparison for r in a7] == [f"removing {ko.LABELS[m]} lowers integration in {p}" for m, p in cells]
    assert all(r.passed for r in a7)
    c7 = [r for r in rows if r.key == "7c"]
    multi = [m for m in ko.FACILITATING if sum(c[0] == m for c in cells) >= 2]
    assert [r.comparison.split(" costs")[0] for r in c7] == [f"removing {ko.LABELS[m]}" for m in multi]
    with_p4 = [r for r, m in zip(c7, multi, strict=True) if f"P4-ko-{m}" in arms]
    assert with_p4 and all(r.passed and r.estimate == pytest.approx(0.09, abs=0.002) and "more in P4" in r.comparison for r in with_p4)
    assert len([r for r in rows if r.key == "7b"]) == len(ko.DISRUPTING)
