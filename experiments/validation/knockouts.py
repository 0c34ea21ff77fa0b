"""Mechanism knock-outs: which switch each mechanism is, whether it facilitates or disrupts, and
whether a program has the feature at all (knocking out a feature a program lacks is no evidence).

References: MODEL.md pattern 7; Pawson & Tilley (1997) ("what works for whom, in what circumstances").
"""

from __future__ import annotations

from abm.config import Scenario

PROGRAMS = ("P1", "P2", "P3", "P4", "P5", "P6")
FACILITATING = ("trust_building", "shadowing", "engagement", "co_design", "data_sharing", "prior_partnerships")
DISRUPTING = ("workload_burden", "exit")
MECHANISMS = FACILITATING + DISRUPTING
LABELS = {
    "trust_building": "trust building",
    "shadowing": "work shadowing",
    "engagement": "engagement and champions",
    "co_design": "co-design",
    "data_sharing": "data sharing",
    "prior_partnerships": "prior partnerships",
    "workload_burden": "workload burden",
    "exit": "partner exit",
}


def overrides(mechanism: str) -> dict[str, bool]:
    """Dotted-key override switching one mechanism off."""
    if mechanism not in MECHANISMS:
        raise ValueError(f"unknown mechanism {mechanism!r}; expected one of {', '.join(MECHANISMS)}")
    return {f"params.mechanisms.{mechanism}": False}


def applies(sc: Scenario, mechanism: str) -> bool:
    """Whether the program has what the mechanism acts on (else its knock-out is no evidence)."""
    prog = sc.program
    if mechanism == "shadowing":
        return prog.features.shadowing
    if mechanism == "co_design":
        return prog.pathway == "co_design"
    if mechanism == "prior_partnerships":
        prior = sc.prior_matrix()
        return prior is not None and bool((prior > 0).any())
    if mechanism == "data_sharing":  # links still have to form: some clinical pair starts below level 2
        if prog.features.realtime_dashboard or prog.initial_data_level >= 2:
            return False
        clinical = {o.name for o in sc.organizations if o.is_clinical}
        linked = set()
        for g in prog.shared_systems:
            if g.level >= 2:
                linked |= {frozenset((a, b)) for a in g.orgs for b in g.orgs if a != b}
        return any(frozenset((a, b)) not in linked for a in clinical for b in clinical if a != b)
    return True
