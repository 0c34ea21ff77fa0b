"""Weeks in compiled code: the fast path for runs that nobody watches between weeks.

:meth:`abm.model.IntegrationModel.step` runs one week as Python calls to the compiled mechanisms:
the path of Mesa's ``batch_run``, interactive viewers and users. Batch runs, sensitivity analysis,
calibration and validation read only a run's tables (``abm.run.run_once``), so :meth:`~abm.model.IntegrationModel.run_weeks`
runs the same weeks here, in one compiled loop (:func:`run_weeks`) that calls the same compiled
mechanism functions in the same order, with the same draws from the same generator. No rule has a
second copy: this module only wires the mechanisms, as ``step()`` does. Measurement and detection
(process 10, :func:`observe`) are shared: ``step()`` calls this module's :func:`observe` too (through
:func:`observe_logged`).
``tests/abm/test_engine.py`` checks that both paths give identical numbers, bit for bit.

Configured milestone events (:func:`abm.mechanisms.milestones.apply_effects`, and a ``leave``'s removal) and
partners' exits (:func:`abm.mechanisms.exit.remove`) are applied in the loop, with the functions ``step()``
uses, and logged in its log (codes :data:`EVENT`, :data:`PARTNER_EXIT`). The loop returns to Python only for a
merger (:func:`abm.merger.merge`): status ``DUE``, before the week's processes, with the indices of the events
due that week, which Python applies (all of them, in order); it then resumes with the week's processes.

The mechanisms return new arrays, as they do for ``step()``: the loop keeps the newest in local
variables and returns them (:data:`Arrays`, and the familiarity ties) for the model to hold; arrays a
mechanism updates in place (last contact, detection flags) are the model's own (:data:`Frame`).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import types
from numba.typed import List

from abm import outcomes
from abm.mechanisms import (
    consensus,
    data_sharing,
    detection,
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
from abm.mechanisms._numba import as_generator, jit, jit_inline, mean_by_org, skip

# where a call starts its first week, and why it returned
MILESTONES, PROCESSES = 0, 1
DONE, DUE = 0, 1
# codes of the log's entries (step, code, i, j). Milestones detected in process 10 (abm.model.DETECTED names them);
# PARTNER_EXIT: organization i left, j its source (DETECTED_SOURCE: process 9; CONFIGURED_SOURCE: an event's leave);
# EVENT: configured event i fired, touching organization j, or everyone (j = ALL), or nobody (j = NOBODY); EVENT_MORE:
# one more organization j that event i touched (one entry each after the first)
NEW_LINK, TRUST_COLLAPSE, CONSENSUS_REACHED, INTEGRATION_REACHED, PARTNER_EXIT, EVENT, EVENT_MORE = 0, 1, 2, 3, 4, 5, 6
DETECTED_SOURCE, CONFIGURED_SOURCE = 0, 1
ALL, NOBODY = -1, -2
PATHWAY_NONE, PATHWAY_CO_DESIGN, PATHWAY_TOP_DOWN = 0, 1, 2
ALGEBRAIC_CONNECTIVITY_MAX_ORGS = outcomes.ALGEBRAIC_CONNECTIVITY_MAX_ORGS

Frame = namedtuple(
    "Frame",
    [
        # organizations
        "active", "exited_at", "size", "resources", "leadership", "clinical", "original_clinical", "is_hospital", "is_receiver",
        "hosp", "hosp_row", "hosp_catch",
        # pairs of organizations
        "last_contact", "p_up",
        # clinicians
        "clin_org", "block_start", "physician", "manager", "mandated", "engagement_baseline", "champion", "tie_keys", "tie_weights",
        # configured milestone events (abm.events.table; fired: updated in place), indices of their category and
        # valence in obs.cum; what process 10 reads and keeps (an Observation)
        "at", "hazard", "repeat", "fired", "ev_effects", "ev_targets", "ev_to_all", "ev_leave", "ev_python", "ev_cat",
        "ev_val", "obs",
        # what is fixed for the call (volume multiplier and coordinator: until an event changes them)
        "volume", "coordinator", "line_24_7", "telemonitoring", "complexity", "team_m", "bundle_days", "meeting_interval",
        "workshop_interval", "pathway", "shadowing", "rounds", "engagement_on", "trust_on", "mixing_random",
        "co_design_on", "data_on", "links_fixed", "burden", "exit_on",
    ],
)  # fmt: skip
Observation = namedtuple(
    "Observation",
    [
        "original_clinical", "care_pairs", "handoff_counts",  # what is measured (besides Arrays and membership)
        "collapsed", "seen_level", "seen_active", "ever_linked", "link_values", "reached",  # what detection keeps
        "cum", "detected_cat", "detected_val", "alg_max_orgs",  # milestone counts: log codes (but EVENT, EVENT_MORE) -> columns of cum
        "view_order",  # the rows that sorted each column of the views last time (outcomes.sorted_columns_by)
    ],
)  # fmt: skip
Observation.__doc__ = "What process 10 (:func:`observe`) reads besides the replaced arrays, and keeps between weeks (updated in place)."
Frame.__doc__ = "What a compiled week reads, and the state it updates in place (shared with the model, not copied), and its settings."
Arrays = namedtuple(
    "Arrays",
    ["trust", "trust_baseline", "culture_distance", "data_level", "structure", "flow", "quality", "engagement", "views", "activity", "overload"],
)  # fmt: skip
Arrays.__doc__ = "The state arrays a week replaces (its mechanisms return new arrays): passed in, and the new ones returned."


@jit
def _cat(parts):
    """The int64 arrays of the list ``parts`` end to end (``np.concatenate`` of a list)."""
    n = 0
    for x in parts:
        n += x.size
    out = np.empty(n, np.int64)
    k = 0
    for x in parts:
        out[k : k + x.size] = x
        k += x.size
    return out


@jit
def members(active, clin_org, physician, clinical):
    """Who takes part while membership is unchanged: live clinicians (bool) and their indices, live
    physicians' indices, partners (bool), ordered partner pairs (flat indices) and partner pairs i < j."""
    n_org = active.size
    live = active[clin_org]
    live_idx = np.flatnonzero(live)
    phys_idx = np.flatnonzero(live & physician)
    partners = active & clinical
    pairs = np.zeros((n_org, n_org), np.bool_)
    for i in range(n_org):
        for j in range(n_org):
            pairs[i, j] = partners[i] and partners[j] and i != j
    upper = np.zeros((n_org, n_org), np.bool_)
    for i in range(n_org):
        for j in range(i + 1, n_org):
            upper[i, j] = pairs[i, j]
    return live, live_idx, phys_idx, partners, np.flatnonzero(pairs.ravel()), upper


@jit
def _cross_sector_visits(f, active, gen, cum, rate, activity, contacts, firsts, seconds, no_visits):
    """Shadowing or virtual-rounds visits at ``rate`` (as IntegrationModel._cross_sector_visits): (visits per pair
    of organizations, whether anybody visited; ``no_visits`` if nobody did)."""
    n_org = active.size
    visitors, hosts, v_org, h_org = interactions.shadowing(
        gen, f.clin_org, active, f.clinical, f.is_hospital, cum, f.block_start, rate
    )
    if visitors.size == 0:
        return no_visits, False
    visited = interactions.counts_per(v_org, n_org)
    for o in range(n_org):
        activity[o] += 1.0 if visited[o] > 0 else 0.0
    contacts.append(familiarity.pair_keys(visitors, hosts, f.clin_org.size))
    firsts.append(visitors)
    seconds.append(hosts)
    return interactions.org_visits(gen, v_org, h_org, n_org, f.team_m), True


_LOG_ENTRY = types.UniTuple(types.int64, 4)


@jit
def new_log():
    """An empty log of detected milestones: (step, code, i, j) entries."""
    return List.empty_list(_LOG_ENTRY)


@jit
def log_rows(log):
    """The log's entries as rows of an int64 array (m, 4): step, code, i, j (Python reads it in one piece)."""
    out = np.empty((len(log), 4), np.int64)
    for k in range(len(log)):
        for c in range(4):
            out[k, c] = log[k][c]
    return out


@jit
def _log(o, log, step, code, i, j):
    """One detected milestone: its log entry and its counts (category and valence) in ``cum``."""
    log.append((step, code, i, j))
    o.cum[o.detected_cat[code]] += 1.0
    o.cum[o.detected_val[code]] += 1.0


@jit
def _fire(f, gen, k, step, log, active, exited_at, pairs, clinicians, program):
    """Configured event ``k`` in process 1, as :meth:`abm.model.IntegrationModel._apply_event` applies it (but a
    merger): its effects on its active targets (:func:`abm.mechanisms.milestones.apply_effects`: ``pairs``,
    ``clinicians``, ``program`` as it takes them), its log entry, and for a ``leave`` its targets removed, each a
    "partner exit" (source: configured). Returns the new (active, exited_at, pairs, clinicians, program)."""
    o = f.obs
    mask = f.ev_targets[k] & active
    pairs, clinicians, program = ms.apply_effects(
        gen, f.ev_effects[k], mask, active, f.clin_org, pairs, clinicians, (f.resources, f.leadership), program
    )
    o.cum[f.ev_cat[k]] += 1.0
    o.cum[f.ev_val[k]] += 1.0
    touched = np.flatnonzero(mask)
    if f.ev_to_all[k] or not touched.size:
        log.append((step, EVENT, k, ALL if f.ev_to_all[k] else NOBODY))
    else:
        log.append((step, EVENT, k, touched[0]))
        for m in range(1, touched.size):
            log.append((step, EVENT_MORE, k, touched[m]))
    if f.ev_leave[k]:
        trust, distance, structure, level = pairs
        eng, views, champion = clinicians
        active, exited_at, level, structure, champion, gone = partner_exit.remove(
            mask, active, exited_at, level, structure, champion, f.clin_org, step
        )
        for i in gone:
            _log(o, log, step, PARTNER_EXIT, i, CONFIGURED_SOURCE)
        pairs, clinicians = (trust, distance, structure, level), (eng, views, champion)
    return active, exited_at, pairs, clinicians, program


@jit_inline
def observe(o, a, active, who, params, step, row, log):
    """Process 10: the outcomes into ``row`` (the order of abm.model.metric_names) and milestones detected into ``log``.

    Consensus is over all original clinicians; link measures are recomputed only when links or
    membership changed since the last observation (``link_values``). ``o``: the :data:`Observation`; ``a``: the
    state's :data:`Arrays`; ``active``: the partners; ``who``: their :func:`members`.
    """
    p = params[0]
    n_handoffs, n_success = o.handoff_counts[0], o.handoff_counts[1]
    _, live_idx, phys_idx, partners, partner_pair_idx, upper = who
    c = outcomes.consensus_of_sorted(outcomes.sorted_columns_by(a.views, o.view_order)) if live_idx.size else 0.0
    t_mean, t_min, e_live, e_phys = outcomes.trust_and_engagement(a.trust, partner_pair_idx, a.engagement, live_idx, phys_idx)
    ci, cj = detection.trust_collapses(a.trust, o.collapsed, upper, p.link_collapse_trust)
    li, lj = np.zeros(0, np.int64), np.zeros(0, np.int64)
    if outcomes.links_changed(a.data_level, active, o.seen_level, o.seen_active):
        systems, level = outcomes.connectivity(a.data_level, active, o.original_clinical)
        alg = outcomes.algebraic_connectivity(a.data_level, partners) if active.size <= o.alg_max_orgs else np.nan
        o.link_values[0], o.link_values[1], o.link_values[2] = systems, level, alg
        li, lj = detection.new_links(a.data_level, o.ever_linked)
    systems, link_level, alg = o.link_values[0], o.link_values[1], o.link_values[2]
    shared = structures.mean_structure(a.structure, active, o.original_clinical)
    routine = routines.share_routine(a.flow, a.quality, o.care_pairs, active, params)
    k = outcomes.composite_connectivity(systems, shared, routine)
    integration = math.sqrt(c * k)
    for m in range(li.size):
        _log(o, log, step, NEW_LINK, li[m], lj[m])
    for m in range(ci.size):
        _log(o, log, step, TRUST_COLLAPSE, ci[m], cj[m])
    if detection.crossed(c, p.consensus_threshold, o.reached[0]):
        o.reached[0] = True
        _log(o, log, step, CONSENSUS_REACHED, -1, -1)
    if detection.crossed(integration, p.integration_threshold, o.reached[1]):
        o.reached[1] = True
        _log(o, log, step, INTEGRATION_REACHED, -1, -1)
    n_orig, n_kept = 0, 0
    for org in range(active.size):
        if o.original_clinical[org]:
            n_orig += 1
            n_kept += 1 if active[org] else 0
    n_active = 0
    for org in range(active.size):
        n_active += 1 if active[org] else 0
    values = (
        c, k, systems, shared, routine, integration, t_mean, t_min, e_live, e_phys, float(n_handoffs),
        n_success / n_handoffs if n_handoffs else np.nan, link_level, alg, float(n_active),
        n_kept / n_orig if n_orig else 1.0,
    )  # fmt: skip
    for m in range(len(values)):
        row[m] = values[m]
    for m in range(o.cum.size):
        row[len(values) + m] = o.cum[m]
    return log


@jit
def observe_logged(o, a, active, who, params, step, row):
    """:func:`observe` into a fresh log, returned as :func:`log_rows`: one compiled call where Python observes a
    week (``step()``'s process 10), instead of three that pass the log back and forth."""
    return log_rows(observe(o, a, active, who, params, step, row, new_log()))


@jit
def run_weeks(f, a, params, gen, first, last, phase, rows, row0, org_rows):
    """Weeks ``first``..``last`` (the first from ``phase``: ``MILESTONES``, or ``PROCESSES`` once its events
    were applied), their outcomes into ``rows[step - row0]`` and, if ``org_rows`` has rows, each organization's
    mean engagement into ``org_rows[step - row0]`` (:func:`abm.mechanisms._numba.mean_by_org`).

    The processes are those of :meth:`abm.model.IntegrationModel.step`, in its order, with its draws.
    ``a``: the state's arrays that mechanisms replace. Returns (status, step, indices, tie keys, tie weights,
    log, arrays, held): ``DONE`` after ``last``; ``DUE`` at a week whose configured events (indices) include a
    merger, before its processes. ``log``: the milestones logged, one row (step, code, i, j) each
    (:func:`log_rows`); ``arrays``: the state's new arrays in the order of :data:`Arrays`; ``held``: what events and
    exits replace besides, (active, exited_at, champion, volume multiplier, coordinator) (plain tuples: returning a
    named one makes numba look its class up again at every return).
    """
    p = params[0]
    rng = as_generator(gen)
    n_org, n = f.active.size, f.clin_org.size
    log = new_log()
    keys, weights = f.tie_keys, f.tie_weights
    trust, baseline, distance, level, structure = a.trust, a.trust_baseline, a.culture_distance, a.data_level, a.structure
    flows, quality, eng, views, smoothed, overload = a.flow, a.quality, a.engagement, a.views, a.activity, a.overload
    active, exited_at, champion, volume, coordinator = f.active, f.exited_at, f.champion, f.volume, f.coordinator
    per_staff, support = flow.per_staff(volume, params), flow.support(coordinator, f.line_24_7, f.telemonitoring, params)
    no_visits = np.zeros((n_org, n_org), np.int64)  # "nobody met / visited this week" (read, never written)
    no_meetings = np.zeros((n_org, n_org), np.bool_)
    membership = members(active, f.clin_org, f.physician, f.clinical)
    live, live_idx, _, partners, _, _ = membership
    per_org = np.diff(f.block_start)  # clinicians per organization
    for step in range(first, last + 1):
        # 1. milestone events due this step (a merger: Python applies the week's events)
        if phase == MILESTONES and f.at.size:
            due = ms.due(rng.random(f.at.size), f.at, f.hazard, f.repeat, f.fired, step)
            if due.size:
                for k in due:
                    if f.ev_python[k]:
                        return DUE, step, due, keys, weights, log_rows(log), (trust, baseline, distance, level, structure, flows, quality, eng, views, smoothed, overload), (active, exited_at, champion, volume, coordinator)
                n_active = np.count_nonzero(active)
                for k in due:
                    f.fired[k] = True
                    active, exited_at, pairs, clinicians, program = _fire(
                        f, gen, k, step, log, active, exited_at, (trust, distance, structure, level), (eng, views, champion),
                        (volume, coordinator),
                    )  # fmt: skip
                    trust, distance, structure, level = pairs
                    eng, views, champion = clinicians
                    volume, coordinator = program
                per_staff, support = flow.per_staff(volume, params), flow.support(coordinator, f.line_24_7, f.telemonitoring, params)
                if np.count_nonzero(active) != n_active:  # (a `leave`)
                    membership = members(active, f.clin_org, f.physician, f.clinical)
                    live, live_idx, _, partners, _, _ = membership
        cum = flow.cumulative(interactions.participation(eng, live, f.mandated))  # (the weights are summed once a week)
        contacts = List()
        contacts.append(np.zeros(0, np.int64))
        firsts, seconds = List(), List()  # this week's practice contacts (a, b): arrays, in the order of step()
        # 2. patient transitions
        s_org, r_org = flow.patients(
            gen, f.is_hospital, f.is_receiver, active, f.size, per_staff, trust, f.hosp, f.hosp_row,
            f.hosp_catch, overload,
        )  # fmt: skip
        success = np.zeros(0, np.bool_)
        referral_ok = np.zeros(0, np.bool_)
        ta, tb, team_success = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.bool_)
        if s_org.size:
            a, b = flow.pick_clinicians(gen, s_org, r_org, cum, f.block_start)
            _, tie = familiarity.lookup(keys, weights, a, b, n)
            success, referral_ok = flow.outcomes(
                gen, s_org, r_org, a, tie, level, trust, eng, overload, support,
                f.complexity, params,
            )  # fmt: skip
            patient, ta, tb = flow.care_team(gen, s_org, r_org, a, b, cum, f.block_start, f.team_m)
            team_success = success[patient]
            contacts.append(familiarity.pair_keys(ta, tb, n))
            firsts.append(ta)
            seconds.append(tb)
        f.obs.handoff_counts[0], f.obs.handoff_counts[1] = s_org.size, np.count_nonzero(success)
        # 3. planned interactions
        activity = np.zeros(n_org)
        met = no_meetings
        if step % f.meeting_interval == 0:
            attend, met, rep_a, rep_b = interactions.meeting(
                gen, active, f.leadership, eng, f.manager, f.block_start, f.team_m
            )
            for o in range(n_org):
                activity[o] += 1.0 if attend[o] else 0.0
            firsts.append(rep_a)
            seconds.append(rep_b)
        shadow, rounds, shadowed, rounded = no_visits, no_visits, False, False
        if f.shadowing:
            shadow, shadowed = _cross_sector_visits(f, active, gen, cum, p.shadowing_rate, activity, contacts, firsts, seconds, no_visits)
        if f.rounds:
            rounds, rounded = _cross_sector_visits(f, active, gen, cum, p.virtual_rounds_rate, activity, contacts, firsts, seconds, no_visits)
        champion_contacts = np.zeros(0, np.int64)
        if f.engagement_on:
            c_from, c_to = interactions.champion_outreach(gen, live_idx, champion, p.outreach_rate)
            if c_from.size:
                champion_contacts = interactions.counts_per(c_to, n)
                firsts.append(c_from)
                seconds.append(c_to)
        # 4. trust
        joint, met_or_rounds = shadow, met  # joint work (shadowing, virtual rounds); meetings and rounds build trust
        if rounded:
            joint = shadow + rounds
            met_or_rounds = met | (rounds > 0)
        n_events, n_good = tr.experiences(s_org, r_org, success, referral_ok, joint, f.last_contact, step)
        keys, weights = familiarity.update_ties(keys, weights, _cat(contacts))
        if not f.trust_on:
            skip(gen, n_org * n_org)  # the draw it would make: knock-outs keep common random numbers
        else:
            trust, baseline = tr.update(gen, trust, baseline, distance, n_events, n_good, met_or_rounds, shadow, params)
            if shadowed:
                distance = tr.shrink_culture_distance(distance, shadow, params)
        # 5. consensus, then pathway development
        if f.mixing_random:
            ra, rb = consensus.random_matching(gen, live_idx)
            if ra.size:
                views = consensus.bounded_confidence(views, ra, rb, trust, f.clin_org, eng, champion, params)
        else:
            team, mates = interactions.team_contacts(gen, live, f.clin_org, f.block_start, p.team_contact)
            firsts.append(team)
            seconds.append(mates)
            views = consensus.interact(gen, views, _cat(firsts), _cat(seconds), trust, f.clin_org, eng, champion, params)
        included, directed = np.zeros(0, np.bool_), np.zeros(0, np.bool_)
        if step % f.workshop_interval == 0 and f.pathway != PATHWAY_NONE:
            if f.pathway == PATHWAY_CO_DESIGN and not f.co_design_on:
                skip(gen, n)  # the draw it would make: knock-outs keep common random numbers
            elif f.pathway == PATHWAY_CO_DESIGN:
                who = consensus.workshop_participants(gen, live, eng, params)
                if np.count_nonzero(who) >= 2:
                    views = consensus.pull_toward(views, who, consensus.mean_view(views, who), p.codesign_pull)
                    structure = structures.codesign(structure, f.clin_org, who, active, params)
                    included = who
                    took = interactions.counts_per(f.clin_org[who], n_org)
                    for o in range(n_org):
                        activity[o] += 1.0 if took[o] > 0 else 0.0
            else:
                leaders = consensus.leaders(live, f.manager, f.clin_org, active, f.size)
                if leaders.any():
                    views = consensus.directive(views, live, consensus.mean_view(views, leaders), eng, params)
                    directed = live
        # 6. engagement
        if f.engagement_on:
            eng = engagement.update(
                eng, f.engagement_baseline, engagement.successes(ta, tb, team_success, n),
                engagement.data_visibility(level, partners), f.physician, champion_contacts, included, directed,
                f.clin_org, f.leadership, overload, params,
            )  # fmt: skip
        # 7. data sharing and routines
        flows, quality = routines.update(flows, quality, s_org, r_org, success, params)
        if not f.data_on:
            skip(gen, n_org * n_org)  # the draw it would make: knock-outs keep common random numbers
        elif f.links_fixed:
            level = data_sharing.random_links(gen, level, active, p.link_upgrade)
        else:
            level = data_sharing.update_links(gen, level, trust, f.last_contact, step, f.resources, active, f.p_up, params)
        # 8. workload
        smoothed, overload = workload.update(
            smoothed, activity, level, active, f.size, f.resources, r_org, f.bundle_days, f.burden, params
        )
        # 9. partner exit
        if not f.exit_on:
            skip(gen, n_org)  # the draw it would make: knock-outs keep common random numbers
        else:
            leave = partner_exit.leavers(gen, f.clin_org, eng, trust, active, overload, params)
            if np.count_nonzero(leave):
                active, exited_at, level, structure, champion, gone = partner_exit.remove(
                    leave, active, exited_at, level, structure, champion, f.clin_org, step
                )
                for i in gone:
                    _log(f.obs, log, step, PARTNER_EXIT, i, DETECTED_SOURCE)
                membership = members(active, f.clin_org, f.physician, f.clinical)
                live, live_idx, _, partners, _, _ = membership
        # 10. observation
        now = Arrays(trust, baseline, distance, level, structure, flows, quality, eng, views, smoothed, overload)
        observe(f.obs, now, active, membership, params, step, rows[step - row0], log)
        if org_rows.shape[0]:
            org_rows[step - row0] = mean_by_org(eng, f.clin_org, per_org)
        phase = MILESTONES
    return DONE, last, np.zeros(0, np.int64), keys, weights, log_rows(log), (trust, baseline, distance, level, structure, flows, quality, eng, views, smoothed, overload), (active, exited_at, champion, volume, coordinator)

