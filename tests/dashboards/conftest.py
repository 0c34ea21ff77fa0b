"""Results directories for the dashboard tests, written by the real pipelines (never by hand), once
per test session: see tests/dashboards/real_results.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboards.real_results import METHODS, build_experiment, build_sensitivity


@pytest.fixture(scope="session")
def experiment_dir(tmp_path_factory) -> Path:
    return build_experiment(tmp_path_factory.mktemp("experiment") / "dir")


@pytest.fixture(scope="session")
def real_sensitivity(tmp_path_factory) -> dict[str, Path]:
    """One directory per method (Sobol, Morris, eFAST, delta, PAWN); delta: SALib prints bin-merge notices."""
    root = tmp_path_factory.mktemp("real-sens")
    return {m: build_sensitivity(root / m, m) for m in METHODS}


@pytest.fixture(scope="session")
def sensitivity_dir(real_sensitivity) -> Path:
    return real_sensitivity["morris"]
