"""The model is a proper Mesa model: batch_run, agents as views, DataCollector tables."""

from __future__ import annotations

import subprocess
import sys

import mesa
import numpy as np

from abm import IntegrationModel


def test_runs_under_mesa_batch_run():
    results = mesa.batch_run(
        IntegrationModel,
        parameters={"scenario": "P3", "mu": [0.1, 0.3]},
        iterations=2,
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


def test_console_script_exit_status_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("params: {mu: 2}\n")
    res = subprocess.run([sys.executable, "-m", "abm", "check", str(bad)], capture_output=True, text=True)
    assert res.returncode == 2
    assert "params.mu" in res.stderr and "Traceback" not in res.stderr
