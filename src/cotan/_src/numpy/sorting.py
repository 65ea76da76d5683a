"""Sorting, searching and set operations of cotan.numpy.

Everything is built on ``lax.sort`` (several operands, ``num_keys``) and
``lax.top_k``:

* ``sort``/``argsort``/``lexsort`` sort (an iota along with) the keys; values
  are differentiable (the gradient follows the permutation).  ``descending``
  sorts the reversed array so that ties stay in their original order (as in
  JAX).  ``partition``/``argpartition`` follow JAX: the first ``kth + 1``
  entries are the smallest ones in ascending order, the rest the others in
  descending order (``top_k`` of the negated / masked array).
* ``searchsorted`` compares every query with every element (JAX's
  ``method='compare_all'``; any ``method`` is accepted), NaN sorting last.
* ``unique`` and the set operations share one kernel: sort the rows (with a
  validity flag as the primary key so excluded elements go last), mark the
  first row of each run of equal rows, number the runs with a cumulative sum
  and scatter into ``size`` slots.  Without ``size=`` the number of unique
  elements must be concrete (eager); under ``jit`` it raises
  ``ConcretizationTypeError`` suggesting ``size=``.  Padding uses
  ``fill_value`` (default: the smallest unique value, as JAX; ``setdiff1d``:
  0), padded ``counts`` are 0 and padded ``indices`` point at the smallest
  value.
"""
from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from .. import core, dtypes
from ..core import Array, Tracer
from ..errors import ConcretizationTypeError, tracer_context
from ..lax import indexing as li
from ..lax import sorting as ls
from ..lax import structural as st
from . import creation as cr
from . import lax_numpy as ln
from . import reductions as rd
from . import ufuncs as uf
from .indexing import take_along_axis
from .util import asarray_arg, canonicalize_axis


def _ravel(a):
    return ln.reshape(a, (-1,))


def _concrete_or_none(a):
    if type(a) is Array:
        return np.asarray(a._value)
    if isinstance(a, Tracer):
        c = a.to_concrete_value()
        return None if c is None else np.asarray(c)
    return np.asarray(a)


def _check_kind_order(fname, kind, order):
    if order is not None:
        raise TypeError(f"'order' argument to {fname} is not supported.")
    del kind  # the sort is always stable; kind is ignored (as in JAX)


# --------------------------------------------------------------------------
# sort, argsort, lexsort, sort_complex


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    _check_kind_order("sort", kind, order)
    a = asarray_arg(a)
    if axis is None:
        a, axis = _ravel(a), 0
    if a.ndim == 0:
        return a
    axis = canonicalize_axis(axis, a.ndim)
    out = ls.sort(a, axis, is_stable=stable)
    return li.rev(out, (axis,)) if descending else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False, dtype=None):
    _check_kind_order("argsort", kind, order)
    a = asarray_arg(a)
    if axis is None:
        a, axis = _ravel(a), 0
    idt = np.dtype(dtype) if dtype is not None else dtypes.default_int_dtype()
    if a.ndim == 0:
        return Array(np.zeros((), idt))
    axis = canonicalize_axis(axis, a.ndim)
    if not descending:
        return ls.argsort(a, axis, is_stable=stable, index_dtype=idt)
    n = a.shape[axis]
    perm = ls.argsort(li.rev(a, (axis,)), axis, is_stable=stable, index_dtype=idt)
    perm = li.rev(perm, (axis,))
    return uf.subtract(np.array(n - 1, idt), perm)


def lexsort(keys, axis=-1):
    """Indices sorting by several keys; the LAST key is the primary one."""
    keys = tuple(asarray_arg(k) for k in keys)
    if not keys:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    shape = keys[0].shape
    if any(k.shape != shape for k in keys):
        raise ValueError("all keys need to be the same shape")
    if len(shape) == 0:
        return Array(np.zeros((), dtypes.default_int_dtype()))
    axis = canonicalize_axis(axis, len(shape))
    iota = ls._iota(tuple(shape), axis, dtypes.default_int_dtype())
    return ls.sort(keys[::-1] + (iota,), axis, num_keys=len(keys))[-1]


def sort_complex(a):
    a = asarray_arg(a)
    out = sort(a, axis=0)
    dt = dtypes.to_complex_dtype(a.dtype) if hasattr(dtypes, "to_complex_dtype") else \
        np.result_type(a.dtype, np.complex64)
    if out.dtype != dt:
        out = out.astype(dt)
    return out


# --------------------------------------------------------------------------
# partition, argpartition


def _lowest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    if dtype.kind == "b":
        return False
    raise TypeError(f"partition does not support dtype {dtype}")


def _argpartition_last(a, kth):
    n = a.shape[-1]
    if not 0 <= kth < n:
        raise ValueError(f"kth={kth} out of bounds for an axis of size {n}")
    neg = uf.logical_not(a) if a.dtype == np.bool_ else uf.negative(a)
    bottom = ls.top_k(neg, kth + 1)[1]
    # mask out the chosen ones and take the others, largest first
    mask = cr.zeros(a.shape, np.bool_)
    mask = _put_true(mask, bottom)
    masked = ln.where(mask, np.array(_lowest(a.dtype), a.dtype), a)
    top = ls.top_k(masked, n - kth - 1)[1]
    return ln.concatenate([bottom, top], axis=-1)


def _put_true(mask, idx):
    """``mask`` with True at ``idx`` along the last dimension."""
    shape = tuple(mask.shape)
    ishape = tuple(idx.shape)
    nd = len(shape)
    cols = []
    for d in range(nd):
        col = idx if d == nd - 1 else ls._iota(ishape, d, np.int32)
        cols.append(st.reshape(col, ishape + (1,)))
    indices = cols[0] if nd == 1 else st.concatenate(cols, nd)
    return li.scatter(mask, indices, cr.ones(ishape, np.bool_), tuple(range(nd)), mode="drop")


def argpartition(a, kth, axis=-1):
    a = asarray_arg(a)
    kth = operator.index(kth)
    if a.ndim == 0:
        raise TypeError("argpartition requires an array of rank >= 1")
    axis = canonicalize_axis(axis, a.ndim)
    am = ln.moveaxis(a, axis, -1)
    if kth < 0:
        kth += am.shape[-1]
    idx = _argpartition_last(am, kth)
    return ln.moveaxis(idx.astype(dtypes.default_int_dtype()), -1, axis)


def partition(a, kth, axis=-1):
    a = asarray_arg(a)
    kth = operator.index(kth)
    if a.ndim == 0:
        raise TypeError("partition requires an array of rank >= 1")
    axis = canonicalize_axis(axis, a.ndim)
    am = ln.moveaxis(a, axis, -1)
    if kth < 0:
        kth += am.shape[-1]
    idx = _argpartition_last(am, kth)
    return ln.moveaxis(take_along_axis(am, idx, axis=-1), -1, axis)


# --------------------------------------------------------------------------
# searchsorted


def _lt_nan_last(x, y):
    """x < y in the order that puts NaN last (for inexact x, y)."""
    if np.dtype(x.dtype).kind not in "fc":
        return uf.less(x, y)
    if np.dtype(x.dtype).kind == "c":
        xr, xi, yr, yi = uf.real(x), uf.imag(x), uf.real(y), uf.imag(y)
        return uf.logical_or(_lt_nan_last(xr, yr),
                             uf.logical_and(uf.equal(xr, yr), _lt_nan_last(xi, yi)))
    return uf.logical_or(uf.less(x, y), uf.logical_and(uf.isnan(y), uf.logical_not(uf.isnan(x))))


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    a = asarray_arg(a)
    v = asarray_arg(v)
    if a.ndim != 1:
        raise ValueError("a should be 1-dimensional")
    if side not in ("left", "right"):
        raise ValueError(f"{side!r} is an invalid value for keyword 'side'. "
                         "Expected one of ['left', 'right'].")
    if method not in ("scan", "scan_unrolled", "sort", "compare_all"):
        raise ValueError(f"Invalid method={method!r}; expected one of "
                         "['scan', 'scan_unrolled', 'sort', 'compare_all']")
    if sorter is not None:
        a = take_along_axis(a, asarray_arg(sorter), axis=0)
    dt = np.result_type(a.dtype, v.dtype) if not (a.weak_type or v.weak_type) else \
        dtypes.result_type(a, v)
    a, v = a.astype(dt), v.astype(dt)
    idt = np.dtype(np.int32)
    if a.shape[0] == 0:
        return cr.zeros(v.shape, idt)
    vv = ln.expand_dims(v, -1)
    if side == "left":
        hit = _lt_nan_last(a, vv)               # a[j] < v
    else:
        hit = uf.logical_not(_lt_nan_last(vv, a))  # a[j] <= v
    return rd.sum(hit, axis=-1, dtype=idt)


# --------------------------------------------------------------------------
# unique and the set operations


def _rows_differ(x, y, equal_nan):
    ne = uf.not_equal(x, y)
    if equal_nan and np.dtype(x.dtype).kind in "fc":
        ne = uf.logical_and(ne, uf.logical_not(uf.logical_and(uf.isnan(x), uf.isnan(y))))
    return rd.any(ne, axis=1) if ne.ndim == 2 else ne


def _no_size_error(fname, x):
    return ConcretizationTypeError(
        f"Abstract tracer value encountered where concrete value is expected: the number of "
        f"unique elements in jnp.{fname} depends on the values of {x.aval.str_short()}. "
        f"The size argument of jnp.{fname} must be statically specified to use it within "
        f"transformations: pass size=N (and optionally fill_value=...)." + tracer_context(x))


def _unique_rows(x, valid=None, *, size=None, fill_value=None, equal_nan=True, fname="unique",
                 default_fill_zero=False):
    """The unique rows of the 2-d ``x`` (n, m) among those where ``valid``.

    Returns (values (size, m), first index (size,), inverse (n,), counts (size,))."""
    n, m = x.shape
    idt = dtypes.default_int_dtype()
    iota = ls._iota((n,), 0, idt)
    cols = [x[:, j] for j in range(m)]
    keys = cols if valid is None else [uf.logical_not(valid)] + cols
    *skeys, perm = ls.sort(tuple(keys) + (iota,), 0, num_keys=len(keys))
    srows = take_along_axis(x, ln.broadcast_to(perm[:, None], (n, m)), axis=0) if m > 1 \
        else ln.reshape(skeys[-1], (n, 1))
    if n == 0:
        first = cr.zeros((0,), np.bool_)
    else:
        diff = _rows_differ(srows[1:], srows[:-1], equal_nan)
        first = ln.concatenate([cr.ones((1,), np.bool_), diff])
    if valid is not None:
        first = uf.logical_and(first, uf.logical_not(skeys[0]))
    if size is None:
        c = _concrete_or_none(first)
        if c is None:
            raise _no_size_error(fname, x)
        size = int(c.sum())
    else:
        size = operator.index(size)
        if size < 0:
            raise ValueError(f"size must be non-negative, got {size}")
    group = uf.subtract(rd.cumsum(first.astype(idt)), np.array(1, idt))
    target = ln.where(first, group, np.array(size, idt))
    if fill_value is None:
        if default_fill_zero or n == 0:
            fill_row = cr.zeros((m,), x.dtype)
        else:
            fill_row = srows[0]
        idx_fill = perm[0] if n else np.array(0, idt)
    else:
        fill_row = ln.broadcast_to(asarray_arg(fill_value).astype(x.dtype), (m,))
        idx_fill = perm[0] if n else np.array(0, idt)
    base = ln.broadcast_to(fill_row[None, :], (size, m))
    values = base.at[target].set(srows, mode="drop")
    index = ln.broadcast_to(idx_fill, (size,)).at[target].set(perm, mode="drop")
    cnt_target = group if valid is None else \
        ln.where(uf.logical_not(skeys[0]), group, np.array(size, idt))
    counts = cr.zeros((size,), idt).at[cnt_target].add(np.array(1, idt), mode="drop")
    inverse = cr.zeros((n,), idt).at[perm].set(group)
    return values, index, inverse, counts


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, size=None, fill_value=None, sorted=True):
    ar = asarray_arg(ar)
    if axis is None:
        shape = ar.shape
        x = ln.reshape(ar, (-1, 1))
    else:
        if ar.ndim == 0:
            raise ValueError("axis is out of bounds for a 0-d array")
        axis = canonicalize_axis(axis, ar.ndim)
        moved = ln.moveaxis(ar, axis, 0)
        rest = moved.shape[1:]
        x = ln.reshape(moved, (moved.shape[0], int(np.prod(rest, dtype=np.int64))))
    values, index, inverse, counts = _unique_rows(x, size=size, fill_value=fill_value,
                                                  equal_nan=equal_nan)
    if axis is None:
        values = values[:, 0]
        if return_inverse:
            inverse = ln.reshape(inverse, shape)
    else:
        values = ln.moveaxis(ln.reshape(values, (values.shape[0],) + tuple(rest)), 0, axis)
    out = [values]
    if return_index:
        out.append(index)
    if return_inverse:
        out.append(inverse)
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


class _UniqueAllResult(NamedTuple):
    values: Array
    indices: Array
    inverse_indices: Array
    counts: Array


class _UniqueCountsResult(NamedTuple):
    values: Array
    counts: Array


class _UniqueInverseResult(NamedTuple):
    values: Array
    inverse_indices: Array


def unique_all(x, /, *, size=None, fill_value=None):
    return _UniqueAllResult(*unique(x, return_index=True, return_inverse=True,
                                    return_counts=True, equal_nan=False, size=size,
                                    fill_value=fill_value))


def unique_counts(x, /, *, size=None, fill_value=None):
    return _UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False, size=size,
                                       fill_value=fill_value))


def unique_inverse(x, /, *, size=None, fill_value=None):
    return _UniqueInverseResult(*unique(x, return_inverse=True, equal_nan=False, size=size,
                                        fill_value=fill_value))


def unique_values(x, /, *, size=None, fill_value=None):
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    element = asarray_arg(element)
    test = _ravel(asarray_arg(test_elements))
    if test.shape[0] == 0:
        out = cr.zeros(element.shape, np.bool_)
    else:
        out = rd.any(uf.equal(ln.expand_dims(element, -1), test), axis=-1)
    return uf.logical_not(out) if invert else out


def _set_values(fname, x, valid, size, fill_value, default_fill_zero=False):
    vals = _unique_rows(ln.reshape(x, (-1, 1)), valid, size=size, fill_value=fill_value,
                        fname=fname, default_fill_zero=default_fill_zero)
    return vals


def _promoted_1d(ar1, ar2):
    a1, a2 = _ravel(asarray_arg(ar1)), _ravel(asarray_arg(ar2))
    dt = dtypes.result_type(a1, a2)
    return a1.astype(dt), a2.astype(dt)


def union1d(ar1, ar2, *, size=None, fill_value=None):
    a1, a2 = _promoted_1d(ar1, ar2)
    return unique(ln.concatenate([a1, a2]), size=size, fill_value=fill_value)


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    a1, a2 = _ravel(asarray_arg(ar1)), _ravel(asarray_arg(ar2))
    valid = isin(a1, a2, invert=True)
    return _set_values("setdiff1d", a1, valid, size, fill_value, default_fill_zero=True)[0][:, 0]


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    a1, a2 = _promoted_1d(ar1, ar2)
    valid = ln.concatenate([isin(a1, a2, invert=True), isin(a2, a1, invert=True)])
    return _set_values("setxor1d", ln.concatenate([a1, a2]), valid, size, fill_value)[0][:, 0]


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    a1, a2 = _promoted_1d(ar1, ar2)
    valid = isin(a1, a2)
    values, ind1, _, _ = _set_values("intersect1d", a1, valid, size, fill_value)
    values = values[:, 0]
    if not return_indices:
        return values
    # first position of each value in ar2
    if a2.shape[0] == 0:
        ind2 = cr.zeros(values.shape, dtypes.default_int_dtype())
    else:
        ind2 = rd.argmax(uf.equal(values[:, None], a2[None, :]), axis=1).astype(
            dtypes.default_int_dtype())
    return values, ind1, ind2
