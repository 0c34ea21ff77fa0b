"""Consensus (ODD process 5): bounded-confidence practice views, then pathway development.

Each clinician holds a practice view x in [0, 1]^K. The distance between two views is the mean
absolute difference over the K dimensions (L1 / K).

Interaction (Deffuant-Weisbuch with trust- and engagement-dependent openness). This step's
contacts (hand-offs, meetings, shadowing, outreach, team contact) are shuffled and a disjoint subset
kept (a pair is kept if both clinicians appear there for the first time). For a kept pair (a, b)
of organizations (o_a, o_b) with engagements e_a, e_b:

    eps_a = (eps0 + eps_trust T[o_a, o_b]) ((1 - g) + g 2 e_a)          g = engagement_openness
    m     = mu ((1 - h) + h (e_a + e_b))                                  h = engagement_step
    mu_a  = clip(m (1 - firmness if a is a champion) (persuasion if b is a champion), 0, 0.5)
    if dist(x_a, x_b) < eps_a:  x_a <- x_a + mu_a (x_b - x_a)            (b likewise, with eps_b, mu_b)

Pathway development (every ``workshop_interval`` steps):

* co-design: each live clinician takes part with probability ``workshop_share`` x 2 e; if at least
  two do, participants move ``codesign_pull`` of the way to their mean view (the co-designed pathway);
* top-down: the imposed pathway (the mean view of the largest partner's managers) reaches every live
  clinician but is adopted shallowly: clinician i moves ``topdown_pull`` x e_i of the way to it
  (:func:`directive`), and the directive lowers engagement (:mod:`~abm.mechanisms.engagement`), so
  later directives are adopted less. Co-designed practice instead moves its (engaged) participants
  and spreads through their contacts; in aggregate a top-down pathway moves practice less.

References: Deffuant, Neau, Amblard & Weisbuch (2000), Adv. Complex Syst. 3:87; Embuldeniya et al.
(2018), "Developing Thoughtful Models"; MODEL.md process 5.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import as_generator, flatnonzero, jit, permutation


@jit
def disjoint_matching(gen, a, b, n):
    """A random disjoint subset of the candidate pairs (a[k], b[k]) of clinicians 0..n-1.

    Pairs are shuffled; a pair is kept if it is the first appearance of both its members (and they
    differ). Returns the kept (a, b) in shuffled order.
    """
    if a.size == 0:
        return a, b
    order = permutation(as_generator(gen), np.arange(a.size))
    seen = np.zeros(n, np.bool_)
    keep = np.empty(a.size, np.bool_)
    for k in range(a.size):
        x, y = a[order[k]], b[order[k]]
        first_x = not seen[x]
        seen[x] = True
        first_y = not seen[y]
        seen[y] = True
        keep[k] = (x != y) & first_x & first_y  # (& rather than and: no branches to mispredict)
    idx = order[flatnonzero(keep)]
    return a[idx], b[idx]


@jit
def random_matching(gen, members):
    """Complete random mixing (reduction): a uniformly random perfect matching of ``members`` (one left out if odd)."""
    perm = permutation(as_generator(gen), members)
    half = perm.size // 2
    return perm[:half], perm[half : 2 * half]


@jit
def openness(trust_in_other, e, p):
    """Confidence bound eps = (eps0 + eps_trust T) ((1 - g) + g 2 e)."""
    g = p.engagement_openness
    return (p.eps0 + p.eps_trust * trust_in_other) * ((1.0 - g) + g * 2.0 * e)


@jit
def step_size(base, champion_self, champion_other, p):
    """Convergence step of one side: the pair's base step, less for a champion, more facing one; in [0, 0.5]."""
    m = base * ((1.0 - p.champion_firmness) if champion_self else 1.0) * (p.champion_persuasion if champion_other else 1.0)
    return min(max(m, 0.0), 0.5)


@jit
def distance(views, i, j):
    """Mean absolute difference of two clinicians' views over the K dimensions."""
    k_dims = views.shape[1]
    s = 0.0
    for d in range(k_dims):
        s += abs(views[j, d] - views[i, d])
    return s / k_dims


@jit
def bounded_confidence(views, a, b, trust, clin_org, engagement, champion, params):
    """New views after the bounded-confidence moves of the disjoint pairs (a[k], b[k])."""
    p = params[0]
    out = views.copy()
    h = p.engagement_step
    for k in range(a.size):
        i, j = a[k], b[k]
        oi, oj = clin_org[i], clin_org[j]
        e_a, e_b = engagement[i], engagement[j]
        eps_a = openness(trust[oi, oj], e_a, p)
        eps_b = openness(trust[oj, oi], e_b, p)
        base = p.mu * ((1.0 - h) + h * (e_a + e_b))
        dist = distance(views, i, j)
        move_a = step_size(base, champion[i], champion[j], p) if dist < eps_a else 0.0
        move_b = step_size(base, champion[j], champion[i], p) if dist < eps_b else 0.0
        for d in range(views.shape[1]):
            diff = views[j, d] - views[i, d]
            out[i, d] = views[i, d] + move_a * diff
            out[j, d] = views[j, d] - move_b * diff
    return out


@jit
def interact(gen, views, pair_a, pair_b, trust, clin_org, engagement, champion, params):
    """This step's practice conversations: a disjoint random subset of the contacts, then bounded confidence."""
    a, b = disjoint_matching(gen, pair_a, pair_b, views.shape[0])
    if a.size == 0:
        return views.copy()
    return bounded_confidence(views, a, b, trust, clin_org, engagement, champion, params)


@jit
def mean_view(views, who):
    """Mean view of the clinicians in the bool mask ``who`` (the pathway they would design)."""
    k_dims = views.shape[1]
    out = np.zeros(k_dims)
    m = 0
    for i in range(views.shape[0]):
        if who[i]:
            m += 1
            for d in range(k_dims):
                out[d] += views[i, d]
    return out / max(m, 1)


@jit
def pull_toward(views, who, target, strength):
    """Views of the clinicians in ``who`` moved a share ``strength`` of the way to ``target``."""
    out = views.copy()
    for i in range(views.shape[0]):
        if who[i]:
            for d in range(views.shape[1]):
                out[i, d] += strength * (target[d] - views[i, d])
    return out


@jit
def directive(views, live, target, engagement, params):
    """Top-down pathway: live clinician i moves ``topdown_pull`` x e_i of the way to ``target``."""
    p = params[0]
    out = views.copy()
    for i in range(views.shape[0]):
        if live[i]:
            w = p.topdown_pull * engagement[i]
            for d in range(views.shape[1]):
                out[i, d] += w * (target[d] - views[i, d])
    return out


@jit
def workshop_participants(gen, live, engagement, params):
    """Co-design: who takes part (bool per clinician), with probability ``workshop_share`` x 2 e."""
    p = params[0]
    u = as_generator(gen).random(live.size)
    who = np.empty(live.size, np.bool_)
    for i in range(live.size):
        who[i] = live[i] and u[i] < p.workshop_share * 2.0 * engagement[i]
    return who


@jit
def leaders(live, manager, clin_org, active, size):
    """Top-down pathway: who sets the directive, the live managers of the largest active partner (the first if tied)."""
    lead, best = -1, -1.0
    for o in range(active.size):
        if active[o] and size[o] > best:
            lead, best = o, size[o]
    out = np.empty(live.size, np.bool_)
    for i in range(live.size):
        out[i] = live[i] and manager[i] and clin_org[i] == lead
    return out
