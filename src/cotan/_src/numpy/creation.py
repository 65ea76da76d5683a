"""Array creation: array/asarray (including lists that mix traced values and
numbers, built with lax concatenation so they stay differentiable), zeros,
ones, full, arange, linspace, eye, *_like."""
from __future__ import annotations

import builtins

import numpy as np

from .. import core, dtypes
from ..core import Array, Tracer
from ..lax import structural as st
from .util import asarray_arg, convert


def _contains_tracer(obj):
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tracer):
            return True
        if isinstance(o, (list, tuple)):
            stack.extend(o)
    return False


def _leaves_dtype(obj):
    leaves = []
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, (list, tuple)):
            stack.extend(o)
        else:
            leaves.append(o)
    return leaves


def array(object, dtype=None, copy=True, order="K", ndmin=0):
    if dtype is not None:
        dtypes.check_user_dtype_supported(dtype, "array")
        dtype = dtypes.canonicalize_dtype(dtype)
    if isinstance(object, Tracer) or (isinstance(object, (list, tuple)) and _contains_tracer(object)):
        out = _array_from_traced(object, dtype)
    elif isinstance(object, Array):
        out = object if dtype is None else convert(object, dtype)
    elif isinstance(object, (list, tuple)):
        leaves = _leaves_dtype(object)
        if leaves and all(isinstance(l, (Array, np.ndarray, np.generic, builtins.bool, int, float, complex))
                          for l in leaves):
            if any(isinstance(l, Array) for l in leaves):
                object = _np_nested(object)
            if dtype is None:
                dt, weak = dtypes.result_type(*leaves, return_weak_type_flag=True) if leaves else (
                    dtypes.default_float_dtype(), False)
                out = Array(np.asarray(object, dtype=dt), weak and False)
            else:
                out = Array(np.asarray(object, dtype=dtype))
        else:
            if not leaves:
                out = Array(np.asarray(object, dtype=dtype or dtypes.default_float_dtype()))
            else:
                raise TypeError(
                    f"jnp.array could not convert {object!r}: elements must be arrays or numbers.")
    elif hasattr(object, "__jax_array__"):
        return array(object.__jax_array__(), dtype, copy, order, ndmin)
    else:
        if isinstance(object, (str, bytes)) or object is None or isinstance(object, dict):
            raise TypeError(f"jnp.array: unsupported input {object!r} of type {type(object).__name__}.")
        v = np.asarray(object)
        if v.dtype.kind == "O":
            raise TypeError(f"jnp.array: unsupported input of type {type(object).__name__}.")
        if dtype is None:
            if isinstance(object, (builtins.bool, int, float, complex)):
                out = core.to_array(object)
                out = Array(out._value, False)  # jnp.array(2.0) is not weakly typed
            else:
                out = Array(v.astype(dtypes.canonicalize_dtype(v.dtype), copy=copy))
        else:
            out = Array(np.array(v, dtype=dtype, copy=True))
    if ndmin and out.ndim < ndmin:
        out = st.reshape(out, (1,) * (ndmin - out.ndim) + out.shape)
    return out


def _np_nested(obj):
    if isinstance(obj, (list, tuple)):
        return [_np_nested(o) for o in obj]
    if type(obj) is Array:
        return np.asarray(obj._value)
    return obj


def _array_from_traced(obj, dtype):
    if not isinstance(obj, (list, tuple)):
        x = asarray_arg(obj)
        return x if dtype is None else convert(x, dtype)
    leaves = _leaves_dtype(obj)
    if dtype is None:
        dt, weak = dtypes.result_type(*leaves, return_weak_type_flag=True)
    else:
        dt, weak = dtype, False
    from .lax_numpy import stack

    def build(o):
        if isinstance(o, (list, tuple)):
            if not o:
                raise ValueError("jnp.array: empty sub-list among traced values")
            return stack([build(e) for e in o])
        x = asarray_arg(o)
        return convert(x, dt, weak and x.weak_type) if x.dtype != dt else x
    return build(obj)


def asarray(a, dtype=None, order=None, *, copy=None, device=None):
    if dtype is None and isinstance(a, Array):
        return a
    return array(a, dtype=dtype, copy=builtins.bool(copy))


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(int(operator_index(d)) for d in shape)
    except TypeError:
        raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, got {shape}.") from None


def operator_index(d):
    import operator
    if isinstance(d, Tracer):
        return operator.index(d)
    return operator.index(d)


def _dt(dtype, default=None):
    if dtype is None:
        return default if default is not None else dtypes.default_float_dtype()
    dtypes.check_user_dtype_supported(dtype)
    return dtypes.canonicalize_dtype(dtype)


def zeros(shape, dtype=None, *, device=None):
    return Array(np.zeros(_shape(shape), _dt(dtype)))


def ones(shape, dtype=None, *, device=None):
    return Array(np.ones(_shape(shape), _dt(dtype)))


def empty(shape, dtype=None, *, device=None):
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None, *, device=None):
    shape = _shape(shape)
    if isinstance(fill_value, Tracer) or (dtype is None and isinstance(fill_value, Array)):
        fv = asarray_arg(fill_value)
        if dtype is not None:
            fv = convert(fv, _dt(dtype))
        from .util import broadcast_to_shape
        return broadcast_to_shape(fv, shape)
    if dtype is None:
        dt = dtypes.dtype(fill_value)
    else:
        dt = _dt(dtype)
    return Array(np.full(shape, np.asarray(fill_value), dt))


def _like_shape(a, shape):
    return core.get_aval(a).shape if shape is None else _shape(shape)


def _like_dtype(a, dtype):
    return core.get_aval(a).dtype if dtype is None else _dt(dtype)


def zeros_like(a, dtype=None, shape=None, *, device=None):
    return Array(np.zeros(_like_shape(a, shape), _like_dtype(a, dtype)))


def ones_like(a, dtype=None, shape=None, *, device=None):
    return Array(np.ones(_like_shape(a, shape), _like_dtype(a, dtype)))


def empty_like(a, dtype=None, shape=None, *, device=None):
    return zeros_like(a, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    if isinstance(fill_value, Tracer):
        return full(_like_shape(a, shape), fill_value, _like_dtype(a, dtype))
    return Array(np.full(_like_shape(a, shape), np.asarray(fill_value), _like_dtype(a, dtype)))


def _concrete(x, name):
    if isinstance(x, Tracer):
        v = x.to_concrete_value()
        if v is None:
            from ..errors import ConcretizationTypeError, concretization_message
            raise ConcretizationTypeError(concretization_message(x, name))
        return v
    if isinstance(x, Array):
        return x._value
    return x


def arange(start, stop=None, step=None, dtype=None, *, device=None):
    start = _concrete(start, "arange")
    stop = _concrete(stop, "arange")
    step = _concrete(step, "arange")
    args = [a for a in (start, stop, step) if a is not None]
    if dtype is None:
        dt = dtypes.result_type(*args)
        if any(isinstance(a, float) or (hasattr(a, "dtype") and np.dtype(a.dtype).kind == "f") for a in args):
            dt = dtypes.to_inexact_dtype(dt)
    else:
        dt = _dt(dtype)
    if stop is None:
        v = np.arange(start, dtype=dt) if step is None else np.arange(0, start, step, dtype=dt)
    else:
        v = np.arange(start, stop, 1 if step is None else step, dtype=dt)
    return Array(v.astype(dt, copy=False))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    num = int(_concrete(num, "linspace"))
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    if isinstance(start, Tracer) or isinstance(stop, Tracer):
        from .lax_numpy import _linspace_traced
        return _linspace_traced(start, stop, num, endpoint, retstep, dtype, axis)
    s, e = np.asarray(_concrete(start, "linspace")), np.asarray(_concrete(stop, "linspace"))
    dt = _dt(dtype, dtypes.to_inexact_dtype(dtypes.result_type(s, e, 1.0)))
    out = np.linspace(s.astype(np.float64), e.astype(np.float64), num, endpoint=endpoint,
                      retstep=retstep, axis=axis)
    if retstep:
        v, stp = out
        return Array(v.astype(dt)), Array(np.asarray(stp, dt))
    return Array(out.astype(dt))


def eye(N, M=None, k=0, dtype=None, *, device=None):
    return Array(np.eye(int(N), None if M is None else int(M), int(k), dtype=_dt(dtype)))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)
