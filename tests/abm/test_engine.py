"""The compiled run (abm.engine, ``IntegrationModel.run_weeks``) gives the numbers of stepping, bit for bit.

Experiments, sensitivity analysis, calibration and validation run through ``run_weeks``; Mesa's
``batch_run``, the dashboards and probes step. Both must be the same model: same step table, same
milestone table, same final state (every array), and the generator left in the same state, so that
anything drawn afterwards is the same too. Covered: the six programs, every knock-out and reduction,
configured events of every kind in the milestone library (scheduled, hazard-drawn and repeating,
at 0, leave, merger), endogenous exits, and runs that switch between the two paths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abm.config import load_scenario, with_overrides
from abm.milestone_library import library
from abm.model import IntegrationModel
from abm.run import run_once

STEPS = 60
KNOCKOUTS = [
    {"params.mechanisms.engagement": False}, {"params.mechanisms.trust_building": False},
    {"params.mechanisms.data_sharing": False}, {"params.mechanisms.exit": False},
    {"params.mechanisms.co_design": False}, {"params.mechanisms.shadowing": False},
    {"params.mechanisms.milestones": False}, {"params.mechanisms.workload_burden": False},
    {"params.mechanisms.mixing": "random"}, {"params.mechanisms.link_formation": "fixed"},
    {"params.mechanisms.initial_views": "uniform"}, {"params.mechanisms.prior_partnerships": False},
]  # fmt: skip
EXITS = {"params.exit_threshold": 0.45, "params.exit_hazard": 0.2}  # partners leave during the run


def _same_model(a: IntegrationModel, b: IntegrationModel) -> None:
    """Everything two models hold is identical: state arrays, metrics, milestone tables, generator."""
    for name, x in vars(a.state).items():
        y = getattr(b.state, name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), name
        else:
            assert x == y, name
    assert a.steps == b.steps
    assert a.metrics.keys() == b.metrics.keys()
    assert np.array_equal(list(a.metrics.values()), list(b.metrics.values()), equal_nan=True)
    pd.testing.assert_frame_equal(
        a.datacollector.get_table_dataframe("milestones"), b.datacollector.get_table_dataframe("milestones")
    )
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


@pytest.fixture(autouse=True)
def _release_models(monkeypatch):
    """Every model a test builds is released afterwards (Mesa 3.3.1 would keep it: see test_memory)."""
    built: list[IntegrationModel] = []
    init = IntegrationModel.__init__

    def tracked(self, *args, **kwargs):
        init(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(IntegrationModel, "__init__", tracked)
    yield
    for m in built:
        m.release()


def _stepped_and_compiled(sc, seed: int, steps: int = STEPS) -> tuple[IntegrationModel, IntegrationModel, np.ndarray]:
    a, b = IntegrationModel(sc, seed=seed), IntegrationModel(sc, seed=seed)
    for _ in range(steps):
        a.step()
    rows = b.run_weeks(steps)
    table = a.datacollector.get_model_vars_dataframe().to_numpy(float)[1:]
    assert np.array_equal(table, rows, equal_nan=True)
    return a, b, rows


@pytest.mark.parametrize("program", ["P1", "P2", "P3", "P4", "P5", "P6"])
def test_run_once_is_stepping_for_every_program(program):
    for seed in (0, 7):
        fast = run_once(program, seed)
        stepped = run_once(program, seed, probe=lambda m: None)  # a probe makes run_once step the model
        pd.testing.assert_frame_equal(fast.steps, stepped.steps, check_exact=True)
        pd.testing.assert_frame_equal(fast.milestones, stepped.milestones)
        assert fast.summary.keys() == stepped.summary.keys()
        assert np.array_equal(list(fast.summary.values()), list(stepped.summary.values()), equal_nan=True)


@pytest.mark.parametrize("overrides", KNOCKOUTS, ids=lambda o: "-".join(f"{k.split('.')[-1]}={v}" for k, v in o.items()))
def test_knockouts_and_reductions(overrides):
    for program in ("P1", "P4"):
        a, b, _ = _stepped_and_compiled(with_overrides(load_scenario(program), overrides), seed=3)
        _same_model(a, b)


def test_endogenous_exits_in_the_compiled_loop():
    sc = with_overrides(load_scenario("P4"), EXITS)
    a, b, rows = _stepped_and_compiled(sc, seed=5)
    _same_model(a, b)
    assert (~b.state.active).sum() >= 2  # several exits, at different weeks
    assert rows[-1, list(b.metrics).index("retention")] < 1.0


def test_every_library_event_scheduled_hazard_and_at_zero():
    """Each library event at week 0, at week 5, and drawn by hazard (repeating), targeting real partners of P1."""
    sc = load_scenario("P1")
    targets = {"orgs": ["Stroke Centre", "District Hospital", "Rehab Centre"]}
    events = []
    for i, (key, ev) in enumerate(library().items()):
        effects = {"merge_into": "Stroke Centre"} if "merge_into" in ev.needs else None
        extra = {"effects": effects} if effects else {}
        if "merge_into" in ev.needs or ev.effects.get("leave"):
            events.append({"use": key, "name": f"{key} once", "at": 20 + i, "targets": targets, **extra})
            continue
        events.append({"use": key, "name": f"{key} at 0", "at": 0, "targets": targets, **extra})
        events.append({"use": key, "name": f"{key} at 5", "at": 5, "targets": targets, **extra})
        events.append({"use": key, "name": f"{key} drawn", "hazard": 0.05, "repeat": True, "targets": {"all": True}, **extra})
    sc = with_overrides(sc, {"milestones": [*(e.model_dump(mode="json") for e in sc.milestones), *events]})
    a, b, _ = _stepped_and_compiled(sc, seed=11)
    _same_model(a, b)
    fired = set(b.datacollector.get_table_dataframe("milestones")["name"])
    assert any(name.endswith("drawn") for name in fired) and any(name.endswith("once") for name in fired)


def test_only_a_merger_returns_to_python(monkeypatch):
    """Events (P4's three: scheduled and hazard-drawn) and exits are applied in the compiled loop: one call per run; a
    week with a merger is applied by Python (one more call), and gives the numbers of stepping."""
    from abm import engine

    calls = []
    plain = engine.run_weeks
    monkeypatch.setattr(engine, "run_weeks", lambda *args: calls.append(args[4]) or plain(*args))
    sc = with_overrides(load_scenario("P4"), EXITS)
    b = IntegrationModel(sc, seed=5)
    b.run_weeks(STEPS)
    names = set(b.datacollector.get_table_dataframe("milestones")["name"])
    assert len(calls) == 1 and {"partner exit", *(ev.name for ev in sc.milestones if ev.at is not None)} <= names
    merger = {"name": "merger", "category": "structural_inter", "valence": "mixed", "at": 12,
              "targets": {"orgs": ["Rural Hospital F", "Rural Hospital G"]}, "effects": {"merge_into": "Rural Hospital F"}}  # fmt: skip
    sc = with_overrides(sc, {"milestones": [*(e.model_dump(mode="json") for e in sc.milestones), merger]})
    calls.clear()
    a, b, _ = _stepped_and_compiled(sc, seed=5)
    assert calls == [1, 12]  # resumed at the merger's week
    _same_model(a, b)


def test_milestone_rows_are_made_when_read_and_counted_before():
    """A batch run's summary counts its milestones and exits without making the rows' text; the table made later
    holds what was counted (the model's collector too, in order, when its table is read)."""
    sc = with_overrides(load_scenario("P4"), EXITS)
    r = run_once(sc, seed=5)
    ms = r.milestones
    assert r.summary["milestones"] == len(ms) and r.summary["exits"] == (ms["name"] == "partner exit").sum() >= 2
    m = IntegrationModel(sc, seed=5)
    m.run_weeks(30)
    rows, exits = m.milestone_counts()
    m.fire(sc.milestones[0])  # a row Python logs goes after the ones compiled code logged
    table = m.datacollector.get_table_dataframe("milestones")
    assert len(table) == rows + 1 and table["source"].iloc[-1] == "manual" and table["step"].is_monotonic_increasing
    assert (table["name"] == "partner exit").sum() == exits


def test_exits_count_partners_that_left_not_rows_named_so():
    """A configured event may be named "partner exit": ``exits`` still counts the organizations that left, on both paths."""
    sc = with_overrides(load_scenario("P4"), EXITS)
    named = {"name": "partner exit", "category": "structural_inter", "valence": "disrupting", "at": 5,
             "targets": {"all": True}, "effects": {"trust": -0.05}}  # fmt: skip
    sc = with_overrides(sc, {"milestones": [*(e.model_dump(mode="json") for e in sc.milestones), named]})
    fast, stepped = run_once(sc, seed=5), run_once(sc, seed=5, probe=lambda m: None)
    left = (fast.milestones["name"] == "partner exit").sum() - 1  # (the event's own row is not an exit)
    m = IntegrationModel(sc, seed=5)
    m.run_weeks(sc.steps)
    assert fast.summary["exits"] == stepped.summary["exits"] == left == (~m.state.active).sum() >= 2
    assert fast.summary["milestones"] == stepped.summary["milestones"] == len(fast.milestones)


def test_switching_between_the_paths():
    """Compiled weeks, then stepped weeks, then compiled again: as stepping throughout."""
    sc = with_overrides(load_scenario("P6"), EXITS)
    a, b = IntegrationModel(sc, seed=2), IntegrationModel(sc, seed=2)
    for _ in range(40):
        a.step()
    b.run_weeks(15)
    for _ in range(10):
        b.step()
    b.run_weeks(40)
    _same_model(a, b)
    table = b.datacollector.get_model_vars_dataframe()
    assert len(table) == 1 + 10  # Mesa's DataCollector holds the stepped weeks only (run_weeks returns its rows)


def test_run_weeks_past_the_horizon_stops_running_and_zero_weeks_do_nothing():
    sc = load_scenario("P3")
    m = IntegrationModel(sc, seed=1)
    before = dict(m.metrics)
    assert m.run_weeks(0).shape == (0, len(m.metrics)) and m.metrics == before and m.steps == 0
    m.run_weeks(sc.steps)
    assert m.steps == sc.steps and not m.running


def test_per_organization_engagement_is_recorded_alike_on_both_paths():
    """``org_engagement``: what a probe reading each organization's mean engagement after every step sees, from the
    compiled weeks too (through exits, which change membership mid-run), as ``np.bincount`` computes it."""
    sc = with_overrides(load_scenario("P4"), EXITS)

    def by_bincount(m):
        s = m.state
        return np.bincount(s.clin_org, s.engagement, s.n_orgs) / np.diff(s.block_start)

    fast = run_once(sc, seed=5, org_engagement=True)
    stepped = run_once(sc, seed=5, probe=by_bincount, org_engagement=True)
    assert fast.org_engagement.shape == (sc.steps + 1, len(sc.organizations))
    assert np.array_equal(fast.org_engagement, np.array(stepped.probes))
    assert np.array_equal(stepped.org_engagement, np.array(stepped.probes))
    assert (fast.milestones["name"] == "partner exit").sum() >= 2  # the exits' weeks were recorded
    pd.testing.assert_frame_equal(fast.steps, stepped.steps, check_exact=True)
    assert run_once(sc, seed=5).org_engagement is None
    m = IntegrationModel(sc, seed=5)
    with pytest.raises(ValueError, match="org_engagement must have shape"):
        m.run_weeks(10, np.empty((9, len(sc.organizations))))
    assert m.steps == 0  # nothing ran


@pytest.mark.parametrize("program", ["P1", "P4", "P6"])
def test_runs_of_one_scenario_share_its_layout_not_their_state(program):
    """What a scenario alone decides is computed once per scenario object and kept read-only; each run holds its
    own copies, so what one run changes in place (contacts, links, events, exits) never reaches the next."""
    from abm import state as state_module

    sc = with_overrides(load_scenario(program), EXITS)
    lay = state_module.layout(sc)
    assert state_module.layout(sc) is lay
    assert all(not v.flags.writeable for v in lay.values() if isinstance(v, np.ndarray))
    first = run_once(sc, seed=5)
    model = IntegrationModel(sc, seed=1)
    model.run_weeks(104)
    for name, x in vars(model.state).items():
        if isinstance(x, np.ndarray) and x.size:
            assert not any(np.shares_memory(x, v) for v in lay.values() if isinstance(v, np.ndarray)), name
    again = run_once(sc, seed=5)
    state_module._LAYOUTS.clear()  # afresh, without the kept layout
    fresh = run_once(sc, seed=5)
    for r in (again, fresh):
        pd.testing.assert_frame_equal(r.steps, first.steps)
        pd.testing.assert_frame_equal(r.milestones, first.milestones)


def _layouts_equal(a, b):
    return a.keys() == b.keys() and all(
        np.array_equal(a[k], b[k]) if isinstance(a[k], np.ndarray) else a[k] == b[k] for k in a
    )


def _another_value(field):
    """A valid value of a numeric parameter other than its default."""
    if field["type"] == "int":
        return field["default"] + 1 if field["default"] + 1 <= field["hi"] else field["default"] - 1
    lo, hi, d = field["lo"], field["hi"], field["default"]
    return d + 0.1 * (hi - d) if d < hi else d - 0.1 * (d - lo)


def test_a_layout_is_kept_by_the_parameters_it_reads_and_shared_across_the_others():
    """Overriding a parameter the layout does not read (a sensitivity point's) reuses the kept layout; one it
    reads (LAYOUT_PARAMS, the prior_partnerships switch) makes another. Either way the layout is the one built
    afresh, for every numeric parameter and every switch: the key misses nothing the layout reads."""
    from abm import state as state_module
    from abm.params import Mechanisms, numeric_fields

    base = load_scenario("P4")
    assert base.prior_partnerships is not None
    state_module._LAYOUTS.clear()
    kept = state_module.layout(base)
    overrides = {f"params.{name}": _another_value(f) for name, f in numeric_fields().items()}
    overrides |= {f"params.mechanisms.{name}": not default for name, f in Mechanisms.model_fields.items()
                  if isinstance(default := f.default, bool)}  # fmt: skip
    shared = []
    for key, value in overrides.items():
        sc = with_overrides(base, {key: value})
        lay = state_module.layout(sc)
        state_module._LAYOUTS.clear()
        assert _layouts_equal(lay, state_module.layout(sc)), key  # as built afresh
        state_module._LAYOUTS.clear()
        state_module._LAYOUTS.append(state_module._Kept(*state_module._layout_key(base), kept))  # base's, kept
        name = key.rsplit(".", 1)[1]
        assert (lay is kept) == (name not in (*state_module.LAYOUT_PARAMS, "prior_partnerships")), key
        shared.append(lay is kept)
    assert 0 < sum(shared) < len(shared)
    for name in ("trust_initial", "clinicians_per_staff", "prior_structure"):  # they do change it
        assert not _layouts_equal(state_module.layout(with_overrides(base, {f"params.{name}": overrides[f"params.{name}"]})), kept)


def test_a_large_regions_layout_is_not_kept_and_gives_the_same_run(monkeypatch):
    """Above LAYOUT_KEPT_MAX_ORGS organizations the layout is built for the run and handed over, not kept."""
    from abm import state as state_module
    from abm.synthetic import synthetic_region

    sc = synthetic_region(state_module.LAYOUT_KEPT_MAX_ORGS + 10, 3 * (state_module.LAYOUT_KEPT_MAX_ORGS + 10), seed=2)
    lay = state_module.layout(sc)
    assert not lay["kept"] and state_module.layout(sc) is not lay and lay["trust"].flags.writeable
    handed = run_once(sc, seed=3, steps=8)
    monkeypatch.setattr(state_module, "LAYOUT_KEPT_MAX_ORGS", 10**6)
    assert state_module.layout(sc)["kept"]
    pd.testing.assert_frame_equal(run_once(sc, seed=3, steps=8).steps, handed.steps)
