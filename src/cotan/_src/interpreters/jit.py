"""jit: the call primitive ``pjit`` and the compiler behind it.

``jit(f)`` traces ``f`` once per abstract signature into a ClosedJaxpr.

* Called on concrete arrays with no transformation active, the jaxpr is
  *compiled*: nested ``pjit`` equations are inlined, the optimisation passes
  below run, and the result becomes straight-line Python source with one call
  of a primitive's NumPy ``impl`` per equation (constants and literals are
  globals of the generated module, params keyword arguments).  A call then
  costs a cache lookup plus the generated function: there is no per-equation
  interpretation.
* Called on tracers (under grad, vmap, another jit, ...), it binds ``pjit_p``
  carrying the jaxpr, so transformations see one primitive; its rules are
  derived from the whole-jaxpr transformations of ``jaxpr_transforms``:
  JVP = partial evaluation of ``jvp_jaxpr`` into a primal pjit (outputs and
  residuals) and a linear pjit (residuals, tangents -> tangents), so that
  linearize/grad stage only the linear part and ``rule_cache`` templates work;
  transpose = ``transpose_jaxpr``; batching = ``batch_jaxpr_auto``.

Scalars take shortcuts that give the same bits as the impls (see
``_codegen``): add/sub/mul/neg of floats are Python operators on NumPy
scalars (0-d inputs are read as scalars once), and float16/32 scalar
transcendentals call the ``math`` module directly, their result rounded by
the operator that reads it or by ``one * d``.

Passes (each a function on a flat ``_Prog``, tested on its own):
``inline`` (nested pjit), ``fold_constants``, ``simplify`` (no-op reshape,
identity transpose, same-type convert, same-shape broadcast_in_dim, x*1, x+0,
0+x, x-0, x/1, neg(neg(x))), ``cse``, ``dce``.
"""
from __future__ import annotations

import itertools
import keyword

import numpy as np

from .. import core
from ..config import config as _config
from ..core import Array, ClosedJaxpr, Jaxpr, JaxprEqn, Literal, ShapedArray, Var
from . import ad, batching
from . import jaxpr_transforms as jt
from . import partial_eval as pe

# --------------------------------------------------------------------------
# the call primitive

pjit_p = core.Primitive("pjit", multiple_results=True)


def _pjit_impl(*args, jaxpr, name):
    if _config.jax_debug_nans:
        return _checked(jaxpr, args)
    return compiled(jaxpr).fn(*args)


def _checked(cj, vals):
    """Evaluate equation by equation through bind, so that jax_debug_nans
    sees (and names) the first primitive that produces a NaN."""
    args = [v if isinstance(v, core.Array) else core.Array(v) for v in vals]
    outs = core.eval_jaxpr(cj.jaxpr, cj.consts, *args)
    return [o._value if type(o) is core.Array else o for o in outs]


def _pjit_abstract(*avals, jaxpr, name):
    return list(jaxpr.out_avals)


pjit_p.def_impl(_pjit_impl)
pjit_p.def_abstract_eval(_pjit_abstract)
pjit_p.weak_type_rule = lambda args, params: [a.weak_type for a in params["jaxpr"].out_avals]


class _Bounded(dict):
    """A dict that forgets everything when it grows past ``limit`` (the keys
    hold the ClosedJaxprs they were made from, so ids stay unique)."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit

    def put(self, key, value):
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


_JVP_CACHE = _Bounded(2048)
_T_CACHE = _Bounded(2048)
_B_CACHE = _Bounded(2048)
for _c in (_JVP_CACHE, _T_CACHE, _B_CACHE):
    core.on_rule_change(_c.clear)


def _jvp_split(cj, nonzeros):
    """Partially evaluate the JVP of ``cj``: returns (known, lin, out_nz, res_src)
    where ``known`` maps primals to (primal outs..., residuals...), ``lin``
    maps (residuals..., nonzero tangents...) to the nonzero output tangents,
    and ``res_src[i]`` is ('in', k) for a residual that is primal input k or
    ('out', j) for the j-th residual output of ``known``."""
    key = (id(cj), nonzeros)
    hit = _JVP_CACHE.get(key)
    if hit is not None:
        return hit[1]
    jj, out_nz = jt.jvp_jaxpr(cj, list(nonzeros), instantiate=False)
    jaxpr = jj.jaxpr
    n = len(cj.in_avals)
    n_out = len(cj.out_avals)
    primal_in, tangent_in = jaxpr.invars[:n], jaxpr.invars[n:]
    known_eqns, lin_eqns, unknown = pe.partition_eqns(jaxpr.eqns, tangent_in)
    p_outs, t_outs = jaxpr.outvars[:n_out], jaxpr.outvars[n_out:]
    for v in p_outs:
        if type(v) is Var and v in unknown:
            raise NotImplementedError("pjit JVP: a primal output depends on tangents")
    constset = set(jaxpr.constvars)
    residuals, seen = [], set()
    for atoms in [e.invars for e in lin_eqns] + [t_outs]:
        for v in atoms:
            if type(v) is Var and v not in unknown and v not in constset and v not in seen:
                seen.add(v)
                residuals.append(v)
    in_index = {v: i for i, v in enumerate(primal_in)}
    res_src, res_outs = [], []
    for v in residuals:
        if v in in_index:
            res_src.append(("in", in_index[v]))
        else:
            res_src.append(("out", len(res_outs)))
            res_outs.append(v)
    k_outs = list(p_outs) + res_outs
    k_eqns = pe.dce_eqns(known_eqns, k_outs)
    known = _close(jaxpr.constvars, jj.consts, primal_in, k_outs, k_eqns)
    res_vars = [Var(v.aval) for v in residuals]
    sub = dict(zip(residuals, res_vars))
    l_eqns = [JaxprEqn(e.primitive, [sub.get(v, v) if type(v) is Var else v for v in e.invars],
                       e.params, e.outvars) for e in lin_eqns]
    l_outs = [sub.get(v, v) if type(v) is Var else v for v in t_outs]
    l_eqns = pe.dce_eqns(l_eqns, l_outs)
    lin = _close(jaxpr.constvars, jj.consts, res_vars + list(tangent_in), l_outs, l_eqns)
    result = (known, lin, out_nz, res_src)
    _JVP_CACHE.put(key, (cj, result))
    return result


def _close(constvars, consts, invars, outvars, eqns):
    used = {v for e in eqns for v in e.invars if type(v) is Var} | {
        v for v in outvars if type(v) is Var}
    cv, cs = [], []
    for v, c in zip(constvars, consts):
        if v in used:
            cv.append(v)
            cs.append(c)
    return ClosedJaxpr(Jaxpr(cv, invars, outvars, eqns), cs)


def _pjit_jvp(primals, tangents, *, jaxpr, name):
    nz = tuple(type(t) is not ad.Zero for t in tangents)
    n_out = len(jaxpr.out_avals)
    if not any(nz):
        outs = pjit_p.bind(*primals, jaxpr=jaxpr, name=name)
        return outs, [ad.Zero(a.to_tangent_aval()) for a in jaxpr.out_avals]
    known, lin, out_nz, res_src = _jvp_split(jaxpr, nz)
    k_outs = pjit_p.bind(*primals, jaxpr=known, name=name)
    outs = list(k_outs[:n_out])
    res = [primals[i] if kind == "in" else k_outs[n_out + i] for kind, i in res_src]
    t_in = [t for t in tangents if type(t) is not ad.Zero]
    t_outs = iter(pjit_p.bind(*res, *t_in, jaxpr=lin, name=f"jvp({name})"))
    touts = [next(t_outs) if z else ad.Zero(a.to_tangent_aval())
             for z, a in zip(out_nz, jaxpr.out_avals)]
    return outs, touts


def _pjit_transpose(cts, *args, jaxpr, name):
    linear = tuple(ad.is_undefined_primal(a) for a in args)
    key = (id(jaxpr), linear)
    hit = _T_CACHE.get(key)
    if hit is None:
        hit = _T_CACHE.put(key, (jaxpr, jt.transpose_jaxpr(jaxpr, list(linear))))
    tj = hit[1]
    res = [a for a, lin in zip(args, linear) if not lin]
    cts = [ad.instantiate_zeros(c) if type(c) is ad.Zero else c for c in cts]
    outs = iter(pjit_p.bind(*res, *cts, jaxpr=tj, name=f"transpose({name})"))
    return [next(outs) if lin else None for lin in linear]


def _pjit_batch(vals, dims, *, trace, jaxpr, name):
    if all(d is None for d in dims):
        # not batched here (a collective inside resolves its axis at run time)
        return pjit_p.bind(*vals, jaxpr=jaxpr, name=name), [None] * len(jaxpr.out_avals)
    size = trace.axis_size
    key = (id(jaxpr), size, tuple(dims), trace.axis_name)
    hit = _B_CACHE.get(key)
    if hit is None:
        hit = _B_CACHE.put(key, (jaxpr, jt.batch_jaxpr_auto(jaxpr, size, list(dims),
                                                            trace.axis_name)))
    bj, out_dims = hit[1]
    return pjit_p.bind(*vals, jaxpr=bj, name=name), list(out_dims)


ad.primitive_jvps[pjit_p] = _pjit_jvp
ad.primitive_transposes[pjit_p] = _pjit_transpose
batching.primitive_batchers[pjit_p] = _pjit_batch
# the rule receives the BatchTrace (axis size and name) and runs for
# unbatched operands too
batching.register_collective(pjit_p)


# --------------------------------------------------------------------------
# the flat program the passes work on


class _Prog:
    """invars, outvars (atoms), eqns, and ``consts``: {Var: numpy value}."""

    __slots__ = ("invars", "outvars", "eqns", "consts")

    def __init__(self, invars, outvars, eqns, consts):
        self.invars = invars
        self.outvars = outvars
        self.eqns = eqns
        self.consts = consts

    def to_jaxpr(self):
        cv = [v for v in self.consts]
        return core.ClosedJaxpr(Jaxpr(cv, self.invars, self.outvars, self.eqns),
                                [Array(self.consts[v], v.aval.weak_type) for v in cv])


def _np_value(c):
    if type(c) is Array:
        return c._value
    if isinstance(c, core.Tracer):
        raise AssertionError("cannot compile a jaxpr whose constants are tracers")
    return np.asarray(c)


def _lit_value(lit):
    v = lit.val
    return v._value if isinstance(v, Array) else np.asarray(v, lit.aval.dtype)


def from_closed(cj):
    """A _Prog with the jaxpr's own variables (no inlining)."""
    j = cj.jaxpr
    return _Prog(list(j.invars), list(j.outvars), list(j.eqns),
                 {v: _np_value(c) for v, c in zip(j.constvars, cj.consts)})


def inline(cj):
    """Flatten ``cj``: every nested pjit equation is replaced by its body
    (with fresh variables), its constants hoisted."""
    consts = {}
    eqns = []
    invars = [Var(v.aval) for v in cj.jaxpr.invars]
    outs = _inline_into(cj, invars, eqns, consts)
    return _Prog(invars, outs, eqns, consts)


def _inline_into(cj, in_atoms, eqns, consts):
    j = cj.jaxpr
    env = {}
    for v, c in zip(j.constvars, cj.consts):
        nv = Var(v.aval)
        consts[nv] = _np_value(c)
        env[v] = nv
    env.update(zip(j.invars, in_atoms))

    def read(v):
        return v if type(v) is Literal else env[v]

    for e in j.eqns:
        ins = [read(v) for v in e.invars]
        if e.primitive is pjit_p:
            outs = _inline_into(e.params["jaxpr"], ins, eqns, consts)
            env.update(zip(e.outvars, outs))
            continue
        outvars = [Var(v.aval) for v in e.outvars]
        env.update(zip(e.outvars, outvars))
        eqns.append(JaxprEqn(e.primitive, ins, e.params, outvars))
    return [read(v) for v in j.outvars]


_EFFECT_NAMES = frozenset({"debug_callback", "debug_print", "breakpoint", "callback",
                           "io_callback", "pure_callback", "print"})


_EFFECTFUL = {}


def _effectful(prim):
    r = _EFFECTFUL.get(prim)
    if r is None:
        r = _EFFECTFUL[prim] = bool(
            getattr(prim, "has_side_effects", False) or getattr(prim, "effectful", False)
            or prim.name in _EFFECT_NAMES)
    return r


def _context_dependent(prim):
    """Primitives whose value depends on the active vmaps (collectives)."""
    if prim in batching._COLLECTIVES:
        return True
    try:
        from ..lax import parallel
    except ImportError:  # pragma: no cover
        return False
    return isinstance(prim, (parallel._Collective, parallel._AxisIndex))


def _substituter(sub):
    def read(v):
        if type(v) is Var:
            while v in sub:
                v = sub[v]
        return v
    return read


def dce(prog):
    """Drop equations whose outputs are not used (effectful ones stay)."""
    live = {v for v in prog.outvars if type(v) is Var}
    kept = []
    eff = _EFFECTFUL
    for e in reversed(prog.eqns):
        outs = e.outvars
        if (len(outs) == 1 and outs[0] in live) or any(v in live for v in outs) or \
                (eff[e.primitive] if e.primitive in eff else _effectful(e.primitive)):
            kept.append(e)
            for v in e.invars:
                if type(v) is Var:
                    live.add(v)
    kept.reverse()
    consts = {v: c for v, c in prog.consts.items() if v in live}
    return _Prog(prog.invars, prog.outvars, kept, consts)


def _scalar_atom(val, aval):
    if val.shape == () and val.dtype.kind in "biufc":
        return Literal(Array(val, aval.weak_type), aval)
    return None


def fold_constants(prog):
    """Evaluate, at compile time, equations whose inputs are all constants."""
    consts = dict(prog.consts)
    sub = {}
    read = _substituter(sub)
    eqns = []
    for e in prog.eqns:
        ins = [read(v) for v in e.invars]
        prim = e.primitive
        if (all(type(v) is Literal or v in consts for v in ins) and not _effectful(prim)
                and not _context_dependent(prim) and prim is not pjit_p):
            vals = [_lit_value(v) if type(v) is Literal else consts[v] for v in ins]
            try:
                out = prim.impl(*vals, **e.params)
            except Exception:
                out = None
            if out is not None:
                outs = list(out) if prim.multiple_results else [out]
                for v, o in zip(e.outvars, outs):
                    o = np.asarray(o, v.aval.dtype) if not isinstance(o, (np.ndarray, np.generic)) \
                        else o
                    lit = _scalar_atom(np.asarray(o), v.aval)
                    if lit is not None:
                        sub[v] = lit
                    else:
                        consts[v] = o
                continue
        eqns.append(JaxprEqn(prim, ins, e.params, e.outvars) if ins != e.invars else e)
    outvars = [read(v) for v in prog.outvars]
    return dce(_Prog(prog.invars, outvars, eqns, consts))


def _const_value(v, consts):
    if type(v) is Literal:
        return _lit_value(v)
    return consts.get(v)


def _is_const(v, consts, value):
    if type(v) is Literal:
        val = v.val._value if type(v.val) is Array else v.val
        if type(val) is not np.ndarray and np.ndim(val) == 0:
            return bool(val == value)
    elif v not in consts:
        return False
    c = _const_value(v, consts)
    if c is None:
        return False
    c = np.asarray(c)
    if c.dtype.kind not in "biufc" or c.size > 4096:
        return False
    return bool(np.all(c == value))


def _same_type(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and a.weak_type == b.weak_type


_NOOP = {
    "reshape": lambda e, a: a.shape == e.outvars[0].aval.shape
    and e.params.get("dimensions") is None,
    "transpose": lambda e, a: tuple(e.params["permutation"]) == tuple(range(a.ndim)),
    "convert_element_type": lambda e, a: np.dtype(e.params["new_dtype"]) == a.dtype
    and bool(e.params.get("weak_type", False)) == a.weak_type,
    "broadcast_in_dim": lambda e, a: tuple(e.params["shape"]) == a.shape,
}


def simplify(prog):
    """No-op structural operations and algebraic identities: an equation
    equal to one of its inputs (same shape, dtype and weak type) is removed."""
    consts = prog.consts
    sub = {}
    read = _substituter(sub)
    producer = {}
    eqns = []
    for e in prog.eqns:
        ins = [read(v) for v in e.invars]
        prim = e.primitive
        name = prim.name
        if not e.outvars or _effectful(prim):
            ne = JaxprEqn(prim, ins, e.params, e.outvars) if ins != e.invars else e
            eqns.append(ne)
            continue
        out = e.outvars[0]
        repl = None
        if len(ins) == 1 and name in _NOOP:
            (x,) = ins
            if _same_type(x.aval, out.aval) and _NOOP[name](e, x.aval):
                repl = x
        elif name == "neg":
            p = producer.get(ins[0])
            if p is not None and p.primitive.name == "neg" and _same_type(p.invars[0].aval, out.aval):
                repl = p.invars[0]
        elif len(ins) == 2 and name in ("mul", "add", "sub", "div"):
            x, y = ins
            if name == "mul":
                if _is_const(y, consts, 1) and _same_type(x.aval, out.aval):
                    repl = x
                elif _is_const(x, consts, 1) and _same_type(y.aval, out.aval):
                    repl = y
            elif name == "add":
                if _is_const(y, consts, 0) and _same_type(x.aval, out.aval):
                    repl = x
                elif _is_const(x, consts, 0) and _same_type(y.aval, out.aval):
                    repl = y
            elif name == "sub":
                if _is_const(y, consts, 0) and _same_type(x.aval, out.aval):
                    repl = x
            elif _is_const(y, consts, 1) and _same_type(x.aval, out.aval):
                repl = x
        if repl is not None and not prim.multiple_results:
            sub[out] = repl
            continue
        ne = JaxprEqn(prim, ins, e.params, e.outvars) if ins != e.invars else e
        for v in e.outvars:
            producer[v] = ne
        eqns.append(ne)
    outvars = [read(v) for v in prog.outvars]
    return dce(_Prog(prog.invars, outvars, eqns, consts))


def _atom_key(v):
    if type(v) is Literal:
        val = np.asarray(_lit_value(v))
        return ("lit", val.dtype.str, v.aval.weak_type, val.tobytes())
    return v


def cse(prog):
    """Common subexpressions: equations with the same primitive, the same
    inputs and equal (hashable) params are computed once."""
    sub = {}
    read = _substituter(sub)
    seen = {}
    eqns = []
    for e in prog.eqns:
        ins = [read(v) for v in e.invars]
        prim = e.primitive
        ne = JaxprEqn(prim, ins, e.params, e.outvars) if ins != e.invars else e
        if not _effectful(prim):
            try:
                key = (prim, tuple(_atom_key(v) for v in ins),
                       tuple(sorted(e.params.items())) if e.params else ())
                hash(key)
            except TypeError:
                key = None
            if key is not None:
                prev = seen.get(key)
                if prev is not None and all(_same_type(a.aval, b.aval)
                                            for a, b in zip(prev.outvars, e.outvars)):
                    for a, b in zip(e.outvars, prev.outvars):
                        sub[a] = b
                    continue
                seen[key] = ne
        eqns.append(ne)
    outvars = [read(v) for v in prog.outvars]
    return dce(_Prog(prog.invars, outvars, eqns, prog.consts))


def optimize(cj):
    prog = inline(cj)
    prog = dce(prog)
    prog = fold_constants(prog)
    for _ in range(2):
        n = len(prog.eqns)
        prog = simplify(prog)
        prog = cse(prog)
        if len(prog.eqns) == n:
            break
    return prog


# --------------------------------------------------------------------------
# code generation


class Executable:
    """A compiled program: ``fn(*numpy_values) -> list of numpy values``."""

    __slots__ = ("fn", "source", "prog", "out_avals", "out_weak", "__weakref__")

    def __init__(self, prog, out_avals):
        self.prog = prog
        self.out_avals = list(out_avals)
        self.out_weak = [a.weak_type for a in out_avals]
        self.source, glb = _codegen(prog)
        exec(compile(self.source, "<cotan jit>", "exec"), glb)
        self.fn = glb["prog"]
        if "_slow" in glb:
            # the fast body is guarded as a whole; the all-impl version (for
            # inputs the math module rejects: inf, nan, overflow) is
            # compiled on first need
            def slow(*args):
                src, g2 = _codegen(prog, guards="slow")
                exec(compile(src, "<cotan jit (slow path)>", "exec"), g2)
                glb["_slow"] = g2["prog"]
                return g2["prog"](*args)
            glb["_slow"] = slow

    def jaxpr_text(self):
        return str(self.prog.to_jaxpr())


_FREE_MIN_SIZE = 4096


def _codegen(prog, guards=None):
    """Python source (and its globals) for ``prog``.  Scalar math calls can
    raise where the impls return inf/nan; ``guards`` says how the impl
    fallback is taken: "each" (a try per call), "whole" (one try around a
    fast body, falling back to the whole program compiled with "slow": only
    for programs without effects, which may not run twice), "slow" (impl
    calls only).  Default: "whole" when allowed."""
    if guards is None:
        guards = "each" if any(_effectful(e.primitive) for e in prog.eqns) else "whole"
    glb = {"_nd": np.ndarray}
    names = {}
    for i, v in enumerate(prog.invars):
        names[v] = f"a{i}"
    counter = itertools.count()

    def glob(val, prefix="c"):
        n = f"{prefix}{next(counter)}"
        glb[n] = val
        return n

    for v, c in prog.consts.items():
        names[v] = glob(c)

    def ref(v):
        if type(v) is Literal:
            return glob(_lit_value(v), "k")
        return names[v]

    eqns = prog.eqns
    # which equations run on Python operators / the math module (see
    # _inline_op and _scalar_math), and how the values they read are used
    ops = [_inline_op(e) for e in eqns]
    smath = [_scalar_math(e) for e in eqns]
    uses = {}
    consumer = {}
    for k, e in enumerate(eqns):
        for v in e.invars:
            if type(v) is Var:
                uses[v] = uses.get(v, 0) + 1
                consumer[v] = k
    for v in prog.outvars:
        if type(v) is Var:
            uses[v] = uses.get(v, 0) + 2
    # scalars read by Python operators are read as NumPy scalars: an
    # operator on a 0-d ndarray goes through the ufunc machinery (~10x
    # slower); inputs and impl results may be 0-d arrays, operator and math
    # results never are
    fast_made = {e.outvars[0] for k, e in enumerate(eqns) if ops[k] or smath[k]}
    need_alias = []
    seen = set()
    for k, e in enumerate(eqns):
        if ops[k] or smath[k]:
            for v in e.invars:
                if type(v) is Var and v.aval.shape == () and v not in fast_made \
                        and v not in seen:
                    seen.add(v)
                    need_alias.append(v)
    snames = {}
    for v in need_alias:
        if v in prog.consts:
            c = prog.consts[v]
            snames[v] = glob(c[()] if type(c) is np.ndarray else c, "k")
    lit_scalars = {}

    def sref(v):
        """``v`` for a Python operator or a math function: a NumPy scalar."""
        if type(v) is Literal:
            val = _lit_value(v)
            if type(val) is np.ndarray and val.shape == ():
                val = val[()]
            key = (type(val), val.dtype.str, val.tobytes()) if isinstance(val, np.generic) \
                else None
            if key is None:
                return glob(val, "k")
            n = lit_scalars.get(key)
            if n is None:
                n = lit_scalars[key] = glob(val, "k")
            return n
        return snames.get(v) or names[v]

    def alias_lines(vs):
        out = []
        for v in vs:
            if v in need_set and v not in snames:
                n = names[v]
                snames[v] = "s" + n
                out.append(f"    s{n} = {n}[()] if type({n}) is _nd else {n}")
        return out

    need_set = set(need_alias)
    math_fns = {}

    # last uses of large intermediates: free them right after (as an
    # expression written by hand would), so that NumPy reuses warm memory
    # instead of faulting in fresh pages for every temporary
    last_use = {}
    outset = {v for v in prog.outvars if type(v) is Var}
    for k, e in enumerate(eqns):
        for v in e.invars:
            if type(v) is Var and v not in prog.consts and v not in outset \
                    and v.aval.size >= _FREE_MIN_SIZE:
                last_use[v] = k
    dead_after = {}
    for v, k in last_use.items():
        dead_after.setdefault(k, []).append(v)

    fnames = {}
    rounders = {}

    def rounded(dt, mexpr):
        """``mexpr`` (a Python float) rounded to ``dt`` as ``dt.type(d)``
        rounds it.  For float32, ``one * d`` does it at a quarter of the
        cost (NumPy converts the weak Python float with the same C cast,
        overflow warning included, and 1 * x is exact for every float32
        incl. NaNs, which are quiet here); float16 arithmetic goes through
        float32 and back, which can change a NaN's payload, so it keeps the
        constructor."""
        r = rounders.get(dt)
        if r is None:
            if dt == np.dtype(np.float32):
                r = glob(dt.type(1), "one_") + " * {}"
            else:
                r = glob(dt.type, "t_") + "({})"
            rounders[dt] = r
        return r.format(mexpr)

    def impl_name(prim):
        fn = fnames.get(prim)
        if fn is None:
            fn = fnames[prim] = glob(prim.impl, "f_" + "".join(
                ch if ch.isalnum() else "_" for ch in prim.name) + "_")
        return fn

    _EXC = "(ValueError, OverflowError, ZeroDivisionError)"
    # math-function results waiting to be fused into their only reader:
    # {var: (expression giving a Python float, fallback expression)}
    pending = {}

    guarded = []

    def emit_guarded(lhs, fast, slow):
        if guards == "each":
            lines.append(f"    try:\n        {lhs} = {fast}\n    except {_EXC}:\n"
                         f"        {lhs} = {slow}")
        elif guards == "whole":
            guarded.append(lhs)
            lines.append(f"    {lhs} = {fast}")
        else:
            lines.append(f"    {lhs} = {slow}")

    def flush():
        for v, (mexpr, fb) in pending.items():
            emit_guarded(names[v], rounded(v.aval.dtype, mexpr), fb)
        pending.clear()

    lines = [f"def prog({', '.join(names[v] for v in prog.invars)}):"]
    lines += alias_lines(prog.invars)
    for k, e in enumerate(eqns):
        dead = dead_after.get(k - 1)
        if dead:
            lines.append(f"    del {', '.join(names[v] for v in dead)}")
        prim = e.primitive
        mf = smath[k]
        if mf is not None:
            # what the impl does for a float16/32 scalar, dtype(math.f(x)),
            # without the call and its checks (see ``rounded``); the impl
            # call stays as the fallback for the math module's errors
            x = e.invars[0]
            out = e.outvars[0]
            names[out] = f"v{k}"
            dt = x.aval.dtype
            mn = math_fns.get(mf)
            if mn is None:
                mn = math_fns[mf] = glob(mf, "m_")
            # (math functions take NumPy scalars as they are: float() is
            # what they call on them)
            mexpr = f"{mn}({sref(x)})"
            fb = f"{impl_name(prim)}({ref(x)})"
            c = consumer.get(out) if uses.get(out) == 1 else None
            if c is not None and ops[c] in _FUSABLE:
                other = [v for v in eqns[c].invars if v is not out]
                if len(other) == 1 and other[0] not in pending:
                    # a binary operator with a NumPy scalar of the same
                    # dtype converts the Python float exactly as dtype(d)
                    # does before operating: fuse, saving the rounding op
                    pending[out] = (mexpr, fb)
                    continue
            emit_guarded(names[out], rounded(dt, mexpr), fb)
            continue
        op = ops[k]
        if op is not None:
            out = e.outvars[0]
            names[out] = f"v{k}"
            if op == "neg":
                lines.append(f"    v{k} = -{sref(e.invars[0])}")
                continue
            a, b = e.invars
            fast = [sref(a), sref(b)]
            slow = list(fast)
            for i, v in enumerate((a, b)):
                if type(v) is Var and v in pending:
                    fast[i], slow[i] = pending.pop(v)
            if fast != slow:
                emit_guarded(f"v{k}", f"{fast[0]} {op} {fast[1]}", f"{slow[0]} {op} {slow[1]}")
            else:
                lines.append(f"    v{k} = {fast[0]} {op} {fast[1]}")
            continue
        if pending and _effectful(prim):
            flush()
        fn = impl_name(prim)
        args = [ref(v) for v in e.invars]
        if e.params:
            if all(isinstance(p, str) and p.isidentifier() and not keyword.iskeyword(p)
                   for p in e.params):
                args += [f"{p}={glob(val, 'p')}" for p, val in e.params.items()]
            else:
                args.append(f"**{glob(dict(e.params), 'p')}")
        outs = []
        for j, v in enumerate(e.outvars):
            names[v] = f"v{k}" if len(e.outvars) == 1 and not prim.multiple_results \
                else f"v{k}_{j}"
            outs.append(names[v])
        call = f"{fn}({', '.join(args)})"
        if not e.outvars:
            lines.append(f"    {call}")
        elif prim.multiple_results:
            lhs = ", ".join(outs) + ("," if len(outs) == 1 else "")
            lines.append(f"    {lhs or '_'} = {call}")
        else:
            lines.append(f"    {outs[0]} = {call}")
        lines += alias_lines(e.outvars)
    flush()
    rets = [ref(v) for v in prog.outvars]
    lines.append(f"    return [{', '.join(rets)}]")
    if guarded:
        args = ", ".join(names[v] for v in prog.invars)
        body = ["    " + ln for ln in "\n".join(lines[1:]).split("\n")]
        lines = [lines[0], "    try:"] + body + [f"    except {_EXC}:",
                                                 f"        return _slow({args})"]
        glb["_slow"] = None
    return "\n".join(lines), glb


import math as _math  # noqa: E402

# unary primitives whose impl computes float16/32 scalars as
# dtype(math.f(float(x))) (lax.elementwise._accurate)
_SCALAR_MATH = {"exp": _math.exp, "log": _math.log, "log1p": _math.log1p,
                "expm1": _math.expm1, "tanh": _math.tanh, "sin": _math.sin,
                "cos": _math.cos, "tan": _math.tan, "asin": _math.asin, "acos": _math.acos,
                "atan": _math.atan, "sinh": _math.sinh, "cosh": _math.cosh,
                "asinh": _math.asinh, "acosh": _math.acosh, "atanh": _math.atanh}

_BINOPS = {"add": "+", "sub": "-", "mul": "*", "add_any": "+"}
_FUSABLE = frozenset(_BINOPS.values())
_MATH_DTYPES = frozenset({np.dtype(np.float32), np.dtype(np.float16)})


def _inline_op(e):
    """The Python operator ("+", "-", "*" or "neg") that computes ``e``:
    float/complex add, sub, mul and neg (what their impls do on such values
    anyway), saving a call per equation; None for other equations."""
    prim = e.primitive
    if e.params or len(e.outvars) != 1 or prim.multiple_results:
        return None
    op = _BINOPS.get(prim.name)
    if op is not None and len(e.invars) == 2:
        a, b = e.invars
        if a.aval.dtype.kind in "fc" and a.aval.dtype == b.aval.dtype and \
                a.aval.shape == b.aval.shape and prim.impl is not None:
            return op
    if prim.name == "neg" and len(e.invars) == 1 and e.invars[0].aval.dtype.kind in "fc":
        return "neg"
    return None


def _scalar_math(e):
    """The ``math`` function behind ``e`` when ``e`` is a unary
    transcendental of a float16/32 scalar (whose impl computes
    ``dtype(math.f(float(x)))``, lax.elementwise._accurate), else None."""
    if e.params or len(e.invars) != 1 or len(e.outvars) != 1:
        return None
    mf = _SCALAR_MATH.get(e.primitive.name)
    if mf is None:
        return None
    a = e.invars[0].aval
    if a.shape == () and a.dtype in _MATH_DTYPES and e.outvars[0].aval.dtype == a.dtype:
        return mf
    return None


_COMPILED = _Bounded(4096)


def compiled(cj):
    """The Executable of ``cj`` (compiled once, cached by identity)."""
    hit = _COMPILED.get(id(cj))
    if hit is None or hit[0] is not cj:
        hit = _COMPILED.put(id(cj), (cj, Executable(optimize(cj), cj.out_avals)))
    return hit[1]


_unused = ShapedArray


# --------------------------------------------------------------------------
# the jit wrapper

import contextlib  # noqa: E402
import functools  # noqa: E402
import inspect  # noqa: E402
import logging  # noqa: E402
import warnings  # noqa: E402

from ..config import config, _option_context  # noqa: E402

logger = logging.getLogger("cotan")
_CACHE_SIZE = 256
_RETRACE_WARN = 10


# argument types the fast call path converts itself (others: the general path)
_DIRECT_ARGS = frozenset({float, int, complex, bool, np.ndarray, np.float16, np.float32,
                          np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
                          np.uint16, np.uint32, np.uint64, np.bool_, np.complex64,
                          np.complex128})
_WEAK_ARGS = frozenset({float, int, complex})
_PLAIN = not (config.jax_disable_jit or config.jax_debug_nans)
_X64 = config.jax_enable_x64


def _on_mode_change(_value):
    global _PLAIN, _X64
    _PLAIN = not (config.jax_disable_jit or config.jax_debug_nans)
    _X64 = config.jax_enable_x64


for _opt in ("jax_disable_jit", "jax_debug_nans", "jax_enable_x64"):
    config._add_hook(_opt, _on_mode_change)


def disable_jit(disable: bool = True):
    """Context manager: inside it, jitted functions run eagerly (op by op)."""
    return _option_context("jax_disable_jit", bool(disable))


class _Entry:
    """One traced signature: the closed jaxpr (leading invars = hoisted
    tracer constants), output tree and weak types; compiled lazily."""

    __slots__ = ("cj", "out_tree", "n_hoisted", "exe", "fn", "post", "name", "w0")

    def __init__(self, cj, out_tree, n_hoisted, name):
        self.cj = cj
        self.out_tree = out_tree
        self.n_hoisted = n_hoisted
        self.exe = None
        self.fn = None
        self.post = None
        self.name = name
        # the output's weak type when the output is one array (the call
        # path then wraps it without going through ``post``), else None
        self.w0 = None

    def compile(self):
        if self.exe is None:
            from ..tree_util import tree_unflatten
            exe = compiled(self.cj)
            weak = exe.out_weak
            tree = self.out_tree
            if tree.num_leaves == 1 and tree_unflatten(tree, [0]) == 0:
                w0 = bool(weak[0])
                self.post = lambda outs: Array(outs[0], w0)
                self.w0 = w0
            else:
                self.post = lambda outs: tree_unflatten(
                    tree, [Array(o, w) for o, w in zip(outs, weak)])
            self.fn = exe.fn
            self.exe = exe
        return self.exe


class Lowered:
    """What ``jit(f).lower(*args)`` returns: the optimised program."""

    def __init__(self, entry, jitted, args, kwargs):
        self._entry = entry
        self._jitted = jitted
        self._in = (args, kwargs)

    def jaxpr(self):
        return self._entry.cj

    def as_text(self, dialect=None):
        exe = self._entry.compile()
        return (f"# jaxpr as traced ({self._entry.name})\n{self._entry.cj}\n\n"
                f"# optimised jaxpr\n{exe.jaxpr_text()}\n\n"
                f"# generated Python\n{exe.source}\n")

    def compile(self, compiler_options=None):
        self._entry.compile()
        return Compiled(self)

    def cost_analysis(self):
        return {"equations": len(self._entry.compile().prog.eqns)}


class Compiled:
    def __init__(self, lowered):
        self._lowered = lowered

    def as_text(self):
        return self._lowered.as_text()

    def __call__(self, *args, **kwargs):
        return self._lowered._jitted(*args, **kwargs)


def _leaf_names(fun, dyn_args, dyn_kwargs):
    from ..tree_util import keystr, tree_flatten_with_path
    try:
        params = list(inspect.signature(fun).parameters)
    except (TypeError, ValueError):
        params = []
    names = []
    for path, _ in tree_flatten_with_path((dyn_args, dyn_kwargs))[0]:
        where, first, rest = path[0].idx, path[1], path[2:]
        if where == 0:
            i = first.idx
            base = params[i] if i < len(params) else f"args[{i}]"
        else:
            base = str(getattr(first, "key", first))
        names.append(base + (keystr(rest) if rest else ""))
    return names


def _explain(old, new, names):
    o_tree, o_avals, o_sv, o_sk, o_x64 = old
    n_tree, n_avals, n_sv, n_sk, n_x64 = new
    if o_x64 != n_x64:
        return "jax_enable_x64 changed"
    if o_sv != n_sv or o_sk != n_sk:
        return (f"static arguments changed: {dict(o_sv) or dict(o_sk)} -> "
                f"{dict(n_sv) or dict(n_sk)}")
    if o_tree != n_tree:
        return f"the pytree structure of the arguments changed: {o_tree} -> {n_tree}"
    for i, (a, b) in enumerate(zip(o_avals, n_avals)):
        if a != b or a.weak_type != b.weak_type:
            nm = names[i] if i < len(names) else f"leaf {i}"
            return (f"for argument '{nm}': type changed from {a.str_short()}"
                    f"{' (weak)' if a.weak_type else ''} to {b.str_short()}"
                    f"{' (weak)' if b.weak_type else ''}")
    return "unknown"


def make_jitted(fun, static_argnums, static_argnames):
    from .. import api
    from ..tree_util import tree_map, tree_unflatten

    name = getattr(fun, "__name__", None) or type(fun).__name__
    fast = {}
    cache = {}
    state = {"traces": 0, "last": None, "warned": False}
    simple = not static_argnums and not static_argnames
    _Array = Array
    cfg = config

    def trace(key, sv, sk, da, dk):
        if cfg.jax_log_compiles:
            if state["last"] is None:
                logger.warning("Compiling %s (tracing for jit) with arguments %s", name,
                               ", ".join(a.str_short() for a in key[1]))
            else:
                why = _explain(state["last"], key, _leaf_names(fun, da, dk))
                logger.warning("TRACING CACHE MISS: retracing %s because %s", name, why)
        state["traces"] += 1
        state["last"] = key
        if state["traces"] > _RETRACE_WARN and not state["warned"]:
            state["warned"] = True
            warnings.warn(
                f"jit-compiled function '{name}' has been retraced {state['traces'] - 1} "
                "times: its arguments keep changing shape, dtype or static value. Each "
                "retrace costs a full trace and compile; make the varying values dynamic "
                "arguments of fixed shape, or set config jax_log_compiles to see why.",
                stacklevel=4)
        jaxpr, consts, _, out_tree, _ = api._trace_flat(fun, sv, sk, da, dk)
        # closed-over tracers of enclosing transformations become explicit
        # (leading) inputs of the call
        hv, hc, cv, cc = [], [], [], []
        for v, c in zip(jaxpr.constvars, consts):
            if isinstance(c, core.Tracer):
                hv.append(v)
                hc.append(c)
            else:
                cv.append(v)
                cc.append(c)
        cj = ClosedJaxpr(Jaxpr(cv, hv + jaxpr.invars, jaxpr.outvars, jaxpr.eqns), cc)
        return _Entry(cj, out_tree, len(hv), name), hc

    def slow(args, kwargs):
        sv, da, sk, dk = api._split_static(args, kwargs, static_argnums, static_argnames)
        for i, v in sv:
            api._hashable_static(v, f"at position {i}")
        for k, v in sk:
            api._hashable_static(v, repr(k))
        leaves, in_tree = api._flatten_args((da, dk))
        key = (in_tree, tuple(core.get_aval(x) for x in leaves), sv, sk, cfg.jax_enable_x64)
        ent = cache.get(key)
        hoisted = ()
        if ent is None:
            ent, hoisted = trace(key, sv, sk, da, dk)
            if not hoisted:
                if len(cache) >= _CACHE_SIZE:
                    cache.pop(next(iter(cache)))
                    fast.clear()
                cache[key] = ent
        return ent, hoisted, leaves

    def run(ent, hoisted, leaves):
        for x in leaves:
            if isinstance(x, core.Tracer):
                break
        else:
            if not hoisted:
                ent.compile()
                return ent.post(ent.fn(*[x._value for x in leaves]))
        outs = pjit_p.bind(*hoisted, *leaves, jaxpr=ent.cj, name=name)
        return tree_unflatten(ent.out_tree, outs)

    @functools.wraps(fun)
    def jitted(*args, **kwargs):
        # _PLAIN: neither jax_disable_jit nor jax_debug_nans (kept by config
        # hooks, so that a call reads no config attribute)
        if _PLAIN and simple and not kwargs:
            if len(args) == 1:
                a = args[0]
                if type(a) is _Array:
                    v = a._value
                    ent = fast.get((_X64, v.shape, v.dtype, a.weak_type))
                    if ent is not None:
                        w = ent.w0
                        if w is not None:
                            return _Array(ent.fn(v)[0], w)
                        return ent.post(ent.fn(v))
            elif len(args) == 2:
                a, b = args
                if type(a) is _Array and type(b) is _Array:
                    va = a._value
                    vb = b._value
                    ent = fast.get((_X64, va.shape, va.dtype, a.weak_type,
                                    vb.shape, vb.dtype, b.weak_type))
                    if ent is not None:
                        w = ent.w0
                        if w is not None:
                            return _Array(ent.fn(va, vb)[0], w)
                        return ent.post(ent.fn(va, vb))
        if cfg.jax_disable_jit:
            return fun(*args, **kwargs)
        if cfg.jax_debug_nans:
            ent, hoisted, leaves = slow(args, kwargs)
            outs = core.eval_jaxpr(ent.cj.jaxpr, ent.cj.consts, *hoisted, *leaves)
            return tree_unflatten(ent.out_tree, outs)
        if simple and not kwargs:
            key = [_X64]
            vals = []
            for a in args:
                ta = type(a)
                if ta is _Array:
                    v = a._value
                    w = a.weak_type
                elif ta in _DIRECT_ARGS:
                    # Python and NumPy scalars/arrays: the value an Array
                    # would hold (canonical dtype; Python numbers weak)
                    v = core._canonical_value(a)
                    w = ta in _WEAK_ARGS
                else:
                    break
                vals.append(v)
                key += (v.shape, v.dtype, w)
            else:
                key = tuple(key)
                ent = fast.get(key)
                if ent is not None:
                    w = ent.w0
                    if w is not None:
                        return _Array(ent.fn(*vals)[0], w)
                    return ent.post(ent.fn(*vals))
                ent, hoisted, leaves = slow(args, kwargs)
                if not hoisted:
                    ent.compile()
                    fast[key] = ent
                return run(ent, hoisted, leaves)
        ent, hoisted, leaves = slow(args, kwargs)
        return run(ent, hoisted, leaves)

    def lower(*args, **kwargs):
        ent, hoisted, _ = slow(args, kwargs)
        return Lowered(ent, jitted, args, kwargs)

    def eval_shape(*args, **kwargs):
        from ..shape import ShapeDtypeStruct
        ent, _, _ = slow(args, kwargs)
        return tree_unflatten(ent.out_tree, [ShapeDtypeStruct(a.shape, a.dtype)
                                             for a in ent.cj.out_avals])

    def clear_cache():
        cache.clear()
        fast.clear()

    jitted._cache = cache
    jitted.lower = lower
    jitted.eval_shape = eval_shape
    jitted.clear_cache = clear_cache
    jitted._trace_count = lambda: state["traces"]
    _unused = (tree_map, contextlib)
    return jitted
