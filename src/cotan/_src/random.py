"""cotan.random: counter-based threefry2x32 keys and samplers.

Keys are uint32 arrays of shape (..., 2) (what ``jax.random.PRNGKey`` returns;
``key`` returns the same raw form here).  Each operation is a primitive whose
implementation is the NumPy threefry code in ``prng.py``: eagerly it runs at
once, under ``jit`` it is recorded, under differentiation its outputs have
zero tangents (a key is an integer array).
"""
from __future__ import annotations

import numpy as np

from . import core, dtypes, prng
from .config import config
from .core import Array, Primitive, ShapedArray, Tracer
from .interpreters import ad, batching


def _prim(name, impl, abstract):
    p = Primitive(name)
    p.def_impl(impl)
    p.def_abstract_eval(abstract)
    p.weak_type_rule = lambda args, params: False
    ad.defjvp_zero(p)
    return p


def _check_key(key, fname):
    if isinstance(key, (int, np.integer)):
        raise TypeError(
            f"random.{fname} requires a PRNG key array, got the integer {key}: create "
            "one with random.PRNGKey(seed) or random.key(seed).")
    if not isinstance(key, Array):
        key = core.to_array(np.asarray(key))
    aval = core.get_aval(key)
    if aval.dtype != np.uint32 or not aval.shape or aval.shape[-1] != 2:
        raise TypeError(
            f"random.{fname} requires a PRNG key (uint32 array of shape (..., 2)), got "
            f"{aval.str_short()}. Create keys with random.PRNGKey(seed) and random.split.")
    return key


def _u32(shape):
    return ShapedArray(shape, np.uint32)


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


random_split_p = _prim(
    "random_split",
    lambda key, *, shape: prng.split(key, shape),
    lambda key, *, shape: _u32(key.shape[:-1] + shape + (2,)))

def _fold_in_abstract(key, data):
    # data broadcasts against the key's batch shape (as prng.fold_in does)
    try:
        batch = np.broadcast_shapes(key.shape[:-1], data.shape)
    except ValueError:
        raise TypeError(f"random_fold_in: data of shape {data.shape} does not broadcast "
                        f"against keys of shape {key.shape}") from None
    return _u32(tuple(batch) + (2,))


random_fold_in_p = _prim(
    "random_fold_in",
    lambda key, data: prng.fold_in(key, data),
    _fold_in_abstract)

random_bits_p = _prim(
    "random_bits",
    lambda key, *, bit_width, shape: prng.random_bits(key, bit_width, shape),
    lambda key, *, bit_width, shape: ShapedArray(key.shape[:-1] + shape, np.dtype(f"uint{bit_width}")))

random_uniform_p = _prim(
    "random_uniform",
    lambda key, *, shape, dtype, minval, maxval: np.asarray(
        prng.uniform(key, shape, dtype, minval, maxval), dtype),
    lambda key, *, shape, dtype, minval, maxval: ShapedArray(key.shape[:-1] + shape, dtype))

random_normal_p = _prim(
    "random_normal",
    lambda key, *, shape, dtype: np.asarray(prng.normal(key, shape, dtype), dtype),
    lambda key, *, shape, dtype: ShapedArray(key.shape[:-1] + shape, dtype))


# --- batching: the NumPy prng functions map over leading key dimensions, so a
# batch of keys is moved to the front and the primitive runs once.


def _key_batcher(prim):
    def rule(vals, dims, **params):
        (key,), (d,) = vals, dims
        return prim.bind(batching.moveaxis(key, d, 0), **params), 0
    batching.primitive_batchers[prim] = rule


for _p in (random_split_p, random_bits_p, random_uniform_p, random_normal_p):
    _key_batcher(_p)


def _fold_in_batch(vals, dims):
    # both batched operands get the batch in front, padded with size-1 axes to
    # the output batch rank (NumPy broadcasting aligns trailing axes); an
    # unbatched operand stays as it is and broadcasts
    from .lax.structural import reshape
    (key, data), (kd, dd) = vals, dims
    k_aval, d_aval = core.get_aval(key), core.get_aval(data)
    kb = k_aval.shape[:-1] if kd is None else tuple(
        n for i, n in enumerate(k_aval.shape[:-1]) if i != kd)
    db = d_aval.shape if dd is None else tuple(n for i, n in enumerate(d_aval.shape) if i != dd)
    rank = max(len(kb), len(db))
    if kd is not None:
        key = batching.moveaxis(key, kd, 0)
        s = core.get_aval(key).shape
        key = reshape(key, s[:1] + (1,) * (rank - len(kb)) + s[1:])
    if dd is not None:
        data = batching.moveaxis(data, dd, 0)
        s = core.get_aval(data).shape
        data = reshape(data, s[:1] + (1,) * (rank - len(db)) + s[1:])
    return random_fold_in_p.bind(key, data), 0


batching.primitive_batchers[random_fold_in_p] = _fold_in_batch


def PRNGKey(seed):
    """A raw threefry key (uint32[2]) from an integer seed."""
    if isinstance(seed, Tracer):
        raise TypeError("PRNGKey needs a concrete integer seed when used in cotan today.")
    if isinstance(seed, Array):
        seed = np.asarray(seed._value)
    if isinstance(seed, float) or (isinstance(seed, np.ndarray) and seed.dtype.kind == "f"):
        raise TypeError(f"PRNGKey seed must be an integer, got {seed!r}.")
    return Array(prng.seed(seed, config.jax_enable_x64))


def key(seed, *, impl=None):
    return PRNGKey(seed)


def key_data(keys):
    return keys


def wrap_key_data(key_bits_array, *, impl=None):
    return _check_key(key_bits_array, "wrap_key_data")


def split(key, num=2):
    key = _check_key(key, "split")
    return random_split_p.bind(key, shape=_shape(num))


def fold_in(key, data):
    key = _check_key(key, "fold_in")
    if not isinstance(data, Array):
        data = Array(prng._fold_in_data(data))
    elif core.get_aval(data).dtype != np.uint32:
        from .lax.structural import convert_element_type
        data = convert_element_type(data, np.uint32)
    return random_fold_in_p.bind(key, data)


def bits(key, shape=(), dtype=None):
    key = _check_key(key, "bits")
    dt = np.dtype(dtypes.canonicalize_dtype(dtype or np.uint32))
    if dt.kind != "u":
        raise TypeError(f"random.bits requires an unsigned integer dtype, got {dt}.")
    return random_bits_p.bind(key, bit_width=dt.itemsize * 8, shape=_shape(shape))


def _float_dtype(dtype, fname):
    dt = dtypes.canonicalize_dtype(dtype if dtype is not None else dtypes.default_float_dtype())
    if dt.kind != "f":
        raise TypeError(f"random.{fname} requires a floating dtype, got {dt}.")
    return dt


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    key = _check_key(key, "uniform")
    dt = _float_dtype(dtype, "uniform")
    scalars = (int, float, np.integer, np.floating)
    if not (isinstance(minval, scalars) and isinstance(maxval, scalars)):
        import cotan.numpy as jnp
        u = random_uniform_p.bind(key, shape=_shape(shape), dtype=dt, minval=0.0, maxval=1.0)
        lo, hi = jnp.asarray(minval, dt), jnp.asarray(maxval, dt)
        return jnp.maximum(lo, u * (hi - lo) + lo)
    return random_uniform_p.bind(key, shape=_shape(shape), dtype=dt,
                                 minval=float(minval), maxval=float(maxval))


def normal(key, shape=(), dtype=None):
    key = _check_key(key, "normal")
    dt = _float_dtype(dtype, "normal")
    return random_normal_p.bind(key, shape=_shape(shape), dtype=dt)
