"""National scale as a federation of regions: many regional programs run side by side.

A national system of thousands of organizations is modelled here as regions whose organizations
interact only with partners in their own region: hand-offs, meetings, shadowing, ties, trust and
data-sharing links stay within a region, and no organization pair spans two regions. Each region is
then an ordinary scenario, run by the ordinary model (:func:`abm.run.run_once`), so its numbers are
exactly those of a single-region run with its seed; only the regions' organization pairs carry state
(O^2 / R pairs for R equal regions instead of O^2). Cross-region interaction (tertiary referrals
between regions, national networks) is outside this form: it needs organization pairs stored sparse
within one model.

Seeds: one seed for the nation; region r runs with the r-th child of ``SeedSequence(seed)``
(``spawn``), so the regions' random streams are independent and one seed fixes the whole run.
Milestones are the regions' own: an event scheduled ``at`` a step fires in every region that lists
it; a hazard event fires independently per region.

National outcomes per step (:attr:`NationalResult.national`), from the regions' step tables:

* counts add up: ``handoffs``, ``active_partners`` and the cumulative milestone counts ``ms_*``;
* ``trust_min`` is the lowest over the regions where it is defined; ``handoff_success`` is weighted by hand-offs and
  ``retention`` by the region's original clinical partners;
* every other metric (consensus, connectivity, integration, trust_mean, engagement, ...) is the
  mean over regions weighted by clinician agents: a mean of regional values (consensus within
  regions), not a measure across the whole country;
* ``integration_p10``, ``integration_p50``, ``integration_p90``: the spread of regional integration.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from abm.config import Scenario
from abm.interrupts import ignore_sigint, sigint_ignored
from abm.model import metric_names
from abm.run import run_once
from abm.synthetic import ORGS_PER_REGION, n_clinicians_of, synthetic_region

SUMMED = ("handoffs", "active_partners")


@dataclass
class NationalResult:
    """A national run: one row per region (``regions``), the national step table (``national``,
    module docstring), every region's step table stacked with a ``region`` column (``steps``), the
    nation's seed and the regions' scenarios."""

    regions: pd.DataFrame
    national: pd.DataFrame
    steps: pd.DataFrame
    seed: Any
    scenarios: list[Scenario]


def _clinical_partners(sc: Scenario) -> int:
    return sum(o.is_clinical for o in sc.organizations)


def region_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes for :func:`run_nation`.

    Started with ``spawn``: safe beside threads, and it leaves the process's one forkserver, and the modules
    other pools preload into it, alone. As with any spawned pool, a script that calls this needs the usual
    ``if __name__ == "__main__":`` guard.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=ignore_sigint)
    # start the workers with Ctrl-C ignored, which they inherit: one pressed while they still import is the
    # caller's alone (no traceback from each worker); a submission starts a worker while none is idle
    with sigint_ignored():
        for _ in range(workers):
            pool.submit(int)
    return pool


def run_region(sc: Scenario, seed: np.random.SeedSequence, steps: int | None) -> tuple[np.ndarray, dict[str, Any]]:
    """One region's run: its step table (steps x :func:`metric_names`) and its row of the region table."""
    r = run_once(sc, seed=seed, steps=steps)
    cols = r.step_columns
    table = np.column_stack([cols[m] for m in metric_names()])
    row = {"region": sc.name, "organizations": len(sc.organizations), "clinicians": n_clinicians_of(sc),
           "clinical_partners": _clinical_partners(sc), **r.summary}  # fmt: skip
    return table, row


def run_nation(
    regions: Sequence[Scenario],
    seed: Any = 0,
    steps: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> NationalResult:
    """Run every region with its own child seed of ``seed`` and aggregate (module docstring).

    Args:
        regions: the regions' scenarios (distinct names; at least one).
        seed: an int or a ``numpy.random.SeedSequence`` for the whole nation.
        steps: horizon (default: each region's ``steps``; regions must then agree).
        progress: called as ``progress(done, total)`` after each region (e.g. to move a progress bar).
        executor: a ``concurrent.futures.Executor`` (e.g. a ``ProcessPoolExecutor``) to run regions on in
            parallel; None runs them one after another. The result is the same either way: each region has
            its own seed, and regions are assembled in the order given.
    """
    if not regions:
        raise ValueError("a nation needs at least one region")
    names = [sc.name for sc in regions]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"region names must be unique; repeated: {twice}")
    horizons = {sc.steps for sc in regions} if steps is None else {steps}
    if len(horizons) != 1:
        raise ValueError(f"regions have different horizons {sorted(horizons)}; give steps (--steps) to run them all alike")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = ss.spawn(len(regions))
    metrics = metric_names()
    done: list[tuple[np.ndarray, dict[str, Any]] | None] = [None] * len(regions)
    if executor is None:
        for r, (sc, child) in enumerate(zip(regions, children, strict=True)):
            done[r] = run_region(sc, child, steps)
            if progress is not None:
                progress(r + 1, len(regions))
    else:
        futures = {executor.submit(run_region, sc, child, steps): r for r, (sc, child) in enumerate(zip(regions, children, strict=True))}
        try:
            for n, fut in enumerate(as_completed(futures), 1):
                done[futures[fut]] = fut.result()
                if progress is not None:
                    progress(n, len(regions))
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    tables = [t for t, _ in done]  # type: ignore[misc]
    rows = [row for _, row in done]  # type: ignore[misc]
    region_table = pd.DataFrame(rows)
    stack = np.stack(tables)  # regions x steps x metrics
    national = _aggregate(stack, metrics, region_table)
    n_steps = stack.shape[1]
    steps_long = pd.DataFrame(stack.reshape(-1, len(metrics)), columns=metrics)
    steps_long.insert(0, "step", np.tile(np.arange(n_steps), len(regions)))
    steps_long.insert(0, "region", np.repeat(names, n_steps))
    return NationalResult(region_table, national, steps_long, seed, list(regions))


def _aggregate(stack: np.ndarray, metrics: list[str], regions: pd.DataFrame) -> pd.DataFrame:
    """The national step table from the regions' (regions x steps x metrics) values."""
    col = {m: k for k, m in enumerate(metrics)}
    clinicians = regions["clinicians"].to_numpy(float)[:, None]
    partners = regions["clinical_partners"].to_numpy(float)[:, None]
    out: dict[str, np.ndarray] = {"step": np.arange(stack.shape[1])}
    for m in metrics:
        x = stack[:, :, col[m]]
        if m in SUMMED or m.startswith("ms_"):
            out[m] = x.sum(axis=0)
        elif m == "trust_min":
            out[m] = np.fmin.reduce(x, axis=0)  # over the regions where it is defined
        elif m == "handoff_success":
            out[m] = _weighted_mean(x, stack[:, :, col["handoffs"]])
        elif m == "retention":
            out[m] = _weighted_mean(x, np.broadcast_to(partners, x.shape))
        else:
            out[m] = _weighted_mean(x, np.broadcast_to(clinicians, x.shape))
    for q in (10, 50, 90):
        out[f"integration_p{q}"] = np.percentile(stack[:, :, col["integration"]], q, axis=0)
    return pd.DataFrame(out)


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Column means of ``x`` weighted by ``w``, over the regions where ``x`` is defined (NaN where none is)."""
    ok = ~np.isnan(x) & (w > 0)
    total = np.where(ok, w, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.where(ok, x * w, 0.0).sum(axis=0) / total, np.nan)


def synthetic_nation(n_orgs: int = 10_000, n_clinicians: int = 500_000, seed: int = 0, steps: int = 104) -> list[Scenario]:
    """A seeded synthetic nation: regions of about ``ORGS_PER_REGION`` organizations each
    (:func:`abm.synthetic.synthetic_region`, one child seed of ``seed`` per region), with
    ``n_orgs`` organizations and about ``n_clinicians`` clinicians in all."""
    if n_orgs < 2:
        raise ValueError(f"n_orgs must be at least 2, got {n_orgs}")
    if n_clinicians < n_orgs:
        raise ValueError(f"n_clinicians ({n_clinicians}) must be at least n_orgs ({n_orgs})")
    n_regions = max(1, round(n_orgs / ORGS_PER_REGION))
    orgs = np.full(n_regions, n_orgs // n_regions) + (np.arange(n_regions) < n_orgs % n_regions)
    if orgs.min() < 2:
        raise ValueError(f"{n_orgs} organizations make regions of fewer than 2")
    clin = np.maximum(np.rint(n_clinicians * orgs / n_orgs).astype(int), orgs)
    seeds = np.random.SeedSequence(seed).spawn(n_regions)
    return [
        synthetic_region(int(o), int(c), seed=int(s.generate_state(1)[0]), steps=steps).model_copy(update={"name": f"region-{r}"})
        for r, (o, c, s) in enumerate(zip(orgs, clin, seeds, strict=True))
    ]
