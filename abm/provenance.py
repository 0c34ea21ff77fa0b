"""Versions of Python and of the packages that shape results, for every output's provenance."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib import metadata

PACKAGES = ("integration-abm", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic")


def versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """``{"python": ..., package: version or "not installed"}``."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
