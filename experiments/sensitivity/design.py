"""The SALib design of a sensitivity spec: sample points, the rows to run, convergence subsets.

Every sample point has an integer ``point`` id (its row in SALib's sample) and is run
``replicates`` times. Results are always re-ordered by ``(point, replicate)`` before analysis, so
the order in which a parallel or resumed run stored them never matters.

Convergence subsets are nested designs that SALib's estimators accept as they are: the first
N/4 and N/2 base rows of a Saltelli sample (each base row is a block of D+2 or 2D+2 points), the
first quarter and half of the Morris trajectories, prefixes of latin/random samples. eFAST curves
cannot be truncated (their frequencies sit near the Nyquist limit), so eFAST samples extra,
independent designs at N/4 and N/2 (``stage`` 1 and 2, +75% runs; off with ``convergence: false``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.sensitivity.spec import SensitivitySpec

SAMPLER_TAG = 0x5A1B  # mixes into the master seed so sampler and run seeds never coincide


@dataclass(frozen=True)
class Design:
    """Sample points of a spec. ``X`` holds the values actually run (integers rounded)."""

    problem: dict
    X: np.ndarray  # (n_points, D) values run
    X_raw: np.ndarray  # (n_points, D) SALib's sample before rounding integers (Morris needs it)
    stage: np.ndarray  # (n_points,) 0 = main design; eFAST convergence designs 1 (N/2), 2 (N/4)
    levels: dict[int, np.ndarray]  # base size N' -> point ids of the nested (or extra) design, in order
    N: int

    @property
    def n_points(self) -> int:
        return len(self.X)

    def main(self) -> np.ndarray:
        return self.levels[self.N]

    def table(self) -> pd.DataFrame:
        """One row per point: point id, stage and parameter values (stored beside the results)."""
        df = pd.DataFrame(self.X, columns=self.problem["names"])
        df.insert(0, "stage", self.stage.astype("int64"))
        df.insert(0, "point", np.arange(self.n_points, dtype="int64"))
        return df


def sampler_seed(spec: SensitivitySpec) -> int:
    s = spec.raw.sampler
    if s.seed is not None:
        return s.seed
    return int(np.random.SeedSequence([spec.raw.seed, SAMPLER_TAG]).generate_state(1)[0])


def _draw(spec: SensitivitySpec, problem: dict, n: int, seed: int) -> np.ndarray:
    from SALib.sample import fast_sampler, latin, morris
    from SALib.sample import sobol as sobol_sample

    s = spec.raw.sampler
    if s.name == "sobol":
        return sobol_sample.sample(problem, n, calc_second_order=s.second_order, seed=seed)
    if s.name == "morris":
        return morris.sample(problem, n, num_levels=s.levels, seed=seed)
    if s.name == "fast":
        return fast_sampler.sample(problem, n, M=s.M, seed=seed)
    if s.name == "latin":
        return latin.sample(problem, n, seed=seed)
    rng = np.random.default_rng(seed)
    lo, hi = np.array(problem["bounds"]).T
    return lo + (hi - lo) * rng.random((n, problem["num_vars"]))


def _as_run(spec: SensitivitySpec, X: np.ndarray) -> np.ndarray:
    """Round integer parameters (sampled on [lo-0.5, hi+0.5]) and clip them into [lo, hi]."""
    X = np.array(X, dtype=float)
    for j, p in enumerate(spec.params):
        if p.integer:
            X[:, j] = np.clip(np.floor(X[:, j] + 0.5), p.lo, p.hi)
    return X


def block_size(spec: SensitivitySpec) -> int:
    """Points per base sample: Saltelli block, Morris trajectory, or 1."""
    d = len(spec.params)
    s = spec.raw.sampler
    if s.name == "sobol":
        return 2 * d + 2 if s.second_order else d + 2
    if s.name == "morris":
        return d + 1
    return 1


def convergence_sizes(spec: SensitivitySpec) -> list[int]:
    n = spec.raw.sampler.N
    if not spec.raw.convergence:
        return [n]
    return sorted({max(n // 4, 1), max(n // 2, 1), n})


def make_design(spec: SensitivitySpec) -> Design:
    """Draw the design (deterministic in the spec's seeds)."""
    problem = spec.problem()
    s = spec.raw.sampler
    seed = sampler_seed(spec)
    X = _draw(spec, problem, s.N, seed)
    stage = np.zeros(len(X), dtype=int)
    levels: dict[int, np.ndarray] = {}
    if s.name == "fast":
        levels[s.N] = np.arange(len(X))
        parts, stages = [X], [stage]
        for k, n in enumerate(sorted(convergence_sizes(spec), reverse=True)[1:], start=1):
            Xn = _draw(spec, problem, n, seed + k)
            levels[n] = np.arange(sum(len(p) for p in parts), sum(len(p) for p in parts) + len(Xn))
            parts.append(Xn)
            stages.append(np.full(len(Xn), k))
        X, stage = np.vstack(parts), np.concatenate(stages)
    else:
        b = block_size(spec)
        for n in convergence_sizes(spec):
            levels[n] = np.arange(n * b)
    return Design(problem, _as_run(spec, X), np.asarray(X, dtype=float), stage, levels, s.N)


def design_rows(spec: SensitivitySpec, design: Design) -> pd.DataFrame:
    """Rows to run: point, replicate and one column per varied parameter's override key.

    Replicate-major order (all points of replicate 0, then replicate 1, ...), so an interrupted
    run has already covered the whole design at least once.
    """
    r = spec.raw.replicates
    n = design.n_points
    point = np.tile(np.arange(n), r)
    rep = np.repeat(np.arange(r), n)
    df = pd.DataFrame({"point": point.astype("int64"), "replicate": rep.astype("int64")})
    for j, p in enumerate(spec.params):
        col = design.X[point, j]
        df[p.override] = col.astype("int64") if p.integer else col
    return df
