"""``calibrate``: a new or resumed ABC-SMC fit (pyabc) into a results directory.

The directory holds ``history.db`` (pyabc's history: every generation, stored as it finishes),
``manifest.json`` (spec, hash, seeds, versions, sessions, status), ``sampler_log.jsonl`` (runs used
per sampler call) and, once the fit is done, the outputs of :mod:`.outputs`. Running the same spec
into the same directory again resumes after the last stored generation (a generation cut short by
an interruption is run again); a directory holding another spec is refused.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.calibration.sampler import BatchModel, ExecutorSampler
from experiments.calibration.spec import Resolved
from experiments.calibration.targets import ParticleJob, PatternDistance
from experiments.executors import ExecutorHandle, make_executor
from experiments.manifest import git_commit, now
from experiments.manifest import versions as base_versions

KIND = "calibration"
DB = "history.db"


class CalibrationError(ValueError):
    """The results directory cannot take this calibration (another spec, not a calibration)."""


class CalibrationFailed(RuntimeError):
    """The fit stopped on an error of the model or the executor (the manifest says so)."""


@dataclass
class CalibrationSummary:
    out: Path
    generations: int
    resumed_from: int
    status: str
    elapsed: float


def versions() -> dict[str, str]:
    from abm.provenance import versions as pv

    return base_versions() | pv(("pyabc",))


def check_out(res: Resolved, out: Path) -> dict[str, Any] | None:
    """The manifest of a resumable calibration of the same spec in ``out``, None for a fresh start.

    Raises :class:`CalibrationError` if ``out`` holds something else. Creates nothing.
    """
    m = out / "manifest.json"
    if not out.exists() or not any(out.iterdir()):
        return None
    try:
        manifest = json.loads(m.read_text())
    except (OSError, ValueError):
        raise CalibrationError(f"{out}: not empty and not a calibration results directory (no readable manifest.json); "
                               "choose a new --out") from None  # fmt: skip
    if manifest.get("kind") != KIND:
        raise CalibrationError(f"{m}: kind: a {manifest.get('kind')!r} results directory, not a calibration; choose a new --out")
    if manifest.get("spec_hash") != res.spec_hash:
        raise CalibrationError(f"{m}: spec_hash: holds a calibration of another spec ({manifest.get('name')}); "
                               "choose a new --out (or delete it)")  # fmt: skip
    return manifest


def job_factory(res: Resolved) -> Any:
    """proposal, spawn key -> ParticleJob for the fit."""
    spec = res.spec

    def make(params: dict[str, float], key: tuple[int, ...], replicates: int | None = None, full: bool = False,
             keys: list[str] | None = None) -> ParticleJob:  # fmt: skip
        common = dict(params=params, master=spec.seed, spawn_key=key, replicates=replicates or spec.replicates, steps=spec.steps)
        if res.kind == "patterns":
            return ParticleJob("patterns", keys=tuple(keys or res.fit_keys), full=full, **common)
        return ParticleJob("observed", model=spec.model, scenarios=res.scenarios, outcomes=tuple(res.outcomes), **common)

    return make


def _distance(res: Resolved) -> Any:
    import pyabc

    if res.kind == "patterns":
        return PatternDistance(res.fit_keys)
    return pyabc.AdaptivePNormDistance(p=2) if res.spec.distance == "adaptive" else pyabc.PNormDistance(p=2)


def observed_stats(res: Resolved) -> dict[str, float]:
    """pyabc's x_0: the observed means, or each pattern's target."""
    from experiments.validation.patterns import THRESHOLDS

    return {k: THRESHOLDS[k][0] for k in res.fit_keys} if res.kind == "patterns" else dict(res.observed)


def stored_generations(db: Path) -> int:
    """Generations stored in a history database (0 if none, or no database): pyabc's ``History.max_t`` + 1
    for run 1, read with sqlite in read-only mode.

    Not through ``pyabc.History``: every session it opens creates the schema's missing tables, so reading a
    database that a running fit is still setting up (a watcher, a test polling it) could make the fit's own
    ``CREATE TABLE`` fail ("table already exists") and stop it.
    """
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            row = con.execute("SELECT MAX(p.t) FROM populations p JOIN abc_smc a ON p.abc_smc_id = a.id WHERE a.id = 1").fetchone()
        finally:
            con.close()
    except sqlite3.Error:  # a database cut short before its first generation: start again
        return 0
    return int(row[0]) + 1 if row and row[0] is not None else 0


def _quiet() -> None:
    for name in ("ABC", "ABC.History", "ABC.Distance", "ABC.Epsilon", "ABC.Sampler", "ABC.Adaptation", "ABC.Population"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _manifest(res: Resolved, out: Path, old: dict[str, Any] | None, handle: ExecutorHandle) -> dict[str, Any]:
    spec = res.spec
    m = old or {
        "kind": KIND, "name": spec.name, "description": spec.description, "spec": spec.model_dump(mode="json"),
        "spec_hash": res.spec_hash, "source": spec.source, "model": spec.model, "targets_kind": res.kind,
        "parameters": {k: list(v) for k, v in res.bounds.items()},
        "fit_keys": res.fit_keys, "holdout_keys": res.holdout_keys, "observed": res.observed,
        "runs_per_particle": res.runs_per_particle,
        "scenario_digests": {k: v.digest() for k, v in res.scenarios.items()},
        "seeds": {"master": spec.seed,
                  "scheme": "proposals: numpy.random seeded by SeedSequence(master, spawn_key=(t + 1, call)) at each "
                            "sampler call; particle runs: SeedSequence(master, spawn_key=(t + 1, call, batch, i)).spawn(replicates), "
                            "replicate r the same in every arm; predictive draws: SeedSequence(master, spawn_key=(999999, d))"},
        "started": now(), "ended": None, "status": "running", "sessions": [], "versions": versions(),
        "git_commit": git_commit(), "host": socket.gethostname(),
    }  # fmt: skip
    m["sessions"].append({"started": now(), "ended": None, "host": socket.gethostname(), "pid": os.getpid(),
                          "executor": handle.kind, "workers": handle.workers, "address": handle.address,
                          "load_average_at_start": round(os.getloadavg()[0], 2)})  # fmt: skip
    return m


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, default=str))
    os.replace(tmp, out / "manifest.json")


def calibrate(res: Resolved, out: str | Path, executor: ExecutorHandle | None = None, progress: bool = True) -> CalibrationSummary:
    """Run (or resume) the fit of ``res`` into ``out`` and write its outputs; see the module docstring."""
    import pyabc

    from experiments.calibration import outputs
    from experiments.calibration.progress import GenerationProgress

    t0 = time.monotonic()
    out = Path(out)
    spec = res.spec
    old = check_out(res, out)
    own = executor is None
    handle = executor or make_executor(spec.executor)
    _quiet()
    try:
        out.mkdir(parents=True, exist_ok=True)
        manifest = _manifest(res, out, old, handle)
        db = out / DB
        done = stored_generations(db)
        if done == 0 and db.exists():
            db.unlink()  # cut short before its first generation: nothing to continue
        write_manifest(out, manifest)
        model = BatchModel()
        bar = GenerationProgress(spec.generations, spec.population, done, enabled=progress, label=spec.name)
        sampler = ExecutorSampler(model, job_factory(res), handle, spec.seed, res.runs_per_particle,
                                  out / "sampler_log.jsonl", bar.update)  # fmt: skip
        prior = pyabc.Distribution(**{n: pyabc.RV("uniform", lo, hi - lo) for n, (lo, hi) in res.bounds.items()})
        abc = pyabc.ABCSMC(model, prior, _distance(res), population_size=spec.population, sampler=sampler,
                           eps=pyabc.MedianEpsilon())  # fmt: skip
        url = f"sqlite:///{db}"
        if done:
            abc.load(url, 1)
            sampler.last_rate = outputs.last_acceptance_rate(db)
        else:
            abc.new(url, observed_stats(res))
        interrupted = False
        status = "complete"
        finished = old is not None and old.get("status") == "complete" and (out / "posterior.parquet").exists()
        try:
            with bar:
                if done < spec.generations and not finished:  # (a fit stopped by min_epsilon or max_runs is finished)
                    max_sims = np.inf if spec.max_runs is None else max(1, spec.max_runs // res.runs_per_particle)
                    abc.run(minimum_epsilon=spec.min_epsilon, max_nr_populations=spec.generations - done,
                            max_total_nr_simulations=max_sims)  # fmt: skip
        except KeyboardInterrupt:
            interrupted, status = True, "interrupted"
        except Exception as e:  # a model error in a particle, a broken executor: recorded, then raised
            manifest["status"] = "failed"
            manifest["sessions"][-1].update(ended=now(), status="failed", error=f"{type(e).__name__}: {e}"[:2000])
            write_manifest(out, manifest)
            raise CalibrationFailed(f"{out}: the fit stopped: {type(e).__name__}: {e}; stored generations are kept "
                                    "(run the same command again to resume once the cause is fixed)") from e  # fmt: skip
        if not interrupted and not finished:
            outputs.write_all(res, out, handle, manifest)
        manifest["status"] = status
        manifest["sessions"][-1].update(ended=now(), status=status)
        if not interrupted and not finished:
            manifest["ended"] = now()
        manifest["generations_stored"] = stored_generations(db)
        write_manifest(out, manifest)
    finally:
        if own:
            handle.close(cancel=True)
    return CalibrationSummary(out, stored_generations(out / DB), done, status, time.monotonic() - t0)
