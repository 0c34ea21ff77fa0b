"""integration-abm: an agent-based model of how integration of care is generated among partners.

The public names are imported lazily, so ``abm check`` and ``abm scenarios`` do not pay for
importing Mesa and pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
_EXPORTS = {
    "ConfigError": "abm.config",
    "Scenario": "abm.config",
    "load_scenario": "abm.config",
    "IntegrationModel": "abm.model",
    "Mechanisms": "abm.params",
    "Params": "abm.params",
    "RunResult": "abm.run",
    "run_once": "abm.run",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'abm' has no attribute {name!r}")
