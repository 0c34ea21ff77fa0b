"""The explorer's inputs and run controls as a user meets them (issue 14): seed and parameter
validation, no phantom changes, a program change flagged until Setup, and Play stopping at the
horizon. Solara's test renderer on real models."""

from __future__ import annotations

import pathlib
import time

import ipyvuetify as v
import solara

import abm
from abm.config import load_scenario
from dashboards.explorer import Explorer, live_play_threads
from dashboards.setup import scenario_values, slider_specs
from tests.dashboards.test_panels import texts


def alerts(rc) -> list[str]:
    return [str(w.children) for w in rc.find(v.Alert).widgets]


def type_into(rc, label: str, text: str) -> v.TextField:
    field = rc.find(v.TextField, label=label).widget
    field.v_model = text
    field.fire_event("keyup.enter", None)
    return rc.find(v.TextField, label=label).widget


def test_bad_seed_shows_a_message_and_blocks_setup():
    box, rc = solara.render(Explorer(inline=True), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()
    for bad, expected in (("-1", "seed must be >= 0"), ("abc", "seed must be a whole number")):
        field = type_into(rc, "seed", bad)
        assert field.v_model == bad, "the typed seed was replaced"
        assert expected in str(field.messages), field.messages
        rc.find(v.Btn, children=["Setup"]).widget.click()
        assert any("not set up" in a for a in alerts(rc)), alerts(rc)
        assert "week 1 of 104" in texts(rc), "Setup ran with a bad seed"
    type_into(rc, "seed", "7")
    rc.find(v.Btn, children=["Setup"]).widget.click()
    assert "week 0 of 104" in texts(rc) and any("seed 7" in t for t in texts(rc))
    rc.close()


def test_all_parameters_show_program_values_exactly():
    sc = load_scenario("P4")
    box, rc = solara.render(Explorer(inline=True), handle_error=False)
    rc.find(v.Switch).widget.v_model = True
    labels = [str(w.label) for w in rc.find(v.Slider).widgets] + [str(w.label) for w in rc.find(v.TextField).widgets]
    assert not [x for x in labels if "not applied" in x], "a phantom change"
    assert not [a for a in alerts(rc) if "not applied" in a]
    want = scenario_values(sc)
    for w in rc.find(v.Slider).widgets:
        name = str(w.label).split(" ")[0]
        if name in want:
            assert abs(float(w.v_model) - want[name]) < 1e-12, (name, w.v_model, want[name])
    for name, spec in slider_specs().items():
        assert spec.on_grid(want[name]), name
    rc.find(v.Btn, children=["Setup"]).widget.click()
    assert any("seed 1" in t for t in texts(rc))
    rc.close()


def test_program_change_is_flagged_until_setup():
    box, rc = solara.render(Explorer(inline=True), handle_error=False)
    rc.find(v.Select, label="program").widget.v_model = "P1"
    assert any("not applied" in a for a in alerts(rc)), alerts(rc)
    assert rc.find(v.Select, label="program  * not applied").widgets
    rc.find(v.Btn, children=["Setup"]).widget.click()
    assert not any("not applied" in a for a in alerts(rc))
    assert any(t.startswith("P1:") for t in texts(rc))
    rc.close()


def test_out_of_range_integer_is_not_clamped():
    wide = [n for n, s in slider_specs().items() if s.integer and not s.use_slider]
    if not wide:
        return
    name = wide[0]
    spec = slider_specs()[name]
    box, rc = solara.render(Explorer(inline=True), handle_error=False)
    rc.find(v.Switch).widget.v_model = True
    label = next(str(w.label) for w in rc.find(v.TextField).widgets if str(w.label).startswith(spec.label))
    field = type_into(rc, label, str(int(spec.hi) + 1))
    assert "out of range" in str(field.messages)
    rc.find(v.Btn, children=["Setup"]).widget.click()
    assert any("not set up" in a for a in alerts(rc))
    rc.close()


def test_play_stops_at_the_horizon(tmp_path):
    cfg = tmp_path / "short.yaml"
    text = (pathlib.Path(abm.__file__).parent / "programs" / "p1_stroke.yaml").read_text()
    cfg.write_text(text.replace("name: P1", "name: P1-short\nsteps: 3", 1))
    box, rc = solara.render(Explorer(inline=True, program=str(cfg)), handle_error=False)
    assert "week 0 of 3" in texts(rc)
    rc.find(v.Btn, children=["▶"]).widget.click()
    # the play thread redraws the widgets: read them only while no Play loop runs
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if live_play_threads() == 0 and any("horizon" in a for a in alerts(rc)):
            break
    assert live_play_threads() == 0, "Play did not stop at the horizon"
    time.sleep(0.5)  # solara's thread hook records its end state just after
    assert any("Stopped at the horizon: week 3" in a for a in alerts(rc)), alerts(rc)
    assert "week 3 of 3" in texts(rc)
    assert rc.find(v.Btn, children=["▶"]).widgets  # not playing any more
    rc.close()
