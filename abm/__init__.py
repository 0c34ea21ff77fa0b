"""integration-abm: an agent-based model of how integration of care is generated among partners."""

from abm.config import ConfigError, Scenario, load_scenario
from abm.model import IntegrationModel
from abm.params import Mechanisms, Params
from abm.run import RunResult, run_once

__all__ = ["ConfigError", "IntegrationModel", "Mechanisms", "Params", "RunResult", "Scenario", "load_scenario", "run_once"]
__version__ = "0.1.0"
