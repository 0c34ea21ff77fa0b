"""The on-disk cache of compiled code never serves a kernel compiled against an older version of a rule.

numba stamps a cached function with its own file only; :mod:`abm.mechanisms._cache` stamps every
compiled function of the package with all its compiled sources. The end-to-end case edits a callee in
one file (``clip01`` in ``_numba.py``) and reruns a caller from another file (``outcomes.py``) in a
fresh process over a copy of the package, with and without the stamp.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from numba.core.registry import CPUDispatcher

from abm import engine, outcomes
from abm.mechanisms import _cache, consensus, data_sharing, familiarity, patient_flow, trust

ABM = Path(__file__).resolve().parents[2] / "abm"
JIT_USE = re.compile(r"^@jit\b|\bjit\(", re.MULTILINE)


def test_every_file_with_compiled_functions_stamps_the_cache():
    compiled = {p.resolve() for p in ABM.rglob("*.py") if "__pycache__" not in p.parts and JIT_USE.search(p.read_text())}
    assert compiled, "no compiled functions found: the pattern is stale"
    assert compiled <= set(_cache.compiled_sources())


@pytest.mark.parametrize("module", [engine, outcomes, consensus, data_sharing, familiarity, patient_flow, trust])
def test_kernels_are_cached_with_the_all_sources_stamp(module):
    kernels = [f for f in vars(module).values() if isinstance(f, CPUDispatcher)]
    assert kernels
    for f in kernels:
        locator = f._cache._impl._locator
        assert isinstance(locator, _cache.UserDirLocator | _cache.InTreeLocator), f
        assert locator.get_source_stamp() == _cache.sources_stamp()


def test_the_stamp_follows_every_compiled_source(tmp_path):
    root = tmp_path / "abm"
    shutil.copytree(ABM, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = _cache.sources_stamp(root)
    assert _cache.sources_stamp(root) == before  # stable
    (root / "mechanisms" / "routines.py").write_text((root / "mechanisms" / "routines.py").read_text() + "\n# edited\n")
    assert _cache.sources_stamp(root) != before
    edited = _cache.sources_stamp(root)
    (root / "model.py").write_text((root / "model.py").read_text() + "\n# not compiled code\n")
    assert _cache.sources_stamp(root) == edited


CALLER = "import numpy as np; from abm import outcomes; print(outcomes.consensus_of_sorted(np.array([[0.0], [0.9]])))"


def _run(copy: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(copy), "NUMBA_DISABLE_JIT": "0"}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", CALLER], env=env, cwd=copy, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("stamped", [True, False], ids=["all-sources stamp", "numba's own stamp"])
def test_an_edited_callee_in_another_file_reaches_its_cached_caller(tmp_path, stamped):
    copy = tmp_path / "pkg"
    shutil.copytree(ABM, copy / "abm", ignore=shutil.ignore_patterns("__pycache__"))
    numba_py = copy / "abm" / "mechanisms" / "_numba.py"
    if not stamped:
        numba_py.write_text(numba_py.read_text().replace("\n_cache.install()\n", "\n"))
    assert _run(copy) == 0.0  # consensus 1 - 2.7 is clipped to 0; the caller is now cached
    numba_py.write_text(numba_py.read_text().replace("x = x if x >= 0.0 else 0.0", "x = x if x >= 0.0 else 0.25"))
    # with the stamp, the caller is recompiled against the new clip01; numba's own stamp (the caller's
    # file, unchanged) loads the stale kernel: the hazard the stamp removes
    assert _run(copy) == (0.25 if stamped else 0.0)
