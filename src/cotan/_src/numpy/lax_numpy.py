"""Shape manipulation and other array functions of cotan.numpy."""
from __future__ import annotations

import builtins

import numpy as np

from .. import core, dtypes
from ..core import Array, Tracer
from ..lax import elementwise as lx
from ..lax import structural as st
from .util import (asarray_arg, broadcast_shapes, broadcast_to_shape, canonicalize_axes,
                   canonicalize_axis, convert, promote_dtypes)


def shape(a):
    return core.get_aval(asarray_arg(a)).shape


def ndim(a):
    return len(shape(a))


def size(a, axis=None):
    s = shape(a)
    return int(np.prod(s, dtype=np.int64)) if axis is None else s[axis]


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    a = asarray_arg(a)
    if shape is None:
        shape = newshape
    if isinstance(shape, (int, np.integer)) or isinstance(shape, Tracer):
        shape = (shape,)
    shape = [int(d) if not isinstance(d, Tracer) else d.__index__() for d in shape]
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in shape:
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        if known == 0 or a.size % known:
            raise TypeError(f"cannot reshape array of shape {a.shape} (size {a.size}) into shape {tuple(shape)}")
        shape[shape.index(-1)] = a.size // known
    if int(np.prod(shape, dtype=np.int64)) != a.size:
        raise TypeError(f"cannot reshape array of shape {a.shape} (size {a.size}) into shape {tuple(shape)}")
    if order == "F":
        return transpose(st.reshape(transpose(a), tuple(reversed(shape))))
    return st.reshape(a, tuple(shape))


def ravel(a, order="C"):
    a = asarray_arg(a)
    return reshape(a, (a.size,), order=order)


def transpose(a, axes=None):
    a = asarray_arg(a)
    if axes is None:
        axes = tuple(reversed(range(a.ndim)))
    axes = tuple(canonicalize_axis(i, a.ndim) for i in axes)
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"axes {axes} don't match array of dimension {a.ndim}")
    return st.transpose(a, axes)


def permute_dims(a, axes):
    return transpose(a, axes)


def matrix_transpose(x):
    x = asarray_arg(x)
    if x.ndim < 2:
        raise ValueError("matrix_transpose requires at least 2 dimensions")
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return st.transpose(x, axes)


def moveaxis(a, source, destination):
    a = asarray_arg(a)
    src = canonicalize_axes(source if isinstance(source, (tuple, list)) else (source,), a.ndim)
    dst = canonicalize_axes(destination if isinstance(destination, (tuple, list)) else (destination,), a.ndim)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of elements")
    order = [i for i in range(a.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return st.transpose(a, order)


def swapaxes(a, axis1, axis2):
    a = asarray_arg(a)
    perm = list(range(a.ndim))
    i, j = canonicalize_axis(axis1, a.ndim), canonicalize_axis(axis2, a.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return st.transpose(a, perm)


def squeeze(a, axis=None):
    a = asarray_arg(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    else:
        axes = canonicalize_axes(axis, a.ndim)
        for i in axes:
            if a.shape[i] != 1:
                raise ValueError(f"cannot select an axis to squeeze out which has size not equal to one, got shape={a.shape} and dimensions={axes}")
    return st.reshape(a, tuple(d for i, d in enumerate(a.shape) if i not in axes))


def expand_dims(a, axis):
    a = asarray_arg(a)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    nd = a.ndim + len(axes)
    axes = sorted(canonicalize_axis(i, nd) for i in axes)
    shape = list(a.shape)
    for i in axes:
        shape.insert(i, 1)
    return st.reshape(a, tuple(shape))


def broadcast_to(array, shape):
    array = asarray_arg(array)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    return broadcast_to_shape(array, shape)


def broadcast_arrays(*args):
    args = [asarray_arg(a) for a in args]
    s = broadcast_shapes(*[a.shape for a in args])
    return [broadcast_to_shape(a, s) for a in args]


def atleast_1d(*arys):
    outs = [asarray_arg(a) for a in arys]
    outs = [reshape(a, (1,)) if a.ndim == 0 else a for a in outs]
    return outs[0] if len(outs) == 1 else outs


def atleast_2d(*arys):
    outs = []
    for a in arys:
        a = asarray_arg(a)
        outs.append(reshape(a, (1, 1)) if a.ndim == 0 else (expand_dims(a, 0) if a.ndim == 1 else a))
    return outs[0] if len(outs) == 1 else outs


def atleast_3d(*arys):
    outs = []
    for a in arys:
        a = asarray_arg(a)
        if a.ndim == 0:
            a = reshape(a, (1, 1, 1))
        elif a.ndim == 1:
            a = reshape(a, (1, a.shape[0], 1))
        elif a.ndim == 2:
            a = expand_dims(a, 2)
        outs.append(a)
    return outs[0] if len(outs) == 1 else outs


def concatenate(arrays, axis=0, dtype=None):
    if isinstance(arrays, (Array, np.ndarray)):
        arrays = [arrays[i] for i in range(len(arrays))]
    arrays = [asarray_arg(a) for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to concatenate.")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    if any(a.ndim == 0 for a in arrays):
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    axis = canonicalize_axis(axis, arrays[0].ndim)
    arrays = promote_dtypes(*arrays)
    if dtype is not None:
        arrays = [convert(a, dtypes.canonicalize_dtype(dtype)) for a in arrays]
    if all(type(a) is Array for a in arrays):
        return Array(np.concatenate([a._value for a in arrays], axis=axis),
                     all(a.weak_type for a in arrays))
    return st.concatenate(arrays, axis)


concat = concatenate


def stack(arrays, axis=0, out=None, dtype=None):
    if isinstance(arrays, (Array, np.ndarray)):
        arrays = [arrays[i] for i in range(len(arrays))]
    arrays = [asarray_arg(a) for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to stack.")
    shape0 = arrays[0].shape
    for a in arrays[1:]:
        if a.shape != shape0:
            raise ValueError("All input arrays must have the same shape.")
    axis = canonicalize_axis(axis, len(shape0) + 1)
    new = [expand_dims(a, axis) for a in arrays]
    return concatenate(new, axis, dtype=dtype)


def vstack(tup, dtype=None):
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype)


row_stack = vstack


def hstack(tup, dtype=None):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if arrs[0].ndim == 1 else 1, dtype=dtype)


def dstack(tup, dtype=None):
    return concatenate([atleast_3d(a) for a in tup], axis=2, dtype=dtype)


def column_stack(tup):
    arrs = []
    for a in tup:
        a = asarray_arg(a)
        arrs.append(reshape(a, (a.size, 1)) if a.ndim < 2 else a)
    return concatenate(arrs, axis=1)


def where(condition, x=None, y=None, *, size=None, fill_value=None):
    if x is None and y is None:
        from .indexing import nonzero
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("Either both or neither of the x and y arguments should be provided to jnp.where.")
    c = asarray_arg(condition)
    if c.dtype != np.bool_:
        c = lx.ne(c, convert(Array(np.zeros((), c.dtype)), c.dtype) if False else
                  broadcast_to_shape(Array(np.zeros((), c.dtype)), c.shape))
    x, y = promote_dtypes(x, y)
    shp = broadcast_shapes(c.shape, x.shape, y.shape)
    c, x, y = (broadcast_to_shape(c, shp), broadcast_to_shape(x, shp), broadcast_to_shape(y, shp))
    return lx.select_n(c, y, x)


def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError("condlist and choicelist must have the same length")
    out = default
    for c, v in reversed(list(zip(condlist, choicelist))):
        out = where(c, v, out)
    return asarray_arg(out)


def astype(x, dtype, /, *, copy=False, device=None):
    x = asarray_arg(x)
    dtypes.check_user_dtype_supported(dtype, "astype")
    dt = dtypes.canonicalize_dtype(dtype)
    if x.dtype.kind == "c" and dt.kind != "c":
        x = lx.real(x)
    if dt == np.bool_ and x.dtype != np.bool_:
        return lx.ne(x, broadcast_to_shape(Array(np.zeros((), x.dtype)), x.shape))
    return st.convert_element_type(x, dt, False)


def _linspace_traced(start, stop, num, endpoint, retstep, dtype, axis):
    start, stop = asarray_arg(start), asarray_arg(stop)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.to_inexact_dtype(
        dtypes.result_type(start, stop, 1.0))
    start, stop = convert(start, dt), convert(stop, dt)
    div = (num - 1) if endpoint else num
    steps = Array(np.arange(num, dtype=dt))
    shp = broadcast_shapes(start.shape, stop.shape)
    start, stop = broadcast_to_shape(start, shp), broadcast_to_shape(stop, shp)
    s = expand_dims(start, -1) if shp else start
    e = expand_dims(stop, -1) if shp else stop
    full_shape = shp + (num,)
    s = broadcast_to_shape(s, full_shape)
    e = broadcast_to_shape(e, full_shape)
    t = broadcast_to_shape(steps, full_shape)
    delta = lx.sub(e, s)
    if div > 0:
        step = lx.div(delta, broadcast_to_shape(Array(np.asarray(div, dt)), full_shape))
        out = lx.add(s, lx.mul(t, step))
    else:
        out = s
    out = moveaxis(out, -1, axis) if shp else out
    if retstep:
        return out, lx.div(delta, Array(np.asarray(div, dt))) if div > 0 else delta
    return out


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    from . import ufuncs as uf
    from .util import promote_args_inexact
    a, b = promote_args_inexact(a, b)
    both_inf = uf.logical_and(uf.isinf(a), uf.isinf(b))
    close = uf.less_equal(uf.absolute(uf.subtract(a, b)),
                          uf.add(atol, uf.multiply(rtol, uf.absolute(b))))
    out = uf.logical_or(close, uf.logical_and(both_inf, uf.equal(a, b)))
    if equal_nan:
        out = uf.logical_or(out, uf.logical_and(uf.isnan(a), uf.isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    from .reductions import all as _all
    return _all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    from . import ufuncs as uf
    from .reductions import all as _all
    a1, a2 = asarray_arg(a1), asarray_arg(a2)
    if a1.shape != a2.shape:
        return Array(np.bool_(False))
    eq = uf.equal(a1, a2)
    if equal_nan:
        eq = uf.logical_or(eq, uf.logical_and(uf.isnan(a1), uf.isnan(a2)))
    return _all(eq)
