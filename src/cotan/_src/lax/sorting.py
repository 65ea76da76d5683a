"""Sorting primitives: ``sort`` (several operands ordered by the first
``num_keys``) and ``top_k``.

Ordering (as in JAX): ascending, NaNs last, ``-0.0`` equal to ``0.0``;
complex values compare lexicographically by (real, imag); several keys
compare lexicographically, the first key most significant.  The sort is
always stable (``is_stable=False`` is accepted and also stable).  ``top_k``
returns the ``k`` largest entries along ``axis`` in descending order (NaN
counts as the largest), ties broken by the lower index, with their int32
indices.

Derivatives: both permute their inputs, so the tangent of an output is the
input tangent gathered with the same permutation.  ``sort``'s JVP sorts an
extra int32 iota operand along with the keys to learn the permutation and
gathers every non-zero tangent with it (the gather is linear; its transpose
is a scatter-add), ``top_k``'s JVP gathers with the returned indices.
Batching moves the batch dimension to the front and shifts the sorted
dimension / axis.
"""
from __future__ import annotations

import numpy as np

from .. import core
from ..core import Array, Primitive, ShapedArray
from ..interpreters import ad, batching
from ..interpreters.ad import Zero
from . import indexing as li
from . import structural as st
from .utils import check_dtype

_ORDERED = "biufc"


def _canon_dim(d, ndim, what="dimension"):
    d = int(d)
    if not -ndim <= d < ndim:
        raise ValueError(f"{what} {d} is out of bounds for an array of rank {ndim}")
    return d % ndim


# --------------------------------------------------------------------------
# NumPy kernels


def _sort_keys(keys):
    """Split complex keys into (real, imag) so lexsort can order them."""
    out = []
    for k in keys:
        k = np.asarray(k)
        if k.dtype.kind == "c":
            out += [k.real, k.imag]
        else:
            out.append(k)
    return out


def _permutation(keys, axis):
    keys = _sort_keys(keys)
    if len(keys) == 1:
        return np.argsort(keys[0], axis=axis, kind="stable")
    # np.lexsort: the last key is the primary one
    return np.lexsort(keys[::-1], axis=axis)


def _sort_impl(*operands, dimension, is_stable, num_keys):
    operands = [np.asarray(o) for o in operands]
    if operands[0].ndim == 0:
        return [o.copy() for o in operands]
    perm = _permutation(operands[:num_keys], dimension)
    return [np.take_along_axis(o, perm, axis=dimension) for o in operands]


def _sort_abstract(*operands, dimension, is_stable, num_keys):
    if not operands:
        raise TypeError("sort requires at least one operand")
    shape = operands[0].shape
    for o in operands:
        if o.shape != shape:
            raise TypeError(f"sort: all operands must have the same shape, got "
                            f"{', '.join(str(p.shape) for p in operands)}")
        check_dtype("sort", o, _ORDERED)
    if not 1 <= num_keys <= len(operands):
        raise ValueError(f"sort: num_keys={num_keys} must be between 1 and the number of "
                         f"operands ({len(operands)})")
    if not 0 <= dimension < max(len(shape), 1):
        raise ValueError(f"sort: dimension {dimension} out of range for shape {shape}")
    return [ShapedArray(o.shape, o.dtype, o.weak_type) for o in operands]


sort_p = Primitive("sort", multiple_results=True)
sort_p.def_impl(_sort_impl)
sort_p.def_abstract_eval(_sort_abstract)
sort_p.weak_type_rule = lambda args, params: [core.get_aval(a).weak_type for a in args]


def _iota(shape, dim, dtype=np.int32):
    """A concrete array of ``shape`` counting along ``dim``."""
    n = shape[dim]
    v = np.arange(n, dtype=dtype).reshape((n,) + (1,) * (len(shape) - dim - 1))
    return Array(np.ascontiguousarray(np.broadcast_to(v, shape)))


def take_along_dim(x, idx, dim):
    """``np.take_along_axis(x, idx, dim)`` as one lax gather (``idx`` has
    ``x``'s shape except along ``dim``; integer; in bounds)."""
    shape = tuple(core.get_aval(idx).shape)
    nd = len(shape)
    idt = core.get_aval(idx).dtype
    cols = []
    for d in range(nd):
        col = idx if d == dim else _iota(shape, d, idt)
        cols.append(st.reshape(col, shape + (1,)))
    indices = cols[0] if nd == 1 else st.concatenate(cols, nd)
    return li.gather(x, indices, tuple(range(nd)), mode="clip")


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    params = dict(dimension=dimension, is_stable=is_stable, num_keys=num_keys)
    if all(type(t) is Zero for t in tangents):
        outs = sort_p.bind(*primals, **params)
        return outs, [Zero.from_value(o) for o in outs]
    shape = tuple(core.get_aval(primals[0]).shape)
    if len(shape) == 0:
        outs = sort_p.bind(*primals, **params)
        return outs, list(tangents)
    iota = _iota(shape, dimension)
    *outs, perm = sort_p.bind(*primals, iota, **params)
    tans = [Zero.from_value(o) if type(t) is Zero else take_along_dim(t, perm, dimension)
            for o, t in zip(outs, tangents)]
    return outs, tans


ad.primitive_jvps[sort_p] = _sort_jvp


def _sort_batch(vals, dims, *, dimension, is_stable, num_keys):
    size = next(core.get_aval(v).shape[d] for v, d in zip(vals, dims) if d is not None)
    vals = [batching.bdim_at_front(v, d, size) for v, d in zip(vals, dims)]
    outs = sort_p.bind(*vals, dimension=dimension + 1, is_stable=is_stable, num_keys=num_keys)
    return outs, [0] * len(outs)


batching.primitive_batchers[sort_p] = _sort_batch


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    """Sorts ``operand`` (an array, or a sequence of same-shaped arrays sorted
    together by the first ``num_keys``) along ``dimension``."""
    single = not isinstance(operand, (tuple, list))
    ops = [operand] if single else list(operand)
    if not ops:
        raise TypeError("sort requires at least one operand")
    nd = len(core.get_aval(ops[0]).shape)
    dimension = _canon_dim(dimension, max(nd, 1))
    num_keys = int(num_keys)
    params = dict(dimension=dimension, is_stable=bool(is_stable), num_keys=num_keys)
    _sort_abstract(*[core.get_aval(o) for o in ops], **params)  # validate (eager too)
    outs = sort_p.bind(*ops, **params)
    return outs[0] if single else tuple(outs)


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    """Sorts ``keys`` along ``dimension`` and permutes ``values`` the same way."""
    k, v = sort((keys, values), dimension=dimension, is_stable=is_stable, num_keys=1)
    return k, v


def argsort(operand, dimension=-1, is_stable=True, index_dtype=np.int32):
    """The stable sorting permutation of ``operand`` along ``dimension`` (a sort
    of an iota operand keyed by ``operand``)."""
    shape = tuple(core.get_aval(operand).shape)
    dimension = _canon_dim(dimension, max(len(shape), 1))
    if not shape:
        return Array(np.zeros((), np.dtype(index_dtype)))
    iota = _iota(shape, dimension, np.dtype(index_dtype))
    return sort_p.bind(operand, iota, dimension=dimension, is_stable=bool(is_stable),
                       num_keys=1)[1]


# --------------------------------------------------------------------------
# top_k


def _descending_keys(x):
    """Keys whose ascending stable order is ``x``'s descending order with NaN first."""
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return [~np.isnan(x), -x]
    if x.dtype.kind == "c":
        nan = np.isnan(x.real) | np.isnan(x.imag)
        return [~nan, -x.real, -x.imag]
    return [~x]


def _top_k_impl(x, *, k, axis):
    x = np.asarray(x)
    keys = _descending_keys(x)
    perm = np.lexsort(keys[::-1], axis=axis)
    idx = np.take(perm, np.arange(k), axis=axis)
    return [np.take_along_axis(x, idx, axis=axis), idx.astype(np.int32)]


def _top_k_abstract(x, *, k, axis):
    check_dtype("top_k", x, _ORDERED)
    if x.ndim == 0:
        raise TypeError("top_k operand must have rank >= 1")
    if not 0 <= axis < x.ndim:
        raise ValueError(f"top_k: axis {axis} out of range for shape {x.shape}")
    if not 0 <= k <= x.shape[axis]:
        raise ValueError(f"top_k: k={k} must be between 0 and the size of dimension {axis} "
                         f"({x.shape[axis]})")
    shape = x.shape[:axis] + (k,) + x.shape[axis + 1:]
    return [ShapedArray(shape, x.dtype, x.weak_type), ShapedArray(shape, np.dtype(np.int32))]


top_k_p = Primitive("top_k", multiple_results=True)
top_k_p.def_impl(_top_k_impl)
top_k_p.def_abstract_eval(_top_k_abstract)
top_k_p.weak_type_rule = lambda args, params: [core.get_aval(args[0]).weak_type, False]


def _top_k_jvp(primals, tangents, *, k, axis):
    (x,), (t,) = primals, tangents
    vals, idx = top_k_p.bind(x, k=k, axis=axis)
    if type(t) is Zero:
        return [vals, idx], [Zero.from_value(vals), Zero.from_value(idx)]
    return [vals, idx], [take_along_dim(t, idx, axis), Zero.from_value(idx)]


ad.primitive_jvps[top_k_p] = _top_k_jvp


def _top_k_batch(vals, dims, *, k, axis):
    (x,), (d,) = vals, dims
    x = batching.moveaxis(x, d, 0)
    return top_k_p.bind(x, k=k, axis=axis + 1), [0, 0]


batching.primitive_batchers[top_k_p] = _top_k_batch


def top_k(operand, k, *, axis=-1):
    """The ``k`` largest entries of ``operand`` along ``axis`` (descending) and
    their int32 indices."""
    nd = len(core.get_aval(operand).shape)
    if nd == 0:
        raise TypeError("top_k operand must have rank >= 1")
    axis = _canon_dim(axis, nd, "axis")
    k = int(k)
    if k < 0:
        raise ValueError(f"k argument to top_k must be nonnegative, got {k}")
    n = core.get_aval(operand).shape[axis]
    if k > n:
        raise ValueError(f"k argument to top_k must be no larger than the size of the sorted "
                         f"axis ({n}), got {k}")
    return tuple(top_k_p.bind(operand, k=k, axis=axis))
