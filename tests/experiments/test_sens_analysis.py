"""The analysis layer on plain tables: ordering, noise/design split, convergence, degenerate outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.sensitivity import analyse, make_design, order_results, spec_from_dict
from experiments.sensitivity.analysis import noise_split, point_statistic, topdown_correlation
from experiments.testfunctions import ishigami, ishigami_indices


def table(spec, design, fn=ishigami, drop=()):
    rows = []
    for p in range(design.n_points):
        over = {k.override: float(v) for k, v in zip(spec.params, design.X[p], strict=True)}
        for r in range(spec.raw.replicates):
            if (p, r) in drop:
                continue
            s = fn(None, seed=np.random.SeedSequence(1, spawn_key=(p, r)), overrides=over).summary
            rows.append({"point": p, "replicate": r, **s})
    return pd.DataFrame(rows)


SOBOL = {"name": "t", "model": "experiments.testfunctions:ishigami", "parameters": ["x1", "x2", "x3"],
         "sampler": {"name": "sobol", "N": 512}, "methods": ["sobol"], "seed": 3, "outcomes": ["y", "constant"],
         "bootstrap": {"resamples": 100}}  # fmt: skip


def test_order_results_checks_ids():
    df = pd.DataFrame({"point": [1, 0, 1, 0], "replicate": [1, 1, 0, 0], "y": [4, 2, 3, 1]})
    assert order_results(df, 2, 2)["y"].tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="duplicate"):
        order_results(pd.concat([df, df.iloc[:1]]), 2, 2)
    with pytest.raises(ValueError, match="outside the design"):
        order_results(df.assign(point=[5, 0, 1, 0]), 2, 2)


def test_analysis_on_a_plain_dataframe_recovers_ishigami():
    spec = spec_from_dict(SOBOL)
    design = make_design(spec)
    a = analyse(spec, design, table(spec, design).sample(frac=1, random_state=1))
    st = a.indices.query("outcome == 'y' and index == 'ST'").set_index("parameter")["value"]
    assert np.allclose(st.loc[["x1", "x2", "x3"]], ishigami_indices()["ST"], atol=0.08)
    assert any("constant output" in w for w in a.warnings)
    assert "constant" not in set(a.indices["outcome"]) and a.indices["value"].notna().all()


def test_missing_points_warn_instead_of_failing():
    spec = spec_from_dict(SOBOL | {"convergence": False})
    design = make_design(spec)
    a = analyse(spec, design, table(spec, design, drop={(7, 0)}))
    assert a.indices.empty
    assert any("1 sample points have no value" in w for w in a.warnings)


def test_noise_split_matches_known_variance_components():
    rng = np.random.default_rng(0)
    n, r, var_design, var_noise = 3000, 4, 4.0, 1.0
    f = rng.normal(0, np.sqrt(var_design), n)
    y = f[:, None] + rng.normal(0, np.sqrt(var_noise), (n, r))
    df = pd.DataFrame({"point": np.repeat(np.arange(n), r), "replicate": np.tile(np.arange(r), n), "y": y.ravel()})
    tab, warns = noise_split(df, ["y"], n, {}, 200, 1, 0.95)
    row = tab.iloc[0]
    assert not warns
    assert row["noise_share"] == pytest.approx(0.2, abs=0.02)
    assert row["noise_share_lo"] < 0.2 < row["noise_share_hi"]
    assert row["noise_share_of_mean"] == pytest.approx(0.25 / 4.25, abs=0.02)
    # a pure-noise output: all of its variance is noise
    tab2, _ = noise_split(df.assign(y=rng.normal(size=len(df))), ["y"], n, {}, 50, 1, 0.95)
    assert tab2.iloc[0]["noise_share"] > 0.95


def test_nan_fill_horizon_and_statistics():
    df = pd.DataFrame({"point": [0, 0, 1, 1], "replicate": [0, 1, 0, 1], "t": [3.0, np.nan, 5.0, 7.0],
                       "steps": [104.0] * 4})  # fmt: skip
    assert point_statistic(df, "t", "mean", 2, {"t": "horizon"}).tolist() == [54.0, 6.0]
    assert np.isnan(point_statistic(df, "t", "mean", 3, {})[2])
    assert point_statistic(df, "t", "std", 2, {"t": 0.0})[1] == pytest.approx(np.sqrt(2))


def test_topdown_correlation():
    a = np.array([0.5, 0.3, 0.1, 0.01, 0.0])
    assert topdown_correlation(a, a) == pytest.approx(1.0)
    assert topdown_correlation(a, a[::-1]) < 0
    # swapping the two least important costs less than swapping the two most important
    low = np.array([0.5, 0.3, 0.1, 0.0, 0.01])
    top = np.array([0.3, 0.5, 0.1, 0.01, 0.0])
    assert topdown_correlation(a, low) > topdown_correlation(a, top)


def _given_data(method: str, n: int, resamples: int):
    spec = spec_from_dict({**SOBOL, "sampler": {"name": "latin", "N": n}, "methods": [method], "outcomes": ["y"],
                           "bootstrap": {"resamples": resamples}})  # fmt: skip
    design = make_design(spec)
    a = analyse(spec, design, table(spec, design))
    return a.indices.set_index(["index", "parameter"])["value"], a


def test_pawn_ranks_ishigami_inputs():
    ix, a = _given_data("pawn", 1024, 20)
    med = ix.loc["median"].loc[["x1", "x2", "x3"]]
    assert list(med.sort_values(ascending=False).index) == ["x2", "x1", "x3"]  # moment-independent ranking
    assert len(a.stability) == 1


@pytest.mark.slow  # SALib 1.6's delta estimator takes tens of seconds even for small samples
def test_delta_runs_and_separates_ishigami_inputs():
    """A code-path check: at N = 512 delta cannot separate x1 from x2 (both about 0.22), only x3."""
    ix, _ = _given_data("delta", 512, 10)
    d = ix.loc["delta"].loc[["x1", "x2", "x3"]]
    assert d.between(0, 1).all() and d.idxmin() == "x3"
    assert ix.loc["S1"].loc[["x1", "x2", "x3"]].idxmin() == "x3"


@pytest.mark.parametrize("points, reps, holes", [(7, 2, 0.0), (301, 5, 0.1), (1000, 3, 0.3), (65, 8, 0.0)])
def test_vectorized_noise_bootstrap_is_the_per_resample_loop(points, reps, holes):
    """_boot_shares gathers per-point terms once; each resample must equal a plain _split call bit for bit."""
    from experiments.sensitivity.analysis import _boot_shares, _split

    rng = np.random.default_rng(points)
    mat = rng.normal(0, 2, (points, 1))[:, [0] * reps] + rng.gamma(1.5, 1.0, (points, reps)) * 1e3
    mat[rng.random(mat.shape) < holes] = np.nan
    mat[:, :2] = np.where(np.isnan(mat[:, :2]), 1.0, mat[:, :2])  # >= 2 replicates per point, as noise_split keeps
    mat[: points // 3] = 5.0  # constant points: zero within-point variance (exercises the max(., 0) clip)
    draws = np.random.default_rng(42)
    idx = np.stack([draws.integers(0, points, points) for _ in range(37)])
    plain = np.array([_split(mat[i])[0] for i in idx])
    fast = _boot_shares(mat, idx, chunk=5)
    np.testing.assert_array_equal(fast, plain)  # exact, NaN where the plain loop gives NaN
    assert plain.dtype == fast.dtype and not np.array_equal(fast, np.full_like(fast, fast[0]), equal_nan=True)
    # all-constant resample: no variance at all -> NaN share, as _split
    const = np.full((5, reps), 3.0)
    assert np.isnan(_boot_shares(const, np.zeros((2, 5), dtype=int))).all()
    assert np.isnan(_split(const)[0])


def test_noise_split_bounds_equal_the_plain_bootstrap_loop():
    """noise_split end to end (draw order, draws shared by outcomes) against the original loop, written out here."""
    from experiments.sensitivity.analysis import _split

    rng = np.random.default_rng(5)
    n, r = 301, 3
    f = rng.normal(0, 1, n)
    df = pd.DataFrame({"point": np.repeat(np.arange(n), r), "replicate": np.tile(np.arange(r), n),
                       "a": (f[:, None] + rng.normal(0, 0.5, (n, r))).ravel(),
                       "b": (f[:, None] ** 2 + rng.normal(0, 2.0, (n, r))).ravel()})  # fmt: skip
    df.loc[df.sample(40, random_state=1).index, "b"] = np.nan  # b keeps fewer points: its own draws
    tab, _ = noise_split(df, ["a", "b"], n, {}, 150, 7, 0.9)
    for outcome in ("a", "b"):
        mat = df.pivot(index="point", columns="replicate", values=outcome).to_numpy(dtype=float)
        mat = mat[np.isfinite(mat).sum(axis=1) >= 2]
        draws = np.random.default_rng(7)
        boots = np.array([_split(mat[draws.integers(0, len(mat), len(mat))]) for _ in range(150)])
        lo, hi = np.nanquantile(boots[:, 0], [0.05, 0.95])
        row = tab.set_index("outcome").loc[outcome]
        assert (row["noise_share_lo"], row["noise_share_hi"]) == (lo, hi), outcome
    assert tab.set_index("outcome").loc["b", "points"] < n
