"""Results directories for the dashboard tests, written by the real pipelines (never by hand):
see tests/dashboards/real_results.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboards.real_results import build_experiment, build_sensitivity


@pytest.fixture(scope="session")
def experiment_dir(tmp_path_factory) -> Path:
    return build_experiment(tmp_path_factory.mktemp("experiment") / "dir")


@pytest.fixture(scope="session")
def sensitivity_dir(tmp_path_factory) -> Path:
    return build_sensitivity(tmp_path_factory.mktemp("sensitivity") / "morris", "morris")
