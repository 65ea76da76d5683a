"""Small ``jax.numpy`` names: packbits/unpackbits, place/put/put_along_axis
(functional only), mask_indices.  Composed from cotan.numpy functions."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..core import Tracer
from .util import asarray_arg, canonicalize_axis


def _jnp():
    import cotan.numpy as jnp  # lazy: this module is imported while cotan.numpy loads
    return jnp


def _no_inplace(name):
    raise ValueError(f"cotan.numpy.{name} cannot modify arrays in-place, because cotan arrays "
                     "are immutable. Pass inplace=False to instead return an updated array.")


def _check_bitorder(bitorder):
    if bitorder not in ("big", "little"):
        raise ValueError("'order' must be either 'little' or 'big'")


def packbits(a, axis=None, bitorder="big"):
    """Pack the truthiness of elements into the bits of a uint8 array."""
    jnp = _jnp()
    a = asarray_arg(a)
    if not (dtypes.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
        raise TypeError("Expected an input array of integer or boolean data type")
    _check_bitorder(bitorder)
    if axis is None:
        a = jnp.ravel(a)
        axis = 0
    axis = canonicalize_axis(axis, a.ndim)
    bits = jnp.moveaxis(a != 0, axis, -1).astype(np.uint8)
    n = bits.shape[-1]
    pad = (-n) % 8
    if pad:
        bits = jnp.pad(bits, [(0, 0)] * (bits.ndim - 1) + [(0, pad)])
    bits = jnp.reshape(bits, bits.shape[:-1] + ((n + pad) // 8, 8))
    shifts = np.arange(8, dtype=np.uint8)
    if bitorder == "big":
        shifts = shifts[::-1].copy()
    packed = jnp.sum(jnp.left_shift(bits, jnp.asarray(shifts)), axis=-1, dtype=np.uint8)
    return jnp.moveaxis(packed, -1, axis)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """Unpack the bits of a uint8 array into a 0/1 uint8 array."""
    jnp = _jnp()
    a = asarray_arg(a)
    if a.dtype != np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    _check_bitorder(bitorder)
    if axis is None:
        a = jnp.ravel(a)
        axis = 0
    axis = canonicalize_axis(axis, a.ndim)
    shifts = np.arange(8, dtype=np.uint8)
    if bitorder == "big":
        shifts = shifts[::-1].copy()
    x = jnp.moveaxis(a, axis, -1)
    bits = jnp.right_shift(x[..., None], jnp.asarray(shifts)) & np.uint8(1)
    bits = jnp.reshape(bits, x.shape[:-1] + (x.shape[-1] * 8,))
    if count is not None:
        n = bits.shape[-1]
        count = int(count)
        keep = count if count >= 0 else max(n + count, 0)
        if keep <= n:
            bits = bits[..., :keep]
        else:
            bits = jnp.pad(bits, [(0, 0)] * (bits.ndim - 1) + [(0, keep - n)])
    return jnp.moveaxis(bits, -1, axis)


def place(arr, mask, vals, *, inplace=True):
    """Functional ``np.place``: ``arr`` with ``arr[mask]`` replaced by ``vals`` (cycled).

    Only ``inplace=False`` is supported (arrays are immutable); ``mask`` must be
    concrete because the number of replaced elements depends on it.
    """
    jnp = _jnp()
    if inplace:
        _no_inplace("place")
    arr = asarray_arg(arr)
    if isinstance(mask, Tracer):
        raise TypeError("place needs a concrete mask: the number of replaced elements "
                        "depends on its values")
    mask = asarray_arg(mask)
    vals = jnp.ravel(asarray_arg(vals))
    ind = np.flatnonzero(np.asarray(mask._value).ravel())
    if ind.size == 0:
        return arr
    if vals.size == 0:
        raise ValueError("Cannot insert from an empty array!")
    vals = vals[np.arange(ind.size) % vals.size]
    flat = jnp.ravel(arr).at[jnp.asarray(ind.astype(np.int32))].set(vals)
    return jnp.reshape(flat, arr.shape)


def put(a, ind, v, mode=None, *, inplace=True):
    """Functional ``np.put``: ``a`` with ``a.flat[ind] = v`` (``v`` cycled).

    ``mode``: None (out-of-range indices are dropped, negative ones count from the
    end), ``'clip'`` or ``'wrap'``; ``'raise'`` is not supported.  Only
    ``inplace=False`` is supported.
    """
    jnp = _jnp()
    if inplace:
        _no_inplace("put")
    a = asarray_arg(a)
    ind = jnp.ravel(asarray_arg(ind))
    v = jnp.ravel(asarray_arg(v))
    if not dtypes.issubdtype(ind.dtype, np.integer):
        raise TypeError(f"put: indices must be integers, got {ind.dtype}")
    if ind.size == 0 or v.size == 0:
        return a
    n = a.size
    if mode is None:
        umode = None
    elif mode == "clip":
        ind = jnp.clip(ind, 0, n - 1)
        umode = "promise_in_bounds"
    elif mode == "wrap":
        ind = ind % n
        umode = "promise_in_bounds"
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to cotan.numpy.put is not supported.")
    else:
        raise ValueError(f"mode should be one of 'wrap' or 'clip'; got {mode=}")
    if v.size != ind.size:
        v = v[np.arange(ind.size) % v.size]
    flat = jnp.ravel(a)
    flat = flat.at[ind].set(v) if umode is None else flat.at[ind].set(v, mode=umode)
    return jnp.reshape(flat, a.shape)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """Functional ``np.put_along_axis`` (``inplace=False`` only): the scatter
    counterpart of ``take_along_axis``; ``axis=None`` works on the flattened array."""
    jnp = _jnp()
    if inplace:
        _no_inplace("put_along_axis")
    arr = asarray_arg(arr)
    indices = asarray_arg(indices)
    if not dtypes.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"put_along_axis: indices must be integers, got {indices.dtype}")
    if axis is None:
        if indices.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        flat = jnp.ravel(arr)
        vals = jnp.broadcast_to(asarray_arg(values), indices.shape)
        flat = flat.at[indices].set(vals) if mode is None else \
            flat.at[indices].set(vals, mode=mode)
        return jnp.reshape(flat, arr.shape)
    if indices.ndim != arr.ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions; got "
                         f"{indices.ndim} vs {arr.ndim}")
    axis = canonicalize_axis(axis, arr.ndim)
    shape = tuple(indices.shape[d] if d == axis else
                  np.broadcast_shapes((indices.shape[d],), (arr.shape[d],))[0]
                  for d in range(arr.ndim))
    idx = []
    for d in range(arr.ndim):
        if d == axis:
            idx.append(jnp.broadcast_to(indices, shape))
        else:
            r = np.arange(arr.shape[d]).reshape(
                tuple(-1 if e == d else 1 for e in range(arr.ndim)))
            idx.append(jnp.broadcast_to(jnp.asarray(r.astype(np.int32)), shape))
    vals = jnp.broadcast_to(asarray_arg(values), shape)
    at = arr.at[tuple(idx)]
    return at.set(vals) if mode is None else at.set(vals, mode=mode)


def mask_indices(n, mask_func, k=0, *, size=None):
    """Indices where ``mask_func(ones((n, n)), k)`` is nonzero (e.g. ``triu``)."""
    jnp = _jnp()
    a = jnp.ones((n, n), dtype=np.int32)
    return jnp.nonzero(mask_func(a, k), size=size)
