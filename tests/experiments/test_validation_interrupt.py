"""Ctrl-C during `abm validate` / `abm cmo`: one line and exit status 130, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _children(pid: int) -> list[str]:
    return subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()


@pytest.mark.xfail(strict=False, reason="known, open: a multiprocessing helper process that is still importing when "
                   "Ctrl-C reaches the process group prints its own KeyboardInterrupt traceback (seen once in make test)")
@pytest.mark.parametrize("command", ["validate", "cmo"])
def test_ctrl_c_is_one_line_and_130(tmp_path, command):
    exe = Path(sys.executable).with_name("abm")
    proc = subprocess.Popen([str(exe), command, "--replicates", "100", "--out", str(tmp_path / "out")],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while not _children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)  # until its worker processes run replicates
    time.sleep(1.0)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: the whole process group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and f"{command}: interrupted" in err
    assert len(err.strip().splitlines()) == 1, err
