"""A plain (non-editable) install carries the built-in programs and the shipped specs.

Builds the wheel from a copy of the source (no network: ``--no-build-isolation`` with the dev
extra's setuptools) and reads its file list. The install itself (fresh venv, `abm scenarios`,
`abm run P1`, a 20-run experiment from another folder) is checked by `.ci/run`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = [
    "p1_stroke",
    "p2_uti_cellulitis",
    "p3_cardiac_surgery",
    "p4_copd_chf_region",
    "p5_copd_chf_engaged",
    "p6_copd_chf_dashboard",
]
SPECS = ["experiment/ontario", "sensitivity/all_morris", "sensitivity/p2_efast", "sensitivity/p4_sobol"]


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory) -> set[str]:
    pytest.importorskip("setuptools", minversion="77")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc")
    for pkg in ("abm", "experiments", "dashboards"):
        shutil.copytree(ROOT / pkg, src / pkg, ignore=skip)
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(out), str(src)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = out.glob("integration_abm-*.whl")
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_wheel_holds_the_builtin_programs(wheel_files):
    missing = [p for p in PROGRAMS if f"abm/programs/{p}.yaml" not in wheel_files]
    assert not missing, f"program configs missing from the wheel: {missing}"


def test_wheel_holds_the_milestone_library(wheel_files):
    assert "abm/milestones/library.yaml" in wheel_files


def test_wheel_holds_the_shipped_specs(wheel_files):
    missing = [s for s in SPECS if f"experiments/specs/{s}.yaml" not in wheel_files]
    assert not missing, f"shipped specs missing from the wheel: {missing}"


def test_wheel_holds_the_dashboard_chart_template(wheel_files):
    assert "dashboards/vegalite.vue" in wheel_files  # dashboards.vega.VegaLite reads it at import


def test_wheel_holds_no_tests_or_caches(wheel_files):
    assert not [f for f in wheel_files if f.startswith("tests/") or "__pycache__" in f]


def test_builtin_programs_resolve_from_the_package():
    import abm
    from abm.config import builtin_programs
    from experiments.shipped import shipped_specs

    pkg = Path(abm.__file__).resolve().parent
    progs = builtin_programs()
    assert sorted(progs) == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert all(p.resolve().parent == pkg / "programs" for p in progs.values())
    assert sorted(shipped_specs("experiment")) == ["ontario"]
    assert sorted(shipped_specs("sensitivity")) == ["all_morris", "p2_efast", "p4_sobol"]


def test_shipped_specs_by_name_on_the_command_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from abm.cli import app
    from experiments.shipped import resolve_spec, shipped_specs

    monkeypatch.chdir(tmp_path)  # not the checkout
    runner = CliRunner()
    listing = runner.invoke(app, ["specs"])
    assert listing.exit_code == 0 and "abm experiment ontario" in listing.output and "abm sensitivity p4_sobol" in listing.output
    shown = runner.invoke(app, ["specs", "ontario"])
    assert shown.exit_code == 0 and shown.output == shipped_specs()["ontario"].read_text()
    assert runner.invoke(app, ["specs", "nope"]).exit_code == 2
    assert resolve_spec("ontario", "experiment") == resolve_spec("ontario.yaml", "experiment") == shipped_specs()["ontario"]
    assert resolve_spec("p4_sobol", "experiment") == Path("p4_sobol")  # a sensitivity spec is not an experiment
    (tmp_path / "ontario.yaml").write_text("name: mine\n")
    assert resolve_spec("ontario.yaml", "experiment") == Path("ontario.yaml")  # a file as given wins
    bad = runner.invoke(app, ["experiment", "nope", "--out", str(tmp_path / "out")])
    assert bad.exit_code == 2
