"""What every mechanism module shares: the compile decorator, the run's generator, the parameter record.

* :data:`jit`: numba's ``njit`` with an on-disk cache, invalidated when any compiled source of the
  package changes (:mod:`abm.mechanisms._cache`). With ``NUMBA_DISABLE_JIT=1`` every
  mechanism runs as the plain Python it is written in (same numbers, slower), so a rule can be
  stepped in a debugger or measured for coverage.
* :func:`generator_handle` / :func:`as_generator`: the run's ``numpy.random.Generator`` as compiled
  code takes it. Numba can take a Generator argument, but unboxing one costs ~10 us per call (it
  looks up the bit generator's ctypes interface each time), more than a mechanism itself at program
  scale; the model builds this small array of addresses once per run and compiled code rebuilds
  numba's generator from it. Numba's ``random`` and ``poisson`` are NumPy's algorithms, so the draws
  are those NumPy would make from the same state. Without the JIT the handle is the Generator itself.
* :func:`permutation`: ``Generator.permutation`` of a 1-D array with NumPy's draws and result, 2-3x
  faster than numba's own (which swaps through 0-d array views); mechanisms shuffle with it.
* :func:`params_record`: the parameters as one typed record (a one-element structured array, fields
  named as in :class:`abm.params.Params`). Parameters cross into compiled code by name, never by
  position: a mechanism reads ``p.trust_alpha``.
* :func:`clip01`, :func:`total`, :func:`mean_by_org`, :func:`search_right`: small array helpers (an organization's mean
  engagement, for one, is read by the exit rule and measured each week).
"""

from __future__ import annotations

import ctypes
from collections.abc import Mapping

import numpy as np
from numba import config, njit, types
from numba.extending import intrinsic

from abm.mechanisms import _cache

_cache.install()
jit = njit(cache=True, nogil=True)
JIT_DISABLED = bool(config.DISABLE_JIT)


def params_record(values: Mapping[str, float]) -> np.ndarray:
    """One-element structured array of ``values`` (float64 fields, in the given order).

    Compiled code reads field ``x`` as ``params[0].x``; plain Python (no JIT) gets a ``recarray``,
    whose element allows the same attribute access.
    """
    rec = np.zeros(1, np.dtype([(k, np.float64) for k in values]))
    for k, v in values.items():
        rec[k] = v
    return rec.view(np.recarray) if JIT_DISABLED else rec


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def generator_handle(rng: np.random.Generator) -> np.ndarray | np.random.Generator:
    """The addresses compiled code needs to draw from ``rng``'s bit generator.

    They are read from the bit generator's ``capsule`` (NumPy's ``bitgen_t``: the state, then the
    ``next_uint64``, ``next_uint32`` and ``next_double`` functions), the addresses its ``ctypes``
    interface gives, without building that interface (about 3 us instead of 13). The returned array
    keeps ``rng`` alive (its buffer holds a reference), so a handle never outlives the generator it
    points into.
    """
    if JIT_DISABLED:
        return rng
    buf = (ctypes.c_uint64 * 4)()  # state, next_uint64, next_uint32, next_double: the first four words of NumPy's bitgen_t
    ctypes.memmove(buf, _capsule_pointer(rng.bit_generator.capsule, b"BitGenerator"), ctypes.sizeof(buf))
    buf.generator = rng
    return np.frombuffer(buf, np.uint64)


if JIT_DISABLED:

    def as_generator(handle):
        """Without the JIT the handle is the Generator."""
        return handle

else:
    from llvmlite import ir
    from numba.core import cgutils

    _GENERATOR = types.NumPyRandomGeneratorType("NumPyRandomGeneratorType")
    _BIT_GENERATOR = types.NumPyRandomBitGeneratorType("bit_generator")

    @intrinsic
    def as_generator(typingctx, handle):
        """Numba's Generator over the bit generator whose addresses :func:`generator_handle` gathered."""
        if not (isinstance(handle, types.Array) and handle.dtype == types.uint64):
            return None

        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data

            def word(i):
                return builder.load(builder.gep(data, [ir.Constant(ir.IntType(64), i)]))

            bits = cgutils.create_struct_proxy(_BIT_GENERATOR)(context, builder)
            bits.state_address = bits.state = word(0)
            bits.fnptr_next_uint64, bits.fnptr_next_uint32, bits.fnptr_next_double = word(1), word(2), word(3)
            gen = cgutils.create_struct_proxy(_GENERATOR)(context, builder)
            gen.bit_generator = bits._getvalue()  # no parent object, no meminfo: never boxed back to Python
            return gen._getvalue()

        return _GENERATOR(handle), codegen


if JIT_DISABLED:

    def permutation(rng, x):
        """``rng.permutation(x)`` (plain Python: NumPy's own, of a copy: NumPy cannot shuffle an empty read-only array)."""
        return rng.permutation(x.copy())

else:
    from numba.np.random.random_methods import random_interval

    @jit
    def permutation(rng, x):
        """``rng.permutation(x)`` for a 1-D array ``x``: a shuffled copy, with the draws and the result of NumPy's
        (Fisher-Yates from the last element down, each position's partner by NumPy's bounded integer
        ``random_interval``). ``rng``: :func:`as_generator`'s Generator. For ``permutation(n)`` pass
        ``np.arange(n)``, as NumPy does."""
        bits = rng.bit_generator
        out = x.copy()
        for i in range(out.size - 1, 0, -1):
            j = np.int64(random_interval(bits, i))
            if i != j:
                out[i], out[j] = out[j], out[i]
        return out


@jit
def clip01(x):
    """x limited to [0, 1]."""
    x = x if x >= 0.0 else 0.0
    return x if x <= 1.0 else 1.0


@jit
def total(a):
    """Sum of a 1-d float array, left to right (the same order compiled and in plain Python)."""
    s = 0.0
    for x in a:
        s += x
    return s


@jit
def mean_by_org(values, clin_org, counts):
    """Mean of a per-clinician array within each organization (``counts``: its clinicians; NaN if none), summed
    in clinician order (as ``np.bincount(clin_org, values) / counts``)."""
    out = np.zeros(counts.size)
    for i in range(clin_org.size):
        out[clin_org[i]] += values[i]
    for o in range(counts.size):
        out[o] = out[o] / counts[o] if counts[o] else np.nan
    return out


@jit
def search_right(a, lo, hi, x):
    """``lo + np.searchsorted(a[lo:hi], x, side="right")`` without making the slice: the first index of
    ``lo..hi`` whose value exceeds ``x`` (``hi`` if none), by bisection, NaN sorting last as in NumPy."""
    while lo < hi:
        mid = lo + ((hi - lo) >> 1)
        if x < a[mid] or (a[mid] != a[mid] and x == x):
            hi = mid
        else:
            lo = mid + 1
    return lo
