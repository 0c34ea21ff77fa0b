"""Ctrl-C while compiled code runs (abm/interrupts.py): a KeyboardInterrupt once the call returns, never a crash."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from abm.interrupts import interrupts_after, sigint_ignored

# A large region run (seconds of compiled code) beside a second Python thread, as under a progress bar or
# in a Jupyter kernel, interrupted one second in. Before the fix this died of a segmentation fault.
SCRIPT = textwrap.dedent("""
    import os, signal, sys, threading, time
    from abm.model import IntegrationModel
    from abm.run import run_once
    from abm.synthetic import synthetic_region

    sc = synthetic_region(1000, 50000, seed=1)
    stop = threading.Event()
    threading.Thread(target=lambda: [None for _ in iter(lambda: stop.wait(0.02), True)], daemon=True).start()
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    t0 = time.monotonic()
    try:
        if sys.argv[1] == "run_once":
            run_once(sc, seed=1)
        else:
            m = IntegrationModel(sc, seed=1)
            while True:
                m.step()
    except KeyboardInterrupt:
        print(f"interrupted after {time.monotonic() - t0:.1f} s")
""")


@pytest.mark.parametrize("path", ["run_once", "step"])
def test_ctrl_c_during_compiled_weeks_is_a_keyboard_interrupt(path):
    res = subprocess.run([sys.executable, "-X", "faulthandler", "-c", SCRIPT, path], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.startswith("interrupted after"), res.stdout + res.stderr[-3000:]


def test_a_signal_in_the_block_reaches_the_handler_after_it():
    seen = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_after():
            signal.raise_signal(signal.SIGINT)
            seen.append("block ran on")
    assert seen == ["block ran on"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    calls = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        with interrupts_after():
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
            assert calls == []
        assert calls == [signal.SIGINT]  # once, after the block
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_signal_while_ignored_is_dropped():
    with sigint_ignored():
        signal.raise_signal(signal.SIGINT)  # would raise KeyboardInterrupt here or after the block
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_outside_the_main_thread_it_changes_nothing():
    errors = []

    def body():
        try:
            with interrupts_after(), sigint_ignored():
                pass
        except Exception as e:  # noqa: BLE001 - signal.signal outside the main thread raises ValueError
            errors.append(e)

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert errors == [] and signal.getsignal(signal.SIGINT) is signal.default_int_handler


# Ctrl-C while the `abm` command is still loading its modules (most of a second): the import of the command
# line raises KeyboardInterrupt, here made to happen at that import every time.
LOADING = textwrap.dedent("""
    import sys

    class InterruptedImport:
        def find_spec(self, name, path=None, target=None):
            if name == "abm.cli":
                raise KeyboardInterrupt

    sys.meta_path.insert(0, InterruptedImport())
    sys.argv = ["abm", "scenarios"]
    from abm.__main__ import main
    main()
""")


def test_ctrl_c_while_the_command_loads_is_one_line_and_130():
    r = subprocess.run([sys.executable, "-c", LOADING], capture_output=True, text=True, timeout=120)
    assert r.returncode == 130, r.stderr
    assert r.stderr == "error: interrupted\n"


def test_the_abm_command_is_main():
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "abm"]
    assert ep.value == "abm.__main__:main"
    r = subprocess.run([sys.executable, "-m", "abm", "scenarios"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "P4" in r.stdout, r.stderr


def test_ctrl_c_in_abm_run_is_one_line_130_and_writes_nothing(tmp_path):
    """``abm run`` interrupted (the whole process group, as a terminal does) while it runs 200,000 weeks: one line,
    exit status 130, and no output directory (not even a temporary one)."""
    import os
    import time
    from pathlib import Path

    exe = Path(sys.executable).with_name("abm")
    out = tmp_path / "out"
    proc = subprocess.Popen([str(exe), "run", "P4", "--steps", "200000", "--out", str(out)], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(5.0)  # loaded and running (a Ctrl-C while it loads is one line and 130 too: the test above)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    assert list(tmp_path.iterdir()) == []
