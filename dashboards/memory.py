"""Giving memory back when a browser session ends.

A session's model, views and widgets are freed when solara closes the session (its page closed and
``SOLARA_KERNEL_CULL_TIMEOUT`` passed), but glibc's allocator keeps freed memory in per-thread
arenas (every Play loop runs in its own thread), so the server's resident size would only grow.
:func:`release_soon` collects garbage and asks glibc to return free pages (``malloc_trim``) a moment
after a session ends; ``abm dashboard`` also caps the arenas (``MALLOC_ARENA_MAX``, dashboards/launch.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import threading

RELEASE_DELAY_SECONDS = 2.0  # the session's objects are freed after its components' cleanups have run


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return lib if lib is not None and hasattr(lib, "malloc_trim") else None


def release_now() -> bool:
    """Collect garbage and return free heap pages to the system; False where there is no glibc."""
    gc.collect()
    lib = _libc()
    if lib is None:
        return False
    lib.malloc_trim(0)
    return True


def release_soon(delay: float = RELEASE_DELAY_SECONDS) -> None:
    """:func:`release_now` in ``delay`` seconds, on a daemon timer thread."""
    t = threading.Timer(delay, release_now)
    t.daemon = True
    t.start()
