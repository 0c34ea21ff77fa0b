"""docs/ODD.md stays in step with the code: process names and the generated parameter table."""

from __future__ import annotations

import inspect
import re

from abm import docs
from abm.model import IntegrationModel


def test_parameter_table_is_current():
    text = docs.ODD.read_text()
    assert docs.render(text) == text, "docs/ODD.md parameter table is stale: run `python -m abm.docs`"


def test_process_names_match_step_in_order():
    calls = re.findall(r"self\.(\w+)\(\)", inspect.getsource(IntegrationModel.step))
    processes = [c for c in calls if not c.startswith("_")]
    text = docs.ODD.read_text()
    overview = text.split("## 3. Process overview")[1].split("## 4.")[0]
    listed = re.findall(r"^\d+\. `(\w+)`", overview, flags=re.M)
    assert listed == processes
    submodels = re.findall(r"^### 7\.\d+ `(\w+)`", text, flags=re.M)
    assert submodels == processes
