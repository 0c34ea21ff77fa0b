"""Writing one run's outputs atomically, with provenance (config, seed, versions)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
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
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
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
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
