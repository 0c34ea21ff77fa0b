"""Import rules of the model package, checked on the source (ast), not by importing it.

- ``abm`` names no runner or screen: no module under ``abm/`` imports ``experiments`` or
  ``dashboards``, names them in a string (``importlib.import_module("experiments.cli")``), or even
  mentions them as words. Those packages add their commands through the ``abm.commands`` entry
  points instead.
- The mechanisms are array code: nothing in ``abm/mechanisms/`` imports the model's state, config,
  model or agents modules, not even under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ABM = Path(__file__).resolve().parents[2] / "abm"
FORBIDDEN_PACKAGES = ("experiments", "dashboards")
MECHANISMS_FORBIDDEN = ("abm.state", "abm.config", "abm.model", "abm.agents")
WORD = re.compile(r"\b(" + "|".join(FORBIDDEN_PACKAGES) + r")\b")
_PKG = "(?:" + "|".join(FORBIDDEN_PACKAGES) + ")"
# A string that is a module or entry-point name ("dashboards", "experiments.cli:register") or holds a
# dotted reference to one; prose mentions are left to the plain-text check.
MODULE_NAME = re.compile(rf"^\s*{_PKG}(?:\.\w+)*(?::\w+)?\s*$|(?<![\w.]){_PKG}[.:]\w")


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ABM.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(path: Path) -> list[tuple[int, str]]:
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    return _imports_in(path.read_text(encoding="utf-8"), package, str(path))


def _imports_in(source: str, package: str, filename: str = "<probe>") -> list[tuple[int, str]]:
    """Every module an ``import``/``from ... import`` anywhere in the source may bind, made absolute.

    Walks the whole tree, so imports under ``if TYPE_CHECKING:`` or inside functions count too.
    ``from pkg import name`` yields both ``pkg`` and ``pkg.name`` (``name`` may be a submodule).
    """
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _rel(path: Path) -> str:
    return str(path.relative_to(ABM.parent))


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_files_are_found():
    assert len(_modules(ABM)) > 10 and (ABM / "mechanisms" / "trust.py") in _modules(ABM)


def test_import_scan_catches_relative_type_checking_and_submodule_imports():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..config import X\n"
        "from .. import state\n"
        "def f():\n    import abm.model as m\n"
        "from abm import agents\n"
    )
    modules = {m for _, m in _imports_in(source, "abm.mechanisms")}
    assert all(_within(m, MECHANISMS_FORBIDDEN) for m in ("abm.config.X", "abm.state", "abm.model", "abm.agents"))
    assert {"abm.config", "abm.state", "abm.model", "abm.agents"} <= modules
    assert not _within("abm.mechanisms.trust", MECHANISMS_FORBIDDEN)
    for named in ("experiments", "dashboards.cli", "experiments.cli:register", "import_module('dashboards.app')"):
        assert MODULE_NAME.search(named), named
    for prose in ("abm.experiments_helper", "knock-out experiments.", "by hand now (dashboards): applied"):
        assert not MODULE_NAME.search(prose), prose


def test_abm_does_not_import_runner_or_screen_packages():
    bad = [
        f"{_rel(p)}:{line}: imports {module}"
        for p in _modules(ABM)
        for line, module in _imported(p)
        if _within(module, FORBIDDEN_PACKAGES)
    ]
    assert not bad, "abm/ must not import the runner or screen packages:\n" + "\n".join(bad)


def test_abm_names_no_runner_or_screen_module_in_strings():
    bad = []
    for p in _modules(ABM):
        tree = ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_NAME.search(node.value):
                bad.append(f"{_rel(p)}:{node.lineno}: {node.value[:80]!r}")
    assert not bad, "abm/ must not name the runner or screen packages in strings:\n" + "\n".join(bad)


def test_abm_source_does_not_mention_runner_or_screen_packages():
    bad = [
        f"{_rel(p)}:{i}: {line.strip()}"
        for p in _modules(ABM)
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if WORD.search(line)
    ]
    assert not bad, "abm/ must not mention the runner or screen packages (reword prose too):\n" + "\n".join(bad)


@pytest.mark.parametrize("path", _modules(ABM / "mechanisms"), ids=lambda p: p.name)
def test_mechanisms_do_not_import_model_state_config_or_agents(path):
    bad = [f"{_rel(path)}:{line}: imports {module}" for line, module in _imported(path) if _within(module, MECHANISMS_FORBIDDEN)]
    assert not bad, "mechanisms are array code; they must not import " + ", ".join(MECHANISMS_FORBIDDEN) + ":\n" + "\n".join(bad)


def test_no_function_in_abm_takes_more_than_twelve_parameters():
    # parameters cross into compiled code in one named record, never in long positional lists
    too_many = []
    for path in sorted(ABM.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                a = node.args
                n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (a.vararg is not None) + (a.kwarg is not None)
                if n > 12:
                    too_many.append(f"{path.relative_to(ABM.parent)}:{node.lineno} {node.name} ({n})")
    assert not too_many, too_many
