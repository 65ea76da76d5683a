"""Array manipulation, polynomial, histogram and statistics functions of
cotan.numpy, composed from lax operations (no new primitives)."""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import core, dtypes
from ..core import Array, Tracer
from ..lax import control_flow as _cf
from ..lax import elementwise as lx
from ..lax import indexing as _li
from ..lax import structural as st
from . import creation as cr
from . import indexing as ix
from . import lax_numpy as lnp
from . import linalg_basic as lb
from . import reductions as red
from . import ufuncs as uf
from .util import (asarray_arg, broadcast_shapes, broadcast_to_shape, canonicalize_axes,
                   canonicalize_axis, convert, promote_args, promote_dtypes,
                   promote_dtypes_inexact, to_inexact)

_int = builtins.int
_abs = builtins.abs
_range = builtins.range


def _int_dtype():
    return dtypes.canonicalize_dtype(np.int64)


def _float_dtype():
    return dtypes.canonicalize_dtype(np.float64)


def _concrete_int(x, what):
    if isinstance(x, Tracer):
        try:
            return operator.index(x)
        except Exception:
            raise core.ConcretizationTypeError(
                f"{what} must be a concrete value (it fixes an output shape)") from None
    return operator.index(x) if not isinstance(x, Array) else _int(np.asarray(x._value))


def _concrete(x, what):
    """``x`` as a NumPy array; raises for tracers."""
    if isinstance(x, Tracer):
        raise TypeError(f"{what} must be concrete (not a traced value): it fixes an output shape")
    if isinstance(x, Array):
        return np.asarray(x._value)
    if isinstance(x, (list, tuple)):
        return np.asarray([_concrete(v, what) for v in x]) if any(
            isinstance(v, Array) for v in x) else np.asarray(x)
    return np.asarray(x)


def _sl(x, start, stop, axis, stride=1):
    return st.slice_in_dim(x, start, stop, stride, axis)


def _iarr(v, dtype=None):
    """A concrete index array (canonical int dtype)."""
    return Array(np.asarray(v, dtype=dtype or _int_dtype()), False)


def _take(x, idx, axis):
    return ix.take(x, _iarr(idx), axis=axis)


# -- roll / flip / rot90 --------------------------------------------------------------------

def _roll_static(a, shift, axis):
    n = a.shape[axis]
    if n == 0:
        return a
    s = shift % n
    if s == 0:
        return a
    return lnp.concatenate([_sl(a, n - s, n, axis), _sl(a, 0, n - s, axis)], axis=axis)


def _roll_dynamic(a, shift, axis):
    n = a.shape[axis]
    if n == 0:
        return a
    shift = convert(asarray_arg(shift), _int_dtype())
    start = uf.remainder(-shift, n)
    doubled = lnp.concatenate([a, a], axis=axis)
    return _li.dynamic_slice_in_dim(doubled, start, n, axis)


def roll(a, shift, axis=None):
    """Roll elements of ``a`` by ``shift`` along ``axis`` (flattened when None)."""
    a = asarray_arg(a)
    if axis is None:
        return lnp.reshape(roll(lnp.ravel(a), shift, 0), a.shape)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    shifts = shift if isinstance(shift, (tuple, list)) else None
    if shifts is None:
        sh = asarray_arg(shift) if isinstance(shift, Array) else shift
        if isinstance(sh, Array) and sh.ndim == 1:
            shifts = [sh[i] for i in _range(sh.shape[0])]
        else:
            shifts = [shift] * len(axes)
    if len(axes) == 1 and len(shifts) > 1:
        axes = axes * len(shifts)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = list(shifts) * len(axes)
    if len(shifts) != len(axes):
        raise ValueError("roll: shift and axis must have the same length")
    for s, ax in zip(shifts, axes):
        ax = canonicalize_axis(ax, a.ndim)
        if isinstance(s, Tracer):
            a = _roll_dynamic(a, s, ax)
        else:
            a = _roll_static(a, _int(np.asarray(s._value if isinstance(s, Array) else s)), ax)
    return a


def flip(m, axis=None):
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    m = asarray_arg(m)
    axes = canonicalize_axes(axis, m.ndim)
    if not axes:
        return m
    return _li.rev(m, tuple(axes))


def fliplr(m):
    m = asarray_arg(m)
    if m.ndim < 2:
        raise ValueError("fliplr requires an array of at least 2 dimensions")
    return flip(m, 1)


def flipud(m):
    m = asarray_arg(m)
    if m.ndim < 1:
        raise ValueError("flipud requires an array of at least 1 dimension")
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    m = asarray_arg(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    a0, a1 = canonicalize_axis(axes[0], m.ndim), canonicalize_axis(axes[1], m.ndim)
    if a0 == a1:
        raise ValueError("Axes must be different.")
    k = _int(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    perm = list(_range(m.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return lnp.transpose(flip(m, a1), perm)
    return flip(lnp.transpose(m, perm), a1)


# -- tile / repeat --------------------------------------------------------------------------

def tile(A, reps):
    """Repeat ``A`` the number of times given by ``reps`` along each axis."""
    A = asarray_arg(A)
    reps = (reps,) if np.ndim(reps) == 0 and not isinstance(reps, (tuple, list)) else tuple(reps)
    reps = tuple(_concrete_int(r, "tile reps") for r in reps)
    nd = builtins.max(len(reps), A.ndim)
    reps = (1,) * (nd - len(reps)) + reps
    A = lnp.reshape(A, (1,) * (nd - A.ndim) + A.shape)
    inter = []
    for r, d in zip(reps, A.shape):
        inter += [r, d]
    b = st.broadcast_in_dim(A, tuple(inter), tuple(_range(1, 2 * nd, 2)))
    return lnp.reshape(b, tuple(r * d for r, d in zip(reps, A.shape)))


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Repeat each element of ``a`` ``repeats`` times. Traced ``repeats`` need
    ``total_repeat_length`` (output padded with the last element or truncated)."""
    a = asarray_arg(a)
    if axis is None:
        a = lnp.ravel(a)
        axis = 0
    axis = canonicalize_axis(axis, a.ndim)
    n = a.shape[axis]
    if not isinstance(repeats, Tracer) and np.ndim(_concrete(repeats, "repeats")) == 0:
        r = _int(_concrete(repeats, "repeats"))
        if r < 0:
            raise ValueError("repeats may not contain negative values")
        shape = a.shape[:axis + 1] + (r,) + a.shape[axis + 1:]
        dims = tuple(i for i in _range(a.ndim + 1) if i != axis + 1)
        out = st.broadcast_in_dim(a, shape, dims)
        out = lnp.reshape(out, a.shape[:axis] + (n * r,) + a.shape[axis + 1:])
        if total_repeat_length is not None:
            out = _fit_length(out, _int(total_repeat_length), axis)
        return out
    if not isinstance(repeats, Tracer):
        reps = np.broadcast_to(_concrete(repeats, "repeats"), (n,))
        idx = np.repeat(np.arange(n), reps)
        if total_repeat_length is not None:
            L = _int(total_repeat_length)
            idx = np.concatenate([idx, np.full(builtins.max(L - idx.size, 0), n - 1)])[:L]
        return _take(a, idx, axis)
    if total_repeat_length is None:
        raise core.ConcretizationTypeError(
            "jnp.repeat with traced repeats needs a static total_repeat_length")
    L = _int(total_repeat_length)
    reps = broadcast_to_shape(convert(asarray_arg(repeats), _int_dtype()), (n,))
    ends = red.cumsum(reps)
    pos = cr.arange(L, dtype=_int_dtype())
    idx = red.sum(convert(uf.less_equal(ends[None, :], pos[:, None]), _int_dtype()), axis=1)
    idx = uf.minimum(idx, n - 1)
    return ix.take(a, idx, axis=axis)


def _fit_length(x, L, axis):
    n = x.shape[axis]
    if L <= n:
        return _sl(x, 0, L, axis)
    idx = np.concatenate([np.arange(n), np.full(L - n, n - 1)])
    return _take(x, idx, axis)


# -- split family ---------------------------------------------------------------------------

def _split(ary, indices_or_sections, axis, exact):
    ary = asarray_arg(ary)
    axis = canonicalize_axis(axis, ary.ndim)
    n = ary.shape[axis]
    ios = indices_or_sections
    if isinstance(ios, (Array, np.ndarray, list, tuple)) and np.ndim(_concrete(ios, "split indices")) == 1:
        cuts = [_int(i) for i in _concrete(ios, "split indices")]
        bounds = [0] + [builtins.min(builtins.max(c if c >= 0 else c + n, 0), n) for c in cuts] + [n]
    else:
        k = _int(_concrete(ios, "number of sections"))
        if k <= 0:
            raise ValueError("number sections must be larger than 0.")
        if exact and n % k:
            raise ValueError("array split does not result in an equal division")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        bounds = list(np.cumsum([0] + sizes))
    out = []
    for s, e in zip(bounds[:-1], bounds[1:]):
        e = builtins.max(e, s)
        out.append(_sl(ary, _int(s), _int(e), axis))
    return out


def split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, True)


def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, False)


def hsplit(ary, indices_or_sections):
    ary = asarray_arg(ary)
    if ary.ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if ary.ndim > 1 else 0)


def vsplit(ary, indices_or_sections):
    ary = asarray_arg(ary)
    if ary.ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    ary = asarray_arg(ary)
    if ary.ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


# -- pad ------------------------------------------------------------------------------------

def _pairs(value, nd, name, cast=int):
    v = value
    if isinstance(v, Tracer):
        raise TypeError(f"pad: {name} must be concrete")
    arr = np.asarray(_concrete(v, name) if isinstance(v, (Array, list, tuple)) else v, dtype=object)
    try:
        arr = np.broadcast_to(arr, (nd, 2))
    except ValueError:
        raise ValueError(f"pad: {name} {value!r} cannot be broadcast to ({nd}, 2)") from None
    return [(cast(a), cast(b)) for a, b in arr.tolist()]


def _value_pairs(value, nd):
    """Per-axis (before, after) scalar values, possibly traced."""
    if isinstance(value, Tracer) or (isinstance(value, Array) and value.ndim == 0):
        v = asarray_arg(value)
        if v.ndim == 0:
            return [(v, v)] * nd
    if isinstance(value, Array):
        vals = value
    else:
        vals = None
    if vals is not None:
        vals = broadcast_to_shape(vals if vals.ndim != 1 else lnp.reshape(vals, (1, vals.shape[0])),
                                  (nd, 2)) if vals.ndim <= 2 else vals
        return [(vals[i, 0], vals[i, 1]) for i in _range(nd)]
    arr = np.broadcast_to(np.asarray(value, dtype=object), (nd, 2))
    return [(a, b) for a, b in arr.tolist()]


def _full_like_axis(x, value, axis, count):
    shape = x.shape[:axis] + (count,) + x.shape[axis + 1:]
    v = asarray_arg(value)
    v = convert(v, x.dtype) if v.dtype != x.dtype else v
    if v.ndim == 0:
        return broadcast_to_shape(v, shape)
    return broadcast_to_shape(v, shape)


def _matrix_pad_axis(x, M, axis):
    """out[..., i, ...] = sum_j M[i, j] x[..., j, ...] along ``axis``."""
    Mt = Array(np.asarray(M, dtype=x.dtype), False)
    y = lb.tensordot(Mt, x, axes=([1], [axis]))
    return lnp.moveaxis(y, 0, axis)


def _stat(x, axis, start, stop, fn):
    part = _sl(x, start, stop, axis)
    return fn(part, axis=axis, keepdims=True)


def pad(array, pad_width, mode="constant", **kwargs):
    """Pad an array (modes: constant edge reflect symmetric wrap linear_ramp
    maximum minimum mean median empty, or a callable)."""
    x = asarray_arg(array)
    nd = x.ndim
    pw = _pairs(pad_width, nd, "pad_width")
    for a, b in pw:
        if a < 0 or b < 0:
            raise ValueError("index can't contain negative values")
    if callable(mode):
        return _pad_callable(x, pw, mode, kwargs)
    allowed = {"constant": {"constant_values"}, "edge": set(), "wrap": set(),
               "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
               "linear_ramp": {"end_values"}, "maximum": {"stat_length"},
               "minimum": {"stat_length"}, "mean": {"stat_length"}, "median": {"stat_length"},
               "empty": set()}
    if mode not in allowed:
        raise ValueError(f"Unimplemented padding mode '{mode}' for np.pad.")
    bad = set(kwargs) - allowed[mode]
    if bad:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {sorted(bad)}")
    if mode in ("constant", "empty"):
        cv = kwargs.get("constant_values", 0) if mode == "constant" else 0
        vals = _value_pairs(cv, nd)
        for ax, ((b, a), (vb, va)) in enumerate(zip(pw, vals)):
            if b == 0 and a == 0:
                continue
            parts = []
            if b:
                parts.append(_full_like_axis(x, vb, ax, b))
            parts.append(x)
            if a:
                parts.append(_full_like_axis(x, va, ax, a))
            x = lnp.concatenate(parts, axis=ax)
        return x
    if mode in ("edge", "wrap", "reflect", "symmetric"):
        odd = kwargs.get("reflect_type", "even") == "odd"
        if kwargs.get("reflect_type", "even") not in ("even", "odd"):
            raise ValueError("reflect_type must be 'even' or 'odd'")
        for ax, (b, a) in enumerate(pw):
            n = x.shape[ax]
            if b == 0 and a == 0:
                continue
            if n == 0:
                raise ValueError(f"can't extend empty axis {ax} using modes other than 'constant' or 'empty'")
            if mode in ("reflect", "symmetric") and odd:
                M = np.pad(np.eye(n), ((b, a), (0, 0)), mode=mode, reflect_type="odd")
                if dtypes.issubdtype(x.dtype, np.inexact):
                    x = _matrix_pad_axis(x, M, ax)
                else:
                    x = convert(uf.round(_matrix_pad_axis(convert(x, _float_dtype()), M, ax)), x.dtype)
            else:
                idx = np.pad(np.arange(n), (b, a), mode=mode)
                x = _take(x, idx, ax)
        return x
    if mode == "linear_ramp":
        ev = _value_pairs(kwargs.get("end_values", 0), nd)
        for ax, ((b, a), (eb, ea)) in enumerate(zip(pw, ev)):
            n = x.shape[ax]
            if b == 0 and a == 0:
                continue
            xin = x if dtypes.issubdtype(x.dtype, np.inexact) else convert(x, _float_dtype())
            edge_b = _sl(xin, 0, 1, ax)
            edge_a = _sl(xin, n - 1, n, ax)
            parts = []
            if b:
                t = np.arange(b, dtype=np.float64) / b       # 0 at the far end
                t = Array(t.astype(xin.dtype).reshape((b,) + (1,) * (nd - ax - 1)), False)
                eb_ = convert(asarray_arg(eb), xin.dtype)
                parts.append(eb_ + (edge_b - eb_) * t)
            parts.append(xin)
            if a:
                t = np.arange(a - 1, -1, -1, dtype=np.float64) / a
                t = Array(t.astype(xin.dtype).reshape((a,) + (1,) * (nd - ax - 1)), False)
                ea_ = convert(asarray_arg(ea), xin.dtype)
                parts.append(ea_ + (edge_a - ea_) * t)
            out = lnp.concatenate(parts, axis=ax)
            if out.dtype != x.dtype:
                out = convert(uf.round(out) if dtypes.issubdtype(x.dtype, np.integer) else out, x.dtype)
            x = out
        return x
    # statistic modes
    sl = kwargs.get("stat_length", None)
    fns = {"maximum": red.max, "minimum": red.min, "mean": red.mean, "median": median}
    fn = fns[mode]
    for ax, (b, a) in enumerate(pw):
        n = x.shape[ax]
        if b == 0 and a == 0:
            continue
        if sl is None:
            lb_, la_ = n, n
        else:
            lb_, la_ = _pairs(sl, nd, "stat_length")[ax]
            lb_, la_ = builtins.min(builtins.max(lb_, 1), n), builtins.min(builtins.max(la_, 1), n)
        if n == 0:
            raise ValueError(f"can't extend empty axis {ax} using modes other than 'constant' or 'empty'")
        sb = _stat(x, ax, 0, lb_, fn)
        sa = _stat(x, ax, n - la_, n, fn)
        if sb.dtype != x.dtype:
            if dtypes.issubdtype(x.dtype, np.integer):
                sb, sa = uf.round(sb), uf.round(sa)
            sb, sa = convert(sb, x.dtype), convert(sa, x.dtype)
        parts = []
        if b:
            parts.append(broadcast_to_shape(sb, x.shape[:ax] + (b,) + x.shape[ax + 1:]))
        parts.append(x)
        if a:
            parts.append(broadcast_to_shape(sa, x.shape[:ax] + (a,) + x.shape[ax + 1:]))
        x = lnp.concatenate(parts, axis=ax)
    return x


def _pad_callable(x, pw, func, kwargs):
    from ..api import vmap
    x = pad(x, [(b, a) for b, a in pw], mode="constant")
    for ax in _range(x.ndim):
        moved = lnp.moveaxis(x, ax, -1)
        shp = moved.shape
        flat = lnp.reshape(moved, (-1, shp[-1]))
        f = vmap(lambda v, ax=ax: asarray_arg(func(v, pw[ax], ax, kwargs)))
        flat = f(flat)
        x = lnp.moveaxis(lnp.reshape(flat, shp), -1, ax)
    return x


# -- differences ----------------------------------------------------------------------------

def diff(a, n=1, axis=-1, prepend=None, append=None):
    """n-th discrete difference along ``axis``."""
    a = asarray_arg(a)
    n = _concrete_int(n, "diff order n")
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    if n == 0:
        return a
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = canonicalize_axis(axis, a.ndim)
    parts = []
    for v, pos in ((prepend, 0), (append, 1)):
        if v is not None:
            v = asarray_arg(v)
            if v.ndim == 0:
                v = broadcast_to_shape(v, a.shape[:axis] + (1,) + a.shape[axis + 1:])
            parts.append((pos, v))
    if parts:
        pre = [v for p, v in parts if p == 0]
        post = [v for p, v in parts if p == 1]
        a = lnp.concatenate(pre + [a] + post, axis=axis)
    op = uf.not_equal if a.dtype == np.bool_ else uf.subtract
    for _ in _range(n):
        m = a.shape[axis]
        a = op(_sl(a, 1, m, axis), _sl(a, 0, builtins.max(m - 1, 0), axis))
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences between consecutive elements of the flattened array."""
    ary = lnp.ravel(asarray_arg(ary))
    out = diff(ary) if ary.shape[0] else ary
    parts = []
    if to_begin is not None:
        parts.append(lnp.ravel(convert(asarray_arg(to_begin), out.dtype)))
    parts.append(out)
    if to_end is not None:
        parts.append(lnp.ravel(convert(asarray_arg(to_end), out.dtype)))
    return lnp.concatenate(parts) if len(parts) > 1 else out


def gradient(f, *varargs, axis=None, edge_order=None):
    """Second-order central differences inside, first-order at the edges
    (JAX: ``edge_order`` is not supported)."""
    if edge_order is not None:
        raise NotImplementedError("The 'edge_order' argument to jnp.gradient is not supported.")
    f = to_inexact(f)
    axes = canonicalize_axes(axis, f.ndim)
    if not axes:
        return []
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError("Invalid number of spacing arguments")
    out = []
    for ax, h in zip(axes, spacings):
        n = f.shape[ax]
        if n < 2:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        hv = asarray_arg(h)
        if hv.ndim == 0:
            g_in = (_sl(f, 2, n, ax) - _sl(f, 0, n - 2, ax)) / (2.0 * hv)
            g0 = (_sl(f, 1, 2, ax) - _sl(f, 0, 1, ax)) / hv
            g1 = (_sl(f, n - 1, n, ax) - _sl(f, n - 2, n - 1, ax)) / hv
        else:
            if hv.ndim != 1 or hv.shape[0] != n:
                raise ValueError("when 1d, distances must match the length of the corresponding dimension")
            hv = to_inexact(hv)
            dx = diff(hv)
            shp = [1] * f.ndim
            shp[ax] = -1
            dx1 = lnp.reshape(_sl(dx, 0, n - 2, 0), shp)
            dx2 = lnp.reshape(_sl(dx, 1, n - 1, 0), shp)
            a_ = -dx2 / (dx1 * (dx1 + dx2))
            b_ = (dx2 - dx1) / (dx1 * dx2)
            c_ = dx1 / (dx2 * (dx1 + dx2))
            g_in = (a_ * _sl(f, 0, n - 2, ax) + b_ * _sl(f, 1, n - 1, ax) + c_ * _sl(f, 2, n, ax))
            g0 = (_sl(f, 1, 2, ax) - _sl(f, 0, 1, ax)) / lnp.reshape(_sl(dx, 0, 1, 0), [1 if i != ax else 1 for i in _range(f.ndim)])
            g1 = (_sl(f, n - 1, n, ax) - _sl(f, n - 2, n - 1, ax)) / lnp.reshape(_sl(dx, n - 2, n - 1, 0), [1] * f.ndim)
        out.append(lnp.concatenate([g0, g_in, g1], axis=ax) if n > 2 else lnp.concatenate([g0, g1], axis=ax))
    return out[0] if len(out) == 1 else out


# -- searching helpers (comparison counts; no sort primitive needed) -------------------------

def _searchsorted(a, v, side="left"):
    """Insertion indices of ``v`` into the sorted 1-D ``a`` (O(len(a)*v.size))."""
    a = asarray_arg(a)
    v = asarray_arg(v)
    a, v = promote_dtypes(a, v)
    cmp = uf.less if side == "left" else uf.less_equal
    c = cmp(lnp.reshape(a, (1,) * v.ndim + a.shape), lnp.expand_dims(v, -1))
    return red.sum(convert(c, np.int32), axis=-1, dtype=np.int32)


def interp(x, xp, fp, left=None, right=None, period=None):
    """One-dimensional piecewise-linear interpolation."""
    x, xp, fp = promote_dtypes_inexact(x, xp, fp)
    if xp.ndim != 1 or fp.ndim != 1:
        raise ValueError("xp and fp must be one-dimensional")
    if xp.shape[0] != fp.shape[0]:
        raise ValueError("xp and fp must have the same length")
    if period is not None:
        if left is not None or right is not None:
            raise ValueError("left and right must be None when period is given")
        period = uf.abs(asarray_arg(period))
        x = uf.remainder(x, period)
        xp = uf.remainder(xp, period)
        order = _argsort(xp)
        xp = ix.take(xp, order)
        fp = ix.take(fp, order)
        xp = lnp.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = lnp.concatenate([fp[-1:], fp, fp[:1]])
    n = xp.shape[0]
    i = uf.clip(_searchsorted(xp, x, side="right"), 1, n - 1)
    x0, x1 = ix.take(xp, i - 1), ix.take(xp, i)
    f0, f1 = ix.take(fp, i - 1), ix.take(fp, i)
    dx = x1 - x0
    delta = x - x0
    zero = uf.less_equal(uf.abs(dx), 0)
    safe = lnp.where(zero, 1, dx)
    f = lnp.where(zero, f0, f0 + (delta / safe) * (f1 - f0))
    if period is None:
        lval = fp[0] if left is None else left
        rval = fp[-1] if right is None else right
        f = lnp.where(uf.less(x, xp[0]), lval, f)
        f = lnp.where(uf.greater(x, xp[-1]), rval, f)
    return f


def digitize(x, bins, right=False, *, method=None):
    """Indices of the bins to which each value belongs (bins monotonic)."""
    x = asarray_arg(x)
    bins = asarray_arg(bins)
    if bins.ndim != 1:
        raise ValueError(f"digitize: bins must be a 1-dimensional array; got bins={bins}")
    if bins.shape[0] == 0:
        return cr.zeros(x.shape, dtype=np.int32)
    side = "left" if right else "right"
    inc = _searchsorted(bins, x, side)
    dec = bins.shape[0] - _searchsorted(flip(bins), x, side)
    return lnp.where(uf.greater_equal(bins[-1], bins[0]), inc, dec)


# -- sorting ----------------------------------------------------------------------------

def _argsort(x, axis=-1):
    from .sorting import argsort
    return argsort(x, axis=axis)


def _sort(x, axis=-1):
    from .sorting import sort
    return sort(x, axis=axis)


# -- quantiles ------------------------------------------------------------------------------

def _quantile(a, q, axis, method, keepdims, squash_nans, name):
    a = to_inexact(a)
    if dtypes.issubdtype(a.dtype, np.complexfloating):
        raise ValueError(f"{name} does not support complex input")
    q = asarray_arg(q)
    if not dtypes.issubdtype(q.dtype, np.inexact):
        q = convert(q, a.dtype)
    if q.ndim > 1:
        raise ValueError(f"q must be have rank <= 1, got shape {q.shape}")
    q = convert(q, a.dtype) if q.dtype != a.dtype else q
    if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(f"{name}: method {method!r} is not supported")
    orig_shape = a.shape
    if axis is None:
        a = lnp.ravel(a)
        axes = (0,)
    else:
        axes = canonicalize_axes(axis, a.ndim)
    keep_shape = tuple(1 if i in axes else d for i, d in enumerate(orig_shape))
    # move reduced axes last and merge them
    others = [i for i in _range(a.ndim) if i not in axes]
    a = lnp.transpose(a, others + list(axes))
    red_shape = tuple(a.shape[len(others):])
    n = _int(np.prod(red_shape, dtype=np.int64))
    a = lnp.reshape(a, a.shape[:len(others)] + (n,))
    s = _sort(a, axis=-1)
    if squash_nans:
        counts = red.sum(convert(uf.logical_not(uf.isnan(a)), a.dtype), axis=-1, keepdims=True)
    else:
        counts = cr.full(a.shape[:-1] + (1,), n, dtype=a.dtype)
    qs = lnp.reshape(q, (-1,))          # (k,)
    pos = qs * (counts - 1)             # (..., k)
    lo = uf.floor(pos)
    hi = uf.ceil(pos)
    nmax = uf.maximum(counts - 1, 0)
    lo_i = convert(uf.clip(lo, 0, nmax), np.int32)
    hi_i = convert(uf.clip(hi, 0, nmax), np.int32)
    vlo = ix.take_along_axis(s, lo_i, axis=-1)
    vhi = ix.take_along_axis(s, hi_i, axis=-1)
    if method == "linear":
        t = pos - lo
        r = vlo + (vhi - vlo) * t
        r = lnp.where(uf.equal(t, 0), vlo, r)
    elif method == "lower":
        r = vlo
    elif method == "higher":
        r = vhi
    elif method == "midpoint":
        r = (vlo + vhi) * 0.5
    else:  # nearest: round half to even like NumPy
        near = convert(uf.clip(uf.round(pos), 0, nmax), np.int32)
        r = ix.take_along_axis(s, near, axis=-1)
    if squash_nans:
        r = lnp.where(uf.equal(counts, 0), np.nan, r)
    else:
        anynan = red.any(uf.isnan(a), axis=-1, keepdims=True)
        r = lnp.where(anynan, np.nan, r)
    # r: (..., k) -> q.shape + result shape
    r = lnp.moveaxis(r, -1, 0)
    out_shape = keep_shape if keepdims else tuple(d for i, d in enumerate(orig_shape) if i not in axes)
    if axis is None:
        out_shape = (1,) * len(orig_shape) if keepdims else ()
    return lnp.reshape(r, q.shape + out_shape)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, interpolation=None):
    if interpolation is not None:
        method = interpolation
    return _quantile(a, q, axis, method, keepdims, False, "quantile")


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, interpolation=None):
    if interpolation is not None:
        method = interpolation
    return _quantile(a, q, axis, method, keepdims, True, "nanquantile")


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, interpolation=None):
    q = uf.true_divide(to_inexact(q), 100.0)
    return quantile(a, q, axis, method=method, keepdims=keepdims, interpolation=interpolation)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, interpolation=None):
    q = uf.true_divide(to_inexact(q), 100.0)
    return nanquantile(a, q, axis, method=method, keepdims=keepdims, interpolation=interpolation)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile(a, 0.5, axis, "midpoint", keepdims, False, "median")


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile(a, 0.5, axis, "midpoint", keepdims, True, "nanmedian")


# -- grids, triangles, diagonals ------------------------------------------------------------

def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for indexing are 'xy' and 'ij', got {indexing}")
    xs = [asarray_arg(x) for x in xi]
    for x in xs:
        if x.ndim != 1:
            raise ValueError(f"Arguments to jax.numpy.meshgrid must be 1D, got shape {x.shape}")
    shape = [x.shape[0] for x in xs]
    if indexing == "xy" and len(xs) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    nd = len(xs)
    for i, x in enumerate(xs):
        d = i
        if indexing == "xy" and nd >= 2 and i < 2:
            d = 1 - i
        if sparse:
            s = [1] * nd
            s[d] = x.shape[0]
            out.append(lnp.reshape(x, tuple(s)))
        else:
            out.append(st.broadcast_in_dim(x, tuple(shape), (d,)))
    return out


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    dt = dtypes.canonicalize_dtype(dtype if dtype is not None else np.float64)
    return Array(np.tri(_int(N), _int(M), _int(k), dtype=dt), False)


def _tri_mask(shape, k, lower):
    n, m = shape[-2], shape[-1]
    return Array(np.tri(n, m, k, dtype=bool) if lower else ~np.tri(n, m, k - 1, dtype=bool), False)


def tril(m, k=0):
    m = asarray_arg(m)
    if m.ndim < 2:
        raise ValueError("Argument to jax.numpy.tril must be at least 2D")
    return lnp.where(_tri_mask(m.shape, _int(k), True), m, cr.zeros((), m.dtype))


def triu(m, k=0):
    m = asarray_arg(m)
    if m.ndim < 2:
        raise ValueError("Argument to jax.numpy.triu must be at least 2D")
    return lnp.where(_tri_mask(m.shape, _int(k), False), m, cr.zeros((), m.dtype))


def _idx_arrays(t):
    dt = dtypes.canonicalize_dtype(np.int32)
    return tuple(Array(np.asarray(v, dtype=dt), False) for v in t)


def tril_indices(n, k=0, m=None):
    return _idx_arrays(np.tril_indices(_int(n), _int(k), None if m is None else _int(m)))


def triu_indices(n, k=0, m=None):
    return _idx_arrays(np.triu_indices(_int(n), _int(k), None if m is None else _int(m)))


def tril_indices_from(arr, k=0):
    s = asarray_arg(arr).shape
    if len(s) != 2:
        raise ValueError("Only 2-D inputs are accepted")
    return tril_indices(s[0], k, s[1])


def triu_indices_from(arr, k=0):
    s = asarray_arg(arr).shape
    if len(s) != 2:
        raise ValueError("Only 2-D inputs are accepted")
    return triu_indices(s[0], k, s[1])


def diag_indices(n, ndim=2):
    return _idx_arrays(np.diag_indices(_int(n), _int(ndim)))


def diag_indices_from(arr):
    a = asarray_arg(arr)
    if a.ndim < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(a.shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return diag_indices(a.shape[0], a.ndim)


def diagonal(a, offset=0, axis1=0, axis2=1):
    a = asarray_arg(a)
    if a.ndim < 2:
        raise ValueError("diagonal requires an array of at least two dimensions.")
    a1, a2 = canonicalize_axis(axis1, a.ndim), canonicalize_axis(axis2, a.ndim)
    if a1 == a2:
        raise ValueError("axis1 and axis2 must not be equal")
    a = lnp.moveaxis(a, (a1, a2), (-2, -1))
    n, m = a.shape[-2], a.shape[-1]
    offset = _int(offset)
    i = np.arange(builtins.max(0, -offset), n)
    j = i + offset
    keep = (j >= 0) & (j < m)
    i, j = i[keep], j[keep]
    if i.size == 0:
        return cr.zeros(a.shape[:-2] + (0,), a.dtype)
    flat = lnp.reshape(a, a.shape[:-2] + (n * m,))
    return _take(flat, i * m + j, flat.ndim - 1)


def diag(v, k=0):
    v = asarray_arg(v)
    k = _int(k)
    if v.ndim == 1:
        n = v.shape[0] + _abs(k)
        i = np.arange(v.shape[0]) + builtins.max(-k, 0)
        j = np.arange(v.shape[0]) + builtins.max(k, 0)
        out = cr.zeros((n * n,), v.dtype)
        out = out.at[_iarr(i * n + j)].set(v)
        return lnp.reshape(out, (n, n))
    if v.ndim == 2:
        return diagonal(v, k)
    raise ValueError("diag input must be 1d or 2d")


def diagflat(v, k=0):
    return diag(lnp.ravel(asarray_arg(v)), k)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.trace is not supported.")
    return red.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """Functional fill_diagonal: needs ``inplace=False`` (arrays are immutable)."""
    if inplace:
        raise NotImplementedError("JAX arrays are immutable, must use inplace=False")
    a = asarray_arg(a)
    if a.ndim < 2:
        raise ValueError("array must be at least 2-d")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    if a.ndim == 2:
        step = a.shape[1] + 1
        end = None if wrap else a.shape[1] * a.shape[1]
    else:
        step = 1 + _int(np.cumprod(a.shape[:-1]).sum())
        end = None
    idx = np.arange(a.size)[:end:step]
    v = lnp.ravel(convert(asarray_arg(val), a.dtype))
    if v.shape[0] == 0:
        return a
    reps = -(-idx.size // v.shape[0])
    v = _sl(tile(v, reps), 0, idx.size, 0)
    flat = lnp.ravel(a).at[_iarr(idx)].set(v)
    return lnp.reshape(flat, a.shape)


# -- functional programming -----------------------------------------------------------------

def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    from ..api import vmap
    arr = asarray_arg(arr)
    nd = arr.ndim
    axis = canonicalize_axis(axis, nd)

    def func(x):
        return func1d(x, *args, **kwargs)
    for i in _range(1, nd - axis):
        func = vmap(func, in_axes=i, out_axes=-1)
    for i in _range(axis):
        func = vmap(func, in_axes=0, out_axes=0)
    return func(arr)


def apply_over_axes(func, a, axes):
    a = asarray_arg(a)
    for axis in axes:
        b = asarray_arg(func(a, axis))
        if b.ndim == a.ndim - 1:
            b = lnp.expand_dims(b, axis)
        elif b.ndim != a.ndim:
            raise ValueError("function is not returning an array of the correct shape")
        a = b
    return a


def _parse_sig(signature):
    import re
    sig = signature.replace(" ", "")
    m = re.match(r"^(\(.*?\)(?:,\(.*?\))*)->(\(.*?\)(?:,\(.*?\))*)$", sig)
    if not m:
        raise ValueError(f"not a valid gufunc signature: {signature}")

    def groups(s):
        return [tuple(d for d in g.split(",") if d) for g in re.findall(r"\((.*?)\)", s)]
    return groups(m.group(1)), groups(m.group(2))


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """NumPy-style vectorize, implemented with nested vmap."""
    from functools import wraps
    from ..api import vmap

    excluded = set(excluded)

    @wraps(pyfunc)
    def wrapped(*args, **kwargs):
        kw_ex = {k: v for k, v in kwargs.items() if k in excluded}
        kw_in = {k: v for k, v in kwargs.items() if k not in excluded}
        pos_ex = {i: a for i, a in enumerate(args) if i in excluded}
        pos_in = [i for i in _range(len(args)) if i not in excluded]
        names = list(kw_in)
        vals = [asarray_arg(args[i]) for i in pos_in] + [asarray_arg(kw_in[k]) for k in names]
        if signature is not None:
            in_core, out_core = _parse_sig(signature)
            if len(in_core) != len(vals):
                raise TypeError(f"wrong number of positional arguments: expected {len(in_core)}, got {len(vals)}")
        else:
            in_core, out_core = [()] * len(vals), None
        sizes = {}
        loop_shapes = []
        for v, cd in zip(vals, in_core):
            if v.ndim < len(cd):
                raise ValueError(f"input with shape {v.shape} does not have enough dimensions for core dimensions {cd}")
            for name, d in zip(cd, v.shape[v.ndim - len(cd):]):
                if sizes.setdefault(name, d) != d:
                    raise ValueError(f"inconsistent size for core dimension {name!r}: {sizes[name]} vs {d}")
            loop_shapes.append(v.shape[:v.ndim - len(cd)])
        bshape = broadcast_shapes(*loop_shapes) if loop_shapes else ()
        vals = [broadcast_to_shape(v, bshape + v.shape[v.ndim - len(cd):]) for v, cd in zip(vals, in_core)]

        def core_fn(*vs):
            full = list(args)
            for i, v in zip(pos_in, vs[:len(pos_in)]):
                full[i] = v
            for i, a in pos_ex.items():
                full[i] = a
            kws = dict(kw_ex)
            kws.update(zip(names, vs[len(pos_in):]))
            out = pyfunc(*full, **kws)
            if isinstance(out, tuple):
                return tuple(asarray_arg(o) for o in out)
            return asarray_arg(out)

        f = core_fn
        for _ in bshape:
            f = vmap(f)
        return f(*vals)
    return wrapped


def piecewise(x, condlist, funclist, *args, **kw):
    """Evaluate a piecewise-defined function (later conditions take priority)."""
    x = asarray_arg(x)
    if isinstance(condlist, Array) and condlist.ndim == x.ndim:
        condlist = [condlist]
    elif isinstance(condlist, (list, tuple)) and condlist and np.ndim(condlist[0]) == 0 and x.ndim > 0:
        condlist = [condlist]
    condlist = [asarray_arg(c) for c in condlist]
    nc, nf = len(condlist), len(funclist)
    if nf == nc + 1:
        otherwise = funclist[-1]
        funclist = funclist[:-1]
    elif nf == nc:
        otherwise = 0
    else:
        raise ValueError(f"with {nc} condition(s), either {nc} or {nc + 1} functions are expected")

    def ev(f):
        v = f(x, *args, **kw) if callable(f) else f
        return convert(asarray_arg(v), x.dtype)
    none = cr.ones(x.shape, bool)
    for c in condlist:
        none = uf.logical_and(none, uf.logical_not(c))
    out = lnp.where(none, ev(otherwise), cr.zeros((), x.dtype))
    for c, f in zip(condlist, funclist):
        out = lnp.where(c, ev(f), out)
    return out


# -- convolution and polynomials ------------------------------------------------------------

def _conv_full(a, v):
    n, m = a.shape[0], v.shape[0]
    L = n + m - 1
    z = cr.zeros((n - 1,), v.dtype)
    vpad = lnp.concatenate([z, v, z])
    idx = np.arange(L)[:, None] - np.arange(n)[None, :] + (n - 1)
    V = _take(vpad, idx, 0)                    # (L, n): v[k - j]
    return lb.matmul(V, a)


def _conv(a, v, mode, name):
    a, v = promote_dtypes(a, v)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"{name}() only support 1-dimensional inputs.")
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError(f"{name}: inputs cannot be empty, got shapes {a.shape} and {v.shape}.")
    if a.dtype == np.bool_:
        a, v = convert(a, np.int32), convert(v, np.int32)
    n, m = a.shape[0], v.shape[0]
    full = _conv_full(a, v)
    lo, hi = builtins.min(n, m), builtins.max(n, m)
    if mode == "full":
        return full
    if mode == "same":
        s = (lo - 1) // 2
        return _sl(full, s, s + hi, 0)
    if mode == "valid":
        return _sl(full, lo - 1, hi, 0)
    raise ValueError(f"mode must be one of ['full', 'same', 'valid'], got {mode!r}")


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    return _conv(asarray_arg(a), asarray_arg(v), mode, "convolve")


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    a, v = asarray_arg(a), asarray_arg(v)
    if v.ndim == 1 and dtypes.issubdtype(v.dtype, np.complexfloating):
        v = uf.conj(v)
    if a.ndim == 1 and v.ndim == 1 and v.shape[0] > a.shape[0] and mode != "full":
        # NumPy swaps the inputs when v is longer
        out = _conv(flip(a), v if not dtypes.issubdtype(v.dtype, np.complexfloating) else v, mode, "correlate")
        return flip(out)
    return _conv(a, flip(v) if v.ndim == 1 else v, mode, "correlate")


def polyval(p, x, *, unroll=16):
    p, x = promote_dtypes(p, x)
    if p.ndim != 1:
        raise ValueError("polyval: p must be 1-dimensional")
    y = cr.zeros(x.shape, x.dtype) if p.shape[0] == 0 else None
    for i in _range(p.shape[0]):
        y = broadcast_to_shape(p[i], x.shape) if y is None else y * x + p[i]
    return y


def _trim_pair(a1, a2):
    a1, a2 = promote_dtypes(a1, a2)
    a1, a2 = lnp.atleast_1d(a1), lnp.atleast_1d(a2)
    n1, n2 = a1.shape[0], a2.shape[0]
    if n1 < n2:
        a1 = lnp.concatenate([cr.zeros((n2 - n1,), a1.dtype), a1])
    elif n2 < n1:
        a2 = lnp.concatenate([cr.zeros((n1 - n2,), a2.dtype), a2])
    return a1, a2


def polyadd(a1, a2):
    a1, a2 = _trim_pair(asarray_arg(a1), asarray_arg(a2))
    return a1 + a2


def polysub(a1, a2):
    a1, a2 = _trim_pair(asarray_arg(a1), asarray_arg(a2))
    return a1 - a2


def polymul(a1, a2, *, trim_leading_zeros=False):
    a1, a2 = promote_dtypes(lnp.atleast_1d(asarray_arg(a1)), lnp.atleast_1d(asarray_arg(a2)))
    if trim_leading_zeros:
        a1, a2 = trim_zeros(a1, "f"), trim_zeros(a2, "f")
        if a1.shape[0] == 0:
            a1 = cr.zeros((1,), a1.dtype)
        if a2.shape[0] == 0:
            a2 = cr.zeros((1,), a2.dtype)
    return _conv_full(a1, a2)


def polyder(p, m=1):
    p = asarray_arg(p)
    m = _concrete_int(m, "polyder order m")
    if m < 0:
        raise ValueError("Order of derivative must be positive")
    if m == 0:
        return p
    n = p.shape[0]
    if m >= n:
        return cr.zeros((0,), p.dtype if dtypes.issubdtype(p.dtype, np.inexact) else p.dtype)
    coeff = np.ones(n - m, dtype=np.float64)
    for k in _range(m):
        coeff *= np.arange(n - 1 - k, n - 1 - k - (n - m), -1)
    c = convert(Array(coeff, False), p.dtype) if not dtypes.issubdtype(p.dtype, np.bool_) else Array(coeff.astype(np.int32), False)
    return _sl(p, 0, n - m, 0) * c


def polyint(p, m=1, k=None):
    p = to_inexact(asarray_arg(p))
    m = _concrete_int(m, "polyint order m")
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    if k is None:
        k = cr.zeros((m,), p.dtype)
    k = lnp.atleast_1d(convert(asarray_arg(k), p.dtype))
    if k.shape[0] == 1 and m > 1:
        k = broadcast_to_shape(k, (m,))
    if k.shape[0] != m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or m.")
    for i in _range(m):
        n = p.shape[0]
        div = Array(np.arange(n, 0, -1).astype(p.dtype), False)
        p = lnp.concatenate([p / div, k[i:i + 1]])
    return p


def trim_zeros(filt, trim="fb"):
    """Strip leading/trailing zeros of a 1-D array (eager: the size depends on values)."""
    if isinstance(filt, Tracer):
        raise TypeError("trim_zeros needs a concrete array: its output shape depends on the values")
    a = asarray_arg(filt)
    v = np.asarray(a._value)
    nz = np.flatnonzero(v != 0)
    if nz.size == 0:
        return _sl(a, 0, 0, 0)
    start = nz[0] if "f" in trim.lower() else 0
    stop = nz[-1] + 1 if "b" in trim.lower() else v.shape[0]
    return _sl(a, _int(start), _int(stop), 0)


# -- histograms -----------------------------------------------------------------------------

def bincount(x, weights=None, minlength=0, *, length=None):
    """Counts of each non-negative integer; ``length`` (static) is needed under jit."""
    x = asarray_arg(x)
    if not dtypes.issubdtype(x.dtype, np.integer) and x.dtype != np.bool_:
        raise TypeError(f"x argument to bincount must have an integer type; got {x.dtype}")
    if x.ndim != 1:
        raise ValueError("only 1-dimensional input supported.")
    minlength = _concrete_int(minlength, "minlength")
    if length is None:
        if isinstance(x, Tracer):
            raise TypeError("bincount: length must be given for traced inputs (it fixes the output shape)")
        v = np.asarray(x._value)
        length = builtins.max(minlength, (_int(v.max()) + 1) if v.size else 0)
    else:
        length = _concrete_int(length, "length")
    if weights is None:
        w = cr.ones(x.shape, np.int32 if dtypes.canonicalize_dtype(np.int64) == np.int32 else _int_dtype())
    else:
        w = broadcast_to_shape(asarray_arg(weights), x.shape)
    idx = uf.maximum(convert(x, _int_dtype()), 0)
    return cr.zeros((length,), w.dtype).at[idx].add(w, mode="drop")


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    a = lnp.ravel(to_inexact(a))
    if np.ndim(bins) == 1 or (isinstance(bins, Array) and bins.ndim == 1):
        return asarray_arg(bins) if not isinstance(bins, (list, tuple)) else to_inexact(cr.array(bins))
    bins = _concrete_int(bins, "bins")
    dt = a.dtype
    if range is None:
        lo, hi = red.min(a), red.max(a)
    else:
        lo, hi = (convert(asarray_arg(r), dt) for r in range)
    same = uf.equal(lo, hi)
    lo = lnp.where(same, lo - 0.5, lo)
    hi = lnp.where(same, hi + 0.5, hi)
    t = Array(np.linspace(0, 1, bins + 1).astype(dt), False)
    return lo + (hi - lo) * t


def histogram(a, bins=10, range=None, weights=None, density=None):
    a = lnp.ravel(asarray_arg(a))
    if weights is not None:
        weights = lnp.ravel(asarray_arg(weights))
        if weights.shape != a.shape:
            raise ValueError("weights should have the same shape as a.")
    edges = to_inexact(histogram_bin_edges(a, bins, range, weights))
    a = convert(a, edges.dtype) if a.dtype != edges.dtype else a
    nb = edges.shape[0]
    idx = _searchsorted(edges, a, "right")
    idx = lnp.where(uf.equal(a, edges[-1]), nb - 1, idx)
    w = cr.ones(a.shape, edges.dtype) if weights is None else weights
    counts = cr.zeros((nb + 1,), w.dtype).at[convert(idx, _int_dtype())].add(w)
    counts = _sl(counts, 1, nb, 0)
    if density:
        widths = diff(edges)
        counts = counts / widths / red.sum(counts)
    return counts, edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):
    """2-D histogram (via histogramdd)."""
    sample = lnp.stack([asarray_arg(x), asarray_arg(y)], axis=1)
    if np.ndim(bins) == 0 or (isinstance(bins, (list, tuple)) and len(bins) != 2):
        bins = [bins, bins] if np.ndim(bins) == 0 else bins
    hist, edges = histogramdd(sample, bins, range, weights, density)
    return hist, edges[0], edges[1]


def histogramdd(sample, bins=10, range=None, weights=None, density=None):
    sample = asarray_arg(sample)
    if sample.ndim == 1:
        sample = lnp.reshape(sample, (-1, 1))
    N, D = sample.shape
    if np.ndim(bins) == 0 and not isinstance(bins, (list, tuple)):
        bins = [bins] * D
    ranges = range if range is not None else [None] * D
    edges, idxs = [], []
    for d in _range(D):
        col = sample[:, d]
        e = to_inexact(histogram_bin_edges(col, bins[d], ranges[d]))
        col = convert(col, e.dtype)
        i = _searchsorted(e, col, "right")
        i = lnp.where(uf.equal(col, e[-1]), e.shape[0] - 1, i)
        edges.append(e)
        idxs.append(convert(i, _int_dtype()))
    shape = tuple(e.shape[0] + 1 for e in edges)
    flat = ravel_multi_index(tuple(idxs), shape, mode="clip")
    w = cr.ones((N,), edges[0].dtype) if weights is None else asarray_arg(weights)
    counts = cr.zeros((_int(np.prod(shape)),), w.dtype).at[flat].add(w)
    counts = lnp.reshape(counts, shape)
    counts = counts[tuple(builtins.slice(1, -1) for _ in _range(D))]
    if density:
        counts = counts / red.sum(counts)
        for d in _range(D):
            s = [1] * D
            s[d] = -1
            counts = counts / lnp.reshape(diff(edges[d]), s)
    return counts, edges


# -- statistics -----------------------------------------------------------------------------

def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    X = lnp.atleast_2d(to_inexact(m))
    if X.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    if not rowvar and X.shape[0] != 1:
        X = lnp.transpose(X)
    if y is not None:
        Y = lnp.atleast_2d(to_inexact(y))
        if not rowvar and Y.shape[0] != 1:
            Y = lnp.transpose(Y)
        X, Y = promote_dtypes(X, Y)
        X = lnp.concatenate([X, Y], axis=0)
    if X.shape[0] == 0:
        return cr.zeros((0, 0), X.dtype)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        w = convert(asarray_arg(fweights), X.dtype)
    if aweights is not None:
        aw = convert(asarray_arg(aweights), X.dtype)
        w = aw if w is None else w * aw
    if w is None:
        avg = red.mean(X, axis=1)
        wsum = X.shape[1]
        fact = wsum - ddof
    else:
        wsum = red.sum(w)
        avg = red.sum(X * w, axis=1) / wsum
        if ddof == 0:
            fact = wsum
        elif aweights is None:
            fact = wsum - ddof
        else:
            fact = wsum - ddof * red.sum(w * convert(asarray_arg(aweights), X.dtype)) / wsum
    Xc = X - avg[:, None]
    Xw = Xc if w is None else Xc * w
    c = lb.matmul(Xw, uf.conj(lnp.transpose(Xc)))
    c = c / fact
    return lnp.squeeze(c) if c.shape == (1, 1) else c


def corrcoef(x, y=None, rowvar=True):
    c = cov(x, y, rowvar)
    if c.ndim == 0:
        return c / c
    d = diagonal(c)
    s = uf.sqrt(uf.real(d)) if dtypes.issubdtype(d.dtype, np.complexfloating) else uf.sqrt(d)
    c = c / s[:, None]
    c = c / s[None, :]
    if dtypes.issubdtype(c.dtype, np.complexfloating):
        return lx.complex(uf.clip(uf.real(c), -1, 1), uf.clip(uf.imag(c), -1, 1))
    return uf.clip(c, -1, 1)


# -- products -------------------------------------------------------------------------------

def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    a, b = promote_dtypes(a, b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = lnp.moveaxis(a, axisa, -1)
    b = lnp.moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError("Dimension must be either 2 or 3 for cross product")
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    a0, a1 = a[..., 0], a[..., 1]
    a2 = a[..., 2] if a.shape[-1] == 3 else cr.zeros_like(a0)
    b0, b1 = b[..., 0], b[..., 1]
    b2 = b[..., 2] if b.shape[-1] == 3 else cr.zeros_like(b0)
    c = lnp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return lnp.moveaxis(c, -1, axisc)


def kron(a, b):
    a, b = promote_dtypes(a, b)
    nd = builtins.max(a.ndim, b.ndim)
    a = lnp.reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = lnp.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    ae = lnp.reshape(a, tuple(d for s in a.shape for d in (s, 1)))
    be = lnp.reshape(b, tuple(d for s in b.shape for d in (1, s)))
    return lnp.reshape(ae * be, tuple(x * y for x, y in zip(a.shape, b.shape)))


def vander(x, N=None, increasing=False):
    x = asarray_arg(x)
    if x.ndim != 1:
        raise ValueError("x must be a one-dimensional array")
    N = x.shape[0] if N is None else _concrete_int(N, "N")
    if N < 0:
        raise ValueError("N must be nonnegative")
    if N == 0:
        return cr.zeros((x.shape[0], 0), x.dtype)
    ones = cr.ones((x.shape[0], 1), x.dtype)
    if N == 1:
        out = ones
    else:
        rep = broadcast_to_shape(x[:, None], (x.shape[0], N - 1))
        out = lnp.concatenate([ones, red.cumprod(rep, axis=1)], axis=1)
    return out if increasing else flip(out, 1)


# -- index helpers --------------------------------------------------------------------------

def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    dims = tuple(_int(d) for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(f"parameter multi_index must be a sequence of length {len(dims)}")
    idx = [asarray_arg(i) for i in multi_index]
    for i in idx:
        if not dtypes.issubdtype(i.dtype, np.integer):
            raise TypeError("only int indices permitted")
    if mode == "raise":
        if any(isinstance(i, Tracer) for i in idx):
            raise TypeError("ravel_multi_index with mode='raise' needs concrete indices; "
                            "use mode='clip' or 'wrap' under transformations")
        for i, d in zip(idx, dims):
            v = np.asarray(i._value)
            if np.any((v < 0) | (v >= d)):
                raise ValueError("invalid entry in coordinates array")
    elif mode == "wrap":
        idx = [uf.remainder(i, d) for i, d in zip(idx, dims)]
    elif mode == "clip":
        idx = [uf.clip(i, 0, d - 1) for i, d in zip(idx, dims)]
    else:
        raise ValueError(f"invalid mode={mode!r}. Expected 'raise', 'wrap', or 'clip'")
    if order == "F":
        strides = np.cumprod((1,) + dims[:-1])
    elif order == "C":
        strides = np.cumprod((1,) + dims[::-1][:-1])[::-1]
    else:
        raise ValueError(f"invalid order={order!r}. Expected 'C' or 'F'")
    dt = _int_dtype()
    out = None
    for i, s in zip(idx, strides):
        t = convert(i, dt) * _int(s)
        out = t if out is None else out + t
    return out


def unravel_index(indices, shape):
    """Coordinates of flat ``indices`` (negative indices wrap once; out-of-range clip)."""
    idx = asarray_arg(indices)
    if not dtypes.issubdtype(idx.dtype, np.integer):
        raise TypeError("only int indices permitted")
    shape = tuple(_int(d) for d in shape)
    total = _int(np.prod(shape, dtype=np.int64))
    dt = idx.dtype
    if total == 0 and idx.size:
        raise ValueError("cannot unravel index into an empty shape")
    idx = lnp.where(idx < 0, idx + total, idx)
    idx = uf.clip(idx, 0, builtins.max(total - 1, 0))
    out = []
    for d in reversed(shape):
        out.append(uf.remainder(idx, d) if d else idx)
        idx = uf.floor_divide(idx, d) if d else idx
    return tuple(convert(o, dt) for o in reversed(out))


def indices(dimensions, dtype=None, sparse=False):
    dt = dtypes.canonicalize_dtype(dtype if dtype is not None else np.int32)
    dims = tuple(_int(d) for d in dimensions)
    out = []
    nd = len(dims)
    for i, d in enumerate(dims):
        r = cr.arange(d, dtype=dt)
        if sparse:
            s = [1] * nd
            s[i] = d
            out.append(lnp.reshape(r, tuple(s)))
        else:
            out.append(st.broadcast_in_dim(r, dims, (i,)))
    if sparse:
        return tuple(out)
    return lnp.stack(out) if out else cr.zeros((0,), dt)


def ix_(*args):
    args = [asarray_arg(a) for a in args]
    n = len(args)
    out = []
    for i, a in enumerate(args):
        if a.ndim != 1:
            raise ValueError("Cross index must be 1 dimensional")
        if a.dtype == np.bool_:
            raise NotImplementedError("Boolean arguments to jax.numpy.ix_ are not supported.")
        s = [1] * n
        s[i] = a.shape[0]
        out.append(lnp.reshape(a, tuple(s)))
    return tuple(out)


# -- copying / growing / shrinking ----------------------------------------------------------

def copy(a, order=None):
    return cr.array(a, copy=True)


def append(arr, values, axis=None):
    arr, values = asarray_arg(arr), asarray_arg(values)
    if axis is None:
        return lnp.concatenate([lnp.ravel(arr), lnp.ravel(values)])
    arr, values = promote_dtypes(arr, values)
    return lnp.concatenate([arr, values], axis=axis)


def _as_static_index(obj, what):
    if isinstance(obj, builtins.slice):
        return obj
    if isinstance(obj, Tracer):
        raise TypeError(f"jnp.{what}: the index argument must be concrete (it fixes the output shape)")
    return _concrete(obj, what)


def insert(arr, obj, values, axis=None):
    arr = asarray_arg(arr)
    values = asarray_arg(values)
    if axis is None:
        arr = lnp.ravel(arr)
        axis = 0
    axis = canonicalize_axis(axis, arr.ndim)
    values = convert(values, arr.dtype) if values.dtype != arr.dtype else values
    n = arr.shape[axis]
    o = _as_static_index(obj, "insert")
    if isinstance(o, builtins.slice):
        o = np.arange(*o.indices(n))
    o = np.asarray(o)
    if o.dtype == bool:
        raise ValueError("insert: boolean index arrays are not supported")
    if o.ndim == 0:
        v = values
        if v.ndim < arr.ndim:
            v = lnp.reshape(v, (1,) * (arr.ndim - v.ndim) + v.shape)
        v = lnp.moveaxis(v, 0, axis)
        numnew = v.shape[axis]
        pos = _int(o)
        if not -n <= pos <= n:
            raise IndexError(f"index {pos} is out of bounds for axis {axis} with size {n}")
        src = np.insert(np.arange(n), pos, np.arange(n, n + numnew))
    else:
        numnew = o.size
        v = values
        src = np.insert(np.arange(n), o.astype(np.int64), np.arange(n, n + numnew))
    vshape = arr.shape[:axis] + (numnew,) + arr.shape[axis + 1:]
    v = broadcast_to_shape(v, vshape)
    cat = lnp.concatenate([arr, v], axis=axis)
    return _take(cat, src, axis)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    arr = asarray_arg(arr)
    if axis is None:
        arr = lnp.ravel(arr)
        axis = 0
    axis = canonicalize_axis(axis, arr.ndim)
    n = arr.shape[axis]
    o = _as_static_index(obj, "delete")
    if isinstance(o, builtins.slice):
        keep = np.delete(np.arange(n), o)
    else:
        o = np.asarray(o)
        if o.dtype != bool:
            o = o.astype(np.int64)
        keep = np.delete(np.arange(n), o)
    return _take(arr, keep, axis)


def resize(a, new_shape):
    a = asarray_arg(a)
    if isinstance(new_shape, (int, np.integer)):
        new_shape = (new_shape,)
    new_shape = tuple(_int(d) for d in new_shape)
    if any(d < 0 for d in new_shape):
        raise ValueError("All elements of `new_shape` must be non-negative")
    size = _int(np.prod(new_shape, dtype=np.int64))
    flat = lnp.ravel(a)
    if flat.shape[0] == 0 or size == 0:
        return cr.zeros(new_shape, a.dtype)
    reps = -(-size // flat.shape[0])
    return lnp.reshape(_sl(tile(flat, reps), 0, size, 0), new_shape)


_unused = (_cf, promote_args, lx)
