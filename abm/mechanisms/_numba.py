"""What every mechanism module shares: the compile decorator, the run's generator, the parameter record.

* :data:`jit`: numba's ``njit`` with an on-disk cache, invalidated when any compiled source of the
  package changes (:mod:`abm.mechanisms._cache`). With ``NUMBA_DISABLE_JIT=1`` every
  mechanism runs as the plain Python it is written in (same numbers, slower), so a rule can be
  stepped in a debugger or measured for coverage. :data:`jit_inline` is the same, inlined into the compiled
  functions that call it (numba's ``inline="always"``): for small helpers called once per element and for
  the week's observation: a call of a compiled function takes and drops a reference to its array arguments,
  atomic operations that numba's reference-count pruning removes only in part (a P4 week made 1,294 of
  them, 1,114 with these inlined: a P4 run's compiled weeks 4.32 -> 4.20 ms).
* :func:`generator_handle` / :func:`as_generator`: the run's ``numpy.random.Generator`` as compiled
  code takes it. Numba can take a Generator argument, but unboxing one costs ~10 us per call (it
  looks up the bit generator's ctypes interface each time), more than a mechanism itself at program
  scale; the model builds this small array of addresses once per run and compiled code rebuilds
  numba's generator from it. Numba's ``random`` and ``poisson`` are NumPy's algorithms, so the draws
  are those NumPy would make from the same state. Without the JIT the handle is the Generator itself.
* :func:`permutation`: ``Generator.permutation`` of a 1-D array with NumPy's draws and result, 2-3x
  faster than numba's own (which swaps through 0-d array views); mechanisms shuffle with it.
* :func:`skip`: past ``k`` uniform draws nobody reads (one per pair of a rule, or the draw a switched-off
  mechanism would make), leaving the generator where ``k`` calls of ``random()`` would. NumPy's default
  bit generator, PCG64, is a linear congruential generator on a 128-bit state, one step per draw, so it
  jumps there in O(log k) multiplications; any other bit generator draws the ``k`` numbers.
* :func:`params_record`: the parameters as one typed record (a one-element structured array, fields
  named as in :class:`abm.params.Params`). Parameters cross into compiled code by name, never by
  position: a mechanism reads ``p.trust_alpha``.
* :func:`clip01`, :func:`total`, :func:`mean_by_org`, :func:`search_right`: small array helpers (an organization's mean
  engagement, for one, is read by the exit rule and measured each week).
* :func:`search_right_near`, :func:`flatnonzero`, :func:`sort_keys`: NumPy's answers (``searchsorted``,
  ``flatnonzero``, ``sort``) computed without the branches a processor mispredicts on drawn data, or by
  digits: a weighted pick walks from where an equal-weights pick would land; a random mask becomes indices
  with no branch per element; a week's contact keys are radix-sorted.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Mapping

import numpy as np
from numba import config, njit, types
from numba.extending import intrinsic

from abm.mechanisms import _cache

_cache.install()
jit = njit(cache=True, nogil=True)
jit_inline = njit(cache=True, nogil=True, inline="always")
JIT_DISABLED = bool(config.DISABLE_JIT)


def params_record(values: Mapping[str, float]) -> np.ndarray:
    """One-element structured array of ``values`` (float64 fields, in the given order).

    Compiled code reads field ``x`` as ``params[0].x``; plain Python (no JIT) gets a ``recarray``,
    whose element allows the same attribute access.
    """
    rec = np.array([float(v) for v in values.values()]).view(_record_dtype(tuple(values)))  # (one element)
    return rec.view(np.recarray) if JIT_DISABLED else rec


@functools.cache
def _record_dtype(names: tuple[str, ...]) -> np.dtype:
    return np.dtype([(k, np.float64) for k in names])


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def generator_handle(rng: np.random.Generator) -> np.ndarray | np.random.Generator:
    """The addresses compiled code needs to draw from ``rng``'s bit generator.

    They are read from the bit generator's ``capsule`` (NumPy's ``bitgen_t``: the state, then the
    ``next_uint64``, ``next_uint32`` and ``next_double`` functions), the addresses its ``ctypes``
    interface gives, without building that interface (about 3 us instead of 13), and a fifth word: how
    :func:`skip` skips draws of this generator (``PCG64_JUMPS`` or ``DRAWS``). The returned array
    keeps ``rng`` alive (its buffer holds a reference), so a handle never outlives the generator it
    points into.
    """
    if JIT_DISABLED:
        return rng
    return _handle(rng, PCG64_JUMPS if type(rng.bit_generator) is np.random.PCG64 and _pcg64_jumps_work() else DRAWS)


def _handle(rng: np.random.Generator, how: int) -> np.ndarray:
    """:func:`generator_handle` with ``how`` as its fifth word."""
    buf = (ctypes.c_uint64 * 5)()  # state, next_uint64, next_uint32, next_double: the first four words of NumPy's bitgen_t
    ctypes.memmove(buf, _capsule_pointer(rng.bit_generator.capsule, b"BitGenerator"), 4 * ctypes.sizeof(ctypes.c_uint64))
    buf[4] = how
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


# skip(): PCG64's state advances s <- a s + c (mod 2^128) at each 64-bit draw (a uniform is one draw), c its
# increment. Advancing 2^b draws is s <- A_b s + G_b c, with A_b = a^(2^b) and G_b = 1 + a + ... + a^(2^b - 1);
# k draws compose the maps of k's bits (powers of one map commute). Table rows: A_b and G_b as (low, high) words.
DRAWS, PCG64_JUMPS = 0, 1
_PCG64_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645  # NumPy's PCG64 (PCG_DEFAULT_MULTIPLIER_128)


def _pcg64_jump_table() -> np.ndarray:
    mask, words = (1 << 128) - 1, np.zeros((64, 4), np.uint64)
    a, g = _PCG64_MULTIPLIER, 1
    for b in range(64):
        words[b] = (a & 0xFFFFFFFFFFFFFFFF, a >> 64, g & 0xFFFFFFFFFFFFFFFF, g >> 64)
        a, g = a * a & mask, g * (1 + a) & mask
    return words


_PCG64_JUMP = _pcg64_jump_table()

if JIT_DISABLED:

    def skip(gen, k):
        """Past ``k`` uniform draws nobody reads (module docstring). Plain Python: draws them."""
        if k > 0:
            gen.random(k)

else:

    @intrinsic
    def _word(typingctx, address):
        """The 64-bit word at ``address``."""

        def codegen(context, builder, signature, args):
            return builder.load(builder.inttoptr(args[0], ir.IntType(64).as_pointer()))

        return types.uint64(types.uint64), codegen

    @intrinsic
    def _set_word(typingctx, address, value):
        """Store ``value`` in the 64-bit word at ``address``."""

        def codegen(context, builder, signature, args):
            builder.store(args[1], builder.inttoptr(args[0], ir.IntType(64).as_pointer()))
            return context.get_dummy_value()

        return types.void(types.uint64, types.uint64), codegen

    @intrinsic
    def _affine128(typingctx, s_lo, s_hi, a_lo, a_hi, g_lo, g_hi, c_lo, c_hi):
        """(a s + g c) mod 2^128 of 128-bit numbers given as (low, high) 64-bit words; returns (low, high)."""
        u64 = types.uint64

        def codegen(context, builder, signature, args):
            i128 = ir.IntType(128)

            def wide(lo, hi):
                return builder.or_(builder.zext(lo, i128), builder.shl(builder.zext(hi, i128), ir.Constant(i128, 64)))

            s, a, g, c = (wide(args[2 * k], args[2 * k + 1]) for k in range(4))
            r = builder.add(builder.mul(a, s), builder.mul(g, c))
            lo = builder.trunc(r, ir.IntType(64))
            hi = builder.trunc(builder.lshr(r, ir.Constant(i128, 64)), ir.IntType(64))
            return context.make_tuple(builder, signature.return_type, (lo, hi))

        return types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64, u64, u64), codegen

    @jit
    def _pcg64_advance(state_address, k):
        """Advance the PCG64 whose NumPy state (``pcg64_state``) is at ``state_address`` by ``k`` draws, in place.
        Its ``has_uint32`` half-word buffer is untouched, as ``k`` uniform draws leave it."""
        rng_state = _word(state_address)  # pcg64_state.pcg_state: the address of the state and the increment
        s_lo, s_hi = _word(rng_state), _word(rng_state + np.uint64(8))
        c_lo, c_hi = _word(rng_state + np.uint64(16)), _word(rng_state + np.uint64(24))
        b = 0
        while k:
            if k & 1:
                j = _PCG64_JUMP[b]
                s_lo, s_hi = _affine128(s_lo, s_hi, j[0], j[1], j[2], j[3], c_lo, c_hi)
            k >>= 1
            b += 1
        _set_word(rng_state, s_lo)
        _set_word(rng_state + np.uint64(8), s_hi)

    @jit
    def skip(gen, k):
        """Past ``k`` uniform draws nobody reads (module docstring): the generator is left where ``k`` calls of
        ``random()`` would leave it. ``gen``: :func:`generator_handle`'s handle."""
        if k <= 0:
            return
        if gen[4] == PCG64_JUMPS:
            _pcg64_advance(gen[0], k)
        else:
            rng = as_generator(gen)
            for _ in range(k):
                rng.random()


@functools.cache
def _pcg64_jumps_work() -> bool:
    """Whether :func:`skip` jumps this NumPy's PCG64 to the state that drawing leaves (the layout of its state is
    NumPy's native 128-bit one): checked once per process, on a generator of its own."""
    drawn, jumped = np.random.Generator(np.random.PCG64(20261130)), np.random.Generator(np.random.PCG64(20261130))
    drawn.random(3), jumped.random(3)
    drawn.integers(0, 10, dtype=np.uint32)  # a buffered half-word, which skipping must keep
    jumped.integers(0, 10, dtype=np.uint32)
    drawn.random(100_003)
    skip(_handle(jumped, PCG64_JUMPS), 100_003)
    return drawn.bit_generator.state == jumped.bit_generator.state


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


RADIX_SORT_MIN = 512  # from this many keys, sort_keys sorts by digits (radix), below by comparison (np.sort)


@jit
def sort_keys(x):
    """``np.sort(x)`` of non-negative int64 keys (a sorted copy). From ``RADIX_SORT_MIN`` keys: a least-significant-digit
    radix sort, passes of at most 11 bits over the keys' bits (two passes for the pair keys of 10,000 clinicians),
    about twice as fast as comparison sorting there; fewer keys, or a negative one, go to ``np.sort``."""
    n = x.size
    if n < RADIX_SORT_MIN or x.min() < 0:
        return np.sort(x)
    top, bits = x.max(), 1
    while top >> bits:
        bits += 1
    passes = (bits + 10) // 11
    width = (bits + passes - 1) // passes
    mask = (1 << width) - 1
    a, b = x.copy(), np.empty(n, np.int64)
    start = np.empty(mask + 2, np.int64)
    for p in range(passes):
        shift = p * width
        start[:] = 0
        for v in a:
            start[((v >> shift) & mask) + 1] += 1
        for d in range(mask + 1):
            start[d + 1] += start[d]
        for v in a:  # stable: equal digits keep the order of the last pass
            d = (v >> shift) & mask
            b[start[d]] = v
            start[d] += 1
        a, b = b, a
    return a


@jit
def flatnonzero(mask):
    """``np.flatnonzero`` of a 1-D bool array, with no branch per element: the indices are written at every
    element and the write position advances by the mask. A mask drawn at random (``u < p``) would make the
    processor guess wrong at half of a branch's tests."""
    m = 0
    for i in range(mask.size):
        m += mask[i]
    out = np.empty(m + 1, np.int64)  # (one place more: the last index is written whether or not it is kept)
    k = 0
    for i in range(mask.size):
        out[k] = i
        k += mask[i]
    return out[:m]


@jit
def _after(x, y):
    """Whether ``y`` sorts after ``x`` in NumPy's order (NaN last): the test of a right-side search."""
    return x < y or (y != y and x == x)


@jit_inline
def search_right(a, lo, hi, x):
    """``lo + np.searchsorted(a[lo:hi], x, side="right")`` without making the slice: the first index of
    ``lo..hi`` whose value exceeds ``x`` (``hi`` if none), by bisection, NaN sorting last as in NumPy."""
    while lo < hi:
        mid = lo + ((hi - lo) >> 1)
        if _after(x, a[mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo


NEAR_STEPS = 16  # search_right_near walks this far from its guess, then bisects what is left


@jit_inline
def search_right_near(a, lo, hi, x, guess):
    """:func:`search_right` (the same index, whatever the guess), starting from ``guess``: it walks from there
    up to ``NEAR_STEPS`` places, then bisects what is left. With a good guess (a draw from nearly equal weights
    lands near ``u`` of the way along) this is several times faster than bisection, each step of which waits
    for the last one's load."""
    g = min(max(guess, lo), hi)
    if g == hi or _after(x, a[g]):  # the index is at most g: walk down
        for _ in range(NEAR_STEPS):
            if g == lo or not _after(x, a[g - 1]):
                return g
            g -= 1
        return search_right(a, lo, g, x)
    for _ in range(NEAR_STEPS):  # the index is above g: walk up
        g += 1
        if g == hi or _after(x, a[g]):
            return g
    return search_right(a, g + 1, hi, x)
