"""Clinician engagement (ODD process 6): usefulness, data visibility, champions, inclusion, leadership, workload.

Per clinician i of organization o, per step:

    up   = r_use n_i + r_vis V_o [i is a physician] + r_champ c_i + r_incl [i took part in co-design] + r_lead L_o
    down = r_topdown [a pathway was imposed on i] + r_over O_o
    e   <- clip(e + r_relax (B_i - e) + min(up, 1) (1 - e) - min(down, 1) e, 0, 1)

n_i: successful hand-offs i took part in this step; V_o: the share of o's partners it sees through a
real-time link (level 3); c_i: champion contacts received; L_o: leadership; O_o: overload;
B_i: the role's baseline (a program can set it: P5's culture of engagement). Gains act on (1 - e) and
losses on e, so engagement stays in [0, 1]. Rates: ``usefulness_gain``, ``data_visibility_gain``,
``champion_gain``, ``inclusion_gain``, ``leadership_gain``, ``topdown_penalty``, ``overload_penalty``,
``engagement_relax``.

References: Embuldeniya et al. (2018), "Engaging Clinicians" (P5), "Sharing Information" (P6
dashboard), P1 ("we're not robots"); MODEL.md process 6.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms._numba import clip01, jit


@jit
def data_visibility(level, partners):
    """V_o: share of the other partners (clinical, active) that organization o sees through a level-3 link."""
    n = partners.size
    n_partners = np.count_nonzero(partners)
    out = np.zeros(n)
    for i in range(n):
        seen = 0
        for j in range(n):
            seen += (level[i, j] == 3) & partners[j]  # (& and a sum: no branch)
        out[i] = seen / max(n_partners - 1, 1)
    return out


@jit
def successes(sender, receiver, success, n):
    """n_i: successful hand-offs each clinician took part in (as sender or receiver)."""
    out = np.zeros(n, np.int64)
    for k in range(sender.size):
        if success[k]:
            out[sender[k]] += 1
            out[receiver[k]] += 1
    return out


@jit
def update(e, baseline, n_success, visibility, physician, champion_contacts, included, directed, clin_org, leadership, overload, params):
    """New engagement per clinician (module docstring).

    ``visibility``, ``leadership`` and ``overload`` are per organization; ``champion_contacts``,
    ``included`` and ``directed`` may be empty: nobody, this step.
    """
    p = params[0]
    out = np.empty(e.size)
    for i in range(e.size):
        o = clin_org[i]
        champ = champion_contacts[i] if champion_contacts.size else 0
        incl = 1.0 if included.size and included[i] else 0.0
        dirc = 1.0 if directed.size and directed[i] else 0.0
        up = (
            p.usefulness_gain * n_success[i] + p.data_visibility_gain * (visibility[o] * (1.0 if physician[i] else 0.0))
            + p.champion_gain * champ + p.inclusion_gain * incl + p.leadership_gain * leadership[o]
        )  # fmt: skip
        down = p.topdown_penalty * dirc + p.overload_penalty * overload[o]
        x = e[i]
        out[i] = clip01(x + p.engagement_relax * (baseline[i] - x) + min(up, 1.0) * (1.0 - x) - min(down, 1.0) * x)
    return out
