"""The core clinician-level rules of the integration model, written the usual Mesa way.

One ``Clinician.step()`` per agent and step (``agents.shuffle_do``), plain Python inside, state held
on the agents. It is the side-by-side speed baseline of ``make bench``: the rules of :class:`abm.model.IntegrationModel`
as they were written when it was made, for these mechanisms only:

* patient hand-offs (process 2): each hospital clinician discharges Poisson(expected patients of
  its organization x its share of the organization's participation) patients, which is the same
  distribution as the main model's Poisson per hospital with senders drawn by participation;
* steering meetings and champion outreach (process 3);
* asymmetric trust from hand-off outcomes, meetings and relaxation (process 4);
* bounded-confidence consensus over a random disjoint subset of the step's contacts (process 5);
* engagement (process 6) and clinician familiarity ties.

Shadowing, co-design or top-down pathways, data sharing, workload, exit and milestones are not
here: run the main model with those switched off (:func:`core_scenario`) to compare.

It is not a second specification of the model's numbers: no test compares the two, so a change of
a rule is made once, in its module of ``abm/mechanisms``, and this file may lag behind.

Organization-level bookkeeping (the trust matrix) is numpy, as a Mesa modeller would keep a network
attribute; only the clinicians' rules are per-agent Python. That makes the reference faster than a
fully per-agent version, so the measured speed ratio is conservative. Initial state comes from
:func:`abm.state.build_state`, so both models start from the same distribution.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate
from typing import Any

import mesa
import numpy as np

from abm.config import KINDS, ROLES, Scenario, with_overrides
from abm.state import build_state

CORE_OFF = {
    f"params.mechanisms.{name}": False
    for name in ("shadowing", "co_design", "data_sharing", "workload_burden", "exit", "milestones")
}
HOSPITAL, MANAGER, PHYSICIAN = KINDS.index("hospital"), ROLES.index("manager"), ROLES.index("physician")
TIE_GAIN, TIE_DECAY, TIE_FLOOR = 0.5, 0.02, 0.05  # familiarity ties: gain per contact, decay per step, floor
RECEIVERS = {KINDS.index(k) for k in ("home_care", "community", "primary_care")}


def core_scenario(scenario: Scenario) -> Scenario:
    """The scenario with every mechanism the reference lacks switched off (for the main model too)."""
    return with_overrides(scenario, CORE_OFF)


class Clinician(mesa.Agent):
    """A clinician: organization, role, engagement, practice view, champion flag."""

    def __init__(self, model: ReferenceModel, org: int, role: int, engagement: float, baseline: float, view: list[float], champion: bool) -> None:
        super().__init__(model)
        self.org, self.role, self.engagement, self.baseline = org, role, engagement, baseline
        self.view, self.champion = view, champion
        self.successes = 0  # successful hand-offs taken part in this step
        self.champion_contacts = 0
        self.partner: tuple[list[float], float, bool, int] | None = None  # matched partner's (view, engagement, champion, org)

    def participation(self) -> float:
        """Weight in being chosen for an interaction: rises with engagement."""
        if self.model.mandate and self.role == PHYSICIAN:
            return 1.05
        return 0.05 + self.engagement

    def step(self) -> None:
        """Interact: discharge patients (hospital clinicians), reach out (champions), talk to a colleague."""
        m = self.model
        lam = m.discharge_rate.get(self.org, 0.0)
        if lam > 0.0:
            for _ in range(m.rng.poisson(lam * self.participation())):
                m.hand_off(self)
        if self.champion:
            for _ in range(m.rng.poisson(m.p.outreach_rate)):
                target = m.random.choice(m.clinician_list)
                target.champion_contacts += 1
                m.contacts.append((self, target))
        if m.random.random() < m.p.team_contact:
            m.contacts.append((self, m.random.choice(m.members[self.org])))

    def adapt(self) -> None:
        """Move toward the matched partner's view if close enough; then update engagement."""
        m, p = self.model, self.model.p
        if self.partner is not None:
            view, e_other, champ_other, org_other = self.partner
            eps = (p.eps0 + p.eps_trust * m.trust[self.org, org_other]) * (1.0 - p.engagement_openness + p.engagement_openness * 2.0 * self.engagement)
            mu = p.mu * (1.0 - p.engagement_step + p.engagement_step * (self.engagement + e_other))
            mu *= (1.0 - p.champion_firmness if self.champion else 1.0) * (p.champion_persuasion if champ_other else 1.0)
            mu = min(max(mu, 0.0), 0.5)
            if sum(abs(x - y) for x, y in zip(view, self.view, strict=True)) / len(view) < eps:
                self.view = [y + mu * (x - y) for x, y in zip(view, self.view, strict=True)]
            self.partner = None
        e = self.engagement
        up = p.usefulness_gain * self.successes + p.champion_gain * self.champion_contacts + p.leadership_gain * m.leadership[self.org]
        if self.role == PHYSICIAN:
            up += p.data_visibility_gain * m.visibility[self.org]
        e = e + p.engagement_relax * (self.baseline - e) + min(up, 1.0) * (1.0 - e)
        self.engagement = min(max(e, 0.0), 1.0)
        self.successes = self.champion_contacts = 0


class ReferenceModel(mesa.Model):
    """Idiomatic-Mesa reference of the core rules (see the module docstring)."""

    def __init__(self, scenario: Scenario, seed: Any = None) -> None:
        super().__init__(rng=seed)
        sc, m = scenario, scenario.params.mechanisms
        lacking = [k.split(".")[-1] for k in CORE_OFF if getattr(m, k.split(".")[-1])]
        if lacking or sc.program.pathway == "top_down" or m.mixing != "program":
            raise ValueError(f"the reference lacks these mechanisms; switch them off (core_scenario): {lacking or sc.program.pathway}")
        self.p, prog = sc.params, sc.program
        s = build_state(sc, self.rng)
        self.n_orgs = s.n_orgs
        self.kind, self.size, self.region = s.kind.tolist(), s.size.tolist(), s.region.tolist()
        self.leadership = s.leadership.tolist()
        self.trust, self.baseline, self.distance = s.trust.copy(), s.trust_baseline.copy(), s.culture_distance.copy()
        self.level = s.data_level.copy()
        self.clinical = s.clinical.copy()
        self.coordinator, self.complexity, self.mandate = s.coordinator, prog.complexity, prog.features.physician_mandate
        self.volume_multiplier = s.volume_multiplier
        partners = s.clinical
        self.visibility = (((self.level == 3) & partners[None, :]).sum(axis=1) / max(int(partners.sum()) - 1, 1)).tolist()
        views = s.views.tolist()
        self.clinician_list = [
            Clinician(self, int(s.clin_org[i]), int(s.role[i]), float(s.engagement[i]), float(s.engagement_baseline[i]), views[i], bool(s.champion[i]))
            for i in range(s.n_clinicians)
        ]  # fmt: skip
        self.members: list[list[Clinician]] = [[] for _ in range(self.n_orgs)]
        for c in self.clinician_list:
            self.members[c.org].append(c)
        n = s.n_clinicians
        a, b = np.divmod(s.tie_keys, n)
        self.ties = {(self.clinician_list[i], self.clinician_list[j]): w for i, j, w in zip(a.tolist(), b.tolist(), s.tie_weights.tolist(), strict=True)}
        self.datacollector = mesa.DataCollector({"consensus": consensus, "trust_mean": trust_mean, "engagement": engagement})
        self.datacollector.collect(self)

    # ---------------------------------------------------------------- schedule
    def step(self) -> None:
        """One week: meetings, clinicians interact, trust, matching, clinicians adapt, observe."""
        self.contacts: list[tuple[Clinician, Clinician]] = []
        self.outcomes: list[tuple[int, int, bool, bool]] = []  # sender org, receiver org, success, referral ok
        self.handoff_pairs: list[tuple[Clinician, Clinician]] = []
        met = self.meetings()
        self.prepare_referrals()
        self.agents_by_type[Clinician].shuffle_do("step")
        self.update_trust(met)
        self.update_ties()
        self.match()
        self.agents_by_type[Clinician].shuffle_do("adapt")
        self.datacollector.collect(self)

    def meetings(self) -> np.ndarray:
        """Steering meetings every few steps: leaders of attending organizations pair up at random."""
        met = np.zeros((self.n_orgs, self.n_orgs), bool)
        if self.steps % self.p.meeting_interval != 0:
            return met
        attend = [o for o in range(self.n_orgs) if self.rng.random() < self.leadership[o]]
        for i in attend:
            for j in attend:
                met[i, j] = i != j
        reps = [self.random.choices(self.members[o], [c.engagement * (c.role == MANAGER) + 1e-9 for c in self.members[o]])[0] for o in attend]
        self.random.shuffle(reps)
        half = len(reps) // 2
        self.contacts.extend(zip(reps[:half], reps[half : 2 * half], strict=True))
        return met

    def prepare_referrals(self) -> None:
        """Per step: each hospital's discharge rate per unit participation, and where patients can go."""
        p = self.p
        per_step = p.volume_per_staff * p.step_days / 7.0 * self.volume_multiplier
        self.participation_cum = [list(accumulate(c.participation() for c in members)) for members in self.members]
        self.discharge_rate: dict[int, float] = {}
        self.referral_cum: dict[int, list[float]] = {}
        for o in range(self.n_orgs):
            if self.kind[o] != HOSPITAL:
                continue
            w = [
                max(self.trust[o, j], 0.01) * (p.catchment if self.region[o] == self.region[j] else 1.0 - p.catchment) * self.size[j]
                if self.kind[j] in RECEIVERS else 0.0
                for j in range(self.n_orgs)
            ]  # fmt: skip
            if sum(w) > 0:
                self.referral_cum[o] = list(accumulate(w))
                self.discharge_rate[o] = self.size[o] * per_step / self.participation_cum[o][-1]

    def hand_off(self, sender: Clinician) -> None:
        """One patient: a receiving partner by trust x catchment x capacity, a clinician there by participation."""
        p, o = self.p, sender.org
        cum = self.referral_cum[o]
        r = min(bisect_right(cum, self.random.random() * cum[-1]), self.n_orgs - 1)
        pc = self.participation_cum[r]
        receiver = self.members[r][min(bisect_right(pc, self.random.random() * pc[-1]), len(pc) - 1)]
        key = (sender, receiver) if sender.unique_id < receiver.unique_id else (receiver, sender)
        level = self.level[o, r]
        z = (p.handoff_intercept + p.handoff_data * level + p.handoff_trust * self.trust[o, r] + p.handoff_coordinator * self.coordinator
             + p.handoff_familiarity * self.ties.get(key, 0.0) - p.handoff_complexity * self.complexity)  # fmt: skip
        z_ref = p.handoff_intercept + p.handoff_data * level + p.referral_engagement * (2.0 * sender.engagement - 1.0) - p.handoff_complexity * self.complexity
        success = self.random.random() < 1.0 / (1.0 + math.exp(-z))
        referral_ok = self.random.random() < 1.0 / (1.0 + math.exp(-z_ref))
        if success:
            sender.successes += 1
            receiver.successes += 1
        self.outcomes.append((o, r, success, referral_ok))
        self.handoff_pairs.append(key)
        self.contacts.append((sender, receiver))

    def update_trust(self, met: np.ndarray) -> None:
        """Once per step from the rates of this step's experience; contact gains; relaxation otherwise."""
        p, n = self.p, self.n_orgs
        events, good = np.zeros((n, n)), np.zeros((n, n))
        for s, r, success, referral_ok in self.outcomes:
            events[s, r] += 1  # the sender judges how the receiver took the patient over
            good[s, r] += success
            events[r, s] += 1  # the receiver judges the referral
            good[r, s] += referral_ok
        t, had = self.trust, events > 0
        share = np.where(had, good / np.maximum(events, 1), 0.0)
        damping = 1.0 - p.culture_damping * self.distance
        breach = had & (self.rng.random((n, n)) < p.breach_probability * (1.0 - share))
        t = np.clip(t + had * p.trust_alpha * share * (1.0 - t) * damping - breach * p.trust_beta * t, 0.0, 1.0)
        t = np.where(met, t + p.meeting_trust * (1.0 - t) * damping, t)
        t = np.where(had | met, t, t + p.trust_relax * (self.baseline - t))
        self.baseline += p.baseline_drift * (t - self.baseline)
        np.fill_diagonal(t, 1.0)
        self.trust = t

    def update_ties(self) -> None:
        """Familiarity ties decay, the pairs that handed off a patient strengthen, the weakest are forgotten."""
        ties = {k: w * (1.0 - TIE_DECAY) for k, w in self.ties.items()}
        for key in set(self.handoff_pairs):
            w = ties.get(key, 0.0)
            ties[key] = w + TIE_GAIN * (1.0 - w)
        self.ties = {k: w for k, w in ties.items() if w >= TIE_FLOOR}

    def match(self) -> None:
        """A random disjoint subset of the step's contacts: a pair counts if neither member was in an earlier one."""
        self.random.shuffle(self.contacts)
        seen: set[Clinician] = set()
        for a, b in self.contacts:
            if a is not b and a not in seen and b not in seen:
                a.partner = (b.view, b.engagement, b.champion, b.org)
                b.partner = (a.view, a.engagement, a.champion, a.org)
            seen.add(a)
            seen.add(b)


def consensus(model: ReferenceModel) -> float:
    """1 - mean pairwise L1/K distance of views / (1/3), clipped to [0, 1]."""
    x = np.sort(np.array([c.view for c in model.clinician_list]), axis=0)
    n = x.shape[0]
    w = 2.0 * np.arange(n) - n + 1.0
    d = float((w[:, None] * x).sum(axis=0).mean() * 2.0 / (n * (n - 1)))
    return min(max(1.0 - 3.0 * d, 0.0), 1.0)


def trust_mean(model: ReferenceModel) -> float:
    """Mean trust over ordered pairs of distinct clinical partners."""
    idx = np.flatnonzero(model.clinical)
    sub = model.trust[np.ix_(idx, idx)]
    return float(sub[~np.eye(idx.size, dtype=bool)].mean())


def engagement(model: ReferenceModel) -> float:
    """Mean engagement of all clinicians."""
    return float(np.mean([c.engagement for c in model.clinician_list]))
