"""The C allocator's thresholds for a run's large temporary arrays (glibc, that is Linux, only).

Each week the mechanisms return new organization-pair arrays and free last week's: at 1,000 organizations
each is 8 MB. glibc hands out a block that large from its heap or, above its mmap threshold, as fresh pages
from the system, and it returns free memory at the top of its heap once more than its trim threshold is free.
Both thresholds adapt to the blocks freed (the trim threshold to twice the largest, 16 MB here), and a week
frees more than that at once: so every week about 9 MB of heap went back to the system and came back as fresh
pages, about 2,200 page faults a week at 1,000 organizations (a sixth of a week's time, in the kernel).

:func:`keep_freed_memory` fixes the thresholds once per process (``mallopt``): blocks up to ``MMAP_THRESHOLD``
come from the heap, and up to ``TRIM_THRESHOLD`` of freed heap is kept for the next week's arrays instead of
being returned. The process keeps at most that much freed memory; nothing else changes (no number a run
computes). Every model calls it when it is built; elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys

MMAP_THRESHOLD = 32 * 2**20  # bytes: blocks below this come from the heap (glibc's adaptive maximum)
TRIM_THRESHOLD = 64 * 2**20  # bytes of free heap kept for reuse rather than returned to the system
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


@functools.cache
def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (module docstring), once per process; whether they were set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # (the process's own symbols: the C library it runs on, no search)
    except (OSError, AttributeError):  # a C library without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
