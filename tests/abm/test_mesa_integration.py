"""The model is a proper Mesa model: batch_run, agents as views, DataCollector tables."""

from __future__ import annotations

import subprocess
import sys

import mesa
import numpy as np
import pytest

from abm import IntegrationModel, compat
from abm.config import load_scenario
from abm.model import MILESTONE_COLUMNS


def test_runs_under_mesa_batch_run():
    results = mesa.batch_run(
        IntegrationModel,
        parameters={"scenario": "P3", "mu": [0.1, 0.3]},
        **compat.batch_run_replicates(2),
        max_steps=10,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(results) == 4
    assert {r["mu"] for r in results} == {0.1, 0.3}
    assert all(r["Step"] == 10 and 0 <= r["integration"] <= 1 for r in results)


def test_agents_are_views_into_the_arrays():
    m = IntegrationModel("P1", seed=2)
    c = m.clinicians[5]
    c.engagement = 0.123
    assert m.state.engagement[5] == 0.123
    m.step()
    assert c.engagement == m.state.engagement[5]
    org = m.organizations[0]
    assert org.name == "Stroke Centre" and org.kind == "hospital"
    assert len(m.agents_by_type[type(c)]) == m.state.n_clinicians
    assert org.trust_in(m.organizations[1]) == m.state.trust[0, 1]
    assert np.isclose(org.mean_engagement, np.mean([x.engagement for x in org.clinicians]))
    m.release()


def test_datacollector_holds_every_step_and_the_milestone_table():
    m = IntegrationModel("P2", seed=4)
    for _ in range(6):
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 7 and "integration" in df
    ms = m.datacollector.get_table_dataframe("milestones")
    assert {"nursing team hired for the program", "hospital manager moves to the CCAC"} <= set(ms["name"])
    m.release()


def test_rows_added_as_columns_are_the_rows_mesa_would_add_one_by_one():
    a, b = IntegrationModel("P2", seed=4), IntegrationModel("P2", seed=4)
    rows = [(3, "structural_inter", "facilitating", "electronic link established", "A - B", "detected"),
            (5, "relational", "disrupting", "trust collapse", "B - C", "detected")]  # fmt: skip
    for row in rows:
        a.datacollector.add_table_row("milestones", dict(zip(MILESTONE_COLUMNS, row, strict=True)))
    b.datacollector.add_table_rows("milestones", dict(zip(MILESTONE_COLUMNS, map(list, zip(*rows, strict=True)), strict=True)))
    assert a.datacollector.get_table_dataframe("milestones").equals(b.datacollector.get_table_dataframe("milestones"))
    before = len(b.datacollector.get_table_dataframe("milestones"))
    with pytest.raises(ValueError, match="takes columns"):
        b.datacollector.add_table_rows("milestones", {"step": [1], "name": ["x"]})
    with pytest.raises(ValueError, match="equal length"):
        b.datacollector.add_table_rows("milestones", {c: [1] * (2 if c == "who" else 1) for c in MILESTONE_COLUMNS})
    assert len(b.datacollector.get_table_dataframe("milestones")) == before  # nothing half-added
    a.release()
    b.release()


def test_console_script_exit_status_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("params: {mu: 2}\n")
    res = subprocess.run([sys.executable, "-m", "abm", "check", str(bad)], capture_output=True, text=True)
    assert res.returncode == 2
    assert "params.mu" in res.stderr and "Traceback" not in res.stderr


def test_config_and_mesa_scenario_on_every_mesa():
    m = IntegrationModel(program="P3", seed=1, mu=0.2)
    assert m.config.name == load_scenario("P3").name and m.config.params.mu == 0.2
    assert m.scenario.program == m.config.program and m.scenario.steps == m.config.steps  # same reads on 3.3.1 and 3.5
    if compat.MODEL_OWNS_SCENARIO:  # Mesa >= 3.4: SolaraViz's Reset passes an empty Mesa Scenario of the same class
        import mesa.experimental.scenarios as scenarios

        assert isinstance(m.scenario, scenarios.Scenario) and m.scenario.model is m
        again = IntegrationModel(scenario=type(m.scenario)(), program="P3", seed=1, mu=0.2)
        assert again.config == m.config
        again.release()
    else:
        assert m.scenario is m.config
    m.release()


def test_solaraviz_model_controller_steps_and_resets_the_model():
    """Mesa's own SolaraViz controls (Step, Reset) on the model, with ``program`` in the model parameters."""
    import ipyvuetify as v
    import solara
    from mesa.visualization import Slider, SolaraViz
    from mesa.visualization.solara_viz import ModelController

    first = IntegrationModel(program="P3", seed=1, mu=0.2)
    SolaraViz(first, components=[], model_params={"program": "P3", "seed": 1, "mu": Slider("mu", 0.3, 0.0, 1.0, 0.05)})
    model = solara.reactive(first)
    params = solara.reactive({"program": "P3", "seed": 1, "mu": 0.2})
    _, rc = solara.render(ModelController(model, model_parameters=params, play_interval=solara.reactive(100),
                                          render_interval=solara.reactive(1), use_threads=solara.reactive(False)),
                          handle_error=False)  # fmt: skip
    buttons = {str(b.children[0]): b for b in rc.find(v.Btn).widgets}
    buttons["Step"].click()
    assert model.value is first and first.steps == 1
    buttons["Reset"].click()
    again = model.value
    assert again is not first and again.steps == 0
    assert again.config == first.config  # P3 with mu = 0.2, rebuilt by Mesa's Reset on 3.3.1 and 3.5 alike
    rc.close()
    first.release()
    again.release()
