"""What differs between the supported Mesa versions (3.3.1 on Python 3.11, 3.5.x on Python >= 3.12).

Everything version-dependent the project touches in Mesa goes through here:

- ``release_model``: Mesa 3.3.1 keeps every model in the class attribute ``Agent._ids`` (a model ->
  id-counter map) until it is removed; Mesa 3.5 numbers agents per model and keeps nothing.
- ``Model.scenario``: Mesa 3.5 owns this name (a property holding a ``mesa.experimental.scenarios.Scenario``,
  which SolaraViz reads and rebuilds on Reset). The model keeps its own configuration as ``model.config``
  on every version; ``model.scenario`` is that same object on Mesa 3.3.1 and a :class:`ProgramScenario`
  (a Mesa Scenario that forwards attribute reads to the configuration) on Mesa >= 3.4.
- ``DataCollector``: Mesa 3.5 also records the model time of every collected row (``batch_run`` reads
  it); the model's fast collector does the same (``note_collection``). ``batch_run`` takes ``rng=``
  seeds instead of ``iterations`` in 3.5 (``batch_run_replicates``).
- ``update_counter`` / ``force_update``: SolaraViz's redraw counter (``mesa.visualization.utils`` in both).
- The model's random generator: both take ``rng=`` (``seed=`` is deprecated in 3.5), which is what the model passes.
"""

from __future__ import annotations

from typing import Any

import mesa

__all__ = [
    "MESA_VERSION", "MODEL_OWNS_SCENARIO", "ProgramScenario", "batch_run_replicates",
    "is_mesa_scenario", "note_collection", "registered_models", "release_model", "scenario_attribute",
]  # (and force_update, update_counter: see __getattr__)  # fmt: skip



def __getattr__(name: str) -> Any:
    """``force_update`` and ``update_counter`` (Mesa's visualization redraw hooks), imported on first use: the
    model itself must not import Mesa's visualization (Solara, Altair) in every worker process."""
    if name in ("force_update", "update_counter"):
        from mesa.visualization import utils

        return getattr(utils, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


MESA_VERSION: tuple[int, ...] = tuple(int(x) for x in mesa.__version__.split(".")[:3] if x.isdigit())
# Mesa >= 3.4: Model.scenario is a property whose setter links a Mesa Scenario to the model
MODEL_OWNS_SCENARIO: bool = isinstance(getattr(mesa.Model, "scenario", None), property)


def note_collection(collector: Any, model: Any) -> None:
    """Record, as Mesa's own ``DataCollector.collect`` does, when a row was collected (Mesa >= 3.4 keeps
    ``_collection_steps``, the model times of the rows, which ``batch_run`` reads; Mesa 3.3.1 keeps nothing)."""
    times = getattr(collector, "_collection_steps", None)
    if times is not None:
        times.append(model.time)


def batch_run_replicates(n: int) -> dict[str, Any]:
    """``mesa.batch_run`` keyword arguments for ``n`` runs of each parameter combination, each with a fresh
    seed: ``iterations=n`` on Mesa 3.3.1, ``rng=[None] * n`` on Mesa 3.5 (which deprecates ``iterations``)."""
    import inspect

    takes_rng = "rng" in inspect.signature(mesa.batch_run).parameters
    return {"rng": [None] * n} if takes_rng else {"iterations": n}


def release_model(model: Any) -> None:
    """Drop Mesa's class-level reference to ``model`` so it can be freed (a no-op where Mesa keeps none)."""
    ids = getattr(mesa.Agent, "_ids", None)  # Mesa 3.3.1: {model: agent id counter}, never emptied by Mesa
    if ids is not None:
        ids.pop(model, None)


def registered_models() -> int:
    """How many models Mesa still holds at class level (always 0 on Mesa versions that hold none)."""
    return len(getattr(mesa.Agent, "_ids", ()))


if MODEL_OWNS_SCENARIO:
    from mesa.experimental.scenarios import Scenario as _MesaScenario

    class ProgramScenario(_MesaScenario):
        """Mesa's Scenario for an IntegrationModel: ``model.scenario`` on Mesa >= 3.4.

        Holds the model's configuration (``config``: an :class:`abm.config.Scenario`) and forwards
        every other attribute read to it, so ``model.scenario.program`` or ``.steps`` read the same as
        on Mesa 3.3.1. SolaraViz's Reset builds an empty one (no ``config``) and passes it as the
        model's ``scenario``; the model then takes its program from its ``program`` argument.
        """

        def __getattr__(self, name: str) -> Any:  # only called for names the Mesa scenario lacks
            config = self.__dict__.get("config")
            if config is None or name.startswith("__"):
                raise AttributeError(name)
            return getattr(config, name)

else:  # pragma: no cover - Mesa 3.3.1 has no Scenario class of its own

    class ProgramScenario:  # type: ignore[no-redef]
        """Unused on Mesa 3.3.1: ``model.scenario`` is the configuration itself."""


def is_mesa_scenario(value: Any) -> bool:
    """Whether ``value`` is a Mesa Scenario (Mesa >= 3.4; SolaraViz passes one as ``scenario`` on Reset)."""
    return MODEL_OWNS_SCENARIO and isinstance(value, _MesaScenario)


def scenario_attribute(config: Any, rng: Any = None) -> Any:
    """What to assign to ``model.scenario``: the configuration (Mesa 3.3.1) or a :class:`ProgramScenario` wrapping it."""
    return ProgramScenario(config=config, rng=rng) if MODEL_OWNS_SCENARIO else config
