"""A validation run replays like any experiment run: its seed is data and it goes through run_once."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from abm.run import run_once
from experiments.validation import knockouts as ko
from experiments.validation import patterns as pt
from experiments.validation.report import runs_table
from experiments.validation.runner import replay_seed, run_arms, scenario, seed_data

MASTER = 20240611
STEPS = 10


def _same_summary(a: dict[str, float], b: dict[str, float]) -> None:
    assert a.keys() == b.keys()
    np.testing.assert_array_equal(np.array(list(a.values()), float), np.array(list(b.values()), float))  # NaN == NaN


@pytest.mark.parametrize("entropy", [MASTER, [MASTER, 1], [MASTER, 2]])
def test_spawned_child_is_the_spawn_key_seed(entropy):
    """SeedSequence(master).spawn(n)[i] is SeedSequence(master, spawn_key=(i,)): the recorded seed is the run's."""
    for i, child in enumerate(np.random.SeedSequence(entropy).spawn(4)):
        same = np.random.SeedSequence(entropy, spawn_key=(i,))
        np.testing.assert_array_equal(child.generate_state(8), same.generate_state(8))
        np.testing.assert_array_equal(replay_seed(seed_data(child)).generate_state(8), same.generate_state(8))
        assert json.loads(json.dumps(seed_data(child))) == seed_data(child)


@pytest.fixture(scope="module")
def records():
    arms = {
        "P3": scenario("P3"),
        "P3-noshadow": scenario("P3", ko.overrides("shadowing")),
        "scale-4": pt.arms_4(MASTER, 2)["scale-4"],  # one design per replicate
    }
    return run_arms(arms, MASTER, 2, workers=1, steps=STEPS)


def test_validation_record_replays_through_run_once(records):
    for arm, recs in records.items():
        for i, rec in enumerate(recs):
            assert rec.seed == {"entropy": MASTER, "spawn_key": [i]}
            res = run_once(pt.arm_scenario(arm, i, MASTER, 2), seed=replay_seed(rec.seed), steps=STEPS)
            _same_summary(res.summary, rec.summary)
            for k, v in rec.series.items():
                np.testing.assert_array_equal(res.steps[k].to_numpy(float), v)


def test_runs_csv_row_replays(records, tmp_path):
    runs_table(records).to_csv(tmp_path / "runs.csv", index=False)
    runs = pd.read_csv(tmp_path / "runs.csv", dtype={"seed_spawn_key": str}, float_precision="round_trip")
    assert len(runs) == 6
    row = runs[(runs["arm"] == "P3-noshadow") & (runs["replicate"] == 1)].iloc[0]
    seed = np.random.SeedSequence(int(row["seed_entropy"]), spawn_key=tuple(int(k) for k in row["seed_spawn_key"].split(",")))
    res = run_once(pt.arm_scenario(row["arm"], int(row["replicate"]), MASTER, 2), seed=seed, steps=STEPS)
    _same_summary(res.summary, {k: float(row[k]) for k in res.summary})


def test_probe_sees_every_step_and_changes_nothing():
    plain = run_once("P6", seed=3, steps=STEPS)
    probed = run_once("P6", seed=3, steps=STEPS, probe=lambda m: m.state.engagement.copy())
    assert plain.probes == [] and len(probed.probes) == STEPS + 1
    pd.testing.assert_frame_equal(plain.steps, probed.steps)
    _same_summary(plain.summary, probed.summary)
    assert not np.array_equal(probed.probes[0], probed.probes[-1])  # a value per step, not one array seen T+1 times
