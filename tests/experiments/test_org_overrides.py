"""One organization's field as an override key (``organizations[INDEX|NAME].field``) in every spec path:
experiment interventions and design parameters, sensitivity ``fixed`` values; bad names are spec errors."""

from __future__ import annotations

import pytest

from abm.config import with_overrides
from experiments import api
from experiments.sensitivity.spec import SpecError as SensitivitySpecError
from experiments.sensitivity.spec import spec_from_dict as sensitivity_spec
from experiments.spec import SpecError

KEY = "organizations[Small Hospital].it_system"


def test_intervention_and_design_reach_one_organization():
    spec = api.build_spec(
        name="org", scenarios=["P1"], interventions={"baseline": {}, "incompatible": {KEY: 9}},
        design={"type": "grid", "parameters": {"organizations[0].resources": [0.2, 0.6]}}, replicates=1, seed=1,
    )  # fmt: skip
    plan = api.plan(spec)
    assert plan.parameters == ["organizations[0].resources"]
    by_id = {t.run_id: t for t in plan.tasks()}
    sc = plan.scenarios["P1"]
    resolved = [with_overrides(sc, by_id[k].overrides) for k in range(plan.n_runs)]
    assert [s.organizations[0].resources for s in resolved] == [0.2, 0.6, 0.2, 0.6]
    assert [s.organizations[5].it_system for s in resolved] == [7, 7, 9, 9]


@pytest.mark.parametrize(
    ("fields", "where"),
    [({"interventions": {"bad": {"organizations[Nowhere].it_system": 9}}}, "interventions.bad"),
     ({"design": {"type": "grid", "parameters": {"organizations[17].size": [10, 20]}}}, "design")],
)  # fmt: skip
def test_unknown_organization_is_a_spec_error_naming_the_valid_ones(fields, where):
    spec = api.build_spec(**({"name": "org", "scenarios": ["P1"], "replicates": 1, "seed": 1} | fields))
    with pytest.raises(SpecError) as e:
        api.plan(spec)
    msg = str(e.value)
    assert where in msg and "unknown organization" in msg and "5 or 'Small Hospital'" in msg


def test_sensitivity_fixed_values_reach_one_organization():
    base = {"name": "s", "scenario": "P1", "parameters": ["mu", "eps0"], "sampler": {"name": "morris", "N": 2}, "methods": ["morris"],
            "outcomes": ["final_integration"], "seed": 1, "convergence": False}  # fmt: skip
    sensitivity_spec(base | {"fixed": {KEY: 9}})
    with pytest.raises(SensitivitySpecError, match=r"fixed: .*unknown organization 'Nowhere'"):
        sensitivity_spec(base | {"fixed": {"organizations[Nowhere].it_system": 9}})


def test_sensitivity_bounds_respect_an_open_lower_bound():
    base = {"name": "s", "scenario": "P1", "sampler": {"name": "morris", "N": 2}, "methods": ["morris"], "outcomes": ["final_integration"], "seed": 1, "convergence": False}
    with pytest.raises(SensitivitySpecError, match=r"lower bound 1 is outside the schema range \(1, 10\] of trust_beta_ratio"):
        sensitivity_spec(base | {"parameters": {"trust_beta_ratio": [1.0, 5.0], "mu": None}})
    spec = sensitivity_spec(base | {"parameters": {"trust_beta_ratio": None, "mu": None}})
    p = spec.params[0]
    assert 1.0 < p.lo < 1.0 + 1e-12 and p.hi == 10.0
