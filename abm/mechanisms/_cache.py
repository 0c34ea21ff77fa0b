"""numba's on-disk cache of the compiled code, invalidated when any compiled source changes.

numba stamps a cached function with the content of its own file only: a kernel compiled together with
the functions it calls from other files (the whole-run loop of :mod:`abm.engine` calls every
mechanism) would keep running the old callees after one of their files changed, while
:meth:`abm.model.IntegrationModel.step`, which calls each mechanism itself, would run the new ones.
Here every compiled function of the package is stamped with the content of all its compiled sources
(:data:`COMPILED_SOURCES`): editing any rule recompiles every kernel on its next use (about a minute),
and a stale kernel is never loaded. The cache stays where numba keeps it (``__pycache__``, or
``NUMBA_CACHE_DIR`` if set); nothing changes for code outside these files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from numba.core import caching

PACKAGE = Path(__file__).resolve().parents[1]  # the abm package
COMPILED_SOURCES = ("mechanisms/*.py", "engine.py", "outcomes.py")  # every file of the package with compiled functions


def compiled_sources(root: Path = PACKAGE) -> list[Path]:
    """The files whose content stamps every cached kernel, sorted."""
    return sorted({p.resolve() for pattern in COMPILED_SOURCES for p in root.glob(pattern)})


def sources_stamp(root: Path = PACKAGE) -> str:
    """One digest of the names and contents of :func:`compiled_sources` (each file hashed once per change)."""
    h = hashlib.sha256()
    for path in compiled_sources(root):
        st = path.stat()
        h.update(path.relative_to(root.resolve()).as_posix().encode())
        h.update(caching._hash_source_file(str(path), st.st_mtime, st.st_size))
    return h.hexdigest()


class _StampedByAllSources:
    """A locator mixin: this package's compiled files only, stamped by :func:`sources_stamp`."""

    def get_source_stamp(self) -> str:
        return sources_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):  # noqa: ANN001, ANN206 (numba's locator protocol)
        if Path(py_file).resolve() not in compiled_sources():
            return None
        return super().from_function(py_func, py_file)


class UserDirLocator(_StampedByAllSources, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR`` is set: numba's place for the cache there."""


class InTreeLocator(_StampedByAllSources, caching.InTreeCacheLocator):
    """The cache in the package's ``__pycache__`` directories."""


def install() -> None:
    """Put the two locators first in numba's list (once), before any function of the package is decorated."""
    classes = caching.CacheImpl._locator_classes
    if InTreeLocator not in classes:
        classes[:0] = [UserDirLocator, InTreeLocator]
