"""Versions of Python and of the packages that shape results, for every output's provenance."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib import metadata

# numba and llvmlite compile every mechanism: a new release changes the machine code (and can change the
# last bits of floating-point results), so their versions are part of every result's provenance.
PACKAGES = ("integration-abm", "mesa", "numba", "llvmlite", "numpy", "scipy", "pandas", "pyarrow", "pydantic")


def versions(packages: Iterable[str] = ()) -> dict[str, str]:
    """``{"python": ..., package: version or "not installed"}`` for :data:`PACKAGES` and any others given.

    The model's own packages are always included, so no caller (a run's ``run.json``, an experiment's
    ``manifest.json``) can leave out the compiler that produced the numbers.
    """
    out = {"python": platform.python_version()}
    for name in dict.fromkeys([*PACKAGES, *packages]):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
