"""Generated documentation: tables of docs/ODD.md made from the code (never typed by hand).

* the parameter table, from the parameter schema (:mod:`abm.params`);
* the trust equilibrium table (section 7.4): the formula of :func:`abm.mechanisms.trust.equilibrium`
  next to a long simulation of the trust mechanism alone (:func:`trust_simulated_mean`);
* the milestone library table (section 7.1), from ``abm/milestones/library.yaml``
  (:func:`abm.milestone_library.library_table`).

``python -m abm.docs`` rewrites the blocks between the markers in docs/ODD.md; a test fails if a
block there is stale, so a changed rule cannot leave its documented equilibrium behind.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

from abm.params import Mechanisms, Params, numeric_fields

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
START, END = "<!-- parameter-table:start -->", "<!-- parameter-table:end -->"
EQ_START, EQ_END = "<!-- trust-equilibrium:start -->", "<!-- trust-equilibrium:end -->"
LIB_START, LIB_END = "<!-- milestone-library:start -->", "<!-- milestone-library:end -->"
EQ_SHARES = (0.5, 0.7, 0.78, 0.9, 0.95)  # success shares tabulated
EQ_DISTANCE = 0.8  # culture distance of the tabulated pairs
EQ_HANDOFFS = 20  # hand-offs per pair and step in the simulation (the share of good ones is not 0 or 1)


def trust_simulated_mean(success: float, steps: int = 1500, burn_in: int = 600, n_orgs: int = 40, seed: int = 1) -> float:
    """Mean trust of pairs that exchange ``EQ_HANDOFFS`` patients a step, each good with probability ``success``.

    The trust mechanism alone (:func:`abm.mechanisms.trust.update`, default parameters), all
    ``n_orgs`` x (``n_orgs`` - 1) ordered pairs at culture distance ``EQ_DISTANCE``, from trust 0.5;
    the mean over pairs and over the steps after ``burn_in``.
    """
    from abm.mechanisms import trust
    from abm.mechanisms._numba import generator_handle

    rng = np.random.default_rng(seed)
    gen = generator_handle(rng)
    params = Params().record()
    off = ~np.eye(n_orgs, dtype=bool)
    t = np.where(off, 0.5, 1.0)
    base = t.copy()
    d = np.where(off, EQ_DISTANCE, 0.0)
    n_events = np.where(off, EQ_HANDOFFS, 0)
    none_met, none_shadow = np.zeros((n_orgs, n_orgs), bool), np.zeros((n_orgs, n_orgs), np.int64)
    total = 0.0
    for step in range(steps):
        n_good = rng.binomial(n_events, success).astype(float)
        t, base = trust.update(gen, t, base, d, n_events, n_good, none_met, none_shadow, params)
        if step >= burn_in:
            total += t[off].mean()
    return total / (steps - burn_in)


def trust_equilibrium_table() -> str:
    """Markdown table: success share, T* of the formula, simulated mean trust (defaults, d = EQ_DISTANCE)."""
    from abm.mechanisms import trust

    p = Params()
    rows = ["| success share s | T* = a / (a + b) | mean trust, simulated |", "|---:|---:|---:|"]
    for s in EQ_SHARES:
        eq = trust.equilibrium(s, p.trust_alpha, p.trust_beta, p.culture_damping, EQ_DISTANCE, p.breach_probability)
        rows.append(f"| {s:.2f} | {eq:.3f} | {trust_simulated_mean(s):.3f} |")
    return "\n".join(rows)


def parameter_table() -> str:
    """Markdown tables of numeric parameters and mechanism switches."""
    rows = ["| parameter | default | range | unit | meaning | acts in |", "|---|---|---|---|---|---|"]
    for name, f in numeric_fields().items():
        acts = ", ".join(f"`{p}`" for p in f["process"].split())
        rng = f"{'(' if f['lo_open'] else '['}{f['lo']}, {f['hi']}]"
        rows.append(f"| `{name}` | {f['default']} | {rng} | {f['unit']} | {f['description']} | {acts} |")
    rows += ["", "| mechanism switch (`params.mechanisms.*`) | default | meaning |", "|---|---|---|"]
    for name, f in Mechanisms.model_fields.items():
        rows.append(f"| `{name}` | {f.default} | {f.description} |")
    return "\n".join(rows)


def render(text: str) -> str:
    """``text`` with the blocks between the markers replaced by the current tables."""
    from abm.milestone_library import library_table

    blocks = ((START, END, parameter_table), (EQ_START, EQ_END, trust_equilibrium_table), (LIB_START, LIB_END, library_table))
    for start, end, make in blocks:
        block = f"{start}\n{make()}\n{end}"
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _, b=block: b, text, flags=re.S)
    return text


def main() -> int:
    ODD.write_text(render(ODD.read_text()))
    print(f"updated the generated tables in {ODD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
