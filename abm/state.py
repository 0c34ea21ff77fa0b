"""The model's state: numpy arrays owned by the model, built from a validated Scenario.

Organizations are indexed 0..O-1 in config order; clinicians 0..N-1, stored contiguously by
organization (``block_start[o]:block_start[o+1]``). Mesa agents (:mod:`abm.agents`) are views
into these arrays.

State variables (units, ranges):

* per organization: kind, region, size (staff), resources [0,1], leadership [0,1], it_system (id),
  privacy [0,1], culture [0,1], clinical (bool), active (bool), exited_at (step or -1),
  activity (smoothed program activities per step), overload (>= 0);
* per ordered pair of organizations: trust [0,1] (i trusts j), trust_baseline [0,1],
  culture_distance [0,1], data_level {0,1,2,3} (symmetric), last_contact (step), prior [0,1],
  structure [0,1] (symmetric: shared structures such as joint governance, shared roles, one team
  identity), flow (smoothed hand-offs per step, sender row) and quality (their smoothed success share);
* per clinician: org, role, engagement [0,1], engagement_baseline [0,1], views [0,1]^K, champion (bool);
* clinician familiarity ties: sparse, weighted (0,1], stored as sorted pair keys and weights
  (``tie_keys``, ``tie_weights``); :meth:`State.familiarity` gives a scipy.sparse matrix.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from abm.config import DEFAULT_CULTURE, KINDS, ROLE_MIX, ROLES, Scenario
from abm.mechanisms import exit as partner_exit
from abm.mechanisms._numba import generator_handle
from abm.mechanisms.familiarity import initial_ties


@dataclass
class State:
    """All numbers of a running model (see the module docstring for units and ranges)."""

    names: list[str]
    kind: np.ndarray
    region: np.ndarray
    size: np.ndarray
    resources: np.ndarray
    leadership: np.ndarray
    it_system: np.ndarray
    privacy: np.ndarray
    culture: np.ndarray
    clinical: np.ndarray
    active: np.ndarray
    exited_at: np.ndarray
    activity: np.ndarray
    overload: np.ndarray
    trust: np.ndarray
    trust_baseline: np.ndarray
    culture_distance: np.ndarray
    data_level: np.ndarray
    last_contact: np.ndarray
    prior: np.ndarray
    structure: np.ndarray
    flow: np.ndarray
    quality: np.ndarray
    clin_org: np.ndarray
    role: np.ndarray
    engagement: np.ndarray
    engagement_baseline: np.ndarray
    views: np.ndarray
    champion: np.ndarray
    block_start: np.ndarray
    tie_keys: np.ndarray
    tie_weights: np.ndarray
    volume_multiplier: float
    coordinator: float
    original_clinical: np.ndarray
    ever_linked: np.ndarray
    collapsed: np.ndarray = field(default=None)  # type: ignore[assignment]
    org_index: dict[str, int] = field(default_factory=dict)
    kind_code: dict[str, int] = field(default_factory=lambda: {k: i for i, k in enumerate(KINDS)})

    @property
    def n_orgs(self) -> int:
        return self.size.size

    @property
    def n_clinicians(self) -> int:
        return self.clin_org.size

    @property
    def clin_active(self) -> np.ndarray:
        """Bool per clinician: their organization is still a partner."""
        return self.active[self.clin_org]

    def remove_orgs(self, mask: np.ndarray, step: int = -1) -> None:
        """Organizations in ``mask`` leave: inactive, links dropped, champions stop (:func:`abm.mechanisms.exit.remove`).

        ``active`` is read-only and replaced here (the only place membership changes), so a change
        of membership is a change of the array's identity.
        """
        active, self.exited_at, self.data_level, self.structure, self.champion, _ = partner_exit.remove(
            np.ascontiguousarray(mask, dtype=bool), self.active, self.exited_at, self.data_level, self.structure,
            self.champion, self.clin_org, step,
        )  # fmt: skip
        self.active = _frozen(active)

    def familiarity(self) -> sp.csr_matrix:
        """Clinician familiarity ties as a symmetric scipy.sparse matrix (N x N)."""
        n = self.n_clinicians
        a, b = np.divmod(self.tie_keys, n)
        m = sp.coo_matrix((self.tie_weights, (a, b)), shape=(n, n))
        return (m + m.T).tocsr()


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _role_counts(n: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Largest-remainder allocation of n[i] clinicians to roles with shares mix[i] (one row per organization)."""
    raw = mix * n[:, None]
    counts = np.floor(raw).astype(int)
    short = n - counts.sum(axis=1)
    order = np.argsort(-(raw - counts), axis=1, kind="stable")
    counts[np.arange(n.size)[:, None], order] += np.arange(mix.shape[1])[None, :] < short[:, None]
    return counts


LAYOUT_PARAMS = (
    "clinicians_per_staff", "min_clinicians", "max_clinicians", "trust_initial", "prior_trust_gain", "baseline_physician",
    "baseline_other", "prior_structure",
)  # fmt: skip
"""The parameters :func:`layout` reads (and the ``prior_partnerships`` switch): scenarios that differ in other
parameters only (a sensitivity analysis's points, a calibration's particles) share one layout."""
_LayoutParams = namedtuple("_LayoutParams", (*LAYOUT_PARAMS, "prior_partnerships"))
_SCENARIO_PARTS = tuple(name for name in Scenario.model_fields if name != "params")


class _Kept(NamedTuple):
    parts: tuple[Any, ...]  # the scenario's fields but params (compared by identity)
    params: _LayoutParams
    layout: dict[str, Any]


_LAYOUTS: list[_Kept] = []  # the last few layouts, oldest first
_LAYOUTS_KEPT = 8
LAYOUT_KEPT_MAX_ORGS = 300  # larger regions' layouts are not kept (see layout)
_LAYOUTS_LOCK = threading.Lock()


def _layout_key(sc: Scenario) -> tuple[tuple[Any, ...], _LayoutParams]:
    """What a kept layout is found by: the scenario's fields but params (compared by identity), and the
    parameters the layout reads (compared by value)."""
    params = sc.params
    return tuple(getattr(sc, name) for name in _SCENARIO_PARTS), _LayoutParams(
        *(getattr(params, name) for name in LAYOUT_PARAMS), params.mechanisms.prior_partnerships
    )


def layout(sc: Scenario) -> dict[str, Any]:
    """What :func:`build_state` derives from the scenario alone, before any draw: organizations, clinicians'
    places and roles, initial trust, culture distance, links, prior partnerships (read-only arrays).

    Of the parameters it reads only :data:`LAYOUT_PARAMS` and the ``prior_partnerships`` switch. A Scenario is
    immutable, so the layout of a scenario of at most ``LAYOUT_KEPT_MAX_ORGS`` organizations is computed once
    and kept for the last few, to be copied into each run's state (``kept`` is True): a batch's replicates and
    a benchmark's runs share one, and so do scenarios made from one by overriding other parameters (the same
    organizations, program and milestones objects: :func:`abm.config.with_overrides`). A larger region's is
    computed for its run and not kept: its set-up is a small part of its run, and its organization-pair arrays
    are large.
    """
    parts, p = _layout_key(sc)
    for kept in tuple(_LAYOUTS):
        if kept.params == p and all(a is b for a, b in zip(kept.parts, parts, strict=True)):
            return kept.layout
    prog, orgs = sc.program, sc.organizations
    n_org = len(orgs)
    kind = np.array([KINDS.index(o.kind) for o in orgs], np.int8)
    size = np.array([o.size for o in orgs], float)
    culture = np.array([o.culture if o.culture is not None else DEFAULT_CULTURE[o.kind] for o in orgs])
    clinical = np.array([o.is_clinical for o in orgs])
    given = sc.prior_matrix() if p.prior_partnerships else None
    prior = given if given is not None and given.size else np.zeros((n_org, n_org))
    prior = np.maximum(prior, prior.T)
    np.fill_diagonal(prior, 0.0)

    trust = np.clip(p.trust_initial + p.prior_trust_gain * prior, 0.0, 1.0)
    np.fill_diagonal(trust, 1.0)
    culture_distance = np.abs(culture[:, None] - culture[None, :]) * (1.0 - 0.5 * prior)

    names = [o.name for o in orgs]
    index = {n: i for i, n in enumerate(names)}
    clinical_pair = clinical[:, None] & clinical[None, :]
    level = np.where(clinical_pair, prog.initial_data_level, 0)
    if prog.features.realtime_dashboard:
        level = np.where(clinical_pair, 3, level)
    for group in prog.shared_systems:
        idx = [index[n] for n in group.orgs]
        sub = np.ix_(idx, idx)
        level[sub] = np.maximum(level[sub], group.level)
    np.fill_diagonal(level, 0)
    level = level.astype(np.int8)

    # clinicians, contiguous by organization
    n_clin = np.clip(np.rint(size * p.clinicians_per_staff), p.min_clinicians, p.max_clinicians).astype(int)
    block_start = np.concatenate(([0], np.cumsum(n_clin)))
    clin_org = np.repeat(np.arange(n_org), n_clin)
    mix = np.array([ROLE_MIX[o.kind] for o in orgs], float).reshape(n_org, len(ROLES))
    role = np.repeat(np.tile(np.arange(len(ROLES), dtype=np.int8), n_org), _role_counts(n_clin, mix).ravel())
    base_by_role = np.array([
        prog.engagement_baseline.get(r, p.baseline_physician if r == "physician" else p.baseline_other) for r in ROLES
    ])
    start_by_role = np.array([prog.engagement_start.get(r, base_by_role[i]) for i, r in enumerate(ROLES)])

    # familiarity ties from prior partnerships: the pairs of partners, and how many of their clinicians may know each other
    iu, ju = np.nonzero(np.triu(prior, 1))
    out: dict[str, Any] = dict(
        names=names, org_index=index, kind=kind, region=np.array([o.region for o in orgs]), size=size,
        resources=np.array([o.resources for o in orgs], float), leadership=np.array([o.leadership for o in orgs], float),
        it_system=np.array([o.it_system for o in orgs]), privacy=np.array([o.privacy for o in orgs], float),
        culture=culture, clinical=clinical, prior=prior, trust=trust, culture_distance=culture_distance, data_level=level,
        # prior partners have worked together (ODD section 5): contact at step 0; others never (links need joint work)
        last_contact=np.where(prior > 0, 0, -(10**6)), structure=p.prior_structure * prior, ever_linked=level >= 2,
        block_start=block_start, clin_org=clin_org, role=role,
        engagement_start=start_by_role[role], engagement_baseline=base_by_role[role],
        # the views' organization centres pulled toward prior partners' (see build_state)
        prior_weights=prior / np.maximum(prior.sum(axis=1, keepdims=True), 1e-12), has_prior=prior.sum(axis=1) > 0,
        prior_max=prior.max(axis=1, keepdims=True),
        tie_i=iu.astype(np.int64), tie_j=ju.astype(np.int64), tie_trials=np.minimum(n_clin[iu], n_clin[ju]).astype(np.int64),
        tie_strength=prior[iu, ju],
    )  # fmt: skip
    out["kept"] = n_org <= LAYOUT_KEPT_MAX_ORGS
    if not out["kept"]:
        return out
    for v in out.values():
        if isinstance(v, np.ndarray):
            v.flags.writeable = False
    with _LAYOUTS_LOCK:  # (models may be built in several threads: a dashboard's sessions)
        while len(_LAYOUTS) >= _LAYOUTS_KEPT:
            _LAYOUTS.pop(0)
        _LAYOUTS.append(_Kept(parts, p, out))
    return out


def build_state(sc: Scenario, rng: np.random.Generator) -> State:
    """Initialize every array from the scenario (:func:`layout`) with the run's generator (ODD: initialization)."""
    p, m, prog = sc.params, sc.params.mechanisms, sc.program
    lay = layout(sc)
    n_org, block_start, clin_org = lay["kind"].size, lay["block_start"], lay["clin_org"]
    n = clin_org.size
    engagement = np.clip(lay["engagement_start"] + rng.normal(0.0, 0.05, n), 0.0, 1.0)

    k = p.view_dims
    if m.initial_views == "uniform":
        views = rng.random((n, k))
    else:
        centre = 0.5 + rng.normal(0.0, p.org_view_spread, (n_org, k))
        pulled = centre + p.prior_view_alignment * (lay["prior_weights"] @ centre - centre) * lay["prior_max"]
        centre = np.where(lay["has_prior"][:, None], pulled, centre)
        views = np.clip(centre[clin_org] + rng.normal(0.0, p.individual_view_spread, (n, k)), 0.0, 1.0)

    champion = np.zeros(n, bool)
    if prog.features.champions and m.engagement:
        champion = rng.random(n) < p.champion_share

    # familiarity ties from prior partnerships: about half the smaller team knows someone at the partner
    keys, tie_w = initial_ties(generator_handle(rng), lay["tie_i"], lay["tie_j"], lay["tie_trials"], lay["tie_strength"], block_start, n)

    own = {name: lay[name].copy() if lay["kept"] else lay[name] for name in _COPIED}  # the run's own arrays (changed in place)
    state = State(
        names=list(lay["names"]),
        **own,
        active=_frozen(np.ones(n_org, bool)),
        exited_at=np.full(n_org, -1),
        activity=np.ones(n_org),
        overload=np.zeros(n_org),
        trust_baseline=lay["trust"].copy(),
        flow=np.zeros((n_org, n_org)),
        quality=np.zeros((n_org, n_org)),
        engagement=engagement,
        views=views,
        champion=champion,
        tie_keys=keys,
        tie_weights=tie_w,
        volume_multiplier=prog.volume_multiplier,
        coordinator=1.0 if prog.features.coordinator else (p.warm_handoff_share if prog.features.warm_handoff else 0.0),
        original_clinical=lay["clinical"].copy(),
        org_index=dict(lay["org_index"]),
    )
    state.collapsed = np.zeros((n_org, n_org), bool)
    return state


_COPIED = (
    "kind", "region", "size", "resources", "leadership", "it_system", "privacy", "culture", "clinical", "trust",
    "culture_distance", "data_level", "last_contact", "prior", "structure", "clin_org", "role", "engagement_baseline",
    "block_start", "ever_linked",
)  # fmt: skip
