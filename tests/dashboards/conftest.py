"""Results directories for the dashboard tests, written by the real pipelines (never by hand), once
per test session: see tests/dashboards/real_results.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboards.real_results import (
    METHODS,
    PATTERN_CALIBRATION,
    TOY_CALIBRATION,
    build_calibration,
    build_discovery,
    build_experiment,
    build_sensitivity,
)


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


@pytest.fixture(scope="session")
def discovery_dir(tmp_path_factory) -> Path:
    """``abm experiment`` + ``abm discover`` (real commands, toy model with a planted box)."""
    return build_discovery(tmp_path_factory.mktemp("discovery") / "dir")


@pytest.fixture(scope="session")
def calibration_dir(tmp_path_factory) -> Path:
    """``abm calibrate`` of a toy with a known posterior: observed target, population 10, 2 generations."""
    return build_calibration(tmp_path_factory.mktemp("calibration") / "dir", TOY_CALIBRATION)


@pytest.fixture(scope="session")
def pattern_calibration_dir(tmp_path_factory) -> Path:
    """``abm calibrate`` of the real model to pattern 5, pattern 6b held out (predictive pass rates)."""
    return build_calibration(tmp_path_factory.mktemp("calibration-patterns") / "dir", PATTERN_CALIBRATION)
