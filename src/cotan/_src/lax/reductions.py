"""Reductions other than reduce_sum (which lives in structural.py beside the
broadcast it transposes to), arg-reductions and cumulative reductions.

* ``reduce_max``/``reduce_min`` (param ``axes``): the tangent flows to every
  location equal to the result; ties share it evenly (as in JAX).
* ``reduce_prod``: the JVP is ``sum_i t_i * prod_{j != i} x_j`` computed with
  *exclusive* forward and reverse cumulative products, so no division is
  involved and it is exact for inputs with any number of zeros.
* ``argmax``/``argmin`` (params ``axes`` (one axis), ``index_dtype``): the first
  maximal/minimal index; a NaN counts as larger/smaller than everything, so the
  first NaN wins (as in JAX).  Not differentiable.
* ``reduce_and``/``reduce_or``/``reduce_xor``: bool or integer (bitwise).
* ``cumsum``/``cumprod``/``cummax``/``cummin``/``cumlogsumexp`` (params
  ``axis``, ``reverse``).  cumsum is linear (its transpose is the cumsum in
  the other direction).  The others differentiate like JAX's: the JVP runs a
  parallel-prefix (associative) scan over (primal, tangent) pairs made of
  lax slices/pads/selects, so it is exact (cumprod with zeros included) and
  can be differentiated again.
"""
from __future__ import annotations

import numpy as np

from .. import core
from ..core import Primitive, ShapedArray
from ..interpreters import ad, batching
from ..interpreters.ad import Zero
from . import elementwise as lx
from . import structural as st
from .utils import check_dtype, const

_ANY = "biufc"
_NUM = "iufc"
_ORDERED = "biuf"
_BOOL_INT = "biu"


def _canon_axes(axes, ndim):
    if type(axes) is tuple and all(type(a) is int and 0 <= a < ndim for a in axes) \
            and list(axes) == sorted(set(axes)):
        return axes
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"reduction axis {a} is out of bounds for an array of rank {ndim}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in reduction axes {tuple(axes)}")
    return tuple(sorted(out))


def _canon_axis(axis, ndim):
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def _reduced_shape(shape, axes):
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _reduce_abstract_rule(name, kinds):
    def rule(x, *, axes):
        check_dtype(name, x, kinds)
        for a in axes:
            if not 0 <= a < x.ndim:
                raise TypeError(f"{name}: axes {axes} out of range for shape {x.shape}")
        if len(set(axes)) != len(axes):
            raise TypeError(f"{name}: duplicate axes {axes}")
        return ShapedArray(_reduced_shape(x.shape, axes), x.dtype, x.weak_type)
    return rule


def _bcast_back(r, shape, axes):
    """Broadcast a reduced value ``r`` back to the operand's ``shape``."""
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return st.broadcast_in_dim(r, shape, kept)


def _as(x, like):
    """``x`` (bool mask) as ``like``'s dtype."""
    return st.convert_element_type(x, core.get_aval(like).dtype, core.get_aval(like).weak_type)


# --- public wrappers -----------------------------------------------------------


def reduce_max(operand, axes):
    axes = _canon_axes(axes, core.get_aval(operand).ndim)
    if not axes:
        return operand
    return reduce_max_p.bind(operand, axes=axes)


def reduce_min(operand, axes):
    axes = _canon_axes(axes, core.get_aval(operand).ndim)
    if not axes:
        return operand
    return reduce_min_p.bind(operand, axes=axes)


def reduce_prod(operand, axes):
    axes = _canon_axes(axes, core.get_aval(operand).ndim)
    if not axes:
        return operand
    return reduce_prod_p.bind(operand, axes=axes)


def reduce_and(operand, axes):
    axes = _canon_axes(axes, core.get_aval(operand).ndim)
    if not axes:
        return operand
    return reduce_and_p.bind(operand, axes=axes)


def reduce_or(operand, axes):
    axes = _canon_axes(axes, core.get_aval(operand).ndim)
    if not axes:
        return operand
    return reduce_or_p.bind(operand, axes=axes)


def reduce_xor(operand, axes):
    axes = _canon_axes(axes, core.get_aval(operand).ndim)
    if not axes:
        return operand
    return reduce_xor_p.bind(operand, axes=axes)


def _index_dtype(index_dtype):
    from .. import dtypes
    dt = dtypes.canonicalize_dtype(index_dtype)
    if dt.kind not in "iu":
        raise TypeError(f"index_dtype must be an integer dtype, got {dt}")
    return dt


def argmax(operand, axis, index_dtype):
    axis = _canon_axis(axis, core.get_aval(operand).ndim)
    return argmax_p.bind(operand, axes=(axis,), index_dtype=_index_dtype(index_dtype))


def argmin(operand, axis, index_dtype):
    axis = _canon_axis(axis, core.get_aval(operand).ndim)
    return argmin_p.bind(operand, axes=(axis,), index_dtype=_index_dtype(index_dtype))


def cumsum(operand, axis=0, reverse=False):
    axis = _canon_axis(axis, core.get_aval(operand).ndim)
    return cumsum_p.bind(operand, axis=axis, reverse=bool(reverse))


def cumprod(operand, axis=0, reverse=False):
    axis = _canon_axis(axis, core.get_aval(operand).ndim)
    return cumprod_p.bind(operand, axis=axis, reverse=bool(reverse))


def cummax(operand, axis=0, reverse=False):
    axis = _canon_axis(axis, core.get_aval(operand).ndim)
    return cummax_p.bind(operand, axis=axis, reverse=bool(reverse))


def cummin(operand, axis=0, reverse=False):
    axis = _canon_axis(axis, core.get_aval(operand).ndim)
    return cummin_p.bind(operand, axis=axis, reverse=bool(reverse))


def cumlogsumexp(operand, axis=0, reverse=False):
    axis = _canon_axis(axis, core.get_aval(operand).ndim)
    return cumlogsumexp_p.bind(operand, axis=axis, reverse=bool(reverse))


# --- reduce_max / reduce_min --------------------------------------------------------


def _minmax_identity(dtype, is_max):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.asarray(not is_max)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.asarray(info.min if is_max else info.max, dtype)
    if dtype.kind == "c":
        return np.asarray(complex(-np.inf if is_max else np.inf, 0), dtype)
    return np.asarray(-np.inf if is_max else np.inf, dtype)


def _reduce_chooser_impl(np_fn, is_max):
    def impl(x, *, axes):
        x = np.asarray(x)
        if x.size == 0:
            # XLA reduces from the identity: -inf/+inf (or the integer extremes)
            shape = _reduced_shape(x.shape, axes)
            return np.full(shape, _minmax_identity(x.dtype, is_max), x.dtype)
        return np.asarray(np_fn.reduce(x, axis=axes)).astype(x.dtype, copy=False)
    return impl


def _reduce_chooser_jvp(prim):
    def rule(primals, tangents, *, axes):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes)
        if type(t) is Zero:
            return ans, Zero.from_value(ans)
        shape = core.get_aval(x).shape
        loc = _as(lx.eq(x, _bcast_back(ans, shape, axes)), t)
        counts = st.reduce_sum(loc, axes)
        return ans, lx.div(st.reduce_sum(lx.mul(t, loc), axes), counts)
    return rule


reduce_max_p = Primitive("reduce_max")
reduce_max_p.def_impl(_reduce_chooser_impl(np.maximum, True))
reduce_max_p.def_abstract_eval(_reduce_abstract_rule("reduce_max", _ANY))
ad.primitive_jvps[reduce_max_p] = _reduce_chooser_jvp(reduce_max_p)
batching.defreducer(reduce_max_p)

reduce_min_p = Primitive("reduce_min")
reduce_min_p.def_impl(_reduce_chooser_impl(np.minimum, False))
reduce_min_p.def_abstract_eval(_reduce_abstract_rule("reduce_min", _ANY))
ad.primitive_jvps[reduce_min_p] = _reduce_chooser_jvp(reduce_min_p)
batching.defreducer(reduce_min_p)


# --- reduce_prod ------------------------------------------------------------------


def _reduce_prod_impl(x, *, axes):
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        return np.asarray(np.prod(x, axis=axes, dtype=x.dtype))


def _exclusive_cumprods(x, axis):
    """(prod_{j<i} x_j, prod_{j>i} x_j) along ``axis``, by lax ops."""
    aval = core.get_aval(x)
    n = aval.shape[axis]
    ones_shape = list(aval.shape)
    ones_shape[axis] = 1
    ones = core.Array(np.ones(ones_shape, aval.dtype), aval.weak_type)
    fwd = cumprod(x, axis)
    bwd = cumprod(x, axis, reverse=True)
    left = st.concatenate([ones, st.slice_in_dim(fwd, 0, n - 1, axis=axis)], axis)
    right = st.concatenate([st.slice_in_dim(bwd, 1, n, axis=axis), ones], axis)
    return left, right


def _reduce_prod_jvp(primals, tangents, *, axes):
    (x,), (t,) = primals, tangents
    ans = reduce_prod_p.bind(x, axes=axes)
    if type(t) is Zero:
        return ans, Zero.from_value(ans)
    aval = core.get_aval(x)
    shape = aval.shape
    kept = [i for i in range(len(shape)) if i not in axes]
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    if n == 0:
        return ans, Zero.from_value(ans)
    # move the reduced axes last and flatten them into one axis of length n
    perm = tuple(kept) + tuple(axes)
    flat = tuple(shape[i] for i in kept) + (n,)
    xf = st.reshape(st.transpose(x, perm), flat)
    tf = st.reshape(st.transpose(t, perm), flat)
    last = len(flat) - 1
    if n == 1:
        return ans, st.reshape(tf, flat[:-1])
    left, right = _exclusive_cumprods(xf, last)
    return ans, st.reduce_sum(lx.mul(tf, lx.mul(left, right)), (last,))


reduce_prod_p = Primitive("reduce_prod")
reduce_prod_p.def_impl(_reduce_prod_impl)
reduce_prod_p.def_abstract_eval(_reduce_abstract_rule("reduce_prod", _NUM))
ad.primitive_jvps[reduce_prod_p] = _reduce_prod_jvp
batching.defreducer(reduce_prod_p)


# --- reduce_and / reduce_or / reduce_xor --------------------------------------------


def _bitwise_reduce_impl(ufunc):
    def impl(x, *, axes):
        x = np.asarray(x)
        return np.asarray(ufunc.reduce(x, axis=axes)).astype(x.dtype, copy=False)
    return impl


def _bitwise_reduction(name, ufunc):
    p = Primitive(name)
    p.def_impl(_bitwise_reduce_impl(ufunc))
    p.def_abstract_eval(_reduce_abstract_rule(name, _BOOL_INT))
    ad.defjvp_zero(p)
    batching.defreducer(p)
    return p


reduce_and_p = _bitwise_reduction("reduce_and", np.bitwise_and)
reduce_or_p = _bitwise_reduction("reduce_or", np.bitwise_or)
reduce_xor_p = _bitwise_reduction("reduce_xor", np.bitwise_xor)


# --- argmax / argmin -----------------------------------------------------------------


def _arg_abstract(name):
    def rule(x, *, axes, index_dtype):
        check_dtype(name, x, _ANY)
        if len(axes) != 1:
            raise TypeError(f"{name} requires exactly one axis, got axes={axes}")
        (axis,) = axes
        if not 0 <= axis < x.ndim:
            raise TypeError(f"{name}: axis {axis} out of range for shape {x.shape}")
        if x.shape[axis] == 0:
            raise ValueError(f"{name}: attempt to get {name} of an empty sequence")
        if np.dtype(index_dtype).kind not in "iu":
            raise TypeError(f"{name}: index_dtype must be an integer dtype, got {index_dtype}")
        return ShapedArray(_reduced_shape(x.shape, axes), index_dtype, False)
    return rule


def _arg_impl(np_fn):
    # np.argmax/np.argmin return the first NaN when there is one, like XLA's
    # comparator in JAX.
    def impl(x, *, axes, index_dtype):
        x = np.asarray(x)
        return np.asarray(np_fn(x, axis=axes[0])).astype(index_dtype, copy=False)
    return impl


argmax_p = Primitive("argmax")
argmax_p.def_impl(_arg_impl(np.argmax))
argmax_p.def_abstract_eval(_arg_abstract("argmax"))
argmax_p.weak_type_rule = lambda args, params: False
ad.defjvp_zero(argmax_p)
batching.defreducer(argmax_p)

argmin_p = Primitive("argmin")
argmin_p.def_impl(_arg_impl(np.argmin))
argmin_p.def_abstract_eval(_arg_abstract("argmin"))
argmin_p.weak_type_rule = lambda args, params: False
ad.defjvp_zero(argmin_p)
batching.defreducer(argmin_p)


# --- associative scan (used by the cumulative JVPs) -------------------------------------


def _sl(x, start, stop, stride, axis):
    return st.slice_in_dim(x, start, stop, stride, axis)


def _interleave(even, odd, n, axis):
    """Positions 0,2,4,... from ``even`` and 1,3,5,... from ``odd`` (length n)."""
    ne = core.get_aval(even).shape[axis]
    no = core.get_aval(odd).shape[axis]
    nd = core.get_aval(even).ndim

    def cfg(lo, size):
        hi = n - (lo + size + max(size - 1, 0))
        return tuple((lo, hi, 1) if a == axis else (0, 0, 0) for a in range(nd))

    pe = st.pad(even, st.const_zero(even), cfg(0, ne))
    po = st.pad(odd, st.const_zero(odd), cfg(1, no))
    mask_1d = (np.arange(n) % 2 == 1)
    shape = core.get_aval(pe).shape
    bshape = [1] * nd
    bshape[axis] = n
    mask = core.Array(np.broadcast_to(mask_1d.reshape(bshape), shape))
    return lx.select_n(mask, pe, po)


def _tree_map2(f, xs):
    return tuple(f(x) for x in xs)


def _assoc_scan(combine, elems, axis, reverse):
    """Inclusive scan of the tuple of arrays ``elems`` along ``axis`` with the
    associative ``combine(acc_tuple, new_tuple) -> tuple``.  For ``reverse``
    the scan runs from the last element to the first (results stay in the
    original order).  Log-depth, made only of lax primitives."""
    n = core.get_aval(elems[0]).shape[axis]
    if n < 2:
        return elems

    def sl(start, stop, stride=1):
        return _tree_map2(lambda e: _sl(e, start, stop, stride, axis), elems)

    def cat(a, b):
        if core.get_aval(b[0]).shape[axis] == 0:
            return a
        return tuple(st.concatenate([x, y], axis) for x, y in zip(a, b))

    if not reverse:
        # pairs (0,1), (2,3), ...
        reduced = combine(sl(0, n - 1, 2), sl(1, n, 2))
        r = _assoc_scan(combine, reduced, axis, reverse)          # prefixes at 1, 3, 5, ...
        if n % 2 == 0:
            rr = _tree_map2(lambda e: _sl(e, 0, n // 2 - 1, 1, axis), r)
        else:
            rr = r
        rest = combine(rr, sl(2, n, 2)) if core.get_aval(rr[0]).shape[axis] else sl(2, n, 2)
        even = cat(sl(0, 1), rest)                                 # prefixes at 0, 2, 4, ...
        odd = r
    else:
        m0 = n % 2
        # pairs (m, m+1) for m = m0, m0+2, ..., n-2; the scan visits m+1 first
        reduced = combine(sl(m0 + 1, n, 2), sl(m0, n - 1, 2))
        r = _assoc_scan(combine, reduced, axis, reverse)          # suffixes at m0, m0+2, ...
        if m0 == 0:
            rr = _tree_map2(lambda e: _sl(e, 1, n // 2, 1, axis), r)
            rest = combine(rr, sl(1, n - 1, 2)) if core.get_aval(rr[0]).shape[axis] else sl(1, n - 1, 2)
            other = cat(rest, sl(n - 1, n))                         # suffixes at 1, 3, ..., n-1
            even, odd = r, other
        else:
            rest = combine(r, sl(0, n - 1, 2))
            other = cat(rest, sl(n - 1, n))                         # suffixes at 0, 2, ..., n-1
            even, odd = other, r
    return tuple(_interleave(e, o, n, axis) for e, o in zip(even, odd))


# --- cumulative reductions ------------------------------------------------------------------


def _cum_abstract(name, kinds):
    def rule(x, *, axis, reverse):
        check_dtype(name, x, kinds)
        if x.ndim == 0 or not 0 <= axis < x.ndim:
            raise TypeError(f"{name}: axis {axis} out of range for shape {x.shape}")
        return ShapedArray(x.shape, x.dtype, x.weak_type)
    return rule


def _cum_impl(accumulate):
    def impl(x, *, axis, reverse):
        x = np.asarray(x)
        if reverse:
            x = np.flip(x, axis)
        with np.errstate(all="ignore"):
            out = accumulate(x, axis)
        out = np.asarray(out).astype(x.dtype, copy=False)
        return np.flip(out, axis) if reverse else out
    return impl


def _cumsum_acc(x, axis):
    return np.cumsum(x, axis=axis, dtype=x.dtype)


def _cumprod_acc(x, axis):
    return np.cumprod(x, axis=axis, dtype=x.dtype)


def _cummax_acc(x, axis):
    return np.maximum.accumulate(x, axis=axis)


def _cummin_acc(x, axis):
    return np.minimum.accumulate(x, axis=axis)


def _cumlogsumexp_acc(x, axis):
    return np.logaddexp.accumulate(x, axis=axis)


def _cumulative_jvp(prim, combine_jvp):
    def rule(primals, tangents, *, axis, reverse):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axis=axis, reverse=reverse)
        if type(t) is Zero:
            return ans, Zero.from_value(ans)
        _, tout = _assoc_scan(combine_jvp, (x, t), axis, reverse)
        return ans, tout
    return rule


def _mul_combine(acc, new):
    a, ta = acc
    b, tb = new
    return lx.mul(a, b), lx.add(lx.mul(ta, b), lx.mul(a, tb))


def _balanced_weight(strict, tie, like):
    one, zero, half = const(like, 1), const(like, 0), const(like, 0.5)
    return lx.select_n(tie, lx.select_n(strict, zero, one), half)


def _chooser_combine(pick, strictly_before):
    def combine(acc, new):
        a, ta = acc
        b, tb = new
        tie = lx.eq(a, b)
        wa = _balanced_weight(strictly_before(a, b), tie, ta)
        wb = _balanced_weight(strictly_before(b, a), tie, tb)
        return pick(a, b), lx.add(lx.mul(ta, wa), lx.mul(tb, wb))
    return combine


def _logaddexp(a, b):
    m = lx.max(a, b)
    mn = lx.min(a, b)
    same = lx.eq(m, mn)  # covers equal infinities, where m - mn is NaN
    d = lx.select_n(same, lx.sub(mn, m), const(m, 0))
    return lx.add(m, lx.log1p(lx.exp(d)))


def _logaddexp_combine(acc, new):
    a, ta = acc
    b, tb = new
    out = _logaddexp(a, b)
    bad = lx.eq(out, const(out, -np.inf))
    zero = const(out, 0)
    da = lx.select_n(bad, lx.sub(a, out), zero)
    db = lx.select_n(bad, lx.sub(b, out), zero)
    wa = lx.select_n(bad, lx.exp(da), zero)
    wb = lx.select_n(bad, lx.exp(db), zero)
    return out, lx.add(lx.mul(ta, wa), lx.mul(tb, wb))


def _cumulative_batcher(prim):
    # scan each batch element along the same axis, renumbered past the batch
    def rule(vals, dims, *, axis, reverse):
        (x,), (d,) = vals, dims
        return prim.bind(x, axis=axis if axis < d else axis + 1, reverse=reverse), d
    return rule


def _cumsum_transpose(ct, x, *, axis, reverse):
    return [cumsum_p.bind(ct, axis=axis, reverse=not reverse)]


cumsum_p = Primitive("cumsum")
cumsum_p.def_impl(_cum_impl(_cumsum_acc))
cumsum_p.def_abstract_eval(_cum_abstract("cumsum", _NUM))
ad.deflinear2(cumsum_p, _cumsum_transpose)
batching.primitive_batchers[cumsum_p] = _cumulative_batcher(cumsum_p)

cumprod_p = Primitive("cumprod")
cumprod_p.def_impl(_cum_impl(_cumprod_acc))
cumprod_p.def_abstract_eval(_cum_abstract("cumprod", _NUM))
ad.primitive_jvps[cumprod_p] = _cumulative_jvp(cumprod_p, _mul_combine)
batching.primitive_batchers[cumprod_p] = _cumulative_batcher(cumprod_p)

cummax_p = Primitive("cummax")
cummax_p.def_impl(_cum_impl(_cummax_acc))
cummax_p.def_abstract_eval(_cum_abstract("cummax", _ORDERED))
ad.primitive_jvps[cummax_p] = _cumulative_jvp(cummax_p, _chooser_combine(lx.max, lx.gt))
batching.primitive_batchers[cummax_p] = _cumulative_batcher(cummax_p)

cummin_p = Primitive("cummin")
cummin_p.def_impl(_cum_impl(_cummin_acc))
cummin_p.def_abstract_eval(_cum_abstract("cummin", _ORDERED))
ad.primitive_jvps[cummin_p] = _cumulative_jvp(cummin_p, _chooser_combine(lx.min, lx.lt))
batching.primitive_batchers[cummin_p] = _cumulative_batcher(cummin_p)

cumlogsumexp_p = Primitive("cumlogsumexp")
cumlogsumexp_p.def_impl(_cum_impl(_cumlogsumexp_acc))
cumlogsumexp_p.def_abstract_eval(_cum_abstract("cumlogsumexp", "f"))
ad.primitive_jvps[cumlogsumexp_p] = _cumulative_jvp(cumlogsumexp_p, _logaddexp_combine)
batching.primitive_batchers[cumlogsumexp_p] = _cumulative_batcher(cumlogsumexp_p)

