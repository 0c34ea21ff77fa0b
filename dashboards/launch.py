"""How the dashboard server is started: the ``solara run`` command line and its environment.

Kept free of solara imports so the ``abm`` CLI stays fast to start. Used by ``abm dashboard``, the
browser tests and the benchmark, so all three start the server the same way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
RESULTS_ENV = "ABM_DASHBOARD_RESULTS"
# Offline and private by default: no version check against PyPI, no telemetry (docs/DASHBOARD.md, "Offline").
OFFLINE_ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
# A closed tab's session (its model) is dropped this long after its last page disconnects; solara's
# default is 24 h. Play already stops as soon as no page is connected. Set it in the environment to change.
# glibc's allocator: at most 2 arenas, so memory freed by ended sessions' threads can be returned
# (dashboards/memory.py).
SESSION_ENV = {"SOLARA_KERNEL_CULL_TIMEOUT": "10m", "MALLOC_ARENA_MAX": "2"}


def command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The ``solara run`` command line for the dashboard app (production mode, no version check)."""
    return [
        sys.executable, "-m", "solara", "run", str(APP), "--production", "--no-check-version",
        "--host", host, "--port", str(port), "--no-open",
    ]  # fmt: skip


def environment(results: str | Path | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: ``base`` (default: this process's) plus the offline settings."""
    env = dict(os.environ if base is None else base)
    env.update(OFFLINE_ENV)
    for k, v in SESSION_ENV.items():
        env.setdefault(k, v)
    if results is not None:
        env[RESULTS_ENV] = str(Path(results).resolve())
    return env

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(results: Path | None = None, timeout: float = 90.0, log: Path | None = None, env: dict[str, str] | None = None):
    """Run ``abm dashboard`` on a free loopback port as a subprocess (tests, benchmark).

    Yields (base_url, seconds from start to the first HTTP 200); stops the server's process group on exit.
    """
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "abm"), "dashboard", "--port", str(port)]
    if results is not None:
        cmd += ["--results", str(results)]
    env = dict(os.environ, **OFFLINE_ENV, **(env or {}))
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)  # a test may be the first to write there
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dashboard server exited with {proc.returncode} (log: {log})")
            try:
                with opener.open(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError(f"dashboard server not up after {timeout:.0f} s")
            time.sleep(0.2)
        yield url, time.perf_counter() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # only the group started here (the server and its children)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if log:
            out.close()
