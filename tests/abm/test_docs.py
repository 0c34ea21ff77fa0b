"""docs/ODD.md stays in step with the code: process names and the generated parameter table."""

from __future__ import annotations

import inspect
import re

import pytest

from abm import docs
from abm.model import IntegrationModel


def test_parameter_table_is_current():
    text = docs.ODD.read_text()
    assert docs.render(text) == text, "docs/ODD.md parameter table is stale: run `python -m abm.docs`"


def test_milestone_library_table_is_current():
    from abm.milestone_library import library, library_table

    text = docs.ODD.read_text()
    block = text.split(docs.LIB_START)[1].split(docs.LIB_END)[0].strip()
    assert block == library_table(), "docs/ODD.md section 7.1 milestone library is stale: run `python -m abm.docs`"
    assert all(f"| `{key}` |" in block for key in library())


def test_process_names_match_step_in_order():
    calls = re.findall(r"self\.(\w+)\(\)", inspect.getsource(IntegrationModel.step))
    processes = [c for c in calls if not c.startswith("_")]
    text = docs.ODD.read_text()
    overview = text.split("## 3. Process overview")[1].split("## 4.")[0]
    listed = re.findall(r"^\d+\. `(\w+)`", overview, flags=re.M)
    assert listed == processes
    submodels = re.findall(r"^### 7\.\d+ `(\w+)`", text, flags=re.M)
    assert submodels == processes


def test_trust_equilibrium_formula_matches_the_mechanism():
    # the formula (trust.equilibrium) against a long simulation of the trust mechanism alone, with
    # 20 hand-offs per pair and step (the success share is rarely 0 or 1, so the breach rule is exercised)
    from abm.mechanisms import trust
    from abm.params import Params

    p = Params()
    for s in docs.EQ_SHARES:
        eq = trust.equilibrium(s, p.trust_alpha, p.trust_beta, p.culture_damping, docs.EQ_DISTANCE, p.breach_probability)
        assert docs.trust_simulated_mean(s) == pytest.approx(eq, abs=0.005), s


def test_documented_trust_equilibrium_table_is_current():
    text = docs.ODD.read_text()
    block = text.split(docs.EQ_START)[1].split(docs.EQ_END)[0].strip()
    assert block == docs.trust_equilibrium_table(), "docs/ODD.md section 7.4 trust table is stale: run `python -m abm.docs`"
