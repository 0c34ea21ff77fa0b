"""Compiled kernels (numba) of the step's processes: the same numbers as the numpy mechanisms they fuse.

Each process of a step in :mod:`abm.model` used to be ~40 small numpy calls; at program scale (15
partners, 135 clinicians) their fixed cost of ~1 us each was the whole run time. Each kernel below
does one process's array work in one compiled call, drawing from the run's ``numpy.random.Generator``
through its bit generator's addresses (:func:`generator_handle`; numba's ``random``, ``poisson`` and
``permutation`` give NumPy's streams). The mechanism functions in :mod:`abm.mechanisms` remain the specification: every kernel
does the same arithmetic in the same order, sums included (:func:`pairwise_sum` is NumPy's
summation order), and ``tests/abm/test_kernels.py`` checks each against them bit for bit. The one
exception is ``exp`` in the hand-off logistic (NumPy's SIMD ``exp`` and libm's may differ in the
last bit); the result only enters a comparison with a uniform draw, so a run changes only if a
draw lands within one unit in the last place of the threshold (probability ~1e-16 per draw).

Kernels are compiled on first use and cached on disk (``cache=True``, in ``__pycache__``);
``python -m abm.kernels`` (run by ``make install``) compiles them all.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

jit = njit(cache=True, nogil=True)


# --------------------------------------------------------------------------- the run's generator
def generator_handle(rng: np.random.Generator) -> np.ndarray:
    """The addresses numba needs to draw from ``rng``'s bit generator (valid while ``rng`` lives).

    Numba can take a ``numpy.random.Generator`` argument, but unboxing one costs ~10 us per call (it
    looks up the bit generator's ctypes interface each time): more than the kernels themselves at
    program scale. The model builds this small array once per run and the kernels rebuild numba's
    generator from it (:func:`_as_generator`); the draws are the same, from the same state.
    """
    c = rng.bit_generator.ctypes
    fn = [ctypes.cast(f, ctypes.c_void_p).value for f in (c.next_uint64, c.next_uint32, c.next_double)]
    return np.array([c.state_address, *fn], np.uint64)


_GENERATOR = types.NumPyRandomGeneratorType("NumPyRandomGeneratorType")
_BIT_GENERATOR = types.NumPyRandomBitGeneratorType("bit_generator")


@intrinsic
def _as_generator(typingctx, handle):
    """Numba's Generator over the bit generator whose addresses :func:`generator_handle` gathered."""
    if not (isinstance(handle, types.Array) and handle.dtype == types.uint64):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data

        def word(i):
            return builder.load(builder.gep(data, [ir.Constant(ir.IntType(64), i)]))

        bits = cgutils.create_struct_proxy(_BIT_GENERATOR)(context, builder)
        bits.state_address = bits.state = word(0)
        bits.fnptr_next_uint64, bits.fnptr_next_uint32, bits.fnptr_next_double = word(1), word(2), word(3)
        gen = cgutils.create_struct_proxy(_GENERATOR)(context, builder)
        gen.bit_generator = bits._getvalue()  # no parent object, no meminfo: never boxed back to Python
        return gen._getvalue()

    return _GENERATOR(handle), codegen


# --------------------------------------------------------------------------- shared helpers
@jit
def _block_sum(a, lo, n):
    """NumPy's sum of a block of at most 128 values: eight interleaved partial sums, then the rest."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@jit
def pairwise_sum(a, lo, n):
    """Sum of ``a[lo:lo + n]`` in NumPy's order (``np.add.reduce`` on a contiguous 1-d array).

    NumPy halves a longer range (the first half a multiple of 8) and adds the two halves' sums; this
    walks the same tree with an explicit stack (numba's on-disk cache mishandles recursion).
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    st_lo = np.empty(64, np.int64)
    st_n = np.empty(64, np.int64)
    st_left = np.empty(64)  # the finished left half's sum, while the right half is summed
    st_right = np.zeros(64, np.bool_)  # True once the node's left half is done
    top = 0
    st_lo[0], st_n[0], st_right[0] = lo, n, False
    while True:
        cl, cn = st_lo[top], st_n[top]
        if cn > 128:  # descend into the left half
            half = cn // 2
            half -= half % 8
            top += 1
            st_lo[top], st_n[top], st_right[top] = cl, half, False
            continue
        v = _block_sum(a, cl, cn)
        top -= 1
        while top >= 0 and st_right[top]:  # both halves done: combine and pass up
            v = st_left[top] + v
            top -= 1
        if top < 0:
            return v
        st_left[top] = v  # left half done: the right half next
        st_right[top] = True
        half = st_n[top] // 2
        half -= half % 8
        top += 1
        st_lo[top], st_n[top], st_right[top] = st_lo[top - 1] + half, st_n[top - 1] - half, False


@jit
def _clip01(x):
    """``np.minimum(np.maximum(x, 0.0), 1.0)`` for one float."""
    x = x if x >= 0.0 else 0.0
    return x if x <= 1.0 else 1.0


@jit
def _pick_in_blocks(u, org, weight, block_start):
    """:func:`abm.mechanisms.patient_flow.pick_in_blocks` with its uniform draws ``u`` given."""
    n = weight.size
    cum = np.empty(n + 1)
    cum[0] = 0.0
    acc = 0.0
    for i in range(n):
        acc += weight[i]
        cum[i + 1] = acc
    out = np.empty(org.size, np.int64)
    for k in range(org.size):
        first, end = block_start[org[k]], block_start[org[k] + 1]
        lo, hi = cum[first], cum[end]
        idx = np.searchsorted(cum, lo + u[k] * (hi - lo), side="right") - 1
        idx = idx if idx >= first else first
        out[k] = idx if idx <= end - 1 else end - 1
    return out


# --------------------------------------------------------------------------- 2. patient transitions
@jit
def handoffs(
    gen, is_hospital, is_receiver, active, per_step, size, overload, trust, hosp, hosp_row, hosp_catch, weight, block_start,
    tie_keys, tie_weights, data_level, engagement, coordinator, complexity,
    b_intercept, b_data, b_trust, b_coordinator, b_familiarity, b_complexity, b_overload, referral_engagement,
):  # fmt: skip
    """Discharges, receiver organizations, the clinicians on both sides and the outcome of each hand-off.

    Returns ``(ok, sender_org, receiver_org, sender, receiver, success, referral_ok, pair_keys)``;
    ``ok`` is False when nobody is discharged or no partner can receive (then nothing else is drawn).
    """
    rng = _as_generator(gen)
    n_org = size.size
    n_clin = engagement.size
    counts = np.zeros(n_org, np.int64)
    for o in range(n_org):  # discharges: Poisson(size x per_step) per active hospital
        counts[o] = rng.poisson(size[o] * per_step if is_hospital[o] and active[o] else 0.0)
    n_all = counts.sum()
    recv_ok = is_receiver & active
    e0 = np.empty(0, np.int64)
    b0 = np.empty(0, np.bool_)
    if n_all == 0 or not recv_ok.any():
        return False, e0, e0, e0, e0, b0, b0, e0
    senders = np.empty(n_all, np.int64)
    k = 0
    for o in range(n_org):
        for _ in range(counts[o]):
            senders[k] = o
            k += 1
    # referral weights (hospitals x organizations) and their row totals
    n_h = hosp.size
    cap = np.empty(n_org)
    for j in range(n_org):
        ov = overload[j] if overload[j] <= 0.95 else 0.95
        c = 1.0 - ov
        cap[j] = size[j] * (c if c >= 0.05 else 0.05) if recv_ok[j] else 0.0
    w = np.empty((n_h, n_org))
    total = np.empty(n_h)
    for r in range(n_h):
        h = hosp[r]
        for j in range(n_org):
            t = trust[h, j]
            w[r, j] = (t if t >= 0.01 else 0.01) * hosp_catch[r, j] * cap[j]
        total[r] = pairwise_sum(w[r], 0, n_org)
    rows = np.empty(n_all, np.int64)
    n_s = 0
    for k in range(n_all):  # a hospital without any receiver discharges to no partner
        r = hosp_row[senders[k]]
        if total[r] > 0:
            senders[n_s] = senders[k]
            rows[n_s] = r
            n_s += 1
    senders, rows = senders[:n_s], rows[:n_s]
    # choose_receivers: one search over the row-offset cumulative weights
    cum = np.empty(n_h * n_org)
    for r in range(n_h):
        div = total[r] if total[r] > 0 else 1.0
        acc = 0.0
        for j in range(n_org):
            acc += w[r, j]
            cum[r * n_org + j] = acc / div + r
    u = rng.random(n_s)
    receivers = np.empty(n_s, np.int64)
    for k in range(n_s):
        idx = np.searchsorted(cum, rows[k] + u[k] * (1.0 - 1e-12), side="right") - rows[k] * n_org
        receivers[k] = idx if idx <= n_org - 1 else n_org - 1
    # the clinicians on both sides: one draw for both
    both = np.empty(2 * n_s, np.int64)
    both[:n_s] = senders
    both[n_s:] = receivers
    ab = _pick_in_blocks(rng.random(2 * n_s), both, weight, block_start)
    a, b = ab[:n_s], ab[n_s:]
    keys = np.empty(n_s, np.int64)
    for k in range(n_s):
        keys[k] = min(a[k], b[k]) * n_clin + max(a[k], b[k])
    u2 = rng.random(2 * n_s)
    success = np.empty(n_s, np.bool_)
    referral_ok = np.empty(n_s, np.bool_)
    n_keys = tie_keys.size
    for k in range(n_s):
        s, r = senders[k], receivers[k]
        fam = 0.0
        if n_keys:
            pos = np.searchsorted(tie_keys, keys[k])
            pos = pos if pos < n_keys else n_keys - 1
            if tie_keys[pos] == keys[k]:
                fam = tie_weights[pos]
        level = float(data_level[s, r])
        z = (
            b_intercept + b_data * level + b_trust * trust[s, r] + b_coordinator * coordinator
            + b_familiarity * fam - b_complexity * complexity - b_overload * overload[r]
        )  # fmt: skip
        z_ref = b_intercept + b_data * level + referral_engagement * (2.0 * engagement[a[k]] - 1.0) - b_complexity * complexity
        success[k] = u2[k] < 1.0 / (1.0 + math.exp(-z))
        referral_ok[k] = u2[n_s + k] < 1.0 / (1.0 + math.exp(-z_ref))
    return True, senders, receivers, a, b, success, referral_ok, keys


# --------------------------------------------------------------------------- 3. planned interactions
@jit
def meeting(gen, active, leadership, engagement, manager, block_start):
    """Steering meeting: who attends (per organization), who met whom, and a random matching of their representatives."""
    rng = _as_generator(gen)
    n_org = active.size
    u = rng.random(n_org)
    attend = np.empty(n_org, np.bool_)
    met = np.zeros((n_org, n_org), np.bool_)
    for o in range(n_org):
        attend[o] = active[o] and u[o] < leadership[o]
    for i in range(n_org):
        for j in range(n_org):
            met[i, j] = attend[i] and attend[j] and i != j
    lead_w = np.empty(engagement.size)
    for i in range(engagement.size):
        lead_w[i] = engagement[i] * (1.0 if manager[i] else 0.0) + 1e-9
    orgs = np.flatnonzero(attend)
    reps = _pick_in_blocks(rng.random(orgs.size), orgs, lead_w, block_start)
    p = rng.permutation(reps)
    half = p.size // 2
    return attend, met, p[:half], p[half : 2 * half]


@jit
def champion_outreach(gen, pool, champion, rate, n_clin):
    """Active champions reach out to random live clinicians: (any, champions, targets, contacts per clinician)."""
    rng = _as_generator(gen)
    e0 = np.empty(0, np.int64)
    n_ch = 0
    for i in pool:
        if champion[i]:
            n_ch += 1
    if n_ch == 0:  # nobody reaches out: nothing is drawn
        return False, e0, e0, e0
    champs = np.empty(n_ch, np.int64)
    k = 0
    for i in pool:
        if champion[i]:
            champs[k] = i
            k += 1
    reps = rng.poisson(rate, n_ch)
    contacts = np.repeat(champs, reps)
    u = rng.random(contacts.size)
    targets = np.empty(contacts.size, np.int64)
    counts = np.zeros(n_clin, np.int64)
    for k in range(contacts.size):
        targets[k] = pool[int(u[k] * pool.size)]
        counts[targets[k]] += 1
    return True, contacts, targets, counts


# --------------------------------------------------------------------------- 4. trust
@jit
def experience_counts(sender_org, receiver_org, success, referral_ok, n):
    """Per ordered pair (i judges j): number of hand-off experiences and good ones; the pairs that had any, sorted."""
    n_events = np.zeros((n, n), np.int64)
    n_good = np.zeros((n, n))
    for k in range(sender_org.size):
        s, r = sender_org[k], receiver_org[k]
        n_events[s, r] += 1
        n_good[s, r] += 1.0 if success[k] else 0.0
    for k in range(sender_org.size):
        s, r = sender_org[k], receiver_org[k]
        n_events[r, s] += 1
        n_good[r, s] += 1.0 if referral_ok[k] else 0.0
    return n_events, n_good, np.flatnonzero(n_events)


@jit
def trust_update(
    gen, trust, baseline, culture_distance, n_events, n_good, had, met, met_any, shadow_counts, shadow_any,
    alpha, beta, kappa, breach_probability, meeting_rate, shadow_rate, relax_rate, drift,
):  # fmt: skip
    """Experience (:func:`~abm.mechanisms.trust.experience_update`), meeting and shadowing gains
    (:func:`~abm.mechanisms.trust.contact_gain`), relaxation (:func:`~abm.mechanisms.trust.relax`) and
    the unit diagonal, in that order. Returns (trust, baseline)."""
    rng = _as_generator(gen)
    n = trust.shape[0]
    u = rng.random(n * n)
    t = trust.copy()
    tf, cf, ef, gf = t.ravel(), culture_distance.ravel(), n_events.ravel(), n_good.ravel()
    for f in had:
        t0 = tf[f]
        share = gf[f] / ef[f]
        gain = alpha * share * (1.0 - t0) * (1.0 - kappa * cf[f])
        loss = beta * t0 if u[f] < breach_probability * (1.0 - share) else 0.0
        tf[f] = _clip01(t0 + gain - loss)
    new_b = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            x = t[i, j]
            interacted = n_events[i, j] > 0
            if met_any and met[i, j]:
                x = (1.0 - x) * meeting_rate * (1.0 - kappa * culture_distance[i, j]) + x
                interacted = True
            if shadow_any and shadow_counts[i, j] > 0:
                x = (1.0 - x) * shadow_rate * (1.0 - kappa * culture_distance[i, j]) + x
                interacted = True
            if not interacted:
                x = (baseline[i, j] - x) * relax_rate + x
            new_b[i, j] = (x - baseline[i, j]) * drift + baseline[i, j]
            t[i, j] = x
        t[i, i] = 1.0
    return t, new_b


@jit
def mark_contacts(last_contact, n_events, met, shadow_counts, step):
    """``last_contact[i, j] = step`` for every pair that exchanged a patient, met or shadowed this step (in place)."""
    n = last_contact.shape[0]
    for i in range(n):
        for j in range(n):
            if n_events[i, j] > 0 or met[i, j] or shadow_counts[i, j] > 0:
                last_contact[i, j] = step


@jit
def _sorted_unique(x):
    """``np.unique(x)`` for an integer array (numba's own goes through Python lists)."""
    y = np.sort(x)
    keep = np.empty(y.size, np.bool_)
    keep[0] = True
    for i in range(1, y.size):
        keep[i] = y[i] != y[i - 1]
    return y[keep]


@jit
def update_ties(keys, weights, contacts, gain, decay, floor):
    """:func:`abm.state.update_ties`: decay every tie, strengthen (or create) the contacted ones, forget the weakest."""
    w = weights * (1.0 - decay)
    if contacts.size:
        met = _sorted_unique(contacts)
        n_k, n_m = keys.size, met.size
        pos = np.searchsorted(keys, met)
        n_new = 0
        for k in range(n_m):
            if pos[k] >= n_k or keys[pos[k]] != met[k]:
                n_new += 1
        if n_new:  # merge the new (sorted) keys in
            merged = np.empty(n_k + n_new, keys.dtype)
            w_merged = np.zeros(n_k + n_new)
            i = j = o = 0
            while i < n_k or j < n_m:
                if j < n_m and (i >= n_k or met[j] < keys[i]):
                    merged[o] = met[j]
                    j += 1
                    o += 1
                else:
                    if j < n_m and met[j] == keys[i]:
                        j += 1
                    merged[o] = keys[i]
                    w_merged[o] = w[i]
                    i += 1
                    o += 1
            keys, w = merged, w_merged
            pos = np.searchsorted(keys, met)
        for k in range(n_m):
            w[pos[k]] += gain * (1.0 - w[pos[k]])
    keep = w >= floor
    if keep.all():
        return keys, w
    return keys[keep], w[keep]


# --------------------------------------------------------------------------- 5. consensus
@jit
def team_pairs(gen, live, team_contact, clin_org, block_start):
    """Clinicians who meet a colleague of their own team this step, and the colleague (uniform in the block)."""
    rng = _as_generator(gen)
    n = live.size
    u = rng.random(n)
    m = 0
    for i in range(n):
        if live[i] and u[i] < team_contact:
            m += 1
    team = np.empty(m, np.int64)
    k = 0
    for i in range(n):
        if live[i] and u[i] < team_contact:
            team[k] = i
            k += 1
    v = rng.random(m)
    mates = np.empty(m, np.int64)
    for k in range(m):
        lo, hi = block_start[clin_org[team[k]]], block_start[clin_org[team[k]] + 1]
        x = lo + np.int64(v[k] * (hi - lo))
        mates[k] = x if x <= hi - 1 else hi - 1
    return team, mates


@jit
def disjoint_matching(gen, a, b, n):
    """:func:`abm.mechanisms.consensus.disjoint_matching`: shuffled pairs, kept if both ends appear there first."""
    rng = _as_generator(gen)
    if a.size == 0:
        return a, b
    order = rng.permutation(a.size)
    seen = np.zeros(n, np.bool_)
    keep = np.empty(a.size, np.bool_)
    for k in range(a.size):
        x, y = a[order[k]], b[order[k]]
        first_x = not seen[x]
        seen[x] = True
        first_y = not seen[y]
        seen[y] = True
        keep[k] = x != y and first_x and first_y
    idx = order[keep]
    return a[idx], b[idx]


@jit
def bounded_confidence(
    views, a, b, trust, clin_org, engagement, champion, eps0, eps_trust, gate, mu, engagement_step, persuasion, firmness,
):  # fmt: skip
    """Openness, step sizes and the pairwise bounded-confidence moves over disjoint pairs (``a``, ``b``); new views."""
    out = views.copy()
    k_dims = views.shape[1]
    diff = np.empty(k_dims)
    absd = np.empty(k_dims)
    for k in range(a.size):
        i, j = a[k], b[k]
        oi, oj = clin_org[i], clin_org[j]
        e_a, e_b = engagement[i], engagement[j]
        eps_a = (eps0 + eps_trust * trust[oi, oj]) * ((1.0 - gate) + gate * 2.0 * e_a)
        eps_b = (eps0 + eps_trust * trust[oj, oi]) * ((1.0 - gate) + gate * 2.0 * e_b)
        base = mu * ((1.0 - engagement_step) + engagement_step * (e_a + e_b))
        mu_a = base * ((1.0 - firmness) if champion[i] else 1.0) * (persuasion if champion[j] else 1.0)
        mu_b = base * ((1.0 - firmness) if champion[j] else 1.0) * (persuasion if champion[i] else 1.0)
        mu_a = min(mu_a if mu_a >= 0.0 else 0.0, 0.5)
        mu_b = min(mu_b if mu_b >= 0.0 else 0.0, 0.5)
        for d in range(k_dims):
            diff[d] = views[j, d] - views[i, d]
            absd[d] = abs(diff[d])
        dist = pairwise_sum(absd, 0, k_dims) / k_dims
        move_a = mu_a if dist < eps_a else 0.0
        move_b = mu_b if dist < eps_b else 0.0
        for d in range(k_dims):
            out[i, d] = views[i, d] + move_a * diff[d]
            out[j, d] = views[j, d] - move_b * diff[d]
    return out


# --------------------------------------------------------------------------- 6. engagement
@jit
def engagement_update(
    e, baseline, sender, receiver, success, level, partners, physician, champion_contacts, included, directed,
    leadership, overload, clin_org,
    r_usefulness, r_visibility, r_champion, r_inclusion, r_topdown, r_leadership, r_overload, r_relax,
):  # fmt: skip
    """:func:`abm.mechanisms.engagement.update_engagement` with the per-clinician inputs gathered here.

    Data visibility of an organization is the share of its partners (``partners``, clinical and
    active) it sees through a real-time link (level 3); a physician's term is their organization's.
    ``champion_contacts``, ``included`` and ``directed`` may be empty: nobody, this step.
    """
    n = e.size
    n_org = partners.size
    n_partners = 0
    for o in range(n_org):
        n_partners += 1 if partners[o] else 0
    seen = np.zeros(n_org, np.int64)
    for i in range(n_org):
        for j in range(n_org):
            if level[i, j] == 3 and partners[j]:
                seen[i] += 1
    visibility = seen / max(n_partners - 1, 1)
    succ = np.zeros(n, np.int64)
    for k in range(sender.size):
        if success[k]:
            succ[sender[k]] += 1
            succ[receiver[k]] += 1
    out = np.empty(n)
    for i in range(n):
        o = clin_org[i]
        champ = champion_contacts[i] if champion_contacts.size else 0
        incl = 1.0 if included.size and included[i] else 0.0
        dirc = 1.0 if directed.size and directed[i] else 0.0
        up = (
            r_usefulness * succ[i] + r_visibility * (visibility[o] * (1.0 if physician[i] else 0.0))
            + r_champion * champ + r_inclusion * incl + r_leadership * leadership[o]
        )  # fmt: skip
        down = r_topdown * dirc + r_overload * overload[o]
        x = e[i]
        new = x + r_relax * (baseline[i] - x) + min(up, 1.0) * (1.0 - x) - min(down, 1.0) * x
        out[i] = _clip01(new)
    return out


# --------------------------------------------------------------------------- 7. data sharing
@jit
def update_links(gen, level, trust, last_contact, step, window, resourced, active, p_upgrade, gate, collapse, p_decay):
    """:func:`abm.mechanisms.data_sharing.update_links` for the trust rule (mutual trust min(T, T.T)), the pair conditions built here."""
    rng = _as_generator(gen)
    n = level.shape[0]
    u = rng.random(n * n)
    new = np.zeros((n, n), np.int8)
    for i in range(n):
        for j in range(i + 1, n):
            f = i * n + j
            lv = level[i, j]
            mutual = min(trust[i, j], trust[j, i])
            delta = 0
            if step - last_contact[i, j] <= window:
                ok = active[i] and active[j] and resourced[i] and resourced[j] and mutual > gate
                if ok and lv < 3 and u[f] < p_upgrade[i, j]:
                    delta += 1
            if mutual < collapse and lv > 0 and u[f] < p_decay:
                delta -= 1
            x = np.int8(lv + delta) if active[i] and active[j] else np.int8(0)
            new[i, j] = x
            new[j, i] = x
    return new


# --------------------------------------------------------------------------- 8-9. workload, exit
@jit
def workload_update(
    activity, step_activity, level, active, size, resources, receiver_org, smoothing, burden,
    base_workload, fixed_cost, patient_cost, slack_capacity,
):  # fmt: skip
    """Smoothed program activity and (if ``burden``) :func:`abm.mechanisms.workload.overload`, zero for inactive partners.

    This step's activities are ``step_activity`` plus taking part at all (1) and 0.25 per link of level
    >= 2 with an active partner (links to maintain).
    """
    n = activity.size
    received = np.zeros(n, np.int64)
    for r in receiver_org:
        received[r] += 1
    new_act = np.empty(n)
    over = np.zeros(n)
    for o in range(n):
        links = 0
        for j in range(n):
            links += 1 if level[o, j] >= 2 and active[j] else 0
        new_act[o] = (1.0 - smoothing) * activity[o] + smoothing * (step_activity[o] + (1.0 + 0.25 * links))
        if burden and active[o]:
            load = base_workload + fixed_cost * new_act[o] * (100.0 / size[o]) + patient_cost * received[o] / size[o]
            x = load / (1.0 + slack_capacity * resources[o]) - 1.0
            over[o] = 0.0 if 0.0 >= x else x
    return new_act, over


@jit
def org_benefit(clin_org, engagement, clin_counts, trust, active, overload):
    """:func:`abm.mechanisms.exit.perceived_benefit` of mean engagement and trust toward active partners."""
    n = active.size
    sum_e = np.zeros(n)
    for i in range(clin_org.size):
        sum_e[clin_org[i]] += engagement[i]
    n_others = 0
    for o in range(n):
        n_others += 1 if active[o] else 0
    row = np.empty(n)
    out = np.empty(n)
    for i in range(n):
        for j in range(n):
            row[j] = trust[i, j] if (active[j] and i != j) else 0.0
        others = n_others - (1 if active[i] else 0)
        trust_in = pairwise_sum(row, 0, n) / (others if others >= 1 else 1)
        out[i] = sum_e[i] / clin_counts[i] * trust_in - overload[i]
    return out


# --------------------------------------------------------------------------- 10. observation
@jit
def mean_pairwise_distance(views):
    """:func:`abm.outcomes.mean_pairwise_distance` (sort each dimension; rank-weighted sum)."""
    n, k = views.shape
    if n < 2:
        return 0.0
    per_dim = np.empty(k)
    if k == 1:  # numpy reduces an (n, 1) column pairwise, wider arrays row by row
        x = np.sort(views[:, 0])
        for i in range(n):
            x[i] = (2.0 * i - n + 1.0) * x[i]
        per_dim[0] = pairwise_sum(x, 0, n)
    else:
        cols = np.empty((n, k))
        for d in range(k):
            cols[:, d] = np.sort(views[:, d])
        for d in range(k):
            per_dim[d] = (1.0 - n) * cols[0, d]
        for i in range(1, n):
            for d in range(k):
                per_dim[d] += (2.0 * i - n + 1.0) * cols[i, d]
    return pairwise_sum(per_dim, 0, k) / k * 2.0 / (n * (n - 1))


@jit
def observe_core(views, n_live, trust, partner_pair_idx, engagement, live_idx, phys_idx, uniform_distance, with_consensus):
    """Consensus (if ``with_consensus``, else 0), trust mean and minimum over partner pairs, mean engagement (live, physicians)."""
    c = 0.0
    if n_live and with_consensus:
        c = _clip01(1.0 - mean_pairwise_distance(views) / uniform_distance)
    m = partner_pair_idx.size
    t_mean = t_min = 0.0
    if m:
        vals = np.empty(m)
        tf = trust.ravel()
        for k in range(m):
            vals[k] = tf[partner_pair_idx[k]]
        t_mean = pairwise_sum(vals, 0, m) / m
        t_min = vals.min()
    e_live = 0.0
    if live_idx.size:
        g = engagement[live_idx]
        e_live = pairwise_sum(g, 0, g.size) / g.size
    e_phys = np.nan
    if phys_idx.size:
        g = engagement[phys_idx]
        e_phys = pairwise_sum(g, 0, g.size) / g.size
    return c, t_mean, t_min, e_live, e_phys


@jit
def link_metrics(level, active, original_clinical, partners, laplacian):
    """:func:`abm.outcomes.connectivity` and :func:`abm.outcomes.mean_link_level`, and (if ``laplacian``) the
    Laplacian whose second-smallest eigenvalue is :func:`abm.outcomes.algebraic_connectivity`.

    Connectivity counts ordered pairs of original clinical partners in the same component of the
    level >= 2 links among live ones (union-find: the same integer count as the dense closure or
    scipy's components). The Laplacian is built as there (weights level / 3; NumPy's row sums).
    """
    n = level.shape[0]
    n0 = 0
    for i in range(n):
        n0 += 1 if original_clinical[i] else 0
    conn = 0.0
    mean_level = 0.0
    if n0 >= 2:
        parent = np.arange(n)
        n_live = 0
        for i in range(n):
            if not (active[i] and original_clinical[i]):
                continue
            n_live += 1
            for j in range(i + 1, n):
                if active[j] and original_clinical[j] and (level[i, j] >= 2 or level[j, i] >= 2):
                    ri, rj = i, j
                    while parent[ri] != ri:
                        ri = parent[ri]
                    while parent[rj] != rj:
                        rj = parent[rj]
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
        if n_live >= 2:
            sizes = np.zeros(n, np.int64)
            for i in range(n):
                if active[i] and original_clinical[i]:
                    r = i
                    while parent[r] != r:
                        r = parent[r]
                    sizes[r] += 1
            pairs = 0
            for r in range(n):
                pairs += sizes[r] * (sizes[r] - 1)
            conn = pairs / (n0 * (n0 - 1))
        total = 0
        for i in range(n):
            if original_clinical[i]:
                for j in range(n):
                    if original_clinical[j]:
                        total += level[i, j]
        mean_level = total / (n0 * (n0 - 1))
    m = 0
    for i in range(n):
        m += 1 if partners[i] else 0
    lap = np.zeros((m if laplacian else 0, m if laplacian else 0))
    if laplacian and m >= 2:
        idx = np.flatnonzero(partners)
        w = np.empty((m, m))
        for a in range(m):
            for b in range(m):
                w[a, b] = level[idx[a], idx[b]] / 3.0
        for a in range(m):
            for b in range(m):
                lap[a, b] = 0.0 - w[a, b]
            lap[a, a] += pairwise_sum(w[a], 0, m)
    return conn, mean_level, lap


# --------------------------------------------------------------------------- fused processes
@jit
def trust_process(
    gen, trust, baseline, culture_distance, sender_org, receiver_org, success, referral_ok, met, met_any,
    shadow_counts, shadow_any, last_contact, step, tie_keys, tie_weights, contacts, tie_gain, tie_decay, tie_floor,
    building, alpha, beta, kappa, breach_probability, meeting_rate, shadow_rate, relax_rate, drift,
):  # fmt: skip
    """Process 4 in one call: experience counts, contact marks (in place), familiarity ties, then trust
    (:func:`trust_update`) or, with trust building off, only the draw it would make.

    Returns (trust, baseline, tie_keys, tie_weights).
    """
    n = trust.shape[0]
    n_events, n_good, had = experience_counts(sender_org, receiver_org, success, referral_ok, n)
    mark_contacts(last_contact, n_events, met, shadow_counts, step)
    keys, weights = update_ties(tie_keys, tie_weights, contacts, tie_gain, tie_decay, tie_floor)
    if not building:
        _as_generator(gen).random(n * n)  # the draw it would make: knock-outs keep common random numbers
        return trust, baseline, keys, weights
    t, b = trust_update(
        gen, trust, baseline, culture_distance, n_events, n_good, had, met, met_any, shadow_counts, shadow_any,
        alpha, beta, kappa, breach_probability, meeting_rate, shadow_rate, relax_rate, drift,
    )  # fmt: skip
    return t, b, keys, weights


@jit
def consensus_process(
    gen, views, live, team_contact, clin_org, block_start, pair_a, pair_b, trust, engagement, champion,
    eps0, eps_trust, gate, mu, engagement_step, persuasion, firmness,
):  # fmt: skip
    """Process 5's interactions in one call: team contacts (:func:`team_pairs`) join this step's
    contacts ``pair_a``/``pair_b``; a disjoint random subset of them (:func:`disjoint_matching`) update
    their views (:func:`bounded_confidence`). Returns the new views."""
    team, mates = team_pairs(gen, live, team_contact, clin_org, block_start)
    a = np.concatenate((pair_a, team))
    b = np.concatenate((pair_b, mates))
    a, b = disjoint_matching(gen, a, b, live.size)
    if a.size == 0:
        return views.copy()
    return bounded_confidence(
        views, a, b, trust, clin_org, engagement, champion, eps0, eps_trust, gate, mu, engagement_step, persuasion, firmness
    )


@jit
def exit_process(gen, clin_org, engagement, clin_counts, trust, active, overload, threshold, hazard):
    """Process 9: :func:`abm.mechanisms.exit.leavers` of :func:`org_benefit`; the bool mask of leavers."""
    benefit = org_benefit(clin_org, engagement, clin_counts, trust, active, overload)
    u = _as_generator(gen).random(active.size)
    leave = np.empty(active.size, np.bool_)
    for o in range(active.size):
        leave[o] = active[o] and benefit[o] < threshold and u[o] < hazard
    return leave


@jit
def trust_collapses(trust, collapsed, pairs, low, recover):
    """:func:`abm.mechanisms.detection.trust_collapses` on min(T, T.T): (new collapses, any, collapsed state)."""
    n = trust.shape[0]
    new = np.zeros((n, n), np.bool_)
    state = np.empty((n, n), np.bool_)
    any_new = False
    for i in range(n):
        for j in range(n):
            mutual = min(trust[i, j], trust[j, i])
            new[i, j] = mutual < low and pairs[i, j] and not collapsed[i, j]
            any_new |= new[i, j]
            state[i, j] = (collapsed[i, j] or new[i, j]) and not (mutual > recover)
    return new, any_new, state


@jit
def observe_process(
    views, n_live, trust, partner_pair_idx, engagement, live_idx, phys_idx, uniform_distance,
    collapsed, clinical_pairs, low, recover, level, active, original_clinical, partners, ever_linked,
    seen_level, seen_active, laplacian, with_consensus,
):  # fmt: skip
    """Process 10's arrays in one call: :func:`observe_core` (consensus only if ``with_consensus``), :func:`trust_collapses` and, if the links or
    the membership differ from the last observation (``seen_level``/``seen_active``, updated in place),
    :func:`link_metrics` and the pairs linked (level >= 2) for the first time (``ever_linked``, updated).

    Returns (consensus, trust mean, trust min, engagement, physicians' engagement, new collapses, any
    new collapse, collapsed state, links changed, connectivity, mean level, Laplacian, new links i, j).
    """
    c, t_mean, t_min, e_live, e_phys = observe_core(
        views, n_live, trust, partner_pair_idx, engagement, live_idx, phys_idx, uniform_distance, with_consensus
    )
    new_c, any_c, state = trust_collapses(trust, collapsed, clinical_pairs, low, recover)
    n = level.shape[0]
    changed = False
    for i in range(n):
        changed |= active[i] != seen_active[i]
        for j in range(n):
            changed |= level[i, j] != seen_level[i, j]
    conn, mean_level, lap = 0.0, 0.0, np.zeros((0, 0))
    link_i = np.empty(0, np.int64)
    link_j = np.empty(0, np.int64)
    if changed:
        seen_level[:] = level
        seen_active[:] = active
        conn, mean_level, lap = link_metrics(level, active, original_clinical, partners, laplacian)
        m = 0
        for i in range(n):
            for j in range(i + 1, n):
                m += 1 if level[i, j] >= 2 and not ever_linked[i, j] else 0
        link_i = np.empty(m, np.int64)
        link_j = np.empty(m, np.int64)
        k = 0
        for i in range(n):
            for j in range(i + 1, n):
                if level[i, j] >= 2 and not ever_linked[i, j]:
                    link_i[k], link_j[k] = i, j
                    k += 1
        for i in range(n):
            for j in range(n):
                ever_linked[i, j] |= level[i, j] >= 2
    return c, t_mean, t_min, e_live, e_phys, new_c, any_c, state, changed, conn, mean_level, lap, link_i, link_j


def warm() -> None:
    """Compile (or load from the on-disk cache) every kernel by running each built-in program briefly.

    ``make install`` calls this so the first experiment, test or dashboard does not pay the one-off
    compilation (~30 s on a 2-core machine); later processes load the cached machine code (~1 s).
    """
    from abm.run import run_once  # (here: abm.run imports the model, which imports this module)

    for program in ("P1", "P2", "P3", "P4", "P5", "P6"):
        run_once(program, seed=0, steps=8)
    run_once("P1", seed=0, steps=2, overrides={"params.mechanisms.mixing": "random"})


if __name__ == "__main__":
    warm()
