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


# -- ufunc / frompyfunc ----------------------------------------------------------------------

def _ufunc_vectorized(func):
    jnp = _jnp()
    return jnp.vectorize(func)


class ufunc:
    """A NumPy-style universal function built from a scalar function (``jnp.ufunc``).

    ``__call__`` vectorizes ``func`` over broadcast inputs; binary ufuncs with one
    output also get ``outer``, ``reduce``, ``accumulate``, ``at`` and ``reduceat``
    (sequential folds with ``lax`` loops, so they work under ``jit``).  Custom
    implementations may be given with the ``call``/``reduce``/... keywords.
    """

    def __init__(self, func, /, nin, nout, *, name=None, nargs=None, identity=None,
                 call=None, reduce=None, accumulate=None, at=None, reduceat=None):
        self._func = func
        self.nin = int(nin)
        self.nout = int(nout)
        self.nargs = int(nargs if nargs is not None else nin)
        self.identity = identity
        self.__name__ = name if name is not None else getattr(func, "__name__", str(func))
        self._call = call
        self._reduce = reduce
        self._accumulate = accumulate
        self._at = at
        self._reduceat = reduceat

    def __repr__(self):
        return f"<jnp.ufunc '{self.__name__}'>"

    def __hash__(self):
        return hash((self._func, self.__name__, self.identity, self.nin, self.nout))

    def __eq__(self, other):
        return isinstance(other, ufunc) and (
            self._func, self.__name__, self.identity, self.nin, self.nout) == (
            other._func, other.__name__, other.identity, other.nin, other.nout)

    def __call__(self, *args, out=None, where=None):
        if out is not None:
            raise NotImplementedError(f"out argument of {self}")
        if where is not None:
            raise NotImplementedError(f"where argument of {self}")
        if len(args) != self.nin:
            raise TypeError(f"{self.__name__}() takes {self.nin} positional argument(s) but "
                            f"{len(args)} were given")
        if self._call is not None:
            return self._call(*args)
        return _ufunc_vectorized(self._func)(*args)

    def _binary(self, what):
        if self.nin != 2 or self.nout != 1:
            raise ValueError(f"{what} only supported for binary ufuncs")

    def outer(self, A, B, /):
        """``self(a, b)`` for every pair: result shape ``A.shape + B.shape``."""
        jnp = _jnp()
        self._binary("outer")
        A = asarray_arg(A)
        B = asarray_arg(B)
        a = jnp.reshape(A, A.shape + (1,) * B.ndim)
        return self(a, B)

    def reduce(self, a, axis=0, dtype=None, out=None, keepdims=False, initial=None,
               where=None):
        """Fold ``self`` along ``axis`` (left to right), like ``np.ufunc.reduce``."""
        jnp = _jnp()
        from ..lax import control_flow as cf
        self._binary("reduce")
        if out is not None:
            raise NotImplementedError(f"out argument of {self}.reduce()")
        if self._reduce is not None:
            return self._reduce(a, axis=axis, dtype=dtype, keepdims=keepdims,
                                initial=initial, where=where)
        a = asarray_arg(a)
        if dtype is not None:
            a = a.astype(dtype)
        if isinstance(axis, tuple):
            raise NotImplementedError("tuple of axes")
        orig_shape = a.shape
        if axis is None:
            a = jnp.ravel(a)
            ax = 0
            if where is not None:
                where = jnp.ravel(jnp.broadcast_to(asarray_arg(where), orig_shape))
        else:
            ax = canonicalize_axis(axis, a.ndim)
            if where is not None:
                where = jnp.broadcast_to(asarray_arg(where), a.shape)
        x = jnp.moveaxis(a, ax, 0)
        w = None if where is None else jnp.moveaxis(where, ax, 0)
        start = initial if initial is not None else (
            self.identity if (w is not None or x.shape[0] == 0) else None)
        if start is None:
            if x.shape[0] == 0:
                raise ValueError(f"zero-size array to reduction operation {self.__name__} "
                                 "which has no identity")
            if w is not None:
                raise ValueError(f"reduction operation {self.__name__} does not have an "
                                 "identity, so to use a where mask one has to specify "
                                 "'initial'.")
            carry0, rest, wrest = x[0], x[1:], None
        else:
            carry0 = jnp.full(x.shape[1:], start, dtype=x.dtype)
            rest, wrest = x, w
        f = _ufunc_vectorized(self._func)

        def step(c, xs):
            if wrest is None:
                return jnp.asarray(f(c, xs)).astype(c.dtype), None
            v, m = xs
            return jnp.where(m, jnp.asarray(f(c, v)).astype(c.dtype), c), None

        res, _ = cf.scan(step, carry0, rest if wrest is None else (rest, wrest))
        if keepdims:
            if axis is None:
                res = jnp.reshape(res, (1,) * len(orig_shape))
            else:
                res = jnp.expand_dims(res, ax)
        return res

    def accumulate(self, a, axis=0, dtype=None, out=None):
        """Running fold of ``self`` along ``axis`` (``np.ufunc.accumulate``)."""
        jnp = _jnp()
        from ..lax import control_flow as cf
        self._binary("accumulate")
        if out is not None:
            raise NotImplementedError(f"out argument of {self}.accumulate()")
        if self._accumulate is not None:
            return self._accumulate(a, axis=axis, dtype=dtype)
        a = asarray_arg(a)
        if dtype is not None:
            a = a.astype(dtype)
        ax = canonicalize_axis(axis, a.ndim)
        x = jnp.moveaxis(a, ax, 0)
        if x.shape[0] == 0:
            return a
        f = _ufunc_vectorized(self._func)

        def step(c, v):
            c = jnp.asarray(f(c, v)).astype(c.dtype)
            return c, c

        _, ys = cf.scan(step, x[0], x[1:])
        return jnp.moveaxis(jnp.concatenate([x[:1], ys], axis=0), 0, ax)

    def at(self, a, indices, b=None, /, *, inplace=True):
        """Functional ``np.ufunc.at`` (``inplace=False`` only); repeated indices are
        applied one after another."""
        jnp = _jnp()
        from ..lax import control_flow as cf
        if inplace:
            raise ValueError("cotan.numpy.ufunc.at cannot modify arrays in-place, because "
                             "cotan arrays are immutable. Pass inplace=False to instead return "
                             "an updated array.")
        if self.nout != 1 or self.nin not in (1, 2):
            raise ValueError("at only supported for unary or binary ufuncs with one output")
        if (b is None) != (self.nin == 1):
            raise ValueError(f"{self.__name__}.at needs {'no' if self.nin == 1 else 'a'} "
                             "second operand b")
        if self._at is not None:
            return self._at(a, indices, b)
        a = asarray_arg(a)
        lin = jnp.ravel(jnp.reshape(jnp.arange(a.size, dtype=np.int32), a.shape)[indices])
        flat = jnp.ravel(a)
        f = _ufunc_vectorized(self._func)
        if b is not None:
            bb = jnp.ravel(jnp.broadcast_to(asarray_arg(b), a[indices].shape))

        def body(k, fl):
            i = lin[k]
            v = f(fl[i]) if b is None else f(fl[i], bb[k])
            return fl.at[i].set(jnp.asarray(v).astype(fl.dtype))

        flat = cf.fori_loop(0, lin.shape[0], body, flat)
        return jnp.reshape(flat, a.shape)

    def reduceat(self, a, indices, axis=0, dtype=None, out=None):
        """``np.ufunc.reduceat``: reductions over slices ``indices[i]:indices[i+1]``
        (``indices`` must be concrete)."""
        jnp = _jnp()
        self._binary("reduceat")
        if out is not None:
            raise NotImplementedError(f"out argument of {self}.reduceat()")
        if self._reduceat is not None:
            return self._reduceat(a, indices, axis=axis, dtype=dtype)
        if isinstance(indices, Tracer):
            raise TypeError("reduceat needs concrete indices")
        a = asarray_arg(a)
        if dtype is not None:
            a = a.astype(dtype)
        ax = canonicalize_axis(axis, a.ndim)
        idx = np.asarray(indices._value if hasattr(indices, "_value") else indices).ravel()
        n = a.shape[ax]
        x = jnp.moveaxis(a, ax, 0)
        parts = []
        for i, s in enumerate(idx):
            s = int(s)
            e = int(idx[i + 1]) if i + 1 < len(idx) else n
            if e <= s:
                parts.append(x[s])
            else:
                parts.append(self.reduce(x[s:e], axis=0))
        return jnp.moveaxis(jnp.stack(parts, 0), 0, ax)


def frompyfunc(func, /, nin, nout, *, identity=None):
    """Wrap a scalar Python function (written with cotan ops) as a :class:`ufunc`."""
    return ufunc(func, nin, nout, identity=identity)
