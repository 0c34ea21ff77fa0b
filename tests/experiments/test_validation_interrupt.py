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


def _sigint_ignored_or_blocked(pid: str) -> bool | None:
    """From /proc: whether SIGINT (signal 2) is ignored or blocked in process ``pid``; None if it is gone."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    except (FileNotFoundError, ProcessLookupError):
        return None
    mask = int(fields["SigIgn"], 16) | int(fields["SigBlk"], 16)
    return bool(mask & (1 << (signal.SIGINT - 1)))


def _is_python(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().startswith("python")
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_every_helper_process_is_deaf_to_ctrl_c_from_birth(tmp_path):
    """A terminal's Ctrl-C reaches the whole process group. Every process `abm validate` starts (multiprocessing's
    resource tracker, the forkserver, its workers) must ignore it from birth, before its imports are done, or it
    prints its own KeyboardInterrupt traceback beside the command's one-line message."""
    exe = Path(sys.executable).with_name("abm")
    proc = subprocess.Popen([str(exe), "validate", "--replicates", "100", "--out", str(tmp_path / "out")],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    seen: dict[str, bool] = {}
    try:
        deadline = time.monotonic() + 120
        while len(seen) < 4 and all(seen.values()) and proc.poll() is None and time.monotonic() < deadline:  # tracker, server, 2 workers
            for pid in _children(proc.pid):
                for p in [pid, *_children(int(pid))]:  # the server's workers are its children
                    if not _is_python(p):  # e.g. a short-lived `git rev-parse` for the provenance
                        continue
                    state = _sigint_ignored_or_blocked(p)
                    if state is not None:
                        seen.setdefault(p, state)
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    assert all(seen.values()), seen
    assert len(seen) >= 4, seen


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
