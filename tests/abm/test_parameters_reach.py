"""Every parameter reaches the process its declaration names, and acts first there.

Each numeric parameter of ``abm/params.py`` declares the ODD process(es) it acts in (``process``,
also shown in the ODD parameter table). Here each one is perturbed alone and two models with the
same seed are run in lockstep; after every process we compare everything the model holds (state
arrays and scalars, this step's scratch: hand-offs, meetings, contacts, activities, metrics). The
first process whose output differs must be one the parameter declares; and the parameter must
change something in at least one of the programs tried. A parameter wired to the wrong mechanism
(or two parameters of equal default swapped between processes) fails here.
"""

from __future__ import annotations

import hashlib
import inspect
import re

import numpy as np
import pytest

from abm.model import IntegrationModel
from abm.params import numeric_fields
from abm.run import run_once

FIELDS = numeric_fields()
PROCESSES = [c for c in re.findall(r"self\.(\w+)\(\)", inspect.getsource(IntegrationModel.step)) if not c.startswith("_")]
PROGRAMS = ("P1", "P3", "P4", "P6")  # top-down, warm hand-offs, exits; shadowing, mandate; champions, co-design; real-time links
STEPS = 12
PERTURBED = {  # where a generic step would not change anything (e.g. a cap nobody reaches)
    "max_clinicians": 10, "min_clinicians": 8, "view_dims": 2, "meeting_interval": 3, "workshop_interval": 5,
    "contact_window": 2, "routine_flow": 0.0, "step_days": 14.0, "clinicians_per_staff": 0.03, "exit_threshold": 1.0,
}  # fmt: skip


CONTEXT = {  # both runs of these parameters' tests share a setting in which their mechanism is at work
    "handoff_overload": {"base_workload": 1.3},  # receivers overloaded
    "exit_hazard": {"exit_threshold": 0.5},  # partners below the threshold
    "privacy_mismatch_factor": {"link_upgrade": 1.0, "link_trust_gate": 0.3},  # many upgrade draws
    "different_it_factor": {"link_upgrade": 1.0, "link_trust_gate": 0.3},
    "contact_window": {"link_upgrade": 1.0, "link_trust_gate": 0.3},
    "routine_flow": {"routine_success": 0.3, "routine_smoothing": 0.5},  # routines within the short run
    "handoff_familiarity": {"volume_per_staff": 0.05},  # many hand-offs: repeat pairs know each other
}


def perturbed(name: str) -> float:
    """The end of the parameter's range farther from its default (or a chosen value)."""
    if name in PERTURBED:
        return PERTURBED[name]
    f = FIELDS[name]
    return f["hi"] if f["hi"] - f["default"] >= f["default"] - f["lo"] else f["lo"]


def _digest(model: IntegrationModel) -> str:
    """A fingerprint of everything the model holds that a process may change."""
    h = hashlib.blake2b(digest_size=16)

    def add(x):
        if isinstance(x, np.ndarray):
            h.update(str(x.dtype).encode() + str(x.shape).encode())
            h.update(np.ascontiguousarray(x).tobytes())
        elif isinstance(x, list | tuple):
            for y in x:
                add(y)
        elif isinstance(x, dict):
            for k in sorted(x):
                h.update(k.encode())
                add(x[k])
        else:
            h.update(repr(x).encode())

    add(vars(model.state))
    hf = model._handoffs
    add([hf.sender_org, hf.receiver_org, hf.sender, hf.receiver, hf.success, hf.referral_ok, hf.team_success])
    add([model._met, model._shadow_counts, model._rounds, model._champion_contacts, model._included, model._directed, model._activity])
    add([model._contacts, model._pairs, model.metrics])
    return h.hexdigest()


class _Differs(Exception):
    pass


def _traced(program: str, seed: int, overrides: dict, against: list | None = None) -> list[tuple[int, str, str]]:
    """(step, process, fingerprint) after initialization and after every process of every step.

    With ``against`` (another trace), stops at the first entry that differs from it (the last one returned).
    """
    model = IntegrationModel(program, seed=seed, **overrides)
    trace = [(0, "initialization", _digest(model))]

    def traced(name, method):
        def run():
            method()
            trace.append((model.steps, name, _digest(model)))
            if against is not None and trace[-1] != against[len(trace) - 1]:
                raise _Differs

        return run

    if against is not None and trace[0] != against[0]:
        model.release()
        return trace

    for name in PROCESSES:  # instance attributes: step() calls these wrappers
        setattr(model, name, traced(name, getattr(model, name)))
    try:
        for _ in range(STEPS):
            model.step()
    except _Differs:
        return trace
    finally:
        model.release()
    assert len(trace) == 1 + STEPS * len(PROCESSES)
    return trace


def first_difference(program: str, name: str) -> str | None:
    """The first process whose output differs when ``name`` is perturbed (None if none does)."""
    context = CONTEXT.get(name, {})
    base = _traced(program, 3, context) if context else _BASE.setdefault(program, _traced(program, 3, {}))
    other = _traced(program, 3, context | {name: perturbed(name)}, against=base)
    return other[-1][1] if other[-1] != base[len(other) - 1] else None


_BASE: dict[str, list] = {}


def test_schedule_is_what_step_runs():
    assert PROCESSES[0] == "apply_milestones" and PROCESSES[-1] == "observe" and len(PROCESSES) == 10


@pytest.mark.parametrize("name", list(FIELDS))
def test_parameter_acts_first_in_its_declared_process(name):
    declared = FIELDS[name]["process"].split()
    if declared == ["summary"]:  # only the run summary reads it: the run is the same, the summary differs
        a = run_once("P4", seed=1)
        b = run_once("P4", seed=1, overrides={f"params.{name}": perturbed(name)})
        assert a.steps.equals(b.steps)
        assert a.summary != b.summary
        return
    firsts = {program: first_difference(program, name) for program in PROGRAMS}
    acted = {p: f for p, f in firsts.items() if f is not None}
    assert acted, f"{name}: perturbing it to {perturbed(name)} changed nothing in {PROGRAMS}"
    allowed = set(declared) | ({"initialization"} if "observe" in declared else set())  # construction ends with observe()
    wrong = {p: f for p, f in acted.items() if f not in allowed}
    assert not wrong, f"{name} (declared {declared}) first changed {wrong}"
