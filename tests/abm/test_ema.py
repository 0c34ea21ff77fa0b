"""The EMA Workbench adapter (abm/ema.py): runs where the ``ema`` extra is installed (Python >= 3.12)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

with warnings.catch_warnings():  # EMA warns at import about optional parallel back-ends
    warnings.simplefilter("ignore")
    ema_workbench = pytest.importorskip("ema_workbench", reason="the ema extra (EMA Workbench, Python >= 3.12)")

from abm import ema  # noqa: E402
from abm.params import numeric_fields  # noqa: E402
from abm.run import run_once  # noqa: E402


def test_uncertainties_come_from_the_declared_ranges():
    names = {u.name: u for u in ema.uncertainties()}
    assert set(names) == set(numeric_fields()) - set(ema.STRUCTURAL)
    f = numeric_fields()["mu"]
    assert (names["mu"].lower_bound, names["mu"].upper_bound) == (f["lo"], f["hi"])
    narrow = {u.name: u for u in ema.uncertainties(["mu"], ranges={"trust_alpha": (0.01, 0.02)})}
    assert set(narrow) == {"mu", "trust_alpha"} and narrow["trust_alpha"].upper_bound == 0.02
    with pytest.raises(ValueError, match="not a numeric parameter"):
        ema.uncertainties(["nope"])
    with pytest.raises(ValueError, match="within the declared"):
        ema.uncertainties(ranges={"mu": (-1.0, 0.5)})
    assert [lv.name for lv in ema.levers(["coordinator"])] == ["feature_coordinator"]
    with pytest.raises(ValueError, match="not a program feature"):
        ema.levers(["teleport"])


def test_perform_experiments_and_prim_on_the_model():
    from ema_workbench import perform_experiments
    from ema_workbench.analysis import prim

    model = ema.build_model("P3", parameters=["mu", "trust_alpha"], features=["coordinator"], steps=12,
                            outcomes=["final_integration", "final_consensus"])  # fmt: skip
    experiments, outcomes = perform_experiments(model, scenarios=16, policies=2)
    assert len(experiments) == 32 and outcomes["final_integration"].shape == (32,)
    row = experiments.iloc[5]
    again = run_once("P3", seed=0, steps=12, overrides={
        "params.mu": float(row["mu"]), "params.trust_alpha": float(row["trust_alpha"]),
        "program.features.coordinator": bool(row["feature_coordinator"])}).summary  # fmt: skip
    assert outcomes["final_integration"][5] == again["final_integration"]  # the adapter runs the model as asked
    y = outcomes["final_consensus"] > np.median(outcomes["final_consensus"])
    box = prim.Prim(experiments[["mu", "trust_alpha"]], y).find_box()
    assert box.peeling_trajectory["coverage"].iloc[0] == 1.0 and len(box.peeling_trajectory) > 1


def test_build_model_refuses_unknown_outcomes():
    with pytest.raises(ValueError, match="unknown outcome"):
        ema.build_model("P1", outcomes=["happiness"])
