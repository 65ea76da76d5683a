"""Forward mode (JVP), linearization and transposition.

Rule tables (the only place rules are registered):

* ``primitive_jvps[p](primals, tangents, **params) -> (primal_out, tangent_out)``;
  a tangent may be a symbolic :class:`Zero`.
* ``primitive_transposes[p](ct, *args, **params) -> [ct_arg, ...]``, for linear
  primitives only; the linear arguments arrive as :class:`UndefinedPrimal`.

Reverse mode is built from these: ``linearize`` runs the JVP with the
tangents staged (see partial_eval) so the recorded jaxpr is the linear map,
and ``backward_pass`` transposes it equation by equation.
"""
from __future__ import annotations

import numpy as np

from .. import core, dtypes
from ..core import Array, Tracer, get_aval
from . import partial_eval as pe

primitive_jvps = core.RuleTable()
primitive_transposes = core.RuleTable()


# --------------------------------------------------------------------------
# Symbolic zeros


class Zero:
    """A tangent or cotangent known to be zero.  ``Zero.from_value(v)`` is
    the zero tangent of ``v``; its aval is only computed if asked for."""

    __slots__ = ("_aval", "_val")

    def __init__(self, aval):
        self._aval = aval
        self._val = None

    @property
    def aval(self):
        a = self._aval
        if a is None:
            a = self._aval = get_aval(self._val).to_tangent_aval()
            self._val = None
        return a

    @staticmethod
    def from_value(val):
        z = Zero.__new__(Zero)
        z._aval = None
        z._val = val
        return z

    def __repr__(self):
        return f"Zero({self.aval.str_short()})"


def zeros_like_aval(aval):
    return Array(np.zeros(aval.shape, aval.dtype), aval.weak_type)


def instantiate_zeros(t):
    if type(t) is Zero:
        return zeros_like_aval(t.aval)
    return t


def zeros_like_value(val):
    return zeros_like_aval(get_aval(val).to_tangent_aval())


def add_tangents(a, b):
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return add_any_p.bind(a, b)


# add_any: the addition used to accumulate (co)tangents.
add_any_p = core.Primitive("add_any")
add_any_p.def_impl(np.add)
add_any_p.def_abstract_eval(lambda x, y: x)


def _add_any_jvp(primals, tangents):
    return add_any_p.bind(*primals), add_tangents(*tangents)


primitive_jvps[add_any_p] = _add_any_jvp
primitive_transposes[add_any_p] = lambda ct, x, y: [ct, ct]
# batching.py imports only core (never ad), so this import cannot cycle
from . import batching as _batching  # noqa: E402
_batching.defbroadcasting(add_any_p)


class UndefinedPrimal:
    """Marks a linear argument in a transpose rule (its value is unknown)."""

    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined_primal(x):
    return type(x) is UndefinedPrimal


# --------------------------------------------------------------------------
# Rule-writing helpers


def defjvp(prim, *jvp_fns):
    """JVP of ``prim`` from one function per argument,
    ``fn(g, *primals, **params)`` giving that argument's tangent contribution
    (``None`` for an argument that is not differentiable)."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        acc = None
        for fn, t in zip(jvp_fns, tangents):
            if fn is None or type(t) is Zero:
                continue
            c = fn(t, *primals, **params)
            acc = c if acc is None else add_any_p.bind(acc, c)
        if acc is None:
            acc = Zero.from_value(out)
        return out, acc

    primitive_jvps[prim] = rule


def defjvp2(prim, *jvp_fns):
    """Like :func:`defjvp`, but each ``fn(g, ans, *primals, **params)`` also
    receives the primal output."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        acc = None
        for fn, t in zip(jvp_fns, tangents):
            if fn is None or type(t) is Zero:
                continue
            c = fn(t, out, *primals, **params)
            acc = c if acc is None else add_any_p.bind(acc, c)
        if acc is None:
            acc = Zero.from_value(out)
        return out, acc

    primitive_jvps[prim] = rule


def defjvp_zero(prim):
    """``prim``'s outputs do not depend differentiably on its inputs."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if prim.multiple_results:
            return out, [Zero.from_value(o) for o in out]
        return out, Zero.from_value(out)

    primitive_jvps[prim] = rule


def deflinear(prim, transpose_rule):
    """``prim`` is linear in all its arguments jointly: its JVP applies
    ``prim`` to the tangents.  ``transpose_rule(ct, *args, **params)``."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(type(t) is Zero for t in tangents):
            return out, (
                [Zero.from_value(o) for o in out] if prim.multiple_results else Zero.from_value(out)
            )
        tangent_out = prim.bind(*[instantiate_zeros(t) for t in tangents], **params)
        return out, tangent_out

    primitive_jvps[prim] = rule
    primitive_transposes[prim] = transpose_rule


def deflinear2(prim, transpose_rule):
    """``prim`` is linear in its first argument only (the others are static
    operands such as indices): the JVP applies ``prim`` to the first tangent
    with the other primal arguments."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        t = tangents[0]
        if type(t) is Zero:
            return out, Zero.from_value(out)
        return out, prim.bind(t, *primals[1:], **params)

    primitive_jvps[prim] = rule
    primitive_transposes[prim] = transpose_rule


# --------------------------------------------------------------------------
# The JVP trace


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent", "_aval")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent
        self._aval = None

    @property
    def aval(self):
        a = self._aval
        if a is None:
            a = self._aval = get_aval(self.primal)
        return a

    def full_lower(self):
        if type(self.tangent) is Zero:
            return core.full_lower(self.primal)
        return self

    def to_concrete_value(self):
        p = self.primal
        if type(p) is Array:
            return p._value
        if isinstance(p, Tracer):
            return p.to_concrete_value()
        return None


class JVPTrace(core.Trace):
    def pure(self, val):
        return JVPTracer(self, val, Zero.from_value(val))

    lift = pure

    def process(self, primitive, args, params):
        if self.level == 0:
            # eager forward mode (nothing below: concrete values) runs
            # compiled JVP templates
            out = rule_cache.jvp_eager(self, primitive, args, params)
            if out is not None:
                return out
        primals = []
        tangents = []
        for a in args:
            if type(a) is JVPTracer and a._trace is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
            else:
                if isinstance(a, Tracer) and a._trace.level > self.level:
                    raise core.UnexpectedTracerError(core._escaped_message(a))
                primals.append(a)
                tangents.append(Zero.from_value(a))
        return self._process(primitive, primals, tangents, params)

    def process_primitive(self, primitive, tracers, params):
        return self._process(primitive, [t.primal for t in tracers],
                             [t.tangent for t in tracers], params)

    def _process(self, primitive, primals, tangents, params):
        for t in tangents:
            if type(t) is not Zero:
                break
        else:
            return primitive.bind(*primals, **params)
        rule = primitive_jvps.get(primitive)
        if rule is None:
            raise NotImplementedError(
                f"Differentiation rule for '{primitive.name}' not implemented"
            )
        out, tout = rule(primals, tangents, **params)
        if primitive.multiple_results:
            return [o if type(t) is Zero else JVPTracer(self, o, t) for o, t in zip(out, tout)]
        return out if type(tout) is Zero else JVPTracer(self, out, tout)


def split_jvp_outputs(outs, trace):
    """Primals and tangents of ``trace``'s output tracers (other values are
    constants to it: zero tangents)."""
    out_p, out_t = [], []
    for o in outs:
        if isinstance(o, JVPTracer) and o._trace is trace:
            out_p.append(o.primal)
            out_t.append(o.tangent)
        else:
            out_p.append(o)
            out_t.append(Zero.from_value(o))
    return out_p, out_t


def jvp_flat(fun, primals, tangents):
    """Forward mode on flat lists; tangents may be :class:`Zero`."""
    trace = core.push_trace(JVPTrace)
    try:
        ins = [JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
        out_p, out_t = split_jvp_outputs(fun(*ins), trace)
    finally:
        core.pop_trace(trace)
    return out_p, out_t


def strip_trace(val, trace):
    """The primal of ``val`` if it belongs to ``trace`` (for auxiliary outputs)."""
    if isinstance(val, JVPTracer) and val._trace is trace:
        return val.primal
    return val


class LinearizeResult:
    """The linear map found by :func:`linearize_flat` (a jaxpr and its
    residual constants), with the primal outputs."""

    __slots__ = ("jaxpr", "consts", "out_primals", "in_avals", "out_avals", "aux")

    def __init__(self, jaxpr, consts, out_primals, in_avals, out_avals, aux=None):
        self.jaxpr = jaxpr
        self.consts = consts
        self.out_primals = out_primals
        self.in_avals = in_avals
        self.out_avals = out_avals
        self.aux = aux

    def backward(self, cts_out):
        return backward_pass(self.jaxpr, self.consts, cts_out)


def linearize_flat(fun, primals, has_aux=False, use_tape=True):
    """Evaluate ``fun`` at ``primals`` and record its linear part as a jaxpr.

    ``fun`` maps a flat list to a flat list (and an aux pytree if
    ``has_aux``).  The tangent inputs are tracers of a staging trace, pushed
    below the JVP trace: the JVP rules compute primal values at once and only
    their tangent arithmetic is recorded.
    """
    if use_tape:
        if rule_cache.can_use(primals):
            return rule_cache.linearize_on_tape(fun, primals, has_aux)
        outer = lifted_tape.can_lift(primals)
        if outer is not None:
            return lifted_tape.linearize_lifted(fun, primals, has_aux, outer)
    in_avals = [get_aval(p).to_tangent_aval() for p in primals]
    st = core.push_trace(pe.StagingTrace)
    try:
        jt = core.push_trace(JVPTrace)
        try:
            tangent_in = [st.new_arg(a) for a in in_avals]
            ins = []
            for p, t, a in zip(primals, tangent_in, in_avals):
                if a.dtype == dtypes.float0:
                    ins.append(JVPTracer(jt, p, Zero(a)))
                else:
                    ins.append(JVPTracer(jt, p, t))
            res = fun(*ins)
            if has_aux:
                outs, aux = res
            else:
                outs, aux = res, None
            out_p, out_t = split_jvp_outputs(outs, jt)
            if has_aux:
                from .. import tree_util
                aux = tree_util.tree_map(lambda x: strip_trace(x, jt), aux)
        finally:
            core.pop_trace(jt)
        out_avals = [get_aval(p).to_tangent_aval() for p in out_p]
        outs_for_jaxpr = [
            (zeros_like_aval(t.aval) if type(t) is Zero else t) for t in out_t
        ]
        jaxpr, consts = st.to_jaxpr(tangent_in, outs_for_jaxpr)
    finally:
        core.pop_trace(st)
    return LinearizeResult(jaxpr, consts, out_p, in_avals, out_avals, aux)


# --------------------------------------------------------------------------
# Transposition


def backward_pass(jaxpr, consts, cts_out):
    """Transpose the linear ``jaxpr``: map output cotangents to input
    cotangents (``Zero`` where an input received none).  Iterative, so chains
    of any length work; each equation's residuals are dropped as soon as the
    equation has been transposed."""
    ct_env = {}
    linear = set(jaxpr.invars)
    for eqn in jaxpr.eqns:
        linear.update(eqn.outvars)
    const_env = dict(zip(jaxpr.constvars, consts))

    def add_ct(v, ct):
        if type(v) is not core.Var or v not in linear or ct is None or type(ct) is Zero:
            return
        prev = ct_env.get(v)
        ct_env[v] = ct if prev is None else add_any_p.bind(prev, ct)

    for v, ct in zip(jaxpr.outvars, cts_out):
        add_ct(v, ct)

    for eqn in reversed(jaxpr.eqns):
        prim = eqn.primitive
        if prim.multiple_results:
            cts = [ct_env.pop(v, None) for v in eqn.outvars]
            if all(c is None for c in cts):
                continue
            cts = [Zero(v.aval.to_tangent_aval()) if c is None else c for c, v in zip(cts, eqn.outvars)]
        else:
            cts = ct_env.pop(eqn.outvars[0], None)
            if cts is None:
                continue
        args = []
        for v in eqn.invars:
            if type(v) is core.Literal:
                args.append(v.val)
            elif v in linear:
                args.append(UndefinedPrimal(v.aval))
            else:
                args.append(const_env[v])
        rule = primitive_transposes.get(prim)
        if rule is None:
            raise NotImplementedError(
                f"Transpose rule (for reverse-mode differentiation) for '{prim.name}' "
                "not implemented: the primitive is not linear, or its transpose is missing."
            )
        cts_in = rule(cts, *args, **eqn.params)
        for v, ct in zip(eqn.invars, cts_in):
            add_ct(v, ct)

    out = []
    for v in jaxpr.invars:
        ct = ct_env.pop(v, None)
        out.append(Zero(v.aval) if ct is None else ct)
    return out


from . import rule_cache  # noqa: E402  (uses this module's tables)
from . import lifted_tape  # noqa: E402
