"""Indexing primitives: ``rev``, ``dynamic_slice``, ``dynamic_update_slice``,
``gather`` and the scatter family (``scatter``, ``scatter_add``,
``scatter_mul``, ``scatter_min``, ``scatter_max``).

Parameterisation of gather and scatter
--------------------------------------
cotan does not use XLA's ``GatherDimensionNumbers``/``ScatterDimensionNumbers``.
Both families take the same, simpler description, which is exactly NumPy
advanced indexing of some whole dimensions of the operand:

``gather(operand, indices, axes, mode='clip', fill_value=None)``
    ``indices`` is an integer array of shape ``batch_shape + (len(axes),)``;
    ``axes`` is a tuple of distinct operand dimensions.  With
    ``rest = [d for d in range(operand.ndim) if d not in axes]`` the result has
    shape ``batch_shape + tuple(operand.shape[d] for d in rest)`` and::

        out[b, ...] = moveaxis(operand, axes, range(k))[indices[b, 0], ..., indices[b, k-1], ...]

    i.e. ``numpy.moveaxis(operand, axes, range(len(axes)))[tuple(indices[..., j] for j)]``.
    Index values are *not* wrapped: negative values are out of bounds (the
    cotan.numpy layer normalises negative indices first).  ``mode='clip'``
    clamps each index into ``[0, size-1]``; ``mode='fill'`` returns
    ``fill_value`` for every batch position whose index tuple is out of
    bounds (default fill: NaN for inexact dtypes, the minimum value for signed
    integers, the maximum for unsigned, True for bool).

``scatter*(operand, indices, updates, axes, mode='drop', indices_are_sorted=False,
           unique_indices=False)``
    The same addressing; ``updates`` has the shape the matching gather would
    return (``batch_shape + rest_shape``) and the operand's dtype.  The result
    is a copy of ``operand`` with ``moved[idx] = updates`` (``scatter``: when
    an index is repeated one of the updates wins -- the last one),
    ``+=`` (``scatter_add``; repeated indices accumulate), ``*=``,
    ``min=``, ``max=``.  ``mode='drop'`` (the default, as in JAX) skips
    updates whose index tuple is out of bounds; ``mode='clip'`` clamps.

Slices, strides, ``None`` and the placement of advanced dimensions are
handled by cotan.numpy around these primitives (``lax.slice``/``rev`` before
a gather, iota index arrays for partial slices in scatters, transposes and
reshapes after).

Derivatives
-----------
* gather is linear in the operand; its transpose is ``scatter_add`` (drop mode
  for a fill-mode gather, clip for clip); the tangent of filled positions is 0.
* scatter_add is linear in (operand, updates); transpose: ``ct`` and a gather.
* scatter (set): tangent = scatter of the update tangents into the operand
  tangent (the same update wins as in the primal).  Its transpose zeros the
  overwritten cotangent entries, and gives each update the cotangent of its
  target only if it is the update that won (ties resolved as in the primal).
* scatter_mul: linear in the operand (tangent ``scatter_mul(t, i, y)``); for
  the updates ``x * scatter_add(0, i, t_y * R)`` where ``R`` is the product of
  the *other* updates hitting the same element (repeated indices allowed;
  computed without dividing by zero, so exact with zero updates; exact to
  second order, third and higher derivatives can be wrong only where two or
  more updates of one element are exactly zero).
* scatter_min/max: like ``lax.min``/``lax.max``, the tangent is split evenly
  between everything that attains the extremum (the operand element and the
  equal updates).
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import core
from ..core import Array, Primitive, ShapedArray
from ..interpreters import ad, batching
from ..interpreters.ad import Zero, deflinear2, is_undefined_primal
from . import elementwise as ew
from . import structural as st


# --------------------------------------------------------------------------
# helpers


def _full(shape, value, dtype, weak=False):
    """A constant of ``shape`` (a broadcast scalar: cheap to build and to stage)."""
    scalar = Array(np.asarray(value, dtype), weak)
    shape = tuple(shape)
    if not shape:
        return scalar
    return st.broadcast_in_dim(scalar, shape, ())


def _zeros_like_aval(aval, dtype=None):
    return _full(aval.shape, 0, aval.dtype if dtype is None else dtype)


def _aval(x):
    return x.aval if is_undefined_primal(x) else core.get_aval(x)


def _weak_of_operand(args, params):
    return bool(getattr(args[0], "weak_type", False))


def _default_fill(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return np.nan
    if dtype.kind == "i":
        return int(np.iinfo(dtype).min)
    if dtype.kind == "u":
        return int(np.iinfo(dtype).max)
    if dtype.kind == "b":
        return True
    return 0


def _fill_scalar(dtype, fill_value):
    if fill_value is None:
        fill_value = _default_fill(dtype)
    with np.errstate(all="ignore"):
        return np.asarray(fill_value).astype(dtype)


def _check_index_aval(name, idx):
    if idx.shape != () or idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: start indices must be integer scalars, got {idx.str_short()}")


def _normalize_start(i, n):
    """A start index as an integer scalar, negative values wrapped once (as JAX does)."""
    if isinstance(i, core.Tracer):
        aval = i.aval
        if aval.shape != () or aval.dtype.kind not in "iu":
            raise TypeError(f"index arguments must be integer scalars, got {aval.str_short()}")
        if aval.dtype.kind == "u":
            return i
        if n > np.iinfo(aval.dtype).max:  # e.g. an int8 start into a long axis: widen first
            i = st.convert_element_type(i, np.int32)
            aval = i.aval
        zero = Array(np.zeros((), aval.dtype), aval.weak_type)
        size = Array(np.asarray(n, aval.dtype), aval.weak_type)
        return ew.select_n(ew.lt(i, zero), i, ew.add(i, size))
    if type(i) is Array:
        v = i._value
        if v.shape != () or v.dtype.kind not in "iu":
            raise TypeError(f"index arguments must be integer scalars, got {i.aval.str_short()}")
        if v.dtype.kind == "i" and v < 0:
            w = int(v) + n
            return Array(np.asarray(w, v.dtype if w <= np.iinfo(v.dtype).max else np.int32))
        return i
    if isinstance(i, (np.ndarray, np.generic)):
        if np.shape(i) != () or i.dtype.kind not in "iu":
            raise TypeError(f"index arguments must be integer scalars, got {i!r}")
    elif isinstance(i, bool) or not isinstance(i, (int, np.integer)):
        raise TypeError(f"index arguments must be integer scalars, got {i!r}")
    v = int(i)
    if v < 0:
        v += n
    # the primitive clamps into [0, n - size]; clamping to [0, n] here only keeps int32 safe
    v = builtins.min(builtins.max(v, 0), n)
    return Array(np.asarray(v, np.int32))


def _start_list(start_indices):
    if isinstance(start_indices, (list, tuple)):
        return list(start_indices)
    aval = core.get_aval(start_indices)
    if aval.ndim == 0:
        return [start_indices]
    if aval.ndim != 1:
        raise TypeError("start_indices must be a sequence of scalars or a 1-d array, got "
                        f"{aval.str_short()}")
    if isinstance(start_indices, core.Tracer):
        return [st.reshape(st.slice_in_dim(start_indices, j, j + 1), ())
                for j in range(aval.shape[0])]
    v = np.asarray(start_indices)
    return [Array(v[j]) for j in range(v.shape[0])]


def _validate(prim, args, params):
    """Run ``prim``'s shape rule (eager binds skip it; the lax wrappers should not)."""
    prim.abstract_eval(*[core.get_aval(a) for a in args], **params)


# --- batching helpers ----------------------------------------------------------------
#
# A batch of index operations becomes ONE gather / scatter: the batch dimension
# is either a plain (non-indexed) dimension of the operand, or, when the
# indices are batched too, an extra indexed dimension addressed by an iota
# index column (always in bounds, so clip / fill / drop act exactly as before
# on the original index columns).


def _shifted(axes, d):
    """Operand ``axes`` after a batch dimension is inserted at ``d``."""
    return tuple(a if a < d else a + 1 for a in axes)


def _index_dtype(dtype, n):
    """An index dtype that holds ``dtype``'s values and ``n - 1``."""
    dtype = np.dtype(dtype)
    if n <= 0 or np.iinfo(dtype).max >= n - 1:
        return dtype
    return np.dtype(np.int32 if n - 1 <= np.iinfo(np.int32).max else np.int64)


def _iota_column(n, dtype, shape, dim):
    """An integer array of ``shape`` (last dimension 1) holding ``arange(n)``
    along dimension ``dim``."""
    return st.broadcast_in_dim(Array(np.arange(n, dtype=dtype)), shape, (dim,))


def _with_iota(indices, bdim, n):
    """Batched ``indices`` (batch dimension ``bdim`` among the batch dims,
    index vectors in the last dimension) with a leading index column equal to
    the batch position."""
    aval = core.get_aval(indices)
    dtype = _index_dtype(aval.dtype, n)
    indices = st.convert_element_type(indices, dtype)
    iota = _iota_column(n, dtype, aval.shape[:-1] + (1,), bdim)
    return st.concatenate([iota, indices], aval.ndim - 1)


def _indices_bdim(indices, d):
    """Move the batch dimension ``d`` of batched ``indices`` among the batch
    dimensions (not after the index-vector dimension).  Returns (indices, d)."""
    nd = core.get_aval(indices).ndim
    if d == nd - 1:
        indices = batching.moveaxis(indices, d, nd - 2)
        d = nd - 2
    return indices, d


def _clamped_start(s, hi):
    """Start index ``s`` clamped into ``[0, hi]``, as int32 (exact for every
    integer dtype: clamp before narrowing, widen before clamping)."""
    aval = core.get_aval(s)
    dtype = aval.dtype
    hi = builtins.max(int(hi), 0)
    if np.iinfo(dtype).max < hi:
        s = st.convert_element_type(s, np.int32)
        aval = core.get_aval(s)
        dtype = aval.dtype
    if dtype.kind == "i":
        s = ew.max(s, _full(aval.shape, 0, dtype))
    s = ew.min(s, _full(aval.shape, hi, dtype))
    return st.convert_element_type(s, np.int32)


def _zero_start():
    return Array(np.zeros((), np.int32))


def _window_indices(n, starts, sizes, with_batch_iota):
    """Gather/scatter indices addressing, for each batch position ``b``, the
    window ``starts[t][b] + arange(sizes[t])`` (a full grid over the window).

    ``starts``: clamped int32 starts, each of shape ``(n,)`` or ``()``.
    Result shape ``(n,) + sizes + (len(sizes) + with_batch_iota,)``, int32."""
    grid = (n,) + tuple(sizes) + (1,)
    cols = []
    if with_batch_iota:
        cols.append(_iota_column(n, np.int32, grid, 0))
    for t, (s, z) in enumerate(zip(starts, sizes)):
        s_dims = (0,) if core.get_aval(s).ndim == 1 else ()
        base = st.broadcast_in_dim(s, grid, s_dims)
        cols.append(ew.add(base, _iota_column(z, np.int32, grid, 1 + t)))
    return st.concatenate(cols, len(grid) - 1)


# --------------------------------------------------------------------------
# rev


def rev(operand, dimensions):
    """Reverse ``operand`` along ``dimensions``."""
    dimensions = tuple(sorted(int(d) for d in dimensions))
    if not dimensions:
        return operand
    return rev_p.bind(operand, dimensions=dimensions)


def _rev_abstract(x, *, dimensions):
    if len(set(dimensions)) != len(dimensions) or any(not 0 <= d < x.ndim for d in dimensions):
        raise TypeError(f"rev: dimensions {dimensions} invalid for shape {x.shape}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


rev_p = Primitive("rev")
rev_p.def_impl(lambda x, *, dimensions: np.flip(x, dimensions))
rev_p.def_abstract_eval(_rev_abstract)
deflinear2(rev_p, lambda ct, x, *, dimensions: [rev(ct, dimensions)])


def _rev_batch(vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    return rev_p.bind(x, dimensions=_shifted(dimensions, d)), d


batching.primitive_batchers[rev_p] = _rev_batch


# --------------------------------------------------------------------------
# dynamic_slice


def dynamic_slice(operand, start_indices, slice_sizes):
    """``operand[s0:s0+z0, s1:s1+z1, ...]`` for (possibly traced) integer starts.

    Negative starts are wrapped once; the starts are then clamped so that the
    slice lies in bounds (``0 <= s <= n - size``), as in JAX/XLA.
    """
    aval = core.get_aval(operand)
    starts = _start_list(start_indices)
    slice_sizes = tuple(int(s) for s in slice_sizes)
    if len(starts) != aval.ndim or len(slice_sizes) != aval.ndim:
        raise TypeError(
            f"dynamic_slice: got {len(starts)} start indices and {len(slice_sizes)} slice sizes "
            f"for an operand of shape {aval.shape}; need one of each per dimension")
    starts = [_normalize_start(i, n) for i, n in zip(starts, aval.shape)]
    _validate(dynamic_slice_p, [operand, *starts], dict(slice_sizes=slice_sizes))
    return dynamic_slice_p.bind(operand, *starts, slice_sizes=slice_sizes)


def _clamped_slices(starts, sizes, shape):
    out = []
    for s, z, n in zip(starts, sizes, shape):
        s = int(s)
        s = builtins.min(builtins.max(s, 0), n - z)
        out.append(builtins.slice(s, s + z))
    return tuple(out)


def _dynamic_slice_impl(operand, *starts, slice_sizes):
    operand = np.asarray(operand)
    return np.asarray(operand[_clamped_slices(starts, slice_sizes, operand.shape)])


def _dynamic_slice_abstract(operand, *starts, slice_sizes):
    if len(starts) != operand.ndim or len(slice_sizes) != operand.ndim:
        raise TypeError(f"dynamic_slice: need {operand.ndim} start indices and slice sizes, got "
                        f"{len(starts)} and {len(slice_sizes)}")
    for s in starts:
        _check_index_aval("dynamic_slice", s)
    for z, n in zip(slice_sizes, operand.shape):
        if not 0 <= z <= n:
            raise TypeError(f"dynamic_slice: slice_sizes {slice_sizes} must lie within the operand "
                            f"shape {operand.shape}")
    return ShapedArray(slice_sizes, operand.dtype, operand.weak_type)


dynamic_slice_p = Primitive("dynamic_slice")
dynamic_slice_p.def_impl(_dynamic_slice_impl)
dynamic_slice_p.def_abstract_eval(_dynamic_slice_abstract)
dynamic_slice_p.weak_type_rule = _weak_of_operand


def _dynamic_slice_transpose(ct, operand, *starts, slice_sizes):
    aval = operand.aval
    zeros = _full(aval.shape, 0, core.get_aval(ct).dtype)
    return [dynamic_update_slice_p.bind(zeros, ct, *starts)] + [None] * len(starts)


deflinear2(dynamic_slice_p, _dynamic_slice_transpose)


def _dynamic_slice_batch(vals, dims, *, slice_sizes):
    operand, *starts = vals
    od, *sds = dims
    n = batching._size_of(vals, dims)
    shape = list(core.get_aval(operand).shape)
    if od is not None:
        del shape[od]
    # dimensions whose (batched) start matters; a full-size slice starts at 0 anyway
    J = [j for j, (sd, z) in enumerate(zip(sds, slice_sizes)) if sd is not None and z < shape[j]]
    if not J:
        starts = [_zero_start() if sd is not None else s for s, sd in zip(starts, sds)]
        if od is None:  # the result does not depend on the batch
            return dynamic_slice_p.bind(operand, *starts, slice_sizes=slice_sizes), None
        starts.insert(od, _zero_start())
        sizes = list(slice_sizes)
        sizes.insert(od, n)
        return dynamic_slice_p.bind(operand, *starts, slice_sizes=tuple(sizes)), od
    # 1. the dimensions with unbatched starts: one (batch-wide) dynamic_slice
    rest = [j for j in range(len(shape)) if j not in J]
    if any(slice_sizes[j] < shape[j] for j in rest):
        pre_starts = [_zero_start() if (j in J or sds[j] is not None) else starts[j]
                      for j in range(len(shape))]
        pre_sizes = [shape[j] if j in J else slice_sizes[j] for j in range(len(shape))]
        if od is not None:
            pre_starts.insert(od, _zero_start())
            pre_sizes.insert(od, n)
        operand = dynamic_slice_p.bind(operand, *pre_starts, slice_sizes=tuple(pre_sizes))
    # 2. the dimensions with batched starts: one gather over the window grid
    sizes = [slice_sizes[j] for j in J]
    clamped = [_clamped_start(starts[j], shape[j] - slice_sizes[j]) for j in J]
    indices = _window_indices(n, clamped, sizes, od is not None)
    if od is not None:
        operand = batching.moveaxis(operand, od, 0)
        axes = (0,) + tuple(1 + j for j in J)
    else:
        axes = tuple(J)
    out = gather_p.bind(operand, indices, axes=axes, mode="clip", fill_value=None)
    # out: (n,) + window dims of J + the other dims in order -> (n,) + natural order
    perm = [0] + [1 + J.index(j) if j in J else 1 + len(J) + rest.index(j)
                  for j in range(len(shape))]
    return st.transpose(out, perm), 0


batching.primitive_batchers[dynamic_slice_p] = _dynamic_slice_batch


# --------------------------------------------------------------------------
# dynamic_update_slice


def dynamic_update_slice(operand, update, start_indices):
    """``operand`` with ``update`` written at ``start_indices`` (clamped so it fits)."""
    aval = core.get_aval(operand)
    starts = _start_list(start_indices)
    if len(starts) != aval.ndim:
        raise TypeError(f"dynamic_update_slice: got {len(starts)} start indices for an operand of "
                        f"shape {aval.shape}")
    starts = [_normalize_start(i, n) for i, n in zip(starts, aval.shape)]
    _validate(dynamic_update_slice_p, [operand, update, *starts], {})
    return dynamic_update_slice_p.bind(operand, update, *starts)


def _dus_impl(operand, update, *starts):
    out = np.array(operand, copy=True)
    update = np.asarray(update)
    out[_clamped_slices(starts, update.shape, out.shape)] = update
    return out


def _dus_abstract(operand, update, *starts):
    if update.ndim != operand.ndim:
        raise TypeError(f"dynamic_update_slice: update rank {update.ndim} must equal operand rank "
                        f"{operand.ndim}")
    if update.dtype != operand.dtype:
        raise TypeError(f"dynamic_update_slice: update dtype {update.dtype} must equal operand "
                        f"dtype {operand.dtype}")
    if any(u > n for u, n in zip(update.shape, operand.shape)):
        raise TypeError(f"dynamic_update_slice: update shape {update.shape} must fit in operand "
                        f"shape {operand.shape}")
    if len(starts) != operand.ndim:
        raise TypeError(f"dynamic_update_slice: need {operand.ndim} start indices, got "
                        f"{len(starts)}")
    for s in starts:
        _check_index_aval("dynamic_update_slice", s)
    return ShapedArray(operand.shape, operand.dtype, operand.weak_type)


dynamic_update_slice_p = Primitive("dynamic_update_slice")
dynamic_update_slice_p.def_impl(_dus_impl)
dynamic_update_slice_p.def_abstract_eval(_dus_abstract)
dynamic_update_slice_p.weak_type_rule = _weak_of_operand


def _dus_jvp(primals, tangents):
    operand, update, *starts = primals
    t_op, t_up = tangents[0], tangents[1]
    out = dynamic_update_slice_p.bind(operand, update, *starts)
    if type(t_op) is Zero and type(t_up) is Zero:
        return out, Zero.from_value(out)
    if out.dtype.kind not in "fc":
        return out, Zero.from_value(out)
    t_op = ad.instantiate_zeros(t_op)
    t_up = ad.instantiate_zeros(t_up)
    return out, dynamic_update_slice_p.bind(t_op, t_up, *starts)


def _dus_transpose(ct, operand, update, *starts):
    up_aval = _aval(update)
    ct_dtype = core.get_aval(ct).dtype
    ct_op = ct_up = None
    if is_undefined_primal(operand):
        ct_op = dynamic_update_slice_p.bind(ct, _full(up_aval.shape, 0, ct_dtype), *starts)
    if is_undefined_primal(update):
        ct_up = dynamic_slice_p.bind(ct, *starts, slice_sizes=tuple(up_aval.shape))
    return [ct_op, ct_up] + [None] * len(starts)


ad.primitive_jvps[dynamic_update_slice_p] = _dus_jvp
ad.primitive_transposes[dynamic_update_slice_p] = _dus_transpose


def _dus_batch(vals, dims):
    operand, update, *starts = vals
    od, ud, *sds = dims
    n = batching._size_of(vals, dims)
    up_shape = core.get_aval(update).shape
    if ud is not None:
        up_shape = up_shape[:ud] + up_shape[ud + 1:]
    shape = list(core.get_aval(operand).shape)
    if od is not None:
        del shape[od]
    if not any(sd is not None and u < m for sd, u, m in zip(sds, up_shape, shape)):
        # the starts that matter are unbatched: one dynamic_update_slice
        starts = [_zero_start() if sd is not None else s for s, sd in zip(starts, sds)]
        d = od if od is not None else ud
        if od is None and ud is None:  # only irrelevant starts were batched
            return dynamic_update_slice_p.bind(operand, update, *starts), None
        operand = batching.bdim_to(operand, od, d, n)
        update = batching.bdim_to(update, ud, d, n)
        starts.insert(d, _zero_start())
        return dynamic_update_slice_p.bind(operand, update, *starts), d
    # batched starts: one scatter of the update window, batch position as an index column
    J = [j for j in range(len(shape)) if up_shape[j] < shape[j]]
    rest = [j for j in range(len(shape)) if j not in J]
    clamped = [_clamped_start(starts[j], shape[j] - up_shape[j]) for j in J]
    indices = _window_indices(n, clamped, [up_shape[j] for j in J], True)
    operand = batching.bdim_at_front(operand, od, n)
    update = batching.bdim_at_front(update, ud, n)
    update = st.transpose(update, [0] + [1 + j for j in J] + [1 + j for j in rest])
    out = scatter_p.bind(operand, indices, update, axes=(0,) + tuple(1 + j for j in J),
                         mode="drop", indices_are_sorted=True, unique_indices=True)
    return out, 0


batching.primitive_batchers[dynamic_update_slice_p] = _dus_batch


# --- helpers built on them ------------------------------------------------------------


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    aval = core.get_aval(operand)
    axis = int(axis) % builtins.max(aval.ndim, 1)
    starts = [0] * aval.ndim
    sizes = list(aval.shape)
    starts[axis] = start_index
    sizes[axis] = int(slice_size)
    return dynamic_slice(operand, starts, sizes)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    aval = core.get_aval(operand)
    axis = int(axis) % builtins.max(aval.ndim, 1)
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    if keepdims:
        return out
    return st.reshape(out, aval.shape[:axis] + aval.shape[axis + 1:])


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    aval = core.get_aval(operand)
    axis = int(axis) % builtins.max(aval.ndim, 1)
    starts = [0] * aval.ndim
    starts[axis] = start_index
    return dynamic_update_slice(operand, update, starts)


def dynamic_update_index_in_dim(operand, update, index, axis):
    aval = core.get_aval(operand)
    axis = int(axis) % builtins.max(aval.ndim, 1)
    up = core.get_aval(update)
    if up.ndim == aval.ndim - 1:
        update = st.reshape(update, up.shape[:axis] + (1,) + up.shape[axis:])
    return dynamic_update_slice_in_dim(operand, update, index, axis)


def index_in_dim(operand, index, axis=0, keepdims=True):
    """Static ``operand[..., index, ...]`` along ``axis`` (negative index wraps)."""
    aval = core.get_aval(operand)
    axis = int(axis) % builtins.max(aval.ndim, 1)
    n = aval.shape[axis]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of bounds for axis {axis} with size {n}")
    index %= n
    out = st.slice_in_dim(operand, index, index + 1, 1, axis)
    if keepdims:
        return out
    return st.reshape(out, aval.shape[:axis] + aval.shape[axis + 1:])


# --------------------------------------------------------------------------
# gather


_GATHER_MODES = {None: "clip", "clip": "clip", "promise_in_bounds": "clip", "fill": "fill",
                 "drop": "fill"}
_SCATTER_MODES = {None: "drop", "drop": "drop", "fill": "drop", "promise_in_bounds": "drop",
                  "clip": "clip"}


def _mode_name(mode):
    if mode is None or isinstance(mode, str):
        return mode
    name = getattr(mode, "name", None)  # an enum such as GatherScatterMode
    return None if name is None else name.lower().replace("fill_or_drop", "fill")


def canonicalize_gather_mode(mode):
    m = _GATHER_MODES.get(_mode_name(mode))
    if m is None:
        raise ValueError(f"Invalid gather mode {mode!r}: use 'clip', 'fill', 'drop' or "
                         "'promise_in_bounds'")
    return m


def canonicalize_scatter_mode(mode):
    m = _SCATTER_MODES.get(_mode_name(mode))
    if m is None:
        raise ValueError(f"Invalid scatter mode {mode!r}: use 'drop', 'fill', 'clip' or "
                         "'promise_in_bounds'")
    return m


def _hashable_fill(fill_value):
    if fill_value is None:
        return None
    if isinstance(fill_value, (bool, int, float, complex)):
        return fill_value
    v = np.asarray(fill_value)
    if v.shape != ():
        raise ValueError(f"fill_value must be a scalar, got shape {v.shape}")
    return v.item()


def gather(operand, indices, axes, mode="clip", fill_value=None):
    """NumPy advanced indexing of ``operand``'s dimensions ``axes`` by the
    index tuples stacked in the last dimension of ``indices`` (see the module
    docstring).  ``mode``: ``'clip'`` (default) or ``'fill'``."""
    axes = tuple(int(a) for a in axes)
    mode = canonicalize_gather_mode(mode)
    fill_value = None if mode == "clip" else _hashable_fill(fill_value)
    params = dict(axes=axes, mode=mode, fill_value=fill_value)
    _validate(gather_p, [operand, indices], params)
    return gather_p.bind(operand, indices, **params)


def _check_axes(name, operand, indices, axes):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must have an integer dtype, got {indices.dtype}")
    if indices.ndim < 1 or indices.shape[-1] != len(axes):
        raise TypeError(f"{name}: indices of shape {indices.shape} must have a last dimension of "
                        f"size len(axes) = {len(axes)}")
    if len(set(axes)) != len(axes) or any(not 0 <= a < operand.ndim for a in axes):
        raise TypeError(f"{name}: axes {axes} must be distinct dimensions of an operand of shape "
                        f"{operand.shape}")
    rest = tuple(d for d in range(operand.ndim) if d not in axes)
    return indices.shape[:-1] + tuple(operand.shape[d] for d in rest)


def _gather_abstract(operand, indices, *, axes, mode, fill_value):
    shape = _check_axes("gather", operand, indices, axes)
    return ShapedArray(shape, operand.dtype, operand.weak_type)


def _signed(indices):
    indices = np.asarray(indices)
    if indices.dtype == np.uint64:
        return np.minimum(indices, np.uint64(2 ** 62)).astype(np.int64)
    return indices


def _moved(operand, axes):
    rest = tuple(d for d in range(operand.ndim) if d not in axes)
    perm = tuple(axes) + rest
    if perm != tuple(range(operand.ndim)):
        operand = operand.transpose(perm)
    return operand, tuple(operand.shape[len(axes):])


def _gather_impl(operand, indices, *, axes, mode, fill_value):
    operand = np.asarray(operand)
    indices = _signed(indices)
    k = len(axes)
    batch = indices.shape[:-1]
    if k == 0:
        return np.broadcast_to(operand, batch + operand.shape)
    moved, rest_shape = _moved(operand, axes)
    sizes = np.array([operand.shape[a] for a in axes], dtype=np.int64)
    empty_axis = bool((sizes == 0).any())
    if mode == "clip":
        if empty_axis:
            return np.zeros(batch + rest_shape, operand.dtype)
        idx = np.clip(indices, 0, sizes - 1)
        return moved[tuple(idx[..., j] for j in range(k))]
    fill = _fill_scalar(operand.dtype, fill_value)
    inb = np.all((indices >= 0) & (indices < sizes), axis=-1)
    if empty_axis or not inb.any():
        return np.full(batch + rest_shape, fill, operand.dtype)
    all_in = bool(inb.all())
    idx = indices if all_in else np.where(inb[..., None], indices, 0)
    out = moved[tuple(idx[..., j] for j in range(k))]
    if not all_in:
        out[~inb] = fill
    return out


gather_p = Primitive("gather")
gather_p.def_impl(_gather_impl)
gather_p.def_abstract_eval(_gather_abstract)
gather_p.weak_type_rule = _weak_of_operand


def _gather_jvp(primals, tangents, *, axes, mode, fill_value):
    operand, indices = primals
    t = tangents[0]
    out = gather_p.bind(operand, indices, axes=axes, mode=mode, fill_value=fill_value)
    if type(t) is Zero:
        return out, Zero.from_value(out)
    tfill = 0 if mode == "fill" else None
    return out, gather_p.bind(t, indices, axes=axes, mode=mode, fill_value=tfill)


def _gather_transpose(ct, operand, indices, *, axes, mode, fill_value):
    if is_undefined_primal(indices):
        raise NotImplementedError("gather is not linear in its indices")
    aval = operand.aval
    zeros = _full(aval.shape, 0, core.get_aval(ct).dtype)
    smode = "clip" if mode == "clip" else "drop"
    return [scatter_add_p.bind(zeros, indices, ct, axes=axes, mode=smode,
                               indices_are_sorted=False, unique_indices=False), None]


ad.primitive_jvps[gather_p] = _gather_jvp
ad.primitive_transposes[gather_p] = _gather_transpose


def _gather_batch(vals, dims, *, axes, mode, fill_value):
    operand, indices = vals
    od, id_ = dims
    params = dict(mode=mode, fill_value=fill_value)
    if id_ is None:
        # a plain extra (non-indexed) operand dimension, kept where it is
        nb = core.get_aval(indices).ndim - 1
        out_dim = nb + builtins.sum(1 for d in range(od) if d not in _shifted(axes, od))
        return gather_p.bind(operand, indices, axes=_shifted(axes, od), **params), out_dim
    indices, id_ = _indices_bdim(indices, id_)
    if od is None:
        # the batch dimension is one of the index batch dimensions
        return gather_p.bind(operand, indices, axes=axes, **params), id_
    n = core.get_aval(operand).shape[od]
    operand = batching.moveaxis(operand, od, 0)
    indices = _with_iota(indices, id_, n)
    return gather_p.bind(operand, indices, axes=(0,) + _shifted(axes, 0), **params), id_


batching.primitive_batchers[gather_p] = _gather_batch


# --------------------------------------------------------------------------
# scatter family


def _scatter_abstract(operand, indices, updates, *, axes, mode, indices_are_sorted,
                      unique_indices):
    shape = _check_axes("scatter", operand, indices, axes)
    if updates.shape != shape:
        raise TypeError(f"scatter: updates of shape {updates.shape} do not match the indexed "
                        f"shape {shape} (indices {indices.shape}, operand {operand.shape}, "
                        f"axes {axes})")
    if updates.dtype != operand.dtype:
        raise TypeError(f"scatter: updates dtype {updates.dtype} must equal operand dtype "
                        f"{operand.dtype}")
    return ShapedArray(operand.shape, operand.dtype, operand.weak_type)


_UFUNCS = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def _scatter_impl_for(kind):
    ufunc = _UFUNCS.get(kind)

    def impl(operand, indices, updates, *, axes, mode, indices_are_sorted, unique_indices):
        out = np.array(operand, copy=True)
        indices = _signed(indices)
        updates = np.asarray(updates)
        k = len(axes)
        if k == 0:
            rest_shape = out.shape
            flat = updates.reshape((-1,) + rest_shape)
            if flat.shape[0] == 0:
                return out
            if kind == "set":
                out[...] = flat[-1]
            else:
                out[...] = ufunc(out, ufunc.reduce(flat, axis=0))
            return out
        moved, _ = _moved(out, axes)  # a view of ``out``
        sizes = np.array([out.shape[a] for a in axes], dtype=np.int64)
        if mode == "clip":
            if (sizes == 0).any():
                return out
            idx = np.clip(indices, 0, sizes - 1)
            upd = updates
        else:
            inb = np.all((indices >= 0) & (indices < sizes), axis=-1)
            if inb.all():
                idx, upd = indices, updates
            else:
                idx, upd = indices[inb], updates[inb]
        tup = tuple(idx[..., j] for j in range(k))
        if kind == "set":
            moved[tup] = upd
        else:
            ufunc.at(moved, tup, upd)
        return out

    impl.__name__ = f"scatter_{kind}_impl"
    return impl


def _make_scatter(name, kind):
    p = Primitive(name)
    p.def_impl(_scatter_impl_for(kind))
    p.def_abstract_eval(_scatter_abstract)
    p.weak_type_rule = _weak_of_operand
    return p


scatter_p = _make_scatter("scatter", "set")
scatter_add_p = _make_scatter("scatter-add", "add")
scatter_mul_p = _make_scatter("scatter-mul", "mul")
scatter_min_p = _make_scatter("scatter-min", "min")
scatter_max_p = _make_scatter("scatter-max", "max")


def _scatter_batch_rule(prim):
    def rule(vals, dims, *, axes, mode, indices_are_sorted, unique_indices):
        operand, indices, updates = vals
        od, id_, ud = dims
        n = batching._size_of(vals, dims)
        params = dict(mode=mode, indices_are_sorted=indices_are_sorted,
                      unique_indices=unique_indices)
        if id_ is None:
            # the batch dimension is a plain (non-indexed) operand dimension
            nb = core.get_aval(indices).ndim - 1
            if od is None:
                operand = batching.bdim_at_front(operand, None, n)
                od = 0
            new_axes = _shifted(axes, od)
            t = builtins.sum(1 for d in range(od) if d not in new_axes)
            updates = batching.bdim_to(updates, ud, nb + t, n)
            return prim.bind(operand, indices, updates, axes=new_axes, **params), od
        # batched indices: the batch position becomes a leading index column
        indices = _with_iota(batching.moveaxis(indices, id_, 0), 0, n)
        operand = batching.bdim_at_front(operand, od, n)
        updates = batching.bdim_at_front(updates, ud, n)
        return prim.bind(operand, indices, updates, axes=(0,) + _shifted(axes, 0),
                         **params), 0
    return rule


def _scatter_wrapper(prim, doc):
    def f(operand, indices, updates, axes, mode="drop", indices_are_sorted=False,
          unique_indices=False):
        params = dict(axes=tuple(int(a) for a in axes), mode=canonicalize_scatter_mode(mode),
                      indices_are_sorted=bool(indices_are_sorted),
                      unique_indices=bool(unique_indices))
        _validate(prim, [operand, indices, updates], params)
        return prim.bind(operand, indices, updates, **params)
    f.__doc__ = doc
    return f


scatter = _scatter_wrapper(scatter_p, "Copy of ``operand`` with ``updates`` written at "
                           "``indices``.")
scatter_add = _scatter_wrapper(scatter_add_p, "Copy of ``operand`` with ``updates`` added at "
                               "``indices`` (repeated indices accumulate).")
scatter_mul = _scatter_wrapper(scatter_mul_p, "Copy of ``operand`` multiplied by ``updates`` at "
                               "``indices``.")
scatter_min = _scatter_wrapper(scatter_min_p, "Copy of ``operand`` with the minimum of it and "
                               "``updates`` at ``indices``.")
scatter_max = _scatter_wrapper(scatter_max_p, "Copy of ``operand`` with the maximum of it and "
                               "``updates`` at ``indices``.")


def _gather_params(params, fill=0):
    """Params of the gather that reads back what a scatter with ``params`` wrote."""
    mode = "clip" if params["mode"] == "clip" else "fill"
    return dict(axes=params["axes"], mode=mode, fill_value=fill if mode == "fill" else None)


def _inexact(x):
    return core.get_aval(x).dtype.kind in "fc"


# --- scatter_add: linear in (operand, updates) ---


def _scatter_add_jvp(primals, tangents, **params):
    operand, indices, updates = primals
    t_op, _, t_up = tangents
    out = scatter_add_p.bind(operand, indices, updates, **params)
    if (type(t_op) is Zero and type(t_up) is Zero) or not _inexact(out):
        return out, Zero.from_value(out)
    return out, scatter_add_p.bind(ad.instantiate_zeros(t_op), indices,
                                   ad.instantiate_zeros(t_up), **params)


def _scatter_add_transpose(ct, operand, indices, updates, **params):
    if is_undefined_primal(indices):
        raise NotImplementedError("scatter_add is not linear in its indices")
    ct_op = ct if is_undefined_primal(operand) else None
    ct_up = None
    if is_undefined_primal(updates):
        ct_up = gather_p.bind(ct, indices, **_gather_params(params))
    return [ct_op, None, ct_up]


ad.primitive_jvps[scatter_add_p] = _scatter_add_jvp
ad.primitive_transposes[scatter_add_p] = _scatter_add_transpose
batching.primitive_batchers[scatter_add_p] = _scatter_batch_rule(scatter_add_p)


# --- scatter (set) ---


def _scatter_jvp(primals, tangents, **params):
    operand, indices, updates = primals
    t_op, _, t_up = tangents
    out = scatter_p.bind(operand, indices, updates, **params)
    if (type(t_op) is Zero and type(t_up) is Zero) or not _inexact(out):
        return out, Zero.from_value(out)
    return out, scatter_p.bind(ad.instantiate_zeros(t_op), indices,
                               ad.instantiate_zeros(t_up), **params)


def _winner_mask(op_shape, indices, up_shape, params):
    """True where an update is the one a scatter with ``params`` keeps."""
    size = int(np.prod(up_shape, dtype=np.int64))
    ids = Array(np.arange(1, size + 1, dtype=np.int32).reshape(up_shape))
    won = scatter_p.bind(_full(op_shape, 0, np.int32), indices, ids, **params)
    back = gather_p.bind(won, indices, **_gather_params(params))
    return ew.eq(back, ids)


def _scatter_transpose(ct, operand, indices, updates, **params):
    if is_undefined_primal(indices):
        raise NotImplementedError("scatter is not linear in its indices")
    up_aval = _aval(updates)
    ct_dtype = core.get_aval(ct).dtype
    ct_op = ct_up = None
    if is_undefined_primal(operand):
        ct_op = scatter_p.bind(ct, indices, _full(up_aval.shape, 0, ct_dtype), **params)
    if is_undefined_primal(updates):
        g = gather_p.bind(ct, indices, **_gather_params(params))
        if not params["unique_indices"]:
            mask = _winner_mask(_aval(operand).shape, indices, up_aval.shape, params)
            g = ew.select_n(mask, _full(up_aval.shape, 0, ct_dtype), g)
        ct_up = g
    return [ct_op, None, ct_up]


ad.primitive_jvps[scatter_p] = _scatter_jvp
ad.primitive_transposes[scatter_p] = _scatter_transpose
batching.primitive_batchers[scatter_p] = _scatter_batch_rule(scatter_p)


# --- scatter_mul ---


def _others_product(operand, indices, updates, params):
    """For each update, the product of the *other* updates that hit the same
    element.  No division by zero, and exact to first order everywhere (so
    scatter_mul is exact to second order), zero updates included:

    with ``Po`` the product of the non-zero others, ``zo`` the sum of the
    zero-valued others (value 0, derivative 1 each) and ``c`` their count,
    the product is ``Po`` if c == 0, ``zo * Po`` if c == 1 and 0 otherwise.
    """
    ya = core.get_aval(updates)
    dt = ya.dtype
    shape_x = core.get_aval(operand).shape
    zero_y, one_y = _full(ya.shape, 0, dt), _full(ya.shape, 1, dt)
    nonzero = ew.ne(updates, zero_y)
    y_safe = ew.select_n(nonzero, one_y, updates)
    y_zeros = ew.select_n(nonzero, updates, zero_y)
    is_zero = ew.select_n(nonzero, one_y, zero_y)
    gp = _gather_params(params)
    q = gather_p.bind(scatter_mul_p.bind(_full(shape_x, 1, dt), indices, y_safe, **params),
                      indices, **gp)
    count = gather_p.bind(scatter_add_p.bind(_full(shape_x, 0, dt), indices, is_zero, **params),
                          indices, **gp)
    zsum = gather_p.bind(scatter_add_p.bind(_full(shape_x, 0, dt), indices, y_zeros, **params),
                         indices, **gp)
    po = ew.div(q, y_safe)
    c = ew.sub(count, is_zero)
    zo = ew.sub(zsum, y_zeros)
    one_other = ew.select_n(ew.eq(c, one_y), zero_y, ew.mul(zo, po))
    return ew.select_n(ew.eq(c, zero_y), one_other, po)


def _scatter_mul_jvp(primals, tangents, **params):
    operand, indices, updates = primals
    t_op, _, t_up = tangents
    out = scatter_mul_p.bind(operand, indices, updates, **params)
    if (type(t_op) is Zero and type(t_up) is Zero) or not _inexact(out):
        return out, Zero.from_value(out)
    acc = Zero.from_value(out)
    if type(t_op) is not Zero:
        acc = scatter_mul_p.bind(t_op, indices, updates, **params)
    if type(t_up) is not Zero:
        if params["unique_indices"]:
            scaled = t_up
        else:
            scaled = ew.mul(t_up, _others_product(operand, indices, updates, params))
        xa = core.get_aval(operand)
        contrib = ew.mul(operand, scatter_add_p.bind(_full(xa.shape, 0, xa.dtype), indices,
                                                     scaled, **params))
        acc = ad.add_tangents(acc, contrib)
    return out, acc


def _scatter_mul_transpose(ct, operand, indices, updates, **params):
    if is_undefined_primal(indices) or is_undefined_primal(updates):
        raise NotImplementedError("scatter_mul is linear in its operand only")
    return [scatter_mul_p.bind(ct, indices, updates, **params), None, None]


ad.primitive_jvps[scatter_mul_p] = _scatter_mul_jvp
ad.primitive_transposes[scatter_mul_p] = _scatter_mul_transpose
batching.primitive_batchers[scatter_mul_p] = _scatter_batch_rule(scatter_mul_p)


# --- scatter_min / scatter_max ---


def _scatter_extremal_jvp(prim):
    def rule(primals, tangents, **params):
        operand, indices, updates = primals
        t_op, _, t_up = tangents
        out = prim.bind(operand, indices, updates, **params)
        if (type(t_op) is Zero and type(t_up) is Zero) or not _inexact(out):
            return out, Zero.from_value(out)
        xa = core.get_aval(operand)
        dt = xa.dtype
        out_at_updates = gather_p.bind(out, indices, **_gather_params(params))
        up_hit = st.convert_element_type(ew.eq(updates, out_at_updates), dt)
        op_hit = st.convert_element_type(ew.eq(operand, out), dt)
        count = ew.add(op_hit, scatter_add_p.bind(_full(xa.shape, 0, dt), indices, up_hit,
                                                  **params))
        one_x = _full(xa.shape, 1, dt)
        count = ew.select_n(ew.eq(count, _full(xa.shape, 0, dt)), count, one_x)  # NaN guard
        acc = Zero.from_value(out)
        if type(t_op) is not Zero:
            acc = ew.mul(t_op, ew.div(op_hit, count))
        if type(t_up) is not Zero:
            count_at_updates = gather_p.bind(count, indices, **_gather_params(params, fill=1))
            coef = ew.div(up_hit, count_at_updates)
            contrib = scatter_add_p.bind(_full(xa.shape, 0, dt), indices, ew.mul(t_up, coef),
                                         **params)
            acc = ad.add_tangents(acc, contrib)
        return out, acc
    return rule


ad.primitive_jvps[scatter_min_p] = _scatter_extremal_jvp(scatter_min_p)
ad.primitive_jvps[scatter_max_p] = _scatter_extremal_jvp(scatter_max_p)
batching.primitive_batchers[scatter_min_p] = _scatter_batch_rule(scatter_min_p)
batching.primitive_batchers[scatter_max_p] = _scatter_batch_rule(scatter_max_p)
