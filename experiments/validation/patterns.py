"""The pattern suite: MODEL.md patterns 1-7 as statistical comparisons over replicates.

Each pattern lists the arms it needs (scenarios; every arm runs the same replicate seeds, so
knock-outs are paired by common random numbers) and turns their runs into comparisons. Every
comparison states its statistic, a 95% interval, a target and a null bound, fixed in
:data:`THRESHOLDS` *before* calibration: it passes iff estimate >= target and CI low > null.

Statistics: PS = probability of superiority P(X > Y) + 0.5 P(X = Y) (paired over seeds for
knock-outs, independent between different programs); times to a threshold that is never reached are
censored at horizon + 1 (ranked last, tied). Shares use Wilson intervals; means and differences a
percentile bootstrap over replicates.

Roles (pattern-oriented modelling, Grimm et al. 2005): patterns 1-3 were used to set parameters
(calibration); patterns 4-7 were held out to corroborate (see docs/VALIDATION.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from abm.config import Organization, Scenario, load_scenario
from abm.params import Params
from experiments.validation import confounds as cf
from experiments.validation import context as cx
from experiments.validation import knockouts as ko
from experiments.validation import stats
from experiments.validation.runner import Record, column, scenario, series

# (target, null): pass iff estimate >= target and CI low > null. Written down before calibration.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "1a": (0.75, 0.5),  # PS: P3 takes longer than P2 to reach integration
    "1b": (0.65, 0.5),  # paired PS: P2 without prior partnerships takes longer than P2
    "1c": (0.65, 0.5),  # paired PS: ... and so does its consensus (not only links at step 0)
    "2a": (0.80, 0.5),  # paired PS: P3 trust at week 52 higher with shadowing
    "2b": (0.10, 0.0),  # paired mean difference in P3 trust over weeks 1-52 (shadowing - none)
    "2c": (0.20, 0.0),  # mean rise of P3 trust from week 0 to week 52
    "3a": (0.80, 0.5),  # share of P1 runs in which the small partner has the lowest engagement
    "3b": (0.30, 0.0),  # P(small partner exits) - max over other partners of P(exit), by week 104
    "3c": (0.50, 1 / 3),  # share of P1 runs in which the small partner exits in weeks 26-104
    "4a": (0.70, 0.5),  # PS: 14 partners take longer to consensus than 4 (same per-partner settings)
    "4b": (0.70, 0.5),  # PS: P4 takes longer to consensus than P6 (4 partners, same condition)
    "5": (0.70, 0.5),  # paired PS: P5 at average engagement takes longer to consensus than P5
    "6a": (0.90, 0.5),  # paired PS: P6 physician engagement at week 104 above week 0
    "6b": (0.70, 0.5),  # paired PS: P6 physician engagement rises more with the dashboard than without
    "7a": (0.60, 0.5),  # paired PS base > knock-out, in every program where the mechanism applies (one row each)
    "7b": (0.0, 0.0),  # effect of removing a disrupting mechanism: max(P1, P4) - max(other programs)
    # Context dependence ("by different amounts in different contexts"): mean paired effect of a facilitating
    # knock-out on auc_integration (base - knock-out) in the program where it matters most minus where it
    # matters least; 0.02 (2 points of mean integration over the run) is the smallest difference we call
    # substantive. Fixed before this statistic was first computed (2026-11-29).
    "7c": (0.02, 0.0),
}
# Starred rows repeat a comparison with its confound removed (experiments/validation/confounds.py): same thresholds.
DECONFOUNDED = ("1a", "1b", "1c", "2a", "2b", "2c", "3a", "3b", "3c", "4a", "4b", "5", "6a", "6b")
THRESHOLDS |= {f"{k}*": THRESHOLDS[k] for k in DECONFOUNDED}
WINDOW = 52  # weeks over which early trust and engagement are summarized
EXIT_WINDOW = (26, 104)  # "typically within the first one to two years"
SMALL_PARTNER = "Small Hospital"
SCALE_SIZES = (2, 7)  # hospitals (= receivers) per arm: 4 and 14 clinical partners


@dataclass
class Comparison:
    """One row of the pattern table."""

    pattern: int
    key: str
    comparison: str
    statistic: str
    estimate: float
    lo: float
    hi: float
    target: float
    null: float
    n: int
    role: str
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        self.passed = bool(self.estimate >= self.target and self.lo > self.null)

    def row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Pattern:
    """A MODEL.md pattern: its arms and how its runs become comparisons."""

    number: int
    name: str
    title: str
    role: str  # "calibration" or "corroboration"
    arms: Callable[[int, int], dict[str, Scenario | list[Scenario]]]
    evaluate: Callable[[dict[str, list[Record]], np.random.Generator, int], list[Comparison]]


def _cmp(pattern: int, key: str, text: str, statistic: str, est: tuple[float, float, float], n: int) -> Comparison:
    target, null = THRESHOLDS[key]
    role = PATTERNS_BY_NUMBER[pattern].role if pattern in PATTERNS_BY_NUMBER else "corroboration"
    return Comparison(pattern, key, text, statistic, *est, target, null, n, role)


def _t(records: list[Record], key: str) -> np.ndarray:
    return stats.censor(column(records, key), records[0].summary["steps"])


def _has(r: dict[str, list[Record]], *arms: str) -> bool:
    """Whether every arm a comparison needs was run (a caller may run only some arms)."""
    return all(a in r for a in arms)


# ---------------------------------------------------------------- 1 prior partnerships
def arms_1(master: int, n: int) -> dict[str, Scenario]:
    return {
        "P2": scenario("P2"), "P3": scenario("P3"), "P2-noprior": scenario("P2", ko.overrides("prior_partnerships")),
        "P2-no-handset": cf.p2_no_handset(), "P3-no-handset": cf.p3_no_handset(), "P2-unaligned": cf.unaligned("P2"),
    }  # fmt: skip


def eval_1(r: dict[str, list[Record]], rng: np.random.Generator, n: int) -> list[Comparison]:
    ti = {k: _t(r[k], "time_to_integration") for k in r}
    tc = {k: _t(r[k], "time_to_consensus") for k in r}
    out = []
    if _has(r, "P2", "P3"):
        out.append(_cmp(1, "1a", "P2 reaches integration sooner than P3", "PS(T_int P3 > T_int P2), independent",
                        stats.ps_independent(ti["P3"], ti["P2"], rng), n))  # fmt: skip
    if _has(r, "P2", "P2-noprior"):
        out += [
            _cmp(1, "1b", "P2 without prior partnerships integrates later than P2", "paired PS(T_int no-prior > T_int P2)",
                 stats.ps_paired(ti["P2-noprior"], ti["P2"], rng), n),
            _cmp(1, "1c", "... through consensus (links identical at step 0)", "paired PS(T_cons no-prior > T_cons P2)",
                 stats.ps_paired(tc["P2-noprior"], tc["P2"], rng), n),
        ]  # fmt: skip
    if _has(r, "P2-no-handset", "P3-no-handset"):
        out.append(_cmp(1, "1a*", "1a without what is set by hand (P2: no shared records at start, views not aligned; "
                        "P3: default starting trust; no milestones)", "PS(T_int P3 > T_int P2), independent",
                        stats.ps_independent(ti["P3-no-handset"], ti["P2-no-handset"], rng), n))  # fmt: skip
    if _has(r, "P2-unaligned", "P2-noprior"):
        out += [
            _cmp(1, "1b*", "1b with prior partners' views not aligned at start", "paired PS(T_int no-prior > T_int P2)",
                 stats.ps_paired(ti["P2-noprior"], ti["P2-unaligned"], rng), n),
            _cmp(1, "1c*", "1c with prior partners' views not aligned at start", "paired PS(T_cons no-prior > T_cons P2)",
                 stats.ps_paired(tc["P2-noprior"], tc["P2-unaligned"], rng), n),
        ]  # fmt: skip
    return out


# ---------------------------------------------------------------- 2 trust from zero
def arms_2(master: int, n: int) -> dict[str, Scenario]:
    return {
        "P3": scenario("P3"), "P3-noshadow": scenario("P3", ko.overrides("shadowing")),
        "P3-no-handset": cf.p3_no_handset(), "P3-noshadow-no-handset": cf.p3_no_handset(ko.overrides("shadowing")),
    }  # fmt: skip


def _trust_rows(a: np.ndarray, b: np.ndarray, star: str, note: str, rng: np.random.Generator, n: int) -> list[Comparison]:
    return [
        _cmp(2, f"2a{star}", f"P3 trust at week 52: shadowing vs none{note}", "paired PS(trust52 shadow > none)",
             stats.ps_paired(a[:, WINDOW], b[:, WINDOW], rng), n),
        _cmp(2, f"2b{star}", f"P3 mean trust, weeks 1-52: shadowing - none{note}", "paired mean difference",
             stats.mean_ci(a[:, 1 : WINDOW + 1].mean(axis=1) - b[:, 1 : WINDOW + 1].mean(axis=1), rng), n),
        _cmp(2, f"2c{star}", f"P3 trust rises from its start (week 0 to 52){note}", "mean rise",
             stats.mean_ci(a[:, WINDOW] - a[:, 0], rng), n),
    ]  # fmt: skip


def eval_2(r: dict[str, list[Record]], rng: np.random.Generator, n: int) -> list[Comparison]:
    out = []
    if _has(r, "P3", "P3-noshadow"):
        out += _trust_rows(series(r["P3"], "trust_mean"), series(r["P3-noshadow"], "trust_mean"), "", "", rng, n)
    if _has(r, "P3-no-handset", "P3-noshadow-no-handset"):
        a, b = series(r["P3-no-handset"], "trust_mean"), series(r["P3-noshadow-no-handset"], "trust_mean")
        out += _trust_rows(a, b, "*", ", from the default starting trust, no milestones", rng, n)
    return out


# ---------------------------------------------------------------- 3 disparity disengages
def arms_3(master: int, n: int) -> dict[str, Scenario]:
    return {"P1": scenario("P1"), "P1-small-equalized": cf.p1_small_equalized()}


def _year_one_engagement(rec: Record) -> np.ndarray:
    """Mean engagement per organization over weeks 1-52 while the organization is still a partner."""
    e = rec.org_engagement[1 : WINDOW + 1]
    weeks = np.arange(1, WINDOW + 1)[:, None]
    live = (rec.exited_at[None, :] < 0) | (weeks < rec.exited_at[None, :])
    live[0] = True
    return np.nanmean(np.where(live, e, np.nan), axis=0)


def eval_3(r: dict[str, list[Record]], rng: np.random.Generator, n: int) -> list[Comparison]:
    out = []
    if _has(r, "P1"):
        out += _disparity_rows(r["P1"], "", "", rng, n)
    if _has(r, "P1-small-equalized"):
        note = " (it differs only in size and resources; equal role baselines)"
        out += _disparity_rows(r["P1-small-equalized"], "*", note, rng, n)
    return out


def _disparity_rows(recs: list[Record], star: str, note: str, rng: np.random.Generator, n: int) -> list[Comparison]:
    small = recs[0].names.index(SMALL_PARTNER)
    lowest = np.array([int(np.argmin(_year_one_engagement(x))) == small for x in recs])
    exits = np.array([x.exited_at for x in recs])
    gone = (exits >= 0) & (exits <= EXIT_WINDOW[1])
    idx = rng.integers(0, n, (stats.N_BOOT, n))
    others = np.delete(np.arange(exits.shape[1]), small)

    def gap(rows: np.ndarray) -> np.ndarray:
        share = gone[rows].mean(axis=-2)
        return share[..., small] - share[..., others].max(axis=-1)

    boot = gap(idx)
    in_window = (exits[:, small] >= EXIT_WINDOW[0]) & (exits[:, small] <= EXIT_WINDOW[1])
    return [
        _cmp(3, f"3a{star}", f"P1 small partner has the lowest year-one engagement{note}", "share of runs",
             stats.wilson(int(lowest.sum()), n), n),
        _cmp(3, f"3b{star}", f"P1 small partner is the most likely to exit (by week 104){note}", "P(exit small) - max P(exit other)",
             (float(gap(np.arange(n))), *np.quantile(boot, [0.025, 0.975]).tolist()), n),
        _cmp(3, f"3c{star}", f"P1 small partner exits in weeks {EXIT_WINDOW[0]}-{EXIT_WINDOW[1]}{note}", "share of runs",
             stats.wilson(int(in_window.sum()), n), n),
    ]  # fmt: skip


# ---------------------------------------------------------------- 4 scale slows consensus
def scale_scenario(n_hospitals: int, design_seed: tuple[int, ...]) -> Scenario:
    """A synthetic program of n hospitals and n receiving partners, attributes drawn from P4's partners.

    Per-partner settings are comparable across sizes: hospitals and receivers are resampled from P4's
    (so size, resources, leadership, IT and privacy have the same distributions), the receiver-to-sender
    ratio is 1, every pair has the same prior partnership, one region, P4's program, no milestones.
    """
    rng = np.random.default_rng(list(design_seed))
    p4 = load_scenario("P4")
    hosp = [o for o in p4.organizations if o.kind == "hospital"]
    recv = [o for o in p4.organizations if o.kind in ("home_care", "community", "primary_care")]
    orgs = []
    for tag, pool in (("H", hosp), ("R", recv)):
        for k, i in enumerate(rng.integers(0, len(pool), n_hospitals)):
            o = pool[i].model_dump()
            orgs.append(Organization(**{**o, "name": f"{tag}{k + 1}", "region": 0}))
    m = len(orgs)
    prior = [[0.0 if i == j else 0.3 for j in range(m)] for i in range(m)]
    return Scenario(
        name=f"scale-{m}", description=f"{m} partners resampled from P4", steps=p4.steps, organizations=orgs,
        prior_partnerships=prior, program=p4.program, milestones=[], params=p4.params,
    )  # fmt: skip


def arms_4(master: int, n: int) -> dict[str, Scenario | list[Scenario]]:
    out: dict[str, Scenario | list[Scenario]] = {
        f"scale-{2 * h}": [scale_scenario(h, (master, 4, h, i)) for i in range(n)] for h in SCALE_SIZES
    }
    out["P4"] = scenario("P4")
    out["P6"] = scenario("P6")
    for h in SCALE_SIZES:
        out[f"scale-{2 * h}-same-views"] = [cf.same_views(sc) for sc in out[f"scale-{2 * h}"]]  # type: ignore[union-attr]
    out["P4-same-views"] = cf.same_views("P4")
    out["P6-same-views"] = cf.same_views("P6")
    return out


def eval_4(r: dict[str, list[Record]], rng: np.random.Generator, n: int) -> list[Comparison]:
    lo, hi = (f"scale-{2 * h}" for h in SCALE_SIZES)
    out = []
    for star, tail, note in (("", "", ""), ("*", "-same-views", ", practice centres equal at start")):
        if _has(r, hi + tail, lo + tail):
            out.append(_cmp(4, f"4a{star}", f"{hi[6:]} partners take longer to consensus than {lo[6:]} (same per-partner settings){note}",
                            "PS(T_cons large > T_cons small), independent",
                            stats.ps_independent(_t(r[hi + tail], "time_to_consensus"), _t(r[lo + tail], "time_to_consensus"), rng), n))  # fmt: skip
        if _has(r, "P4" + tail, "P6" + tail):
            out.append(_cmp(4, f"4b{star}", f"P4 (15 partners) takes longer to consensus than P6 (4){note}",
                            "PS(T_cons P4 > T_cons P6), independent",
                            stats.ps_independent(_t(r["P4" + tail], "time_to_consensus"), _t(r["P6" + tail], "time_to_consensus"), rng), n))  # fmt: skip
    return out


# ---------------------------------------------------------------- 5 engagement carries practice
def arms_5(master: int, n: int) -> dict[str, Scenario]:
    avg = Params().baseline_physician
    return {
        "P5": scenario("P5"),
        "P5-average": scenario("P5", {"program.engagement_start.physician": avg, "program.engagement_baseline.physician": avg}),
        "P5-culture-only": cf.p5_culture_only(),
    }


def eval_5(r: dict[str, list[Record]], rng: np.random.Generator, n: int) -> list[Comparison]:
    out = []
    if _has(r, "P5", "P5-average"):
        out.append(_cmp(5, "5", "P5 at average engagement reaches consensus later than P5", "paired PS(T_cons average > T_cons P5)",
                        stats.ps_paired(_t(r["P5-average"], "time_to_consensus"), _t(r["P5"], "time_to_consensus"), rng), n))  # fmt: skip
    if _has(r, "P5-culture-only", "P5-average"):
        out.append(_cmp(5, "5*", "5 with both arms' physicians starting at average engagement (only the culture differs)",
                        "paired PS(T_cons average > T_cons P5)",
                        stats.ps_paired(_t(r["P5-average"], "time_to_consensus"), _t(r["P5-culture-only"], "time_to_consensus"), rng), n))  # fmt: skip
    return out


# ---------------------------------------------------------------- 6 data visibility engages physicians
NO_DASHBOARD = {"program.features.realtime_dashboard": False}


def arms_6(master: int, n: int) -> dict[str, Scenario]:
    return {
        "P6": scenario("P6"), "P6-nodashboard": scenario("P6", NO_DASHBOARD),
        "P6-start-at-baseline": cf.p6_start_at_baseline(), "P6-nodashboard-start-at-baseline": cf.p6_start_at_baseline(NO_DASHBOARD),
    }  # fmt: skip


def eval_6(r: dict[str, list[Record]], rng: np.random.Generator, n: int) -> list[Comparison]:
    out = []
    for star, tail, note in (("", "", ""), ("*", "-start-at-baseline", ", physicians starting at their baseline, no milestones")):
        if not _has(r, "P6" + tail, "P6-nodashboard" + tail):
            continue
        a, b = series(r["P6" + tail], "engagement_physicians"), series(r["P6-nodashboard" + tail], "engagement_physicians")
        out += [
            _cmp(6, f"6a{star}", f"P6 physician engagement rises (week 104 vs 0){note}", "paired PS(e_phys104 > e_phys0)",
                 stats.ps_paired(a[:, -1], a[:, 0], rng), n),
            _cmp(6, f"6b{star}", f"P6 physician engagement rises less without the dashboard{note}", "paired PS(rise dashboard > rise none)",
                 stats.ps_paired(a[:, -1] - a[:, 0], b[:, -1] - b[:, 0], rng), n),
        ]  # fmt: skip
    return out


# ---------------------------------------------------------------- 7 mechanisms interlock
OUTCOME_7 = "auc_integration"


def arms_7(master: int, n: int) -> dict[str, Scenario]:
    out = {}
    for prog in ko.PROGRAMS:
        base = scenario(prog)
        out[prog] = base
        for m in ko.MECHANISMS:
            if ko.applies(base, m):
                out[f"{prog}-ko-{m}"] = scenario(prog, ko.overrides(m))
    return out


def eval_7(r: dict[str, list[Record]], rng: np.random.Generator, n: int) -> list[Comparison]:
    rows = []
    for m in ko.FACILITATING:  # 7a: every program where the mechanism applies, one row each
        for p in ko.PROGRAMS:
            if _has(r, p, f"{p}-ko-{m}"):
                rows.append(_cmp(7, "7a", f"removing {ko.LABELS[m]} lowers integration in {p}",
                                 f"paired PS({OUTCOME_7} base > knock-out)",
                                 stats.ps_paired(column(r[p], OUTCOME_7), column(r[f"{p}-ko-{m}"], OUTCOME_7), rng), n))  # fmt: skip
    for m in ko.FACILITATING:  # 7c: the effect differs by context (program x knock-out interaction)
        eff = cx.paired_effects(r, m, OUTCOME_7)
        if len(eff) >= 2:
            most, least, *est = cx.extreme_contrast(eff, rng)
            rows.append(_cmp(7, "7c", f"removing {ko.LABELS[m]} costs more in {most} than in {least} "
                             f"(applies in {','.join(eff)})",
                             f"mean paired {OUTCOME_7} effect (base - KO): most - least program", tuple(est), n))  # fmt: skip
    if not all(_has(r, p) for p in ko.PROGRAMS):
        return rows
    idx = rng.integers(0, n, (stats.N_BOOT, n))
    for m in ko.DISRUPTING:
        d = {p: column(r[f"{p}-ko-{m}"], OUTCOME_7) - column(r[p], OUTCOME_7) for p in ko.PROGRAMS if f"{p}-ko-{m}" in r}
        if len(d) < len(ko.PROGRAMS):
            continue
        dm = np.array([d[p] for p in ko.PROGRAMS])  # (programs, replicates)
        disp = [ko.PROGRAMS.index("P1"), ko.PROGRAMS.index("P4")]
        rest = [i for i in range(len(ko.PROGRAMS)) if i not in disp]

        def contrast(means: np.ndarray, disp: list[int] = disp, rest: list[int] = rest) -> np.ndarray:
            return means[..., disp].max(axis=-1) - means[..., rest].max(axis=-1)

        est = float(contrast(dm.mean(axis=1)))
        boot = contrast(dm[:, idx].mean(axis=2).T)
        top = ko.PROGRAMS[int(np.argmax(dm.mean(axis=1)))]
        rows.append(_cmp(7, "7b", f"removing {ko.LABELS[m]} raises integration most in P1/P4 (largest: {top})",
                         f"mean {OUTCOME_7} gain: max(P1,P4) - max(others)",
                         (est, *np.quantile(boot, [0.025, 0.975]).tolist()), n))  # fmt: skip
    return rows


PATTERNS: list[Pattern] = [
    Pattern(1, "prior_partnerships", "Prior partnerships speed integration", "calibration", arms_1, eval_1),
    Pattern(2, "trust_from_zero", "Trust can be built from zero (P3 shadowing)", "calibration", arms_2, eval_2),
    Pattern(3, "disparity_disengages", "Disparity disengages (P1 small partner)", "calibration", arms_3, eval_3),
    Pattern(4, "scale_slows_consensus", "Scale slows consensus", "corroboration", arms_4, eval_4),
    Pattern(5, "engagement_carries_practice", "Engagement carries practice (P5)", "corroboration", arms_5, eval_5),
    Pattern(6, "data_visibility_engages", "Data visibility engages physicians (P6)", "corroboration", arms_6, eval_6),
    Pattern(7, "mechanisms_interlock", "Mechanisms interlock (knock-outs)", "corroboration", arms_7, eval_7),
]
PATTERNS_BY_NUMBER = {p.number: p for p in PATTERNS}
# Arms that only the starred rows (a comparison with its confound removed) use: a pattern evaluated
# without them gives its plain rows only (calibration fits the plain rows unless a spec names starred keys).
STARRED_ARMS = frozenset({
    "P2-no-handset", "P3-no-handset", "P2-unaligned", "P3-noshadow-no-handset", "P1-small-equalized",
    "scale-4-same-views", "scale-14-same-views", "P4-same-views", "P6-same-views", "P5-culture-only",
    "P6-start-at-baseline", "P6-nodashboard-start-at-baseline",
})  # fmt: skip
PATTERN_NAMES = {p.name: p.number for p in PATTERNS}


def arm_scenario(name: str, replicate: int, master: int, replicates: int) -> Scenario:
    """The scenario that replicate ``replicate`` of arm ``name`` ran in a suite of ``replicates`` runs per
    arm under master seed ``master`` (an arm of any pattern; knock-out arms are also ``abm cmo``'s).

    With the run's seed (``runs.csv`` or ``Record.seed``) it replays the run::

        run_once(arm_scenario(name, i, master, n), seed=np.random.SeedSequence(master, spawn_key=(i,)))
    """
    if not 0 <= replicate < replicates:
        raise ValueError(f"replicate {replicate} outside 0..{replicates - 1}")
    for pat in PATTERNS:
        arms = pat.arms(master, replicates)
        if name in arms:
            sc = arms[name]
            return sc[replicate] if isinstance(sc, list) else sc
    raise KeyError(f"no validation arm {name!r}")


def resolve(names: list[str] | None) -> list[Pattern]:
    """Patterns by number ('3') or name ('disparity_disengages'); all if none. ValueError if unknown."""
    if not names:
        return list(PATTERNS)
    out = []
    for name in names:
        key = name.strip()
        num = int(key) if key.isdigit() else PATTERN_NAMES.get(key)
        if num not in PATTERNS_BY_NUMBER:
            valid = ", ".join(f"{p.number}/{p.name}" for p in PATTERNS)
            raise ValueError(f"unknown pattern {name!r}; expected one of {valid}")
        out.append(PATTERNS_BY_NUMBER[num])
    return out
