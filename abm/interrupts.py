"""Ctrl-C (SIGINT) around compiled code, worker processes and writes that must not be cut short.

* :func:`interrupts_after`: Ctrl-C during compiled code is held until the call has returned, then raised as usual.

The compiled kernels release the GIL (``nogil``). If Ctrl-C arrives while one runs and another
Python thread exists (a progress bar, a Jupyter kernel's own threads), CPython may raise the
``KeyboardInterrupt`` while numba is still turning the kernel's result arrays into Python objects,
and that half-built object crashes the process (segmentation fault, numba's ``MemInfo_dealloc``).
:func:`interrupts_after` replaces a Python-level SIGINT handler by one that only notes the signal
for the duration of the block, then calls the original handler (``KeyboardInterrupt`` by default)
once the block is done. Outside the main thread, or when SIGINT is ignored or left to the system,
it does nothing.
* :func:`sigint_ignored`: Ctrl-C is ignored for the duration of a block (a last write that must finish;
  processes started inside inherit the ignore). Main thread only.
* :func:`ignore_sigint`: the initializer of worker processes whose parent handles Ctrl-C and stops them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def interrupts_after() -> Iterator[None]:
    """Hold SIGINT for the duration of the block; deliver it to the original handler afterwards."""
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous) or threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[tuple[int, FrameType | None]] = []
    signal.signal(signal.SIGINT, lambda signum, frame: pending.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending:
            previous(*pending[0])


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT for the duration (main thread only; elsewhere signals are not ours to handle)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is handled by the parent, which stops the pool cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
