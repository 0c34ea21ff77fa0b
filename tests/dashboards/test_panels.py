"""Component tests of every panel with solara's test renderer (``solara.render``), on real models."""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
import solara.widgets
from mesa.visualization.utils import force_update

from abm.config import Effects, MilestoneEvent, Targets, load_scenario
from abm.model import IntegrationModel
from abm.params import numeric_fields
from dashboards.explorer import Explorer
from dashboards.panels import (
    FirePanel,
    LivePanels,
    MilestonePanel,
    NetworkPanel,
    OrganizationsPanel,
    OutcomesPanel,
    PracticePanel,
)
from dashboards.setup import MAIN, overrides_from, scenario_values, slider_specs

PNG = b"\x89PNG"


def texts(rc) -> list[str]:
    return [str(c) for w in rc.find(v.Html).widgets for c in (w.children or []) if isinstance(c, str)]


def text_with(rc, prefix: str) -> str:
    found = [t for t in texts(rc) if t.startswith(prefix)]
    assert found, f"no text starting with {prefix!r} in {texts(rc)[:20]}"
    return found[0]


def images(rc, cls: str) -> list[bytes]:
    return [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets if cls in w._dom_classes]


def slider(rc, name: str):
    hits = [w for w in rc.find(v.Slider).widgets if str(w.label) == name or str(w.label).startswith(name + " ")]
    assert len(hits) == 1, name
    return hits[0]


@pytest.fixture
def model():
    m = IntegrationModel("P4", seed=3)
    yield m
    m.release()


def test_sliders_generated_from_schema():
    fields, specs = numeric_fields(), slider_specs()
    assert list(specs) == [n for n in MAIN if n in fields] + [n for n in fields if n not in MAIN]
    for name, f in fields.items():
        lo = f["lo"] + specs[name].step if f["lo_open"] else f["lo"]  # an open bound is not selectable
        assert (specs[name].lo, specs[name].hi) == (lo, f["hi"])
        assert specs[name].step <= (f["hi"] - f["lo"]) / 50 or specs[name].integer
    sc = load_scenario("P4")
    vals = scenario_values(sc)
    assert overrides_from(vals, sc) == {}
    assert overrides_from({**vals, "mu": 0.123}, sc) == {"mu": 0.123}


def test_explorer_step_setup_reset():
    box, rc = solara.render(Explorer(inline=True), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    consensus0 = text_with(rc, "consensus ")
    for _ in range(3):
        step.click()
    assert "week 3 of 104" in texts(rc)
    assert "week 3" in texts(rc)
    assert text_with(rc, "consensus ") != consensus0
    n_before = text_with(rc, "15 partners")
    # a slider changes nothing until Setup
    cps = slider(rc, "clinicians_per_staff (agents/staff)")
    cps.v_model = 0.1
    assert "not applied" in slider(rc, "clinicians_per_staff (agents/staff)").label
    assert "week 3 of 104" in texts(rc) and text_with(rc, "15 partners") == n_before
    rc.find(v.Btn, children=["Setup"]).widget.click()
    assert "week 0 of 104" in texts(rc)
    n_after = text_with(rc, "15 partners")
    assert n_after != n_before  # more clinician agents per staff member
    assert "not applied" not in slider(rc, "clinicians_per_staff (agents/staff)").label
    step.click()
    step.click()
    c2 = text_with(rc, "consensus ")
    rc.find(v.Btn, children=["Reset"]).widget.click()  # rebuilds the applied setup, same seed
    assert "week 0 of 104" in texts(rc) and text_with(rc, "15 partners") == n_after
    step.click()
    step.click()
    assert text_with(rc, "consensus ") == c2
    rc.close()


def test_explorer_bad_config_keeps_working(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("params: {mu: 7}\n")
    box, rc = solara.render(Explorer(inline=True), handle_error=False)
    rc.find(v.Select, label="program").widget.v_model = "config file..."
    field = rc.find(v.TextField, label="config file (YAML path, Enter to load)").widget
    field.v_model = str(bad)
    field.fire_event("keyup.enter", None)
    rc.find(v.Btn, children=["Setup"]).widget.click()
    errors = [w for w in rc.find(v.Alert).widgets if "params.mu" in str(w.children)]
    assert errors, "no error message naming the failing field"
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert "week 1 of 104" in texts(rc)  # the previous model still runs
    rc.close()


def test_network_panel_redraws_and_marks_exits(model):
    box, rc = solara.render(NetworkPanel(model), handle_error=False)
    (first,) = images(rc, "abm-network")
    assert first.startswith(PNG)
    rc.close()
    box, rc = solara.render(LivePanels(model), handle_error=False)  # follows Mesa's update counter
    assert images(rc, "abm-network") == [first]
    for _ in range(10):
        model.step()
    model.state.remove_orgs(np.arange(model.state.n_orgs) == 5, model.steps)
    force_update()
    (second,) = images(rc, "abm-network")
    assert second.startswith(PNG) and second != first
    assert "week 10" in texts(rc)
    rc.close()


def vega_rows(rc, name: str, dataset: str) -> list[dict]:
    (div,) = [w for w in rc.find(v.Html).widgets if f"abm-chart-{name}" in str(w.class_ or "").split()]
    (widget,) = [c for c in div.children if isinstance(c, solara.widgets.VegaLite)]
    return widget.spec["datasets"][dataset]


def test_outcomes_panel_shows_current_values(model):
    for _ in range(6):
        model.step()
    box, rc = solara.render(OutcomesPanel(model), handle_error=False)
    assert text_with(rc, "integration ") == f"integration {model.metrics['integration']:.3f}"
    rows = vega_rows(rc, "outcomes", "history")  # the interactive chart: one row per week, hover shows them
    assert [r["step"] for r in rows] == list(range(7))
    assert rows[-1]["integration"] == pytest.approx(model.metrics["integration"])
    assert rows[-1]["trust"] == pytest.approx(model.metrics["trust_mean"])
    rc.close()


def test_organizations_panel_click_shows_its_numbers(model):
    for _ in range(5):
        model.step()
    box, rc = solara.render(OrganizationsPanel(model), handle_error=False)
    rows = vega_rows(rc, "organizations", "orgs")
    assert [r["name"] for r in rows] == list(model.state.names)
    assert rc.find(v.Html, class_="abm-org-numbers").widgets == []
    (widget,) = rc.find(solara.widgets.VegaLite).widgets
    org = model.organizations[2]
    widget.vue_altair_click(dict(rows[2]))  # what the browser sends when a point is clicked
    numbers = [w for w in rc.find(solara.widgets.HTML).widgets if "abm-org-numbers" in w.attributes.get("class", "")]
    assert len(numbers) == 1 and org.name in texts(rc)
    html = numbers[0].unsafe_innerHTML
    assert f"{org.mean_engagement:.3f}" in html and f"{org.overload:.3f}" in html
    links = int((model.state.data_level[org.index][model.state.active] > 0).sum())
    assert f"<b>{links}</b>" in html
    assert vega_rows(rc, "organizations", "orgs")[2]["picked"] is True  # the clicked point is outlined
    rc.close()


def test_practice_panel_has_dimension_slider_when_k_gt_1():
    m = IntegrationModel("P1", seed=0, view_dims=2)
    box, rc = solara.render(PracticePanel(m), handle_error=False)
    assert images(rc, "abm-practice")[0].startswith(PNG)
    s = rc.find(v.Slider, label="view dimension").widget
    before = images(rc, "abm-practice")[0]
    s.v_model = 2
    assert images(rc, "abm-practice")[0] != before
    rc.close()
    m.release()


def test_milestone_panel_lists_events(model):
    model.fire(MilestoneEvent(name="new CEO", category="political", valence="disrupting", at=0,
                              targets=Targets(all=True), effects=Effects(trust=-0.1)))  # fmt: skip
    box, rc = solara.render(MilestonePanel(model), handle_error=False)
    (table,) = [w for w in rc.find(solara.widgets.HTML).widgets if "abm-timeline" in w.attributes.get("class", "")]
    html = table.unsafe_innerHTML
    assert "new CEO" in html and "political" in html and "disrupting" in html and "manual" in html
    assert any(t.startswith("political: 1") for t in texts(rc))
    rc.close()


def test_fire_panel_fires_and_shows_effect(model):
    box, rc = solara.render(FirePanel(model), handle_error=False)
    rc.find(v.Select, label="category").widget.v_model = "structural_inter"
    rc.find(v.Select, label="target").widget.v_model = "a pair"
    assert slider(rc, "trust").label == "trust = 0.1 (+/-)"  # starts with a visible effect, value shown
    assert slider(rc, "data_level").label == "data_level = 1 (+/-)"
    slider(rc, "trust").v_model = 0.3
    assert slider(rc, "trust").label == "trust = 0.3 (+/-)"
    t_before = float(model.state.trust[0, 1])
    rc.find(v.Btn, children=["Fire now"]).widget.click()
    ms = model.datacollector.get_table_dataframe("milestones")
    assert list(ms[["category", "source"]].iloc[-1]) == ["structural_inter", "manual"]
    assert model.state.trust[0, 1] == pytest.approx(min(1.0, t_before + 0.3))
    assert any(t.startswith("Fired: steering committee decision (structural inter") for t in texts(rc))
    # same organization twice: a message, nothing fired
    rc.find(v.Select, label="and").widget.v_model = model.state.names[0]
    rc.find(v.Btn, children=["Fire now"]).widget.click()
    assert len(model.datacollector.get_table_dataframe("milestones")) == len(ms)
    assert [w for w in rc.find(v.Alert).widgets if "two different" in str(w.children)]
    rc.close()
