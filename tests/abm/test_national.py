"""National runs (abm.national): a federation of regional runs, each exactly the ordinary model's run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abm.config import load_scenario
from abm.model import metric_names
from abm.national import run_nation, synthetic_nation
from abm.run import run_once
from abm.synthetic import n_clinicians_of


@pytest.fixture(scope="module")
def nation():
    return synthetic_nation(n_orgs=45, n_clinicians=900, seed=5, steps=30)


@pytest.fixture(scope="module")
def result(nation):
    return run_nation(nation, seed=11)


def test_synthetic_nation_has_the_organizations_and_clinicians_asked_for(nation):
    assert len(nation) == 2  # regions of about 20 organizations
    assert sum(len(sc.organizations) for sc in nation) == 45
    assert abs(sum(n_clinicians_of(sc) for sc in nation) - 900) <= 0.05 * 900
    assert len({sc.name for sc in nation}) == len(nation)
    again = synthetic_nation(n_orgs=45, n_clinicians=900, seed=5, steps=30)
    assert [sc.digest() for sc in again] == [sc.digest() for sc in nation]
    assert [sc.digest() for sc in synthetic_nation(n_orgs=45, n_clinicians=900, seed=6, steps=30)] != [sc.digest() for sc in nation]


def test_each_region_is_the_ordinary_run_with_its_child_seed(nation, result):
    children = np.random.SeedSequence(11).spawn(len(nation))
    for sc, child, (_, row) in zip(nation, children, result.regions.iterrows(), strict=True):
        alone = run_once(sc, seed=child)
        assert pd.Series(alone.summary).equals(row[list(alone.summary)].astype(float))
        mine = result.steps[result.steps.region == sc.name].drop(columns="region").reset_index(drop=True)
        assert mine.equals(alone.steps.astype(mine.dtypes.to_dict()))


def test_one_seed_fixes_the_nation(nation, result):
    again = run_nation(nation, seed=11)
    assert again.national.equals(result.national) and again.regions.equals(result.regions)
    other = run_nation(nation, seed=12)
    assert not other.national.equals(result.national)


def test_national_outcomes_aggregate_the_regions(nation, result):
    steps, nat = result.steps, result.national
    weights = dict(zip(result.regions.region, result.regions.clinicians, strict=True))
    w = steps.region.map(weights).to_numpy(float)
    for m in ("consensus", "integration", "engagement"):
        expect = (steps[m] * w).groupby(steps.step).sum() / pd.Series(w).groupby(steps.step.to_numpy()).sum()
        np.testing.assert_allclose(nat[m], expect.to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(nat["handoffs"], steps.groupby("step")["handoffs"].sum())
    np.testing.assert_array_equal(nat["trust_min"], steps.groupby("step")["trust_min"].min())
    good = (steps.handoff_success.fillna(0) * steps.handoffs).groupby(steps.step).sum()
    n = steps.groupby("step")["handoffs"].sum()
    np.testing.assert_allclose(nat["handoff_success"], np.where(n > 0, good / n.where(n > 0), np.nan), rtol=1e-12)
    lo, hi = steps.groupby("step")["integration"].min(), steps.groupby("step")["integration"].max()
    assert ((nat.integration_p10 >= lo - 1e-12) & (nat.integration_p90 <= hi + 1e-12)).all()
    assert set(metric_names()) <= set(nat.columns)


def test_a_region_without_a_value_is_left_out_not_propagated(result):
    # a region whose partners all left has no trust_min or consensus that step: the others still count
    from abm.national import _aggregate

    metrics = metric_names()
    stack = np.stack([g[metrics].to_numpy() for _, g in result.steps.groupby("region", sort=False)])
    stack[0, 5:, metrics.index("trust_min")] = np.nan
    stack[0, 5:, metrics.index("consensus")] = np.nan
    nat = _aggregate(stack, metrics, result.regions)
    assert np.isfinite(nat["trust_min"]).all() and np.isfinite(nat["consensus"]).all()
    np.testing.assert_array_equal(nat["trust_min"][5:], stack[1:, 5:, metrics.index("trust_min")].min(axis=0))
    np.testing.assert_array_equal(nat["trust_min"][:5], result.national["trust_min"][:5])


def test_bad_nations_are_refused(nation):
    with pytest.raises(ValueError, match="at least one region"):
        run_nation([])
    with pytest.raises(ValueError, match="unique; repeated: \\['region-0'\\]"):
        run_nation([nation[0], nation[0]])
    longer = nation[1].model_copy(update={"steps": 31})
    with pytest.raises(ValueError, match="different horizons"):
        run_nation([nation[0], longer])
    assert len(run_nation([nation[0], longer], steps=3).national) == 4
    with pytest.raises(ValueError, match="at least n_orgs"):
        synthetic_nation(n_orgs=40, n_clinicians=10)


def test_abm_national_writes_the_tables_the_api_gives(tmp_path):
    from typer.testing import CliRunner

    from abm.cli import app

    out = tmp_path / "nation"
    res = CliRunner().invoke(app, ["national", "P1", "P2", "--seed", "4", "--steps", "12", "--out", str(out)])
    assert res.exit_code == 0, res.output
    api = run_nation([load_scenario("P1"), load_scenario("P2")], seed=4, steps=12)
    assert pd.read_parquet(out / "national.parquet").equals(api.national)
    assert pd.read_parquet(out / "regions.parquet").equals(api.regions)
    assert pd.read_parquet(out / "steps.parquet").equals(api.steps)
    import json

    prov = json.loads((out / "run.json").read_text())
    assert prov["seed"] == 4 and set(prov["regions"]) == {"P1", "P2"} and "numpy" in json.dumps(prov["versions"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["P1", "P1"], "region names must be unique"),
        ([], "give region configs or --synthetic"),
        (["--synthetic", "45x900"], "expected ORGS:CLINICIANS"),
        (["P1", "--synthetic", "40:800"], "one of the two"),
        (["missing.yaml"], "missing.yaml"),
        (["--synthetic", "1:1"], "n_orgs must be at least 2"),
    ],
)
def test_abm_national_refuses_bad_input_with_one_line_and_writes_nothing(tmp_path, args, message):
    from typer.testing import CliRunner

    from abm.cli import app

    out = tmp_path / "nation"
    res = CliRunner().invoke(app, ["national", *args, "--steps", "3", "--out", str(out)])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert message in text and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) <= 2  # one message (rich may wrap it)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_a_failed_write_leaves_the_earlier_results_as_they_were(tmp_path, result):
    from abm.io import write_nation

    out = tmp_path / "nation"
    write_nation(result, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    class Broken:
        def __getattr__(self, name):
            return getattr(result, name)

        @property
        def steps(self):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_nation(Broken(), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nation"]  # no temporary directory left behind


def test_progress_hears_of_every_region(nation, result):
    calls = []
    again = run_nation(nation, seed=11, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(k, len(nation)) for k in range(1, len(nation) + 1)]
    assert again.national.equals(result.national)  # watching does not change the run


def test_regions_on_worker_processes_give_the_same_nation(nation, result):
    from concurrent.futures import Executor

    from abm.national import region_pool

    class Counted(Executor):  # the real pool, with its submissions counted
        def __init__(self, pool):
            self.pool, self.n = pool, 0

        def submit(self, fn, /, *args, **kwargs):
            self.n += 1
            return self.pool.submit(fn, *args, **kwargs)

    calls = []
    with region_pool(2) as pool:
        counted = Counted(pool)
        again = run_nation(nation, seed=11, executor=counted, progress=lambda done, total: calls.append((done, total)))
    assert counted.n == len(nation)
    for name in ("national", "regions", "steps"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(result, name), check_exact=True)
    assert calls == [(k, len(nation)) for k in range(1, len(nation) + 1)]


def test_abm_national_on_two_workers_writes_what_one_writes(tmp_path):
    from typer.testing import CliRunner

    from abm.cli import app

    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        res = CliRunner().invoke(app, ["national", "--synthetic", "60:1200", "--steps", "8", "--workers", workers, "--out", str(out)])
        assert res.exit_code == 0, res.output
        outs.append(out)
    for table in ("national", "regions", "steps"):
        pd.testing.assert_frame_equal(pd.read_parquet(outs[0] / f"{table}.parquet"), pd.read_parquet(outs[1] / f"{table}.parquet"), check_exact=True)
    bad = CliRunner().invoke(app, ["national", "P1", "P2", "--workers", "0"])
    assert bad.exit_code == 2 and "--workers" in bad.output
