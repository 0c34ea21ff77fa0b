"""Planned interactions (ODD process 3) and everyday team contact: who meets whom this step.

* Steering meeting (every ``meeting_interval`` steps): organization o attends with probability
  equal to its leadership L_o; every two attending organizations have met; their representatives
  (managers, drawn by engagement; m per organization on average, m = resolution / reference as for
  hand-offs, see :mod:`~abm.mechanisms.patient_flow`) are matched at random for a practice
  conversation. Meeting at the steering table builds trust but is not joint work (no link upgrade).
* Work shadowing: each live clinical clinician visits a partner of the other sector (hospital vs
  community) with probability ``shadowing_rate`` per step; the host organization is drawn
  uniformly among those partners (any other clinical partner if the program has a single sector)
  and the host clinician by participation.
* Virtual rounds (programs that have them, P4): the same draw as shadowing at rate
  ``virtual_rounds_rate``: a clinician joins the rounds of a partner of the other sector by video.
  Like shadowing they are joint work and practice contact; they build trust at the meeting rate and
  do not narrow culture distance.
* What organizations see of shadowing and virtual rounds (trust from contact, culture distance, joint
  work) counts each visit with probability 1 / m (:func:`org_visits`): an agent stands for m times the
  staff of the reference resolution, so m times as many agents visit; every visit is still a practice
  conversation between the two clinicians.
* Champion outreach: each champion contacts Poisson(``outreach_rate``) live clinicians, uniformly.
* Participation: who takes part in an interaction is drawn within their organization with weight
  w_i = 0.05 + e_i (live clinicians; 0 for a departed partner's), or 1.05 for a live physician
  under a physician mandate (P4): engaged clinicians take part more.
* Team contact: each live clinician talks practice with a uniformly drawn colleague of their own
  organization with probability ``team_contact`` per step.

References: Embuldeniya et al. (2018) (steering committees, P3 "elbow to elbow" shadowing, P5
champions); MODEL.md process 3.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import as_generator, flatnonzero, jit, permutation
from abm.mechanisms.patient_flow import choose_rows, cumulative, pick_in_blocks


@jit
def participation(engagement, live, mandated):
    """Participation weight w_i of each clinician (module docstring); ``mandated``: physicians under a mandate."""
    w = np.empty(engagement.size)
    for i in range(engagement.size):
        w[i] = (1.05 if mandated[i] else 0.05 + engagement[i]) if live[i] else 0.0
    return w


@jit
def meeting(gen, active, leadership, engagement, manager, block_start, m):
    """Who attends (per organization), which pairs of organizations met, and a random matching of representatives.

    An attending organization sends floor(m) or ceil(m) representatives (at least one; m = 1: one, no draw).
    Returns (attend, met, rep_a, rep_b).
    """
    rng = as_generator(gen)
    n_org = active.size
    u = rng.random(n_org)
    attend = np.empty(n_org, np.bool_)
    for o in range(n_org):
        attend[o] = active[o] and u[o] < leadership[o]
    met = np.zeros((n_org, n_org), np.bool_)
    for i in range(n_org):
        for j in range(n_org):
            met[i, j] = attend[i] & attend[j] & (i != j)
    lead_w = np.empty(engagement.size)
    for i in range(engagement.size):
        lead_w[i] = engagement[i] * (1.0 if manager[i] else 0.0) + 1e-9
    orgs = np.flatnonzero(attend)
    if m != 1.0:
        whole = np.floor(m)
        v = rng.random(orgs.size)
        counts = np.empty(orgs.size, np.int64)
        for k in range(orgs.size):
            counts[k] = max(1, int(whole) + (1 if v[k] < m - whole else 0))
        orgs = np.repeat(orgs, counts)
    reps = pick_in_blocks(rng.random(orgs.size), orgs, cumulative(lead_w), block_start)
    perm = permutation(rng, reps)
    half = perm.size // 2
    return attend, met, perm[:half], perm[half : 2 * half]


@jit
def shadowing(gen, clin_org, active, clinical, is_hospital, cum, block_start, rate):
    """This step's shadowing visits: (visitors, hosts, visitor organizations, host organizations).

    One uniform draw per clinician decides who visits; the host organization and the host are then
    drawn as described in the module docstring (``cum``: the :func:`~abm.mechanisms.patient_flow.cumulative`
    participation weights).
    """
    rng = as_generator(gen)
    n_org = active.size
    u = rng.random(clin_org.size)
    n_vis = 0
    for i in range(clin_org.size):
        o = clin_org[i]
        if active[o] and clinical[o] and u[i] < rate:
            n_vis += 1
    visitors = np.empty(n_vis, np.int64)
    k = 0
    for i in range(clin_org.size):
        o = clin_org[i]
        if active[o] and clinical[o] and u[i] < rate:
            visitors[k] = i
            k += 1
    w = np.empty((n_org, n_org))  # host weights (the visitors' rows): partners of the other sector, else any other partner
    visiting = np.zeros(n_org, np.bool_)
    for k in range(n_vis):
        visiting[clin_org[visitors[k]]] = True
    for i in range(n_org):
        if not visiting[i]:
            continue
        n_other = 0
        for j in range(n_org):
            other = active[j] & clinical[j] & (is_hospital[i] != is_hospital[j])
            w[i, j] = 1.0 if other else 0.0
            n_other += other
        if n_other == 0:
            for j in range(n_org):
                w[i, j] = 1.0 if active[j] and clinical[j] and i != j else 0.0
    v_org = np.empty(n_vis, np.int64)
    for k in range(n_vis):
        v_org[k] = clin_org[visitors[k]]
    kept, h_org = choose_rows(gen, v_org, w)
    hosts = pick_in_blocks(rng.random(kept.size), h_org, cum, block_start)
    return visitors[kept], hosts, v_org[kept], h_org


@jit
def org_visits(gen, v_org, h_org, n_org, m):
    """Visits as the organizations count them (:func:`visit_counts`): each visit kept with probability 1 / m.

    A clinician agent stands for m times the staff of the reference resolution, so m times as many
    agents visit; what the organizations see (trust from contact, culture distance, joint work) must not
    grow with the resolution. m = 1: every visit, nothing drawn.
    """
    if m == 1.0:
        return visit_counts(v_org, h_org, n_org)
    u = as_generator(gen).random(v_org.size)
    keep = u < 1.0 / m
    return visit_counts(v_org[keep], h_org[keep], n_org)


@jit
def visit_counts(v_org, h_org, n_org):
    """Shadowing visits between each pair of organizations, both directions counted (symmetric)."""
    counts = np.zeros((n_org, n_org), np.int64)
    for k in range(v_org.size):
        counts[v_org[k], h_org[k]] += 1
        counts[h_org[k], v_org[k]] += 1
    return counts


@jit
def champion_outreach(gen, live_idx, champion, rate):
    """Champions' contacts this step: (champion of each contact, the clinician contacted).

    Nothing is drawn when no live clinician is a champion.
    """
    rng = as_generator(gen)
    n_ch = 0
    for i in live_idx:
        n_ch += 1 if champion[i] else 0
    champs = np.empty(n_ch, np.int64)
    if n_ch == 0:
        return champs, champs
    k = 0
    for i in live_idx:
        if champion[i]:
            champs[k] = i
            k += 1
    contacts = np.repeat(champs, rng.poisson(rate, n_ch))
    u = rng.random(contacts.size)
    targets = np.empty(contacts.size, np.int64)
    for k in range(contacts.size):
        targets[k] = live_idx[int(u[k] * live_idx.size)]
    return contacts, targets


@jit
def team_contacts(gen, live, clin_org, block_start, rate):
    """Clinicians who talk with a colleague of their own organization this step, and the colleague."""
    rng = as_generator(gen)
    team = flatnonzero(live & (rng.random(live.size) < rate))
    m = team.size
    v = rng.random(m)
    mates = np.empty(m, np.int64)
    for k in range(m):
        lo, hi = block_start[clin_org[team[k]]], block_start[clin_org[team[k]] + 1]
        mates[k] = min(lo + np.int64(v[k] * (hi - lo)), hi - 1)
    return team, mates


@jit
def counts_per(idx, n):
    """How many times each of 0..n-1 appears in ``idx``."""
    out = np.zeros(n, np.int64)
    for i in idx:
        out[i] += 1
    return out
