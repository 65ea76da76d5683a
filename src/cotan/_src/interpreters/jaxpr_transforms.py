"""Transformations of whole jaxprs, for primitives that carry jaxprs as
parameters (jit's call primitive, cond, while, scan): each returns a new
ClosedJaxpr built by tracing the transformation of ``eval_jaxpr``, so every
rule stays written once, in terms of the primitives inside.

* ``jvp_jaxpr(cj, nonzeros, instantiate)``: inputs (primals..., tangents for
  the nonzero ones...) -> outputs (primal outs..., tangents for the outputs
  that have them...); returns (jaxpr, out_nonzeros).
* ``batch_jaxpr(cj, axis_size, in_dims, out_dims)``: inputs with batch dims
  ``in_dims`` (None = unbatched) -> outputs with batch dims ``out_dims``
  (forced, None allowed only for outputs that are not batched).
* ``transpose_jaxpr(cj, linear)``: for a jaxpr linear in the inputs flagged
  ``linear``: inputs (non-linear inputs..., output cotangents...) -> the
  cotangents of the linear inputs (zeros instantiated).
"""
from __future__ import annotations

from .. import core
from ..core import ClosedJaxpr, get_aval
from . import ad, batching
from . import partial_eval as pe


def _trace(fun, in_avals):
    jaxpr, consts = pe.trace_to_jaxpr(fun, in_avals)
    return ClosedJaxpr(jaxpr, consts)


def jvp_jaxpr(cj, nonzeros, instantiate=False):
    in_avals = cj.in_avals
    nz_avals = [a.to_tangent_aval() for a, nz in zip(in_avals, nonzeros) if nz]
    n = len(in_avals)
    if isinstance(instantiate, bool):
        instantiate = [instantiate] * len(cj.out_avals)
    out_nz_box = []

    def fun(*args):
        primals = list(args[:n])
        it = iter(args[n:])
        tangents = [next(it) if nz else ad.Zero(a.to_tangent_aval())
                    for a, nz in zip(in_avals, nonzeros)]
        outs_p, outs_t = ad.jvp_flat(lambda *xs: core.eval_jaxpr(cj.jaxpr, cj.consts, *xs),
                                     primals, tangents)
        out_nz = [type(t) is not ad.Zero or inst for t, inst in zip(outs_t, instantiate)]
        out_nz_box.append(out_nz)
        ts = [ad.instantiate_zeros(t) for t, nz in zip(outs_t, out_nz) if nz]
        return list(outs_p) + ts

    return _trace(fun, list(in_avals) + nz_avals), out_nz_box[0]


def _batched_aval(a, d, size):
    if d is None:
        return a
    shape = list(a.shape)
    shape.insert(d, size)
    return a.update(shape=tuple(shape))


def batch_jaxpr(cj, axis_size, in_dims, out_dims, axis_name=None):
    in_avals = [_batched_aval(a, d, axis_size) for a, d in zip(cj.in_avals, in_dims)]

    def fun(*args):
        return batching.batch_flat(
            lambda *xs: core.eval_jaxpr(cj.jaxpr, cj.consts, *xs),
            list(args), list(in_dims), axis_size, axis_name, lambda n: list(out_dims))

    return _trace(fun, in_avals)


def batch_jaxpr_auto(cj, axis_size, in_dims, axis_name=None):
    """Like batch_jaxpr, but outputs keep whatever batch dim they get (moved
    to 0) and unbatched outputs stay unbatched: returns (jaxpr, out_dims)."""
    box = []
    in_avals = [_batched_aval(a, d, axis_size) for a, d in zip(cj.in_avals, in_dims)]

    def fun(*args):
        trace = core.push_trace(batching.BatchTrace, axis_size, axis_name)
        try:
            ins = [a if d is None else batching.BatchTracer(trace, a, d)
                   for a, d in zip(args, in_dims)]
            outs = core.eval_jaxpr(cj.jaxpr, cj.consts, *ins)
            res, dims = [], []
            for o in outs:
                if type(o) is batching.BatchTracer and o._trace is trace and o.batch_dim is not None:
                    res.append(batching.moveaxis(o.val, o.batch_dim, 0))
                    dims.append(0)
                else:
                    res.append(o.val if type(o) is batching.BatchTracer and o._trace is trace else o)
                    dims.append(None)
        finally:
            core.pop_trace(trace)
        box.append(dims)
        return res

    return _trace(fun, in_avals), box[0]


def transpose_jaxpr(cj, linear):
    in_avals = cj.in_avals
    res_avals = [a for a, lin in zip(in_avals, linear) if not lin]
    ct_avals = [a.to_tangent_aval() for a in cj.out_avals]
    nres = len(res_avals)

    def fun(*args):
        res = iter(args[:nres])
        cts = list(args[nres:])
        # evaluate the non-linear part forward, then transpose the linear part
        lin_in = []
        vals = []
        for a, lin in zip(in_avals, linear):
            vals.append(ad.UndefinedPrimal(a) if lin else next(res))
        cts_in = _backward_with_residuals(cj, vals, cts)
        out = []
        for a, lin, c in zip(in_avals, linear, cts_in):
            if lin:
                out.append(ad.zeros_like_aval(a.to_tangent_aval()) if c is None or type(c) is ad.Zero else c)
        del lin_in
        return out

    return _trace(fun, res_avals + ct_avals)


def _backward_with_residuals(cj, vals, cts):
    """Transpose ``cj`` where ``vals`` holds known inputs and UndefinedPrimal
    for the linear ones: equations whose inputs are all known are evaluated
    forward first (they compute residuals), the rest are transposed."""
    jaxpr = cj.jaxpr
    env = dict(zip(jaxpr.constvars, cj.consts))
    linear_vars = set()
    for v, x in zip(jaxpr.invars, vals):
        if type(x) is ad.UndefinedPrimal:
            linear_vars.add(v)
        else:
            env[v] = x
    lin_eqns = []
    for eqn in jaxpr.eqns:
        if any(type(v) is core.Var and v in linear_vars for v in eqn.invars):
            linear_vars.update(eqn.outvars)
            lin_eqns.append(eqn)
        else:
            ins = [v.val if type(v) is core.Literal else env[v] for v in eqn.invars]
            outs = eqn.primitive.bind(*ins, **eqn.params)
            if eqn.primitive.multiple_results:
                env.update(zip(eqn.outvars, outs))
            else:
                env[eqn.outvars[0]] = outs
    known = [v for v in env if v not in linear_vars]
    lin = core.Jaxpr(known, [v for v in jaxpr.invars if v in linear_vars],
                     jaxpr.outvars, lin_eqns)
    cts_lin = ad.backward_pass(lin, [env[v] for v in known], cts)
    it = iter(cts_lin)
    return [next(it) if type(x) is ad.UndefinedPrimal else None for x in vals]


_unused = get_aval
