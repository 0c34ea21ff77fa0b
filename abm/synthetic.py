"""Synthetic regions: seeded scenarios with many partner organizations, for scale tests and benchmarks.

:func:`synthetic_region` builds a validated :class:`abm.config.Scenario` with ``n_orgs``
organizations grouped in sub-regions of about 20, and about ``n_clinicians`` clinician agents
(the resolution ``clinicians_per_staff`` is set so the total comes out near the target; each
organization has at least one; if the target exceeds half the drawn staff, all sizes are scaled up). Organization attributes are drawn from broad, plausible ranges;
prior partnerships link organizations of the same sub-region. The program is COPD/CHF with a
coordinator, champions and co-design, so every mechanism runs. Nothing here is calibrated: it
exists to measure cost, not to reproduce a case.
"""

from __future__ import annotations

import numpy as np

from abm.config import Scenario

KIND_SHARES = {"hospital": 0.2, "home_care": 0.15, "community": 0.3, "primary_care": 0.33, "authority": 0.02}
SIZE_MEDIAN = {"hospital": 600.0, "home_care": 300.0, "community": 120.0, "primary_care": 80.0, "authority": 200.0}
ORGS_PER_REGION = 20


def synthetic_region(
    n_orgs: int = 200,
    n_clinicians: int = 10_000,
    seed: int = 0,
    steps: int = 104,
    shadowing: bool = False,
) -> Scenario:
    """A seeded synthetic region with ``n_orgs`` organizations and about ``n_clinicians`` clinicians.

    Args:
        n_orgs: number of organizations (at least 2; at least one hospital and one receiving partner).
        n_clinicians: target number of clinician agents (the result is within rounding of it).
        seed: seed of the generator that draws the organizations (not the run's seed).
        steps: the scenario's horizon.
        shadowing: give the program work shadowing (P3's feature) as well.
    """
    if n_orgs < 2:
        raise ValueError(f"n_orgs must be at least 2, got {n_orgs}")
    if n_clinicians < n_orgs:
        raise ValueError(f"n_clinicians ({n_clinicians}) must be at least n_orgs ({n_orgs})")
    rng = np.random.default_rng(seed)
    kinds = list(KIND_SHARES)
    kind = rng.choice(len(kinds), n_orgs, p=list(KIND_SHARES.values()))
    kind[0], kind[1] = 0, 1  # at least one hospital and one home-care partner
    n_regions = max(1, round(n_orgs / ORGS_PER_REGION))
    region = rng.integers(0, n_regions, n_orgs)
    median = np.array([SIZE_MEDIAN[kinds[k]] for k in kind])
    size = median * rng.lognormal(0.0, 0.5, n_orgs)
    # at most one clinician agent per two staff: a fine resolution over few organizations means bigger ones
    size = np.clip(np.rint(size * max(1.0, 2.0 * n_clinicians / size.sum())), 10, 100_000)
    it_system = region * 3 + rng.integers(0, 3, n_orgs)  # a few IT systems per sub-region
    orgs = [
        {
            "name": f"{kinds[k]}-{i}", "kind": kinds[k], "region": int(region[i]), "size": float(size[i]),
            "resources": round(float(rng.uniform(0.1, 0.7)), 3), "leadership": round(float(rng.uniform(0.3, 0.95)), 3),
            "it_system": int(it_system[i]), "privacy": round(float(rng.uniform(0.3, 0.8)), 3),
        }  # fmt: skip
        for i, k in enumerate(kind)
    ]
    # prior partnerships: within a sub-region, hospitals strongly, others sometimes
    same = region[:, None] == region[None, :]
    hosp = kind == 0
    strength = np.where(hosp[:, None] & hosp[None, :], 0.6, 0.3)
    prior = np.where(same & (rng.random((n_orgs, n_orgs)) < 0.3), strength, 0.0)
    prior = np.round(np.maximum(prior, prior.T), 2)
    np.fill_diagonal(prior, 0.0)
    data = {
        "name": f"synthetic-{n_orgs}x{n_clinicians}",
        "description": f"Synthetic region: {n_orgs} organizations, about {n_clinicians} clinicians (seed {seed})",
        "steps": steps,
        "organizations": orgs,
        "prior_partnerships": [
            {"between": [orgs[i]["name"], orgs[j]["name"]], "strength": float(prior[i, j])} for i, j in zip(*np.nonzero(np.triu(prior, 1)), strict=True)
        ],  # named pairs: a few per organization, not an O x O matrix
        "program": {
            "condition": "COPD/CHF", "complexity": 0.8, "pathway": "co_design",
            "features": {"coordinator": True, "line_24_7": True, "champions": True, "shadowing": shadowing},
        },  # fmt: skip
        "milestones": [
            {"name": "joint workshop", "category": "strategic_relational", "valence": "facilitating", "at": 8,
             "effects": {"trust": 0.05, "engagement": 0.03}},
            {"name": "patient volume up 10%", "category": "environmental", "valence": "mixed", "at": 40,
             "effects": {"volume": 0.1}},
            {"name": "connectivity outage", "category": "environmental", "valence": "disrupting", "hazard": 0.01,
             "repeat": True, "targets": {"kinds": ["community"]}, "effects": {"data_level": -1}},
        ],  # fmt: skip
        "params": {
            "clinicians_per_staff": float(np.clip(n_clinicians / size.sum(), 0.001, 1.0)),
            "min_clinicians": 1,
            "max_clinicians": 100_000,
        },
    }
    return Scenario.model_validate(data)


def n_clinicians_of(scenario: Scenario) -> int:
    """Number of clinician agents a scenario produces (same rule as :func:`abm.state.build_state`)."""
    p = scenario.params
    size = np.array([o.size for o in scenario.organizations])
    return int(np.clip(np.rint(size * p.clinicians_per_staff), p.min_clinicians, p.max_clinicians).sum())
