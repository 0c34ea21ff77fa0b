"""Scenario configs: the schema, safe YAML loading, and clear validation errors.

A config file holds only overrides of the defaults declared here and in :mod:`abm.params`.
YAML is read with a safe, strict loader (:mod:`abm.yamlsafe`); nothing in a config is ever executed.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from abm.params import Frozen, Params

KINDS = ("hospital", "home_care", "community", "primary_care", "authority")
ROLES = ("physician", "nurse", "coordinator", "therapist", "manager")
CATEGORIES = (
    "strategic_relational",
    "strategic_process_change",
    "structural_intra",
    "structural_inter",
    "environmental",
    "political",
)
VALENCES = {"facilitating": 1, "disrupting": -1, "mixed": 0}
# The built-in programs (P1..P6) are package data (abm/programs/*.yaml): a wheel, a plain `pip install .`
# and an editable install all carry them, wherever the command runs.
PROGRAMS_DIR = Path(str(resources.files("abm") / "programs"))
DEFAULT_CULTURE = {"hospital": 1.0, "home_care": 0.2, "community": 0.0, "primary_care": 0.4, "authority": 0.6}
# Share of an organization's clinician agents by role (physician, nurse, coordinator, therapist, manager).
ROLE_MIX = {
    "hospital": (0.30, 0.40, 0.05, 0.15, 0.10),
    "home_care": (0.05, 0.55, 0.15, 0.15, 0.10),
    "community": (0.15, 0.40, 0.15, 0.20, 0.10),
    "primary_care": (0.45, 0.30, 0.05, 0.10, 0.10),
    "authority": (0.10, 0.10, 0.10, 0.00, 0.70),
}


class ConfigError(ValueError):
    """A config failed to load or validate; the message names file, field path and expectation."""


class Organization(Frozen):
    """One partner organization."""

    name: str
    kind: Literal["hospital", "home_care", "community", "primary_care", "authority"]
    region: int = Field(0, ge=0, description="region id (referrals mostly stay within a region)")
    size: float = Field(300.0, gt=0, le=100000, description="staff")
    resources: float = Field(0.5, ge=0, le=1, description="slack capacity")
    leadership: float = Field(0.6, ge=0, le=1, description="leadership commitment (hands-on = 1)")
    it_system: int = Field(0, ge=0, description="IT system id; same id = cheap electronic links")
    privacy: float = Field(0.5, ge=0, le=1, description="privacy strictness")
    culture: float | None = Field(None, ge=0, le=1, description="0 community .. 1 hospital; default by kind")
    clinical: bool | None = Field(None, description="counts in connectivity; default: all kinds but authority")

    @property
    def is_clinical(self) -> bool:
        """Whether it counts as a clinical partner: ``clinical`` if given, else every kind but authority."""
        return self.clinical if self.clinical is not None else self.kind != "authority"


class Features(Frozen):
    """Program features (paper 002, Table 2)."""

    coordinator: bool = False
    warm_handoff: bool = False
    line_24_7: bool = False
    telemonitoring: bool = False
    virtual_rounds: bool = False
    shadowing: bool = False
    champions: bool = False
    realtime_dashboard: bool = False
    physician_mandate: bool = False


class SharedSystem(Frozen):
    """A group of organizations already sharing data at a given level at the start."""

    orgs: list[str] = Field(min_length=2)
    level: int = Field(2, ge=1, le=3)


class Program(Frozen):
    """The program context: condition, bundle, features and pathway development."""

    condition: str = "COPD/CHF"
    complexity: float = Field(0.8, ge=0, le=2, description="condition complexity (stroke 0.5, COPD/CHF 0.8)")
    bundle_days: int = Field(60, ge=1, le=730)
    volume_multiplier: float = Field(1.0, ge=0, le=10, description="patient volume relative to the default rate")
    features: Features = Field(default_factory=Features)
    pathway: Literal["co_design", "top_down", "none"] = "co_design"
    initial_data_level: int = Field(1, ge=0, le=3, description="data level of every partner pair at start")
    shared_systems: list[SharedSystem] = Field(default_factory=list, description="groups already linked at start")
    engagement_start: dict[str, float] = Field(
        default_factory=dict, description="initial mean engagement by role (default: the role baseline)"
    )
    engagement_baseline: dict[str, float] = Field(
        default_factory=dict, description="engagement baseline by role, overriding the parameters"
    )

    @field_validator("engagement_start", "engagement_baseline")
    @classmethod
    def _roles(cls, v: dict[str, float]) -> dict[str, float]:
        for role, x in v.items():
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
            if not 0 <= x <= 1:
                raise ValueError(f"{role}: {x} is outside [0, 1]")
        return v


class Targets(Frozen):
    """Whom a milestone touches: everyone, named organizations, kinds, or a pair."""

    all: bool = False
    orgs: list[str] = Field(default_factory=list)
    kinds: list[Literal["hospital", "home_care", "community", "primary_care", "authority"]] = Field(default_factory=list)
    pair: list[str] | None = Field(None, min_length=2, max_length=2)


class Effects(Frozen):
    """Deltas applied to targeted state when a milestone fires."""

    trust: float = Field(0.0, ge=-1, le=1, description="added to trust between targets (and toward them)")
    engagement: float = Field(0.0, ge=-1, le=1, description="added to clinicians' engagement")
    resources: float = Field(0.0, ge=-1, le=1)
    leadership: float = Field(0.0, ge=-1, le=1)
    data_level: int = Field(0, ge=-3, le=3, description="added to data level between targets")
    practice_pull: float = Field(0.0, ge=0, le=1, description="pull of targets' views toward the program mean")
    culture_distance: float = Field(0.0, ge=-1, le=1, description="added to culture distance between targets")
    volume: float = Field(0.0, ge=-1, le=10, description="relative change of patient volume (0.1 = +10%)")
    coordinator: bool | None = Field(None, description="set the program's coordinator feature")
    champion_leaves: bool = Field(False, description="one champion among the targets stops championing")
    leave: bool = Field(False, description="targeted organizations leave the program")
    structure: float = Field(
        0.0, ge=-1, le=1,
        description="added to the shared-structure level between targets: joint governance, shared roles, one team identity",
    )
    merge_into: str | None = Field(
        None, description="the targets other than this organization are absorbed into it (merger; see docs/ODD.md 7.1)"
    )


class MilestoneEvent(Frozen):
    """A milestone declared as data (paper 000: salient events that facilitate or disrupt).

    ``use: NAME`` takes name, category, valence and effects from the milestone library
    (:mod:`abm.milestone_library`); the event's own fields override them.
    """

    use: str | None = Field(None, description="a milestone library event (abm milestones lists them)")
    name: str
    category: Literal[
        "strategic_relational",
        "strategic_process_change",
        "structural_intra",
        "structural_inter",
        "environmental",
        "political",
    ]
    valence: Literal["facilitating", "disrupting", "mixed"]
    at: int | None = Field(None, ge=0, description="step at which it fires")
    hazard: float | None = Field(None, gt=0, le=1, description="chance per step of firing")
    repeat: bool = Field(False, description="a hazard event may fire more than once")
    targets: Targets = Field(default_factory=lambda: Targets(all=True))
    effects: Effects = Field(default_factory=Effects)

    @model_validator(mode="before")
    @classmethod
    def _library(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("use") is not None:
            from abm.milestone_library import resolve

            return resolve(data)
        return data

    @model_validator(mode="after")
    def _when(self) -> MilestoneEvent:
        if (self.at is None) == (self.hazard is None):
            raise ValueError("give exactly one of 'at' (a step) or 'hazard' (a chance per step)")
        return self


class PriorPartnership(Frozen):
    """A prior partnership between two organizations, by name: ``{between: [A, B], strength: 0.6}``."""

    between: tuple[str, str] = Field(description="the two organizations' names")
    strength: float = Field(ge=0, le=1, description="strength of the partnership in [0,1] (symmetric)")


def _prior_form(v: Any) -> str:
    """``pairs`` when the entries are mappings (named pairs) or there are none (an empty list: no pair listed),
    else ``matrix``."""
    return "pairs" if isinstance(v, list) and (not v or isinstance(v[0], dict | PriorPartnership)) else "matrix"


PriorPartnerships = Annotated[
    Annotated[list[list[float]], Tag("matrix")] | Annotated[list[PriorPartnership], Tag("pairs")],
    Discriminator(_prior_form),
]


def _default_orgs() -> list[Organization]:
    return [
        Organization(name="Hospital", kind="hospital", size=1000, it_system=1),
        Organization(name="Home care", kind="home_care", size=300, it_system=2),
        Organization(name="Community", kind="community", size=150, it_system=3),
    ]


class Scenario(Frozen):
    """A whole scenario: organizations, program, prior partnerships, milestones and parameters."""

    name: str = "generic"
    description: str = "A generic three-partner program"
    steps: int = Field(104, ge=1, le=5200, description="default horizon in steps")
    organizations: list[Organization] = Field(default_factory=_default_orgs, min_length=2)
    prior_partnerships: PriorPartnerships | None = Field(
        None,
        description="prior partnership strength in [0,1]: a square matrix (one row per organization) or a "
        "list of named pairs {between: [A, B], strength: s} (pairs not listed: 0)",
    )
    program: Program = Field(default_factory=Program)
    milestones: list[MilestoneEvent] = Field(default_factory=list)
    params: Params = Field(default_factory=Params)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        names = [o.name for o in self.organizations]
        if len(set(names)) != len(names):
            raise ValueError("organization names must be unique")
        n = len(names)
        if self.prior_partnerships is not None and _prior_form(self.prior_partnerships) == "pairs":
            seen: set[frozenset[str]] = set()
            known_names = set(names)
            for i, pair in enumerate(self.prior_partnerships):
                for who in pair.between:  # type: ignore[union-attr]
                    if who not in known_names:
                        raise ValueError(f"prior_partnerships.{i}.between: unknown organization {who!r}; expected one of {sorted(names)}")
                key = frozenset(pair.between)  # type: ignore[union-attr]
                if len(key) == 1:
                    raise ValueError(f"prior_partnerships.{i}.between: an organization paired with itself ({pair.between[0]!r})")  # type: ignore[union-attr]
                if key in seen:
                    raise ValueError(f"prior_partnerships.{i}.between: the pair {sorted(key)} is listed twice")
                seen.add(key)
        elif self.prior_partnerships is not None:
            m = self.prior_partnerships
            if len(m) != n or any(len(row) != n for row in m):
                shape = f"{len(m)}x{max((len(r) for r in m), default=0)}"
                raise ValueError(
                    f"prior_partnerships must be a {n}x{n} matrix (one row and column per organization), got {shape}"
                )
            if any(not 0 <= x <= 1 for row in m for x in row):
                raise ValueError("prior_partnerships entries must lie in [0, 1]")
        known = set(names)
        for i, group in enumerate(self.program.shared_systems):
            for who in group.orgs:
                if who not in known:
                    raise ValueError(
                        f"program.shared_systems.{i}.orgs: unknown organization {who!r}; expected one of {sorted(known)}"
                    )
        for i, ev in enumerate(self.milestones):
            for who in list(ev.targets.orgs) + list(ev.targets.pair or []):
                if who not in known:
                    raise ValueError(
                        f"milestones.{i}.targets: unknown organization {who!r}; expected one of {sorted(known)}"
                    )
            if ev.effects.merge_into is not None and ev.effects.merge_into not in known:
                raise ValueError(
                    f"milestones.{i}.effects.merge_into: unknown organization {ev.effects.merge_into!r}; expected one of {sorted(known)}"
                )
        return self

    def prior_matrix(self) -> np.ndarray | None:
        """Prior partnership strengths as an O x O array (rows and columns in organization order), from
        either form; None if the scenario gives none. Named pairs fill both directions."""
        m = self.prior_partnerships
        if m is None:
            return None
        if _prior_form(m) == "matrix":
            return np.array(m, float).reshape(len(m), len(m))
        index = {o.name: i for i, o in enumerate(self.organizations)}
        out = np.zeros((len(index), len(index)))
        for pair in m:
            i, j = index[pair.between[0]], index[pair.between[1]]  # type: ignore[union-attr]
            out[i, j] = out[j, i] = pair.strength  # type: ignore[union-attr]
        return out

    def digest(self) -> str:
        """A short hash of the resolved scenario (provenance)."""
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


def format_validation_error(err: ValidationError, source: str) -> str:
    """One message: the file, each failing field path, and what was expected."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (not a field of the schema; check the spelling)"
        elif "input" in e and e["type"] not in ("missing",) and not isinstance(e["input"], dict | list):
            msg = f"{msg} (got {e['input']!r})"
        parts.append(f"{loc}: {msg}")
    return f"{source}: invalid config: " + "; ".join(parts)


def read_yaml(path: str | Path) -> Any:
    """Safely and strictly read a YAML file (:mod:`abm.yamlsafe`); errors become :class:`ConfigError` naming the file.

    A duplicate key, an empty (or all-comment) file and invalid YAML are errors, with the line where known.
    """
    from abm.yamlsafe import YamlInputError, load_file

    try:
        return load_file(path)
    except YamlInputError as e:
        raise ConfigError(str(e)) from None


def scenario_from_dict(data: Any, source: str = "<config>") -> Scenario:
    """Validate a plain mapping as a Scenario."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: invalid config: (top level): expected a mapping, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(e, source)) from None


def builtin_programs() -> dict[str, Path]:
    """Built-in program name (e.g. 'P1') -> its config file (package data in abm/programs)."""
    return {p.stem.split("_")[0].upper(): p for p in sorted(PROGRAMS_DIR.glob("*.yaml"))}


def resolve_path(name_or_path: str | Path) -> Path:
    """A built-in program name ('P4', case-insensitive) or a path to a config file."""
    progs = builtin_programs()
    key = str(name_or_path).upper()
    if key in progs:
        return progs[key]
    return Path(name_or_path)


_LOADED: dict[tuple[str, int, int], Scenario] = {}  # see load_scenario
_MAX_LOADED = 64


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario from a built-in name or a YAML path, with optional overrides.

    ``overrides`` is a nested mapping merged over the file's content (e.g. ``{"params": {"mu": 0.2}}``).
    Without overrides, a file is parsed once per process while it is unchanged (same path, size and
    modification time; a program's YAML takes about 20 ms to parse and validate, three P4 runs), and the
    same Scenario is returned: it is immutable, so sharing it is safe.
    """
    path = resolve_path(name_or_path)
    if overrides:
        return scenario_from_dict(deep_merge(read_yaml(path) or {}, overrides), str(path))
    try:
        st = path.stat()
        key: tuple[str, int, int] | None = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None  # read_yaml says what is wrong with the path
    if key in _LOADED:
        return _LOADED[key]
    sc = scenario_from_dict(read_yaml(path) or {}, str(path))
    if key is not None:
        if len(_LOADED) >= _MAX_LOADED:
            _LOADED.clear()
        _LOADED[key] = sc
    return sc


def deep_merge(base: Any, over: Any) -> Any:
    """Merge mapping ``over`` into ``base`` recursively (lists and scalars are replaced)."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base.get(k), v) if k in base else v
        return out
    return over


# `organizations[INDEX].field` or `organizations[NAME].field`: one organization's field (NAME may hold dots and spaces)
_ORG_KEY = re.compile(r"^organizations\[([^\]]*)\]\.(.+)$")


def _nest(key: str, value: Any, into: dict[str, Any]) -> None:
    """Dotted ``key`` = ``value`` as nested mappings in ``into`` ('params.mu' -> {'params': {'mu': value}})."""
    cur = into
    *head, last = key.split(".")
    for h in head:
        cur = cur.setdefault(h, {})
    cur[last] = value


def org_position(scenario_data: dict[str, Any], key: str, ref: str, source: str) -> int:
    """Position of the organization that ``organizations[ref]`` names: an index (0-based) or a name
    (exact, else the one name equal to it ignoring case).

    An unknown index or name is a :class:`ConfigError` naming the key and the valid indices and names.
    """
    orgs = scenario_data.get("organizations") or []
    names = [o.get("name") for o in orgs]
    text = ref.strip()
    if text.isascii() and text.isdigit() and int(text) < len(orgs):
        return int(text)
    if ref in names:
        return names.index(ref)
    folded = [i for i, n in enumerate(names) if isinstance(n, str) and n.casefold() == text.casefold()]
    if len(folded) == 1:
        return folded[0]
    valid = ", ".join(f"{i} or {n!r}" for i, n in enumerate(names))
    raise ConfigError(f"{source}: invalid config: {key}: unknown organization {ref!r}; expected an index or a name: {valid}")


_last_overridden: tuple[Scenario, dict[str, Any], Scenario] | None = None  # see with_overrides


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A new validated Scenario with nested overrides applied.

    Scenarios are immutable, so the same overrides of the same scenario object give the result of the last
    call (a sample point's replicates run one after another), which is kept; an override of another value
    or type is applied afresh.

    Keys are dotted paths ('params.mu', 'program.features.shadowing'); one organization's field is
    ``organizations[INDEX].field`` or ``organizations[NAME].field`` (e.g.
    ``organizations[Small Hospital].it_system``), applied after the other keys, so it may refine an
    ``organizations`` list given in the same overrides.

    Overrides of parameters only (every key ``params.*``: sensitivity analysis, calibration) validate
    the parameters alone and keep the rest of the scenario: the scenario's own checks do not read
    parameters. Invalid values are reported by the full validation, with their place in the scenario.
    """
    global _last_overridden
    last = _last_overridden
    if last is not None and last[0] is scenario and _same_overrides(last[1], overrides):
        return last[2]
    result = _apply_overrides(scenario, overrides)
    _last_overridden = (scenario, dict(overrides), result)
    return result


_SCALARS = (bool, int, float, str, type(None), np.bool_, np.integer, np.floating)


def _same_overrides(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same keys, in the same order, with scalar values of the same type that are equal (a list or mapping
    could have changed in place since, so it is never taken for the same)."""
    return list(a) == list(b) and all(isinstance(b[k], _SCALARS) and type(a[k]) is type(b[k]) and a[k] == b[k] for k in a)


def _apply_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """:func:`with_overrides` without the memory of the last call."""
    nested: dict[str, Any] = {}
    per_org: list[tuple[str, str, str, Any]] = []
    for key, value in overrides.items():
        m = _ORG_KEY.match(key)
        if m:
            per_org.append((key, m.group(1), m.group(2), value))
        else:
            _nest(key, value, nested)
    if nested.keys() == {"params"} and not per_org and isinstance(nested["params"], dict):
        fields = dict(scenario.params.__dict__)  # (a nested model is taken as it is, unless overridden in part)
        for k, v in nested["params"].items():
            fields[k] = deep_merge(fields[k].model_dump(mode="json"), v) if isinstance(v, dict) and isinstance(fields.get(k), Frozen) else v
        try:
            params = Params.model_validate(fields)
        except ValidationError:
            pass  # reported below, located in the scenario
        else:
            return scenario.model_copy(update={"params": params})
    data = deep_merge(scenario.model_dump(mode="json"), nested)
    source = f"<{scenario.name} + overrides>"
    for key, ref, field, value in per_org:
        if not isinstance(data.get("organizations"), list) or not all(isinstance(o, dict) for o in data["organizations"]):
            raise ConfigError(f"{source}: invalid config: {key}: 'organizations' is not a list of organizations")
        i = org_position(data, key, ref, source)
        one: dict[str, Any] = {}
        _nest(field, value, one)
        data["organizations"] = [deep_merge(o, one) if k == i else o for k, o in enumerate(data["organizations"])]
    return scenario_from_dict(data, source)
