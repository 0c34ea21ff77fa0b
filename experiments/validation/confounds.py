"""Confounds of the MODEL.md patterns, and the scenarios that remove them.

A pattern must hold through the mechanism it names, not through a value set by hand at step 0 (a
starting value, a configured milestone, a link given at the start). For each pattern this module
names what could produce it by construction and builds the arm in which that is equalized; the
pattern suite repeats the comparison on those arms as a starred row ("1c*"), with the original
row's thresholds.

=======  =====================================================================================
pattern  confound removed (both arms, unless said)
=======  =====================================================================================
1a       P2 starts with shared records (level 3, connectivity 1 at step 0), P3's starting trust
         is set by hand below the default (0.2 vs 0.35), prior partners' practice views are
         aligned at step 0, and both programs have configured trust milestones:
         P2 without shared records, alignment or milestones vs P3 at default trust, no milestones.
1b, 1c   prior partners' practice views aligned at step 0 (``prior_view_alignment``): alignment 0.
         (It does not act without prior partnerships, so the no-prior arm is unchanged.)
2a-2c    P3's starting trust set below the default, and its configured trust milestone (+0.05 at
         week 6): default starting trust, no milestones.
3a-3c    what is set by hand for P1's small partner besides disparity (size, resources): its
         leadership, privacy, IT system, no prior partnership, left out of the shared referral
         system; and the role mix (a 5-clinician hospital has 40% physicians, baseline 0.35, vs
         30%): the small partner gets its regional peer's (District Hospital's) leadership, privacy
         and IT system, prior partnership 0.6 with every partner, joins the shared system, and every
         role has the same engagement baseline and start.
4a, 4b   consensus is mean pairwise view distance, and with more organizations fewer pairs share an
         organization's practice centre, so more partners start less agreed by construction:
         practice centres equal at start (``org_view_spread`` 0).
5        P5's arm starts its physicians at 0.89: both arms start at average engagement (0.35),
         only the culture (engagement baseline 0.8 vs 0.35) differs.
6a, 6b   P6 physicians start below their baseline (0.2 vs 0.35), so they rise anyway; the
         configured milestone adds engagement at week 16: start at the baseline, no milestones.
=======  =====================================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.config import Scenario
from abm.params import Params
from experiments.validation.runner import scenario

NO_MILESTONES = {"params.mechanisms.milestones": False}
SMALL_PARTNER = "Small Hospital"
SMALL_PEER = "District Hospital"  # the other hospital of the small partner's region
PRIOR_WITH_SMALL = 0.6  # the weakest prior partnership among P1's other partners


def p2_no_handset(sc: Scenario | str = "P2") -> Scenario:
    """P2 without its shared records at step 0, its prior-partner view alignment and its milestones."""
    return scenario(sc, {"program.shared_systems": [], "params.prior_view_alignment": 0.0, **NO_MILESTONES})


def p3_no_handset(overrides: dict[str, Any] | None = None) -> Scenario:
    """P3 at the default starting trust, without its configured milestone (plus ``overrides``)."""
    return scenario("P3", {"params.trust_initial": Params().trust_initial, **NO_MILESTONES, **(overrides or {})})


def unaligned(sc: Scenario | str, overrides: dict[str, Any] | None = None) -> Scenario:
    """A program whose prior partners' practice views are not aligned at step 0."""
    return scenario(sc, {"params.prior_view_alignment": 0.0, **(overrides or {})})


def p1_small_equalized() -> Scenario:
    """P1 in which the small partner differs from the others only in size and resources (see module docstring)."""
    sc = scenario("P1")
    data = sc.model_dump(mode="json")
    names = [o["name"] for o in data["organizations"]]
    small, peer = names.index(SMALL_PARTNER), names.index(SMALL_PEER)
    for field in ("leadership", "privacy", "it_system", "region", "kind", "culture", "clinical"):
        data["organizations"][small][field] = data["organizations"][peer][field]
    prior = sc.prior_matrix()
    prior = prior if prior is not None else np.zeros((len(names), len(names)))
    for j in range(len(names)):
        if j != small:
            prior[small, j] = prior[j, small] = PRIOR_WITH_SMALL
    data["prior_partnerships"] = prior.tolist()
    for group in data["program"]["shared_systems"]:
        if SMALL_PEER in group["orgs"] and SMALL_PARTNER not in group["orgs"]:
            group["orgs"].append(SMALL_PARTNER)
    other = sc.params.baseline_other
    data["program"]["engagement_baseline"] = {"physician": other}
    data["program"]["engagement_start"] = {"physician": other}
    return Scenario.model_validate(data)


def same_views(sc: Scenario | str) -> Scenario:
    """Every organization's practice centre equal at step 0 (only individual spread)."""
    return scenario(sc, {"params.org_view_spread": 0.0})


def p5_culture_only(baseline: float | None = None) -> Scenario:
    """P5 with its physicians starting at average engagement; its culture (baseline) kept, or set to ``baseline``."""
    avg = Params().baseline_physician
    over: dict[str, Any] = {"program.engagement_start.physician": avg}
    if baseline is not None:
        over["program.engagement_baseline.physician"] = baseline
    return scenario("P5", over)


def p6_start_at_baseline(overrides: dict[str, Any] | None = None) -> Scenario:
    """P6 with physicians starting at their baseline and no configured milestones (plus ``overrides``)."""
    return scenario("P6", {"program.engagement_start.physician": Params().baseline_physician, **NO_MILESTONES,
                           **(overrides or {})})  # fmt: skip
