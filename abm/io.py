"""Writing one run's outputs atomically, with provenance (config, seed, versions)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from abm.plotting import plot_run
from abm.provenance import versions
from abm.run import RunResult


def write_run(result: RunResult, out: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Write steps (Parquet, CSV), milestones (Parquet, CSV), summary and provenance JSON, and a PNG.

    Everything is written into a temporary sibling directory, then renamed into place: ``out`` either
    holds a complete run or is left as it was.
    """
    with atomic_dir(out) as tmp:
        result.steps.to_parquet(tmp / "steps.parquet", index=False)
        result.steps.to_csv(tmp / "steps.csv", index=False)
        result.milestones.to_parquet(tmp / "milestones.parquet", index=False)
        result.milestones.to_csv(tmp / "milestones.csv", index=False)
        prov = {
            "scenario": result.scenario.model_dump(mode="json"),
            "scenario_digest": result.scenario.digest(),
            "seed": result.seed if isinstance(result.seed, int | None) else str(result.seed),
            "versions": versions(),
            "summary": result.summary,
        } | (extra or {})
        (tmp / "run.json").write_text(json.dumps(prov, indent=2, default=str))
        plot_run(result.steps, result.milestones, f"{result.scenario.name}: {result.scenario.description}", tmp / "outcomes.png")
    return Path(out)


@contextmanager
def atomic_dir(out: str | Path) -> Iterator[Path]:
    """A temporary sibling directory of ``out`` to write into; on success it replaces ``out``
    (:func:`swap_in`), on any error it is removed and ``out`` is left as it was."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def swap_in(tmp: Path, final: Path) -> None:
    """Put the finished folder ``tmp`` in place of ``final`` (renames only: ``final`` is never half-written)."""
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


def write_nation(result: Any, out: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Write a national run (:class:`abm.national.NationalResult`): ``national`` (Parquet, CSV), ``regions``
    (Parquet, CSV), every region's steps (``steps.parquet``) and provenance (``run.json``: seed, versions,
    each region's scenario digest). Atomic, as :func:`write_run`."""
    with atomic_dir(out) as tmp:
        result.national.to_parquet(tmp / "national.parquet", index=False)
        result.national.to_csv(tmp / "national.csv", index=False)
        result.regions.to_parquet(tmp / "regions.parquet", index=False)
        result.regions.to_csv(tmp / "regions.csv", index=False)
        result.steps.to_parquet(tmp / "steps.parquet", index=False)
        prov = {
            "seed": result.seed if isinstance(result.seed, int | None) else str(result.seed),
            "seeds": "region r runs with SeedSequence(seed).spawn(regions)[r]",
            "regions": {sc.name: sc.digest() for sc in result.scenarios},
            "versions": versions(),
        } | (extra or {})
        (tmp / "run.json").write_text(json.dumps(prov, indent=2, default=str))
    return Path(out)
