"""Reductions of cotan.numpy (sum, mean, ...) as lax reductions."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..core import Array
from ..lax import elementwise as lx
from ..lax import structural as st
from .util import asarray_arg, canonicalize_axes, convert, broadcast_to_shape


def _keepdims(out, shape, axes):
    return st.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shape)))


def _sum_dtype(dt):
    if dt == np.bool_ or (dt.kind in "iu" and dt.itemsize < np.dtype(dtypes.default_int_dtype()).itemsize):
        return dtypes.default_int_dtype() if dt.kind != "u" else dtypes.default_uint_dtype()
    return dt


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None, promote_integers=True):
    a = asarray_arg(a)
    axes = canonicalize_axes(axis, a.ndim)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else (
        _sum_dtype(a.dtype) if promote_integers else a.dtype)
    if a.dtype != dt:
        a = convert(a, dt, a.weak_type)
    if where is not None:
        from .lax_numpy import where as _where
        a = _where(where, a, Array(np.zeros((), dt)))
    out = st.reduce_sum(a, axes)
    if initial is not None:
        out = lx.add(out, broadcast_to_shape(convert(initial, dt), out.shape))
    return _keepdims(out, a.shape, axes) if keepdims else out


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    a = asarray_arg(a)
    axes = canonicalize_axes(axis, a.ndim)
    if where is not None:
        from .lax_numpy import where as _where
        num = sum(_where(where, 1, 0), axis, keepdims=keepdims)
        s = sum(a, axis, dtype=dtype, keepdims=keepdims, where=where)
        dt = dtypes.to_inexact_dtype(s.dtype)
        return lx.div(convert(s, dt), broadcast_to_shape(convert(num, dt), s.shape))
    n = int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.to_inexact_dtype(a.dtype)
    s = sum(convert(a, dt, a.weak_type) if a.dtype != dt else a, axis, keepdims=keepdims)
    return lx.div(s, broadcast_to_shape(Array(np.asarray(n, dt), s.weak_type), s.shape))
