"""``NUMBA_DISABLE_JIT=1`` runs the model as plain Python with the same numbers (debugging, coverage).

The compiled run and the plain-Python run of ``abm run`` write identical step tables and milestone
timelines: every mechanism is one source, and its sums run in the same order compiled or not. P1
(top-down pathway, champions, exits), P2, P3 (shadowing) and P4 (15 partners: sums beyond small
integer types) cover every process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ABM = Path(sys.executable).with_name("abm")


def _run(program: str, out: Path, disable_jit: bool) -> None:
    env = dict(os.environ, NUMBA_DISABLE_JIT="1" if disable_jit else "0")
    done = subprocess.run([str(ABM), "run", program, "--seed", "4", "--out", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("program", ["P1", "P2", "P3", "P4"])
def test_plain_python_run_equals_compiled_run(tmp_path, program):
    _run(program, tmp_path / "jit", False)
    _run(program, tmp_path / "nojit", True)
    a = pd.read_parquet(tmp_path / "jit" / "steps.parquet")
    b = pd.read_parquet(tmp_path / "nojit" / "steps.parquet")
    assert len(a) == 105
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    ms_a = pd.read_csv(tmp_path / "jit" / "milestones.csv")
    ms_b = pd.read_csv(tmp_path / "nojit" / "milestones.csv")
    pd.testing.assert_frame_equal(ms_a, ms_b)
