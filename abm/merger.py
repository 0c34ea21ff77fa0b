"""Mergers (milestone effect ``merge_into``): organizations absorbed into a surviving one, clinicians kept.

:func:`merge` changes the state in place so that every derived quantity stays consistent:

* the absorbed organizations' clinicians join the survivor: ``clin_org`` is rewritten and every
  per-clinician array (role, engagement and its baseline, views, champion) is reordered so clinicians
  stay stored contiguously by organization; ``block_start`` is rebuilt (an absorbed organization's
  block is empty); familiarity ties are re-keyed to the new positions;
* the survivor takes over the absorbed organizations' staff (``size`` adds up) and, toward every
  other organization, the closer relationship of either: the maximum of trust (both directions),
  trust baseline, data level, shared structure, prior partnership and last contact, the minimum of
  culture distance, and ever-linked if either was; its own resources and leadership stay;
* the absorbed organizations become inactive (``active`` replaced, so the model's mask cache is
  rebuilt), their links and structures end, and they leave ``original_clinical``: they are no longer
  separate partners, so the connectivity denominator (original clinical pairs) and retention count
  the merged organization once and a merger is neither an exit nor a loss of connectivity. Their
  ``exited_at`` stays -1 (they did not leave the program).

Limits: the survivor keeps its own IT system, privacy stance, kind, region and culture; the merged
organization's trust in its new internal members is not tracked (they are one organization).
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms.familiarity import pair_keys
from abm.state import State


def merge(state: State, absorbed: np.ndarray, survivor: int) -> np.ndarray | None:
    """Absorb the active organizations of mask ``absorbed`` (the survivor excluded) into ``survivor``.

    Returns ``order``, the clinicians' old positions in their new order (``new[k] = old[order[k]]``),
    or None if nothing was merged (no active organization to absorb, or the survivor is not active).
    """
    s = state
    absorbed = absorbed & s.active
    absorbed[survivor] = False
    if not absorbed.any() or not s.active[survivor]:
        return None
    both = absorbed.copy()
    both[survivor] = True
    others = ~both
    rows = np.flatnonzero(both)

    def take_max(m: np.ndarray) -> None:
        m[survivor, others] = m[np.ix_(rows, np.flatnonzero(others))].max(axis=0)
        m[others, survivor] = m[np.ix_(np.flatnonzero(others), rows)].max(axis=1)

    for m in (s.trust, s.trust_baseline, s.structure, s.prior, s.last_contact):
        take_max(m)
    level = s.data_level.astype(np.int64)
    take_max(level)
    linked = s.ever_linked.copy()
    take_max(linked)
    s.ever_linked = linked
    cd = s.culture_distance
    cd[survivor, others] = cd[np.ix_(rows, np.flatnonzero(others))].min(axis=0)
    cd[others, survivor] = cd[np.ix_(np.flatnonzero(others), rows)].min(axis=1)
    s.size[survivor] += s.size[absorbed].sum()

    # the absorbed organizations: inactive, no links or structures, out of the denominators
    gone = absorbed[:, None] | absorbed[None, :]
    s.data_level = np.where(gone, 0, level).astype(np.int8)
    s.structure[gone] = 0.0
    np.fill_diagonal(s.structure, 0.0)
    active = s.active & ~absorbed
    active.flags.writeable = False
    s.active = active
    s.original_clinical = s.original_clinical & ~absorbed

    # clinicians: to the survivor, stored contiguously by organization again
    clin_org = np.where(absorbed[s.clin_org], survivor, s.clin_org)
    order = np.argsort(clin_org, kind="stable")
    s.clin_org = clin_org[order]
    s.role, s.engagement, s.engagement_baseline = s.role[order], s.engagement[order], s.engagement_baseline[order]
    s.views, s.champion = s.views[order], s.champion[order]
    s.block_start = np.concatenate(([0], np.cumsum(np.bincount(s.clin_org, minlength=s.n_orgs))))
    n = s.n_clinicians
    new_pos = np.empty(n, np.int64)
    new_pos[order] = np.arange(n)
    a, b = np.divmod(s.tie_keys, n)
    keys = pair_keys(new_pos[a], new_pos[b], n)
    by_key = np.argsort(keys, kind="stable")
    s.tie_keys, s.tie_weights = keys[by_key], s.tie_weights[by_key]
    return order
