"""Save a benchmark's figures as ``benchmarks/results_<name>.json`` with when, where and what was measured."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abm.provenance import versions

HERE = Path(__file__).resolve().parent


def cpu() -> dict[str, str]:
    """The processor the figures were measured on: its model name (``/proc/cpuinfo``, else ``platform.processor()``)
    and the CPU numba compiles the mechanisms for. Timings move with the machine, compiled code's more than Python's."""
    from llvmlite import binding

    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"model": model, "numba_target": binding.get_host_cpu_name()}


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
        "cpu": cpu(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def save(name: str, data: dict[str, Any]) -> Path:
    """Write the figures (plus provenance) and return the path."""
    path = HERE / f"results_{name}.json"
    path.write_text(json.dumps({"provenance": provenance(), **data}, indent=2, default=str) + "\n")
    return path
