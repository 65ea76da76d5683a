"""NumPy-style indexing of cotan arrays: ``x[idx]``, ``x.at[idx].<op>(...)``,
``take``, ``take_along_axis``, ``nonzero``/``argwhere``/``flatnonzero``.

Semantics (JAX's):

* Static indices (Python ints, slices, ``None``, ``...``) become ``lax.slice``
  (+ ``rev`` for negative steps) and ``reshape``.  A static Python int that
  is out of range is wrapped once if negative and then clamped, as JAX does
  (``jnp.arange(3)[5]`` is ``2``; NumPy would raise).
* Traced integer scalars use ``lax.dynamic_slice`` (clamped into range).
* Integer arrays (and lists) are NumPy advanced indices, placed by NumPy's
  rule (adjacent advanced indices keep their place, otherwise they go first);
  integer scalars count as advanced indices when an array index is present.
  They become one ``gather``.  Negative indices are wrapped once; indices
  still out of range are clamped (``mode='clip'``, the default for reads) or
  filled (``.at[].get(mode='fill', fill_value=...)``).
* Boolean masks must be concrete (they become integer arrays via
  ``np.nonzero``); a traced mask raises ``NonConcreteBooleanIndexError``.
* ``x.at[idx].set/add/multiply/divide/power/min/max/apply(y)`` cast ``y`` to
  ``x``'s dtype and broadcast it to the shape of ``x[idx]``; out-of-range
  updates are dropped (``mode='drop'``, the default) or clamped
  (``mode='clip'``).  Static-int/step-1-slice updates use
  ``dynamic_update_slice``; everything else one scatter primitive.
* Eager reads of a concrete Array with a concrete index skip the primitives
  and index the NumPy value directly (static indices as they are, index
  arrays after wrapping and clamping): ``x[0]`` costs a couple of
  microseconds.
* A top-level Python list index raises ``TypeError`` as in JAX (lists inside
  a tuple index are index arrays).  NumPy's adjacency rule (``None``/``...``
  between advanced indices moves the broadcast dimensions first) is followed
  exactly.
"""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import core, dtypes
from ..core import Array, Tracer
from ..errors import ConcretizationTypeError, NonConcreteBooleanIndexError, tracer_context
from ..lax import elementwise as lx
from ..lax import indexing as li
from ..lax import structural as st
from .util import asarray_arg, broadcast_shapes, broadcast_to_shape, canonicalize_axis, convert

_slice = builtins.slice
_NoneType = type(None)
_EllipsisType = type(Ellipsis)


# --------------------------------------------------------------------------
# fast path


def _basic_static(idx):
    """True when the tuple ``idx`` holds only Python ints, int/None slices,
    ``None`` and ``...`` (NumPy then computes exactly what JAX would)."""
    for e in idx:
        t = type(e)
        if t is int or t is _NoneType or t is _EllipsisType:
            continue
        if t is _slice:
            a, b, c = e.start, e.stop, e.step
            if ((a is None or type(a) is int) and (b is None or type(b) is int)
                    and (c is None or type(c) is int)):
                continue
        return False
    return True


def getitem(x, idx):
    """``x[idx]`` with JAX's semantics."""
    if type(idx) is list:
        raise TypeError(
            "Using a non-tuple sequence for multidimensional indexing is not allowed; use "
            "`arr[array(seq)]` instead of `arr[seq]` (for an index array), or "
            "`arr[tuple(seq)]` (for one index per dimension).")
    if type(x) is Array:
        t = type(idx)
        v = x._value
        if t is int:
            if v.ndim:
                n = v.shape[0]
                if -n <= idx < n:
                    return Array(v[idx, ...], x.weak_type)
        elif t is tuple or t is _slice:
            if _basic_static(idx if t is tuple else (idx,)):
                try:
                    r = v[idx]
                except IndexError:
                    pass  # out of range: clamped below, as JAX does
                else:
                    if type(r) is not np.ndarray:
                        r = np.asarray(r)
                    return Array(r, x.weak_type)
        elif t is _NoneType or t is _EllipsisType:
            return Array(v[idx], x.weak_type)
    return _rewriting_take(x, idx, strict=False)


# --------------------------------------------------------------------------
# parsing an index


class _Item:
    """One entry of a normalised index.

    kind: 'none' (new axis), 'slice' (value: (start, stop, step) after
    ``slice.indices``), 'int' (value: Python int), 'dyn' (traced integer
    scalar), 'array' (integer array: np.ndarray, Array or Tracer) or 'bcast'
    (an advanced index that indexes no dimension: a 0-d boolean).
    ``pos`` is the position in the user's index tuple (for NumPy's
    adjacency rule); ``dim`` the operand dimension it indexes.
    """

    __slots__ = ("kind", "value", "pos", "dim", "static", "mask_size", "raw")

    def __init__(self, kind, value, pos, dim=None, static=False, mask_size=None):
        self.raw = _FULL
        self.kind = kind
        self.value = value
        self.pos = pos
        self.dim = dim
        self.static = static
        self.mask_size = mask_size


_ADV = ("int", "dyn", "array", "bcast")
_FULL = _slice(None)
_SKIP = object()


def _static_slice(s):
    parts = []
    for v in (s.start, s.stop, s.step):
        if v is None:
            parts.append(None)
            continue
        try:
            parts.append(operator.index(v))
        except TypeError:
            if isinstance(v, Tracer):
                raise _dynamic_slice_error(s) from None
            raise TypeError(f"slice indices must be integers or None or have an __index__ method, "
                            f"got {s!r}") from None
    if parts[2] == 0:
        raise ValueError("slice step cannot be zero")
    return _slice(*parts)


def _dynamic_slice_error(s):
    return IndexError(
        "Array slice indices must have static start/stop/step to be used with NumPy indexing "
        f"syntax. Found slice({s.start}, {s.stop}, {s.step}). To index a statically sized array "
        "at a dynamic position, try lax.dynamic_slice/dynamic_update_slice (JAX does not support "
        "dynamically sized arrays within JIT compiled functions).")


def _contains_tracer(obj):
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tracer):
            return True
        if isinstance(o, (list, tuple)):
            stack.extend(o)
    return False


def _index_array(e, pos):
    """An array-like index entry as np.ndarray, Array or Tracer of int/bool dtype."""
    if isinstance(e, (list, tuple)):
        if _contains_tracer(e):
            from .creation import array
            e = array(e)
        else:
            e = np.asarray(e)
            if e.size == 0 and e.dtype.kind == "f":
                e = e.astype(np.intp)
    elif not isinstance(e, (Array, np.ndarray, np.generic)):
        if hasattr(e, "__jax_array__"):
            e = e.__jax_array__()
        else:
            raise TypeError(
                f"Indexer must have integer or boolean type, got indexer with type "
                f"{type(e).__name__} at position {pos}, indexer value {e!r}. Valid indices are "
                "integers, slices (`:`), ellipsis (`...`), None (newaxis) and integer or "
                "boolean arrays.")
    dt = e.dtype
    if dt.kind not in "biu":
        raise TypeError(f"Indexer must have integer or boolean type, got indexer with type "
                        f"{dt} at position {pos}, indexer value {e}")
    return e


def _concrete_mask(a):
    if isinstance(a, (np.ndarray, np.generic)):
        return np.asarray(a)
    if type(a) is Array:
        return np.asarray(a._value)
    c = a.to_concrete_value()
    if c is None:
        from ..errors import nonconcrete_boolean_index_message
        raise NonConcreteBooleanIndexError(nonconcrete_boolean_index_message(a))
    return np.asarray(c)


def _parse(idx, shape):
    """``idx`` as a list of :class:`_Item` covering every operand dimension."""
    if type(idx) is not tuple:
        idx = (idx,)
    items = []
    for pos, e in enumerate(idx):
        if e is None:
            items.append(_Item("none", None, pos))
        elif e is Ellipsis:
            items.append(_Item("ellipsis", None, pos))
        elif isinstance(e, _slice):
            it = _Item("slice", _static_slice(e), pos)
            it.raw = it.value
            items.append(it)
        elif isinstance(e, (bool, np.bool_)):
            it = _Item("bcast", np.zeros(1 if e else 0, np.int32), pos)
            it.raw = bool(e)
            items.append(it)
        elif isinstance(e, (int, np.integer)):
            items.append(_Item("int", int(e), pos, static=True))
        else:
            a = _index_array(e, pos)
            if a.dtype == np.bool_:
                m = _concrete_mask(a)
                if m.ndim == 0:
                    it = _Item("bcast", np.zeros(1 if m else 0, np.int32), pos)
                    it.raw = bool(m)
                    items.append(it)
                else:
                    for j, nz in enumerate(np.nonzero(m)):
                        items.append(_Item("array", nz, pos, mask_size=m.shape[j]))
            elif a.ndim == 0:
                if isinstance(a, Tracer):
                    c = a.to_concrete_value()
                    if c is None:
                        items.append(_Item("dyn", a, pos))
                    else:
                        items.append(_Item("int", int(c), pos))
                else:
                    v = a._value if type(a) is Array else a
                    items.append(_Item("int", int(v), pos))
            else:
                items.append(_Item("array", a, pos))

    nd = len(shape)
    consumed = 0
    n_ellipsis = 0
    for it in items:
        if it.kind in ("slice", "int", "dyn", "array"):
            consumed += 1
        elif it.kind == "ellipsis":
            n_ellipsis += 1
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > nd:
        raise IndexError(f"Too many indices: {nd}-dimensional array indexed with {consumed} "
                         "regular indices.")
    out = []
    dim = 0
    for it in items:
        k = it.kind
        if k == "ellipsis":
            out.append(it)  # a marker (NumPy's adjacency rule), ignored by the lax paths
            for _ in range(nd - consumed):
                e = _Item("slice", (0, shape[dim], 1), it.pos, dim)
                e.raw = _SKIP
                out.append(e)
                dim += 1
            continue
        if k in ("slice", "int", "dyn", "array"):
            it.dim = dim
            n = shape[dim]
            if k == "slice":
                it.value = it.value.indices(n)
            elif it.mask_size is not None and it.mask_size != n:
                raise IndexError(
                    f"boolean index did not match indexed array along axis {dim}; size of axis "
                    f"is {n} but size of corresponding boolean axis is {it.mask_size}")
            dim += 1
        out.append(it)
    trailing = len(idx)
    while dim < nd:
        out.append(_Item("slice", (0, shape[dim], 1), trailing, dim))
        dim += 1
        trailing += 1
    return out


def _slice_len(value):
    s, e, step = value
    return len(range(s, e, step))


# --------------------------------------------------------------------------
# index arrays


def _norm_index(v, n, wrap_negative=True):
    """An integer index (Python int, np array, Array or Tracer) with negative
    values wrapped once.  Concrete results are int32 np arrays clipped into
    [-1, n] (which keeps out-of-range values out of range)."""
    if isinstance(v, Tracer):
        aval = v.aval
        if n is None or not wrap_negative or aval.dtype.kind == "u":
            return v
        zeros = li._full(aval.shape, 0, aval.dtype)
        sizes = li._full(aval.shape, n, aval.dtype)
        return lx.select_n(lx.lt(v, zeros), v, lx.add(v, sizes))
    if type(v) is Array:
        v = v._value
    v = np.asarray(v)
    if n is None:
        return v.astype(np.int32)
    if v.dtype == np.uint64:
        v = np.minimum(v, np.uint64(2 ** 62))
    v = v.astype(np.int64)
    if wrap_negative:
        v = np.where(v < 0, v + n, v)
    return np.clip(v, -1, n).astype(np.int32)


def _embed(v, core_shape, q, full_shape):
    """``v`` broadcast to ``core_shape``, placed at dimension ``q`` of ``full_shape``."""
    core_shape = tuple(core_shape)
    full_shape = tuple(full_shape)
    lay = (1,) * q + core_shape + (1,) * (len(full_shape) - q - len(core_shape))
    if isinstance(v, np.ndarray):
        return np.broadcast_to(np.broadcast_to(v, core_shape).reshape(lay), full_shape)
    v = broadcast_to_shape(v, core_shape)
    v = st.reshape(v, lay)
    return broadcast_to_shape(v, full_shape)


def _stack(cols, batch_shape):
    """Stack index columns (each of ``batch_shape``) along a new last axis."""
    batch_shape = tuple(batch_shape)
    if not cols:
        return Array(np.zeros(batch_shape + (0,), np.int32))
    if all(isinstance(c, np.ndarray) for c in cols):
        return Array(np.stack(cols, -1).astype(np.int32, copy=False))
    wide = any(isinstance(c, Tracer) and c.aval.dtype.itemsize == 8 for c in cols)
    dt = np.dtype(np.int64 if wide else np.int32)
    parts = []
    for c in cols:
        c = Array(np.asarray(c, dt)) if isinstance(c, np.ndarray) else convert(c, dt)
        parts.append(st.reshape(c, batch_shape + (1,)))
    return st.concatenate(parts, len(batch_shape))


def _shape_of(v):
    return tuple(np.shape(v)) if isinstance(v, np.ndarray) else tuple(v.shape)


def _advanced_layout(items, adv):
    """NumPy's placement rule: are the advanced indices adjacent in the user's
    index tuple (then the broadcast dims replace them in place; otherwise
    they go first)?  ``None`` and ``...`` between them break adjacency."""
    positions = sorted({it.pos for it in adv})
    contiguous = positions[-1] - positions[0] + 1 == len(positions)
    return contiguous


# --------------------------------------------------------------------------
# x[idx] and x.at[idx].get()


def _rewriting_take(arr, idx, *, strict=True, mode=None, fill_value=None, wrap_negative=True):
    arr = asarray_arg(arr)
    shape = tuple(arr.shape)
    gmode = li.canonicalize_gather_mode(mode)
    items = _parse(idx, shape)
    has_array = False
    for it in items:
        k = it.kind
        if k == "int":
            n = shape[it.dim]
            i = it.value
            j = i + n if (i < 0 and wrap_negative) else i
            if 0 <= j < n:
                it.value = j
            elif strict and it.static:
                raise IndexError(f"index {i} is out of bounds for axis {it.dim} with size {n}")
            elif gmode == "fill":
                it.kind = "array"  # normalised again in _norm_index
                it.value = np.asarray(i)
                has_array = True
            else:
                if n == 0:
                    raise IndexError(f"index is out of bounds for axis {it.dim} with size 0")
                it.value = builtins.min(builtins.max(j, 0), n - 1)
        elif k == "dyn":
            if gmode == "fill":
                it.kind = "array"
                has_array = True
            elif shape[it.dim] == 0:
                raise IndexError(f"index is out of bounds for axis {it.dim} with size 0")
        elif k in ("array", "bcast"):
            has_array = True
    if has_array:
        if type(arr) is Array and gmode == "clip":
            out = _eager_numpy_take(arr, items, wrap_negative)
            if out is not None:
                return out
        return _gather_path(arr, items, gmode, fill_value, wrap_negative)
    return _basic_path(arr, items, wrap_negative)


def _eager_numpy_take(arr, items, wrap_negative):
    """Concrete array and index: NumPy's own advanced indexing (same placement
    rules) on clamped indices."""
    shape = arr.shape
    np_idx = []
    for it in items:
        k = it.kind
        if k == "none":
            np_idx.append(None)
        elif k == "ellipsis":
            np_idx.append(Ellipsis)
        elif k == "slice":
            if it.raw is not _SKIP:
                np_idx.append(it.raw)
        elif k == "int":
            np_idx.append(it.value)
        elif k == "bcast":
            np_idx.append(it.raw)
        elif k == "array":
            v = it.value
            if isinstance(v, Tracer):
                return None
            n = shape[it.dim]
            v = _norm_index(v, n, wrap_negative)
            if n == 0:
                if v.size:
                    raise IndexError(f"index is out of bounds for axis {it.dim} with size 0")
            else:
                v = np.clip(v, 0, n - 1)
            np_idx.append(v)
        else:
            return None
    r = arr._value[tuple(np_idx)]
    return Array(r if type(r) is np.ndarray else np.asarray(r), arr.weak_type)


def _static_slicing(arr, items, shape):
    """lax.slice (+ rev) for the slice items; other dimensions kept whole."""
    nd = len(shape)
    starts, limits, strides = [0] * nd, list(shape), [1] * nd
    rev_dims = []
    for it in items:
        if it.kind != "slice":
            continue
        d = it.dim
        s, e, step = it.value
        m = len(range(s, e, step))
        if m == 0:
            starts[d], limits[d] = 0, 0
        elif step > 0:
            starts[d], limits[d], strides[d] = s, s + (m - 1) * step + 1, step
        else:
            starts[d], limits[d], strides[d] = s + (m - 1) * step, s + 1, -step
            if m > 1:
                rev_dims.append(d)
    return starts, limits, strides, rev_dims


def _basic_path(arr, items, wrap_negative=True):
    shape = tuple(arr.shape)
    nd = len(shape)
    starts, limits, strides, rev_dims = _static_slicing(arr, items, shape)
    dyn = {}
    out_shape = []
    for it in items:
        k = it.kind
        if k == "none":
            out_shape.append(1)
        elif k == "slice":
            out_shape.append(_slice_len(it.value))
        elif k == "int":
            starts[it.dim], limits[it.dim] = it.value, it.value + 1
        elif k == "dyn":
            dyn[it.dim] = it.value
    y = st.slice(arr, starts, limits, strides)
    y = li.rev(y, rev_dims)
    if dyn:
        ys = tuple(y.shape)
        if not wrap_negative:
            dyn = {d: _clamp_nonneg(v) for d, v in dyn.items()}
        y = li.dynamic_slice(y, [dyn.get(d, 0) for d in range(nd)],
                             [1 if d in dyn else ys[d] for d in range(nd)])
    return st.reshape(y, tuple(out_shape))


def _clamp_nonneg(v):
    aval = v.aval
    return lx.max(v, Array(np.zeros((), aval.dtype), aval.weak_type))


def _gather_path(arr, items, gmode, fill_value, wrap_negative=True):
    shape = tuple(arr.shape)
    starts, limits, strides, rev_dims = _static_slicing(arr, items, shape)
    y = st.slice(arr, starts, limits, strides)
    y = li.rev(y, rev_dims)
    adv = [it for it in items if it.kind in _ADV]
    vals, dims = [], []
    for it in adv:
        n = None if it.kind == "bcast" else shape[it.dim]
        v = _norm_index(it.value, n, wrap_negative)
        if gmode == "clip" and n == 0 and int(np.prod(_shape_of(v), dtype=np.int64)) > 0:
            raise IndexError(f"index is out of bounds for axis {it.dim} with size 0")
        vals.append(v)
        dims.append(it.dim)
    batch = broadcast_shapes(*[_shape_of(v) for v in vals])
    nb = len(batch)
    cols = [_embed(v, batch, 0, batch) for v, d in zip(vals, dims) if d is not None]
    axes = tuple(d for d in dims if d is not None)
    indices = _stack(cols, batch)
    g = li.gather(y, indices, axes, mode=gmode, fill_value=fill_value)

    contiguous = _advanced_layout(items, adv)
    ys = tuple(y.shape)
    if contiguous:
        first = next(i for i, it in enumerate(items) if it.kind in _ADV)
        p = sum(1 for it in items[:first] if it.kind == "slice")
    else:
        p = 0
    gnd = len(g.shape)
    perm = list(range(nb, nb + p)) + list(range(nb)) + list(range(nb + p, gnd))
    g = st.transpose(g, perm)
    final = [] if contiguous else list(batch)
    placed = not contiguous
    for it in items:
        k = it.kind
        if k == "none":
            final.append(1)
        elif k == "slice":
            final.append(ys[it.dim])
        elif k == "ellipsis":
            continue
        elif not placed:
            final.extend(batch)
            placed = True
    return st.reshape(g, tuple(final))


# --------------------------------------------------------------------------
# x.at[idx].<update>(y)


_COMBINE = {"add": lx.add, "mul": lx.mul, "min": lx.min, "max": lx.max}
_SCATTER = {"set": li.scatter, "add": li.scatter_add, "mul": li.scatter_mul,
            "min": li.scatter_min, "max": li.scatter_max}


def _scatter_update(x, idx, values, kind, *, mode=None, indices_are_sorted=False,
                    unique_indices=False, wrap_negative=True):
    x = asarray_arg(x)
    shape = tuple(x.shape)
    smode = li.canonicalize_scatter_mode(mode)
    y = asarray_arg(values)
    xdt = x.dtype
    y = convert(y, xdt, x.weak_type)
    items = _parse(idx, shape)
    simple = True
    has_array = False
    for it in items:
        k = it.kind
        if k == "int":
            n = shape[it.dim]
            i = it.value
            j = i + n if (i < 0 and wrap_negative) else i
            if 0 <= j < n:
                it.value = j
            else:
                it.kind, it.value = "array", np.asarray(i)
                has_array = True
        elif k == "dyn":
            it.kind = "array"
            has_array = True
        elif k in ("array", "bcast"):
            has_array = True
        elif k == "slice" and it.value[2] != 1:
            simple = False
    if (not has_array and simple
            and not (kind in ("add", "mul") and xdt == np.bool_)):
        return _dus_update(x, items, y, kind)
    return _general_scatter(x, items, y, kind, smode, indices_are_sorted, unique_indices,
                            wrap_negative)


def _dus_update(x, items, y, kind):
    shape = tuple(x.shape)
    nd = len(shape)
    starts, sizes = [0] * nd, list(shape)
    res_shape = []
    for it in items:
        k = it.kind
        if k == "none":
            res_shape.append(1)
        elif k == "slice":
            s, e, _ = it.value
            m = builtins.max(e - s, 0)
            starts[it.dim], sizes[it.dim] = (s if m else 0), m
            res_shape.append(m)
        elif k == "int":
            starts[it.dim], sizes[it.dim] = it.value, 1
    yr = st.reshape(broadcast_to_shape(y, tuple(res_shape)), tuple(sizes))
    if kind != "set":
        cur = st.slice(x, starts, [s + z for s, z in zip(starts, sizes)])
        yr = _COMBINE[kind](cur, yr)
    if tuple(sizes) == shape:
        return yr
    if 0 in sizes:
        return x
    return li.dynamic_update_slice(x, yr, starts)


def _general_scatter(x, items, y, kind, smode, indices_are_sorted, unique_indices,
                     wrap_negative=True):
    shape = tuple(x.shape)
    adv = [it for it in items if it.kind in _ADV]
    vals, dims = [], []
    for it in adv:
        n = None if it.kind == "bcast" else shape[it.dim]
        vals.append(_norm_index(it.value, n, wrap_negative))
        dims.append(it.dim)
    batch = broadcast_shapes(*[_shape_of(v) for v in vals]) if vals else ()
    nb = len(batch)
    contiguous = _advanced_layout(items, adv) if adv else True

    # the dimensions of x[idx] (without the new axes), in order
    resdims, res_full = [], []
    placed = not contiguous or not adv
    if not contiguous:
        resdims += [("adv", j) for j in range(nb)]
        res_full += list(batch)
    for it in items:
        k = it.kind
        if k == "none":
            res_full.append(1)
        elif k == "slice":
            m = _slice_len(it.value)
            resdims.append(("slice", it, m))
            res_full.append(m)
        elif k == "ellipsis":
            continue
        elif not placed:
            resdims += [("adv", j) for j in range(nb)]
            res_full += list(batch)
            placed = True
    res_shape = [batch[r[1]] if r[0] == "adv" else r[2] for r in resdims]
    yr = st.reshape(broadcast_to_shape(y, tuple(res_full)), tuple(res_shape))

    def is_window(r):
        return r[0] == "slice" and r[1].value == (0, shape[r[1].dim], 1)

    batch_ids = [i for i, r in enumerate(resdims) if not is_window(r)]
    win_ids = [i for i, r in enumerate(resdims) if is_window(r)]
    upd = st.transpose(yr, batch_ids + win_ids)
    bb = tuple(res_shape[i] for i in batch_ids)
    bpos = {i: j for j, i in enumerate(batch_ids)}

    cols = {}
    if nb or vals:
        q = bpos[resdims.index(("adv", 0))] if nb else 0
        for v, d in zip(vals, dims):
            if d is not None:
                cols[d] = _embed(v, batch, q, bb)
    for i, r in enumerate(resdims):
        if r[0] == "slice" and not is_window(r):
            s, _, step = r[1].value
            m = r[2]
            iota = (s + step * np.arange(m, dtype=np.int64)).astype(np.int32)
            cols[r[1].dim] = _embed(iota, (m,), bpos[i], bb)
    axes = tuple(sorted(cols))
    indices = _stack([cols[d] for d in axes], bb)
    return _SCATTER[kind](x, indices, upd, axes, mode=smode,
                          indices_are_sorted=indices_are_sorted, unique_indices=unique_indices)


class _IndexUpdateHelper:
    """The object behind ``x.at``: ``x.at[idx]`` gives an :class:`_IndexUpdateRef`."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


class _IndexUpdateRef:
    """``x.at[idx]``: functional updates of ``x`` at ``idx`` (JAX's ``.at`` API).

    Each method returns a new array; ``mode`` chooses what out-of-range
    indices do ('drop'/'fill'/'promise_in_bounds': skipped, 'clip': clamped;
    for ``get``: clamped by default, 'fill' returns ``fill_value``).
    """

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None,
            fill_value=None, out_sharding=None, wrap_negative_indices=True):
        return _rewriting_take(self.array, self.index, strict=False, mode=mode,
                               fill_value=fill_value, wrap_negative=wrap_negative_indices)

    def _update(self, kind, values, indices_are_sorted, unique_indices, mode,
                wrap_negative_indices):
        return _scatter_update(self.array, self.index, values, kind, mode=mode,
                               indices_are_sorted=indices_are_sorted,
                               unique_indices=unique_indices,
                               wrap_negative=wrap_negative_indices)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        return self._update("set", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        return self._update("add", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
                 out_sharding=None, wrap_negative_indices=True):
        return self._update("mul", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    mul = multiply

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        return self._update("min", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        return self._update("max", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    def _combine(self, values, op, indices_are_sorted, unique_indices, mode,
                 wrap_negative_indices):
        # JAX's formulas: x / ones.at[idx].multiply(y), x ** ones.at[idx].multiply(y)
        from .creation import ones_like
        x = asarray_arg(self.array)
        other = _scatter_update(ones_like(x), self.index, values, "mul", mode=mode,
                                indices_are_sorted=indices_are_sorted,
                                unique_indices=unique_indices,
                                wrap_negative=wrap_negative_indices)
        return op(x, other)

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
               out_sharding=None, wrap_negative_indices=True):
        from .ufuncs import true_divide
        return self._combine(values, true_divide, indices_are_sorted, unique_indices, mode,
                             wrap_negative_indices)

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
              out_sharding=None, wrap_negative_indices=True):
        from .ufuncs import power
        return self._combine(values, power, indices_are_sorted, unique_indices, mode,
                             wrap_negative_indices)

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None,
              out_sharding=None, wrap_negative_indices=True):
        li.canonicalize_scatter_mode(mode)  # validate
        vals = _rewriting_take(self.array, self.index, strict=False,
                               mode="clip",
                               wrap_negative=wrap_negative_indices)
        return _scatter_update(self.array, self.index, func(vals), "set", mode=mode,
                               indices_are_sorted=indices_are_sorted,
                               unique_indices=unique_indices,
                               wrap_negative=wrap_negative_indices)


# --------------------------------------------------------------------------
# take, take_along_axis


def _int_index_arg(indices, fname):
    if isinstance(indices, (Array, np.ndarray, np.generic)):
        a = indices
    elif isinstance(indices, (list, tuple)):
        a = _index_array(indices, 0)
    elif isinstance(indices, (int, np.integer)) and not isinstance(indices, bool):
        a = np.asarray(indices)
    else:
        a = asarray_arg(indices)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{fname}: indices must be integers, got dtype {a.dtype}")
    if type(a) is Array:
        a = np.asarray(a._value)
    elif isinstance(a, np.generic):
        a = np.asarray(a)
    return a


def _wrap_mod(v, n):
    if isinstance(v, np.ndarray):
        return np.mod(v.astype(np.int64), n).astype(np.int32) if n else v.astype(np.int32)
    aval = v.aval
    sizes = li._full(aval.shape, n, aval.dtype)
    r = lx.rem(v, sizes)
    if aval.dtype.kind == "u":
        return r
    zeros = li._full(aval.shape, 0, aval.dtype)
    return lx.select_n(lx.lt(r, zeros), r, lx.add(r, sizes))


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """``jnp.take``: elements of ``a`` at ``indices`` along ``axis`` (flattened if None).

    ``mode``: 'fill' (default, as in JAX: out-of-range gives ``fill_value``,
    NaN for inexact dtypes; negative indices wrap once), 'clip', 'wrap'.
    """
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.take is not supported.")
    a = asarray_arg(a)
    ind = _int_index_arg(indices, "take")
    if axis is None:
        a = st.reshape(a, (int(np.prod(a.shape, dtype=np.int64)),))
        axis = 0
    else:
        axis = canonicalize_axis(axis, len(a.shape))
    n = a.shape[axis]
    if mode is None or mode == "fill":
        gmode = "fill"
        ind = _norm_index(ind, n)
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.take is not supported.")
    elif mode == "wrap":
        gmode = "clip"
        ind = _wrap_mod(ind, n)
    elif mode == "clip":
        gmode = "clip"
        ind = _norm_index(ind, n, wrap_negative=False)
    else:
        raise ValueError(f"Invalid mode '{mode}' for np.take")
    ishape = _shape_of(ind)
    indices_arr = _stack([ind], ishape)
    g = li.gather(a, indices_arr, (axis,), mode=gmode, fill_value=fill_value)
    ni = len(ishape)
    gnd = len(g.shape)
    perm = list(range(ni, ni + axis)) + list(range(ni)) + list(range(ni + axis, gnd))
    return st.transpose(g, perm)


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    """``jnp.take_along_axis`` (``mode``: 'fill' (default) or 'clip')."""
    arr = asarray_arg(arr)
    ind = _int_index_arg(indices, "take_along_axis")
    if axis is None:
        if len(_shape_of(ind)) != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr = st.reshape(arr, (int(np.prod(arr.shape, dtype=np.int64)),))
        axis = 0
    ashape = tuple(arr.shape)
    ishape = _shape_of(ind)
    nd = len(ashape)
    if len(ishape) != nd:
        raise ValueError(f"indices and arr must have the same number of dimensions; "
                         f"{len(ishape)} vs. {nd}")
    axis = canonicalize_axis(axis, nd)
    if mode is None or mode == "fill":
        gmode = "fill"
    elif mode == "clip":
        gmode = "clip"
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.take_along_axis is not supported.")
    else:
        raise ValueError(f"Invalid mode {mode!r} for take_along_axis")
    out_shape = []
    for d in range(nd):
        if d == axis:
            out_shape.append(ishape[d])
        else:
            a_d, i_d = ashape[d], ishape[d]
            if a_d != i_d and 1 not in (a_d, i_d):
                raise ValueError(f"take_along_axis: shapes {ashape} of arr and {ishape} of "
                                 f"indices are not broadcast-compatible outside axis {axis}")
            out_shape.append(builtins.max(a_d, i_d) if 0 not in (a_d, i_d) else 0)
    out_shape = tuple(out_shape)
    ind = _norm_index(ind, ashape[axis])
    cols = []
    for d in range(nd):
        if d == axis:
            cols.append(_embed(ind, out_shape, 0, out_shape) if isinstance(ind, np.ndarray)
                        else broadcast_to_shape(ind, out_shape))
        else:
            m = out_shape[d]
            io = np.arange(m, dtype=np.int32) if ashape[d] != 1 else np.zeros(m, np.int32)
            cols.append(_embed(io, (m,), d, out_shape))
    indices_arr = _stack(cols, out_shape)
    return li.gather(arr, indices_arr, tuple(range(nd)), mode=gmode, fill_value=fill_value)


# --------------------------------------------------------------------------
# nonzero, argwhere, flatnonzero


def _concrete_value_or_none(a):
    if type(a) is Array:
        return np.asarray(a._value)
    if isinstance(a, Tracer):
        c = a.to_concrete_value()
        return None if c is None else np.asarray(c)
    return np.asarray(a)


def _fills(fill_value, nd):
    if fill_value is None:
        return [0] * nd
    if isinstance(fill_value, (tuple, list)):
        if len(fill_value) != nd:
            raise ValueError(f"fill_value must be a scalar or a tuple of length {nd}; got "
                             f"{fill_value}")
        return [int(np.asarray(f)) for f in fill_value]
    v = np.asarray(fill_value)
    if v.shape == ():
        return [int(v)] * nd
    if v.shape == (nd,):
        return [int(f) for f in v]
    raise ValueError(f"fill_value must be a scalar or a tuple of length {nd}; got {fill_value}")


def _cumsum_1d(v):
    """Inclusive prefix sum of a 1-d integer array (log-step, with lax ops)."""
    n = v.shape[0]
    aval = v.aval if isinstance(v, Tracer) else core.get_aval(v)
    zero = Array(np.zeros((), aval.dtype))
    k = 1
    while k < n:
        shifted = st.pad(v, zero, ((k, -k, 0),))
        v = lx.add(v, shifted)
        k *= 2
    return v


def nonzero(a, *, size=None, fill_value=None):
    """Indices of the non-zero elements, one array per dimension.

    Concrete input is required unless ``size`` is given (then the result has
    exactly ``size`` entries, padded with ``fill_value`` (default 0) or
    truncated, and works under tracing)."""
    a = asarray_arg(a)
    shape = tuple(a.shape)
    nd = len(shape)
    if nd == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use "
                         "jnp.atleast_1d(scalar).nonzero() instead.")
    idt = dtypes.default_int_dtype()
    c = _concrete_value_or_none(a)
    if size is not None:
        size = operator.index(size)
        if size < 0:
            raise ValueError(f"size must be non-negative, got {size}")
    if c is not None:
        nz = np.nonzero(c)
        if size is not None:
            fills = _fills(fill_value, nd)
            out = []
            for j, r in enumerate(nz):
                r = r[:size]
                if len(r) < size:
                    r = np.concatenate([r, np.full(size - len(r), fills[j], r.dtype)])
                out.append(r)
            nz = out
        return tuple(Array(np.asarray(r, idt)) for r in nz)
    if size is None:
        raise ConcretizationTypeError(
            f"Abstract tracer value encountered where concrete value is expected: "
            f"{a.aval.str_short()}. The size argument of jnp.nonzero must be statically "
            "specified to use jnp.nonzero (or jnp.where with one argument, jnp.argwhere, "
            "jnp.flatnonzero) within transformations: pass size=N (and fill_value=...), or "
            "use the three-argument jnp.where(condition, x, y)." + tracer_context(a))
    fills = _fills(fill_value, nd)
    n = int(np.prod(shape, dtype=np.int64))
    flat = st.reshape(a, (n,))
    if a.dtype != np.bool_:
        flat = lx.ne(flat, li._full((n,), 0, a.dtype))
    counts = _cumsum_1d(st.convert_element_type(flat, np.int32))
    rank = lx.sub(counts, li._full((n,), 1, np.int32))
    target = lx.select_n(flat, li._full((n,), size, np.int32), rank)
    target = st.reshape(target, (n, 1))
    coords = np.unravel_index(np.arange(n), shape)
    outs = []
    for j in range(nd):
        base = li._full((size,), fills[j], idt)
        upd = Array(np.asarray(coords[j], idt))
        outs.append(li.scatter(base, target, upd, (0,), mode="drop", unique_indices=True))
    return tuple(outs)


def flatnonzero(a, *, size=None, fill_value=None):
    a = asarray_arg(a)
    flat = st.reshape(a, (int(np.prod(a.shape, dtype=np.int64)),))
    return nonzero(flat, size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    a = asarray_arg(a)
    shape = tuple(a.shape)
    if not shape:
        res = nonzero(st.reshape(a, (1,)), size=size, fill_value=fill_value)[0]
        return st.reshape(res, (res.shape[0], 0)) if res.shape[0] == 0 else \
            st.slice(st.reshape(res, (res.shape[0], 1)), (0, 0), (res.shape[0], 0))
    cols = nonzero(a, size=size, fill_value=fill_value)
    k = cols[0].shape[0]
    return st.concatenate([st.reshape(c, (k, 1)) for c in cols], 1)
