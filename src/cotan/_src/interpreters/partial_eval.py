"""Staging: recording primitive applications into a jaxpr.

A :class:`StagingTrace` records every primitive applied to one of its
tracers as an equation.  Values that are not its tracers (concrete arrays, or
tracers of lower traces) enter the jaxpr as constants: scalars as literals,
everything else as constvars.  Work that does not depend on the staged
inputs is therefore done at once rather than recorded, which is what makes
``linearize`` a partial evaluation: the tangent inputs are staged, the primal
computation is not, and what gets recorded is exactly the linear part.
"""
from __future__ import annotations

import numpy as np

from .. import core
from ..core import Array, ClosedJaxpr, Jaxpr, JaxprEqn, Literal, ShapedArray, Tracer, Var


class StagingTracer(Tracer):
    __slots__ = ("var",)

    def __init__(self, trace, var):
        self._trace = trace
        self.var = var

    @property
    def aval(self):
        return self.var.aval


def _is_literalable(val):
    if type(val) is Array:
        v = val._value
        return v.shape == () and v.dtype.kind in "biufc"
    if isinstance(val, (bool, int, float, complex)):
        return True
    if isinstance(val, (np.generic, np.ndarray)):
        return np.shape(val) == () and val.dtype.kind in "biufc"
    return False


class StagingTrace(core.Trace):
    def __init__(self, level):
        super().__init__(level)
        self.eqns = []
        self.invars = []
        self.constvars = []
        self.consts = []
        self._const_ids = {}

    def new_arg(self, aval):
        v = Var(aval)
        self.invars.append(v)
        return StagingTracer(self, v)

    def pure(self, val):
        return StagingTracer(self, self._const_var(val))

    lift = pure

    def _const_var(self, val):
        if type(val) is Array:
            x = val._value
            if x.shape == () and x.dtype.kind in "biufc":
                # scalars become literals; no need to deduplicate them
                return Literal(val, ShapedArray((), x.dtype, val.weak_type))
        key = id(val)
        hit = self._const_ids.get(key)
        if hit is not None:
            return hit[0]
        if type(val) is Array:
            aval = ShapedArray(x.shape, x.dtype, val.weak_type)
            literal = False
        else:
            aval = core.get_aval(val)
            literal = not isinstance(val, Tracer) and _is_literalable(val)
        if literal:
            v = Literal(val if type(val) is Array else core.to_array(val), aval)
        else:
            v = Var(aval)
            self.constvars.append(v)
            self.consts.append(val)
        # keep ``val`` alive so that its id stays unique while we trace
        self._const_ids[key] = (v, val)
        return v

    def process(self, primitive, args, params):
        invars = []
        for a in args:
            if type(a) is StagingTracer and a._trace is self:
                invars.append(a.var)
            else:
                if isinstance(a, Tracer) and a._trace.level > self.level:
                    raise core.UnexpectedTracerError(core._escaped_message(a))
                invars.append(self._const_var(a))
        return self._record(primitive, invars, params)

    def process_primitive(self, primitive, tracers, params):
        return self._record(primitive, [t.var for t in tracers], params)

    def _record(self, primitive, invars, params):
        out_avals = primitive.abstract_eval(*[v.aval for v in invars], **params)
        if primitive.multiple_results:
            outvars = [Var(a) for a in out_avals]
        else:
            outvars = [Var(out_avals)]
        self.eqns.append(JaxprEqn(primitive, invars, params, outvars))
        outs = [StagingTracer(self, v) for v in outvars]
        return outs if primitive.multiple_results else outs[0]

    def var_of(self, val):
        """The jaxpr atom for an output value."""
        if isinstance(val, StagingTracer) and val._trace is self:
            return val.var
        return self._const_var(val)

    def to_jaxpr(self, in_tracers, outs, dce=True):
        outvars = [self.var_of(o) for o in outs]
        invars = [t.var for t in in_tracers]
        eqns = self.eqns
        if dce:
            eqns = dce_eqns(eqns, outvars)
        used_consts = set()
        for e in eqns:
            for v in e.invars:
                if type(v) is Var:
                    used_consts.add(v)
        used_consts.update(v for v in outvars if type(v) is Var)
        constvars, consts = [], []
        for v, c in zip(self.constvars, self.consts):
            if v in used_consts:
                constvars.append(v)
                consts.append(c)
        jaxpr = Jaxpr(constvars, invars, outvars, eqns)
        # drop our references so that residuals die with the jaxpr
        self.eqns = []
        self._const_ids = {}
        self.constvars = []
        self.consts = []
        return jaxpr, consts


def partition_eqns(eqns, unknown_vars):
    """Partial evaluation of a list of equations: those reading (transitively)
    any of ``unknown_vars`` are unknown, the rest known.  Returns
    (known_eqns, unknown_eqns, set of unknown variables)."""
    unknown = set(unknown_vars)
    known_eqns, unknown_eqns = [], []
    for eqn in eqns:
        if any(type(v) is Var and v in unknown for v in eqn.invars):
            unknown_eqns.append(eqn)
            unknown.update(eqn.outvars)
        else:
            known_eqns.append(eqn)
    return known_eqns, unknown_eqns, unknown


def dce_eqns(eqns, outvars):
    live = {v for v in outvars if type(v) is Var}
    kept = []
    for eqn in reversed(eqns):
        if eqn.primitive.has_side_effects or any(v in live for v in eqn.outvars):
            kept.append(eqn)
            for v in eqn.invars:
                if type(v) is Var:
                    live.add(v)
    kept.reverse()
    return kept


def trace_to_jaxpr(fun, in_avals):
    """Trace ``fun`` (flat list in, flat list out) on abstract inputs."""
    trace = core.push_trace(StagingTrace)
    try:
        in_tracers = [trace.new_arg(a) for a in in_avals]
        outs = fun(*in_tracers)
        jaxpr, consts = trace.to_jaxpr(in_tracers, outs)
    finally:
        core.pop_trace(trace)
    return jaxpr, consts
