"""Save a benchmark's figures as ``benchmarks/results_<name>.json`` with when, where and what was measured."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abm.provenance import versions

HERE = Path(__file__).resolve().parent


def provenance() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "versions": versions(),  # python, the model, mesa, numba, llvmlite, numpy, ...
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def save(name: str, data: dict[str, Any]) -> Path:
    """Write the figures (plus provenance) and return the path."""
    path = HERE / f"results_{name}.json"
    path.write_text(json.dumps({"provenance": provenance(), **data}, indent=2, default=str) + "\n")
    return path
