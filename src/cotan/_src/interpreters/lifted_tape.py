"""Forward-over-reverse on rule templates (``jvp(grad(f))``, Hessian-vector
products).

When the only active transformation is a JVP whose tracers hold concrete
values, the inner linearization can still run on templates: every tape
value carries its outer tangent beside it, and each template's forward and
backward programs are replaced by their JVPs (derived once per pattern of
nonzero outer tangents, compiled like the templates themselves).  The
results are the outer trace's tracers, exactly as the generic path (JVP of
JVP + staging + transposition) would produce them, without its three
layers of dispatch per primitive.  Entry points: ``can_lift`` and
``linearize_lifted`` (called by ``ad.linearize_flat``).
"""
from __future__ import annotations

import numpy as np

from .. import core, dtypes
from ..core import Array, Tracer
from . import ad
from . import partial_eval as pe
from .rule_cache import (_Instance, _Program, TapeLinearizeResult, _build_backward,
                         _finish_key, _linearize_one, _template_for)
from . import rule_cache


def _lifted(tmpl, backward, mask):
    """The JVP of ``tmpl``'s forward (or backward) program for the inputs
    flagged in ``mask``: (compiled fn, which outputs have tangents)."""
    cache = tmpl.lifted
    if cache is None:
        cache = tmpl.lifted = {}
    hit = cache.get((backward, mask))
    if hit is None:
        from .jaxpr_transforms import jvp_jaxpr
        cj, out_nz = jvp_jaxpr(tmpl.bwd_cj if backward else tmpl.fwd_cj, list(mask))
        j = cj.jaxpr
        eqns = pe.dce_eqns(j.eqns, j.outvars)
        prog = _Program(eqns, j.invars, j.outvars, dict(zip(j.constvars, cj.consts)))
        hit = cache[(backward, mask)] = (prog.fn, out_nz)
    return hit


def _outer_value(val, dval, aval, outer):
    """A value of the lifted tape as the outer trace sees it."""
    if dval is None:
        return Array(val, aval.weak_type)
    return ad.JVPTracer(outer, Array(val, aval.weak_type), Array(dval, aval.weak_type))


def _accumulate(env, denv, n, c, d):
    prev = env.get(n)
    if prev is None:
        env[n] = c
        if d is not None:
            denv[n] = d
        return
    env[n] = prev + c
    if d is not None:
        pd = denv.get(n)
        denv[n] = d if pd is None else pd + d


class LiftTracer(Tracer):
    """A value computed from the differentiated inputs, with the outer JVP's
    tangent of it (``dval``; None for a zero tangent)."""

    __slots__ = ("val", "dval", "_aval", "node", "key")

    def __init__(self, trace, val, dval, aval, node, key=None):
        self._trace = trace
        self.val = val
        self.dval = dval
        self._aval = aval
        self.node = node
        self.key = key if key is not None else (aval.shape, aval.dtype, aval.weak_type, True)

    @property
    def aval(self):
        return self._aval

    def to_concrete_value(self):
        return self.val


class LiftTrace(core.Trace):
    def __init__(self, level, outer):
        super().__init__(level)
        self.outer = outer
        self.tape = []
        self.dots = []          # per tape entry: outer tangents of its residuals (or None)
        self.n_nodes = 0

    def new_input(self, val, dval, aval):
        node = self.n_nodes
        self.n_nodes += 1
        return LiftTracer(self, val, dval, aval, node)

    def pure(self, val):
        raise AssertionError("LiftTrace.pure is not used")

    def lower(self, x):
        if type(x) is LiftTracer and x._trace is self:
            return _outer_value(x.val, x.dval, x._aval, self.outer)
        return x

    def process(self, prim, args, params):
        vals, dvals, nodes = [], [], []
        key = [prim]
        outer = self.outer
        for a in args:
            ta = type(a)
            if ta is LiftTracer and a._trace is self:
                vals.append(a.val)
                dvals.append(a.dval)
                nodes.append(a.node)
                key += a.key
                continue
            d = None
            if ta is Array:
                v = a._value
                weak = a.weak_type
            elif ta is ad.JVPTracer and a._trace is outer and type(a.primal) is Array:
                # a value of the outer jvp that doesn't depend on our inputs
                v = a.primal._value
                weak = a.primal.weak_type
                if type(a.tangent) is not ad.Zero:
                    d = a.tangent._value
            elif isinstance(a, Tracer):
                raise core.UnexpectedTracerError(core._escaped_message(a))
            else:
                v = core._canonical_value(a)
                weak = dtypes.is_weakly_typed(a)
            vals.append(v)
            dvals.append(d)
            key += (v.shape, v.dtype, weak, False)
        if not nodes:
            return prim.bind(*args, **params)
        key, cacheable = _finish_key(key, params)
        tmpl = _template_for(prim, key, params, len(args), cacheable)
        if tmpl is None:
            return self._process_instance(prim, args, params)
        mask = tuple(d is not None for d in dvals)
        n_out = tmpl.n_primal_out
        if True in mask:
            fn, out_nz = _lifted(tmpl, False, mask)
            r = fn(*vals, *[d for d in dvals if d is not None])
            m = n_out + tmpl.n_res
            res = r[:m]
            it = iter(r[m:])
            dots = [next(it) if nz else None for nz in out_nz]
        else:
            res = tmpl.fwd.fn(*vals)
            dots = None
        if tmpl.single:
            fi = tmpl.forward_input
            if fi is not None:
                node = nodes[fi]
            else:
                node = self.n_nodes
                self.n_nodes = node + 1
                self.tape.append((tmpl, res, nodes, node))
                self.dots.append(dots)
            return LiftTracer(self, res[0], dots[0] if dots else None, tmpl.out_avals[0], node,
                              tmpl.out_key)
        out_nodes = []
        results = []
        for k, (o, a, has_t) in enumerate(zip(res[:n_out], tmpl.out_avals, tmpl.tangent_out)):
            d = dots[k] if dots else None
            if has_t:
                node = self.n_nodes
                self.n_nodes += 1
                out_nodes.append(node)
                results.append(LiftTracer(self, o, d, a, node))
            else:
                results.append(_outer_value(o, d, a, outer))
        if out_nodes:
            self.tape.append((tmpl, res[n_out:], nodes, out_nodes))
            self.dots.append(dots[n_out:] if dots else None)
        return results if prim.multiple_results else results[0]


def _split_outer(x, outer):
    """(value, tangent value or None) of an outer-trace value."""
    if type(x) is ad.JVPTracer and x._trace is outer:
        t = x.tangent
        return x.primal._value, (None if type(t) is ad.Zero else t._value)
    return x._value, None


def _lift_instance(self, prim, args, params):
    outer = self.outer
    node_pos = [i for i, a in enumerate(args) if type(a) is LiftTracer and a._trace is self]
    base = list(args)
    for i in node_pos:
        a = args[i]
        base[i] = _outer_value(a.val, a.dval, a._aval, outer)
    lin = _linearize_one(prim, base, node_pos, params)
    out_avals = [core.get_aval(o) for o in lin.out_primals]
    inst = _Instance(lin, out_avals)
    out_nodes = []
    results = []
    for o, a, h in zip(lin.out_primals, out_avals, inst.has_t):
        if h:
            node = self.n_nodes
            self.n_nodes += 1
            out_nodes.append(node)
            v, d = _split_outer(o, outer)
            results.append(LiftTracer(self, v, d, a, node))
        else:
            results.append(o)
    if out_nodes:
        self.tape.append((inst, (), [args[i].node for i in node_pos], out_nodes))
        self.dots.append(None)
    return results if prim.multiple_results else results[0]


LiftTrace._process_instance = _lift_instance


def can_lift(primals):
    """The outer JVP trace if ``linearize`` of these primals can run lifted."""
    if not rule_cache.ENABLED:
        return None
    stack = core._state.stack
    if len(stack) != 1 or type(stack[0]) is not ad.JVPTrace:
        return None
    outer = stack[0]
    for p in primals:
        tp = type(p)
        if tp is Array:
            continue
        if tp is ad.JVPTracer and p._trace is outer and type(p.primal) is Array and \
                type(p.tangent) in (Array, ad.Zero):
            continue
        return None
    return outer


class LiftLinearizeResult(TapeLinearizeResult):
    def __init__(self, trace, *args):
        super().__init__(trace.tape, *args)
        self.dots = trace.dots
        self.outer = trace.outer

    def _residual(self, i, k, r, aval):
        dots = self.dots[i]
        d = dots[k] if dots else None
        return _outer_value(r, d, aval, self.outer)

    def backward(self, cts_out):
        outer = self.outer
        stack = core._state.stack
        if not (outer.active and stack and stack[-1] is outer):
            return ad.backward_pass(self.jaxpr, self.consts, cts_out)
        env, denv = {}, {}
        for node, c in zip(self.out_nodes, cts_out):
            if node is None or c is None or type(c) is ad.Zero:
                continue
            tc = type(c)
            if tc is Array:
                _accumulate(env, denv, node, c._value, None)
            elif tc is ad.JVPTracer and c._trace is outer and type(c.primal) is Array and \
                    type(c.tangent) in (Array, ad.Zero):
                _accumulate(env, denv, node, c.primal._value,
                            None if type(c.tangent) is ad.Zero else c.tangent._value)
            else:
                return ad.backward_pass(self.jaxpr, self.consts, cts_out)
        tape = self.tape
        for i in range(len(tape) - 1, -1, -1):
            tmpl, residuals, in_nodes, out_nodes = tape[i]
            if tmpl.bwd_fn is None:
                _build_backward(tmpl)
            if tmpl.single:
                if out_nodes not in env:
                    continue
                cts = [env.pop(out_nodes)]
                cdots = [denv.pop(out_nodes, None)]
            else:
                cts = [env.pop(n, None) for n in out_nodes]
                if all(c is None for c in cts):
                    continue
                cdots = [denv.pop(n, None) for n in out_nodes]
                cts = [np.zeros(a.shape, a.dtype) if c is None else c
                       for c, a in zip(cts, tmpl.ct_avals)]
            if type(tmpl) is _Instance:
                full = tmpl.full_cts([_outer_value(c, d, a, outer)
                                      for c, d, a in zip(cts, cdots, tmpl.ct_avals)])
                for n, r in zip(in_nodes, ad.backward_pass(tmpl.lin.jaxpr, tmpl.lin.consts, full)):
                    if type(r) is not ad.Zero:
                        _accumulate(env, denv, n, *_split_outer(r, outer))
                continue
            rdots = self.dots[i] or [None] * len(residuals)
            if tmpl.single:
                rdots = [None] + list(rdots[1:])   # the output itself isn't read
            all_dots = list(rdots) + cdots
            mask = tuple(d is not None for d in all_dots)
            n_in = len(in_nodes)
            if True in mask:
                fn, out_nz = _lifted(tmpl, True, mask)
                r = fn(*residuals, *cts, *[d for d in all_dots if d is not None])
                outs = r[:n_in]
                it = iter(r[n_in:])
                douts = [next(it) if nz else None for nz in out_nz]
            else:
                outs = tmpl.bwd_fn(*residuals, *cts)
                douts = [None] * n_in
            for n, c, d, z in zip(in_nodes, outs, douts, tmpl.bwd[1]):
                if not z:
                    _accumulate(env, denv, n, c, d)
        result = []
        for n, a in zip(self.in_nodes, self.in_avals):
            c = env.get(n) if n is not None else None
            if c is None:
                result.append(ad.Zero(a))
                continue
            d = denv.get(n)
            if np.shape(c) != a.shape:
                c = np.broadcast_to(c, a.shape)
            if c.dtype != a.dtype:
                c = np.asarray(c, a.dtype)
            if d is not None:
                if np.shape(d) != a.shape:
                    d = np.broadcast_to(d, a.shape)
                if d.dtype != a.dtype:
                    d = np.asarray(d, a.dtype)
            result.append(_outer_value(c, d, a, outer))
        return result


def linearize_lifted(fun, primals, has_aux, outer):
    in_avals = [core.get_aval(p) for p in primals]
    trace = core.push_trace(LiftTrace, outer)
    try:
        ins = []
        in_nodes = []
        for p, a in zip(primals, in_avals):
            if a.dtype.kind in "fc":
                if type(p) is Array:
                    t = trace.new_input(p._value, None, a)
                else:
                    tan = p.tangent
                    t = trace.new_input(p.primal._value,
                                        None if type(tan) is ad.Zero else tan._value, a)
                ins.append(t)
                in_nodes.append(t.node)
            else:
                ins.append(p)
                in_nodes.append(None)
        res = fun(*ins)
        outs, aux = res if has_aux else (res, None)
        out_p, out_nodes = [], []
        for o in outs:
            if type(o) is LiftTracer and o._trace is trace:
                out_nodes.append(o.node)
            else:
                out_nodes.append(None)
            out_p.append(trace.lower(o))
        if has_aux:
            from ..tree_util import tree_map
            aux = tree_map(trace.lower, aux)
    finally:
        core.pop_trace(trace)
    tangent_in_avals = [a.to_tangent_aval() for a in in_avals]
    out_avals = [core.get_aval(p).to_tangent_aval() for p in out_p]
    return LiftLinearizeResult(trace, in_nodes, out_nodes, out_p, tangent_in_avals, out_avals,
                               aux)
