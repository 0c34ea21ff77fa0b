"""Reductions of the model to canonical models with known answers.

* Deffuant-Weisbuch: trust fixed and uniform (no trust building, eps_trust 0), engagement not gating
  (engagement_openness 0, engagement_step 0), complete random mixing, uniform initial views, no
  pathway, no events: the consensus mechanism is the bounded-confidence model of Deffuant et al.
  (2000). Known results: about floor(1/(2 eps)) major clusters; one cluster for eps >= ~0.3;
  convergence time falls as mu rises while the cluster count stays.
* Gilbert G(n, p): link formation reduced to a fixed chance per pair (``mechanisms.link_formation
  "fixed"``), all pairs starting at level 1 with no decay: after T steps a pair is linked (level >= 2)
  with p = 1 - (1 - q)^T independently, so P(connectivity = 1) is the exact connection probability
  of G(n, p) (Gilbert 1959).
* No interaction: no patients, meetings, shadowing, outreach, team contact, pathway or events:
  neither consensus nor connectivity may rise.

References: Deffuant, Neau, Amblard & Weisbuch (2000), Adv Complex Syst 3:87; Weisbuch et al. (2002),
Complexity 7(3):55; Gilbert (1959), Ann Math Stat 30:1141.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.config import Organization, Scenario, load_scenario, with_overrides
from abm.run import run_once
from experiments.validation.runner import pool_map

DW_MAJOR_SHARE = 0.05  # a cluster holding at least this share of agents is "major"
DW_GAP = 0.02  # views farther apart than this belong to different clusters
DW_SETTLED = 0.01  # an agent has settled once its view stays within this of its final value
DW_SETTLED_SHARE = 0.95  # convergence time: step by which this share of agents has settled


def dw_scenario(eps: float, mu: float, n: int = 1000, steps: int = 200) -> Scenario:
    """A scenario in which the consensus mechanism is exactly Deffuant-Weisbuch with bound eps and step mu."""
    half = n // 2
    orgs = [
        Organization(name="A", kind="hospital", size=half, it_system=1),
        Organization(name="B", kind="home_care", size=n - half, it_system=1),
    ]
    return Scenario(
        name=f"DW eps={eps} mu={mu}", description="Deffuant-Weisbuch reduction", steps=steps, organizations=orgs,
        program={"pathway": "none"},
        params={
            "clinicians_per_staff": 1.0, "max_clinicians": n, "min_clinicians": 1, "eps0": eps, "eps_trust": 0.0,
            "mu": mu, "engagement_openness": 0.0, "engagement_step": 0.0, "volume_per_staff": 0.0,
            "mechanisms": {"trust_building": False, "milestones": False, "co_design": False, "exit": False,
                           "mixing": "random", "initial_views": "uniform"},
        },
    )  # fmt: skip


def clusters(views: np.ndarray, gap: float = DW_GAP, major_share: float = DW_MAJOR_SHARE) -> tuple[int, int]:
    """(number of clusters, number of major clusters) of 1-D views split at gaps wider than ``gap``."""
    x = np.sort(views.ravel())
    sizes = np.diff(np.concatenate(([0], np.flatnonzero(np.diff(x) > gap) + 1, [x.size])))
    return int(sizes.size), int((sizes >= major_share * x.size).sum())


def _views(model: Any) -> np.ndarray:
    """Probe: every agent's (first-dimension) view."""
    return model.state.views[:, 0].copy()


def run_dw(eps: float, mu: float, seed: Any, n: int = 1000, steps: int = 200) -> dict[str, float]:
    """One Deffuant-Weisbuch run: cluster counts and convergence time (steps; NaN if not settled)."""
    path = run_once(dw_scenario(eps, mu, n, steps), seed=seed, steps=steps, probe=_views).probes
    x = np.array(path)
    far = np.abs(x - x[-1]) >= DW_SETTLED  # (steps + 1, agents)
    last_far = np.where(far.any(axis=0), far.shape[0] - 1 - np.argmax(far[::-1], axis=0), -1)
    t_conv = float(np.quantile(last_far + 1, DW_SETTLED_SHARE))  # robust to a few late stragglers
    n_all, n_major = clusters(x[-1])
    return {"eps": eps, "mu": mu, "clusters": n_all, "major": n_major, "t_conv": t_conv}


def gilbert_scenario(n_orgs: int, q: float) -> Scenario:
    """n clinical organizations, every pair at level 1, links upgraded with a fixed chance q per step."""
    orgs = [Organization(name=f"O{i}", kind="home_care", size=50, it_system=i) for i in range(n_orgs)]
    return Scenario(
        name=f"G({n_orgs}, q={q})", description="Gilbert G(n, p) reduction", steps=1, organizations=orgs,
        program={"pathway": "none", "initial_data_level": 1},
        params={
            "clinicians_per_staff": 0.02, "min_clinicians": 1, "link_upgrade": q, "link_decay": 0.0,
            "mechanisms": {"link_formation": "fixed", "milestones": False, "exit": False},
        },
    )  # fmt: skip


def run_gilbert(n_orgs: int, q: float, steps: int, seed: Any) -> bool:
    """Whether the data network is connected (systems connectivity = 1) after ``steps`` steps."""
    table = run_once(gilbert_scenario(n_orgs, q), seed=seed, steps=steps).steps
    return bool(table["connectivity_systems"].iloc[-1] == 1.0)


def no_interaction(program: str) -> Scenario:
    """A built-in program with every channel of interaction closed, including the joint work of prior
    partners (they start with a recent contact, ODD section 5, so their prior partnerships are removed)."""
    sc = load_scenario(program)
    orgs = [o.model_dump() | {"leadership": 0.0} for o in sc.organizations]
    return with_overrides(sc, {
        "organizations": orgs, "program.pathway": "none", "params.volume_per_staff": 0.0, "params.team_contact": 0.0,
        "params.shadowing_rate": 0.0, "params.virtual_rounds_rate": 0.0, "params.outreach_rate": 0.0,
        "params.mechanisms.milestones": False, "prior_partnerships": None,
    })  # fmt: skip


def run_no_interaction(program: str, seed: Any, steps: int = 104) -> dict[str, float]:
    """Rise of consensus and connectivity (last minus first step) with no interaction."""
    table = run_once(no_interaction(program), seed=seed, steps=steps).steps
    c, k = table["consensus"].to_numpy(), table["connectivity"].to_numpy()
    return {"program": program, "consensus_rise": float(c[-1] - c[0]), "connectivity_rise": float(k[-1] - k[0])}


def _call(args: tuple) -> Any:
    fn, a = args
    return fn(*a)


def pmap(fn, arglist: list[tuple], workers: int = 2) -> list[Any]:
    """Map a reduction over argument tuples with a small process pool (order kept)."""
    if workers <= 1:
        return [fn(*a) for a in arglist]
    return pool_map(_call, [(fn, a) for a in arglist], workers)


# ---------------------------------------------------------------- the reductions table
DW_EPS = (0.1, 0.15, 0.2)
DW_SINGLE_EPS = 0.35
DW_MUS = (0.1, 0.3, 0.5)
DW_STEPS = 400
GILBERT_CASES = ((6, 0.2, 1), (6, 0.35, 1), (6, 0.5, 1), (8, 0.1, 3))  # (n orgs, q per step, steps)
CLUSTER_TOLERANCE = 1.0  # "about floor(1/(2 eps))": mean major clusters within this of it
SINGLE_SHARE = 0.9  # "a single major cluster in nearly all runs"
GILBERT_SE = 3.0  # empirical share within this many standard errors of the exact probability


def reduction_rows(replicates: int, master: int, workers: int = 2, n_agents: int = 1000) -> list[dict]:
    """Every reduction as a row: statistic, estimate, 95% CI, expectation, pass."""
    from experiments.validation import stats

    rng = np.random.default_rng([master, 99])
    ss = np.random.SeedSequence([master, 1]).spawn(replicates)
    rows: list[dict] = []

    def row(reduction, setting, statistic, est, expected, passed, n):
        rows.append({"reduction": reduction, "setting": setting, "statistic": statistic, "estimate": est[0],
                     "lo": est[1], "hi": est[2], "expected": expected, "n": n, "passed": bool(passed)})  # fmt: skip

    cases = [(e, 0.5) for e in DW_EPS + (DW_SINGLE_EPS,)] + [(0.2, m) for m in DW_MUS if m != 0.5]
    res = pmap(run_dw, [(e, m, s, n_agents, DW_STEPS) for e, m in cases for s in ss], workers)
    by = {c: res[i * replicates : (i + 1) * replicates] for i, c in enumerate(cases)}
    for e in DW_EPS:
        major = np.array([r["major"] for r in by[(e, 0.5)]], float)
        exp = int(np.floor(1 / (2 * e)))
        est = stats.mean_ci(major, rng)
        row("Deffuant-Weisbuch", f"eps={e}, mu=0.5, N={n_agents}", "mean number of major clusters", est, exp,
            abs(est[0] - exp) <= CLUSTER_TOLERANCE, replicates)  # fmt: skip
    single = sum(r["major"] == 1 for r in by[(DW_SINGLE_EPS, 0.5)])
    est = stats.wilson(single, replicates)
    row("Deffuant-Weisbuch", f"eps={DW_SINGLE_EPS}, mu=0.5, N={n_agents}", "share of runs with one major cluster", est,
        SINGLE_SHARE, est[0] >= SINGLE_SHARE, replicates)  # fmt: skip
    times, counts = [], []
    for m in DW_MUS:
        t = stats.censor(np.array([r["t_conv"] for r in by[(0.2, m)]]), DW_STEPS)
        times.append(stats.mean_ci(t, rng))
        counts.append(np.mean([r["major"] for r in by[(0.2, m)]]))
    falling = all(times[i][0] > times[i + 1][0] for i in range(len(DW_MUS) - 1))
    same = max(counts) - min(counts) <= 0.5
    for m, t, c in zip(DW_MUS, times, counts, strict=True):
        row("Deffuant-Weisbuch", f"eps=0.2, mu={m} (major clusters {c:.2f})", "mean convergence time (steps)", t,
            "falls as mu rises; clusters stay", falling and same, replicates)  # fmt: skip
    g_runs = 4 * replicates
    gs = np.random.SeedSequence([master, 2]).spawn(g_runs)
    for n, q, steps in GILBERT_CASES:
        conn = pmap(run_gilbert, [(n, q, steps, s) for s in gs], workers)
        p_eff = 1 - (1 - q) ** steps
        exact = stats.gilbert_connected(n, p_eff)
        est = stats.wilson(int(np.sum(conn)), g_runs)
        se = np.sqrt(exact * (1 - exact) / g_runs)
        row("Gilbert G(n, p)", f"n={n}, q={q}, T={steps} (p={p_eff:.3f})", "share of runs connected", est, round(exact, 4),
            abs(est[0] - exact) <= GILBERT_SE * se, g_runs)  # fmt: skip
    k = max(2, replicates // 10)
    ni = pmap(run_no_interaction, [(p, s) for p in ("P1", "P2", "P3", "P4", "P5", "P6") for s in ss[:k]], workers)
    for p in ("P1", "P2", "P3", "P4", "P5", "P6"):
        mine = [r for r in ni if r["program"] == p]
        rise = max(max(r["consensus_rise"], r["connectivity_rise"]) for r in mine)
        row("No interaction", p, "largest rise of consensus or connectivity", (rise, rise, rise), 0.0, rise <= 1e-12, k)
    return rows
