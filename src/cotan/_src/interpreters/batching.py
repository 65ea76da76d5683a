"""vmap: batching interpreter.

Rule table (the only place batching rules are registered):

* ``primitive_batchers[p](vals, dims, **params) -> (out, out_dim)`` where each
  ``dims[i]`` is the batched axis of ``vals[i]`` or ``None`` (not batched), and
  ``out_dim`` likewise (a list of both for multiple-result primitives).

Rules are written with lax functions, so a batched computation can be
differentiated, jitted and batched again.  Helpers for the common families:
``defvectorized`` (unary elementwise), ``defbroadcasting`` (n-ary
elementwise), ``defreducer`` (reductions with an ``axes`` parameter).
"""
from __future__ import annotations

import numpy as np

from .. import core
from ..core import Array, Tracer, get_aval

primitive_batchers = core.RuleTable()
not_mapped = None


class BatchTracer(Tracer):
    __slots__ = ("val", "batch_dim", "_aval")

    def __init__(self, trace, val, batch_dim):
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim
        self._aval = None

    @property
    def aval(self):
        a = self._aval
        if a is None:
            va = get_aval(self.val)
            d = self.batch_dim
            if d is None:
                a = va
            else:
                a = va.update(shape=va.shape[:d] + va.shape[d + 1:])
            self._aval = a
        return a

    def to_concrete_value(self):
        return None


class BatchTrace(core.Trace):
    def __init__(self, level, axis_size, axis_name=None):
        super().__init__(level)
        self.axis_size = axis_size
        self.axis_name = axis_name

    def pure(self, val):
        return BatchTracer(self, val, None)

    lift = pure

    def process(self, prim, args, params):
        vals = []
        dims = []
        batched = False
        for a in args:
            if type(a) is BatchTracer and a._trace is self:
                vals.append(a.val)
                dims.append(a.batch_dim)
                if a.batch_dim is not None:
                    batched = True
            else:
                vals.append(a)
                dims.append(None)
        if not batched and prim not in _COLLECTIVES:
            return prim.bind(*vals, **params)
        rule = primitive_batchers.get(prim)
        if rule is None:
            raise NotImplementedError(f"Batching rule for '{prim.name}' not implemented")
        if prim in _COLLECTIVES:
            out, out_dim = rule(vals, dims, trace=self, **params)
        else:
            out, out_dim = rule(vals, dims, **params)
        if prim.multiple_results:
            return [o if d is None else BatchTracer(self, o, d) for o, d in zip(out, out_dim)]
        return out if out_dim is None else BatchTracer(self, out, out_dim)

    def process_primitive(self, prim, tracers, params):
        return self.process(prim, tracers, params)


_COLLECTIVES = set()


def register_collective(prim):
    _COLLECTIVES.add(prim)


def axis_trace(axis_name):
    """The innermost active BatchTrace named ``axis_name``."""
    for t in reversed(core._state.stack):
        if isinstance(t, BatchTrace) and t.axis_name is not None and t.axis_name == axis_name:
            return t
    raise NameError(
        f"unbound axis name: {axis_name}. Collectives like psum and axis_index must "
        "be called inside a vmap (or jit of one) with a matching axis_name=...")


# --------------------------------------------------------------------------
# Moving batch dimensions


def moveaxis(x, src, dst):
    """Move axis ``src`` of ``x`` to ``dst`` (lax.transpose)."""
    if src == dst:
        return x
    from ..lax.structural import transpose
    nd = get_aval(x).ndim
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    return transpose(x, perm)


def bdim_at_front(x, d, size):
    """``x`` with its batch dimension at 0 (broadcast if ``d`` is None)."""
    if d is None:
        from ..lax.structural import broadcast
        return broadcast(x, (size,))
    return moveaxis(x, d, 0)


def bdim_to(x, d, dst, size):
    if d is None:
        from ..lax.structural import broadcast_in_dim
        aval = get_aval(x)
        shape = list(aval.shape)
        shape.insert(dst, size)
        dims = [i for i in range(len(shape)) if i != dst]
        return broadcast_in_dim(x, tuple(shape), tuple(dims))
    return moveaxis(x, d, dst)


# --------------------------------------------------------------------------
# Rule-writing helpers


def defvectorized(prim):
    """Unary elementwise ``prim``: batch the operand as it is."""
    def rule(vals, dims, **params):
        return prim.bind(*vals, **params), dims[0]
    primitive_batchers[prim] = rule


def _size_of(vals, dims):
    for v, d in zip(vals, dims):
        if d is not None:
            return get_aval(v).shape[d]
    raise AssertionError("no batched argument")


def broadcast_batched(vals, dims):
    """Bring batched operands of an elementwise op to a common layout:
    if all batched operands share one batch dim and the unbatched ones can be
    broadcast, keep it; otherwise move it to 0.  Returns (vals, out_dim)."""
    size = _size_of(vals, dims)
    bd = [d for d in dims if d is not None]
    out_dim = bd[0] if all(d == bd[0] for d in bd) else 0
    out = []
    for v, d in zip(vals, dims):
        if d is None:
            out.append(bdim_to(v, None, out_dim, size))
        elif d != out_dim:
            out.append(moveaxis(v, d, out_dim))
        else:
            out.append(v)
    return out, out_dim


def defbroadcasting(prim, n_leading_unbatched=0):
    """n-ary elementwise ``prim`` (arguments of equal shape).  The first
    ``n_leading_unbatched`` operands may stay scalars (e.g. a predicate)."""
    def rule(vals, dims, **params):
        new, out_dim = broadcast_batched(vals, dims)
        return prim.bind(*new, **params), out_dim
    primitive_batchers[prim] = rule


def defreducer(prim, axes_param="axes"):
    """``prim`` reduces the axes in ``params[axes_param]`` (other params pass
    through): the axes are renumbered around the batch dimension, which stays
    where it is (less the reduced axes before it), so no transpose is needed."""
    def rule(vals, dims, **params):
        (x,), (d,) = vals, dims
        axes = params[axes_param]
        params[axes_param] = tuple(a if a < d else a + 1 for a in axes)
        return prim.bind(x, **params), d - sum(1 for a in axes if a < d)
    primitive_batchers[prim] = rule


# --------------------------------------------------------------------------
# Entry point


def batch_flat(fun, args, in_dims, axis_size, axis_name, out_dims_fn):
    """Run ``fun`` (flat list -> flat list) on ``args`` batched along
    ``in_dims``; ``out_dims_fn(n_outs)`` gives the wanted output dims (a list
    of int or None).  Returns the flat outputs."""
    trace = core.push_trace(BatchTrace, axis_size, axis_name)
    try:
        ins = [a if d is None else BatchTracer(trace, a, d) for a, d in zip(args, in_dims)]
        outs = fun(*ins)
        out_dims = out_dims_fn(len(outs))
        result = []
        for i, (o, want) in enumerate(zip(outs, out_dims)):
            if type(o) is BatchTracer and o._trace is trace:
                v, d = o.val, o.batch_dim
            else:
                v, d = o, None
            if want is None:
                if d is not None:
                    raise ValueError(
                        f"vmap has mapped output (output {i}) but out_axes is None: an output "
                        "that depends on the batched inputs must have an out_axes entry "
                        "(an int), or be made independent of them.")
                result.append(v)
            else:
                nd = get_aval(v).ndim + (1 if d is None else 0)
                if not -nd <= want < nd:
                    raise ValueError(
                        f"vmap out_axes entry {want} is out of bounds for output {i} of rank {nd}.")
                result.append(bdim_to(v, d, want % nd, axis_size))
    finally:
        core.pop_trace(trace)
    return result


_unused = (np, Array)
