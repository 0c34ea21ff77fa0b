"""Patient transitions (ODD process 2): discharges from hospitals and clinician-to-clinician hand-offs.

Per step, in this order (each draw from the run's generator):

1. Discharges: hospital o discharges D_o ~ Poisson(v S_o) bundle patients, S_o its staff and
   v = volume_per_staff x step_days / 7 x volume multiplier (patients per staff member per step).
2. Receiver organization j of a patient of hospital h, with probability proportional to
   W[h, j] = max(T[h, j], 0.01) x c[h, j] x cap_j: the hospital's trust in j, the catchment weight
   c (``catchment`` within the hospital's region, 1 - ``catchment`` outside) and spare capacity
   cap_j = S_j x max(1 - min(overload_j, 0.95), 0.05) (0 for organizations that do not receive).
   A hospital with no possible receiver discharges to no partner.
3. The clinicians on both sides, each drawn within their organization with probability
   proportional to their participation weight.
4. Outcomes. The hand-off succeeds (the receiver takes the patient over well) with probability
   logistic(z), z = b0 + b_data L + b_trust T[s, r] + G + b_fam F - b_cplx X - b_over O_r,
   with L the pair's data level (0-3), G the program's support for hand-offs (:func:`support`:
   b_coord C + b_line [24/7 line] + b_tele [telemonitoring], C the coordinator: 1, a warm
   hand-off's share, or 0), F the two clinicians' familiarity tie, X the program's condition
   complexity and O_r the receiver's overload. The referral was complete and timely (the receiver's judgement of the sender) with
   probability logistic(b0 + b_data L + b_eng (2 e_a - 1) - b_cplx X), e_a the sender's engagement.

5. The care team (:func:`care_team`). A clinician agent stands for 1 / c staff (c =
   ``clinicians_per_staff``). So that every agent takes part in as many hand-offs per step whatever
   the resolution, each patient's hand-off involves m = c / c_ref pairs of clinicians on average
   (c_ref = ``REFERENCE_RESOLUTION``; floor(m) or ceil(m) pairs, the first being the pair above;
   for m < 1 the pair is kept with probability m). These pairs talk practice and share the
   hand-off's outcome (consensus, familiarity, engagement); trust and workload count patients.

References: Embuldeniya et al. (2018) Milbank Q 96(4) (hand-offs, coordinators, warm hand-offs,
"they know who they're sending the patient home with"); MODEL.md process 2.
"""

from __future__ import annotations

import math

import numpy as np

from abm.mechanisms._numba import as_generator, jit, search_right_near, total

REFERENCE_RESOLUTION = 0.02  # agents per staff at which one hand-off is one pair of clinicians (c_ref)


@jit
def per_staff(volume_multiplier, params):
    """Bundle patients discharged per hospital staff member per step: ``volume_per_staff`` x ``step_days`` / 7 x the
    program's volume multiplier (which events may change)."""
    p = params[0]
    return p.volume_per_staff * p.step_days / 7.0 * volume_multiplier


@jit
def discharges(gen, is_hospital, active, size, per_staff):
    """Sending organization of each discharged patient: Poisson(size x per_staff) per active hospital."""
    rng = as_generator(gen)
    n = size.size
    counts = np.zeros(n, np.int64)
    for o in range(n):
        counts[o] = rng.poisson(size[o] * per_staff if is_hospital[o] and active[o] else 0.0)
    return np.repeat(np.arange(n), counts)


@jit
def referral_weights(trust, hosp, catch, size, overload, receiving):
    """W (hospitals x organizations): trust x catchment x spare capacity (step 2 of the module docstring)."""
    n_org = size.size
    cap = np.empty(n_org)
    for j in range(n_org):
        spare = 1.0 - min(overload[j], 0.95)
        cap[j] = size[j] * max(spare, 0.05) if receiving[j] else 0.0
    w = np.empty((hosp.size, n_org))
    for r in range(hosp.size):
        for j in range(n_org):
            w[r, j] = max(trust[hosp[r], j], 0.01) * catch[r, j] * cap[j]
    return w


@jit
def choose_rows(gen, rows, w):
    """For each entry of ``rows`` (a row of ``w``), a column drawn with probability ~ that row's weights.

    Rows without weight are dropped first. Returns (kept entries' positions, chosen columns); one
    uniform draw per kept entry, one search over the row-offset cumulative weights. Only the rows in
    ``rows`` are read (the others may hold anything) and summed, each once.
    """
    rng = as_generator(gen)
    n_rows, n_col = w.shape
    row_total = np.empty(n_rows)
    summed = np.zeros(n_rows, np.bool_)
    kept = np.empty(rows.size, np.int64)
    m = 0
    for k in range(rows.size):
        r = rows[k]
        if not summed[r]:
            row_total[r] = total(w[r])
            summed[r] = True
        kept[m] = k
        m += row_total[r] > 0
    kept = kept[:m]
    cum = np.empty(n_rows * n_col)  # row r: its running sums / its total, + r (filled for the rows drawn from)
    filled = np.zeros(n_rows, np.bool_)
    u = rng.random(m)
    cols = np.empty(m, np.int64)
    for k in range(m):
        r = rows[kept[k]]
        if not filled[r]:
            acc = 0.0
            for j in range(n_col):
                acc += w[r, j]
                cum[r * n_col + j] = acc / row_total[r] + r
            filled[r] = True
        # (searched within row r only: earlier rows' sums are <= r, so the search over all of cum finds the same column)
        x = r + u[k] * (1.0 - 1e-12)
        idx = search_right_near(cum, r * n_col, (r + 1) * n_col, x, r * n_col + np.int64(u[k] * n_col)) - r * n_col
        cols[k] = min(idx, n_col - 1)
    return kept, cols


@jit
def patients(gen, is_hospital, is_receiver, active, size, per_staff, trust, hosp, hosp_row, catch, overload):
    """This step's patients: (sending organization, receiving organization) of each (steps 1-2).

    ``hosp`` lists the hospitals (the rows of the referral weights), ``hosp_row`` maps a hospital
    to its row. Nothing more is drawn when nobody is discharged or no partner can receive.
    """
    senders = discharges(gen, is_hospital, active, size, per_staff)
    receiving = is_receiver & active
    if senders.size == 0 or not receiving.any():
        return senders[:0], senders[:0]
    w = referral_weights(trust, hosp, catch, size, overload, receiving)
    rows = np.empty(senders.size, np.int64)
    for k in range(senders.size):
        rows[k] = hosp_row[senders[k]]
    kept, receivers = choose_rows(gen, rows, w)
    return senders[kept], receivers


@jit
def cumulative(weight):
    """The running sums of clinicians' weights, from 0 (``weight.size + 1`` values): what :func:`pick_in_blocks`
    searches. Participation weights are fixed within a step, so a step sums them once."""
    cum = np.empty(weight.size + 1)
    cum[0] = 0.0
    acc = 0.0
    for i in range(weight.size):
        acc += weight[i]
        cum[i + 1] = acc
    return cum


@jit
def pick_in_blocks(u, org, cum, block_start):
    """For each entry of ``org``, a clinician of that organization with probability ~ their weight, from uniform ``u``.

    ``cum``: the clinicians' :func:`cumulative` weights. Clinicians are stored contiguously by organization:
    organization o's are ``block_start[o]:block_start[o + 1]``.
    """
    out = np.empty(org.size, np.int64)
    for k in range(org.size):
        first, end = block_start[org[k]], block_start[org[k] + 1]
        lo, hi = cum[first], cum[end]
        # (searched within the block only: the sums before it are <= lo, so a search of all of cum finds the same)
        idx = search_right_near(cum, first, end + 1, lo + u[k] * (hi - lo), first + 1 + np.int64(u[k] * (end - first))) - 1
        out[k] = min(max(idx, first), end - 1)
    return out


@jit
def pick_clinicians(gen, sender_org, receiver_org, cum, block_start):
    """The clinicians on both sides of each hand-off (step 3), one draw for both: (senders, receivers).
    ``cum``: the :func:`cumulative` participation weights."""
    n = sender_org.size
    both = np.concatenate((sender_org, receiver_org))
    ab = pick_in_blocks(as_generator(gen).random(2 * n), both, cum, block_start)
    return ab[:n], ab[n:]


@jit
def logistic(z):
    """1 / (1 + exp(-z))."""
    return 1.0 / (1.0 + math.exp(-z))


@jit
def support(coordinator, line_24_7, telemonitoring, params):
    """G: the program's support for hand-offs on the logit scale: b_coord C + b_line [24/7 line] + b_tele [telemonitoring]."""
    p = params[0]
    return (
        p.handoff_coordinator * coordinator + p.handoff_line_24_7 * (1.0 if line_24_7 else 0.0)
        + p.handoff_telemonitoring * (1.0 if telemonitoring else 0.0)
    )  # fmt: skip


@jit
def care_team(gen, sender_org, receiver_org, lead_a, lead_b, cum, block_start, m):
    """Clinician pairs working on each patient's hand-off (step 5): (patient index, senders, receivers).

    The lead pair (``lead_a``, ``lead_b``) and, for m > 1, floor(m) - 1 or ceil(m) - 1 more pairs
    drawn like the lead pair; for m < 1, the lead pair with probability m. No draw when m = 1.
    """
    n = sender_org.size
    if m == 1.0:
        return np.arange(n), lead_a, lead_b
    rng = as_generator(gen)
    whole = math.floor(m)
    u = rng.random(n)
    counts = np.empty(n, np.int64)
    for k in range(n):
        counts[k] = whole + (1 if u[k] < m - whole else 0)
    if m < 1.0:
        keep = np.flatnonzero(counts)
        return keep, lead_a[keep], lead_b[keep]
    extra = np.repeat(np.arange(n), counts - 1)
    ea, eb = pick_clinicians(gen, sender_org[extra], receiver_org[extra], cum, block_start)
    return np.concatenate((np.arange(n), extra)), np.concatenate((lead_a, ea)), np.concatenate((lead_b, eb))


@jit
def outcomes(gen, sender_org, receiver_org, sender, familiarity, level, trust, engagement, overload, support, complexity, params):
    """Success and referral quality of each hand-off (step 4 of the module docstring): two bool arrays."""
    p = params[0]
    n = sender_org.size
    u = as_generator(gen).random(2 * n)
    success = np.empty(n, np.bool_)
    referral_ok = np.empty(n, np.bool_)
    for k in range(n):
        s, r = sender_org[k], receiver_org[k]
        lv = float(level[s, r])
        z = (
            p.handoff_intercept + p.handoff_data * lv + p.handoff_trust * trust[s, r] + support
            + p.handoff_familiarity * familiarity[k] - p.handoff_complexity * complexity - p.handoff_overload * overload[r]
        )  # fmt: skip
        z_ref = p.handoff_intercept + p.handoff_data * lv + p.referral_engagement * (2.0 * engagement[sender[k]] - 1.0)
        success[k] = u[k] < logistic(z)
        referral_ok[k] = u[n + k] < logistic(z_ref)
    return success, referral_ok
