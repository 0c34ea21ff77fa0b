"""IntegrationModel: a Mesa model of how integration of care is generated among partner organizations.

The numbers live in :class:`abm.state.State` (arrays); each process of the ODD schedule is one
method that calls its mechanism's compiled rules (:mod:`abm.mechanisms`, one module per mechanism)
with the state's arrays, the run's generator and the parameter record; Mesa agents are views.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from abm import allocator, compat, engine, events, merger
from abm.agents import Clinician, Organization
from abm.config import CATEGORIES, KINDS, ROLES, Scenario, load_scenario, with_overrides
from abm.interrupts import interrupts_after
from abm.mechanisms import (
    consensus,
    data_sharing,
    engagement,
    familiarity,
    interactions,
    routines,
    structures,
    workload,
)
from abm.mechanisms import exit as partner_exit
from abm.mechanisms import milestones as ms
from abm.mechanisms import patient_flow as flow
from abm.mechanisms import trust as tr
from abm.mechanisms._numba import generator_handle, mean_by_org, skip
from abm.state import build_state

HOSPITAL = KINDS.index("hospital")
IS_RECEIVER_KIND = np.array([k in ("home_care", "community", "primary_care") for k in KINDS])  # by kind code: receives patients
PHYSICIAN = ROLES.index("physician")
MANAGER = ROLES.index("manager")
VALENCE_NAMES = ("facilitating", "disrupting", "mixed")
MILESTONE_COLUMNS = ["step", "category", "valence", "name", "who", "source"]
MILESTONE_COUNTS = (*CATEGORIES, *VALENCE_NAMES)  # the ms_* columns: milestones so far per category and valence
DETECTED = {  # milestones compiled code logs, by their code in its log (abm.engine): category, valence, name
    engine.NEW_LINK: ("structural_inter", "facilitating", "electronic link established"),  # (detected in process 10)
    engine.TRUST_COLLAPSE: ("strategic_relational", "disrupting", "trust collapse"),
    engine.CONSENSUS_REACHED: ("strategic_process_change", "facilitating", "consensus reached"),
    engine.INTEGRATION_REACHED: ("strategic_relational", "facilitating", "integration reached"),
    engine.PARTNER_EXIT: ("structural_inter", "disrupting", "partner exit"),  # (process 9, or an event's leave)
}
SOURCES = {engine.DETECTED_SOURCE: "detected", engine.CONFIGURED_SOURCE: "configured"}  # a partner exit's source
_DETECTED_CAT = np.array([MILESTONE_COUNTS.index(DETECTED[c][0]) for c in sorted(DETECTED)])  # columns of the counts, by code
_DETECTED_VAL = np.array([MILESTONE_COUNTS.index(DETECTED[c][1]) for c in sorted(DETECTED)])
PATHWAYS = {"none": engine.PATHWAY_NONE, "co_design": engine.PATHWAY_CO_DESIGN, "top_down": engine.PATHWAY_TOP_DOWN}
_INT_ZEROS = np.zeros(0, np.int64)  # "none this step" (empty: nothing to read)
_BOOL_ZEROS = np.zeros(0, bool)
_NO_ORG_ROWS = np.zeros((0, 0))  # run_weeks: per-organization engagement not recorded


class Handoffs:
    """This step's hand-offs: per patient (organizations, outcomes) and per care-team pair of clinicians."""

    __slots__ = ("sender_org", "receiver_org", "success", "referral_ok", "sender", "receiver", "team_success")

    def __init__(self, sender_org, receiver_org, success, referral_ok, sender, receiver, team_success) -> None:
        self.sender_org, self.receiver_org = sender_org, receiver_org
        self.success, self.referral_ok = success, referral_ok
        self.sender, self.receiver, self.team_success = sender, receiver, team_success

    @property
    def n(self) -> int:
        """Patients handed off."""
        return int(self.sender_org.size)


_NO_HANDOFFS = Handoffs(_INT_ZEROS, _INT_ZEROS, _BOOL_ZEROS, _BOOL_ZEROS, _INT_ZEROS, _INT_ZEROS, _BOOL_ZEROS)


class IntegrationModel(mesa.Model):
    """Organizations and clinicians whose trust, engagement, practice and data links co-evolve.

    Args:
        scenario: a validated :class:`Scenario`, a built-in program name ("P1".."P6") or a YAML path;
            None gives ``program``, else the default three-partner program. On Mesa >= 3.4 also a Mesa
            Scenario (SolaraViz passes one on Reset): its ``config``, if any, is the configuration, and
            its ``rng`` the seed when ``seed`` is None.
        seed: a non-negative integer, digits as text (``"5"``, as SolaraViz's input box gives it), a
            ``numpy.random.SeedSequence`` or None (fresh entropy); one seed fixes the run bit for bit,
            and an integer n runs exactly as ``SeedSequence(n)`` (see :func:`parse_seed`).
        program: the same choices as ``scenario``, used when ``scenario`` gives no configuration; the
            name to give SolaraViz's ``model_params`` (works on every supported Mesa).
        **kwargs: parameter overrides by name (e.g. ``mu=0.2``, ``trust_alpha=0.03``), as used by
            Mesa's ``batch_run`` and SolaraViz sliders.

    Attributes:
        config: the run's :class:`Scenario` (overrides applied). ``scenario`` is the same object on
            Mesa 3.3.1; on Mesa >= 3.4 it is Mesa's scenario (:class:`abm.compat.ProgramScenario`),
            which reads the same fields.
    """

    def __init__(self, scenario: Scenario | str | None = None, seed: Any = None, program: Scenario | str | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        if compat.is_mesa_scenario(scenario):
            seed = scenario.rng if seed is None else seed
            scenario = scenario.__dict__.get("config")
        seed = parse_seed(seed)
        allocator.keep_freed_memory()  # (once per process: large regions' weekly pair arrays reuse the heap)
        super().__init__(rng=seed)
        if isinstance(seed, np.random.SeedSequence):  # Mesa draws once from rng to seed `random` for a SeedSequence:
            self.rng = np.random.default_rng(seed)  # start fresh, so SeedSequence(n) runs exactly as n
            self._rng = self.rng.bit_generator.state
        scenario = scenario if scenario is not None else program
        sc = scenario if isinstance(scenario, Scenario) else (load_scenario(scenario) if scenario else Scenario())
        if kwargs:
            sc = with_overrides(sc, {f"params.{k}": v for k, v in kwargs.items()})
        self.config = sc
        self.scenario = compat.scenario_attribute(sc, seed)
        self.p = sc.params
        self.params = sc.params.record()  # the parameters as compiled code reads them, by name
        self.mech = sc.params.mechanisms
        self.features = sc.program.features
        self.state = build_state(sc, self.rng)
        self._gen_of: np.random.Generator | None = None  # see _generator()
        self._gen: Any = None
        s = self.state
        self._views: tuple[list[Organization], list[Clinician]] | None = None  # Mesa agents, built when first asked for
        self.events = list(sc.milestones) if self.mech.milestones else []
        self._events = events.table(s, self.events)  # (their targets by name and kind: fixed, mergers too)
        self._event_cat = np.array([MILESTONE_COUNTS.index(ev.category) for ev in self.events], np.int64)
        self._event_val = np.array([MILESTONE_COUNTS.index(ev.valence) for ev in self.events], np.int64)
        self._fired = np.zeros(len(self.events), bool)
        self._is_hospital = s.kind == HOSPITAL
        self._is_receiver = IS_RECEIVER_KIND[s.kind]
        self._hosp = np.flatnonzero(self._is_hospital)  # rows of the referral weights (senders)
        self._hosp_row = np.full(s.n_orgs, -1)
        self._hosp_row[self._hosp] = np.arange(self._hosp.size)
        same_region = s.region[self._hosp, None] == s.region[None, :]
        self._hosp_catch = np.where(same_region, self.p.catchment, 1.0 - self.p.catchment)
        self._physician = s.role == PHYSICIAN
        self._manager = s.role == MANAGER
        self._mandated = self._physician & self.features.physician_mandate
        self._team_m = self.p.clinicians_per_staff / flow.REFERENCE_RESOLUTION  # clinician pairs per hand-off
        # care pairs (routines): a hospital and a receiving partner of its region, both original clinical partners
        self._care_pairs = (
            (self._is_hospital & s.original_clinical)[:, None] & (self._is_receiver & s.original_clinical)[None, :]
            & (s.region[:, None] == s.region[None, :])
        )  # fmt: skip
        self._mask_cache: tuple[np.ndarray, dict[str, Any]] | None = None  # see _masks()
        # IT systems, privacy stances and parameters are fixed during a run
        self._p_up = data_sharing.upgrade_probability(s.it_system.astype(np.int64), s.privacy, self.params)
        self._seen_level = np.full((s.n_orgs, s.n_orgs), -1, np.int8)  # links and membership at the last observation
        self._seen_active = s.active.copy()
        self._link_values = np.zeros(3)  # systems connectivity, mean link level, algebraic connectivity (see observe)
        self._no_meetings = np.zeros((s.n_orgs, s.n_orgs), bool)  # "nobody met / shadowed this step"
        self._no_shadowing = np.zeros((s.n_orgs, s.n_orgs), np.int64)  # (also: no virtual rounds)
        self._reached = np.zeros(2, bool)  # consensus, integration reached (each logged once)
        self._cum = np.zeros(len(MILESTONE_COUNTS))  # milestones so far, per MILESTONE_COUNTS
        self._detected_cat, self._detected_val = _DETECTED_CAT, _DETECTED_VAL  # (constants, shared)
        self._view_order = np.argsort(s.views, axis=0, kind="stable")  # (a cache for sorting views; see observe)
        self._handoff_counts = np.zeros(2, np.int64)  # this step's hand-offs and successful ones (read by observe)
        self._reset_step_scratch()
        self.metrics: dict[str, float] = {}
        self._metric_names = metric_names()
        self.datacollector = MetricsCollector(
            model_reporters=_REPORTERS,  # (Mesa copies them into its own dict)
            tables={"milestones": MILESTONE_COLUMNS},
        )
        if self.events:  # events scheduled `at: 0` act on the initial state, before step 0 is observed (no draw)
            self._fire_due(np.ones(len(self.events)))
        self.observe()

    # ------------------------------------------------------------------ agents
    def _agent_views(self) -> tuple[list[Organization], list[Clinician]]:
        """The Mesa agents (views into the state), built on first use: a batch run that never asks for them
        does not pay for them (about 4 us per agent on Mesa 3.3.1)."""
        if self._views is None:
            s = self.state
            self._views = ([Organization(self, i) for i in range(s.n_orgs)], [Clinician(self, i) for i in range(s.n_clinicians)])
        return self._views

    @property
    def organizations(self) -> list[Organization]:
        """The organizations as Mesa agents, in state order."""
        return self._agent_views()[0]

    @property
    def clinicians(self) -> list[Clinician]:
        """The clinicians as Mesa agents, in state order (contiguous by organization)."""
        return self._agent_views()[1]

    @property
    def agents(self):  # noqa: ANN201 (Mesa's AgentSet)
        """Mesa's set of all agents (built on first use, see :meth:`_agent_views`)."""
        if "_views" in self.__dict__:  # (Mesa's own __init__ reads it before the state exists)
            self._agent_views()
        return super().agents

    @property
    def agents_by_type(self):  # noqa: ANN201
        """Mesa's agents by type (built on first use, see :meth:`_agent_views`)."""
        if "_views" in self.__dict__:
            self._agent_views()
        return super().agents_by_type

    # ------------------------------------------------------------------ schedule
    @interrupts_after()  # Ctrl-C waits for the compiled call under way (abm/interrupts.py)
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
        if self.steps >= self.scenario.steps:  # the scenario's horizon: Mesa's batch_run and viz stop here
            self.running = False

    # ------------------------------------------------------------------ processes
    def apply_milestones(self) -> None:
        """1. Milestone events due this step (scheduled or hazard-drawn) change the state."""
        if self.events:
            self._fire_due(self.rng.random(len(self.events)))

    def _fire_due(self, u: np.ndarray) -> None:
        """Fire the configured events due at this step (``u``: one uniform draw per event, for hazards)."""
        sch = self._events
        for k in ms.due(u, sch["at"], sch["hazard"], sch["repeat"], self._fired, self.steps):
            self._fired[k] = True
            self._apply_event(self.events[k], "configured")

    def _apply_event(self, ev: Any, source: str) -> None:
        """One milestone event applied and logged (configured or fired by hand); a `leave` goes through :meth:`_remove`."""
        mask = events.apply(self.state, ev, self._generator())
        who = "all" if ev.targets.all else ", ".join(np.array(self.state.names)[mask])
        self._log(ev.category, ev.valence, ev.name, who, source)
        if ev.effects.merge_into is not None:
            self._merge(mask, ev.effects.merge_into)
        if ev.effects.leave:
            self._remove(mask, source)

    def _merge(self, mask: np.ndarray, survivor: str) -> None:
        """The targets are absorbed into ``survivor`` (:func:`abm.merger.merge`); clinician agents and role masks follow their clinicians."""
        order = merger.merge(self.state, mask.copy(), self.state.org_index[survivor])
        if order is None:
            return
        if self._views is not None:
            clinicians = [self._views[1][k] for k in order]
            for i, agent in enumerate(clinicians):
                agent.index = i
            self._views = (self._views[0], clinicians)
        s = self.state
        self._physician = s.role == PHYSICIAN
        self._manager = s.role == MANAGER
        self._mandated = self._physician & self.features.physician_mandate
        self._weights = None

    def patient_transitions(self) -> None:
        """2. Hospitals discharge bundle patients; each is handed off to a partner's clinician (:mod:`~abm.mechanisms.patient_flow`)."""
        s, gen = self.state, self._generator()
        s_org, r_org = flow.patients(
            gen, self._is_hospital, self._is_receiver, s.active, s.size, self._per_staff(), s.trust, self._hosp, self._hosp_row,
            self._hosp_catch, s.overload,
        )  # fmt: skip
        if s_org.size == 0:
            return
        a, b = flow.pick_clinicians(gen, s_org, r_org, self._participation(), s.block_start)
        keys, tie = familiarity.lookup(s.tie_keys, s.tie_weights, a, b, s.n_clinicians)
        support = self._support()
        success, referral_ok = flow.outcomes(
            gen, s_org, r_org, a, tie, s.data_level, s.trust, s.engagement, s.overload, support,
            self.config.program.complexity, self.params,
        )  # fmt: skip
        patient, ta, tb = flow.care_team(gen, s_org, r_org, a, b, self._participation(), s.block_start, self._team_m)
        self._handoffs = Handoffs(s_org, r_org, success, referral_ok, ta, tb, success[patient])
        self._contacts.append(keys if ta is a else familiarity.pair_keys(ta, tb, s.n_clinicians))
        self._pairs.append((ta, tb))

    def planned_interactions(self) -> None:
        """3. Steering meetings, work shadowing, virtual rounds and champion outreach (:mod:`~abm.mechanisms.interactions`)."""
        s, p = self.state, self.p
        if self.steps % p.meeting_interval == 0:
            attend, self._met, rep_a, rep_b = interactions.meeting(
                self._generator(), s.active, s.leadership, s.engagement, self._manager, s.block_start, self._team_m
            )
            self._activity += attend
            self._pairs.append((rep_a, rep_b))
        if self.features.shadowing and self.mech.shadowing:
            self._shadow_counts = self._cross_sector_visits(p.shadowing_rate)
        if self.features.virtual_rounds:
            self._rounds = self._cross_sector_visits(p.virtual_rounds_rate)
        if self.mech.engagement:  # active champions reach out
            contacts, targets = interactions.champion_outreach(self._generator(), self._masks()["live_idx"], s.champion, p.outreach_rate)
            if contacts.size:
                self._champion_contacts = interactions.counts_per(targets, s.n_clinicians)
                self._pairs.append((contacts, targets))

    def _cross_sector_visits(self, rate: float) -> np.ndarray:
        """Shadowing or virtual-rounds visits at ``rate`` (:func:`~abm.mechanisms.interactions.shadowing`): the
        visitors take part, meet their hosts and talk practice; returns the visits per pair of organizations."""
        s = self.state
        visitors, hosts, v_org, h_org = interactions.shadowing(
            self._generator(), s.clin_org, s.active, s.clinical, self._is_hospital, self._participation(), s.block_start, rate
        )
        if not visitors.size:
            return self._no_shadowing
        self._activity += interactions.counts_per(v_org, s.n_orgs) > 0
        self._contacts.append(familiarity.pair_keys(visitors, hosts, s.n_clinicians))
        self._pairs.append((visitors, hosts))
        return interactions.org_visits(self._generator(), v_org, h_org, s.n_orgs, self._team_m)

    def update_trust(self) -> None:
        """4. Asymmetric trust from hand-offs, meetings and shadowing, relaxing otherwise; familiarity ties (:mod:`~abm.mechanisms.trust`)."""
        s = self.state
        h = self._handoffs
        joint, met = self._shadow_counts, self._met  # joint work (shadowing, virtual rounds); meetings and rounds build trust
        if self._rounds is not self._no_shadowing:
            joint = joint + self._rounds
            met = met | (self._rounds > 0)
        n_events, n_good = tr.experiences(h.sender_org, h.receiver_org, h.success, h.referral_ok, joint, s.last_contact, self.steps)
        contacts = self._contacts[0] if len(self._contacts) == 1 else np.concatenate(self._contacts)
        s.tie_keys, s.tie_weights = familiarity.update_ties(s.tie_keys, s.tie_weights, contacts)
        if not self.mech.trust_building:
            skip(self._generator(), s.n_orgs * s.n_orgs)  # the draw it would make: knock-outs keep common random numbers
            return
        s.trust, s.trust_baseline = tr.update(
            self._generator(), s.trust, s.trust_baseline, s.culture_distance, n_events, n_good, met, self._shadow_counts, self.params
        )
        if self._shadow_counts is not self._no_shadowing:
            s.culture_distance = tr.shrink_culture_distance(s.culture_distance, self._shadow_counts, self.params)

    def update_consensus(self) -> None:
        """5. Bounded-confidence consensus over this step's contacts, then pathway development (:mod:`~abm.mechanisms.consensus`)."""
        s, p, gen = self.state, self.p, self._generator()
        if self.mech.mixing == "random":  # reduction: a uniformly random matching of everyone
            a, b = consensus.random_matching(gen, self._masks()["live_idx"])
            if a.size:
                s.views = consensus.bounded_confidence(s.views, a, b, s.trust, s.clin_org, s.engagement, s.champion, self.params)
        else:  # this step's contacts and team contacts
            team, mates = interactions.team_contacts(gen, self._masks()["live"], s.clin_org, s.block_start, p.team_contact)
            self._pairs.append((team, mates))
            pa, pb = (np.concatenate(x) for x in zip(*self._pairs, strict=True))
            s.views = consensus.interact(gen, s.views, pa, pb, s.trust, s.clin_org, s.engagement, s.champion, self.params)
        self._pathway_development()

    def _pathway_development(self) -> None:
        """Co-design workshops pull participants to their mean view and build shared structures; a top-down
        pathway reaches all, adopted in proportion to engagement (:func:`~abm.mechanisms.consensus.directive`)."""
        s, p, kind = self.state, self.p, self.config.program.pathway
        if self.steps % p.workshop_interval != 0 or kind == "none":
            return
        live = self._masks()["live"]
        if kind == "co_design" and not self.mech.co_design:
            skip(self._generator(), s.n_clinicians)  # the draw it would make: knock-outs keep common random numbers
        elif kind == "co_design":
            who = consensus.workshop_participants(self._generator(), live, s.engagement, self.params)
            if np.count_nonzero(who) >= 2:
                s.views = consensus.pull_toward(s.views, who, consensus.mean_view(s.views, who), p.codesign_pull)
                s.structure = structures.codesign(s.structure, s.clin_org, who, s.active, self.params)
                self._included = who
                self._activity += interactions.counts_per(s.clin_org[who], s.n_orgs) > 0
        elif kind == "top_down":
            leaders = consensus.leaders(live, self._manager, s.clin_org, s.active, s.size)
            if leaders.any():
                s.views = consensus.directive(s.views, live, consensus.mean_view(s.views, leaders), s.engagement, self.params)
                self._directed = live

    def update_engagement(self) -> None:
        """6. Engagement: usefulness, data visibility, champions, inclusion, leadership, workload (:mod:`~abm.mechanisms.engagement`)."""
        if not self.mech.engagement:
            return
        s, h = self.state, self._handoffs
        s.engagement = engagement.update(
            s.engagement, s.engagement_baseline, engagement.successes(h.sender, h.receiver, h.team_success, s.n_clinicians),
            engagement.data_visibility(s.data_level, self._masks()["partners"]), self._physician, self._champion_contacts,
            self._included, self._directed, s.clin_org, s.leadership, s.overload, self.params,
        )  # fmt: skip

    def update_data_sharing(self) -> None:
        """7. Pairs that work together and trust each other upgrade links; low trust makes them decay (:mod:`~abm.mechanisms.data_sharing`);
        care pairs' hand-offs become routines (:mod:`~abm.mechanisms.routines`)."""
        s, h = self.state, self._handoffs
        s.flow, s.quality = routines.update(s.flow, s.quality, h.sender_org, h.receiver_org, h.success, self.params)
        if not self.mech.data_sharing:
            skip(self._generator(), s.n_orgs * s.n_orgs)  # the draw it would make: knock-outs keep common random numbers
        elif self.mech.link_formation == "fixed":  # reduction to Gilbert's G(n, p): a fixed chance per pair
            s.data_level = data_sharing.random_links(self._generator(), s.data_level, s.active, self.p.link_upgrade)
        else:
            s.data_level = data_sharing.update_links(
                self._generator(), s.data_level, s.trust, s.last_contact, self.steps, s.resources, s.active, self._p_up, self.params
            )

    def update_workload(self) -> None:
        """8. Workload: program activities and patients received, per staff, against capacity (:mod:`~abm.mechanisms.workload`)."""
        s = self.state
        s.activity, s.overload = workload.update(
            s.activity, self._activity, s.data_level, s.active, s.size, s.resources, self._handoffs.receiver_org,
            float(self.config.program.bundle_days), self.mech.workload_burden, self.params,
        )  # fmt: skip

    def partner_exit(self) -> None:
        """9. Partners whose perceived benefit stays below the threshold leave with a hazard (:mod:`~abm.mechanisms.exit`)."""
        s = self.state
        if not self.mech.exit:
            skip(self._generator(), s.n_orgs)  # the draw it would make: knock-outs keep common random numbers
            return
        leave = partner_exit.leavers(self._generator(), s.clin_org, s.engagement, s.trust, s.active, s.overload, self.params)
        if np.count_nonzero(leave):
            self._remove(leave, "detected")

    def _remove(self, mask: np.ndarray, source: str) -> None:
        """The one path by which partners leave (endogenous exit, a configured or a manual `leave`): removed
        from the state with this step as ``exited_at``, and one "partner exit" milestone each (counted in ``exits``)."""
        s = self.state
        leaving = np.flatnonzero(mask & s.active)
        s.remove_orgs(mask, self.steps)
        for i in leaving:
            self._log(*DETECTED[engine.PARTNER_EXIT], s.names[i], source)

    # ------------------------------------------------------------------ observation
    def org_benefit(self) -> np.ndarray:
        """Perceived benefit per organization: engagement x trust toward active partners - overload."""
        s = self.state
        return partner_exit.perceived_benefit(s.clin_org, s.engagement, s.trust, s.active, s.overload)

    def org_engagement(self) -> np.ndarray:
        """Mean engagement of each organization's clinicians (NaN if none; :func:`abm.mechanisms._numba.mean_by_org`)."""
        s = self.state
        return mean_by_org(s.engagement, s.clin_org, np.diff(s.block_start))

    def observe(self) -> None:
        """10. Outcomes are measured and endogenous milestones detected (:func:`abm.engine.observe`, shared with
        the compiled run), and Mesa's DataCollector collects.

        Consensus is over all original clinicians: an exited partner's practice stays as it was (as for
        connectivity, losing a partner must not raise consensus). Link measures are recomputed only
        when links or membership changed since the last observation.
        """
        h = self._handoffs
        self._handoff_counts[:] = (h.n, np.count_nonzero(h.success))
        row = np.empty(len(self._metric_names))
        self._log_detected(
            engine.observe_logged(self._observation(), self._arrays(), self.state.active, self._masks()["members"], self.params, self.steps, row)
        )
        self.metrics = dict(zip(self._metric_names, row.tolist(), strict=True))
        self.datacollector.collect(self)

    def _log_detected(self, entries: np.ndarray) -> None:
        """The milestones compiled code logged, rows (step, code, i, j) of :func:`abm.engine.log_rows` (compiled code
        counted them): rows of the milestone table, made when the table is first read (:class:`LoggedEntries`)."""
        if entries.shape[0]:
            self.datacollector.add_entries("milestones", LoggedEntries(entries, self.state.names, self.events))

    def milestone_counts(self) -> tuple[int, int]:
        """Rows of the milestone table (without making the rows compiled code logged), and partner exits: the
        organizations that left (``exited_at`` set; a merger's absorbed partners did not leave), one row each."""
        return self.datacollector.milestone_rows(), int(np.count_nonzero(self.state.exited_at >= 0))

    def _log(self, category: str, valence: str, name: str, who: str, source: str) -> None:
        """One row of the milestone table at this step, counted in the ms_* columns (detected milestones, which
        compiled code counts, go through :meth:`_log_detected`)."""
        self._cum[MILESTONE_COUNTS.index(category)] += 1
        self._cum[MILESTONE_COUNTS.index(valence)] += 1
        self.datacollector.add_table_row("milestones", {
            "step": self.steps, "category": category, "valence": valence, "name": name, "who": who, "source": source,
        })  # fmt: skip

    # ------------------------------------------------------------------ helpers
    def _masks(self) -> dict[str, Any]:
        """Masks and counts that depend only on which partners are active, rebuilt when membership changes.

        Membership changes a few times per run at most, so caching them removes most per-step
        O(N) and O(O^2) mask building. ``state.active`` is read-only and replaced when membership
        changes, so its identity is the cache key. The arrays are read-only: callers must not modify them.
        """
        s = self.state
        if self._mask_cache is not None and self._mask_cache[0] is s.active:  # (read-only: replaced, never changed)
            return self._mask_cache[1]
        who = engine.members(s.active, s.clin_org, self._physician, s.clinical)
        live, live_idx, phys_idx, partners, partner_pair_idx, upper = who
        m: dict[str, Any] = {
            "live": live, "live_idx": live_idx, "phys_idx": phys_idx, "n_live": live_idx.size, "partners": partners,
            "partner_pair_idx": partner_pair_idx, "clinical_pairs": upper, "members": who,
        }  # fmt: skip
        for v in m.values():
            if isinstance(v, np.ndarray):
                v.flags.writeable = False
        self._mask_cache = (s.active, m)
        return m

    def __getstate__(self) -> dict[str, Any]:
        """For copy and pickle: a copy rebuilds its own generator handle (this one holds this run's addresses)."""
        state = self.__dict__.copy()
        state["_gen_of"] = state["_gen"] = None
        return state

    def _per_staff(self) -> float:
        """Bundle patients discharged per hospital staff per step (events may change the program's volume)."""
        return flow.per_staff(float(self.state.volume_multiplier), self.params)

    def _support(self) -> float:
        """The program's support for hand-offs (:func:`~abm.mechanisms.patient_flow.support`; events may change the coordinator)."""
        return flow.support(self.state.coordinator, self.features.line_24_7, self.features.telemonitoring, self.params)

    def _frame(self) -> engine.Frame:
        """The state's arrays (shared, not copied) and this run's settings, as compiled weeks take them (:mod:`abm.engine`)."""
        s, p, mech, fx = self.state, self.p, self.mech, self.features
        sch = self._events
        return engine.Frame(
            active=s.active, exited_at=s.exited_at, size=s.size, resources=s.resources, leadership=s.leadership, clinical=s.clinical,
            original_clinical=s.original_clinical, is_hospital=self._is_hospital, is_receiver=self._is_receiver,
            hosp=self._hosp, hosp_row=self._hosp_row, hosp_catch=self._hosp_catch, last_contact=s.last_contact, p_up=self._p_up,
            clin_org=s.clin_org, block_start=s.block_start, physician=self._physician,
            manager=self._manager, mandated=self._mandated, engagement_baseline=s.engagement_baseline, champion=s.champion,
            tie_keys=s.tie_keys, tie_weights=s.tie_weights,
            at=sch["at"], hazard=sch["hazard"], repeat=sch["repeat"], fired=self._fired, ev_effects=sch["effects"],
            ev_targets=sch["targets"], ev_to_all=sch["to_all"], ev_leave=sch["leave"], ev_python=sch["python"],
            ev_cat=self._event_cat, ev_val=self._event_val, obs=self._observation(),
            volume=float(s.volume_multiplier), coordinator=float(s.coordinator), line_24_7=bool(fx.line_24_7),
            telemonitoring=bool(fx.telemonitoring),
            complexity=float(self.config.program.complexity), team_m=float(self._team_m),
            bundle_days=float(self.config.program.bundle_days), meeting_interval=int(p.meeting_interval),
            workshop_interval=int(p.workshop_interval), pathway=PATHWAYS[self.config.program.pathway],
            shadowing=bool(fx.shadowing and mech.shadowing), rounds=bool(fx.virtual_rounds), engagement_on=bool(mech.engagement),
            trust_on=bool(mech.trust_building), mixing_random=mech.mixing == "random", co_design_on=bool(mech.co_design),
            data_on=bool(mech.data_sharing), links_fixed=mech.link_formation == "fixed", burden=bool(mech.workload_burden),
            exit_on=bool(mech.exit),
        )  # fmt: skip

    def _observation(self) -> engine.Observation:
        """What process 10 reads besides the replaced arrays, and keeps between weeks (:data:`abm.engine.Observation`)."""
        s = self.state
        return engine.Observation(
            original_clinical=s.original_clinical, care_pairs=self._care_pairs, handoff_counts=self._handoff_counts,
            collapsed=s.collapsed, seen_level=self._seen_level, seen_active=self._seen_active, ever_linked=s.ever_linked,
            link_values=self._link_values, reached=self._reached, cum=self._cum, detected_cat=self._detected_cat,
            detected_val=self._detected_val, alg_max_orgs=engine.ALGEBRAIC_CONNECTIVITY_MAX_ORGS, view_order=self._view_order,
        )  # fmt: skip

    def _arrays(self) -> engine.Arrays:
        """The state's arrays that a week's mechanisms replace (:data:`abm.engine.Arrays`)."""
        s = self.state
        return engine.Arrays(*(getattr(s, name) for name in engine.Arrays._fields))

    @interrupts_after()
    def run_weeks(self, last: int, org_engagement: np.ndarray | None = None) -> np.ndarray:
        """Weeks ``steps + 1`` .. ``last`` in one compiled loop (:func:`abm.engine.run_weeks`): the same numbers as
        calling :meth:`step` that often, without the per-step Python calls. Milestone events and exits are
        applied in the loop with the functions ``step`` uses; a week with a merger returns here, where its events
        are applied as ``step`` applies them. Mesa's DataCollector does not collect these weeks: their
        outcomes are returned, one row per week (columns as :func:`metric_names`), and ``metrics`` holds the last.
        ``org_engagement``, if given (one row per week, one column per organization), receives each week's
        :meth:`org_engagement`, as calling it after each :meth:`step` would.
        """
        first = self.steps + 1
        rows = np.full((max(last - self.steps, 0), len(self._metric_names)), np.nan)
        org = _NO_ORG_ROWS if org_engagement is None else org_engagement
        if org_engagement is not None and org.shape != (rows.shape[0], self.state.n_orgs):
            raise ValueError(f"org_engagement must have shape {(rows.shape[0], self.state.n_orgs)} (weeks, organizations), got {org.shape}")
        step, phase = first, engine.MILESTONES
        while step <= last:
            status, step, idx, keys, weights, entries, arrays, held = engine.run_weeks(
                self._frame(), self._arrays(), self.params, self._generator(), step, last, phase, rows, first, org
            )
            s = self.state
            s.tie_keys, s.tie_weights = keys, weights
            for name, value in zip(engine.Arrays._fields, arrays, strict=True):
                setattr(s, name, value)
            active, s.exited_at, s.champion, s.volume_multiplier, s.coordinator = held
            if active is not s.active:  # (partners left: a new, read-only array, as State.remove_orgs makes)
                active.flags.writeable = False
                s.active = active
            self._log_detected(entries)
            self.steps = step  # (what Mesa's step() counts)
            if status == engine.DONE:
                break
            for k in idx:  # DUE: 1. the week's events (a merger among them), then the week's processes
                self._fired[k] = True
                self._apply_event(self.events[k], "configured")
            phase = engine.PROCESSES
        self.steps = max(last, self.steps)
        if rows.shape[0]:
            self.metrics = dict(zip(self._metric_names, rows[-1].tolist(), strict=True))
        if self.steps >= self.scenario.steps:
            self.running = False
        return rows

    def _generator(self) -> np.ndarray:
        """The run's generator as compiled code takes it (:func:`abm.mechanisms._numba.generator_handle`), rebuilt if ``rng`` was replaced."""
        if self._gen_of is not self.rng:
            self._gen_of, self._gen = self.rng, generator_handle(self.rng)
        return self._gen

    def _participation(self) -> np.ndarray:
        """Participation weights of this step (:func:`~abm.mechanisms.interactions.participation`), summed
        (:func:`~abm.mechanisms.patient_flow.cumulative`) as clinicians are drawn by them: engagement changes only
        in process 6, after every interaction is drawn, so they are computed once per step."""
        if self._weights is None:
            self._weights = flow.cumulative(interactions.participation(self.state.engagement, self._masks()["live"], self._mandated))
        return self._weights

    def _reset_step_scratch(self) -> None:
        s = self.state
        self._handoffs = _NO_HANDOFFS
        self._weights: np.ndarray | None = None  # cumulative participation weights (see _participation)
        self._met = self._no_meetings  # shared zeros: a process replaces them, never writes into them
        self._shadow_counts = self._no_shadowing
        self._rounds = self._no_shadowing
        self._champion_contacts = _INT_ZEROS  # empty: nobody (this step)
        self._included = _BOOL_ZEROS
        self._directed = _BOOL_ZEROS
        self._activity = np.zeros(s.n_orgs)
        self._contacts: list[np.ndarray] = [np.empty(0, np.int64)]
        self._pairs: list[tuple[np.ndarray, np.ndarray]] = []

    def fire(self, event: Any) -> None:
        """Fire a milestone event by hand now (interactive use): applied and logged like a configured one."""
        self._apply_event(event, "manual")

    def release(self) -> None:
        """Drop Mesa 3.3.1's class-level reference to this model (``Agent._ids``) so it can be freed (no-op on 3.5)."""
        compat.release_model(self)




def parse_seed(seed: Any) -> Any:
    """A run's seed as Mesa takes it: a non-negative int, a ``SeedSequence`` (or ``Generator``), or None.

    Text of digits, optionally surrounded by spaces (SolaraViz's input box gives ``"5"``), is that int.
    Anything else (other text, a negative number, a float, a bool) is a ValueError naming the seed and
    what is expected. An int n is run as ``SeedSequence(n)`` (NumPy's ``default_rng(n)`` does the same).
    """
    expected = "expected a non-negative integer (digits), a numpy.random.SeedSequence or None"
    if seed is None or isinstance(seed, np.random.SeedSequence | np.random.Generator):
        return seed
    if isinstance(seed, str):
        text = seed.strip()
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"seed {seed!r}: {expected}")
        return int(text)
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool | np.bool_):
        if seed < 0:
            raise ValueError(f"seed {int(seed)}: {expected} (a seed cannot be negative)")
        return int(seed)
    raise ValueError(f"seed {seed!r} ({type(seed).__name__}): {expected}")


def metric_names() -> list[str]:
    """Names of the per-step outcome columns, in table order."""
    base = [
        "consensus", "connectivity", "connectivity_systems", "connectivity_structures", "connectivity_routines",
        "integration", "trust_mean", "trust_min", "engagement",
        "engagement_physicians", "handoffs", "handoff_success", "mean_link_level", "algebraic_connectivity",
        "active_partners", "retention",
    ]  # fmt: skip
    return base + [f"ms_{c}" for c in CATEGORIES] + [f"ms_{v}" for v in VALENCE_NAMES]


def _reporter(name: str):
    return lambda m: m.metrics[name]


_REPORTERS = {name: _reporter(name) for name in metric_names()}  # Mesa's model reporters, one per outcome column


class LoggedEntries:
    """Milestones compiled code logged (rows (step, code, i, j) of :func:`abm.engine.log_rows`) as rows of the milestone
    table, made on demand: a batch run that reads only its summary never builds their text (about 3 us a row in a
    loop of runs).

    Detected milestones and partner exits are one row each; a configured event is one row, listing the
    organizations its entry and the ``EVENT_MORE`` entries after it touched. ``names``: the organizations;
    ``events``: the model's.
    """

    __slots__ = ("entries", "names", "events")

    def __init__(self, entries: np.ndarray, names: list[str], events: list[Any]) -> None:
        self.entries, self.names, self.events = entries, names, events

    def rows(self) -> int:
        """The rows these entries make."""
        return self.entries.shape[0] - int(np.count_nonzero(self.entries[:, 1] == engine.EVENT_MORE))

    def columns(self) -> dict[str, list[Any]]:
        """The rows, as columns of the milestone table (:data:`MILESTONE_COLUMNS`)."""
        names = self.names
        rows: list[list[Any]] = []  # (the "who" column as a list of names, joined at the end)
        for step, code, i, j in self.entries.tolist():
            if code == engine.EVENT_MORE:  # one more organization the event of the row before touched
                rows[-1][4].append(names[j])
            elif code == engine.EVENT:
                ev = self.events[i]
                who = ["all"] if j == engine.ALL else ([] if j == engine.NOBODY else [names[j]])
                rows.append([step, ev.category, ev.valence, ev.name, who, "configured"])
            elif code == engine.PARTNER_EXIT:
                rows.append([step, *DETECTED[code], [names[i]], SOURCES[j]])
            else:
                rows.append([step, *DETECTED[code], ["all" if i < 0 else f"{names[i]} - {names[j]}"], "detected"])
        for row in rows:
            row[4] = ", ".join(row[4])
        return dict(zip(MILESTONE_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))


class MetricsCollector(mesa.DataCollector):
    """Mesa's DataCollector, with a fast path for the model's own per-step outcome columns.

    Mesa 3.3.1 calls every model reporter and deep-copies its value each step (about 1.5 us per
    column, a tenth of a small program's step). Our reporters only read floats already in
    ``model.metrics``, so while the reporters are exactly the ones given at construction and there
    are no agent reporters, ``collect`` appends those values directly: the same table, bit for bit.
    Anything else (a reporter added or replaced later, agent reporters) goes through Mesa.
    """

    def __init__(self, model_reporters=None, agent_reporters=None, agenttype_reporters=None, tables=None):
        self._pending: list[tuple[str, LoggedEntries]] = []  # rows compiled code logged, made when the table is read
        super().__init__(model_reporters, agent_reporters, agenttype_reporters, tables)
        self._own_reporters = dict(self.model_reporters)

    @property
    def tables(self) -> dict[str, dict[str, list[Any]]]:
        """Mesa's tables (name -> column -> values), with the rows of :meth:`add_entries` added, in order, on access."""
        pending, self._pending = self._pending, []
        for name, logged in pending:
            self.add_table_rows(name, logged.columns())
        return self._tables

    @tables.setter
    def tables(self, value: dict[str, dict[str, list[Any]]]) -> None:
        self._tables = value

    def add_entries(self, table_name: str, logged: LoggedEntries) -> None:
        """Rows compiled code logged, added to the table (after every row before them) when the table is next read."""
        self._pending.append((table_name, logged))

    def milestone_rows(self) -> int:
        """Rows of the milestone table, those of :meth:`add_entries` counted unmade."""
        return len(self._tables["milestones"]["name"]) + sum(logged.rows() for name, logged in self._pending if name == "milestones")

    def collect(self, model):
        if self.agent_reporters or self.agenttype_reporters or self.model_reporters != self._own_reporters:
            return super().collect(model)
        compat.note_collection(self, model)
        metrics = model.metrics
        for var, values in self.model_vars.items():
            values.append(metrics[var])

    def add_table_rows(self, table_name: str, columns: dict[str, list[Any]]) -> None:
        """Several rows at once, given as columns (every column of the table, of equal length): what
        ``add_table_row`` would append row by row, without a dictionary per row."""
        table = self.tables[table_name]
        if list(columns) != list(table) or len({len(v) for v in columns.values()}) > 1:
            raise ValueError(f"table {table_name!r} takes columns {list(table)} of equal length, got {list(columns)}")
        for column, values in columns.items():
            table[column].extend(values)

    def rows(self, names: list[str]) -> np.ndarray:
        """The collected values of the model reporters ``names`` as a float array, one row per collection."""
        return np.array([self.model_vars[k] for k in names], dtype=float).reshape(len(names), -1).T

    def get_model_vars_dataframe(self):
        """Mesa's table of the model reporters; on the fast path built from one float array (~5x faster, same table)."""
        if self.agent_reporters or self.agenttype_reporters or self.model_reporters != self._own_reporters:
            return super().get_model_vars_dataframe()
        names = list(self.model_vars)
        return pd.DataFrame(np.array([self.model_vars[k] for k in names], dtype=float).T, columns=names)
