"""Replicate-aware sensitivity analysis on plain tables (no model, no runner).

Input is one row per run (``point``, ``replicate`` and outcome columns) in any order. Rows are
sorted to the sample order first; SALib then sees one value per sample point: a statistic
(``mean`` by default, optionally ``std``, ``median``, ``q10``, ``q90``) over that point's replicates.

Noise versus design (one-way random-effects ANOVA over sample points): with ``r_i`` replicates at
point i, the within-point variance s_w^2 (pooled) estimates the noise variance E[Var(Y|X)], and
the variance of point means minus s_w^2 * mean(1/r_i) estimates the design variance Var(E[Y|X]).
``noise_share`` = noise / (noise + design) is the share of a single run's variance that is noise;
``noise_share_of_mean`` is the share still left in the replicate mean that SALib analyses
(indices of the mean are attenuated by about this factor).

References: Saltelli et al. (2010) Comput Phys Commun 181:259; Morris (1991) Technometrics 33:161;
Saltelli, Tarantola & Chan (1999) Technometrics 41:39 (eFAST); Borgonovo (2007) RESS 92:771
(delta); Pianosi & Wagener (2015) EMS 67:1 (PAWN); Iman & Conover (1987) Technometrics 29:351
(top-down rank correlation, used for the convergence check).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from experiments.sensitivity.design import Design
from experiments.sensitivity.spec import Method, SensitivitySpec

KEY_INDEX = {"sobol": "ST", "fast": "ST", "morris": "mu_star", "delta": "delta", "pawn": "median"}
INDEX_COLUMNS = ["outcome", "statistic", "method", "N", "index", "parameter", "parameter2", "value", "conf", "lo", "hi"]
STABLE_TOPDOWN = 0.9  # top-down (Savage) rank correlation between N/2 and N counted as stable
MAX_GROWTH = 64  # suggested N is capped at this many times the current N (beyond: near ties)


@dataclass
class Analysis:
    """Tables of one analysis, and the warnings raised while making them."""

    indices: pd.DataFrame
    noise: pd.DataFrame
    convergence: pd.DataFrame
    stability: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def order_results(results: pd.DataFrame, n_points: int, replicates: int) -> pd.DataFrame:
    """Rows sorted by (point, replicate), checked: ids in range, no duplicates."""
    if not {"point", "replicate"} <= set(results.columns):
        raise ValueError("results need 'point' and 'replicate' columns")
    df = results.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    bad = (df["point"] < 0) | (df["point"] >= n_points) | (df["replicate"] < 0) | (df["replicate"] >= replicates)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} result rows have a point or replicate outside the design")
    dup = df.duplicated(["point", "replicate"])
    if dup.any():
        raise ValueError(f"{int(dup.sum())} duplicate (point, replicate) rows in the results")
    return df


def _stat(name: str):
    return {
        "mean": lambda g: g.mean(),
        "std": lambda g: g.std(ddof=1),
        "median": lambda g: g.median(),
        "q10": lambda g: g.quantile(0.1),
        "q90": lambda g: g.quantile(0.9),
    }[name]


def outcome_values(ordered: pd.DataFrame, outcome: str, nan_fill: dict[str, float | str]) -> pd.Series:
    """An outcome column as floats, NaN replaced as the spec asks ('horizon': the run's steps + 1)."""
    y = ordered[outcome].astype(float)
    fill = nan_fill.get(outcome)
    if fill is None:
        return y
    return y.fillna(ordered["steps"].astype(float) + 1 if fill == "horizon" else float(fill))


def point_statistic(ordered: pd.DataFrame, outcome: str, statistic: str, n_points: int,
                    nan_fill: dict[str, float] | None = None) -> np.ndarray:  # fmt: skip
    """One value per sample point (NaN where a point has no usable run)."""
    y = outcome_values(ordered, outcome, nan_fill or {})
    g = y.groupby(ordered["point"])
    return _stat(statistic)(g).reindex(range(n_points)).to_numpy(dtype=float)


def _is_constant(y: np.ndarray) -> bool:
    y = y[np.isfinite(y)]
    return len(y) == 0 or float(np.ptp(y)) <= 1e-12 * max(1.0, float(np.max(np.abs(y))))


def _rows(outcome: str, stat: str, method: str, n: int, index: str, names: list[str],
          value, conf=None, names2: list[str] | None = None) -> list[dict]:  # fmt: skip
    out = []
    value = np.asarray(value, dtype=float)
    conf = np.full(value.shape, np.nan) if conf is None else np.asarray(conf, dtype=float)
    for k, name in enumerate(names):
        out.append({"outcome": outcome, "statistic": stat, "method": method, "N": n, "index": index,
                    "parameter": name, "parameter2": names2[k] if names2 else None,
                    "value": value[k], "conf": conf[k], "lo": value[k] - conf[k], "hi": value[k] + conf[k]})  # fmt: skip
    return out


def _pawn_boot(problem: dict, X: np.ndarray, Y: np.ndarray, slides: int, resamples: int, seed: int,
               conf_level: float) -> np.ndarray:  # fmt: skip
    """Half-width of a percentile bootstrap CI of PAWN's median index (SALib gives none)."""
    from SALib.analyze import pawn

    rng = np.random.default_rng(seed)
    reps = []
    for _ in range(resamples):
        idx = rng.integers(0, len(Y), len(Y))
        reps.append(pawn.analyze(problem, X[idx], Y[idx], S=slides, seed=seed)["median"])
    reps = np.array(reps)
    a = (1 - conf_level) / 2
    lo, hi = np.quantile(reps, [a, 1 - a], axis=0)
    return (hi - lo) / 2


def method_indices(spec: SensitivitySpec, design: Design, method: Method, y: np.ndarray,
                   n: int, outcome: str, stat: str, resamples: int | None = None) -> list[dict]:  # fmt: skip
    """Indices of one method on the points of base size ``n`` (``y``: one value per design point)."""
    from SALib.analyze import delta, fast, morris, pawn, sobol

    from experiments.sensitivity import sobol_indices

    boot = spec.raw.bootstrap
    nres = boot.resamples if resamples is None else resamples
    problem = design.problem
    names = problem["names"]
    ids = design.levels[n]
    Y = y[ids]
    s = spec.raw.sampler
    if method.name == "sobol":
        if s.second_order:
            Si = sobol.analyze(problem, Y, calc_second_order=True, num_resamples=nres,
                               conf_level=boot.confidence, seed=boot.seed)  # fmt: skip
        else:  # the same numbers as SALib's, all parameters at once
            Si = sobol_indices.analyze(Y, len(names), nres, boot.confidence, boot.seed)
        rows = _rows(outcome, stat, "sobol", n, "S1", names, Si["S1"], Si["S1_conf"])
        rows += _rows(outcome, stat, "sobol", n, "ST", names, Si["ST"], Si["ST_conf"])
        if method.second_order:
            pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
            rows += _rows(outcome, stat, "sobol", n, "S2", [names[i] for i, _ in pairs],
                          [Si["S2"][i, j] for i, j in pairs], [Si["S2_conf"][i, j] for i, j in pairs],
                          [names[j] for _, j in pairs])  # fmt: skip
        return rows
    if method.name == "morris":
        Si = morris.analyze(problem, design.X_raw[ids], Y, num_resamples=nres, conf_level=boot.confidence,
                            num_levels=s.levels, seed=boot.seed)  # fmt: skip
        rows = _rows(outcome, stat, "morris", n, "mu_star", names, Si["mu_star"], Si["mu_star_conf"])
        rows += _rows(outcome, stat, "morris", n, "sigma", names, Si["sigma"])
        rows += _rows(outcome, stat, "morris", n, "mu", names, Si["mu"])
        return rows
    if method.name == "fast":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SALib: eFAST bootstrap CIs are indicative only (see docs)
            Si = fast.analyze(problem, Y, M=s.M, num_resamples=nres, conf_level=boot.confidence, seed=boot.seed)
        rows = _rows(outcome, stat, "fast", n, "S1", names, Si["S1"], Si["S1_conf"])
        rows += _rows(outcome, stat, "fast", n, "ST", names, Si["ST"], Si["ST_conf"])
        return rows
    X = design.X[ids]
    if method.name == "delta":
        # SALib's delta rejects names ending in _raw/_step/... (e.g. engagement_step): use neutral names
        neutral = {**problem, "names": [f"x{i}" for i in range(len(names))]}
        with warnings.catch_warnings():  # delta.analyze resets the global warning filter otherwise
            Si = delta.analyze(neutral, X, Y, num_resamples=nres, conf_level=boot.confidence, seed=boot.seed)
        rows = _rows(outcome, stat, "delta", n, "delta", names, Si["delta_raw"], Si["delta_raw_conf"])
        rows += _rows(outcome, stat, "delta", n, "S1", names, Si["S1"], Si["S1_conf"])
        return rows
    Si = pawn.analyze(problem, X, Y, S=method.slides, seed=boot.seed)
    conf = _pawn_boot(problem, X, Y, method.slides, min(nres, 100), boot.seed, boot.confidence)
    rows = _rows(outcome, stat, "pawn", n, "median", names, Si["median"], conf)
    rows += _rows(outcome, stat, "pawn", n, "maximum", names, Si["maximum"])
    return rows


def noise_split(ordered: pd.DataFrame, outcomes: list[str], n_points: int, nan_fill: dict[str, float],
                resamples: int, seed: int, confidence: float) -> tuple[pd.DataFrame, list[str]]:  # fmt: skip
    """Noise (within a point, across replicates) versus design (across points) variance per outcome."""
    rows, warns = [], []
    draws: dict[int, np.ndarray] = {}  # points -> resample rows (one generator draw per resample, in order)
    for outcome in outcomes:
        y = outcome_values(ordered, outcome, nan_fill)
        ok = y.notna()
        wide = pd.DataFrame({"p": ordered["point"][ok], "r": ordered["replicate"][ok], "y": y[ok]})
        mat = wide.pivot(index="p", columns="r", values="y").to_numpy(dtype=float)  # points x replicates
        counts = np.isfinite(mat).sum(axis=1)
        mat = mat[counts >= 2]
        if len(mat) < 3:
            warns.append(f"{outcome}: noise/design split needs >= 2 replicates at >= 3 points; not estimated")
            continue
        est = _split(mat)
        if not np.isfinite(est[0]):
            warns.append(f"{outcome}: constant output (zero variance): no noise/design split")
            continue
        idx = draws.get(len(mat))
        if idx is None:  # the draws depend only on the seed and the number of points: shared by outcomes
            rng = np.random.default_rng(seed)
            idx = draws[len(mat)] = np.stack([rng.integers(0, len(mat), len(mat)) for _ in range(resamples)])
        a = (1 - confidence) / 2
        lo, hi = np.nanquantile(_boot_shares(mat, idx), [a, 1 - a])
        rows.append({"outcome": outcome, "points": len(mat), "runs": int(np.isfinite(mat).sum()),
                     "var_noise": est[1], "var_design": est[2], "noise_share": est[0],
                     "noise_share_lo": lo, "noise_share_hi": hi, "noise_share_of_mean": est[3]})  # fmt: skip
    cols = ["outcome", "points", "runs", "var_noise", "var_design", "noise_share", "noise_share_lo",
            "noise_share_hi", "noise_share_of_mean"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols), warns


def _split(mat: np.ndarray) -> tuple[float, float, float, float]:
    """(noise share, noise var, design var, noise share of the mean) from a points x replicates matrix."""
    r = np.isfinite(mat).sum(axis=1)
    means = np.nanmean(mat, axis=1)
    ss_within = np.nansum((mat - means[:, None]) ** 2)
    var_noise = ss_within / np.sum(r - 1)
    var_means = np.var(means, ddof=1)
    var_design = max(var_means - var_noise * np.mean(1 / r), 0.0)
    total = var_noise + var_design
    if total <= 0:
        return (np.nan, var_noise, var_design, np.nan)
    share_mean = min(var_noise * np.mean(1 / r) / var_means, 1.0) if var_means > 0 else np.nan
    return (var_noise / total, var_noise, var_design, share_mean)


def _boot_shares(mat: np.ndarray, idx: np.ndarray, chunk: int = 64) -> np.ndarray:
    """Noise share of :func:`_split` for every resample of rows ``idx`` (resamples x points) at once.

    Bit-identical to ``[_split(mat[i])[0] for i in idx]``: the per-point terms (replicate counts,
    means, squared deviations) do not depend on the other rows, so they are computed once and
    gathered; each sum over a resample runs over a contiguous row of the same length, in the same
    order, as the plain call's. Resamples go in chunks to bound memory (chunk x points x replicates).
    """
    r = np.isfinite(mat).sum(axis=1)
    means = np.nanmean(mat, axis=1)
    sq = (mat - means[:, None]) ** 2
    sq[np.isnan(sq)] = 0  # as np.nansum
    inv_r = 1 / r
    out = np.empty(len(idx))
    for s in range(0, len(idx), chunk):
        rows = idx[s : s + chunk]
        ss_within = sq[rows].reshape(len(rows), -1).sum(axis=1)
        var_noise = ss_within / (r[rows] - 1).sum(axis=1)
        var_means = np.var(means[rows], axis=1, ddof=1)
        diff = var_means - var_noise * inv_r[rows].mean(axis=1)
        var_design = np.where(0.0 > diff, 0.0, diff)  # as max(diff, 0.0), NaN kept
        total = var_noise + var_design
        with np.errstate(divide="ignore", invalid="ignore"):
            out[s : s + chunk] = np.where(total <= 0, np.nan, var_noise / total)
    return out


def topdown_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Iman-Conover top-down correlation: Pearson correlation of Savage scores (large values ranked first)."""
    n = len(a)
    if n < 2:
        return 1.0
    savage = np.cumsum(1.0 / np.arange(n, 0, -1))[::-1]  # score of rank 1 (largest) = sum_{j=1..n} 1/j

    def scores(v: np.ndarray) -> np.ndarray:
        order = np.argsort(-np.nan_to_num(v, nan=-np.inf), kind="stable")
        s = np.empty(n)
        s[order] = savage
        return s

    sa, sb = scores(a), scores(b)
    return float(np.corrcoef(sa, sb)[0, 1])


def _nice(n: float, sampler: str | None) -> int:
    """``n`` rounded up to a power of two (Sobol) or to two significant digits (others)."""
    n = max(int(np.ceil(n)), 1)
    if sampler == "sobol":
        return 1 << (n - 1).bit_length()
    step = 10 ** max(len(str(n)) - 2, 0)
    return int(-(-n // step) * step)


def suggest_n(values: np.ndarray, conf: np.ndarray, topdown_half: float, n: int, k: int,
              sampler: str | None = None) -> tuple[int, bool]:  # fmt: skip
    """The base size N at which a ranking would likely be stable, and whether it hit the cap.

    Two estimates, the larger is used (at least 2 N): (1) index estimates have variance ~ 1/N and
    the disagreement ``1 - r`` of two rankings (``r``: top-down correlation of N/2 with N) grows with
    that variance, so ``r`` reaches :data:`STABLE_TOPDOWN` near ``N (1 - r) / (1 - STABLE_TOPDOWN)``;
    (2) the top-k set is resolved when the CI of the difference between the k-th and (k+1)-th values,
    ``sqrt(conf_k^2 + conf_k+1^2)`` (~ 1/sqrt(N)), is below their gap: ``N (halfwidth / gap)^2``.
    Capped at :data:`MAX_GROWTH` N (parameters then are practically tied: rank them as a group).
    """
    want = [2.0 * n]
    if np.isfinite(topdown_half):
        want.append(n * (1 - topdown_half) / (1 - STABLE_TOPDOWN))
    order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")
    if len(order) > k:
        a, b = order[k - 1], order[k]
        gap = float(values[a] - values[b])
        half = float(np.hypot(conf[a], conf[b]))
        if np.isfinite(half) and half > 0:
            want.append(n * (half / gap) ** 2 if gap > 0 else np.inf)
    need = max(want)
    capped = not need <= MAX_GROWTH * n
    return _nice(min(need, MAX_GROWTH * n), sampler), capped


def stability(conv: pd.DataFrame, sizes: list[int], sampler: str | None = None) -> pd.DataFrame:
    """Per outcome x statistic x method: are key-index rankings at N/4 and N/2 those at N?

    ``topdown_*``: top-down (Savage-score) correlation with the ranking at N, which weighs agreement
    on the most influential parameters most; ``top_same_*``: same top-k set (k = min(3, D - 1)).
    ``stable``: at N/2 the top-down correlation is >= 0.9 and the top-k set is the same as at N.
    ``suggested_N`` (unstable rows): the N at which the ranking would likely be stable
    (:func:`suggest_n`; ``suggested_N_capped``: more would be needed, the top parameters are near ties).
    """
    rows = []
    n_full = max(sizes)
    for (outcome, stat, method), g in conv.groupby(["outcome", "statistic", "method"], sort=False):
        key = KEY_INDEX[method]
        g = g[(g["index"] == key) & g["parameter2"].isna()]
        at_full = g[g["N"] == n_full].set_index("parameter")
        full = at_full["value"]
        d = len(full)
        k = max(1, min(3, d - 1))
        top_full = set(full.sort_values(ascending=False).index[:k])
        row = {"outcome": outcome, "statistic": stat, "method": method, "index": key,
               "top": ", ".join(full.sort_values(ascending=False).index[:k])}  # fmt: skip
        labels = {n_full // 4: "quarter", n_full // 2: "half"}
        for n in sorted(sizes)[:-1]:
            part = g[g["N"] == n].set_index("parameter")["value"].reindex(full.index)
            label = labels.get(n, f"N{n}")
            row[f"topdown_{label}"] = topdown_correlation(part.to_numpy(), full.to_numpy())
            row[f"top_same_{label}"] = set(part.sort_values(ascending=False).index[:k]) == top_full
        row["stable"] = bool(row["topdown_half"] >= STABLE_TOPDOWN and row["top_same_half"])
        row["N"] = n_full
        if row["stable"]:
            row["suggested_N"], row["suggested_N_capped"] = n_full, False
        else:
            row["suggested_N"], row["suggested_N_capped"] = suggest_n(
                full.to_numpy(float), at_full["conf"].to_numpy(float), row["topdown_half"], n_full, k, sampler)
        rows.append(row)
    return pd.DataFrame(rows)


def stability_warnings(stab: pd.DataFrame, sampler: str) -> list[str]:
    """One warning per unstable ranking, led by a summary line with the N to use."""
    if stab.empty or stab["stable"].all():
        return []
    bad = stab[~stab["stable"]]
    n = int(bad["N"].iloc[0])
    what = "trajectories" if sampler == "morris" else "base sample size"
    top = int(bad["suggested_N"].max())
    more = " or more" if bad["suggested_N_capped"].any() else ""
    out = [f"{len(bad)} of {len(stab)} rankings are unstable (top-down correlation of the ranking at N/2 with N < "
           f"{STABLE_TOPDOWN}, or the top set changed): increase N from {n} to {top}{more} (sampler.N, {what}), "
           "in a new --out directory"]  # fmt: skip
    for r in bad.to_dict("records"):
        why = f"top-down correlation N/2 vs N = {r['topdown_half']:.2f}" + ("" if r["top_same_half"] else ", top set changed")
        cap = " or more (near ties at the top: read them as a group)" if r["suggested_N_capped"] else ""
        out.append(f"  {r['outcome']} ({r['statistic']}, {r['method']} {r['index']}): unstable ({why}); "
                   f"increase N from {n} to {int(r['suggested_N'])}{cap}")  # fmt: skip
    return out


def analyse(spec: SensitivitySpec, design: Design, results: pd.DataFrame,
            convergence: bool | None = None) -> Analysis:  # fmt: skip
    """Every table of a sensitivity analysis from one-row-per-run results (any row order)."""
    from experiments.sensitivity.design import convergence_sizes

    r = spec.raw
    ordered = order_results(results, design.n_points, r.replicates)
    warns: list[str] = []
    missing = design.n_points * r.replicates - len(ordered)
    if missing:
        warns.append(f"{missing} of {design.n_points * r.replicates} runs have no result (failed or not run yet)")
    sizes = convergence_sizes(spec) if (r.convergence if convergence is None else convergence) else [r.sampler.N]
    main, conv = [], []
    for outcome in r.outcomes:
        if outcome not in ordered.columns:
            warns.append(f"{outcome}: not in the results; skipped")
            continue
        n_nan = int(ordered[outcome].isna().sum()) if outcome not in r.nan_fill else 0
        if n_nan:
            warns.append(f"{outcome}: {n_nan} runs gave NaN (set nan_fill.{outcome} to censor, e.g. at the horizon)")
        for stat in r.statistics:
            y = point_statistic(ordered, outcome, stat, design.n_points, r.nan_fill)
            used = y[design.main()]
            if _is_constant(used):
                val = used[np.isfinite(used)]
                warns.append(f"{outcome} ({stat}): constant output (= {val[0]:.6g}) over the design: zero variance, "
                             "no sensitivity indices" if len(val) else f"{outcome} ({stat}): no values")  # fmt: skip
                continue
            for method in spec.methods:
                structured = method.name in ("sobol", "morris", "fast")
                for n in sizes:
                    yy = y
                    ids = design.levels[n]
                    if np.isnan(y[ids]).any():
                        if structured:
                            if n == r.sampler.N:
                                warns.append(f"{outcome} ({stat}, {method.name}): {int(np.isnan(y[ids]).sum())} sample "
                                             "points have no value; indices need every point (resume or nan_fill)")  # fmt: skip
                            continue
                        yy = y.copy()
                    rows = _method_rows(spec, design, method, yy, n, outcome, stat, structured)
                    if stat == "mean" and r.replicates >= 2 and method.name in ("sobol", "fast"):
                        rows += _denoised(rows, ordered, outcome, r.nan_fill, design.levels[n], warns)
                    (main if n == r.sampler.N else conv).extend(rows)
                    if n == r.sampler.N:
                        conv.extend(rows)
    indices = pd.DataFrame(main, columns=INDEX_COLUMNS)
    convtab = pd.DataFrame(conv, columns=INDEX_COLUMNS)
    stab = stability(convtab, sizes, r.sampler.name) if len(sizes) > 1 and len(convtab) else pd.DataFrame()
    warns += stability_warnings(stab, r.sampler.name)
    if len(sizes) == 1:
        warns.append("convergence: false, so the stability of the rankings was not checked (set convergence: true)")
    b = r.bootstrap
    noise, w = noise_split(ordered, [o for o in r.outcomes if o in ordered.columns], design.n_points, r.nan_fill,
                           b.resamples, b.seed, b.confidence)  # fmt: skip
    if r.replicates >= 2:
        warns += w
    else:
        warns.append("replicates: 1, so noise and design variance cannot be separated; indices treat the model as deterministic")
    return Analysis(indices, noise, convtab, stab, warns)


def _method_rows(spec, design, method, y, n, outcome, stat, structured) -> list[dict]:
    if structured:
        return method_indices(spec, design, method, y, n, outcome, stat)
    # given-data methods: drop points without a value
    ids = design.levels[n]
    keep = ids[np.isfinite(y[ids])]
    sub = Design(design.problem, design.X, design.X_raw, design.stage, {**design.levels, n: keep}, design.N)
    return method_indices(spec, sub, method, y, n, outcome, stat)


def _denoised(rows: list[dict], ordered: pd.DataFrame, outcome: str, nan_fill: dict[str, float],
              ids: np.ndarray, warns: list[str]) -> list[dict]:  # fmt: skip
    """Variance-based indices of E[Y|X], corrected for the noise left in replicate means.

    With V' the variance of the replicate means and e = noise variance / replicates the part of it
    that is noise, S1 of E[Y|X] is S1' V' / (V' - e) and 1 - ST is (1 - ST') V' / (V' - e): noise
    shrinks every S1 and inflates every ST by the same factor (half-widths are scaled alike).
    """
    sub = ordered[ordered["point"].isin(ids)]
    y = outcome_values(sub, outcome, nan_fill)
    ok = y.notna()
    mat = pd.DataFrame({"p": sub["point"][ok], "r": sub["replicate"][ok], "y": y[ok]}).pivot(
        index="p", columns="r", values="y").to_numpy(dtype=float)  # fmt: skip
    mat = mat[np.isfinite(mat).sum(axis=1) >= 2]
    if len(mat) < 3:
        return []
    reps = np.isfinite(mat).sum(axis=1)
    means = np.nanmean(mat, axis=1)
    var_noise = np.nansum((mat - means[:, None]) ** 2) / np.sum(reps - 1)
    v_mean = float(np.var(means, ddof=1))
    e = var_noise * float(np.mean(1 / reps))
    if e == 0:  # deterministic output: nothing to correct
        return []
    if not v_mean > e:
        n = rows[0]["N"] if rows else ""
        warns.append(f"{outcome} (mean, N={n}): the replicate means are all noise; no denoised indices")
        return []
    c = v_mean / (v_mean - e)
    out = []
    for row in rows:
        if row["index"] not in ("S1", "ST") or row["parameter2"] is not None:
            continue
        v = row["value"] * c if row["index"] == "S1" else 1 - (1 - row["value"]) * c
        conf = row["conf"] * c
        out.append({**row, "index": row["index"] + "_denoised", "value": v, "conf": conf, "lo": v - conf, "hi": v + conf})
    return out
