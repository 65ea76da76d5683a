"""Pure-NumPy implementation of JAX's default PRNG (threefry2x32).

Everything here works on raw key data: a key is a ``uint32`` array whose last
axis has length 2 (``key_data(jax.random.key(s))`` in JAX terms).  Any leading
axes of a key array are batch axes: every function maps over them, so
``f(keys)`` with ``keys.shape == (B, 2)`` equals ``stack([f(k) for k in keys])``.
This makes batching (vmap over keys) free for the layers that wrap these
functions as primitives.

The numbers reproduce JAX (CPU) bit for bit (checked against JAX 0.10 with
the default ``jax_threefry_partitionable=True``; the pre-0.5 "original"
scheme is available with ``partitionable=False``).  Where JAX's samplers do
floating-point arithmetic this module follows XLA's CPU code generation:
multiply-adds are fused (emulated exactly), and ``erf_inv``, ``log``,
``log1p`` and ``cumsum`` are evaluated with the same approximations and
summation order XLA uses, not NumPy's/SciPy's (which differ by a few ulp).
float64 ``log`` is the C library's, as in XLA.  Other backends (GPU/TPU) may
round differently; JAX itself does not promise identical floats across them.

Dtype defaults follow JAX with ``jax_enable_x64`` off (``float32``/``int32``);
callers that implement x64 mode pass dtypes explicitly.  This module does not
import anything from cotan.
"""

from __future__ import annotations

import math
import operator
from typing import Sequence

import numpy as np

__all__ = [
    "threefry_2x32", "threefry_2x32_counts", "iota_2x32_shape",
    "seed", "split", "fold_in", "random_bits",
    "uniform", "normal", "randint", "bernoulli", "permutation", "choice",
    "gumbel", "erf_inv", "xla_log", "xla_log1p", "xla_cumsum",
]

_U32 = np.dtype(np.uint32)
_UINT_DTYPES = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16),
                32: np.dtype(np.uint32), 64: np.dtype(np.uint64)}
_MASK32 = 0xFFFFFFFF

# Threefry-2x32 constants (Salmon et al. 2011, as used by JAX).
_ROTATIONS = (
    tuple((np.uint32(r), np.uint32(32 - r)) for r in (13, 15, 26, 6)),
    tuple((np.uint32(r), np.uint32(32 - r)) for r in (17, 29, 16, 24)),
)
_KS_PARITY = np.uint32(0x1BD11BDA)
_ROUND_CONSTS = tuple(np.uint32(i) for i in range(1, 6))


# ---------------------------------------------------------------------------
# The block cipher
# ---------------------------------------------------------------------------

def _as_u32(x) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != _U32:
        x = x.astype(_U32)
    return x


def threefry_2x32(k0, k1, x0, x1):
    """Threefry-2x32 with 20 rounds, elementwise with NumPy broadcasting.

    All four arguments are ``uint32`` array-likes; the results ``(y0, y1)`` are
    two new ``uint32`` arrays of the broadcast shape.
    """
    k0 = _as_u32(k0)
    k1 = _as_u32(k1)
    x0 = _as_u32(x0)
    x1 = _as_u32(x1)
    shape = np.broadcast_shapes(k0.shape, k1.shape, x0.shape, x1.shape)
    if math.prod(shape) <= _PY_THRESHOLD:
        return _threefry_2x32_small(shape, k0, k1, x0, x1)
    # Work on >=1-d arrays so that every operation stays an array operation
    # (wrapping silently) rather than a warning numpy-scalar operation.
    work_shape = shape if shape else (1,)
    if not k0.ndim:
        k0 = k0.reshape(1)
    if not k1.ndim:
        k1 = k1.reshape(1)
    ks = (k0, k1, k0 ^ k1 ^ _KS_PARITY)
    v0 = np.empty(work_shape, _U32)
    v1 = np.empty(work_shape, _U32)
    tmp = np.empty(work_shape, _U32)
    np.add(x0, ks[0], out=v0)
    np.add(x1, ks[1], out=v1)
    add, lshift, rshift, bor, bxor = (np.add, np.left_shift, np.right_shift,
                                      np.bitwise_or, np.bitwise_xor)
    for i in range(5):
        for r, rr in _ROTATIONS[i & 1]:
            add(v0, v1, out=v0)
            lshift(v1, r, out=tmp)
            rshift(v1, rr, out=v1)
            bor(v1, tmp, out=v1)
            bxor(v1, v0, out=v1)
        add(v0, ks[(i + 1) % 3], out=v0)
        add(v1, ks[(i + 2) % 3] + _ROUND_CONSTS[i], out=v1)
    if not shape:
        v0 = v0.reshape(())
        v1 = v1.reshape(())
    return v0, v1


# Below this many blocks, plain Python ints beat ~110 NumPy calls.
_PY_THRESHOLD = 8
_PY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _threefry_2x32_small(shape, k0, k1, x0, x1):
    """threefry_2x32 for a handful of blocks, on Python ints."""
    cols = [a.ravel().tolist() for a in np.broadcast_arrays(k0, k1, x0, x1)]
    out0 = []
    out1 = []
    M = _MASK32
    for a0, a1, b0, b1 in zip(*cols):
        ks = (a0, a1, a0 ^ a1 ^ 0x1BD11BDA)
        u = (b0 + a0) & M
        v = (b1 + a1) & M
        for i in range(5):
            for r in _PY_ROTATIONS[i & 1]:
                u = (u + v) & M
                v = (((v << r) & M) | (v >> (32 - r))) ^ u
            u = (u + ks[(i + 1) % 3]) & M
            v = (v + ks[(i + 2) % 3] + i + 1) & M
        out0.append(u)
        out1.append(v)
    return (np.array(out0, _U32).reshape(shape),
            np.array(out1, _U32).reshape(shape))


def _key_halves(key, extra_ndim: int):
    """Split key data (..., 2) into k0, k1 shaped (..., 1 * extra_ndim)."""
    key = _as_u32(key)
    if key.ndim < 1 or key.shape[-1] != 2:
        raise TypeError(f"threefry key data must have shape (..., 2); got {key.shape}")
    k0 = key[..., 0]
    k1 = key[..., 1]
    if extra_ndim and key.ndim > 1:
        new = k0.shape + (1,) * extra_ndim
        k0 = k0.reshape(new)
        k1 = k1.reshape(new)
    return k0, k1


def threefry_2x32_counts(key, count):
    """JAX's ``threefry_2x32(keypair, count)`` helper on a flat count array.

    The (flattened) counts are padded with one zero to even length, split into
    halves that form the two cipher words, and the two output words are
    concatenated (dropping the pad).  Result shape: ``key.shape[:-1] +
    count.shape``.  This is the hashing used by ``fold_in`` and by the
    non-partitionable ``split``/``random_bits``.
    """
    count = _as_u32(count)
    cshape = count.shape
    flat = count.reshape(-1)
    n = flat.shape[0]
    if n % 2:
        flat = np.concatenate([flat, np.zeros(1, _U32)])
    half = flat.shape[0] // 2
    k0, k1 = _key_halves(key, 1)
    y0, y1 = threefry_2x32(k0, k1, flat[:half], flat[half:])
    out = np.concatenate([y0, y1], axis=-1)
    if n % 2:
        out = out[..., :n]
    return out.reshape(out.shape[:-1] + cshape)


def iota_2x32_shape(shape):
    """A row-major ``uint64`` iota of ``shape`` as (hi, lo) ``uint32`` arrays.

    ``hi`` may be returned as a broadcastable zero when all counts fit in 32
    bits.
    """
    size = math.prod(shape)
    if size <= (1 << 32):
        lo = np.arange(size, dtype=_U32).reshape(shape)
        hi = np.zeros((), _U32)
        return hi, lo
    counts = np.arange(size, dtype=np.uint64).reshape(shape)
    return (counts >> np.uint64(32)).astype(_U32), counts.astype(_U32)


def _canon_shape(shape) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (operator.index(shape),)
    shape = tuple(operator.index(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"negative dimension in shape {shape}")
    return shape


def _hash_shape(key, shape):
    """threefry2x32 applied to the partitionable iota of ``shape``."""
    hi, lo = iota_2x32_shape(shape)
    k0, k1 = _key_halves(key, len(shape))
    return threefry_2x32(k0, k1, hi, lo)


# ---------------------------------------------------------------------------
# Key operations
# ---------------------------------------------------------------------------

def seed(seed, enable_x64: bool = False) -> np.ndarray:
    """Key data for ``jax.random.PRNGKey(seed)`` / ``key_data(key(seed))``.

    A Python int is taken as an int64 (``OverflowError`` outside that range);
    with x64 off it is then narrowed to int32 like JAX does, so only its low 32
    bits matter.  A 64-bit seed is split into ``[high word, low word]``; narrower
    seeds give ``[0, low 32 bits of the sign-extended value]``.  Integer arrays
    of seeds give key arrays of shape ``seed.shape + (2,)``.
    """
    if isinstance(seed, (bool, np.bool_)):
        seed = int(seed)
    if isinstance(seed, int):
        if not -(1 << 63) <= seed < (1 << 63):
            raise OverflowError("Python int too large to convert to C long")
        hi = (seed >> 32) & _MASK32 if enable_x64 else 0
        return np.array([hi, seed & _MASK32], dtype=_U32)
    arr = np.asarray(seed)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"PRNG key seed must be an integer; got {seed!r}")
    if arr.dtype.itemsize == 8 and not enable_x64:
        arr = arr.astype(np.int32 if arr.dtype.kind == "i" else np.uint32)
    out = np.empty(arr.shape + (2,), _U32)
    if arr.dtype.itemsize == 8:
        u = arr.astype(np.uint64)
        out[..., 0] = (u >> np.uint64(32)).astype(_U32)
        out[..., 1] = u.astype(_U32)
    else:
        out[..., 0] = 0
        out[..., 1] = arr.astype(_U32)
    return out


def split(key, num=2, *, partitionable: bool = True) -> np.ndarray:
    """``jax.random.split``: key data (..., 2) -> (..., *shape, 2).

    ``num`` is an int or a shape tuple.
    """
    shape = _canon_shape(num)
    key = _as_u32(key)
    if partitionable:
        y0, y1 = _hash_shape(key, shape)
        out = np.empty(y0.shape + (2,), _U32)
        out[..., 0] = y0
        out[..., 1] = y1
        return out
    n = math.prod(shape)
    flat = threefry_2x32_counts(key, np.arange(2 * n, dtype=_U32))
    return flat.reshape(key.shape[:-1] + shape + (2,))


def _fold_in_data(data) -> np.ndarray:
    if isinstance(data, (bool, np.bool_)):
        data = int(data)
    if isinstance(data, int):
        if not 0 <= data <= _MASK32:
            raise OverflowError(f"Python integer {data} out of bounds for uint32")
        return np.asarray(data, _U32)
    return _as_u32(data)


def fold_in(key, data) -> np.ndarray:
    """``jax.random.fold_in``: key data (..., 2) -> (..., 2).

    ``data`` is a 32-bit value (Python ints must lie in [0, 2**32); NumPy
    integers wrap).  An array ``data`` broadcasts against the key batch shape.
    """
    d = _fold_in_data(data)
    key = _as_u32(key)
    k0, k1 = _key_halves(key, 0)
    # threefry_2x32(key, seed(data)) with seed(data) == [0, data]: the flat
    # count [0, data] splits into the one-element words x0 = 0, x1 = data.
    y0, y1 = threefry_2x32(k0, k1, np.zeros((), _U32), d)
    out = np.empty(y0.shape + (2,), _U32)
    out[..., 0] = y0
    out[..., 1] = y1
    return out


# ---------------------------------------------------------------------------
# Raw bits
# ---------------------------------------------------------------------------

def random_bits(key, bit_width: int, shape=(), *,
                partitionable: bool = True) -> np.ndarray:
    """``jax.random.bits``: uniform unsigned ints of ``bit_width`` bits.

    Returns ``uint8/16/32/64`` of shape ``key.shape[:-1] + shape``.
    """
    if bit_width not in _UINT_DTYPES:
        raise TypeError("requires 8-, 16-, 32- or 64-bit field width.")
    shape = _canon_shape(shape)
    key = _as_u32(key)
    if not partitionable:
        return _random_bits_original(key, bit_width, shape)
    if math.prod(shape) > (1 << 64):
        raise NotImplementedError("random bits array of size exceeding 2 ** 64")
    b1, b2 = _hash_shape(key, shape)
    if bit_width == 64:
        out = b1.astype(np.uint64)
        np.left_shift(out, np.uint64(32), out=out)
        np.bitwise_or(out, b2, out=out, casting="unsafe")
        return out
    np.bitwise_xor(b1, b2, out=b1)
    if bit_width == 32:
        return b1
    return b1.astype(_UINT_DTYPES[bit_width])


def _random_bits_original(key, bit_width, shape):
    """The non-partitionable scheme (``jax_threefry_partitionable=False``)."""
    batch = key.shape[:-1]
    size = math.prod(shape)
    max_count = -(-bit_width * size // 32)
    nblocks, rem = divmod(max_count, _MASK32)
    if not nblocks:
        bits = threefry_2x32_counts(key, np.arange(rem, dtype=_U32))
    else:
        keys = split(key, (nblocks + 1,), partitionable=False)
        big = np.arange(_MASK32, dtype=_U32)
        parts = [threefry_2x32_counts(keys[..., i, :], big) for i in range(nblocks)]
        parts.append(threefry_2x32_counts(keys[..., nblocks, :],
                                          np.arange(rem, dtype=_U32)))
        bits = np.concatenate(parts, axis=-1)
    dtype = _UINT_DTYPES[bit_width]
    if bit_width == 64:
        hi, lo = bits[..., :size], bits[..., size:]
        bits = (hi.astype(dtype) << np.uint64(32)) | lo.astype(dtype)
    elif bit_width in (8, 16):
        per = 32 // bit_width
        shifts = (np.arange(per, dtype=_U32) * np.uint32(bit_width))
        bits = (bits[..., :, None] >> shifts) & np.uint32((1 << bit_width) - 1)
        bits = bits.reshape(batch + (max_count * per,))[..., :size].astype(dtype)
    return bits.reshape(batch + shape)


# ---------------------------------------------------------------------------
# Samplers
# ---------------------------------------------------------------------------

# (total bits, explicit mantissa bits) for the float formats JAX samples.
_FLOAT_LAYOUT = {"float16": (16, 10), "bfloat16": (16, 7),
                 "float32": (32, 23), "float64": (64, 52)}


def _float_layout(dtype):
    try:
        return _FLOAT_LAYOUT[dtype.name]
    except KeyError:
        raise TypeError(f"unsupported float dtype for sampling: {dtype}") from None


def _one_bits(dtype, uint_dtype):
    return np.array(1.0, dtype).view(uint_dtype)


def _unit_floats(key, shape, dtype, partitionable):
    """Floats in [0, 1) from mantissa bits; a fresh array of dtype."""
    nbits, nmant = _float_layout(dtype)
    rng_bits = 8 if nmant < 8 else nbits
    bits = random_bits(key, rng_bits, shape, partitionable=partitionable)
    uint_dtype = _UINT_DTYPES[nbits]
    if rng_bits != nbits:
        bits = bits.astype(uint_dtype)
    bits = np.atleast_1d(bits)  # keep in-place ops on arrays
    np.right_shift(bits, uint_dtype.type(rng_bits - nmant), out=bits)
    np.bitwise_or(bits, _one_bits(dtype, uint_dtype), out=bits)
    floats = bits.view(dtype)
    np.subtract(floats, dtype.type(1.0), out=floats)
    return floats


def uniform(key, shape=(), dtype=np.float32, minval=0., maxval=1., *,
            partitionable: bool = True) -> np.ndarray:
    """``jax.random.uniform``: floats in [minval, maxval).

    Result shape ``key.shape[:-1] + shape``; ``minval``/``maxval`` broadcast
    against ``shape`` (trailing axes).
    """
    dtype = np.dtype(dtype)
    shape = _canon_shape(shape)
    key = _as_u32(key)
    out_shape = key.shape[:-1] + shape
    floats = _unit_floats(key, shape, dtype, partitionable)
    minval = np.asarray(minval).astype(dtype)
    maxval = np.asarray(maxval).astype(dtype)
    if minval.ndim > len(shape) or maxval.ndim > len(shape):
        raise ValueError("minval/maxval must have rank <= len(shape)")
    if not (minval.ndim == 0 and maxval.ndim == 0
            and minval == 0 and maxval == 1 and not np.signbit(minval)):
        span = maxval - minval
        floats = _scale_shift(floats, span, minval)
        floats = np.maximum(minval, floats)
    # (min 0, max 1: floats * 1 + 0 == floats and max(0, floats) == floats.)
    return np.asarray(floats).reshape(out_shape)


def _scale_shift(f, span, shift):
    """``f * span + shift`` rounded the way XLA's CPU backend does.

    XLA contracts the multiply-add into a fused multiply-add for float32 and
    float64 (one rounding); narrower floats are rounded after each operation,
    like NumPy does.  When ``span`` is a power of two the product is exact and
    both agree, so the cheap path is used.
    """
    dtype = f.dtype
    if dtype not in (np.float32, np.float64) or _all_pow2(span):
        out = f * span
        out += shift
        return out
    if dtype == np.float32:
        # The float64 product of two float32 values is exact; a float64 sum
        # rounded to odd, then rounded to float32, is correctly rounded.
        p = f.astype(np.float64) * span.astype(np.float64)
        return _round_odd_sum(p, np.broadcast_to(shift, p.shape).astype(
            np.float64)).astype(np.float32)
    return _fma_f64(f, span, shift)


def _all_pow2(x):
    m, _ = np.frexp(x)
    return bool(np.all((m == 0.5) | (m == -0.5)))


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_odd_sum(a, b):
    """``a + b`` (float64) rounded to odd."""
    s, r = _two_sum(a, b)
    s = np.asarray(s)
    even = (s.view(np.uint64) & np.uint64(1)) == 0
    adjust = (r != 0) & even & np.isfinite(s)
    if np.any(adjust):
        s = np.where(adjust, np.nextafter(s, np.where(r > 0, np.inf, -np.inf)), s)
    return s


def _split(a):
    c = 134217729.0 * a  # 2**27 + 1 (Veltkamp)
    hi = c - (c - a)
    return hi, a - hi


def _fma_f64(a, b, c):
    """Correctly rounded ``a * b + c`` in float64, for ``a`` in [0, 1).

    Exact product by Dekker's algorithm, then the three-term sum with an
    intermediate rounding to odd (Boldo & Melquiond's FMA emulation).
    """
    plain = a * b + c
    b = np.broadcast_to(b, plain.shape)
    c = np.broadcast_to(c, plain.shape)
    big = (np.abs(b) > 2.0 ** 990) | (np.abs(c) > 2.0 ** 990)
    scale = None
    if np.any(big):  # keep the splitting/sums clear of overflow
        scale = np.where(big, 2.0 ** -64, 1.0)
        b = b * scale
        c = c * scale
    uh = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, uh)
    z = th + _round_odd_sum(tl, ul)
    if scale is not None:
        z = z / scale
    z = np.where(a == 0, c if scale is None else plain, z)
    return np.where(np.isfinite(z), z, plain)


# ---------------------------------------------------------------------------
# erf_inv as XLA's CPU backend evaluates it
# ---------------------------------------------------------------------------
#
# ``normal`` is sqrt(2) * erf_inv(u).  XLA computes erf_inv with Giles'
# polynomial approximations ("Approximating the erfinv function", GPU
# Computing Gems, 2011), w = -log1p(-x * x), and its own log1p (a Cephes
# rational function for |t| < sqrt(2) - 1, else log(1 + t)); multiply-adds are
# contracted into FMAs; float32 log is a Cephes-style polynomial (as in
# Eigen), float64 log the C library's.  Reproducing those steps (rather than
# calling an accurate erfinv) gives JAX's samples bit for bit; scipy's erfinv
# would differ by up to ~10 ulp (float32) or ~25 ulp (float64) from JAX.

# Giles' single-precision coefficients (w < 5 and w >= 5 branches).
_ERFINV32_A = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
               0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
               1.50140941)
_ERFINV32_B = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
               0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
               2.83297682)
# Giles' double-precision coefficients (w < 6.25, w < 16, w >= 16).
_ERFINV64_A = (
    -3.6444120640178196996e-21, -1.685059138182016589e-19,
    1.2858480715256400167e-18, 1.115787767802518096e-17,
    -1.333171662854620906e-16, 2.0972767875968561637e-17,
    6.6376381343583238325e-15, -4.0545662729752068639e-14,
    -8.1519341976054721522e-14, 2.6335093153082322977e-12,
    -1.2975133253453532498e-11, -5.4154120542946279317e-11,
    1.051212273321532285e-09, -4.1126339803469836976e-09,
    -2.9070369957882005086e-08, 4.2347877827932403518e-07,
    -1.3654692000834678645e-06, -1.3882523362786468719e-05,
    0.0001867342080340571352, -0.00074070253416626697512,
    -0.0060336708714301490533, 0.24015818242558961693,
    1.6536545626831027356)
_ERFINV64_B = (
    2.2137376921775787049e-09, 9.0756561938885390979e-08,
    -2.7517406297064545428e-07, 1.8239629214389227755e-08,
    1.5027403968909827627e-06, -4.013867526981545969e-06,
    2.9234449089955446044e-06, 1.2475304481671778723e-05,
    -4.7318229009055733981e-05, 6.8284851459573175448e-05,
    2.4031110387097893999e-05, -0.0003550375203628474796,
    0.00095328937973738049703, -0.0016882755560235047313,
    0.0024914420961078508066, -0.0037512085075692412107,
    0.005370914553590063617, 1.0052589676941592334,
    3.0838856104922207635)
_ERFINV64_C = (
    -2.7109920616438573243e-11, -2.5556418169965252055e-10,
    1.5076572693500548083e-09, -3.7894654401267369937e-09,
    7.6157012080783393804e-09, -1.4960026627149240478e-08,
    2.9147953450901080826e-08, -6.7711997758452339498e-08,
    2.2900482228026654717e-07, -9.9298272942317002539e-07,
    4.5260625972231537039e-06, -1.9681778105531670567e-05,
    7.5995277030017761139e-05, -0.00021503011930044477347,
    -0.00013871931833623122026, 1.0103004648645343977,
    4.8499064014085844221)
# Cephes log1p rational function: log1p(t) ~ t - t^2/2 + t^3 N(t) / D(t).
_LOG1P_N = (4.5270000862445199635215e-5, 4.9854102823193375972212e-1,
            6.5787325942061044846969e0, 2.9911919328553073277375e1,
            6.0949667980987787057556e1, 5.7112963590585538103336e1,
            2.0039553499201281259648e1)
_LOG1P_D = (1.0, 1.5062909083469192043167e1, 8.3047565967967209469434e1,
            2.2176239823732856465394e2, 3.0909872225312059774938e2,
            2.1642788614495947685003e2, 6.0118660497603843919306e1)
# Cephes/Eigen single-precision log polynomial.
_LOGF_P = tuple(np.float32(c) for c in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
    1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
    3.3333331174e-1))
_LOG1P_SMALL = 0.41421356237309504880  # sqrt(2) - 1
_ERFINV32_A32 = tuple(np.float32(c) for c in _ERFINV32_A)
_ERFINV32_B32 = tuple(np.float32(c) for c in _ERFINV32_B)
_LOG1P_N32 = tuple(np.float32(c) for c in _LOG1P_N)
_LOG1P_D32 = tuple(np.float32(c) for c in _LOG1P_D)

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def _fma32(a, b, c):
    """float32 fused multiply-add (via float64: the product is exact)."""
    t = np.multiply(a, b, dtype=_F64)
    np.add(t, c, out=t)
    return t.astype(_F32)


def _horner32(coeffs, x):
    """float32 Horner evaluation with fused multiply-adds.

    ``coeffs`` are float32 scalars or arrays (highest degree first).
    """
    if x.size < 256:
        p = coeffs[0]
        for c in coeffs[1:]:
            p = _fma32(p, x, c)
        return np.broadcast_to(p, x.shape)
    # Same arithmetic with reused buffers (fewer NumPy calls per step).
    x64 = x.astype(_F64)
    t = np.empty(x.shape, _F64)
    p = np.empty(x.shape, _F32)
    p[...] = coeffs[0]
    for c in coeffs[1:]:
        np.multiply(p, x64, out=t)
        np.add(t, c, out=p, casting="unsafe")
    return p


def _logf(x):
    """XLA CPU's float32 log (Cephes-style polynomial, as in Eigen)."""
    f32 = _F32.type
    m, e = np.frexp(x)
    e = e.astype(_F32)
    small = m < f32(0.707106781186547524)
    tmp = np.where(small, m, f32(0))
    m = m - f32(1)
    e -= small
    m += tmp
    x2 = m * m
    x3 = x2 * m
    P = _LOGF_P
    y = _fma32(P[0], m, P[1])
    y1 = _fma32(P[3], m, P[4])
    y2 = _fma32(P[6], m, P[7])
    y = _fma32(y, m, P[2])
    y1 = _fma32(y1, m, P[5])
    y2 = _fma32(y2, m, P[8])
    y = _fma32(y, x3, y1)
    y = _fma32(y, x3, y2)
    y = _fma32(y, x3, f32(-2.12194440e-4) * e)
    m = _fma32(f32(-0.5), x2, m)
    m += y
    out = _fma32(f32(0.693359375), e, m)
    # Special values: log(0) = -inf, log(x < 0) = nan, log(inf) = inf.
    bad = ~(x > 0) | np.isinf(x)
    if bad.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(bad, np.log(x), out)
    return out


def _log1p32(t):
    f32 = _F32.type
    d = _horner32(_LOG1P_D32, t)
    n = _horner32(_LOG1P_N32, t)
    tsq = t * t
    small = t + _fma32(f32(-0.5), tsq, (t * tsq) * (n / d))
    large = ~(np.abs(t) < f32(_LOG1P_SMALL))
    if large.any():
        small[large] = _logf(t[large] + f32(1))
    return small


def _erfinv32(x):
    f32 = _F32.type
    x = np.atleast_1d(x)
    w = -_log1p32(x * -x)
    tail = ~(w < f32(5))  # |x| > 0.9966 (or nan)
    p = _horner32(_ERFINV32_A32, w - f32(2.5))
    if tail.any():
        p = np.array(p)
        with np.errstate(invalid="ignore"):
            p[tail] = _horner32(_ERFINV32_B32, np.sqrt(w[tail]) - f32(3))
    out = p * x
    edge = np.abs(x) == f32(1)
    if edge.any():
        out = np.where(edge, np.copysign(f32(np.inf), x), out)
    return out


def _fma64_fixed_b(a, b, bh, bl, c):
    """Correctly rounded float64 ``a * b + c`` with ``b`` pre-split."""
    uh = a * b
    ah, al = _split(a)
    ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, uh)
    return th + _round_odd_sum(tl, ul)


def _fma64_fast(a, b, bh, bl, c):
    """``a * b + c`` with an exact product and one final rounding.

    Like :func:`_fma64_fixed_b` but the two low-order terms are added with
    round-to-nearest instead of round-to-odd, which only matters when the
    result is within 2**-100 of a rounding tie; used for polynomial steps.
    """
    uh = a * b
    c_ = 134217729.0 * a
    ah = c_ - (c_ - a)
    al = a - ah
    ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
    th = c + uh
    bb = th - c
    tl = (c - (th - bb)) + (uh - bb)
    tl += ul
    th += tl
    return th


def _horner64_fma(coeffs, w):
    wh, wl = _split(w)
    p = np.full(w.shape, coeffs[0])
    for c in coeffs[1:]:
        p = _fma64_fast(p, w, wh, wl, c)
    return p


def _log_libm(x):
    """float64 log rounded like the C library's ``log`` (which XLA calls).

    NumPy's SIMD log differs from it in the last bit for ~0.1% of inputs.
    """
    flat = x.ravel()
    return np.fromiter(map(math.log, flat.tolist()), _F64,
                       count=flat.size).reshape(x.shape)


def _log64(x):
    """XLA's float64 log: the C library's."""
    x = np.asarray(x, _F64)
    ok = (x > 0) & np.isfinite(x)
    if ok.all():
        return _log_libm(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(x)  # special values
    out[ok] = _log_libm(x[ok])
    return out


def _log1p64(t):
    """XLA's float64 log1p: Cephes rational for |t| < sqrt(2) - 1, FMA Horner."""
    t = np.atleast_1d(np.asarray(t, _F64))
    th, tl = _split(t)
    d = np.zeros_like(t)
    n = np.zeros_like(t)
    for kd, kn in zip(_LOG1P_D, _LOG1P_N):
        d = _fma64_fast(d, t, th, tl, kd)
        n = _fma64_fast(n, t, th, tl, kn)
    tsq = t * t
    with np.errstate(invalid="ignore", over="ignore"):
        q = (t * tsq) * (n / d)
    sh, sl = _split(tsq)
    w = t + _fma64_fixed_b(np.full(t.shape, -0.5), tsq, sh, sl, q)
    large = ~(np.abs(t) < _LOG1P_SMALL)
    if large.any():
        w[large] = _log64(t[large] + 1)
    return w


def _erfinv64(x):
    x = np.atleast_1d(x)
    w = _log1p64(x * -x)
    np.negative(w, out=w)
    p = np.empty_like(w)
    a = w < 6.25
    b = (w >= 6.25) & (w < 16)
    c = ~(a | b)
    with np.errstate(invalid="ignore"):
        for mask, coeffs, shift, root in ((a, _ERFINV64_A, 3.125, False),
                                          (b, _ERFINV64_B, 3.25, True),
                                          (c, _ERFINV64_C, 5.0, True)):
            if mask.all():
                ww = np.sqrt(w) if root else w
                p = _horner64_fma(coeffs, ww - shift)
                break
            if mask.any():
                ww = w[mask]
                if root:
                    ww = np.sqrt(ww)
                p[mask] = _horner64_fma(coeffs, ww - shift)
    out = p * x
    edge = np.abs(x) == 1
    if edge.any():
        out = np.where(edge, np.copysign(np.inf, x), out)
    return out


def xla_log(x) -> np.ndarray:
    """Natural log rounded the way XLA's CPU backend computes it."""
    x = np.asarray(x)
    if x.dtype == _F64:
        return _log64(x)
    if x.dtype == _F32:
        return _logf(np.atleast_1d(x)).reshape(x.shape)
    if x.dtype.kind == "f" or x.dtype.name == "bfloat16":
        return _logf(np.atleast_1d(x.astype(_F32))).astype(x.dtype).reshape(x.shape)
    raise TypeError(f"xla_log needs a float array, got {x.dtype}")


def xla_log1p(x) -> np.ndarray:
    """log1p rounded the way XLA's CPU backend computes it."""
    x = np.asarray(x)
    if x.dtype == _F64:
        return _log1p64(x).reshape(x.shape)
    if x.dtype == _F32:
        return _log1p32(np.atleast_1d(x)).reshape(x.shape)
    if x.dtype.kind == "f" or x.dtype.name == "bfloat16":
        return _log1p32(np.atleast_1d(x.astype(_F32))).astype(x.dtype).reshape(
            x.shape)
    raise TypeError(f"xla_log1p needs a float array, got {x.dtype}")


def erf_inv(x) -> np.ndarray:
    """Inverse error function computed the way XLA (CPU) computes it.

    Matches XLA bit for bit for float32 and float64 (checked on millions of
    samples); float16/bfloat16 are evaluated in float32 and rounded.
    """
    x = np.asarray(x)
    dtype = x.dtype
    if dtype == _F64:
        fn = _erfinv64
    elif dtype == _F32:
        fn = _erfinv32
    elif dtype.kind == "f" or dtype.name == "bfloat16":
        return erf_inv(x.astype(_F32)).astype(dtype)
    else:
        raise TypeError(f"erf_inv needs a float array, got {dtype}")
    if x.size <= 2 * _CHUNK:
        return fn(x).reshape(x.shape)
    # Long arrays: work through cache-sized pieces (about twice as fast).
    flat = x.reshape(-1)
    out = np.empty(flat.shape, dtype)
    for i in range(0, flat.size, _CHUNK):
        out[i:i + _CHUNK] = fn(flat[i:i + _CHUNK])
    return out.reshape(x.shape)


_CHUNK = 16384


def normal(key, shape=(), dtype=np.float32, *,
           partitionable: bool = True) -> np.ndarray:
    """``jax.random.normal`` for real float dtypes (and complex ones)."""
    dtype = np.dtype(dtype)
    shape = _canon_shape(shape)
    if dtype.kind == "c":
        real = np.dtype(f"f{dtype.itemsize // 2}")
        keys = split(key, partitionable=partitionable)
        re = normal(keys[..., 0, :], shape, real, partitionable=partitionable)
        im = normal(keys[..., 1, :], shape, real, partitionable=partitionable)
        # XLA turns the division by sqrt(2) into a multiplication by its
        # (real-dtype) reciprocal.
        inv = real.type(1) / np.array(np.sqrt(2), real)
        out = np.empty(re.shape, dtype)
        out.real = re * inv
        out.imag = im * inv
        return out
    lo = np.nextafter(np.array(-1., dtype), np.array(0., dtype))
    u = uniform(key, shape, dtype, lo, 1., partitionable=partitionable)
    z = np.atleast_1d(erf_inv(u))
    np.multiply(z, np.array(np.sqrt(2), dtype), out=z)
    return z.reshape(u.shape)


def _clip_convert_int(val: np.ndarray, dtype) -> np.ndarray:
    """Convert integer ``val`` to ``dtype``, clipping to its range."""
    src = np.iinfo(val.dtype)
    dst = np.iinfo(dtype)
    lo = max(src.min, dst.min)
    hi = min(src.max, dst.max)
    return np.clip(val, val.dtype.type(lo), val.dtype.type(hi)).astype(dtype)


def _rem(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unsigned remainder with XLA semantics (``x % 0 == x``)."""
    zero = b == 0
    if zero.any():
        return np.where(zero, a, a % np.where(zero, b.dtype.type(1), b))
    return a % b


def randint(key, shape, minval, maxval, dtype=np.int32, *,
            partitionable: bool = True) -> np.ndarray:
    """``jax.random.randint``: integers in [minval, maxval).

    Python-int bounds are treated as int64 (as in JAX's x64 mode; in x32 mode
    JAX rejects bounds outside int32, which this accepts and clips).
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"randint only accepts integer dtypes, got {dtype}")
    shape = _canon_shape(shape)
    key = _as_u32(key)
    minval = np.asarray(minval)
    maxval = np.asarray(maxval)
    if minval.dtype.kind not in "iu":
        minval = minval.astype(np.int64)
    if maxval.dtype.kind not in "iu":
        maxval = maxval.astype(np.int64)
    if minval.ndim > len(shape) or maxval.ndim > len(shape):
        raise ValueError("minval/maxval must have rank <= len(shape)")
    info = np.iinfo(dtype)
    sample_dtype = dtype
    if info.bits < 32:
        # JAX samples narrow ints in 32 bits to reduce modulo bias.
        sample_dtype = np.dtype(np.int32)
        minval = np.clip(minval.astype(np.int32), info.min, info.max).astype(np.int32)
        maxval = np.clip(maxval.astype(np.int32), info.min, info.max + 1).astype(np.int32)
    out = _randint(key, shape, minval, maxval, sample_dtype, partitionable)
    return out.astype(dtype, copy=False)


def _randint(key, shape, minval, maxval, dtype, partitionable):
    nbits = np.iinfo(dtype).bits
    udtype = _UINT_DTYPES[nbits]
    out_shape = key.shape[:-1] + shape
    top = _clip_convert_int(np.asarray(np.iinfo(dtype).max, dtype), maxval.dtype)
    maxval_out_of_range = maxval > top
    minval = _clip_convert_int(minval, dtype)
    maxval = _clip_convert_int(maxval, dtype)

    keys = split(key, partitionable=partitionable)
    higher = random_bits(keys[..., 0, :], nbits, shape, partitionable=partitionable)
    lower = random_bits(keys[..., 1, :], nbits, shape, partitionable=partitionable)
    higher = np.atleast_1d(higher)
    lower = np.atleast_1d(lower)

    # Work in the unsigned type on >=1-d arrays so arithmetic wraps silently.
    umin = np.atleast_1d(minval).astype(udtype)
    umax = np.atleast_1d(maxval).astype(udtype)
    span = umax - umin
    le = np.atleast_1d(maxval <= minval)
    span = np.where(le, udtype.type(1), span)
    bump = np.atleast_1d(maxval_out_of_range & (maxval > minval))
    if bump.any():
        span = np.where(bump, span + udtype.type(1), span)

    half = np.atleast_1d(np.asarray(1 << (nbits // 2), udtype))
    multiplier = _rem(half, span)
    multiplier = _rem(multiplier * multiplier, span)
    offset = _rem(higher, span) * multiplier + _rem(lower, span)
    offset = _rem(offset, span)
    out = umin + offset
    return out.view(dtype).reshape(out_shape)


def xla_cumsum(x) -> np.ndarray:
    """1-D cumulative sum summed in the order XLA's CPU backend uses.

    JAX lowers cumsum to a reduce-window that XLA rewrites into a tree: running
    sums inside blocks of 16, a recursive cumulative sum of the block totals,
    and the preceding total added to each block.  For floats this rounds
    differently from a plain sequential ``np.cumsum`` beyond 16 elements.
    """
    x = np.asarray(x)
    n = x.shape[0]
    base = 16
    if n <= base or x.dtype.kind not in "fc":
        return np.cumsum(x, dtype=x.dtype)
    nb = -(-n // base)
    blocks = np.zeros((nb, base), x.dtype)
    blocks.reshape(-1)[:n] = x
    np.cumsum(blocks, axis=1, dtype=x.dtype, out=blocks)
    carry = xla_cumsum(blocks[:-1, -1])
    blocks[1:] += carry[:, None]
    return blocks.reshape(-1)[:n]


def _float_param(p) -> np.ndarray:
    """A probability parameter as an array: NumPy floats keep their dtype,
    anything else (Python numbers, lists, integer arrays) becomes float32."""
    pa = np.asarray(p)
    if isinstance(p, (np.ndarray, np.generic)) and (
        pa.dtype.kind == "f" or pa.dtype.name == "bfloat16"):
        return pa
    return pa.astype(np.float32)


def bernoulli(key, p=0.5, shape=None, mode: str = "low", *,
              partitionable: bool = True) -> np.ndarray:
    """``jax.random.bernoulli``: boolean samples with mean ``p``.

    Sampling is done in ``p``'s float dtype; Python floats count as float32
    (JAX's x32 default).
    """
    if mode not in ("high", "low"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    pa = np.asarray(p)
    if pa.dtype.kind != "f" and pa.dtype.name != "bfloat16" and isinstance(
        p, (np.ndarray, np.generic)):
        raise TypeError(
            f"bernoulli probability `p` must have a floating dtype, got {pa.dtype}.")
    pa = _float_param(p)
    dtype = pa.dtype
    shape = pa.shape if shape is None else _canon_shape(shape)
    key = _as_u32(key)
    if mode == "high":
        u = uniform(key, (2, *shape), dtype, partitionable=partitionable)
        nb = key.ndim - 1
        u1 = u[(slice(None),) * nb + (0,)]
        u2 = u[(slice(None),) * nb + (1,)]
        _, nmant = _float_layout(dtype)
        u2 = u2 * dtype.type(2.0 ** -nmant)
        return u2 < (pa - u1)
    return uniform(key, shape, dtype, partitionable=partitionable) < pa


def gumbel(key, shape=(), dtype=np.float32, mode: str = "low", *,
           partitionable: bool = True) -> np.ndarray:
    """``jax.random.gumbel`` ("low" and "high" modes)."""
    dtype = np.dtype(dtype)
    shape = _canon_shape(shape)
    key = _as_u32(key)
    tiny = np.finfo(dtype).tiny if dtype.name != "bfloat16" else 2.0 ** -126
    if mode == "high":
        u = uniform(key, (2, *shape), dtype, partitionable=partitionable)
        nb = key.ndim - 1
        high = u[(slice(None),) * nb + (0,)]
        low = u[(slice(None),) * nb + (1,)]
        _, nmant = _float_layout(dtype)
        x = np.where(high >= 0.5, high,
                     _scale_shift(np.atleast_1d(low), dtype.type(2.0 ** -nmant),
                                  np.atleast_1d(high)).reshape(high.shape)
                     + dtype.type(tiny))
        return -xla_log(-xla_log1p(-x))
    if mode != "low":
        raise ValueError(f"unsupported gumbel mode {mode!r}")
    u = uniform(key, shape, dtype, tiny, 1., partitionable=partitionable)
    return np.asarray(-xla_log(-xla_log(u)))


def _shuffle(key, x: np.ndarray, axis: int, partitionable: bool) -> np.ndarray:
    """JAX's sort-based shuffle of ``x`` along ``axis`` (single key)."""
    exponent = 3
    num_rounds = int(np.ceil(exponent * np.log(max(1, x.size))
                             / np.log(_MASK32)))
    for _ in range(num_rounds):
        keys = split(key, partitionable=partitionable)
        key, subkey = keys[0], keys[1]
        sort_keys = random_bits(subkey, 32, x.shape, partitionable=partitionable)
        order = np.argsort(sort_keys, axis=axis, kind="stable")
        x = np.take_along_axis(x, order, axis=axis)
    return x


def _map_keys(fn, key):
    """Apply ``fn(single_key)`` over the batch axes of ``key`` and stack."""
    key = _as_u32(key)
    if key.ndim == 1:
        return fn(key)
    batch = key.shape[:-1]
    flat = key.reshape(-1, 2)
    outs = [fn(k) for k in flat]
    if not outs:
        raise ValueError("empty key batch")
    return np.stack(outs).reshape(batch + outs[0].shape)


def permutation(key, x, axis: int = 0, independent: bool = False, *,
                dtype=np.int32, partitionable: bool = True) -> np.ndarray:
    """``jax.random.permutation``: a shuffled ``arange(x)`` or array ``x``.

    For an int ``x`` the result has ``dtype`` (JAX's default int: int32 with
    x64 off, int64 with it on; the order does not depend on it).
    """
    xa = np.asarray(x)
    if xa.ndim == 0:
        if xa.dtype.kind not in "iu":
            raise TypeError("x must be an integer or at least 1-dimensional")
        r = int(xa)
        return _map_keys(lambda k: _shuffle(k, np.arange(r, dtype=dtype), 0,
                                            partitionable), key)
    axis = _canon_axis(axis, xa.ndim)

    def one(k):
        if independent or xa.ndim == 1:
            return _shuffle(k, xa, axis, partitionable)
        ind = _shuffle(k, np.arange(xa.shape[axis], dtype=np.int32), 0,
                       partitionable)
        return np.take(xa, ind, axis=axis)
    return _map_keys(one, key)


def _canon_axis(axis, ndim):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def choice(key, a, shape: Sequence[int] = (), replace: bool = True, p=None,
           axis: int = 0, mode: str | None = None, *, dtype=np.int32,
           partitionable: bool = True) -> np.ndarray:
    """``jax.random.choice``.

    ``dtype`` is the integer type of the sampled indices (JAX uses its default
    int: int32 with x64 off, int64 with x64 on; the sampled values depend on
    it).  ``p`` is used in its own float dtype (Python lists/floats: float32).
    """
    if not isinstance(shape, Sequence):
        raise TypeError("shape argument of jax.random.choice must be a sequence, "
                        f"got {shape}")
    shape = _canon_shape(shape)
    arr = np.asarray(a)
    if arr.ndim == 0:
        n_inputs = int(arr)
    else:
        axis = _canon_axis(axis, arr.ndim)
        n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    key = _as_u32(key)
    if n_draws == 0:
        return np.zeros(key.shape[:-1] + shape, dtype=arr.dtype)
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(
            f"Cannot take a larger sample (size {n_draws}) than "
            f"population (size {n_inputs}) when 'replace=False'")
    if p is not None:
        p_arr = _float_param(p)
        if p_arr.shape != (n_inputs,):
            raise ValueError(
                "p must be None or a 1D vector with the same size as a.shape[axis]. "
                f"p has shape {p_arr.shape} and a.shape[axis] is {n_inputs}.")

    def one(k):
        if p is None:
            if replace:
                ind = randint(k, shape, 0, n_inputs, dtype, partitionable=partitionable)
                result = ind if arr.ndim == 0 else np.take(arr, ind, axis)
            else:
                src = np.arange(n_inputs, dtype=dtype) if arr.ndim == 0 else arr
                perm = permutation(k, src, axis, partitionable=partitionable)
                result = perm[(slice(None),) * axis + (slice(n_draws),)]
        else:
            if replace:
                p_cuml = xla_cumsum(p_arr)
                u = uniform(k, shape, p_cuml.dtype, partitionable=partitionable)
                r = p_cuml[-1] * (p_cuml.dtype.type(1) - u)
                ind = np.searchsorted(p_cuml, r).astype(dtype)
            else:
                g = gumbel(k, (n_inputs,), p_arr.dtype, mode or "low",
                           partitionable=partitionable) + xla_log(p_arr)
                ind = np.argsort(-g, kind="stable")[:n_draws].astype(dtype)
            result = ind if arr.ndim == 0 else np.take(arr, ind, axis)
        return np.asarray(result).reshape(
            shape if arr.ndim == 0 else arr.shape[:axis] + shape + arr.shape[axis + 1:])
    return _map_keys(one, key)



# ---------------------------------------------------------------------------
# gamma / poisson: JAX's algorithms (Marsaglia-Tsang; Knuth / Hormann's
# transformed rejection) with JAX's key splitting, vectorized over elements:
# each rejection loop reruns only on the elements still rejected.
# ---------------------------------------------------------------------------

def gamma(key, a, log_space: bool = False) -> np.ndarray:
    """``random_gamma_p``'s impl: ``key`` (..., 2) with batch shape ``kb``,
    ``a`` of shape ``kb + shape`` (float dtype, the output dtype)."""
    key = np.asarray(key, _U32)
    a = np.asarray(a)
    dt = a.dtype
    kb = key.shape[:-1]
    n = int(np.prod(a.shape[len(kb):], dtype=np.int64))
    keys = split(key.reshape(-1, 2), n).reshape(-1, 2)
    out = _gamma_one(keys, a.reshape(-1), dt, log_space)
    return out.reshape(a.shape)


def _gamma_one(keys, alpha, dt, log_space):
    t = dt.type
    one, zero = t(1), t(0)
    N = alpha.shape[0]
    if N == 0:
        return np.zeros((0,), dt)
    boost_mask = alpha >= one
    alpha_b = np.where(boost_mask, alpha, alpha + one).astype(dt)
    d = (alpha_b - t(1. / 3.)).astype(dt)
    with np.errstate(all="ignore"):
        c = (t(1. / 3.) / np.sqrt(d)).astype(dt)
    ks = split(keys)
    key, subkey = ks[:, 0].copy(), ks[:, 1]
    V = np.ones(N, dt)
    active = np.arange(N)
    sq, half = t(0.0331), t(0.5)
    with np.errstate(all="ignore"):
        while active.size:
            k3 = split(key[active], 3)
            key[active] = k3[:, 0]
            xk, uk = k3[:, 1].copy(), k3[:, 2]
            m = active.size
            x = np.zeros(m, dt)
            v = np.full(m, -one, dt)
            ca = c[active]
            pend = np.arange(m)
            while pend.size:
                s = split(xk[pend])
                xk[pend] = s[:, 0]
                xx = np.atleast_1d(normal(s[:, 1], (), dt))
                x[pend] = xx
                v[pend] = one + xx * ca[pend]
                pend = pend[v[pend] <= zero]
            X = x * x
            Vn = (v * v) * v
            U = np.atleast_1d(uniform(uk, (), dt))
            da = d[active]
            cond = (U >= one - sq * (X * X)) & (
                xla_log(U) >= X * half + da * ((one - Vn) + xla_log(Vn)))
            V[active] = Vn
            active = active[cond]
        u = np.atleast_1d(uniform(subkey, (), dt))
        inv_a = (one / alpha).astype(dt)
        if log_space:
            log_samples = -(-xla_log1p(-u))
            log_boost = np.where(boost_mask | (log_samples == 0), zero,
                                 log_samples * inv_a).astype(dt)
            return ((xla_log(d) + xla_log(V)) + log_boost).astype(dt)
        samples = one - u
        boost = np.where(boost_mask, one, _pow(samples, inv_a)).astype(dt)
        return ((d * V) * boost).astype(dt)


def _pow(x, y):
    dt = x.dtype
    if dt == _F64:
        return np.power(x, y)
    # single precision: the double-precision result rounded once
    return np.power(x.astype(_F64), y.astype(_F64)).astype(dt)


def poisson(key, lam, dtype) -> np.ndarray:
    """``jax.random.poisson``: ``lam`` float32 of shape ``kb + shape``."""
    key = np.asarray(key, _U32)
    lam = np.asarray(lam, _F32)
    dtype = np.dtype(dtype)
    kb = key.shape[:-1]
    shape = lam.shape[len(kb):]
    use_knuth = np.isnan(lam) | (lam < 10)
    lam_k = np.where(use_knuth, lam, _F32.type(0))
    lam_r = np.where(use_knuth, _F32.type(1e5), lam)
    with np.errstate(all="ignore"):
        res = np.where(use_knuth, _poisson_knuth(key, lam_k, shape, dtype),
                       _poisson_rejection(key, lam_r, shape, dtype))
    return np.where(lam == 0, dtype.type(0), res).astype(dtype)


def _poisson_knuth(key, lam, shape, dtype):
    k = np.zeros(lam.shape, dtype)
    log_prod = np.zeros(lam.shape, _F32)
    rng = key
    while (log_prod > -lam).any():
        s = split(rng)
        rng, sub = s[..., 0, :], s[..., 1, :]
        k = np.where(log_prod > -lam, k + dtype.type(1), k).astype(dtype)
        u = uniform(sub, shape, _F32)
        log_prod = log_prod + xla_log(u)
    return (k - dtype.type(1)).astype(dtype)


_LANCZOS = (676.520368121885098567009190444019, -1259.13921672240287047156078755283,
            771.3234287776530788486528258894, -176.61502916214059906584551354,
            12.507343278686904814458936853, -0.13857109526572011689554707,
            9.984369578019570859563e-6, 1.50563273514931155834e-7)


def _lgamma32(x):
    """float32 lgamma evaluated as XLA does (Lanczos g=7, n=9) for x >= 0.5;
    smaller x (only rejected candidates reach here) use SciPy."""
    import scipy.special as sps
    f = _F32.type
    x = np.asarray(x, _F32)
    z = x - f(1)
    acc = np.full(x.shape, f(0.99999999999980993227684700473478))
    for i, c in enumerate(_LANCZOS):
        acc = acc + f(c) / (z + f(i) + f(1))
    g = f(7.5)
    t = g + z
    log_t = f(np.log(7.5)) + xla_log1p(z / g)
    out = f((np.log(2) + np.log(np.pi)) / 2) + (z + f(0.5)) * log_t - t + xla_log(acc)
    small = ~(x >= f(0.5))
    if small.any():
        out = np.where(small, sps.gammaln(x).astype(_F32), out)
    return out.astype(_F32)


def _poisson_rejection(key, lam, shape, dtype):
    f = _F32.type
    log_lam = xla_log(lam)
    b = f(0.931) + f(2.53) * np.sqrt(lam)
    a = f(-0.059) + f(0.02483) * b
    inv_alpha = f(1.1239) + f(1.1328) / (b - f(3.4))
    v_r = f(0.9277) - f(3.6224) / (b - f(2))
    k_out = np.full(lam.shape, f(-1))
    accepted = np.zeros(lam.shape, bool)
    while not accepted.all():
        s = split(key, 3)
        key, k0, k1 = s[..., 0, :], s[..., 1, :], s[..., 2, :]
        u = uniform(k0, shape, _F32) - f(0.5)
        v = uniform(k1, shape, _F32)
        us = f(0.5) - np.abs(u)
        k = np.floor((f(2) * a / us + b) * u + lam + f(0.43))
        s_ = xla_log(v * inv_alpha / (a / (us * us) + b))
        t_ = -lam + k * log_lam - _lgamma32(k + f(1))
        accept1 = (us >= f(0.07)) & (v <= v_r)
        reject = (k < 0) | ((us < f(0.013)) & (v > us))
        accept = accept1 | (~reject & (s_ <= t_))
        k_out = np.where(accept, k, k_out)
        accepted |= accept
    return k_out.astype(dtype)


def random_gamma_grad(a, x) -> np.ndarray:
    """d sample / d a for a standard gamma sample ``x`` (implicit
    reparameterization: -(dP(a, x)/da) / pdf(a, x)), computed in float64 by
    the power series of P (x <= a + 1) or the continued fraction of Q."""
    import scipy.special as sps
    dt = np.result_type(a, x)
    if dt.kind != "f":
        dt = _F64
    a64, x64 = np.broadcast_arrays(np.asarray(a, _F64), np.asarray(x, _F64))
    a64, x64 = a64.reshape(-1), x64.reshape(-1)
    out = np.full(a64.shape, np.nan)
    with np.errstate(all="ignore"):
        out[x64 == 0] = 0.0
        ok = (x64 > 0) & (a64 > 0) & np.isfinite(x64)
        ser = ok & (x64 <= a64 + 1)
        cf = ok & ~ser
        if ser.any():
            aa, xx = a64[ser], x64[ser]
            term = np.ones_like(aa)
            S = np.ones_like(aa)
            H = np.zeros_like(aa)
            dS = np.zeros_like(aa)
            live = np.ones(aa.shape, bool)
            n = 0
            while live.any() and n < 100000:
                n += 1
                term = term * xx / (aa + n)
                H = H + 1.0 / (aa + n)
                S = S + term
                dS = dS - term * H
                live = term * np.maximum(H, 1.0) > 1e-17 * np.maximum(np.abs(S), np.abs(dS))
            out[ser] = -(xx / aa) * ((np.log(xx) - sps.digamma(aa + 1)) * S + dS)
        if cf.any():
            aa, xx = a64[cf], x64[cf]
            tiny = 1e-300
            b = xx + 1 - aa
            db = -np.ones_like(aa)
            c = np.full(aa.shape, 1 / tiny)
            dc = np.zeros_like(aa)
            dd_ = 1 / b
            ddd = -dd_ * dd_ * db
            h, dh = dd_.copy(), ddd.copy()
            live = np.ones(aa.shape, bool)
            i = 0
            while live.any() and i < 100000:
                i += 1
                an = -i * (i - aa)
                dan = float(i)
                b = b + 2
                den = an * dd_ + b
                dden = dan * dd_ + an * ddd + db
                dd_ = 1 / den
                ddd = -dd_ * dd_ * dden
                dc = db + dan / c - an * dc / (c * c)
                c = b + an / c
                de = dd_ * c
                dde = ddd * c + dd_ * dc
                dh = dh * de + h * dde
                h = h * de
                live = (np.abs(de - 1) > 1e-16) | (np.abs(dde) > 1e-16 * np.abs(dh))
            out[cf] = xx * ((np.log(xx) - sps.digamma(aa)) * h + dh)
    return out.reshape(np.broadcast_shapes(np.shape(a), np.shape(x))).astype(dt)


# ---------------------------------------------------------------------------
# binomial: JAX's algorithm (inversion for n*q <= 10, BTRS transformed
# rejection otherwise; q = min(p, 1-p)) with JAX's key splitting.  Both
# samplers run on the whole array (as in JAX) and are then selected per
# element.  Each key-batch member loops independently (as JAX's batched
# while_loop does under vmap); within one member the loops run until every
# element is done and, as in JAX, a BTRS element accepted earlier is
# overwritten by any later accepted candidate.
# ---------------------------------------------------------------------------

_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_approx_tail(k):
    dt = k.dtype
    t = dt.type
    table = np.array(_STIRLING_TAIL, dt)
    use_tail = k <= t(9)
    kc = np.clip(k, t(0), t(9)).astype(dt)   # JAX evaluates the series at the clamped k
    kp1 = (kc + t(1)).astype(dt)
    kp1sq = (kp1 * kp1).astype(dt)
    approx = ((t(1.0 / 12) - (t(1.0 / 360) - t(1.0 / 1260) / kp1sq) / kp1sq) / kp1).astype(dt)
    idx = np.nan_to_num(np.floor(kc)).astype(np.int32)
    return np.where(use_tail, table[np.clip(idx, 0, 9)], approx).astype(dt)


def _binomial_inversion(keys, count, prob, shape):
    # keys (B, 2); count, prob (B,) + shape
    dt = prob.dtype
    t = dt.type
    log1mp = xla_log1p(-prob)
    num_geom = np.zeros(prob.shape, dt)
    geom_sum = np.zeros(prob.shape, dt)
    keys = keys.copy()
    B = keys.shape[0]
    active = np.arange(B)
    flat = lambda x: x.reshape(x.shape[0], -1)
    active = active[flat(geom_sum <= count).any(1)]
    while active.size:
        s = split(keys[active])
        sub = s[:, 0]
        keys[active] = s[:, 1]
        cnt, gs, ng = count[active], geom_sum[active], num_geom[active]
        num_geom[active] = np.where(gs <= cnt, ng + t(1), ng)
        u = np.asarray(uniform(sub, shape, dt)).reshape(gs.shape)
        geom = np.ceil(xla_log(u) / log1mp[active]).astype(dt)
        gs = (gs + geom).astype(dt)
        geom_sum[active] = gs
        active = active[flat(gs <= cnt).any(1)]
    return (num_geom - t(1)).astype(dt)


def _btrs(keys, count, prob, shape):
    dt = prob.dtype
    t = dt.type
    stddev = np.sqrt(count * prob * (t(1) - prob)).astype(dt)
    b = (t(1.15) + t(2.53) * stddev).astype(dt)
    a = (t(-0.0873) + t(0.0248) * b + t(0.01) * prob).astype(dt)
    c = (count * prob + t(0.5)).astype(dt)
    v_r = (t(0.92) - t(4.2) / b).astype(dt)
    r = (prob / (t(1) - prob)).astype(dt)
    alpha = ((t(2.83) + t(5.1) / b) * stddev).astype(dt)
    m = np.floor((count + t(1)) * prob).astype(dt)
    st_m = _stirling_approx_tail(m)
    st_nm = _stirling_approx_tail((count - m).astype(dt))
    ub0 = ((m + t(0.5)) * xla_log((m + t(1)) / (r * (count - m + t(1))))).astype(dt)
    k_out = np.full(prob.shape, t(-1))
    accepted = np.zeros(prob.shape, bool)
    keys = keys.copy()
    flat = lambda x: x.reshape(x.shape[0], -1)
    active = np.arange(keys.shape[0])
    active = active[~flat(accepted).all(1)]
    while active.size:
        s = split(keys[active], 3)
        keys[active] = s[:, 0]
        A = active
        u = np.asarray(uniform(s[:, 1], shape, dt)).reshape((A.size,) + prob.shape[1:])
        v = np.asarray(uniform(s[:, 2], shape, dt)).reshape(u.shape)
        cn, aa, bb, cc, rr = count[A], a[A], b[A], c[A], r[A]
        u = (u - t(0.5)).astype(dt)
        us = (t(0.5) - np.abs(u)).astype(dt)
        accept1 = (us >= t(0.07)) & (v <= v_r[A])
        k = np.floor((t(2) * aa / us + bb) * u + cc).astype(dt)
        reject = (k < 0) | (k > cn)
        lv = xla_log((v * alpha[A] / (aa / (us * us) + bb)).astype(dt))
        ub = (ub0[A]
              + (cn + t(1)) * xla_log((cn - m[A] + t(1)) / (cn - k + t(1)))
              + (k + t(0.5)) * xla_log(rr * (cn - k + t(1)) / (k + t(1)))
              + st_m[A] + st_nm[A]
              - _stirling_approx_tail(k)
              - _stirling_approx_tail((cn - k).astype(dt))).astype(dt)
        accept = accept1 | (~reject & (lv <= ub))
        k_out[A] = np.where(accept, k, k_out[A])
        acc = accepted[A] | accept
        accepted[A] = acc
        active = A[~flat(acc).all(1)]
    return k_out


def binomial(key, count, prob, dtype) -> np.ndarray:
    """``jax.random.binomial``: ``key`` (..., 2) with batch shape ``kb``;
    ``count`` and ``prob`` of shape ``kb + shape`` in the computation dtype
    (float32, or float64 under x64); ``dtype`` the output float dtype."""
    key = np.asarray(key, _U32)
    prob = np.asarray(prob)
    dt = prob.dtype if prob.dtype in (_F32, _F64) else _F32
    t = dt.type
    prob = prob.astype(dt)
    count = np.asarray(count).astype(dt)
    kb = key.shape[:-1]
    count, prob = np.broadcast_arrays(count, prob)
    shape = prob.shape[len(kb):]
    dtype = np.dtype(dtype)
    B = int(np.prod(kb, dtype=np.int64))
    if count.size == 0:
        return np.zeros(kb + shape, dtype)
    keys = key.reshape(B, 2)
    count = count.reshape((B,) + shape)
    prob = prob.reshape((B,) + shape)
    with np.errstate(all="ignore"):
        p_lt_half = prob < t(0.5)
        q = np.where(p_lt_half, prob, t(1) - prob).astype(dt)
        count_nan_or_neg = np.isnan(count) | (count < t(0))
        count_inf = np.isinf(count)
        q_is_nan = np.isnan(q)
        q_l_0 = q < t(0)
        q = np.where(q_is_nan | q_l_0, t(0.01), q).astype(dt)
        use_inv = count_nan_or_neg | ((count * q).astype(dt) <= t(10))
        count = np.floor(count)
        count_inv = np.where(use_inv, count, t(0)).astype(dt)
        count_btrs = np.where(use_inv, t(1e4), count).astype(dt)
        q_btrs = np.where(use_inv, t(0.5), q).astype(dt)
        inv = _binomial_inversion(keys, count_inv, q, shape).astype(dtype)
        bt = _btrs(keys, count_btrs, q_btrs, shape).astype(dtype)
        samples = np.where(use_inv, inv, bt)
        invalid = q_l_0 | q_is_nan | count_nan_or_neg
        samples = np.where(invalid, dtype.type(np.nan), samples)
        samples = np.where(count_inf & ~invalid, dtype.type(np.inf), samples)
        samples = np.where(p_lt_half | count_nan_or_neg | q_is_nan | count_inf, samples,
                           (count.astype(dtype) - samples).astype(dtype))
    return samples.astype(dtype).reshape(kb + shape)
