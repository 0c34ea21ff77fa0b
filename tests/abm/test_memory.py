"""Memory stays flat over many runs in one process (sensitivity analysis runs tens of thousands).

Mesa 3.3.1 keeps a reference to every model in the class attribute ``mesa.Agent._ids``;
``IntegrationModel.release()`` drops it (:func:`abm.compat.release_model`) and ``abm.run.run_model``
calls it after every run. Mesa 3.5 keeps none.
"""

from __future__ import annotations

import gc
import resource
import sys
import weakref

import mesa
import numpy as np
import psutil
import pytest

from abm import allocator, compat
from abm.config import load_scenario
from abm.model import IntegrationModel
from abm.run import run_once

RUNS = 1000
STEPS = 2
MAX_GROWTH = 10e6  # bytes of resident memory over the last 900 runs; leaking every model grows it ~50 MB


def test_memory_is_flat_over_1000_runs():
    sc = load_scenario("P3")
    proc = psutil.Process()
    for seed in range(100):  # warm-up: caches, interned strings, pandas internals
        run_once(sc, seed=seed, steps=STEPS)
    gc.collect()
    before = proc.memory_info().rss
    for seed in range(100, RUNS):
        run_once(sc, seed=seed, steps=STEPS)
    gc.collect()
    growth = proc.memory_info().rss - before
    assert growth < MAX_GROWTH, f"resident memory grew by {growth / 1e6:.1f} MB over {RUNS - 100} runs"
    assert compat.registered_models() < 10  # no model left registered


def test_release_frees_the_model_and_without_it_mesa_keeps_it():
    kept = IntegrationModel("P3", seed=1)
    assert len(kept.agents) == kept.state.n_orgs + kept.state.n_clinicians  # Mesa registers a model with its first agent
    ref_kept = weakref.ref(kept)
    freed = IntegrationModel("P3", seed=2)
    freed.clinicians  # noqa: B018 (its agents built too)
    ref_freed = weakref.ref(freed)
    never = IntegrationModel("P3", seed=3)  # agents never asked for (a batch run): nothing registered
    ref_never = weakref.ref(never)
    never.run_weeks(5)
    freed.release()
    del kept, freed, never
    gc.collect()
    assert ref_freed() is None
    assert ref_never() is None
    if hasattr(mesa.Agent, "_ids"):  # Mesa 3.3.1 still holds it: this is what release() is for
        assert ref_kept() is not None
    else:  # Mesa 3.5 holds no model: nothing keeps it
        assert ref_kept() is None
        return
    ref_kept().release()
    gc.collect()
    assert ref_kept() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator thresholds (abm.allocator)")
def test_a_weeks_freed_pair_arrays_are_reused_not_fetched_again():
    """A model sets glibc's thresholds when it is built (abm.allocator): a week's freed 8 MB arrays (a 1,000-organization
    region's pair arrays) stay in the heap for the next week instead of coming back as fresh pages (page faults).
    Without the thresholds, the second week below takes about 2,000 page faults (measured)."""
    IntegrationModel(load_scenario("P3"), seed=0).release()
    assert allocator.keep_freed_memory()

    def week() -> None:
        arrays = [np.ones(1_000_000) for _ in range(4)]  # four 8 MB pair arrays alive at once, then freed
        del arrays

    week()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    week()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 200
