"""Small cotan.numpy names: dtype aliases, window functions, index helpers
(s_, r_, c_, mgrid, ogrid) and thin compositions of existing functions."""
from __future__ import annotations

import builtins
import contextlib

import numpy as _np

from .. import dtypes
from ..core import Array, Tracer
from . import lax_numpy as lnp
from . import ufuncs as uf
from .creation import arange, array, asarray, linspace
from .util import asarray_arg

# --- dtype aliases (what JAX exposes; the "default" ones follow x64 at use sites)
bool = _np.bool_
double = _np.float64
single = _np.float32
csingle = _np.complex64
cdouble = _np.complex128
uint = _np.uint64
object_ = _np.object_
character = _np.character
flexible = _np.flexible
ComplexWarning = _np.exceptions.ComplexWarning
isdtype = dtypes.isdtype
can_cast = _np.can_cast
iterable = _np.iterable
index_exp = _np.index_exp
s_ = _np.s_
printoptions = _np.printoptions
get_printoptions = _np.get_printoptions
set_printoptions = _np.set_printoptions


def isscalar(element):
    if isinstance(element, Array):
        return element.ndim == 0
    return _np.isscalar(element) or isinstance(element, (builtins.bool, int, float, complex))


def array_equiv(a1, a2):
    a1, a2 = asarray_arg(a1), asarray_arg(a2)
    try:
        a1, a2 = lnp.broadcast_arrays(a1, a2)
    except ValueError:
        return Array(_np.bool_(False))
    from .reductions import all as _all
    return _all(uf.equal(a1, a2))


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    return repr(asarray_arg(arr))


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    return _np.array2string(_np.asarray(a), max_line_width=max_line_width,
                            precision=precision, suppress_small=suppress_small)


# --- window functions (constants: computed by NumPy, returned as arrays)
def _window(fn):
    def w(M, *args):
        return Array(fn(int(M), *args).astype(dtypes.default_float_dtype()))
    w.__name__ = fn.__name__
    return w


bartlett = _window(_np.bartlett)
blackman = _window(_np.blackman)
hamming = _window(_np.hamming)
hanning = _window(_np.hanning)
kaiser = _window(_np.kaiser)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    lin = linspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    out = uf.power(asarray(base, lin.dtype), lin)
    return out if dtype is None else lnp.astype(out, dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    start, stop = asarray_arg(start), asarray_arg(stop)
    out = logspace(uf.log10(start), uf.log10(stop), num, endpoint=endpoint, base=10.0,
                   axis=axis)
    # exact end points, as NumPy gives
    out = out.at[..., 0].set(start) if axis in (0, -1) and out.ndim == 1 else out
    if endpoint and out.ndim == 1:
        out = out.at[-1].set(stop)
    return out if dtype is None else lnp.astype(out, dtype)


def rollaxis(a, axis, start=0):
    a = asarray_arg(a)
    n = a.ndim
    axis = axis % n
    start = start % (n + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return lnp.moveaxis(a, axis, start)


def unstack(x, /, *, axis=0):
    x = asarray_arg(x)
    return tuple(lnp.moveaxis(x, axis, 0)[i] for i in range(x.shape[axis]))


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    x1, x2 = asarray_arg(x1), asarray_arg(x2)
    from .reductions import sum as _sum
    return _sum(uf.multiply(uf.conjugate(x1), x2), axis=axis)


def matvec(x1, x2, /):
    from .linalg_basic import matmul
    return lnp.squeeze(matmul(x1, lnp.expand_dims(x2, -1)), -1)


def vecmat(x1, x2, /):
    from .linalg_basic import matmul
    return lnp.squeeze(matmul(lnp.expand_dims(uf.conjugate(x1), -2), x2), -2)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = asarray_arg(y)
    from .reductions import sum as _sum
    n = y.shape[axis]
    y0 = lnp.moveaxis(y, axis, -1)
    mid = uf.multiply(uf.add(y0[..., 1:], y0[..., :-1]), 0.5)
    if x is None:
        return uf.multiply(_sum(mid, axis=-1), dx)
    x = lnp.moveaxis(asarray_arg(x), axis, -1) if asarray_arg(x).ndim > 1 else asarray_arg(x)
    d = uf.subtract(x[..., 1:], x[..., :-1])
    del n
    return _sum(uf.multiply(mid, d), axis=-1)


def spacing(x, /):
    x = asarray_arg(x)
    # distance to the next representable value away from zero (NumPy's sign convention)
    away = uf.multiply(uf.add(uf.sign(x), lnp.astype(uf.equal(x, 0), x.dtype)), _np.inf)
    return uf.subtract(uf.nextafter(x, away), x)


def bitwise_count(x, /):
    from ..lax.elementwise import population_count
    x = asarray_arg(x)
    if x.dtype.kind == "i":
        x = uf.absolute(x)
    return lnp.astype(population_count(x), _np.uint8)


def block(arrays):
    def depth(a):
        d = 0
        while isinstance(a, list):
            if not a:
                raise ValueError("jnp.block: empty lists are not allowed")
            a = a[0]
            d += 1
        return d
    D = depth(arrays)

    def rec(a, level):
        if not isinstance(a, list):
            x = asarray_arg(a)
            return lnp.reshape(x, (1,) * builtins.max(0, D - x.ndim) + x.shape) if x.ndim < D else x
        parts = [rec(b, level + 1) for b in a]
        return lnp.concatenate(parts, axis=level - D)
    return rec(arrays, 0)


def choose(a, choices, out=None, mode="raise"):
    a = asarray_arg(a)
    chs = lnp.stack([asarray_arg(c) for c in choices])
    n = chs.shape[0]
    if mode == "wrap":
        a = uf.remainder(a, n)
    elif mode == "clip":
        a = uf.clip(a, 0, n - 1)
    elif not isinstance(a, Tracer) and (_np.any(_np.asarray(a) < 0) or _np.any(_np.asarray(a) >= n)):
        raise ValueError("invalid entry in choice array")
    a, *rest = lnp.broadcast_arrays(a, *[chs[i] for i in range(n)])
    from ..lax.elementwise import select_n
    return select_n(lnp.astype(a, _np.int32), *rest)


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    a = asarray_arg(a)
    cond = _np.asarray(condition).astype(builtins.bool)
    if axis is None:
        a = lnp.ravel(a)
        axis = 0
    idx = _np.nonzero(cond)[0]
    idx = idx[idx < a.shape[axis]]
    from .indexing import take
    return take(a, Array(idx.astype(_np.int32)), axis=axis)


def extract(condition, arr, *, size=None, fill_value=0):
    return compress(lnp.ravel(asarray_arg(condition)) != 0, lnp.ravel(asarray_arg(arr)))


def fromfunction(function, shape, *, dtype=float, **kwargs):
    grids = [lnp.astype(g, dtypes.canonicalize_dtype(dtype)) for g in
             _np.indices(shape, dtype=_np.int64)]
    return function(*[asarray(g) for g in grids], **kwargs)


class _IndexGrid:
    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        axes = []
        for s in key:
            if isinstance(s.step, complex):
                axes.append(linspace(s.start or 0, s.stop, int(abs(s.step))))
            else:
                axes.append(arange(s.start or 0, s.stop, s.step or 1))
        if len(axes) == 1:
            return axes[0]
        grids = lnp.broadcast_arrays(*[lnp.reshape(x, tuple(-1 if i == j else 1 for j in range(len(axes))))
                                       for i, x in enumerate(axes)])
        if self.sparse:
            return tuple(lnp.reshape(x, tuple(-1 if i == j else 1 for j in range(len(axes))))
                         for i, x in enumerate(axes))
        return lnp.stack(grids)


mgrid = _IndexGrid(sparse=False)
ogrid = _IndexGrid(sparse=True)


class _Concatenator:
    def __init__(self, axis):
        self.axis = axis

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        parts = []
        for k in key:
            if isinstance(k, slice):
                if isinstance(k.step, complex):
                    parts.append(linspace(k.start or 0, k.stop, int(abs(k.step))))
                else:
                    parts.append(arange(k.start or 0, k.stop, k.step or 1))
            else:
                x = asarray_arg(k) if not isinstance(k, (list, tuple)) else array(k)
                parts.append(lnp.atleast_1d(x))
        if self.axis == -1:  # c_: columns
            parts = [lnp.reshape(p, (-1, 1)) if p.ndim == 1 else p for p in parts]
            return lnp.concatenate(parts, axis=1)
        return lnp.concatenate(parts, axis=0)


r_ = _Concatenator(0)
c_ = _Concatenator(-1)


def load(*args, **kwargs):
    out = _np.load(*args, **kwargs)
    return asarray(out) if isinstance(out, _np.ndarray) else out


def save(file, arr, *args, **kwargs):
    return _np.save(file, _np.asarray(arr), *args, **kwargs)


def savez(file, *args, **kwds):
    return _np.savez(file, *[_np.asarray(a) for a in args], **{k: _np.asarray(v) for k, v in kwds.items()})


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    return asarray(_np.frombuffer(buffer, dtype=dtype, count=count, offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
    return asarray(_np.fromstring(string, dtype=dtype, count=count, sep=sep))


def fromiter(*args, **kwargs):
    raise NotImplementedError("jnp.fromiter is not implemented (as in JAX): use "
                              "jnp.asarray(np.fromiter(...)).")


def fromfile(*args, **kwargs):
    raise NotImplementedError("jnp.fromfile is not implemented (as in JAX): use "
                              "jnp.asarray(np.fromfile(...)).")


_unused = contextlib
