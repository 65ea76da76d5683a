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

from .. import core, dtypes, errors
from ..core import Array, JaxprEqn, Literal, ShapedArray, Tracer, Var
from . import ad, batching
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
                 "out_key", "bwd_fn", "bwd_all", "forward_input", "residuals", "fwd_cj", "bwd_cj",
                 "lifted", "tape_key")


def _trace_jvp_rule(prim, in_avals, params, nz):
    """``prim``'s JVP rule staged on abstract values: a jaxpr from (primals,
    the tangents flagged in ``nz``) to (primal outs, the tangent outs that
    are not symbolic zeros), its consts, the number of primal outs and which
    outs have tangents."""
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
    return jaxpr, consts, len(outs), t_present


def _build_template(prim, in_avals, params, nz):
    """Derive the template of ``prim`` from its JVP and transpose rules."""
    jaxpr, consts, n_out, t_present = _trace_jvp_rule(prim, in_avals, params, nz)
    multi = prim.multiple_results
    n_p = len(in_avals)
    primal_vars = jaxpr.invars[:n_p]
    tangent_vars = jaxpr.invars[n_p:]
    const_env = dict(zip(jaxpr.constvars, consts))
    # partial evaluation: an equation is unknown if it reads an unknown value
    known_eqns, lin_eqns, unknown = pe.partition_eqns(jaxpr.eqns, tangent_vars)
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
    fwd_out = list(primal_out_atoms) + residuals
    t.fwd = _Program(known_eqns, primal_vars, fwd_out, const_env)
    # the forward program as a jaxpr: its JVP runs the template under an
    # outer jvp (see LiftTrace below)
    used = {v for e in known_eqns for v in e.invars if type(v) is Var}
    used.update(v for v in fwd_out if type(v) is Var)
    cvars = [v for v in jaxpr.constvars if v in used]
    t.fwd_cj = core.ClosedJaxpr(core.Jaxpr(cvars, primal_vars, fwd_out, known_eqns),
                                [const_env[v] for v in cvars])
    t.lifted = None
    t.tape_key = None       # the output's _TypeKey, set by the tape on first use
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
    t.bwd_cj = core.ClosedJaxpr(core.Jaxpr(bjaxpr.constvars, in_vars, bjaxpr.outvars,
                                           bjaxpr.eqns), bconsts)
    t.bwd = (prog, t_none)
    t.bwd_all = not any(t_none)
    t.bwd_fn = prog.fn


# A JVP rule that branches on primal values (a custom_jvp rule with a Python
# ``if x > 0``: JAX allows it outside jit) can't be staged on abstract
# values; such applications are linearized one by one with their concrete
# values (see _Instance).
_NEEDS_VALUES = (errors.ConcretizationTypeError, errors.TracerIntegerConversionError,
                 errors.TracerArrayConversionError, errors.NonConcreteBooleanIndexError)
_NO_TEMPLATE = object()     # cached for signatures whose rule needs values


def _template(prim, key, in_avals, params, nz, cacheable=True):
    """The cached template, or None when the rule needs concrete values."""
    t = _CACHE.get(key) if cacheable else None
    if t is None:
        try:
            t = _build_template(prim, in_avals, params, nz)
        except _NEEDS_VALUES:
            t = _NO_TEMPLATE
        if cacheable:
            if len(_CACHE) >= _CACHE_LIMIT:
                _CACHE.clear()
            _CACHE[key] = t
    return None if t is _NO_TEMPLATE else t


def _finish_key(key, params):
    """The cache key (a list so far: primitive, then per operand shape,
    dtype, weak type, has-tangent) completed with ``params``, and whether it
    can be cached (unhashable params: build each time)."""
    if params:
        pk = tuple(params.items())
        try:
            hash(pk)
        except TypeError:
            return tuple(key), False
        key.append(pk)
    return tuple(key), True


def _template_for(prim, key, params, n, cacheable):
    """:func:`_template` for a key made by :func:`_finish_key` (``n``
    operands): the template, or None when the rule needs values."""
    t = _CACHE.get(key) if cacheable else None
    if t is not None:
        return None if t is _NO_TEMPLATE else t
    avals = [ShapedArray(key[i], key[i + 1], key[i + 2]) for i in range(1, 4 * n, 4)]
    return _template(prim, key, avals, params, key[4::4][:n], cacheable)


def _linearize_one(prim, base, node_pos, params):
    """The generic linearization of one application of ``prim`` to ``base``
    with respect to the arguments at ``node_pos`` (concrete values, so the
    JVP rule may branch on them)."""
    def f(*xs):
        full = list(base)
        for i, x in zip(node_pos, xs):
            full[i] = x
        out = prim.bind(*full, **params)
        return list(out) if prim.multiple_results else [out]
    return ad.linearize_flat(f, [base[i] for i in node_pos], use_tape=False)


class _Instance:
    """Stands in for a template on the tape for one application whose JVP
    rule needs concrete values: its own linear jaxpr and residuals (from
    :func:`_linearize_one`), transposed by the generic backward pass."""

    single = False
    bwd_all = True

    def __init__(self, lin, out_avals):
        j = lin.jaxpr
        self.lin = lin
        self.has_t = [a.dtype.kind in "fc" for a in out_avals]
        self.ct_avals = [a.to_tangent_aval() for a, h in zip(out_avals, self.has_t) if h]
        self.lin_jaxpr = core.Jaxpr(j.constvars, j.invars,
                                    [v for v, h in zip(j.outvars, self.has_t) if h], j.eqns)
        self.lin_consts = lin.consts
        self.bwd = (None, [False] * len(j.invars))

    def full_cts(self, cts):
        it = iter(cts)
        return [next(it) if h else None for h in self.has_t]

    def bwd_fn(self, *cts):
        res = ad.backward_pass(self.lin.jaxpr, self.lin.consts,
                               self.full_cts([Array(c) for c in cts]))
        return [np.zeros(v.aval.shape, v.aval.dtype) if type(r) is ad.Zero else r._value
                for r, v in zip(res, self.lin.jaxpr.invars)]


# --------------------------------------------------------------------------
# The tape trace


class _TypeKey:
    """The type of a tape value -- ``tup`` = (shape, dtype, weak_type, True)
    -- interned by ``_type_key``: equal types share one object, which hashes
    and compares by identity.  The fast path's cache key is then a short
    tuple of such objects rather than a long tuple of shapes and dtypes
    (whose hashing, per primitive application, was a good part of the
    tape's overhead on scalar code)."""

    __slots__ = ("tup",)

    def __init__(self, tup):
        self.tup = tup

    def __repr__(self):
        return f"_TypeKey{self.tup}"


_TYPE_KEYS = {}


def _type_key(aval):
    tup = (aval.shape, aval.dtype, aval.weak_type, True)
    k = _TYPE_KEYS.get(tup)
    if k is None:
        if len(_TYPE_KEYS) >= _CACHE_LIMIT:
            # values holding the old objects stay correct: their fast-path
            # keys merely miss, and the general path finds their templates
            _TYPE_KEYS.clear()
        k = _TYPE_KEYS[tup] = _TypeKey(tup)
    return k


# The tape's fast path: templates of single-output primitives with one or
# two operands and no params (elementwise arithmetic, the bulk of scalar
# programs), keyed by (prim, operand keys), where a tracer's key is its
# _TypeKey and a concrete Array's is spelled out as (shape, dtype, weak_type).
# Filled by TapeTrace._process_general, cleared with _CACHE.
_FAST = {}
core.on_rule_change(_FAST.clear)


class TapeTracer(Tracer):
    """A value computed from the differentiated inputs: its NumPy value and
    the tape node holding its tangent.  ``key`` is the interned _TypeKey of
    its aval; ``aval`` is a plain slot (not Tracer's property), since
    ``x.dtype``/``x.shape`` in the jnp wrappers read it on every operation."""

    __slots__ = ("val", "aval", "node", "key")

    def __init__(self, trace, val, aval, node, key):
        self._trace = trace
        self.val = val
        self.aval = aval
        self.node = node
        self.key = key

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
        return TapeTracer(self, val, aval, node, _type_key(aval))

    def pure(self, val):
        raise AssertionError("TapeTrace.pure is not used")

    def process(self, prim, args, params):
        # Fast path (see _FAST): one or two operands, no params, each a
        # tracer of this trace or a concrete Array, with a single-output
        # template already made.  Anything else, or a miss, takes the
        # general path, which fills _FAST under ``fast_key``.
        fast_key = tmpl = None
        if not params:
            n = len(args)
            if n == 1:
                a = args[0]
                if type(a) is TapeTracer and a._trace is self:
                    fast_key = (prim, a.key)
                    tmpl = _FAST.get(fast_key)
                    if tmpl is not None:
                        res = tmpl.fwd.fn(a.val)
                        nodes = (a.node,)
            elif n == 2:
                a, b = args
                ta, tb = type(a), type(b)
                if ta is TapeTracer and a._trace is self:
                    if tb is TapeTracer and b._trace is self:
                        fast_key = (prim, a.key, b.key)
                        tmpl = _FAST.get(fast_key)
                        if tmpl is not None:
                            res = tmpl.fwd.fn(a.val, b.val)
                            nodes = (a.node, b.node)
                    elif tb is Array:
                        v = b._value
                        fast_key = (prim, a.key, v.shape, v.dtype, b.weak_type)
                        tmpl = _FAST.get(fast_key)
                        if tmpl is not None:
                            res = tmpl.fwd.fn(a.val, v)
                            nodes = (a.node,)
                elif ta is Array and tb is TapeTracer and b._trace is self:
                    v = a._value
                    fast_key = (prim, v.shape, v.dtype, a.weak_type, b.key)
                    tmpl = _FAST.get(fast_key)
                    if tmpl is not None:
                        res = tmpl.fwd.fn(v, b.val)
                        nodes = (b.node,)
        if tmpl is None:
            return self._process_general(prim, args, params, fast_key)
        # (self._emit, inlined: a call costs ~5% of a scalar primitive here)
        fi = tmpl.forward_input
        if fi is not None:
            return TapeTracer(self, res[0], tmpl.out_avals[0], nodes[fi], tmpl.tape_key)
        node = self.n_nodes
        self.n_nodes = node + 1
        self.tape.append((tmpl, res, nodes, node))
        return TapeTracer(self, res[0], tmpl.out_avals[0], node, tmpl.tape_key)

    def _emit(self, tmpl, res, nodes):
        """The output of single-output ``tmpl`` given its forward program's
        result list ``res`` (kept whole on the tape: output, then residuals)."""
        fi = tmpl.forward_input
        if fi is not None:
            # the tangent map is the identity on one input (e.g. x + c): the
            # output shares that input's tape node and needs no tape entry
            return TapeTracer(self, res[0], tmpl.out_avals[0], nodes[fi], tmpl.tape_key)
        node = self.n_nodes
        self.n_nodes = node + 1
        self.tape.append((tmpl, res, nodes, node))
        return TapeTracer(self, res[0], tmpl.out_avals[0], node, tmpl.tape_key)

    def _process_general(self, prim, args, params, fast_key=None):
        vals = []
        nodes = []
        key = [prim]
        for a in args:
            if type(a) is TapeTracer and a._trace is self:
                vals.append(a.val)
                nodes.append(a.node)
                key += a.key.tup
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
        key, cacheable = _finish_key(key, params)
        if not nodes:
            return prim.bind(*[Array(v, w) for v, w in zip(vals, key[3::4])], **params)
        tmpl = _template_for(prim, key, params, len(args), cacheable)
        if tmpl is None:
            return self._process_instance(prim, args, params)
        res = tmpl.fwd.fn(*vals)
        if tmpl.single:
            if tmpl.tape_key is None:
                tmpl.tape_key = _type_key(tmpl.out_avals[0])
            if fast_key is not None:
                if len(_FAST) >= _CACHE_LIMIT:
                    _FAST.clear()
                _FAST[fast_key] = tmpl
            return self._emit(tmpl, res, tuple(nodes))
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
                results.append(TapeTracer(self, o, a, node, _type_key(a)))
            else:
                results.append(Array(o, a.weak_type))
        if out_nodes:
            self.tape.append((tmpl, residuals, nodes, out_nodes))
        return results if prim.multiple_results else results[0]


    def _process_instance(self, prim, args, params):
        node_pos = [i for i, a in enumerate(args) if type(a) is TapeTracer and a._trace is self]
        base = list(args)
        for i in node_pos:
            base[i] = Array(args[i].val, args[i].aval.weak_type)
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
                results.append(TapeTracer(self, o._value, a, node, _type_key(a)))
            else:
                results.append(o)
        if out_nodes:
            self.tape.append((inst, (), [args[i].node for i in node_pos], out_nodes))
        return results if prim.multiple_results else results[0]


# --------------------------------------------------------------------------
# Linearize on the tape


# set False by jax_debug_nans: the generic path binds (and so checks) every primitive
ENABLED = True


def can_use(primals):
    if not ENABLED or core._state.stack:
        return False
    for p in primals:
        if type(p) is not Array:
            return False
    return True


def _accumulate_batched(env, bat, n, c, b):
    prev = env.get(n)
    if prev is None:
        env[n] = c
        bat[n] = b
    else:
        env[n] = prev + c      # batch dims lead: an unbatched value broadcasts
        bat[n] = b or bat[n]


def _batched_backward_fn(tmpl, size, in_dims, axis_name):
    cache = tmpl.lifted
    if cache is None:
        cache = tmpl.lifted = {}
    key = ("batch", size, in_dims, axis_name)
    fn = cache.get(key)
    if fn is None:
        from .jaxpr_transforms import batch_jaxpr
        cj = tmpl.bwd_cj
        bj = batch_jaxpr(cj, size, list(in_dims), [0] * len(cj.jaxpr.outvars), axis_name)
        j = bj.jaxpr
        fn = cache[key] = _Program(j.eqns, j.invars, j.outvars,
                                   dict(zip(j.constvars, bj.consts))).fn
    return fn


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
                out = self._batched_backward(cts_out)
                if out is None:
                    out = ad.backward_pass(self.jaxpr, self.consts, cts_out)
                return out
        env = {}
        for node, c in zip(self.out_nodes, cts_out):
            if node is None or c is None or type(c) is ad.Zero:
                continue
            v = c._value
            prev = env.get(node)
            env[node] = v if prev is None else prev + v
        pop = env.pop
        get = env.get
        for tmpl, residuals, in_nodes, out_nodes in reversed(self.tape):
            bwd = tmpl.bwd_fn
            if bwd is None:
                _build_backward(tmpl)
                bwd = tmpl.bwd_fn
            if tmpl.single:
                ct = pop(out_nodes, None)
                if ct is None:
                    continue
                outs = bwd(*residuals, ct)
            else:
                cts = [pop(n, None) for n in out_nodes]
                if all(c is None for c in cts):
                    continue
                if any(c is None for c in cts):
                    cts = [np.zeros(a.shape, a.dtype) if c is None else c
                           for c, a in zip(cts, tmpl.ct_avals)]
                outs = bwd(*residuals, *cts)
            if tmpl.bwd_all:
                if len(in_nodes) == 1:
                    # one differentiated input (x * c, sin x: most entries of
                    # scalar code): the loop below without its zip, ~15% of
                    # a scalar pullback
                    n = in_nodes[0]
                    prev = get(n)
                    env[n] = outs[0] if prev is None else prev + outs[0]
                else:
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

    # --- vmap of the pullback: batched cotangents, compiled batched transposes
    def _batched_backward(self, cts_out):
        """The reverse pass when the cotangents are batched by the innermost
        vmap (``vmap(pullback)``, ``jacrev``): each template's backward
        program is replaced by its batched version (derived once per pattern
        of batched inputs and batch size, compiled).  None if not applicable."""
        stack = core._state.stack
        if not ENABLED or not stack or type(stack[-1]) is not batching.BatchTrace:
            return None
        B = stack[-1]
        if any(type(e[0]) is _Instance for e in self.tape):
            return None             # (the spliced jaxpr handles those)
        size = B.axis_size
        env, bat = {}, {}
        for node, c in zip(self.out_nodes, cts_out):
            if node is None or c is None or type(c) is ad.Zero:
                continue
            tc = type(c)
            if tc is Array:
                _accumulate_batched(env, bat, node, c._value, False)
            elif tc is batching.BatchTracer and c._trace is B and type(c.val) is Array:
                d = c.batch_dim
                v = c.val._value
                if d:
                    v = np.moveaxis(v, d, 0)
                _accumulate_batched(env, bat, node, v, d is not None)
            else:
                return None
        tape = self.tape
        for i in range(len(tape) - 1, -1, -1):
            tmpl, residuals, in_nodes, out_nodes = tape[i]
            if tmpl.bwd_fn is None:
                _build_backward(tmpl)
            if tmpl.single:
                if out_nodes not in env:
                    continue
                cts = [env.pop(out_nodes)]
                cb = [bat.pop(out_nodes)]
            else:
                cts = [env.pop(n, None) for n in out_nodes]
                if all(c is None for c in cts):
                    continue
                cb = [bat.pop(n, False) for n in out_nodes]
                cts = [np.zeros(a.shape, a.dtype) if c is None else c
                       for c, a in zip(cts, tmpl.ct_avals)]
            if True in cb:
                fn = _batched_backward_fn(tmpl, size, (None,) * len(residuals) + tuple(
                    0 if b else None for b in cb), B.axis_name)
                outs = fn(*residuals, *cts)
                ob = True
            else:
                outs = tmpl.bwd_fn(*residuals, *cts)
                ob = False
            for n, c, z in zip(in_nodes, outs, tmpl.bwd[1]):
                if not z:
                    _accumulate_batched(env, bat, n, c, ob)
        result = []
        for n, a in zip(self.in_nodes, self.in_avals):
            c = env.get(n) if n is not None else None
            if c is None:
                result.append(ad.Zero(a))
                continue
            b = bat[n]
            shape = (size,) + a.shape if b else a.shape
            if np.shape(c) != shape:
                c = np.broadcast_to(c, shape)
            if c.dtype != a.dtype:
                c = np.asarray(c, a.dtype)
            c = Array(c, a.weak_type)
            result.append(batching.BatchTracer(B, c, 0) if b else c)
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
        for i, (tmpl, residuals, in_nodes, out_nodes) in enumerate(self.tape):
            first = 0
            if tmpl.single:
                first = 1
                out_nodes = [out_nodes]
            lj = tmpl.lin_jaxpr
            sub = {}
            n_res = len(residuals) - first
            for k, (v, r) in enumerate(zip(lj.constvars, list(residuals[first:]) +
                                           list(tmpl.lin_consts))):
                nv = Var(v.aval)
                constvars.append(nv)
                if k < n_res:
                    consts.append(self._residual(i, first + k, r, v.aval))
                else:
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

    def _residual(self, i, k, r, aval):
        """Residual ``k`` of tape entry ``i`` as a constant of the spliced jaxpr."""
        return r if isinstance(r, Array) else Array(r, aval.weak_type)

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
                out_p.append(Array(o.val, o.aval.weak_type))
                out_nodes.append(o.node)
            else:
                out_p.append(o)
                out_nodes.append(None)
        if has_aux:
            from ..tree_util import tree_map
            aux = tree_map(lambda x: Array(x.val, x.aval.weak_type)
                           if type(x) is TapeTracer and x._trace is trace else x, aux)
    finally:
        core.pop_trace(trace)
    tangent_in_avals = [a.to_tangent_aval() for a in in_avals]
    out_avals = [core.get_aval(p).to_tangent_aval() for p in out_p]
    return TapeLinearizeResult(trace.tape, in_nodes, out_nodes, out_p, tangent_in_avals,
                               out_avals, aux)



# --------------------------------------------------------------------------
# Eager forward mode on templates
#
# Eager ``jvp`` (a JVP trace at the bottom of the stack, concrete values) runs
# each primitive's JVP rule op by op: several dispatches per primitive.  The
# same rule staged once per (primitive, input types, nonzero tangents,
# params) and compiled gives primal and tangent outputs in one call.

_JVP_CACHE = {}
core.on_rule_change(_JVP_CACHE.clear)


class _JvpProgram:
    __slots__ = ("fn", "n_out", "t_present", "out_avals", "t_avals", "multi")


def _jvp_program(prim, key, in_avals, params, nz):
    jaxpr, consts, n_out, t_present = _trace_jvp_rule(prim, in_avals, params, nz)
    j = _JvpProgram()
    j.fn = _Program(jaxpr.eqns, jaxpr.invars, jaxpr.outvars,
                    dict(zip(jaxpr.constvars, consts))).fn
    j.n_out = n_out
    j.t_present = t_present
    j.out_avals = [core.get_aval(v.val) if type(v) is Literal else v.aval
                   for v in jaxpr.outvars]
    j.multi = prim.multiple_results
    if key is not None:
        if len(_JVP_CACHE) >= _CACHE_LIMIT:
            _JVP_CACHE.clear()
        _JVP_CACHE[key] = j
    return j


def jvp_eager(trace, prim, args, params):
    """``prim`` applied by the bottom JVP ``trace`` to concrete values
    through a compiled JVP template; None when not applicable (the caller
    runs the rule itself)."""
    if not ENABLED:
        return None
    vals, tans = [], []
    key = [prim]
    any_t = False
    for a in args:
        ta = type(a)
        if ta is ad.JVPTracer and a._trace is trace:
            p = a.primal
            t = a.tangent
            if type(p) is not Array:
                return None
            v = p._value
            key += (v.shape, v.dtype, p.weak_type)
            if type(t) is Array:
                tans.append(t._value)
                key.append(True)
                any_t = True
            elif type(t) is ad.Zero:
                key.append(False)
            else:
                return None
        elif ta is Array:
            v = a._value
            key += (v.shape, v.dtype, a.weak_type, False)
        elif isinstance(a, Tracer):
            return None            # the generic path reports it
        else:
            v = core._canonical_value(a)
            key += (v.shape, v.dtype, dtypes.is_weakly_typed(a), False)
        vals.append(v)
    if not any_t:
        return None
    key, cacheable = _finish_key(key, params)
    j = _JVP_CACHE.get(key) if cacheable else None
    if j is None:
        n = len(args)
        avals = [ShapedArray(key[i], key[i + 1], key[i + 2]) for i in range(1, 4 * n, 4)]
        try:
            j = _jvp_program(prim, key if cacheable else None, avals, params, key[4::4][:n])
        except _NEEDS_VALUES:
            # the rule branches on primal values: it runs on them (generic path)
            if cacheable:
                _JVP_CACHE[key] = _NO_TEMPLATE
            return None
    elif j is _NO_TEMPLATE:
        return None
    r = j.fn(*vals, *tans)
    n_out = j.n_out
    oa = j.out_avals
    results = []
    k = n_out
    for i, has_t in enumerate(j.t_present):
        o = Array(r[i], oa[i].weak_type)
        if has_t:
            results.append(ad.JVPTracer(trace, o, Array(r[k], oa[k].weak_type)))
            k += 1
        else:
            results.append(o)
    return results if j.multi else results[0]
