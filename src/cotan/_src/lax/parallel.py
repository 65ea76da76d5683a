"""Collective operations over named vmap axes: ``psum``, ``pmean``, ``pmax``,
``pmin``, ``all_gather``, ``psum_scatter``, ``ppermute`` and ``axis_index``.

Semantics (as in JAX under ``vmap(f, axis_name=...)``)
-------------------------------------------------------
``f`` is run once per *member* of the mapped axis; a collective combines the
values of all members.  Reductions (``psum``/``pmean``/``pmax``/``pmin``)
and ``all_gather`` give every member the same result, which the batching rule
returns *unbatched*.  ``psum_scatter`` gives member ``j`` the ``j``-th block
of the sum, ``ppermute`` sends member ``src``'s value to member ``dst``, and
``axis_index`` is the member's position (int32); those are batched.  A value
that is not batched along the named axis is the same in every member, so
``psum`` multiplies it by the axis size, ``pmean``/``pmax``/``pmin`` leave it
as it is, and ``all_gather`` stacks copies of it.  ``axis_name`` may be a
tuple of names of nested vmaps (reductions combine over all of them; an
``all_gather`` or ``axis_index`` over ``('i', 'j')`` counts ``i``-major).

Where a name is looked up
-------------------------
A collective's primitive is a :class:`_Collective`, whose ``bind`` looks every
name up on the trace stack (``batching.axis_trace``: ``NameError`` "unbound
axis name: i" if no active vmap has it) before the usual dispatch:

* If a staging trace (``jit``, ``make_jaxpr``) sits above the named vmaps and
  above every operand (looking past JVP/batch traces and ``linearize``'s
  tangent staging), the collective is recorded there as it is, even when its
  operands are constants: the names are resolved again, against the vmaps
  then active, whenever the jaxpr is evaluated (so a cached jit trace works in
  a later vmap, of another size too).  Abstract evaluation never looks a
  name up (``all_gather``/``psum_scatter`` carry ``axis_size`` as a param, set
  when the wrapper is called).
* A name whose vmap sits *above* every operand (the operand cannot be batched
  along it) is resolved at once with the unbatched rule above, and the
  primitive is bound with the remaining names (if any).  This is what makes
  ``grad(vmap(f))`` work when ``f`` applies a collective to a value that does
  not depend on the mapped inputs: the multiplication is recorded, not a psum
  that would be transposed after the vmap has ended.
* Otherwise the owning trace processes the primitive.  The vmap named in
  ``axis_name`` reduces over its batch dimension (collective batching rule,
  called even for unbatched operands); any other vmap keeps its batch
  dimension and binds the collective again on the inner value.

Derivatives: ``psum``, ``pmean``, ``all_gather``, ``psum_scatter`` and
``ppermute`` are linear.  Transposes: ``psum`` -> ``psum``, ``pmean`` ->
``pmean``, ``all_gather`` <-> ``psum_scatter`` (each member receives its
slice of the summed cotangent), ``ppermute`` -> the inverse permutation.
``pmax``/``pmin``: the tangent of the members attaining the extremum, shared
evenly between ties (like ``reduce_max``): ``psum(t * hit) / psum(hit)``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import core, dtypes
from ..core import Array, Primitive, ShapedArray, Tracer
from ..interpreters import ad, batching
from ..interpreters import partial_eval as pe
from ..interpreters.ad import Zero
from ..interpreters.batching import BatchTracer
from ..tree_util import tree_map
from . import elementwise as lx
from . import reductions as rd
from . import structural as st
from .utils import const

__all__ = ["psum", "pmean", "pmax", "pmin", "all_gather", "psum_scatter", "ppermute",
           "axis_index", "axis_size"]


# --------------------------------------------------------------------------
# helpers


def _names(axis_name):
    """``axis_name`` as a tuple of names."""
    if isinstance(axis_name, (tuple, list)):
        return tuple(axis_name)
    return (axis_name,)


def _level(args):
    lvl = -1
    for a in args:
        if isinstance(a, Tracer) and a._trace.level > lvl:
            lvl = a._trace.level
    return lvl


def _arg(x):
    if isinstance(x, Array):
        return x
    from ..numpy.util import asarray_arg
    return asarray_arg(x)


def _no_groups(axis_index_groups, name):
    if axis_index_groups is not None:
        raise NotImplementedError(f"{name}: axis_index_groups is not supported by cotan.")


def axis_size(axis_name):
    """The size of the named vmap axis (the product of the sizes for a tuple)."""
    return math.prod(batching.axis_trace(n).axis_size for n in _names(axis_name))


def _staging_above(level):
    """The innermost staging trace (``jit``/``make_jaxpr``) above ``level``
    that may record a collective whose operands all lie below it, or None.

    Traces that such operands pass through unchanged are looked past: JVP
    traces (zero tangent), batch traces (unbatched), and the staging trace
    directly below a JVP trace, which is where ``linearize`` records tangents
    (recording a primal value there would stage the primal computation).
    """
    stack = core._state.stack
    k = len(stack) - 1
    while k >= 0:
        tr = stack[k]
        if tr.level <= level:
            return None
        if isinstance(tr, pe.StagingTrace):
            if not (k + 1 < len(stack) and isinstance(stack[k + 1], ad.JVPTrace)):
                return tr
        elif not isinstance(tr, (ad.JVPTrace, batching.BatchTrace)):
            return None
        k -= 1
    return None


class _Collective(Primitive):
    """A primitive whose ``axis_name`` param names vmap axes.

    ``resolve(x, trace, **params)`` gives the result for an operand that is
    not batched along ``trace``'s axis, as ``(value, batch_dim)`` in that
    trace's frame; ``single`` primitives take exactly one name.
    """

    def __init__(self, name, resolve):
        super().__init__(name)
        self.resolve = resolve

    def bind(self, *args, **params):
        names = params["axis_name"]
        traces = [batching.axis_trace(n) for n in names]  # NameError when unbound
        if not traces:
            return args[0]
        lvl = _level(args)
        staging = _staging_above(max(lvl, max(t.level for t in traces)))
        if staging is not None:
            # jit of a function using a collective of values it does not stage
            # (constants), inside the vmap: record it, so that the names are
            # resolved when the jaxpr runs (in whichever vmap is active then)
            return staging.process(self, list(args), params)
        if all(t.level <= lvl for t in traces):
            return Primitive.bind(self, *args, **params)
        (x,) = args
        kept = []
        for n, t in zip(names, traces):
            if t.level <= lvl:
                kept.append(n)
                continue
            val, dim = self.resolve(x, t, **params)
            if dim is not None:
                # the result is batched along t (psum_scatter, ppermute);
                # such primitives take a single name
                return BatchTracer(t, val, dim)
            x = val
        if not kept:
            return x
        return Primitive.bind(self, x, **dict(params, axis_name=tuple(kept)))


def _collective_rule(prim, own, other):
    """Batching rule: ``own(x, d, trace, **params)`` when ``trace`` is named
    in ``axis_name`` (then the remaining names are bound again), else
    ``other(x, d, **params)``."""

    def rule(vals, dims, *, trace, **params):
        (x,), (d,) = vals, dims
        names = params["axis_name"]
        if trace.axis_name is not None and trace.axis_name in names:
            out, out_dim = own(x, d, trace, **params)
            rest = tuple(n for n in names if n != trace.axis_name)
            if rest:
                assert out_dim is None
                out = prim.bind(out, **dict(params, axis_name=rest))
            return out, out_dim
        if d is None:
            return prim.bind(x, **params), None
        return other(x, d, **params)

    batching.primitive_batchers[prim] = rule
    batching.register_collective(prim)


def _elementwise_other(prim):
    """A collective acting on each member's value as a whole: other vmaps
    keep their batch dimension where it is."""
    def other(x, d, **params):
        return prim.bind(x, **params), d
    return other


def _lookup_size(names):
    return math.prod(batching.axis_trace(n).axis_size for n in names)


# --------------------------------------------------------------------------
# psum


def _psum_resolve(x, trace, *, axis_name):
    n = trace.axis_size
    return lx.mul(x, const(x, n)), None


def _psum_impl(x, *, axis_name):
    n = _lookup_size(axis_name)
    x = np.asarray(x)
    return (x * np.asarray(n, x.dtype)).astype(x.dtype, copy=False)


def _same_aval(x, **params):
    return x


def _psum_own(x, d, trace, *, axis_name):
    if d is None:
        return _psum_resolve(x, trace, axis_name=axis_name)
    return st.reduce_sum(x, (d,)), None


def _psum_transpose(ct, x, *, axis_name):
    return [psum_p.bind(ct, axis_name=axis_name)]


def _linear_jvp(prim):
    def rule(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        out = prim.bind(x, **params)
        if type(t) is Zero:
            return out, Zero.from_value(out)
        return out, prim.bind(t, **params)
    return rule


psum_p = _Collective("psum", _psum_resolve)
psum_p.def_impl(_psum_impl)
psum_p.def_abstract_eval(_same_aval)
ad.primitive_jvps[psum_p] = _linear_jvp(psum_p)
ad.primitive_transposes[psum_p] = _psum_transpose
_collective_rule(psum_p, _psum_own, _elementwise_other(psum_p))


def psum(x, axis_name, *, axis_index_groups=None):
    """The sum of ``x`` (any pytree) over the members of the named vmap axis
    (or axes); every member gets the result.  Booleans are summed as int32."""
    _no_groups(axis_index_groups, "psum")
    names = _names(axis_name)

    def one(v):
        v = _arg(v)
        if v.dtype == np.bool_:
            v = st.convert_element_type(v, np.int32)
        return psum_p.bind(v, axis_name=names)
    return tree_map(one, x)


# --------------------------------------------------------------------------
# pmean


def _identity_resolve(x, trace, **params):
    return x, None


def _pmean_own(x, d, trace, *, axis_name):
    if d is None:
        return x, None
    s = st.reduce_sum(x, (d,))
    return lx.div(s, const(s, trace.axis_size)), None


def _pmean_transpose(ct, x, *, axis_name):
    return [pmean_p.bind(ct, axis_name=axis_name)]


def _pmean_abstract(x, *, axis_name):
    if x.dtype.kind not in "fc":
        raise TypeError(f"pmean_p requires an inexact dtype, got {x.dtype.name}")
    return x


def _identity_impl(x, *, axis_name):
    _lookup_size(axis_name)
    return x


pmean_p = _Collective("pmean", _identity_resolve)
pmean_p.def_impl(_identity_impl)
pmean_p.def_abstract_eval(_pmean_abstract)
ad.primitive_jvps[pmean_p] = _linear_jvp(pmean_p)
ad.primitive_transposes[pmean_p] = _pmean_transpose
_collective_rule(pmean_p, _pmean_own, _elementwise_other(pmean_p))


def pmean(x, axis_name, *, axis_index_groups=None):
    """The mean of ``x`` (any pytree) over the named vmap axis (or axes).
    Integer and boolean values are averaged in the default float dtype."""
    _no_groups(axis_index_groups, "pmean")
    names = _names(axis_name)

    def one(v):
        v = _arg(v)
        if v.dtype.kind not in "fc":
            v = st.convert_element_type(v, dtypes.default_float_dtype())
        return pmean_p.bind(v, axis_name=names)
    return tree_map(one, x)


# --------------------------------------------------------------------------
# pmax / pmin


def _chooser(name, reducer):
    def own(x, d, trace, *, axis_name):
        if d is None:
            return x, None
        return reducer(x, (d,)), None

    def jvp(primals, tangents, *, axis_name):
        (x,), (t,) = primals, tangents
        ans = p.bind(x, axis_name=axis_name)
        if type(t) is Zero:
            return ans, Zero.from_value(ans)
        hit = st.convert_element_type(lx.eq(x, ans), core.get_aval(t).dtype)
        num = psum_p.bind(lx.mul(t, hit), axis_name=axis_name)
        den = psum_p.bind(hit, axis_name=axis_name)
        return ans, lx.div(num, den)

    p = _Collective(name, _identity_resolve)
    p.def_impl(_identity_impl)
    p.def_abstract_eval(_same_aval)
    ad.primitive_jvps[p] = jvp
    _collective_rule(p, own, _elementwise_other(p))
    return p


pmax_p = _chooser("pmax", rd.reduce_max)
pmin_p = _chooser("pmin", rd.reduce_min)


def pmax(x, axis_name, *, axis_index_groups=None):
    """The maximum of ``x`` (any pytree) over the named vmap axis (or axes).
    Differentiable: the tangent of the maximal member (shared among ties)."""
    _no_groups(axis_index_groups, "pmax")
    names = _names(axis_name)
    return tree_map(lambda v: pmax_p.bind(_arg(v), axis_name=names), x)


def pmin(x, axis_name, *, axis_index_groups=None):
    """The minimum of ``x`` (any pytree) over the named vmap axis (or axes)."""
    _no_groups(axis_index_groups, "pmin")
    names = _names(axis_name)
    return tree_map(lambda v: pmin_p.bind(_arg(v), axis_name=names), x)


# --------------------------------------------------------------------------
# all_gather / psum_scatter (each the other's transpose)


def _merge_axes(x, axis):
    """Merge dims ``axis`` and ``axis + 1`` of ``x``."""
    shape = core.get_aval(x).shape
    return st.reshape(x, shape[:axis] + (shape[axis] * shape[axis + 1],) + shape[axis + 2:])


def _gather_shape(shape, axis, tiled, n):
    if tiled:
        return shape[:axis] + (n * shape[axis],) + shape[axis + 1:]
    return shape[:axis] + (n,) + shape[axis:]


def _all_gather_resolve(x, trace, *, axis_name, axis, tiled, axis_size):
    shape = core.get_aval(x).shape
    full = shape[:axis] + (trace.axis_size,) + shape[axis:]
    dims = tuple(i for i in range(len(full)) if i != axis)
    out = st.broadcast_in_dim(x, full, dims)
    return (_merge_axes(out, axis) if tiled else out), None


def _all_gather_own(x, d, trace, *, axis_name, axis, tiled, axis_size):
    if d is None:
        return _all_gather_resolve(x, trace, axis_name=axis_name, axis=axis, tiled=tiled,
                                   axis_size=axis_size)
    out = batching.moveaxis(x, d, axis)
    return (_merge_axes(out, axis) if tiled else out), None


def _all_gather_other(x, d, *, axis_name, axis, tiled, axis_size):
    x = batching.moveaxis(x, d, 0)
    return all_gather_p.bind(x, axis_name=axis_name, axis=axis + 1, tiled=tiled,
                             axis_size=axis_size), 0


def _all_gather_abstract(x, *, axis_name, axis, tiled, axis_size):
    if not 0 <= axis <= x.ndim - (1 if tiled else 0):
        raise ValueError(f"all_gather: axis {axis} is out of bounds for an operand of rank "
                         f"{x.ndim}")
    return x.update(shape=_gather_shape(x.shape, axis, tiled, axis_size))


def _all_gather_impl(x, *, axis_name, axis, tiled, axis_size):
    (n,) = [batching.axis_trace(a).axis_size for a in axis_name]
    x = np.asarray(x)
    if tiled:
        return np.concatenate([x] * n, axis=axis)
    return np.stack([x] * n, axis=axis)


def _all_gather_transpose(ct, x, *, axis_name, axis, tiled, axis_size):
    return [psum_scatter_p.bind(ct, axis_name=axis_name, scatter_dimension=axis, tiled=tiled,
                                axis_size=axis_size)]


all_gather_p = _Collective("all_gather", _all_gather_resolve)
all_gather_p.def_impl(_all_gather_impl)
all_gather_p.def_abstract_eval(_all_gather_abstract)
ad.primitive_jvps[all_gather_p] = _linear_jvp(all_gather_p)
ad.primitive_transposes[all_gather_p] = _all_gather_transpose
_collective_rule(all_gather_p, _all_gather_own, _all_gather_other)


def _split_scattered(y, sd, n, tiled):
    """``y`` (the summed value, one per member) with the scatter dimension
    split so that its member part is a dim at ``sd``."""
    if not tiled:
        return y
    shape = core.get_aval(y).shape
    return st.reshape(y, shape[:sd] + (n, shape[sd] // n) + shape[sd + 1:])


def _psum_scatter_resolve(x, trace, *, axis_name, scatter_dimension, tiled, axis_size):
    n = trace.axis_size
    y = lx.mul(x, const(x, n))
    return _split_scattered(y, scatter_dimension, n, tiled), scatter_dimension


def _psum_scatter_own(x, d, trace, *, axis_name, scatter_dimension, tiled, axis_size):
    if d is None:
        return _psum_scatter_resolve(x, trace, axis_name=axis_name,
                                     scatter_dimension=scatter_dimension, tiled=tiled,
                                     axis_size=axis_size)
    y = st.reduce_sum(x, (d,))
    return _split_scattered(y, scatter_dimension, trace.axis_size, tiled), scatter_dimension


def _psum_scatter_other(x, d, *, axis_name, scatter_dimension, tiled, axis_size):
    x = batching.moveaxis(x, d, 0)
    return psum_scatter_p.bind(x, axis_name=axis_name, scatter_dimension=scatter_dimension + 1,
                               tiled=tiled, axis_size=axis_size), 0


def _psum_scatter_abstract(x, *, axis_name, scatter_dimension, tiled, axis_size):
    sd, n = scatter_dimension, axis_size
    if not 0 <= sd < x.ndim:
        raise ValueError(f"psum_scatter: scatter_dimension {sd} is out of bounds for an operand "
                         f"of rank {x.ndim}")
    m = x.shape[sd]
    if tiled:
        if m % n:
            raise ValueError(f"psum_scatter: the scatter dimension (size {m}) must be divisible "
                             f"by the axis size {n} when tiled=True")
        return x.update(shape=x.shape[:sd] + (m // n,) + x.shape[sd + 1:])
    if m != n:
        raise ValueError(f"psum_scatter: the scatter dimension (size {m}) must equal the axis "
                         f"size {n} (or use tiled=True)")
    return x.update(shape=x.shape[:sd] + x.shape[sd + 1:])


def _batched_only_impl(name):
    def impl(*args, **params):
        raise NotImplementedError(
            f"{name} has no eager implementation: it only has a value inside a vmap with a "
            "matching axis_name.")
    return impl


def _psum_scatter_transpose(ct, x, *, axis_name, scatter_dimension, tiled, axis_size):
    return [all_gather_p.bind(ct, axis_name=axis_name, axis=scatter_dimension, tiled=tiled,
                              axis_size=axis_size)]


psum_scatter_p = _Collective("psum_scatter", _psum_scatter_resolve)
psum_scatter_p.def_impl(_batched_only_impl("psum_scatter"))
psum_scatter_p.def_abstract_eval(_psum_scatter_abstract)
ad.primitive_jvps[psum_scatter_p] = _linear_jvp(psum_scatter_p)
ad.primitive_transposes[psum_scatter_p] = _psum_scatter_transpose
_collective_rule(psum_scatter_p, _psum_scatter_own, _psum_scatter_other)


def _single_name(axis_name, fname):
    names = _names(axis_name)
    if len(names) != 1:
        raise NotImplementedError(f"{fname} over several axis names is not supported by cotan; "
                                  f"got {axis_name!r}.")
    return names


def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False):
    """Every member's ``x`` (any pytree), stacked along a new dimension
    ``axis`` in member order (``tiled=True``: concatenated along ``axis``).
    Every member gets the same result.  For a tuple of names the members are
    counted row-major (first name slowest)."""
    _no_groups(axis_index_groups, "all_gather")
    names = _names(axis_name)

    def one(v):
        v = _arg(v)
        nd = v.ndim
        ax = axis
        if not -nd - (0 if tiled else 1) <= ax <= nd - (1 if tiled else 0):
            raise ValueError(f"all_gather: axis {axis} is out of bounds for an operand of "
                             f"rank {nd}")
        if ax < 0:
            ax += nd + (0 if tiled else 1)
        if not names:
            return v if tiled else st.broadcast_in_dim(
                v, v.shape[:ax] + (1,) + v.shape[ax:],
                tuple(i for i in range(nd + 1) if i != ax))
        # gather over the last name first, then the earlier ones, and merge
        for k, name in enumerate(reversed(names)):
            n = batching.axis_trace(name).axis_size
            v = all_gather_p.bind(v, axis_name=(name,), axis=ax, tiled=tiled, axis_size=n)
            if k and not tiled:
                v = _merge_axes(v, ax)
        return v
    return tree_map(one, x)


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None, tiled=False):
    """The sum of ``x`` over the named vmap axis, scattered: member ``j`` gets
    block ``j`` of ``scatter_dimension`` (which must have the axis size, or
    with ``tiled=True`` a multiple of it: blocks of that many elements)."""
    _no_groups(axis_index_groups, "psum_scatter")
    names = _single_name(axis_name, "psum_scatter")

    def one(v):
        v = _arg(v)
        sd = scatter_dimension
        if not -v.ndim <= sd < v.ndim:
            raise ValueError(f"psum_scatter: scatter_dimension {sd} is out of bounds for an "
                             f"operand of rank {v.ndim}")
        sd %= v.ndim
        n = batching.axis_trace(names[0]).axis_size
        if v.dtype == np.bool_:
            v = st.convert_element_type(v, np.int32)
        # validate the shapes now (the batching rule does not run abstract eval)
        _psum_scatter_abstract(core.get_aval(v), axis_name=names, scatter_dimension=sd,
                               tiled=bool(tiled), axis_size=n)
        return psum_scatter_p.bind(v, axis_name=names, scatter_dimension=sd, tiled=bool(tiled),
                                   axis_size=n)
    return tree_map(one, x)


# --------------------------------------------------------------------------
# ppermute


def _ppermute_sources(perm, n):
    """For each destination member, its source member (or ``n``: none)."""
    src = [n] * n
    for s, d in perm:
        src[d] = s
    return src


def _ppermute_own(x, d, trace, *, axis_name, perm):
    n = trace.axis_size
    if any(not (0 <= s < n and 0 <= t < n) for s, t in perm):
        raise ValueError(f"ppermute: permutation {perm} has members out of range for an axis "
                         f"of size {n}")
    src = _ppermute_sources(perm, n)
    if src == list(range(n)) and d is None:
        return x, None
    if d is None:
        x = batching.bdim_at_front(x, None, n)
    else:
        x = batching.moveaxis(x, d, 0)
    idx = Array(np.asarray(src, np.int32).reshape(n, 1))
    from .indexing import gather
    aval = core.get_aval(x)
    fill = np.zeros((), aval.dtype).item() if aval.dtype.kind != "b" else False
    return gather(x, idx, (0,), mode="fill", fill_value=fill), 0


def _ppermute_resolve(x, trace, *, axis_name, perm):
    return _ppermute_own(x, None, trace, axis_name=axis_name, perm=perm)


def _ppermute_transpose(ct, x, *, axis_name, perm):
    inv = tuple((d, s) for s, d in perm)
    return [ppermute_p.bind(ct, axis_name=axis_name, perm=inv)]


ppermute_p = _Collective("ppermute", _ppermute_resolve)
ppermute_p.def_impl(_batched_only_impl("ppermute"))
ppermute_p.def_abstract_eval(_same_aval)
ad.primitive_jvps[ppermute_p] = _linear_jvp(ppermute_p)
ad.primitive_transposes[ppermute_p] = _ppermute_transpose
_collective_rule(ppermute_p, _ppermute_own, _elementwise_other(ppermute_p))


def ppermute(x, axis_name, perm):
    """Send member ``src``'s ``x`` (any pytree) to member ``dst`` for each
    ``(src, dst)`` pair of ``perm``; members that receive nothing get zeros."""
    names = _single_name(axis_name, "ppermute")
    perm = tuple((int(s), int(d)) for s, d in perm)
    srcs = [s for s, _ in perm]
    dsts = [d for _, d in perm]
    if len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts):
        raise ValueError(f"ppermute: perm {perm} sends from or to a member more than once")
    return tree_map(lambda v: ppermute_p.bind(_arg(v), axis_name=names, perm=perm), x)


# --------------------------------------------------------------------------
# axis_index


class _AxisIndex(Primitive):
    """No operands: the result is a batched iota over the named vmap."""

    def bind(self, *, axis_name):
        t = batching.axis_trace(axis_name)
        staging = _staging_above(t.level)
        if staging is not None:
            # inside jit: recorded, and looked up again when the jaxpr runs
            return staging.process(self, [], {"axis_name": axis_name})
        return BatchTracer(t, Array(np.arange(t.axis_size, dtype=np.int32)), 0)


axis_index_p = _AxisIndex("axis_index")
axis_index_p.def_impl(_batched_only_impl("axis_index"))
axis_index_p.def_abstract_eval(lambda *, axis_name: ShapedArray((), np.int32))
ad.defjvp_zero(axis_index_p)


def axis_index(axis_name):
    """The position (int32) of the current member along the named vmap axis;
    for a tuple of names, the row-major position over all of them."""
    names = _names(axis_name)
    out = None
    for name in names:
        i = axis_index_p.bind(axis_name=name)
        if out is None:
            out = i
        else:
            n = batching.axis_trace(name).axis_size
            out = lx.add(lx.mul(out, const(out, n)), i)
    if out is None:
        return Array(np.int32(0))
    return out

