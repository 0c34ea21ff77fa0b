"""The milestone library: reusable events (``abm/milestones/library.yaml``, package data) referenced by name.

A config's milestone ``{use: NAME, at: ..., targets: ...}`` takes the library entry's name, category,
valence and effects; the config sets timing and targets and may override any of them (its effects are
merged over the entry's). :func:`resolve` does that merge before the event is validated
(:class:`abm.config.MilestoneEvent`); an unknown name lists the known ones. ``abm milestones``
lists the library and ``python -m abm.docs`` writes its table into docs/ODD.md.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from abm.params import Frozen

LIBRARY_FILE = Path(str(resources.files("abm") / "milestones" / "library.yaml"))


class LibraryEvent(Frozen):
    """One reusable milestone: what it is and what it does (when and to whom is the config's)."""

    name: str = Field(description="display name, logged in the milestone timeline")
    category: Literal[
        "strategic_relational", "strategic_process_change", "structural_intra", "structural_inter", "environmental", "political"
    ]
    valence: Literal["facilitating", "disrupting", "mixed"]
    description: str = Field(min_length=1, description="one line: the event and why it has these effects")
    effects: dict[str, Any] = Field(description="deltas, fields of abm.config.Effects")
    needs: list[str] = Field(default_factory=list, description="effects a config must give (e.g. merge_into)")


@cache
def library() -> dict[str, LibraryEvent]:
    """Library name -> entry, read once with the strict safe loader; each entry's effects validated."""
    from abm.config import ConfigError, Effects, format_validation_error, read_yaml

    data = read_yaml(LIBRARY_FILE)
    if not isinstance(data, dict):
        raise ConfigError(f"{LIBRARY_FILE}: (top level): expected a mapping of event name -> entry")
    out = {}
    for key, entry in data.items():
        try:
            ev = LibraryEvent.model_validate(entry)
            Effects.model_validate(ev.effects)
        except ValidationError as e:
            raise ConfigError(format_validation_error(e, f"{LIBRARY_FILE}: {key}")) from None
        out[str(key)] = ev
    return out


def resolve(data: dict[str, Any]) -> dict[str, Any]:
    """A milestone mapping with ``use: NAME`` completed from the library (the mapping's own keys win;
    its effects are merged over the entry's). Raises ValueError for an unknown name or a missing need."""
    lib = library()
    key = data.get("use")
    if not isinstance(key, str) or key not in lib:
        raise ValueError(f"use: unknown library event {key!r}; expected one of {', '.join(lib)} (abm milestones lists them)")
    entry = lib[key]
    given = data.get("effects")
    effects = dict(entry.effects) | (given if isinstance(given, dict) else {})
    for need in entry.needs:
        if effects.get(need) is None:
            raise ValueError(f"use: {key}: effects.{need} is required (see abm milestones)")
    base = {"name": entry.name, "category": entry.category, "valence": entry.valence}
    return base | data | {"effects": effects if isinstance(given, dict) or given is None else given}


def library_table() -> str:
    """The library as a Markdown table (docs/ODD.md, section 7.1)."""
    rows = ["| `use:` | name | category | valence | effects | description |", "|---|---|---|---|---|---|"]
    for key, ev in library().items():
        fx = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in ev.effects.items())
        needs = "".join(f"; needs {n}" for n in ev.needs)
        rows.append(f"| `{key}` | {ev.name} | {ev.category} | {ev.valence} | {fx}{needs} | {ev.description} |")
    return "\n".join(rows)
