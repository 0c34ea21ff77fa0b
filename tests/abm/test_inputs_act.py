"""Inputs that act: every field of the config schema changes some output, or is a documented pure label.

The list of fields is generated from the schema (:class:`abm.config.Scenario` and every model it
holds: Organization, Program, Features, SharedSystem, MilestoneEvent, Targets, Effects, Params with
its numeric parameters, Mechanisms), so a new field without an entry in :data:`CASES` (or
:data:`LABELS`) fails :func:`test_every_schema_field_has_a_case`. For each field the table gives a
scenario where it applies and a perturbation; two short runs on the same seed (the scenario, and
the scenario with the field changed) must differ in their step table or run summary. Numeric
parameters reuse the perturbation and context of ``tests/abm/test_parameters_reach.py``.

A pure label (a name, a description, the condition's text) must change nothing but itself: the
runs are equal; and the documentation must say that it is a label.
"""

from __future__ import annotations

import math
import re
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from abm.config import Scenario, load_scenario
from abm.run import run_once
from tests.abm.test_parameters_reach import CONTEXT, perturbed

ROOT = Path(__file__).resolve().parents[2]
SEED = 11
STEPS = 40

# A milestone used as a probe: added to a program, then one of its fields changed.
PROBE = {"name": "probe", "category": "structural_inter", "valence": "facilitating", "at": 5,
         "targets": {"all": True}, "effects": {}}  # fmt: skip


def _probe(**fields: Any) -> list[dict[str, Any]]:
    ev = {**PROBE, **fields}
    if "hazard" in fields:
        ev.pop("at")
    return [ev]


INERT = "lead is making it act"
# field path -> (program, base edit, perturbing edit[, xfail reason]). Edits are dotted paths into the
# scenario's data (list items by index); the base edit sets up a context where the field applies.
CASES: dict[str, tuple] = {
    "steps": ("P3", {"steps": 30}, {"steps": 40}),
    "prior_partnerships": ("P2", {}, {"prior_partnerships": None}),
    # organizations (P1's small partner, index 5; P4's LHIN, index 14)
    "organizations[].kind": ("P1", {}, {"organizations.2.kind": "home_care"}),
    "organizations[].region": ("P4", {}, {"organizations.0.region": 2}),
    "organizations[].size": ("P1", {}, {"organizations.5.size": 800.0}),
    "organizations[].resources": ("P1", {}, {"organizations.5.resources": 0.6}),
    "organizations[].leadership": ("P1", {}, {"organizations.5.leadership": 0.95}),
    "organizations[].it_system": ("P1", {"params.link_upgrade": 1.0, "params.link_trust_gate": 0.3}, {"organizations.0.it_system": 9}),
    "organizations[].privacy": ("P4", {"params.link_upgrade": 1.0, "params.link_trust_gate": 0.3}, {"organizations.2.privacy": 0.0}),
    "organizations[].culture": ("P1", {}, {"organizations.0.culture": 0.0}),
    "organizations[].clinical": ("P4", {}, {"organizations.14.clinical": True}),
    # program
    "program.complexity": ("P4", {}, {"program.complexity": 1.6}),
    "program.bundle_days": ("P4", {}, {"program.bundle_days": 300}),
    "program.volume_multiplier": ("P4", {}, {"program.volume_multiplier": 2.0}),
    "program.pathway": ("P4", {}, {"program.pathway": "top_down"}),
    "program.initial_data_level": ("P4", {}, {"program.initial_data_level": 2}),
    "program.engagement_start": ("P4", {}, {"program.engagement_start": {"physician": 0.9}}),
    "program.engagement_baseline": ("P4", {}, {"program.engagement_baseline": {"nurse": 0.9}}),
    "program.features.coordinator": ("P4", {"program.features.coordinator": False}, {"program.features.coordinator": True}),
    "program.features.warm_handoff": ("P4", {"program.features.coordinator": False}, {"program.features.warm_handoff": True}),
    "program.features.line_24_7": ("P1", {}, {"program.features.line_24_7": True}),
    "program.features.telemonitoring": ("P4", {}, {"program.features.telemonitoring": True}),
    "program.features.virtual_rounds": ("P1", {}, {"program.features.virtual_rounds": True}),
    "program.features.shadowing": ("P4", {}, {"program.features.shadowing": True}),
    "program.features.champions": ("P2", {}, {"program.features.champions": True}),
    "program.features.realtime_dashboard": ("P4", {}, {"program.features.realtime_dashboard": True}),
    "program.features.physician_mandate": ("P4", {}, {"program.features.physician_mandate": True}),
    "program.shared_systems[].orgs": ("P1", {}, {"program.shared_systems.0.orgs": ["Stroke Centre", "Small Hospital"]}),
    "program.shared_systems[].level": ("P1", {}, {"program.shared_systems.0.level": 3}),
    # milestones: a probe event added to P3 (two partners) or P1 / P4 where the target needs them
    "milestones[].category": ("P3", {"milestones": _probe()}, {"milestones.0.category": "political"}),
    "milestones[].valence": ("P3", {"milestones": _probe()}, {"milestones.0.valence": "disrupting"}),
    "milestones[].at": ("P3", {"milestones": _probe(effects={"trust": 0.2})}, {"milestones.0.at": 20}),
    "milestones[].hazard": ("P3", {"milestones": _probe(hazard=0.02, effects={"trust": 0.2})}, {"milestones.0.hazard": 0.5}),
    "milestones[].repeat": ("P3", {"milestones": _probe(hazard=0.3, effects={"trust": 0.05})}, {"milestones.0.repeat": True}),
    "milestones[].targets.all": ("P3", {"milestones": _probe(targets={"orgs": ["Home Care Provider"]}, effects={"engagement": 0.3})},
                                 {"milestones.0.targets.all": True}),
    "milestones[].targets.orgs": ("P3", {"milestones": _probe(targets={"orgs": ["Home Care Provider"]}, effects={"engagement": 0.3})},
                                  {"milestones.0.targets.orgs": ["Cardiac Hospital"]}),
    "milestones[].targets.kinds": ("P3", {"milestones": _probe(targets={"kinds": ["home_care"]}, effects={"engagement": 0.3})},
                                   {"milestones.0.targets.kinds": ["hospital"]}),
    "milestones[].targets.pair": ("P1", {"milestones": _probe(targets={"pair": ["Stroke Centre", "CCAC"]}, effects={"trust": 0.3})},
                                  {"milestones.0.targets.pair": ["Stroke Centre", "Small Hospital"]}),
    "milestones[].effects.trust": ("P3", {"milestones": _probe()}, {"milestones.0.effects.trust": 0.3}),
    "milestones[].effects.engagement": ("P3", {"milestones": _probe()}, {"milestones.0.effects.engagement": 0.3}),
    "milestones[].effects.resources": ("P1", {"milestones": _probe()}, {"milestones.0.effects.resources": -0.5}),
    "milestones[].effects.leadership": ("P3", {"milestones": _probe()}, {"milestones.0.effects.leadership": -0.7}),
    "milestones[].effects.data_level": ("P3", {"milestones": _probe()}, {"milestones.0.effects.data_level": 2}),
    "milestones[].effects.practice_pull": ("P3", {"milestones": _probe()}, {"milestones.0.effects.practice_pull": 0.5}),
    "milestones[].effects.culture_distance": ("P3", {"milestones": _probe()}, {"milestones.0.effects.culture_distance": -0.5}),
    "milestones[].effects.volume": ("P3", {"milestones": _probe()}, {"milestones.0.effects.volume": 2.0}),
    "milestones[].effects.coordinator": ("P4", {"milestones": _probe(), "program.features.coordinator": False}, {"milestones.0.effects.coordinator": True}),
    "milestones[].effects.champion_leaves": ("P4", {"milestones": _probe()}, {"milestones.0.effects.champion_leaves": True}),
    "milestones[].effects.structure": ("P3", {"milestones": _probe()}, {"milestones.0.effects.structure": 0.5}),
    "milestones[].effects.merge_into": ("P4", {"milestones": _probe(targets={"orgs": ["Hospital E"]})},
                                        {"milestones.0.effects.merge_into": "Hospital D"}),
    "milestones[].use": ("P3", {"milestones": [{"use": "joint_workshop", "at": 5}]}, {"milestones.0.use": "partner_withdrawal"}),
    "milestones[].effects.leave": ("P1", {"milestones": _probe(targets={"orgs": ["CCAC"]})}, {"milestones.0.effects.leave": True}),
    # mechanism switches
    "params.mechanisms.trust_building": ("P3", {}, {"params.mechanisms.trust_building": False}),
    "params.mechanisms.shadowing": ("P3", {}, {"params.mechanisms.shadowing": False}),
    "params.mechanisms.engagement": ("P4", {}, {"params.mechanisms.engagement": False}),
    "params.mechanisms.co_design": ("P4", {}, {"params.mechanisms.co_design": False}),
    "params.mechanisms.data_sharing": ("P4", {}, {"params.mechanisms.data_sharing": False}),
    "params.mechanisms.prior_partnerships": ("P2", {}, {"params.mechanisms.prior_partnerships": False}),
    "params.mechanisms.workload_burden": ("P1", {}, {"params.mechanisms.workload_burden": False}),
    "params.mechanisms.exit": ("P1", {"params.exit_threshold": 0.5}, {"params.mechanisms.exit": False}),  # partners below it
    "params.mechanisms.milestones": ("P4", {}, {"params.mechanisms.milestones": False}),
    "params.mechanisms.mixing": ("P4", {}, {"params.mechanisms.mixing": "random"}),
    "params.mechanisms.link_formation": ("P4", {}, {"params.mechanisms.link_formation": "fixed"}),
    "params.mechanisms.initial_views": ("P4", {}, {"params.mechanisms.initial_views": "uniform"}),
    # numeric parameters whose mechanism needs a context test_parameters_reach does not set
    "params.link_decay": ("P4", {"params.link_collapse_trust": 0.9}, {"params.link_decay": 1.0}),  # low-trust pairs
}
# Numeric parameters: the program where each is tried (P4 unless listed), with test_parameters_reach's
# perturbation (the far end of its range, or a chosen value) and context.
PARAM_PROGRAM = {"shadowing_rate": "P3", "shadow_alpha_ratio": "P3", "shadow_culture_shrink": "P3",
                 "data_visibility_gain": "P6", "topdown_pull": "P1", "topdown_penalty": "P1",
                 "warm_handoff_share": "P1", "exit_hazard": "P1", "exit_threshold": "P1", "handoff_telemonitoring": "P6"}  # fmt: skip
PARAM_INERT: dict[str, str] = {}
# Pure labels: they name things and change no output. The doc place that says so.
LABELS = {
    "name": "docs/ODD.md",
    "description": "docs/ODD.md",
    "organizations[].name": "docs/ODD.md",
    "program.condition": "docs/ODD.md",
    "milestones[].name": "docs/ODD.md",
}
LABEL_EDITS = {  # a change of the label alone (references renamed with it)
    "name": ("P3", {"name": "renamed"}),
    "description": ("P3", {"description": "another description"}),
    "organizations[].name": ("P3", {"organizations.1.name": "Another Home Care"}),
    "program.condition": ("P3", {"program.condition": "something else"}),
    "milestones[].name": ("P3", {"milestones.0.name": "another name"}),
}


def schema_fields(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every leaf field of the schema as a path: ``organizations[].size``, ``params.mu``, ``program.features.shadowing``."""
    out = []
    for name, f in model.model_fields.items():
        nested, is_list = _nested(f.annotation)
        path = f"{prefix}{name}{'[]' if is_list and nested else ''}"
        if nested is not None:
            out += schema_fields(nested, path + ".")
        else:
            out.append(path)
    return out


def _nested(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The schema model inside an annotation (``X``, ``list[X]``, ``X | None``), and whether it is a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            inner, _ = _nested(arg)
            if inner is not None:
                return inner, origin is list
    return None, False


FIELDS = schema_fields()
PARAMS = [f for f in FIELDS if f.startswith("params.") and not f.startswith("params.mechanisms.")]


def _edit(data: Any, path: str, value: Any) -> None:
    *head, last = path.split(".")
    for h in head:
        data = data[int(h)] if isinstance(data, list) else data.setdefault(h, {})
    if isinstance(data, list):
        data[int(last)] = value
    else:
        data[last] = value


def _scenario(program: str, *edits: dict[str, Any]) -> Scenario:
    data = load_scenario(program).model_dump(mode="json")
    for e in edits:
        for path, value in e.items():
            _edit(data, path, value)
    return Scenario.model_validate(data)


@cache
def _outputs(program: str, edits: str) -> tuple[Any, dict[str, float]]:
    import json

    sc = _scenario(program, *json.loads(edits))
    res = run_once(sc, seed=SEED, steps=None if "steps" in edits else STEPS)
    return res.steps, res.summary


def _same(a: tuple[Any, dict[str, float]], b: tuple[Any, dict[str, float]]) -> bool:
    sa, sb = a[1], b[1]
    same_summary = sa.keys() == sb.keys() and all(
        (math.isnan(sa[k]) and math.isnan(sb[k])) or sa[k] == sb[k] for k in sa
    )  # fmt: skip
    return a[0].shape == b[0].shape and a[0].equals(b[0]) and same_summary


def _runs(program: str, base: dict[str, Any], change: dict[str, Any]) -> tuple[tuple, tuple]:
    import json

    return _outputs(program, json.dumps([base])), _outputs(program, json.dumps([base, change]))


def _case(field: str) -> tuple[str, dict, dict, str | None]:
    if field in CASES:
        program, base, change, *reason = CASES[field]
        return program, base, change, (reason[0] if reason else None)
    name = field.removeprefix("params.")
    base = {f"params.{k}": v for k, v in CONTEXT.get(name, {}).items()}
    return PARAM_PROGRAM.get(name, "P4"), base, {field: perturbed(name)}, PARAM_INERT.get(name)


def test_every_schema_field_has_a_case():
    missing = [f for f in FIELDS if f not in CASES and f not in LABELS and f not in PARAMS]
    assert not missing, f"schema fields with no 'inputs that act' case or label entry: {missing}"
    stale = [f for f in list(CASES) + list(LABELS) if f not in FIELDS]
    assert not stale, f"entries for fields the schema no longer has: {stale}"
    assert len(PARAMS) > 60 and "params.mu" in PARAMS and "organizations[].size" in FIELDS


def _params(fields: list[str]) -> list[Any]:
    out = []
    for f in fields:
        reason = _case(f)[3]
        out.append(pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=reason)) if reason else f)
    return out


@pytest.mark.parametrize("field", _params([f for f in FIELDS if f not in LABELS]))
def test_input_changes_some_output(field):
    program, base, change, _ = _case(field)
    a, b = _runs(program, base, change)
    assert not _same(a, b), f"{field}: changing {change} in {program} changed no output on seed {SEED} over {STEPS} steps"


@pytest.mark.parametrize("field", list(LABELS))
def test_label_changes_no_output(field):
    program, change = LABEL_EDITS[field]
    a, b = _runs(program, {}, change)
    assert _same(a, b), f"{field} is listed as a pure label but changing it changed an output"


@pytest.mark.parametrize("field", list(LABELS))
def test_label_is_documented_as_such(field):
    text = (ROOT / LABELS[field]).read_text()
    leaf = field.split(".")[-1].removesuffix("[]")
    assert re.search(rf"`{re.escape(field)}`[^\n]*\blabels?\b|\blabels?\b[^\n]*`{re.escape(field)}`", text), (
        f"{LABELS[field]} should say that `{field}` ({leaf}) is a pure label"
    )
