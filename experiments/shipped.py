"""The specs shipped with the package: package data in ``experiments/specs/<kind>/<name>.yaml``.

They travel in the wheel, so a plain install runs them from any folder by name
(``abm experiment ontario --out results/ontario``, ``abm sensitivity p4_sobol --out ...``), and
``abm specs ontario > my_spec.yaml`` copies one to edit. In a checkout they are also plain files
(``experiments/specs/experiment/ontario.yaml``). They name the built-in programs (P1..P6), which are
package data of :mod:`abm` (``abm/programs``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

KINDS = ("experiment", "sensitivity", "calibration")
SPECS_DIR = Path(str(resources.files("experiments") / "specs"))


def shipped_specs(kind: str | None = None) -> dict[str, Path]:
    """Shipped spec name (file stem, e.g. 'ontario') -> its file; of one kind, or of all kinds."""
    kinds = KINDS if kind is None else (kind,)
    if any(k not in KINDS for k in kinds):
        raise ValueError(f"unknown spec kind {kind!r}; expected one of {', '.join(KINDS)}")
    return {p.stem: p for k in kinds for p in sorted((SPECS_DIR / k).glob("*.yaml"))}


def spec_kind(path: Path) -> str:
    """'experiment', 'sensitivity' or 'calibration': the folder a shipped spec lives in."""
    return path.parent.name


def resolve_spec(name_or_path: str | Path, kind: str) -> Path:
    """An existing file as given; else a shipped spec of ``kind`` by name ('ontario' or 'ontario.yaml').

    Anything else is returned unchanged, so the loader reports the missing file.
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    name = path.name.removesuffix(".yaml") if path.parent == Path(".") else None
    return shipped_specs(kind).get(name, path) if name else path
