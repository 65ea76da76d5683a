"""Argument handling for cotan.numpy: conversion, JAX-style dtype promotion
(with weak types) and NumPy-style broadcasting, expressed as lax calls."""
from __future__ import annotations

import numpy as np

from .. import core, dtypes
from ..core import Array, Tracer
from ..lax import structural as _st


def asarray_arg(x):
    """``x`` as an Array or tracer (Python scalars keep their weak type)."""
    if isinstance(x, Array):
        return x
    if isinstance(x, (np.ndarray, np.generic, bool, int, float, complex)):
        return core.to_array(x)
    if hasattr(x, "__jax_array__"):
        return asarray_arg(x.__jax_array__())
    if isinstance(x, (list, tuple)):
        from .creation import array
        return array(x)
    raise TypeError(
        f"cotan.numpy function received an argument of type {type(x).__name__}, "
        "which is not an array: pass a cotan/NumPy array or a Python scalar.")


def check_arraylike(fname, *args):
    for i, a in enumerate(args):
        if not (isinstance(a, (Array, np.ndarray, np.generic, bool, int, float, complex))
                or hasattr(a, "__jax_array__")):
            msg = f"{fname} requires ndarray or scalar arguments, got {type(a).__name__} at position {i}."
            if isinstance(a, (list, tuple)):
                msg += " Wrap it with jnp.array(...) first."
            raise TypeError(msg)


def convert(x, dtype, weak_type=False):
    """``x`` (an Array, tracer or Python value) as ``dtype``."""
    if isinstance(x, Tracer):
        return _st.convert_element_type(x, dtype, weak_type)
    if type(x) is Array:
        if x._value.dtype == dtype and x.weak_type == weak_type:
            return x
        return _st.convert_element_type(x, dtype, weak_type)
    v = np.asarray(x, dtype=dtypes.canonicalize_dtype(dtype))
    return Array(v, weak_type)


def broadcast_to_shape(x, shape):
    """NumPy-style broadcast of ``x`` to ``shape`` (lax broadcast_in_dim)."""
    aval_shape = x.shape
    if aval_shape == shape:
        return x
    if type(x) is Array:
        try:
            return Array(np.broadcast_to(x._value, shape), x.weak_type)
        except ValueError:
            raise ValueError(f"Incompatible shapes for broadcasting: {aval_shape} and requested shape {shape}") from None
    nd = len(shape)
    if len(aval_shape) > nd:
        raise ValueError(f"Incompatible shapes for broadcasting: {aval_shape} and requested shape {shape}")
    lead = nd - len(aval_shape)
    for i, d in enumerate(aval_shape):
        if d != 1 and d != shape[lead + i]:
            raise ValueError(f"Incompatible shapes for broadcasting: {aval_shape} and requested shape {shape}")
    # squeeze out the size-1 dims that are broadcast, then broadcast_in_dim
    keep = [i for i, d in enumerate(aval_shape) if not (d == 1 and shape[lead + i] != 1)]
    if len(keep) != len(aval_shape):
        x = _st.reshape(x, tuple(aval_shape[i] for i in keep))
    return _st.broadcast_in_dim(x, shape, tuple(lead + i for i in keep))


def broadcast_shapes(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(
            "Incompatible shapes for broadcasting: shapes="
            f"{list(shapes)}") from None


def promote_dtypes(*args):
    """Convert arguments to their common JAX result type (weak if all weak)."""
    dt, weak = dtypes.result_type(*args, return_weak_type_flag=True)
    return [convert(a, dt, weak) if _needs(a, dt) else asarray_arg(a)
            for a in args]


def _needs(a, dt):
    if isinstance(a, Array):
        return a.dtype != dt
    return True


def promote_dtypes_inexact(*args):
    dt, weak = dtypes.result_type(*args, return_weak_type_flag=True)
    dt = dtypes.to_inexact_dtype(dt)
    return [convert(a, dt, weak) if _needs(a, dt) else asarray_arg(a)
            for a in args]


def promote_shapes(*args):
    shapes = [a.shape for a in args]
    if all(s == shapes[0] for s in shapes):
        return args
    shape = broadcast_shapes(*shapes)
    return [broadcast_to_shape(a, shape) for a in args]


_SCALAR_CONSTS = {}


def _scalar_like(v, x):
    """The Python scalar ``v`` as a weakly typed constant shaped like array
    ``x``, when JAX's promotion keeps ``x``'s dtype; else None."""
    # dtype and shape read from the NumPy value or the aval directly: each
    # property of Array/Tracer is a Python call, on every scalar operation
    xv = x._value if type(x) is Array else x.aval
    dt = xv.dtype
    shape = xv.shape
    t = type(v)
    if not shape:
        # (-0.0 == 0.0 and they hash alike: keep the sign of zero in the key)
        key = (t, v, dt, str(v) if v == 0 else None)
        c = _SCALAR_CONSTS.get(key)
        if c is not None:
            return c
    k = dt.kind
    if k in "fc" or (t is int and k in "iu"):
        c = np.asarray(v, dt)
        if shape:
            return Array(np.broadcast_to(c, shape), True)
        c = Array(c[()], True)
        if len(_SCALAR_CONSTS) > 4096:
            _SCALAR_CONSTS.clear()
        _SCALAR_CONSTS[key] = c
        return c
    return None


def promote_args(*args):
    if len(args) == 2:
        x, y = args
        tx, ty = type(x), type(y)
        if tx is Array and ty is Array:
            if x._value.dtype == y._value.dtype and x._value.shape == y._value.shape:
                return args
        elif isinstance(x, Array) and isinstance(y, Array):
            if x.dtype == y.dtype and x.shape == y.shape:
                return args
        elif (ty is float or ty is int) and isinstance(x, Array):
            c = _scalar_like(y, x)
            if c is not None:
                return x, c
        elif (tx is float or tx is int) and isinstance(y, Array):
            c = _scalar_like(x, y)
            if c is not None:
                return c, y
    return promote_shapes(*promote_dtypes(*args))


def promote_args_inexact(*args):
    return promote_shapes(*promote_dtypes_inexact(*args))


def to_inexact(x):
    x = asarray_arg(x)
    dt = x.dtype
    if dt.kind in "fc":
        return x
    return convert(x, dtypes.to_inexact_dtype(dt), x.weak_type)


def canonicalize_axis(axis, ndim):
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def canonicalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(canonicalize_axis(a, ndim) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"repeated axis in {axis}")
        return axes
    return (canonicalize_axis(axis, ndim),)
