"""Replaying one stored run of a results directory bit for bit (``abm replay``).

A results directory (docs/RESULTS-FORMAT.md; written by ``abm experiment`` or ``abm sensitivity``)
holds per run its scenario label, intervention, design point values and seed (``seed_entropy`` and
``seed_spawn_key``), and the manifest holds each intervention's overrides and each scenario's digest.
:func:`replay_run` reads them through :mod:`experiments.results` only, rebuilds the run's inputs
(the scenario must still have the digest it had, so a changed config file is refused), runs it with
``abm.run.run_once`` and compares its summary with the stored one, value by value (NaN equals NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from abm.config import ConfigError, Scenario, builtin_programs, load_scenario
from abm.run import RunResult, run_once
from experiments.design import point_overrides
from experiments.results import Results, ResultsError

REPLAYABLE_MODEL = "abm.run:run_once"
ID_COLUMNS = ("run_id", "scenario", "intervention", "point", "replicate", "seed_entropy", "seed_spawn_key")


class ReplayError(ValueError):
    """The directory or the run id cannot be replayed (bad input): the message says why."""


@dataclass
class RunInputs:
    """Everything that fixes one stored run."""

    run_id: int
    scenario_label: str
    scenario: Scenario
    intervention: str
    point: int
    replicate: int
    seed: np.random.SeedSequence
    steps: int
    overrides: dict[str, Any]
    stored: dict[str, Any] = field(repr=False)  # the stored summary outcomes


@dataclass
class Replay:
    """A replayed run: its inputs, its result and the summary keys whose values differ from the stored ones."""

    inputs: RunInputs
    result: RunResult
    differences: dict[str, tuple[Any, Any]]  # key -> (stored, replayed)

    @property
    def matches(self) -> bool:
        return not self.differences


def _scenario(label: str, manifest: dict[str, Any], out: Path) -> Scenario:
    """The scenario of a stored label (a built-in program, or a config path relative to the spec's folder), as it was."""
    try:
        if label.upper() in builtin_programs():
            sc = load_scenario(label)
        else:
            path = Path(label)
            if not path.is_absolute() and not path.exists():
                path = Path(str(manifest.get("source") or out)).parent / path
            if not path.exists():
                raise ReplayError(f"{out}: scenario {label!r}: config file not found (looked for {path})")
            sc = load_scenario(path)
    except ConfigError as e:
        raise ReplayError(f"{out}: scenario {label!r}: {e}") from None
    want = (manifest.get("scenario_digests") or {}).get(label)
    if want is not None and sc.digest() != want:
        raise ReplayError(f"{out}: scenario {label!r} has changed since the run (digest {sc.digest()}, stored {want}): cannot replay it")
    return sc


def run_inputs(out: str | Path, run_id: int) -> RunInputs:
    """The stored inputs of run ``run_id`` of the results directory ``out``; :class:`ReplayError` if there is none."""
    out = Path(out)
    if not out.is_dir():
        raise ReplayError(f"{out}: no such results directory")
    try:
        results = Results(out)
    except ResultsError as e:
        raise ReplayError(str(e)) from None
    manifest = results.manifest
    model = manifest.get("model", REPLAYABLE_MODEL)
    if model != REPLAYABLE_MODEL:
        raise ReplayError(f"{out}: runs of the model {model!r} cannot be replayed; expected {REPLAYABLE_MODEL}")
    summary = results.summary
    rows = summary[summary["run_id"] == run_id]
    if rows.empty:
        ids = summary["run_id"]
        have = f"completed run ids are {int(ids.min())}..{int(ids.max())} ({len(ids)} runs)" if len(ids) else "no run is completed"
        raise ReplayError(f"{out}: no completed run with id {run_id}; {have}")
    row = rows.iloc[0].to_dict()
    missing = [c for c in (*ID_COLUMNS, "steps") if c not in row]
    if missing:
        raise ReplayError(f"{out}: summary has no column(s) {', '.join(missing)}: not a results directory of {REPLAYABLE_MODEL}")
    interventions = manifest.get("interventions") or {}
    if row["intervention"] not in interventions:
        raise ReplayError(f"{out}: the manifest has no intervention {row['intervention']!r}")
    point = {c: v for c, v in row.items() if c.startswith("param.")}
    overrides = {**point_overrides(point), **interventions[row["intervention"]]}
    spawn_key = tuple(int(k) for k in str(row["seed_spawn_key"]).split(","))
    stored = {k: v for k, v in row.items() if k not in ID_COLUMNS and not k.startswith("param.")}
    return RunInputs(
        run_id=int(run_id), scenario_label=str(row["scenario"]), scenario=_scenario(str(row["scenario"]), manifest, out),
        intervention=str(row["intervention"]), point=int(row["point"]), replicate=int(row["replicate"]),
        seed=np.random.SeedSequence(int(row["seed_entropy"]), spawn_key=spawn_key), steps=int(row["steps"]),
        overrides=overrides, stored=stored,
    )  # fmt: skip


def same_value(a: Any, b: Any) -> bool:
    """Two outcome values are the same: equal, or both NaN (an outcome never reached in either run)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def replay_run(out: str | Path, run_id: int) -> Replay:
    """Re-run stored run ``run_id`` of ``out`` with its scenario, overrides, seed and horizon; compare its summary."""
    inp = run_inputs(out, run_id)
    try:
        result = run_once(inp.scenario, seed=inp.seed, steps=inp.steps, overrides=inp.overrides or None)
    except ConfigError as e:
        raise ReplayError(f"{out}: run {run_id}: its overrides are no longer valid: {e}") from None
    differences = {}
    for key in sorted(set(inp.stored) | set(result.summary)):
        stored, now = inp.stored.get(key), result.summary.get(key)
        stored = stored.item() if isinstance(stored, np.generic) else stored
        if not same_value(stored, now):
            differences[key] = (stored, now)
    return Replay(inp, result, differences)
