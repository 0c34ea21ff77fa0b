"""Registration of CLI commands whose implementation lives outside the model package.

Each command imports its package only when run, so importing ``abm`` never imports
``experiments`` or ``dashboards``. A package that is not present yet simply has no command.
"""

from __future__ import annotations

from abm.cli import app

PLUGINS = ("experiments.cli", "experiments.sensitivity_cli", "experiments.validation_cli", "dashboards.cli")


def _register() -> None:
    import importlib.util

    for name in PLUGINS:
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            continue
        module = importlib.import_module(name)
        module.register(app)


_register()
