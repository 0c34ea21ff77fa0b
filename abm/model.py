"""IntegrationModel: a Mesa model of how integration of care is generated among partner organizations.

The numbers live in :class:`abm.state.State` (arrays); each process of the ODD schedule is one
method, which runs the process's mechanisms (:mod:`abm.mechanisms`, the numpy specification) as
one compiled kernel (:mod:`abm.kernels`, the same numbers); Mesa agents are views.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from abm import kernels as kn
from abm import outcomes
from abm.agents import Clinician, Organization
from abm.config import CATEGORIES, KINDS, ROLES, Scenario, load_scenario, with_overrides
from abm.mechanisms import consensus as cons
from abm.mechanisms import data_sharing, detection, milestones
from abm.mechanisms import patient_flow as flow
from abm.state import ACTIVITY_SMOOTHING, TIE_DECAY, TIE_FLOOR, TIE_GAIN, build_state, pair_keys

HOSPITAL = KINDS.index("hospital")
RECEIVER_KINDS = [KINDS.index(k) for k in ("home_care", "community", "primary_care")]
PHYSICIAN = ROLES.index("physician")
MANAGER = ROLES.index("manager")
VALENCE_NAMES = ("facilitating", "disrupting", "mixed")
MILESTONE_COLUMNS = ["step", "category", "valence", "name", "who", "source"]
TRUST_RECOVERY = 0.45  # a collapsed pair is counted again only after mutual trust recovers above this


class IntegrationModel(mesa.Model):
    """Organizations and clinicians whose trust, engagement, practice and data links co-evolve.

    Args:
        scenario: a validated :class:`Scenario`, a built-in program name ("P1".."P6") or a YAML path;
            None gives the default three-partner program.
        seed: integer seed (or a ``numpy.random.SeedSequence``); one seed fixes the run bit for bit.
        **kwargs: parameter overrides by name (e.g. ``mu=0.2``, ``trust_alpha=0.03``), as used by
            Mesa's ``batch_run`` and SolaraViz sliders.
    """

    def __init__(self, scenario: Scenario | str | None = None, seed: Any = None, **kwargs: Any) -> None:
        super().__init__(rng=seed)
        sc = scenario if isinstance(scenario, Scenario) else (load_scenario(scenario) if scenario else Scenario())
        if kwargs:
            sc = with_overrides(sc, {f"params.{k}": v for k, v in kwargs.items()})
        self.scenario = sc
        self.p = sc.params
        self.mech = sc.params.mechanisms
        self.features = sc.program.features
        self.state = build_state(sc, self.rng)
        self._gen_of: np.random.Generator | None = None  # see _generator()
        self._gen: np.ndarray | None = None
        s = self.state
        self.organizations = [Organization(self, i) for i in range(s.n_orgs)]
        self.clinicians = [Clinician(self, i) for i in range(s.n_clinicians)]
        self.events = list(sc.milestones) if self.mech.milestones else []
        self._fired = np.zeros(len(self.events), bool)
        self._same_it = s.it_system[:, None] == s.it_system[None, :]
        self._privacy_gap = np.abs(s.privacy[:, None] - s.privacy[None, :])
        self._is_hospital = s.kind == HOSPITAL
        self._is_receiver = np.isin(s.kind, RECEIVER_KINDS)
        self._hosp = np.flatnonzero(self._is_hospital)  # rows of the referral weights (senders)
        self._hosp_row = np.full(s.n_orgs, -1)
        self._hosp_row[self._hosp] = np.arange(self._hosp.size)
        same_region = s.region[self._hosp, None] == s.region[None, :]
        self._hosp_catch = np.where(same_region, self.p.catchment, 1.0 - self.p.catchment)
        self._physician = s.role == PHYSICIAN
        self._manager = s.role == MANAGER
        self._mask_cache: tuple[bytes, dict[str, Any]] | None = None  # see _masks()
        self._p_up: np.ndarray | None = None  # per-pair link upgrade chance (static, built on first use)
        self._clin_counts = np.diff(s.block_start)
        p = self.p  # engagement rates and hand-off logit coefficients: the parameters are frozen
        self._rates = {
            "usefulness": p.usefulness_gain, "visibility": p.data_visibility_gain, "champion": p.champion_gain,
            "inclusion": p.inclusion_gain, "topdown": p.topdown_penalty, "leadership": p.leadership_gain,
            "overload": p.overload_penalty, "relax": p.engagement_relax,
        }  # fmt: skip
        self._coeffs = {
            "intercept": p.handoff_intercept, "data": p.handoff_data, "trust": p.handoff_trust,
            "coordinator": p.handoff_coordinator, "familiarity": p.handoff_familiarity,
            "complexity": p.handoff_complexity, "overload": p.handoff_overload,
        }  # fmt: skip
        self._seen_level = np.full((s.n_orgs, s.n_orgs), -1, np.int8)  # links and membership at the last observation
        self._seen_active = s.active.copy()
        self._link_values = (0.0, 0.0, 0.0)  # connectivity, mean link level, algebraic connectivity (see observe)
        # "nobody met / shadowed this step" (see _reset_step_scratch); writable like the arrays that replace
        # them, so the kernels see one array type (a read-only flag would compile a second version)
        self._no_meetings = np.zeros((s.n_orgs, s.n_orgs), bool)
        self._no_shadowing = np.zeros((s.n_orgs, s.n_orgs), np.int64)
        self._flags = {"consensus": False, "integration": False}
        self._cum = {c: 0 for c in CATEGORIES} | {v: 0 for v in VALENCE_NAMES}
        self._ms_names = [f"ms_{name}" for name in self._cum]
        self._reset_step_scratch()
        self.metrics: dict[str, float] = {}
        self.datacollector = MetricsCollector(
            model_reporters={name: _reporter(name) for name in metric_names()},
            tables={"milestones": MILESTONE_COLUMNS},
        )
        self.observe()

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One week, in the order of the ODD process overview."""
        self._reset_step_scratch()
        self.apply_milestones()
        self.patient_transitions()
        self.planned_interactions()
        self.update_trust()
        self.update_consensus()
        self.update_engagement()
        self.update_data_sharing()
        self.update_workload()
        self.partner_exit()
        self.observe()

    # ------------------------------------------------------------------ processes
    def apply_milestones(self) -> None:
        """1. Milestone events due this step (scheduled or hazard-drawn) change the state."""
        for k in milestones.due(self.rng, self.events, self.steps, self._fired):
            ev = self.events[k]
            self._fired[k] = True
            mask = milestones.apply(self.state, ev, self.rng)
            if ev.effects.leave:
                self.state.exited_at[mask] = self.steps
            who = "all" if ev.targets.all else ", ".join(np.array(self.state.names)[mask])
            self._log(ev.category, ev.valence, ev.name, who, "configured")

    def patient_transitions(self) -> None:
        """2. Hospitals discharge bundle patients; each is handed off to a partner's clinician.

        Discharges (:func:`~abm.mechanisms.patient_flow.discharges`), receivers weighted by trust,
        catchment and spare capacity (:func:`~abm.mechanisms.patient_flow.choose_receivers`), the
        clinicians on both sides by participation (:func:`~abm.mechanisms.patient_flow.pick_in_blocks`)
        and success (:func:`~abm.mechanisms.patient_flow.handoff_success_logit`): one compiled kernel.
        """
        s, p, c = self.state, self.p, self._coeffs
        ok, senders, receivers, a, b, success, referral_ok, keys = kn.handoffs(
            self._generator(), self._is_hospital, self._is_receiver, s.active,
            p.volume_per_staff * p.step_days / 7.0 * s.volume_multiplier, s.size, s.overload, s.trust,
            self._hosp, self._hosp_row, self._hosp_catch, self._participation(), s.block_start,
            s.tie_keys, s.tie_weights, s.data_level, s.engagement, s.coordinator, self.scenario.program.complexity,
            c["intercept"], c["data"], c["trust"], c["coordinator"], c["familiarity"], c["complexity"], c["overload"],
            p.referral_engagement,
        )  # fmt: skip
        if not ok:
            self._handoffs = None
            return
        self._handoffs = flow.Handoffs(senders, receivers, a, b, success, referral_ok)
        self._contacts.append(keys)
        self._pairs.append((a, b))

    def planned_interactions(self) -> None:
        """3. Steering meetings, work shadowing and champion outreach."""
        s, p = self.state, self.p
        if self.steps % p.meeting_interval == 0:
            attend, self._met, rep_a, rep_b = kn.meeting(self._generator(), s.active, s.leadership, s.engagement, self._manager, s.block_start)
            self._activity += attend
            self._pairs.append((rep_a, rep_b))
        if self.features.shadowing and self.mech.shadowing:
            self._shadow(s, p)
        if self.mech.engagement:  # active champions reach out
            any_, contacts, targets, counts = kn.champion_outreach(self._generator(), self._masks()["live_idx"], s.champion, p.outreach_rate, s.n_clinicians)
            if any_:
                self._champion_contacts = counts
                self._pairs.append((contacts, targets))

    def _shadow(self, s, p) -> None:
        """Clinicians spend time with a partner organization of the other sector (P3: "elbow to elbow")."""
        eligible = s.clin_active & s.clinical[s.clin_org]
        visitors = np.flatnonzero(eligible & (self.rng.random(s.n_clinicians) < p.shadowing_rate))
        if visitors.size == 0:
            return
        hosts_ok = s.active & s.clinical
        other_sector = self._is_hospital[:, None] != self._is_hospital[None, :]
        w = (hosts_ok[None, :] & other_sector).astype(float)
        w = np.where(w.sum(axis=1, keepdims=True) > 0, w, hosts_ok[None, :] & ~np.eye(s.n_orgs, dtype=bool))
        v_org = s.clin_org[visitors]
        ok = w[v_org].sum(axis=1) > 0
        visitors, v_org = visitors[ok], v_org[ok]
        h_org = flow.choose_receivers(self.rng, v_org, w.astype(float))
        hosts = flow.pick_in_blocks(self.rng, h_org, self._participation(), s.block_start)
        counts = np.bincount(v_org * s.n_orgs + h_org, minlength=s.n_orgs**2).reshape(s.n_orgs, s.n_orgs)
        self._shadow_counts = counts + counts.T
        self._activity += np.bincount(v_org, minlength=s.n_orgs) > 0
        self._contacts.append(pair_keys(visitors, hosts, s.n_clinicians))
        self._pairs.append((visitors, hosts))

    def update_trust(self) -> None:
        """4. Asymmetric trust from hand-offs, meetings and shadowing (relaxing otherwise); clinician familiarity ties.

        :func:`~abm.mechanisms.trust.experience_update`, :func:`~abm.mechanisms.trust.contact_gain`
        and :func:`~abm.mechanisms.trust.relax`, compiled (:mod:`abm.kernels`).
        """
        s, p = self.state, self.p
        h = self._handoffs or _NO_HANDOFFS
        met_any, shadow_any = self._met is not self._no_meetings, self._shadow_counts is not self._no_shadowing
        contacts = self._contacts[0] if len(self._contacts) == 1 else np.concatenate(self._contacts)
        s.trust, s.trust_baseline, s.tie_keys, s.tie_weights = kn.trust_process(
            self._generator(), s.trust, s.trust_baseline, s.culture_distance, h.sender_org, h.receiver_org, h.success,
            h.referral_ok, self._met, met_any, self._shadow_counts, shadow_any, s.last_contact, self.steps,
            s.tie_keys, s.tie_weights, contacts, TIE_GAIN, TIE_DECAY, TIE_FLOOR, self.mech.trust_building,
            p.trust_alpha, p.trust_beta, p.culture_damping, p.breach_probability, p.meeting_trust,
            p.trust_alpha * p.shadow_alpha_ratio, p.trust_relax, p.baseline_drift,
        )  # fmt: skip
        if shadow_any and self.mech.trust_building:
            s.culture_distance = np.maximum(0.0, s.culture_distance - p.shadow_culture_shrink * self._shadow_counts)

    def update_consensus(self) -> None:
        """5. Bounded-confidence consensus over this step's contacts, then pathway development."""
        s, p = self.state, self.p
        if self.mech.mixing == "random":  # reduction: a uniformly random matching of everyone
            a, b = cons.random_matching(self.rng, self._masks()["live_idx"])
            if a.size:
                s.views = kn.bounded_confidence(
                    s.views, a, b, s.trust, s.clin_org, s.engagement, s.champion, p.eps0, p.eps_trust,
                    p.engagement_openness, p.mu, p.engagement_step, p.champion_persuasion, p.champion_firmness,
                )  # fmt: skip
        else:  # this step's contacts and team contacts; openness, step sizes, bounded confidence (compiled)
            pa, pb = (np.concatenate(x) for x in zip(*self._pairs, strict=True)) if self._pairs else (_INT_ZEROS, _INT_ZEROS)
            s.views = kn.consensus_process(
                self._generator(), s.views, self._masks()["live"], p.team_contact, s.clin_org, s.block_start, pa, pb,
                s.trust, s.engagement, s.champion, p.eps0, p.eps_trust, p.engagement_openness, p.mu,
                p.engagement_step, p.champion_persuasion, p.champion_firmness,
            )  # fmt: skip
        self._pathway_development()

    def _pathway_development(self) -> None:
        """Co-design workshops pull participants to their mean view; a top-down pathway pulls all, less."""
        s, p, kind = self.state, self.p, self.scenario.program.pathway
        if self.steps % p.workshop_interval != 0 or kind == "none":
            return
        live = s.clin_active
        if kind == "co_design" and not self.mech.co_design:
            self.rng.random(s.n_clinicians)  # the draw it would make: knock-outs keep common random numbers
        elif kind == "co_design":
            who = live & (self.rng.random(s.n_clinicians) < p.workshop_share * 2.0 * s.engagement)
            if who.sum() >= 2:
                s.views = cons.pull_toward(s.views, who, cons.co_designed_pathway(s.views, who), p.codesign_pull)
                self._included = who
                self._activity += np.bincount(s.clin_org[who], minlength=s.n_orgs) > 0
        elif kind == "top_down":
            leaders = live & (s.role == MANAGER) & (s.clin_org == int(np.argmax(np.where(s.active, s.size, -1))))
            if leaders.any():
                s.views = cons.pull_toward(s.views, live, cons.co_designed_pathway(s.views, leaders), p.topdown_pull)
                self._directed = live

    def update_engagement(self) -> None:
        """6. Engagement: usefulness, data visibility, champions, inclusion, leadership, workload.

        :func:`~abm.mechanisms.engagement.update_engagement`, compiled (:mod:`abm.kernels`).
        """
        if not self.mech.engagement:
            return
        s, r = self.state, self._rates
        h = self._handoffs or _NO_HANDOFFS
        s.engagement = kn.engagement_update(
            s.engagement, s.engagement_baseline, h.sender, h.receiver, h.success, s.data_level, self._masks()["partners"],
            self._physician, self._champion_contacts, self._included, self._directed, s.leadership, s.overload, s.clin_org,
            r["usefulness"], r["visibility"], r["champion"], r["inclusion"], r["topdown"], r["leadership"], r["overload"], r["relax"],
        )  # fmt: skip

    def update_data_sharing(self) -> None:
        """7. Pairs that work together and trust each other upgrade links; low trust makes them decay."""
        if not self.mech.data_sharing:
            self.rng.random(self.state.data_level.shape)  # the draw it would make: knock-outs keep common random numbers
            return
        s, p = self.state, self.p
        if self.mech.link_formation == "fixed":  # reduction to Gilbert's G(n, p): a fixed chance per pair
            every = np.ones(s.trust.shape, bool)
            s.data_level = data_sharing.update_links(
                self.rng, s.data_level, np.ones(s.trust.shape), every, every, s.active[:, None] & s.active[None, :],
                np.full(s.trust.shape, p.link_upgrade), p.link_trust_gate, -1.0, 0.0,
            )  # fmt: skip
            return
        resourced = s.resources >= p.min_resources
        if self._p_up is None:  # IT systems, privacy stances and parameters are fixed during a run
            self._p_up = data_sharing.upgrade_probability(
                self._same_it, self._privacy_gap, p.link_upgrade, p.different_it_factor, p.privacy_mismatch_factor
            )
        s.data_level = kn.update_links(
            self._generator(), s.data_level, s.trust, s.last_contact, self.steps, p.contact_window, resourced, s.active,
            self._p_up, p.link_trust_gate, p.link_collapse_trust, p.link_decay,
        )  # fmt: skip

    def update_workload(self) -> None:
        """8. Workload: program activities and patients received, per staff, against capacity.

        :func:`~abm.mechanisms.workload.overload` of the smoothed activities, compiled (:mod:`abm.kernels`).
        """
        s, p = self.state, self.p
        h = self._handoffs or _NO_HANDOFFS  # (activities also count taking part at all and links to maintain)
        s.activity, s.overload = kn.workload_update(
            s.activity, self._activity, s.data_level, s.active, s.size, s.resources, h.receiver_org,
            ACTIVITY_SMOOTHING, self.mech.workload_burden, p.base_workload, p.fixed_cost, p.patient_cost, p.slack_capacity,
        )  # fmt: skip

    def partner_exit(self) -> None:
        """9. Partners whose perceived benefit stays below the threshold leave with a hazard."""
        if not self.mech.exit:
            self.rng.random(self.state.n_orgs)  # the draw it would make: knock-outs keep common random numbers
            return
        s, p = self.state, self.p
        leave = kn.exit_process(
            self._generator(), s.clin_org, s.engagement, self._clin_counts, s.trust, s.active, s.overload, p.exit_threshold, p.exit_hazard
        )  # leavers of org_benefit()
        if np.count_nonzero(leave):
            s.remove_orgs(leave, self.steps)
            for i in np.flatnonzero(leave):
                self._log("structural_inter", "disrupting", "partner exit", s.names[i], "detected")

    # ------------------------------------------------------------------ observation
    def org_benefit(self) -> np.ndarray:
        """Perceived benefit per organization: engagement x trust toward active partners - overload."""
        s = self.state
        return kn.org_benefit(s.clin_org, s.engagement, self._clin_counts, s.trust, s.active, s.overload)

    def observe(self) -> None:
        """10. Outcomes are measured, endogenous milestones detected, and Mesa's DataCollector collects.

        Consensus is over all original clinicians: an exited partner's practice stays as it was (as for
        connectivity, losing a partner must not raise consensus). The measures are those of
        :mod:`abm.outcomes` and the detections those of :mod:`abm.mechanisms.detection`, in one
        compiled call (:func:`abm.kernels.observe_process`); link measures are recomputed only when
        links or membership changed since the last observation.
        """
        s, p = self.state, self.p
        m = self._masks()
        small = s.n_orgs <= outcomes.ALGEBRAIC_CONNECTIVITY_MAX_ORGS
        many = s.n_clinicians >= outcomes.BUCKET_SORT_MIN  # numpy's sorts beat numba's there (see outcomes)
        (c, t_mean, t_min, e_live, e_phys, new_collapse, any_collapse, s.collapsed,
         links_changed, conn, level, lap, link_i, link_j) = kn.observe_process(
            s.views, m["n_live"], s.trust, m["partner_pair_idx"], s.engagement, m["live_idx"], m["phys_idx"],
            outcomes.UNIFORM_MEAN_DISTANCE, s.collapsed, m["clinical_pairs"], p.link_collapse_trust, TRUST_RECOVERY,
            s.data_level, s.active, s.original_clinical, m["partners"], s.ever_linked,
            self._seen_level, self._seen_active, small, not many,
        )  # fmt: skip
        if many:
            c = outcomes.consensus(s.views) if m["n_live"] else 0.0
        if links_changed:  # (the eigenvalue stays with numpy's LAPACK, as in outcomes.algebraic_connectivity)
            alg = (float(np.linalg.eigvalsh(lap)[1]) if lap.shape[0] >= 2 else 0.0) if small else float("nan")
            self._link_values = (conn, level, alg)
        k, link_level, alg = self._link_values
        h = self._handoffs
        integration = float(np.sqrt(c * k))
        self.metrics = {
            "consensus": c,
            "connectivity": k,
            "integration": integration,
            "trust_mean": t_mean,
            "trust_min": t_min,
            "engagement": e_live,
            "engagement_physicians": e_phys,
            "handoffs": float(h.n) if h is not None else 0.0,
            "handoff_success": outcomes.mean(h.success) if h is not None and h.n else float("nan"),
            "mean_link_level": link_level,
            "algebraic_connectivity": alg,
            "active_partners": m["active_partners"],
            "retention": m["retention"],
        }
        for i, j in zip(link_i, link_j, strict=True):
            self._log("structural_inter", "facilitating", "electronic link established", f"{s.names[i]} - {s.names[j]}", "detected")
        for i, j in zip(*np.nonzero(new_collapse), strict=True) if any_collapse else ():
            self._log("strategic_relational", "disrupting", "trust collapse", f"{s.names[i]} - {s.names[j]}", "detected")
        for key, value, thr, cat in (("consensus", c, p.consensus_threshold, "strategic_process_change"),
                                     ("integration", integration, p.integration_threshold, "strategic_relational")):  # fmt: skip
            if detection.crossed(value, thr, self._flags[key]):
                self._flags[key] = True
                self._log(cat, "facilitating", f"{key} reached", "all", "detected")
        self.metrics.update(zip(self._ms_names, map(float, self._cum.values()), strict=True))
        self.datacollector.collect(self)

    def _log(self, category: str, valence: str, name: str, who: str, source: str) -> None:
        self._cum[category] += 1
        self._cum[valence] += 1
        self.datacollector.add_table_row(
            "milestones", {"step": self.steps, "category": category, "valence": valence, "name": name, "who": who, "source": source}
        )

    # ------------------------------------------------------------------ helpers
    def _masks(self) -> dict[str, Any]:
        """Masks and counts that depend only on which partners are active, rebuilt when membership changes.

        Membership changes a few times per run at most, so caching them removes most per-step
        O(N) and O(O^2) mask building. The arrays are read-only: callers must not modify them.
        """
        s = self.state
        key = s.active.tobytes()
        if self._mask_cache is not None and self._mask_cache[0] == key:
            return self._mask_cache[1]
        live = s.clin_active
        phys = live & self._physician
        partners = s.active & s.clinical
        partner_pairs = partners[:, None] & partners[None, :]
        np.fill_diagonal(partner_pairs, False)
        m: dict[str, Any] = {
            "live": live, "live_idx": live.nonzero()[0], "phys_idx": phys.nonzero()[0], "n_live": int(live.sum()),
            "partners": partners, "partner_pair_idx": np.flatnonzero(partner_pairs), "clinical_pairs": np.triu(partner_pairs, 1),
            "active_partners": float(s.active.sum()),
            "retention": float(s.active[s.original_clinical].mean()) if s.original_clinical.any() else 1.0,
        }  # fmt: skip
        for v in m.values():
            if isinstance(v, np.ndarray):
                v.flags.writeable = False
        self._mask_cache = (key, m)
        return m

    def __getstate__(self) -> dict[str, Any]:
        """For copy and pickle: a copy rebuilds its own generator handle (this one holds this run's addresses)."""
        state = self.__dict__.copy()
        state["_gen_of"] = state["_gen"] = None
        return state

    def _generator(self) -> np.ndarray:
        """The run's generator as the kernels take it (:func:`abm.kernels.generator_handle`), rebuilt if ``rng`` was replaced."""
        if self._gen_of is not self.rng:
            self._gen_of, self._gen = self.rng, kn.generator_handle(self.rng)
        return self._gen

    def _participation(self) -> np.ndarray:
        """Weight of a clinician in being chosen for an interaction: rises with engagement."""
        s = self.state
        live = self._masks()["live"]
        w = (0.05 + s.engagement) * live
        if self.features.physician_mandate:
            w = np.where(self._physician & live, 1.05, w)
        return w

    def _reset_step_scratch(self) -> None:
        s = self.state
        self._handoffs: flow.Handoffs | None = None
        self._met = self._no_meetings  # shared zeros: a process replaces them, never writes into them
        self._shadow_counts = self._no_shadowing
        self._champion_contacts = _INT_ZEROS  # empty: nobody (this step)
        self._included = _BOOL_ZEROS
        self._directed = _BOOL_ZEROS
        self._activity = np.zeros(s.n_orgs)
        self._contacts: list[np.ndarray] = [np.empty(0, np.int64)]
        self._pairs: list[tuple[np.ndarray, np.ndarray]] = []

    def fire(self, event: Any) -> None:
        """Fire a milestone event by hand now (dashboards): applied and logged like a configured one."""
        mask = milestones.apply(self.state, event, self.rng)
        who = "all" if event.targets.all else ", ".join(np.array(self.state.names)[mask])
        self._log(event.category, event.valence, event.name, who, "manual")

    def release(self) -> None:
        """Drop Mesa 3.3.1's class-level reference to this model (``Agent._ids``) so it can be freed."""
        mesa.Agent._ids.pop(self, None)


_INT_ZEROS = np.zeros(0, np.int64)  # stand-ins for "none this step" in kernel calls (empty: nothing to write)
_BOOL_ZEROS = np.zeros(0, bool)
_NO_HANDOFFS = flow.Handoffs(_INT_ZEROS, _INT_ZEROS, _INT_ZEROS, _INT_ZEROS, _BOOL_ZEROS, _BOOL_ZEROS)


def metric_names() -> list[str]:
    """Names of the per-step outcome columns, in table order."""
    base = [
        "consensus", "connectivity", "integration", "trust_mean", "trust_min", "engagement",
        "engagement_physicians", "handoffs", "handoff_success", "mean_link_level", "algebraic_connectivity",
        "active_partners", "retention",
    ]  # fmt: skip
    return base + [f"ms_{c}" for c in CATEGORIES] + [f"ms_{v}" for v in VALENCE_NAMES]


def _reporter(name: str):
    return lambda m: m.metrics[name]


class MetricsCollector(mesa.DataCollector):
    """Mesa's DataCollector, with a fast path for the model's own per-step outcome columns.

    Mesa 3.3.1 calls every model reporter and deep-copies its value each step (about 1.5 us per
    column, a tenth of a small program's step). Our reporters only read floats already in
    ``model.metrics``, so while the reporters are exactly the ones given at construction and there
    are no agent reporters, ``collect`` appends those values directly: the same table, bit for bit.
    Anything else (a reporter added or replaced later, agent reporters) goes through Mesa.
    """

    def __init__(self, model_reporters=None, agent_reporters=None, agenttype_reporters=None, tables=None):
        super().__init__(model_reporters, agent_reporters, agenttype_reporters, tables)
        self._own_reporters = dict(self.model_reporters)

    def collect(self, model):
        if self.agent_reporters or self.agenttype_reporters or self.model_reporters != self._own_reporters:
            return super().collect(model)
        metrics = model.metrics
        for var, values in self.model_vars.items():
            values.append(metrics[var])

    def get_model_vars_dataframe(self):
        """Mesa's table of the model reporters; on the fast path built from one float array (~5x faster, same table)."""
        if self.agent_reporters or self.agenttype_reporters or self.model_reporters != self._own_reporters:
            return super().get_model_vars_dataframe()
        names = list(self.model_vars)
        return pd.DataFrame(np.array([self.model_vars[k] for k in names], dtype=float).T, columns=names)
