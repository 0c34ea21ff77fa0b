"""Reductions to canonical models with known answers (fast versions; the full table is `abm validate`).

* Deffuant-Weisbuch (2000): about floor(1/(2 eps)) major clusters; one for eps >= 0.35; convergence
  faster with larger mu, same clusters.
* Gilbert (1959): with a fixed per-pair link chance, P(connected) is the exact G(n, p) probability.
* No interaction: neither consensus nor connectivity rises.

Seeds are fixed and replicate counts chosen with a wide margin to the pass bounds (not flaky).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from abm.run import run_once
from experiments.validation import reductions as red
from experiments.validation.stats import gilbert_connected


def _dw(eps: float, mu: float, n_runs: int, steps: int = 250) -> list[dict]:
    return [red.run_dw(eps, mu, np.random.SeedSequence([7, i]), 1000, steps) for i in range(n_runs)]


@pytest.mark.parametrize("eps", [0.1, 0.15, 0.2])
def test_deffuant_weisbuch_cluster_count(eps):
    runs = _dw(eps, 0.5, 8)
    major = np.mean([r["major"] for r in runs])
    assert abs(major - np.floor(1 / (2 * eps))) <= 1.0, major


def test_deffuant_weisbuch_single_cluster_for_wide_bounds():
    runs = _dw(0.35, 0.5, 8)
    assert sum(r["major"] == 1 for r in runs) >= 7


def test_deffuant_weisbuch_convergence_time_falls_with_mu_clusters_stay():
    by_mu = {mu: _dw(0.2, mu, 6) for mu in (0.1, 0.3, 0.5)}
    t = {mu: np.mean([r["t_conv"] for r in runs]) for mu, runs in by_mu.items()}
    clusters = {mu: np.mean([r["major"] for r in runs]) for mu, runs in by_mu.items()}
    assert t[0.1] > t[0.3] > t[0.5], t
    assert max(clusters.values()) - min(clusters.values()) <= 0.5, clusters


def test_dw_reduction_really_removes_trust_and_engagement():
    """The reduction's openness and step are exactly eps and mu for every pair."""
    sc = red.dw_scenario(0.2, 0.3)
    p = sc.params
    assert p.eps_trust == 0 and p.engagement_openness == 0 and p.engagement_step == 0
    assert p.mechanisms.mixing == "random" and p.mechanisms.initial_views == "uniform"
    assert sc.program.pathway == "none" and not p.mechanisms.milestones


def _brute_force_connected(n: int, p: float) -> float:
    pairs = list(itertools.combinations(range(n), 2))
    total = 0.0
    for present in itertools.product((0, 1), repeat=len(pairs)):
        parent = list(range(n))

        def find(x, parent=parent):
            while parent[x] != x:
                x = parent[x]
            return x

        for (a, b), on in zip(pairs, present, strict=True):
            if on:
                parent[find(a)] = find(b)
        if len({find(i) for i in range(n)}) == 1:
            k = sum(present)
            total += p**k * (1 - p) ** (len(pairs) - k)
    return total


@pytest.mark.parametrize("n,p", [(2, 0.3), (3, 0.5), (4, 0.25), (5, 0.6)])
def test_gilbert_recursion_matches_enumeration(n, p):
    assert gilbert_connected(n, p) == pytest.approx(_brute_force_connected(n, p), abs=1e-12)


@pytest.mark.parametrize("n,q,steps", [(6, 0.35, 1), (5, 0.15, 2)])
def test_fixed_link_formation_is_gilbert_random_graph(n, q, steps):
    runs = 400
    connected = [red.run_gilbert(n, q, steps, np.random.SeedSequence([11, i])) for i in range(runs)]
    exact = gilbert_connected(n, 1 - (1 - q) ** steps)
    se = np.sqrt(exact * (1 - exact) / runs)
    assert abs(np.mean(connected) - exact) <= 3.5 * se, (np.mean(connected), exact)


@pytest.mark.parametrize("program", ["P1", "P2", "P3", "P4", "P5", "P6"])
def test_no_interaction_no_rise(program):
    r = red.run_no_interaction(program, np.random.SeedSequence([5, 1]), steps=60)
    assert r["consensus_rise"] <= 1e-12
    assert r["connectivity_rise"] <= 1e-12


def test_interaction_does_raise_consensus_and_connectivity():
    """The no-interaction test can fail: with interaction the same program gains both."""
    steps = run_once("P3", seed=5).steps
    assert steps["consensus"].iloc[-1] > steps["consensus"].iloc[0] + 0.1
    assert steps["connectivity"].iloc[-1] >= steps["connectivity"].iloc[0]
