"""Eager linearization through compiled rule templates.

``linearize`` is JVP + partial evaluation, and ``vjp`` transposes the result.
Done generically, every primitive application costs three layers of Python
dispatch (the JVP trace, the staging trace, and later the transposition
interpreter).  When the inputs are concrete arrays and no other
transformation is active -- eager ``grad``, the common case -- the same
result is obtained much more cheaply:

* For each (primitive, input types, params, which inputs carry tangents) we
  run the primitive's JVP rule ONCE on abstract values, partially evaluate
  the recorded jaxpr (primal inputs known, tangents unknown) and transpose its
  linear part, also once.  This gives a *template*: a straight-line NumPy
  function computing the primal output and the residuals, the linear jaxpr,
  and a straight-line NumPy function mapping output cotangents to input
  cotangents.  The rules themselves stay where they are (ad.primitive_jvps,
  ad.primitive_transposes); templates are derived from them and cached.
* At run time each primitive application looks up its template, runs its
  forward function on NumPy values and appends (template, residuals) to a
  tape.  The pullback walks the tape backwards calling the compiled
  transposes.  If a jaxpr of the linear map is wanted (``jit(f_vjp)``,
  ``linearize``, a pullback called on tracers) it is spliced from the
  templates' linear jaxprs, so results are the same as the generic path's.
"""
from __future__ import annotations

import numpy as np

from .. import core, dtypes
from ..core import Array, JaxprEqn, Literal, ShapedArray, Tracer, Var
from . import ad
from . import partial_eval as pe

_CACHE = {}
core.on_rule_change(_CACHE.clear)
_CACHE_LIMIT = 8192


# --------------------------------------------------------------------------
# Templates


class _Program:
    """A straight-line program over NumPy values made from jaxpr equations,
    compiled once to Python source (one call per equation)."""

    __slots__ = ("fn", "source")

    def __init__(self, jaxpr_eqns, in_vars, out_atoms, const_env):
        names = {}
        glb = {}
        for i, v in enumerate(in_vars):
            names[v] = f"a{i}"
        counter = [0]

        def const_name(val):
            n = f"c{counter[0]}"
            counter[0] += 1
            glb[n] = val._value if type(val) is Array else np.asarray(val)
            return n

        def ref(v):
            if type(v) is Literal:
                return const_name(v.val)
            if v in names:
                return names[v]
            n = const_name(const_env[v])
            names[v] = n
            return n

        lines = [f"def prog({', '.join(names[v] for v in in_vars)}):"]
        for k, eqn in enumerate(jaxpr_eqns):
            args = [ref(v) for v in eqn.invars]
            fname = f"f{k}"
            glb[fname] = eqn.primitive.impl
            call = f"{fname}({', '.join(args)}"
            if eqn.params:
                pname = f"p{k}"
                glb[pname] = eqn.params
                call += (", " if args else "") + f"**{pname}"
            call += ")"
            outs = []
            for j, v in enumerate(eqn.outvars):
                names[v] = f"v{k}_{j}"
                outs.append(names[v])
            if not outs:  # no outputs (a side effect, e.g. debug_callback)
                lines.append(f"    {call}")
            elif eqn.primitive.multiple_results:
                lines.append(f"    {', '.join(outs)}{',' if len(outs) == 1 else ''} = {call}")
            else:
                lines.append(f"    {outs[0]} = {call}")
        rets = [ref(v) for v in out_atoms]
        lines.append(f"    return [{', '.join(rets)}]")
        self.source = "\n".join(lines)
        exec(compile(self.source, "<cotan rule template>", "exec"), glb)
        self.fn = glb["prog"]


class _Template:
    __slots__ = ("fwd", "n_res", "n_primal_out", "out_avals", "tangent_out", "lin_jaxpr",
                 "lin_consts", "bwd", "nz_in", "ct_avals", "multiple_results", "single",
                 "out_key", "bwd_fn", "bwd_all", "forward_input", "residuals")


def _build_template(prim, in_avals, params, nz):
    """Derive the template of ``prim`` from its JVP and transpose rules."""
    rule = ad.primitive_jvps.get(prim)
    if rule is None:
        raise NotImplementedError(f"Differentiation rule for '{prim.name}' not implemented")
    t_avals = [a.to_tangent_aval() for a, n in zip(in_avals, nz) if n]
    st = core.push_trace(pe.StagingTrace)
    try:
        p_tr = [st.new_arg(a) for a in in_avals]
        t_tr = [st.new_arg(a) for a in t_avals]
        it = iter(t_tr)
        tangents = [next(it) if n else ad.Zero(a.to_tangent_aval()) for a, n in zip(in_avals, nz)]
        out, tout = rule(p_tr, tangents, **params)
        multi = prim.multiple_results
        outs = list(out) if multi else [out]
        touts = list(tout) if multi else [tout]
        t_present = [type(t) is not ad.Zero for t in touts]
        t_atoms = [t for t in touts if type(t) is not ad.Zero]
        jaxpr, consts = st.to_jaxpr(p_tr + t_tr, outs + t_atoms)
    finally:
        core.pop_trace(st)
    n_p = len(in_avals)
    primal_vars = jaxpr.invars[:n_p]
    tangent_vars = jaxpr.invars[n_p:]
    const_env = dict(zip(jaxpr.constvars, consts))
    # partial evaluation: an equation is unknown if it reads an unknown value
    known_eqns, lin_eqns, unknown = pe.partition_eqns(jaxpr.eqns, tangent_vars)
    n_out = len(outs)
    primal_out_atoms = jaxpr.outvars[:n_out]
    for v in primal_out_atoms:
        if type(v) is Var and v in unknown:
            raise NotImplementedError(f"JVP rule of {prim.name} computes its primal from tangents")
    tangent_out_atoms = jaxpr.outvars[n_out:]
    # residuals: known values (not literals, not constants) read by the linear part
    residuals = []
    seen = set()
    for eqn in lin_eqns:
        for v in eqn.invars:
            if type(v) is Var and v not in unknown and v not in const_env and v not in seen:
                seen.add(v)
                residuals.append(v)
    for v in tangent_out_atoms:
        if type(v) is Var and v not in unknown and v not in const_env and v not in seen:
            seen.add(v)
            residuals.append(v)
    t = _Template()
    t.multiple_results = multi
    t.fwd = _Program(known_eqns, primal_vars, list(primal_out_atoms) + residuals, const_env)
    t.n_primal_out = n_out
    t.n_res = len(residuals)
    t.out_avals = [v.aval for v in primal_out_atoms]
    t.tangent_out = t_present
    # the common case: one output with a tangent; its tape entry keeps the
    # forward program's whole result list (output first, then residuals)
    t.single = (not multi) and t_present == [True]
    # the linear jaxpr: residuals and constants are its constvars
    lin_consts_vars = [v for v in jaxpr.constvars
                       if any(v in e.invars for e in lin_eqns) or v in tangent_out_atoms]
    t.lin_jaxpr = core.Jaxpr(residuals + lin_consts_vars, tangent_vars, tangent_out_atoms,
                             lin_eqns)
    t.lin_consts = [const_env[v] for v in lin_consts_vars]
    t.nz_in = nz
    t.forward_input = None
    lj = t.lin_jaxpr
    if t.single and not lj.eqns and len(lj.outvars) == 1 and lj.outvars[0] in lj.invars:
        src = lj.invars.index(lj.outvars[0])
        if lj.invars[src].aval.shape == t.out_avals[0].shape and \
                lj.invars[src].aval.dtype == t.out_avals[0].to_tangent_aval().dtype:
            t.forward_input = src
    a0 = t.out_avals[0] if t.out_avals else None
    t.out_key = (a0.shape, a0.dtype, a0.weak_type, True) if a0 is not None else None
    t.ct_avals = [a.to_tangent_aval() for a, p in zip(t.out_avals, t_present) if p]
    # the transpose is built on first use (so linearize alone never needs
    # transpose rules: e.g. linearize of a while_loop works, its grad errors)
    t.residuals = residuals
    t.bwd = None
    t.bwd_fn = None
    t.bwd_all = False
    return t


def _build_backward(t):
    """Transpose ``t``'s linear part once, symbolically, and compile it."""
    st = core.push_trace(pe.StagingTrace)
    try:
        r_tr = [st.new_arg(v.aval) for v in t.residuals]
        c_tr = [st.new_arg(a) for a in t.ct_avals]
        cts_in = ad.backward_pass(t.lin_jaxpr, r_tr + t.lin_consts, c_tr)
        bjaxpr, bconsts = st.to_jaxpr(r_tr + c_tr, [
            ad.zeros_like_aval(c.aval) if type(c) is ad.Zero else c for c in cts_in])
        t_none = [type(c) is ad.Zero for c in cts_in]
    finally:
        core.pop_trace(st)
    # single-output templates keep the forward result list (output first) on
    # the tape; their backward program takes it whole, ignoring the output
    in_vars = ([Var(t.out_avals[0])] if t.single else []) + bjaxpr.invars
    prog = _Program(bjaxpr.eqns, in_vars, bjaxpr.outvars,
                    dict(zip(bjaxpr.constvars, bconsts)))
    t.bwd = (prog, t_none)
    t.bwd_all = not any(t_none)
    t.bwd_fn = prog.fn


def _template(prim, key, in_avals, params, nz):
    t = _CACHE.get(key)
    if t is None:
        t = _build_template(prim, in_avals, params, nz)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = t
    return t


# --------------------------------------------------------------------------
# The tape trace


class TapeTracer(Tracer):
    """A value computed from the differentiated inputs: its NumPy value and
    the tape node holding its tangent."""

    __slots__ = ("val", "_aval", "node", "key")

    def __init__(self, trace, val, aval, node, key=None):
        self._trace = trace
        self.val = val
        self._aval = aval
        self.node = node
        self.key = key if key is not None else (aval.shape, aval.dtype, aval.weak_type, True)

    @property
    def aval(self):
        return self._aval

    def to_concrete_value(self):
        return self.val


class TapeTrace(core.Trace):
    def __init__(self, level):
        super().__init__(level)
        self.tape = []          # entries: (template, residuals, in_nodes, out_nodes)
        self.n_nodes = 0

    def new_input(self, val, aval):
        node = self.n_nodes
        self.n_nodes += 1
        return TapeTracer(self, val, aval, node)

    def pure(self, val):
        raise AssertionError("TapeTrace.pure is not used")

    def process(self, prim, args, params):
        if len(args) == 2 and not params:
            a, b = args
            ta, tb = type(a), type(b)
            if ta is TapeTracer and a._trace is self:
                if tb is Array:
                    v = b._value
                    tmpl = _CACHE.get((prim, *a.key, v.shape, v.dtype, b.weak_type, False))
                    if tmpl is not None and tmpl.single:
                        res = tmpl.fwd.fn(a.val, v)
                        if tmpl.forward_input is not None:
                            return TapeTracer(self, res[0], tmpl.out_avals[0], a.node, tmpl.out_key)
                        node = self.n_nodes
                        self.n_nodes = node + 1
                        self.tape.append((tmpl, res, [a.node], node))
                        return TapeTracer(self, res[0], tmpl.out_avals[0], node, tmpl.out_key)
                elif tb is TapeTracer and b._trace is self:
                    tmpl = _CACHE.get((prim, *a.key, *b.key))
                    if tmpl is not None and tmpl.single:
                        return self._emit(tmpl, tmpl.fwd.fn(a.val, b.val), [a.node, b.node])
            elif ta is Array and tb is TapeTracer and b._trace is self:
                v = a._value
                tmpl = _CACHE.get((prim, v.shape, v.dtype, a.weak_type, False, *b.key))
                if tmpl is not None and tmpl.single:
                    return self._emit(tmpl, tmpl.fwd.fn(v, b.val), [b.node])
        elif len(args) == 1 and not params:
            a = args[0]
            if type(a) is TapeTracer and a._trace is self:
                tmpl = _CACHE.get((prim, *a.key))
                if tmpl is not None and tmpl.single:
                    res = tmpl.fwd.fn(a.val)
                    if tmpl.forward_input is not None:
                        return TapeTracer(self, res[0], tmpl.out_avals[0], a.node, tmpl.out_key)
                    node = self.n_nodes
                    self.n_nodes = node + 1
                    self.tape.append((tmpl, res, [a.node], node))
                    return TapeTracer(self, res[0], tmpl.out_avals[0], node, tmpl.out_key)
        return self._process_general(prim, args, params)

    def _emit(self, tmpl, res, nodes):
        fi = tmpl.forward_input
        if fi is not None:
            # the tangent map is the identity on one input (e.g. x + c): the
            # output shares that input's tape node and needs no tape entry
            return TapeTracer(self, res[0], tmpl.out_avals[0], nodes[fi], tmpl.out_key)
        node = self.n_nodes
        self.n_nodes = node + 1
        self.tape.append((tmpl, res, nodes, node))
        return TapeTracer(self, res[0], tmpl.out_avals[0], node, tmpl.out_key)

    def _process_general(self, prim, args, params):
        vals = []
        nodes = []
        key = [prim]
        for a in args:
            if type(a) is TapeTracer and a._trace is self:
                vals.append(a.val)
                nodes.append(a.node)
                key += a.key
            else:
                if type(a) is Array:
                    v = a._value
                    weak = a.weak_type
                elif isinstance(a, Tracer):
                    raise core.UnexpectedTracerError(core._escaped_message(a))
                else:
                    v = core._canonical_value(a)
                    weak = dtypes.is_weakly_typed(a)
                vals.append(v)
                key += (v.shape, v.dtype, weak, False)
        cacheable = True
        if params:
            pk = tuple(params.items())
            try:
                hash(pk)
            except TypeError:
                cacheable = False  # unhashable params: build the template, don't cache it
            key.append(pk)
        key = tuple(key)
        tmpl = _CACHE.get(key) if cacheable else None
        if tmpl is None:
            if not nodes:
                return prim.bind(*[Array(v, w) for v, w in zip(vals, key[3::4])], **params)
            n = len(args)
            avals = [ShapedArray(key[i], key[i + 1], key[i + 2]) for i in range(1, 4 * n, 4)]
            if cacheable:
                tmpl = _template(prim, key, avals, params, key[4::4][:n])
            else:
                tmpl = _build_template(prim, avals, params, key[4::4][:n])
        res = tmpl.fwd.fn(*vals)
        if tmpl.single:
            return self._emit(tmpl, res, nodes)
        n_out = tmpl.n_primal_out
        outs = res[:n_out]
        residuals = res[n_out:]
        out_nodes = []
        results = []
        for o, a, has_t in zip(outs, tmpl.out_avals, tmpl.tangent_out):
            if has_t:
                node = self.n_nodes
                self.n_nodes += 1
                out_nodes.append(node)
                results.append(TapeTracer(self, o, a, node))
            else:
                results.append(Array(o, a.weak_type))
        if out_nodes:
            self.tape.append((tmpl, residuals, nodes, out_nodes))
        return results if prim.multiple_results else results[0]


# --------------------------------------------------------------------------
# Linearize on the tape


def can_use(primals):
    if core._state.stack:
        return False
    for p in primals:
        if type(p) is not Array:
            return False
    return True


class TapeLinearizeResult:
    """What ``ad.linearize_flat`` returns, backed by a tape.  ``backward``
    runs the compiled transposes; ``jaxpr``/``consts`` splice the linear map
    into a jaxpr when one is needed."""

    def __init__(self, tape, in_nodes, out_nodes, out_primals, in_avals, out_avals, aux):
        self.tape = tape
        self.in_nodes = in_nodes
        self.out_nodes = out_nodes
        self.out_primals = out_primals
        self.in_avals = in_avals
        self.out_avals = out_avals
        self.aux = aux
        self._jaxpr = None

    # --- fast reverse pass on concrete cotangents
    def backward(self, cts_out):
        for c in cts_out:
            if c is not None and type(c) is not ad.Zero and type(c) is not Array:
                return ad.backward_pass(self.jaxpr, self.consts, cts_out)
        env = {}
        for node, c in zip(self.out_nodes, cts_out):
            if node is None or c is None or type(c) is ad.Zero:
                continue
            v = c._value
            prev = env.get(node)
            env[node] = v if prev is None else prev + v
        tape = self.tape
        pop = env.pop
        get = env.get
        for i in range(len(tape) - 1, -1, -1):
            tmpl, residuals, in_nodes, out_nodes = tape[i]
            if tmpl.bwd_fn is None:
                _build_backward(tmpl)
            if tmpl.single:
                ct = pop(out_nodes, None)
                if ct is None:
                    continue
                outs = tmpl.bwd_fn(*residuals, ct)
            else:
                cts = [pop(n, None) for n in out_nodes]
                if all(c is None for c in cts):
                    continue
                if any(c is None for c in cts):
                    cts = [np.zeros(a.shape, a.dtype) if c is None else c
                           for c, a in zip(cts, tmpl.ct_avals)]
                outs = tmpl.bwd_fn(*residuals, *cts)
            if tmpl.bwd_all:
                for n, c in zip(in_nodes, outs):
                    prev = get(n)
                    env[n] = c if prev is None else prev + c
            else:
                for n, c, z in zip(in_nodes, outs, tmpl.bwd[1]):
                    if z:
                        continue
                    prev = get(n)
                    env[n] = c if prev is None else prev + c
        result = []
        for n, a in zip(self.in_nodes, self.in_avals):
            c = env.get(n) if n is not None else None
            if c is None:
                result.append(ad.Zero(a))
            else:
                if np.shape(c) != a.shape:
                    c = np.broadcast_to(c, a.shape)
                result.append(Array(np.asarray(c, a.dtype) if c.dtype != a.dtype else c, a.weak_type))
        return result

    # --- the linear map as a jaxpr (built on demand)
    def _build(self):
        node_var = {}
        invars = []
        for n, a in zip(self.in_nodes, self.in_avals):
            v = Var(a)
            invars.append(v)
            if n is not None:
                node_var[n] = v
        eqns, constvars, consts = [], [], []
        for tmpl, residuals, in_nodes, out_nodes in self.tape:
            if tmpl.single:
                residuals = residuals[1:]
                out_nodes = [out_nodes]
            lj = tmpl.lin_jaxpr
            sub = {}
            for v, r in zip(lj.constvars, list(residuals) + list(tmpl.lin_consts)):
                nv = Var(v.aval)
                constvars.append(nv)
                consts.append(r if isinstance(r, Array) else Array(r, v.aval.weak_type))
                sub[v] = nv
            for v, n in zip(lj.invars, in_nodes):
                sub[v] = node_var[n]
            for e in lj.eqns:
                outs = []
                for v in e.outvars:
                    nv = Var(v.aval)
                    sub[v] = nv
                    outs.append(nv)
                eqns.append(JaxprEqn(e.primitive, [v if type(v) is Literal else sub[v]
                                                   for v in e.invars], e.params, outs))
            for v, n in zip(lj.outvars, out_nodes):
                if type(v) is Literal:
                    nv = Var(v.aval)
                    constvars.append(nv)
                    consts.append(v.val if isinstance(v.val, Array) else Array(np.asarray(v.val)))
                    node_var[n] = nv
                else:
                    node_var[n] = sub[v]
        outvars = []
        for n, a in zip(self.out_nodes, self.out_avals):
            if n is None:
                outvars.append(Literal(ad.zeros_like_aval(a), a) if a.shape == () else None)
                if outvars[-1] is None:
                    nv = Var(a)
                    constvars.append(nv)
                    consts.append(ad.zeros_like_aval(a))
                    outvars[-1] = nv
            else:
                outvars.append(node_var[n])
        eqns = pe.dce_eqns(eqns, outvars)
        live = {v for e in eqns for v in e.invars if type(v) is Var} | {
            v for v in outvars if type(v) is Var}
        kept = [(v, c) for v, c in zip(constvars, consts) if v in live]
        self._jaxpr = (core.Jaxpr([v for v, _ in kept], invars, outvars, eqns),
                       [c for _, c in kept])

    @property
    def jaxpr(self):
        if self._jaxpr is None:
            self._build()
        return self._jaxpr[0]

    @property
    def consts(self):
        if self._jaxpr is None:
            self._build()
        return self._jaxpr[1]


def linearize_on_tape(fun, primals, has_aux):
    in_avals = [p.aval for p in primals]
    trace = core.push_trace(TapeTrace)
    try:
        ins = []
        in_nodes = []
        for p, a in zip(primals, in_avals):
            if a.dtype.kind in "fc":
                t = trace.new_input(p._value, a)
                ins.append(t)
                in_nodes.append(t.node)
            else:
                ins.append(p)
                in_nodes.append(None)
        res = fun(*ins)
        outs, aux = res if has_aux else (res, None)
        out_p, out_nodes = [], []
        for o in outs:
            if type(o) is TapeTracer and o._trace is trace:
                out_p.append(Array(o.val, o._aval.weak_type))
                out_nodes.append(o.node)
            else:
                out_p.append(o)
                out_nodes.append(None)
        if has_aux:
            from ..tree_util import tree_map
            aux = tree_map(lambda x: Array(x.val, x._aval.weak_type)
                           if type(x) is TapeTracer and x._trace is trace else x, aux)
    finally:
        core.pop_trace(trace)
    tangent_in_avals = [a.to_tangent_aval() for a in in_avals]
    out_avals = [core.get_aval(p).to_tangent_aval() for p in out_p]
    return TapeLinearizeResult(trace.tape, in_nodes, out_nodes, out_p, tangent_in_avals,
                               out_avals, aux)

