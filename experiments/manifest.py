"""Provenance of a results directory: the resolved spec, its hash, versions, git commit, host, times."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abm.provenance import versions as package_versions
from experiments.executors import ExecutorHandle
from experiments.plan import Plan
from experiments.storage import FORMAT_VERSION

PACKAGES = ("integration-abm", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "SALib", "dask", "distributed")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Python and the packages that shape results."""
    return package_versions(PACKAGES)


def git_commit() -> str | None:
    """The commit of the checkout holding the model code, or None (read-only query)."""
    root = Path(__file__).resolve().parent.parent
    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() or None if r.returncode == 0 else None


def session_entry(handle: ExecutorHandle) -> dict[str, Any]:
    return {"started": now(), "ended": None, "host": socket.gethostname(), "pid": os.getpid(), "executor": handle.kind,
            "workers": handle.workers, "address": handle.address, "completed": 0, "failed": 0, "status": "running"}  # fmt: skip


def new_manifest(plan: Plan, kind: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of a fresh results directory (runs and status are filled in by the runner)."""
    spec = plan.spec
    return {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "name": spec.name,
        "description": spec.description,
        "spec": spec.model_dump(mode="json"),
        "spec_hash": plan.spec_hash,
        "source": plan.source,
        "model": spec.model,
        "scenario_digests": {k: v.digest() for k, v in plan.scenarios.items()},
        "parameters": plan.parameters,
        "interventions": plan.interventions,
        "design_points": plan.n_points,
        "replicates": spec.replicates,
        "seeds": {"master": spec.seed, "scheme": "SeedSequence(master, spawn_key=(point, replicate)) = SeedSequence(master).spawn(points)[point].spawn(replicates)[replicate]"},
        "runs": {"total": plan.n_runs, "completed": 0, "failed": 0, "remaining": plan.n_runs},
        "status": "running",
        "started": now(),
        "ended": None,
        "sessions": [],
        "versions": versions(),
        "git_commit": git_commit(),
        "host": socket.gethostname(),
        "extra": extra or {},
    }
