"""Shared test fixtures."""

from __future__ import annotations

import os

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config) -> None:  # noqa: ANN001 (pytest's Config)
    """A suite started in the background (``make test &``, ``nohup``) inherits Ctrl-C ignored (SIG_IGN), and so
    would every process it starts: the tests of Ctrl-C need what a terminal gives, Python's own handler."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
