"""Runs travel from workers as arrays and are stored as one Arrow table per chunk: the Parquet is what
concatenating each run's ``run_once`` DataFrames and ``DataFrame.to_parquet`` gave (values, types, pandas
metadata), and a fresh worker starts with the model's compiled kernels."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from abm import config as abm_config
from abm.cli import app
from abm.run import run_once
from experiments import api
from experiments.executors import make_executor
from experiments.records import Columns, long_table
from experiments.spec import LocalExecutor
from experiments.storage import ID_COLUMNS

runner = CliRunner()

SPEC = """name: records
scenarios: [P1, P4]
interventions: [baseline, no_milestones]
design: {type: grid, parameters: {mu: [0.2, 0.35]}}
replicates: 2
seed: 17
steps: 12
outputs: {steps: true, milestones: true, chunk_runs: 5%s}
"""


def _expected(plan: api.Plan, table: str, metrics: list[str] | None) -> pd.DataFrame:
    """The long table as the runner built it before: each run's DataFrame from run_once, concatenated beside its ids."""
    ids, frames = [], []
    for task in plan.tasks():
        r = run_once(plan.scenarios[task.scenario], seed=plan.seed(task), steps=plan.spec.steps,
                     overrides=task.overrides or None)  # fmt: skip
        df = getattr(r, table)
        if metrics is not None:
            df = df[["step", *metrics]]
        frames.append(df)
        ids.append({k: getattr(task, k) for k in ID_COLUMNS})
    body = pd.concat(frames, ignore_index=True)
    lengths = [len(f) for f in frames]
    rep = pd.DataFrame({k: np.repeat([i[k] for i in ids], lengths) for k in ID_COLUMNS})
    return pd.concat([rep, body], axis=1)


@pytest.mark.parametrize("metrics", [None, ["integration", "handoff_success", "handoffs"]])
def test_stored_tables_are_the_run_once_tables_as_to_parquet_wrote_them(tmp_path, metrics):
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(SPEC % (f", step_metrics: {metrics}" if metrics else ""))
    out = tmp_path / "out"
    res = runner.invoke(app, ["experiment", str(spec_file), "--out", str(out), "--no-progress", "--workers", "2"])
    assert res.exit_code == 0, res.output
    plan = api.plan(api.load_spec(spec_file))
    for table in ("steps", "milestones"):
        parts = sorted((out / table).glob("part-*.parquet"))
        assert len(parts) >= 2  # several chunks (chunk_runs: 5 of 16 runs)
        stored = pa.concat_tables([pq.read_table(p) for p in parts]).sort_by("run_id")  # (a stable sort)
        want = _expected(plan, table, metrics if table == "steps" else None)
        reference = tmp_path / f"{table}.parquet"
        want.to_parquet(reference, index=False, engine="pyarrow")  # what the runner used to write
        expected = pq.read_table(reference)
        assert stored.equals(expected, check_metadata=True), table
        assert stored.column("step").type == pa.int64() and stored.column("scenario").type == pa.string()
        for p in parts:  # each chunk's schema and pandas metadata too
            assert pq.read_schema(p).equals(expected.schema, check_metadata=True), p
    # NaN of the model is stored as Parquet null, as pandas writes it (P1 weeks without hand-offs)
    assert pq.read_table(out / "steps", columns=["handoff_success"]).column(0).null_count > 0
    # some runs have no milestone (no rows in the milestone table), others have some
    n = pd.read_parquet(out / "summary")["milestones"]
    assert (n == 0).any() and (n > 0).any()


def _as_written(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


IDS = {"run_id": [4, 7], "scenario": ["P1", "P2"], "intervention": ["baseline", "x"], "point": [0, 1], "replicate": [1, 0]}


def _frames_expected(frames: list[pd.DataFrame]) -> pd.DataFrame:
    body = pd.concat(frames, ignore_index=True)
    rep = pd.DataFrame({k: np.repeat(v, [len(f) for f in frames]) for k, v in IDS.items()})
    return pd.concat([rep, body], axis=1)


def test_long_table_is_the_concatenated_frames():
    a = pd.DataFrame({"step": [0, 1, 2], "x": [0.5, np.nan, 1.5], "who": ["a", None, "b"], "ok": [True, False, True]})
    b = pd.DataFrame({"step": [0], "x": [2.0], "who": ["c"], "ok": [False]})
    got = long_table(IDS, [Columns.from_frame(a), Columns.from_frame(b)])
    assert isinstance(got, pa.Table)  # built without pandas
    assert got.equals(_as_written(_frames_expected([a, b])), check_metadata=True)
    assert got.column("x").null_count == 1 and got.column("who").null_count == 1


@pytest.mark.parametrize(
    "a, b",
    [
        # different columns: pandas aligns them by name and fills the gaps
        (pd.DataFrame({"step": [0, 1], "x": [1.0, 2.0]}), pd.DataFrame({"step": [0], "y": [3.0]})),
        # an all-missing text column
        (pd.DataFrame({"step": [0], "who": [None]}), pd.DataFrame({"step": [0, 1], "who": [None, None]})),
        # an extension dtype travels as its DataFrame
        (pd.DataFrame({"step": [0], "s": pd.array(["u"], dtype="string")}),
         pd.DataFrame({"step": [1], "s": pd.array([None], dtype="string")})),
    ],
)  # fmt: skip
def test_what_arrays_cannot_hold_is_concatenated_as_dataframes(a, b):
    tables = [Columns.from_frame(a), Columns.from_frame(b)]
    got = long_table(IDS, tables)
    assert isinstance(got, pd.DataFrame)
    pd.testing.assert_frame_equal(got, _frames_expected([a, b]), check_exact=True)


def test_no_rows_no_table():
    empty = pd.DataFrame({"step": pd.Series(dtype="int64"), "name": pd.Series(dtype="object")})
    assert long_table(IDS, [Columns.from_frame(empty), Columns.from_frame(empty)]) is None


def test_run_result_columns_are_its_tables():
    r = run_once("P4", seed=3, steps=30)
    cols = r.step_columns
    assert list(cols) == ["step", *[c for c in r.steps.columns if c != "step"]]
    pd.testing.assert_frame_equal(pd.DataFrame(cols), r.steps, check_exact=True)
    ms = r.milestone_columns
    assert len(ms["step"]) == len(r.milestones) == r.summary["milestones"] > 0
    pd.testing.assert_frame_equal(pd.DataFrame(ms), r.milestones, check_exact=True)
    stepped = run_once("P4", seed=3, steps=30, probe=lambda m: None)  # the DataFrame-first path
    pd.testing.assert_frame_equal(stepped.steps, r.steps, check_exact=True)
    assert {k: v.tolist() for k, v in stepped.milestone_columns.items()} == {k: v.tolist() for k, v in ms.items()}


def _loaded_kernels() -> int:
    from abm import engine

    return len(engine.run_weeks.signatures)


def test_a_fresh_worker_starts_with_the_compiled_kernels():
    handle = make_executor(LocalExecutor(workers=1))
    try:
        assert handle.executor.submit(_loaded_kernels).result(timeout=300) >= 1
    finally:
        handle.close()


def test_a_fresh_worker_starts_with_the_servers_objects_frozen_out_of_the_collector():
    # experiments.preload freezes them (gc.freeze) before the server forks workers: a worker's full collections
    # then skip the ~190,000 objects of the imported modules
    handle = make_executor(LocalExecutor(workers=1))
    try:
        assert handle.executor.submit(gc.get_freeze_count).result(timeout=300) > 50_000
    finally:
        handle.close()


NATION_THEN_EXPERIMENT = """
from abm.national import region_pool, run_nation, synthetic_nation
from experiments.executors import make_executor
from experiments.spec import LocalExecutor
from tests.experiments.test_exp_records import _loaded_kernels

if __name__ == "__main__":
    with region_pool(1) as pool:
        run_nation(synthetic_nation(4, 40, seed=1, steps=2), seed=1, executor=pool)
    handle = make_executor(LocalExecutor(workers=1))
    print(handle.executor.submit(_loaded_kernels).result(timeout=300))
    handle.close()
"""


def test_a_nation_run_first_leaves_experiment_workers_their_compiled_kernels(tmp_path):
    # the process has one forkserver, which experiment pools start with the kernels loaded; a nation's pool
    # that started it first (without them) made every later experiment worker load them on its first run
    import os
    import subprocess
    import sys

    script = tmp_path / "nation_then_experiment.py"
    script.write_text(NATION_THEN_EXPERIMENT)
    root = Path(__file__).resolve().parents[2]
    res = subprocess.run([sys.executable, str(script)], cwd=root, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(root)})  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    assert int(res.stdout.split()[-1]) >= 1, res.stdout


def test_a_cancelled_pool_leaves_no_thread_behind():
    # CPython 3.11's exit hook races with a pool thread still closing its pipes: a clean Ctrl-C then ended
    # with an OSError traceback (seen once in CI). close(cancel=True) returns only when that thread is done.
    import time

    handle = make_executor(LocalExecutor(workers=1))
    handle.executor.submit(_loaded_kernels).result(timeout=300)
    pending = [handle.executor.submit(time.sleep, 0.2) for _ in range(5)]
    manager = handle.executor._executor_manager_thread  # the pool's own thread (CPython's ProcessPoolExecutor)
    assert manager is not None and manager.is_alive()
    handle.close(cancel=True)
    assert any(f.cancelled() for f in pending)
    assert not manager.is_alive()


def test_a_scenario_file_is_parsed_once_and_again_when_it_changes(tmp_path):
    program = tmp_path / "prog.yaml"
    text = (Path(abm_config.builtin_programs()["P2"])).read_text()
    program.write_text(text)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: cached\nscenarios: [prog.yaml]\nreplicates: 1\nseed: 1\nsteps: 3\n")
    first, again = api.plan(api.load_spec(spec)), api.plan(api.load_spec(spec))
    assert again.scenarios["prog.yaml"] is first.scenarios["prog.yaml"]  # not parsed again
    assert "\nsteps:" not in text
    program.write_text(text + "\nsteps: 105\n")  # same path, new content
    changed = api.plan(api.load_spec(spec)).scenarios["prog.yaml"]
    assert (first.scenarios["prog.yaml"].steps, changed.steps) == (104, 105)
