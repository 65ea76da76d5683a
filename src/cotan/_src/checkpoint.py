"""Gradient checkpointing: ``checkpoint`` / ``remat`` and its policies.

``checkpoint(f)`` traces ``f`` into a ClosedJaxpr and binds the call
primitive ``remat`` carrying it.  Evaluated, it is a plain call.  Its JVP
partially evaluates the JVP of the jaxpr (primal inputs known, tangents
unknown), like jit's, but splits the known values the linear part needs
(the residuals) by the *policy*:

* values the policy calls saveable (outputs of equations for which
  ``policy(prim, *in_avals, **params)`` is true) are outputs of the primal
  call and are held until the backward pass;
* all the others are RECOMPUTED: the linear call is given the remat'd inputs
  and the saved values as non-linear operands, and its jaxpr starts with the
  equations recomputing the missing residuals from them.  Its transpose
  (jit's ``transpose_jaxpr``) evaluates these forward first, in the backward
  pass.

So linearize/grad (and the eager rule templates, whose residuals are the
linear call's non-linear operands) hold only the inputs and the saved values
between the forward and the backward pass.  With ``prevent_cse`` the linear
call is itself a ``remat`` equation, which jit's compiler does not inline,
so the recomputation is not merged with the forward computation.
"""
from __future__ import annotations

import functools

from . import core
from .core import ClosedJaxpr, Jaxpr, JaxprEqn, Var
from .interpreters import ad, batching
from .interpreters import jaxpr_transforms as jt
from .interpreters import jit as _jit
from .interpreters import partial_eval as pe

# --------------------------------------------------------------------------
# checkpoint_name


name_p = core.Primitive("name")
name_p.def_impl(lambda x, *, name: x)
name_p.def_abstract_eval(lambda x, *, name: x)
name_p.weak_type_rule = lambda args, params: core.get_aval(args[0]).weak_type


def _name_jvp(primals, tangents, *, name):
    return name_p.bind(primals[0], name=name), tangents[0]


ad.primitive_jvps[name_p] = _name_jvp
ad.primitive_transposes[name_p] = lambda ct, x, *, name: [ct]
batching.primitive_batchers[name_p] = lambda vals, dims, *, name: (
    name_p.bind(vals[0], name=name), dims[0])


def checkpoint_name(x, name):
    """Identity on each leaf of ``x``, tagging it with ``name`` for the
    ``save_only_these_names`` / ``save_any_names_but_these`` policies."""
    from .tree_util import tree_map
    return tree_map(lambda v: name_p.bind(v, name=name), x)


# --------------------------------------------------------------------------
# policies: policy(prim, *in_avals, **params) -> bool (may the output be saved)


class _Policies:
    """The ``cotan.checkpoint_policies`` namespace."""

    @staticmethod
    def everything_saveable(*_, **__):
        return True

    @staticmethod
    def nothing_saveable(*_, **__):
        return False

    @staticmethod
    def dots_saveable(prim, *_, **__):
        return prim.name == "dot_general"

    @staticmethod
    def dots_with_no_batch_dims_saveable(prim, *_, **params):
        if prim.name != "dot_general":
            return False
        (_, _), (lb, rb) = params["dimension_numbers"]
        return not lb and not rb

    @staticmethod
    def save_only_these_names(*names):
        names = frozenset(names)

        def policy(prim, *_, **params):
            return prim is name_p and params["name"] in names
        return policy

    @staticmethod
    def save_any_names_but_these(*names):
        names = frozenset(names)

        def policy(prim, *_, **params):
            return prim is name_p and params["name"] not in names
        return policy

    @staticmethod
    def save_from_both_policies(p1, p2):
        def policy(*args, **params):
            return p1(*args, **params) or p2(*args, **params)
        return policy


_Policies.checkpoint_dots = _Policies.dots_saveable
_Policies.checkpoint_dots_with_no_batch_dims = _Policies.dots_with_no_batch_dims_saveable
checkpoint_policies = _Policies()


# --------------------------------------------------------------------------
# the primitive

remat_p = core.Primitive("checkpoint", multiple_results=True)


def _remat_impl(*args, jaxpr, prevent_cse, policy):
    return _jit.pjit_p.impl(*args, jaxpr=jaxpr, name="checkpoint")


remat_p.def_impl(_remat_impl)
remat_p.def_abstract_eval(lambda *avals, jaxpr, prevent_cse, policy: list(jaxpr.out_avals))
remat_p.weak_type_rule = lambda args, params: [a.weak_type for a in params["jaxpr"].out_avals]

_SPLIT_CACHE = _jit._Bounded(2048)
core.on_rule_change(_SPLIT_CACHE.clear)


def _saveable(policy, eqn):
    if policy is None:
        return False
    return bool(policy(eqn.primitive, *[v.aval for v in eqn.invars], **eqn.params))


def remat_split(cj, nonzeros, policy):
    """Returns (known, lin, out_nz, n_saved, lin_inputs): ``known`` maps the
    primal inputs to (primal outputs..., saved residuals...); ``lin`` maps
    (the primal inputs listed in ``lin_inputs``..., saved residuals...,
    nonzero tangents...) to the nonzero output tangents, recomputing every
    residual that was not saved."""
    key = (id(cj), nonzeros, policy)
    hit = _SPLIT_CACHE.get(key)
    if hit is not None:
        return hit[1]
    jj, out_nz = jt.jvp_jaxpr(cj, list(nonzeros), instantiate=False)
    jaxpr = jj.jaxpr
    n, n_out = len(cj.in_avals), len(cj.out_avals)
    primal_in, tangent_in = jaxpr.invars[:n], jaxpr.invars[n:]
    known_eqns, lin_eqns, unknown = pe.partition_eqns(jaxpr.eqns, tangent_in)
    p_outs, t_outs = jaxpr.outvars[:n_out], jaxpr.outvars[n_out:]
    if any(type(v) is Var and v in unknown for v in p_outs):
        raise NotImplementedError("checkpoint JVP: a primal output depends on tangents")
    constset = set(jaxpr.constvars)
    inset = set(primal_in)
    producer = {}
    for e in known_eqns:
        for v in e.outvars:
            producer[v] = e
    # walk back from the residuals of the linear part: saveable values are
    # saved, the others recomputed from their producers' inputs
    saved, recompute, seen = [], set(), set()
    stack = []
    for atoms in [e.invars for e in lin_eqns] + [t_outs]:
        for v in atoms:
            if type(v) is Var and v not in unknown:
                stack.append(v)
    while stack:
        v = stack.pop()
        if v in seen or v in constset or v in inset:
            continue
        seen.add(v)
        e = producer[v]
        if _saveable(policy, e):
            saved.append(v)
            continue
        if id(e) not in recompute:
            recompute.add(id(e))
            for u in e.invars:
                if type(u) is Var:
                    stack.append(u)
    order = {v: i for i, e in enumerate(known_eqns) for v in e.outvars}
    saved.sort(key=order.__getitem__)
    k_outs = list(p_outs) + saved
    known = _jit._close(jaxpr.constvars, jj.consts, primal_in,
                        k_outs, pe.dce_eqns(known_eqns, k_outs))
    saved_vars = [Var(v.aval) for v in saved]
    sub = dict(zip(saved, saved_vars))

    def rd(v):
        return sub.get(v, v) if type(v) is Var else v

    r_eqns = [JaxprEqn(e.primitive, [rd(v) for v in e.invars], e.params, e.outvars)
              for e in known_eqns if id(e) in recompute]
    l_eqns = [JaxprEqn(e.primitive, [rd(v) for v in e.invars], e.params, e.outvars)
              for e in lin_eqns]
    l_outs = [rd(v) for v in t_outs]
    eqns = pe.dce_eqns(r_eqns + l_eqns, l_outs)
    used = {v for e in eqns for v in e.invars if type(v) is Var} | set(l_outs)
    lin_inputs = tuple(i for i, v in enumerate(primal_in) if v in used)
    lin = _jit._close(jaxpr.constvars, jj.consts,
                      [primal_in[i] for i in lin_inputs] + saved_vars + list(tangent_in),
                      l_outs, eqns)
    result = (known, lin, tuple(out_nz), len(saved), lin_inputs)
    _SPLIT_CACHE.put(key, (cj, result))
    return result


def _call(args, jaxpr, prevent_cse, policy):
    if prevent_cse:
        return remat_p.bind(*args, jaxpr=jaxpr, prevent_cse=prevent_cse, policy=policy)
    return _jit.pjit_p.bind(*args, jaxpr=jaxpr, name="checkpoint")


def _remat_jvp(primals, tangents, *, jaxpr, prevent_cse, policy):
    nz = tuple(type(t) is not ad.Zero for t in tangents)
    if not any(nz):
        outs = remat_p.bind(*primals, jaxpr=jaxpr, prevent_cse=prevent_cse, policy=policy)
        return outs, [ad.Zero(a.to_tangent_aval()) for a in jaxpr.out_avals]
    known, lin, out_nz, n_saved, lin_inputs = remat_split(jaxpr, nz, policy)
    n_out = len(jaxpr.out_avals)
    k_outs = _jit.pjit_p.bind(*primals, jaxpr=known, name="checkpoint_fwd")
    outs, saved = list(k_outs[:n_out]), list(k_outs[n_out:])
    t_in = [t for t in tangents if type(t) is not ad.Zero]
    t_outs = iter(_call([primals[i] for i in lin_inputs] + saved + t_in, lin,
                        prevent_cse, policy))
    touts = [next(t_outs) if z else ad.Zero(a.to_tangent_aval())
             for z, a in zip(out_nz, jaxpr.out_avals)]
    return outs, touts


_T_CACHE = _jit._Bounded(2048)
_B_CACHE = _jit._Bounded(2048)
core.on_rule_change(_T_CACHE.clear)
core.on_rule_change(_B_CACHE.clear)


def _remat_transpose(cts, *args, jaxpr, prevent_cse, policy):
    linear = tuple(ad.is_undefined_primal(a) for a in args)
    key = (id(jaxpr), linear)
    hit = _T_CACHE.get(key)
    if hit is None:
        hit = _T_CACHE.put(key, (jaxpr, jt.transpose_jaxpr(jaxpr, list(linear))))
    tj = hit[1]
    res = [a for a, lin in zip(args, linear) if not lin]
    cts = [ad.instantiate_zeros(c) if type(c) is ad.Zero else c for c in cts]
    outs = iter(_call(res + cts, tj, prevent_cse, policy))
    return [next(outs) if lin else None for lin in linear]


def _remat_batch(vals, dims, *, trace, jaxpr, prevent_cse, policy):
    if all(d is None for d in dims):
        return (remat_p.bind(*vals, jaxpr=jaxpr, prevent_cse=prevent_cse, policy=policy),
                [None] * len(jaxpr.out_avals))
    size = trace.axis_size
    key = (id(jaxpr), size, tuple(dims), trace.axis_name)
    hit = _B_CACHE.get(key)
    if hit is None:
        hit = _B_CACHE.put(key, (jaxpr, jt.batch_jaxpr_auto(jaxpr, size, list(dims),
                                                            trace.axis_name)))
    bj, out_dims = hit[1]
    return (remat_p.bind(*vals, jaxpr=bj, prevent_cse=prevent_cse, policy=policy),
            list(out_dims))


ad.primitive_jvps[remat_p] = _remat_jvp
ad.primitive_transposes[remat_p] = _remat_transpose
batching.primitive_batchers[remat_p] = _remat_batch
batching.register_collective(remat_p)


# --------------------------------------------------------------------------
# the wrapper


def checkpoint(fun=None, *, prevent_cse=True, policy=None, static_argnums=()):
    """Make ``fun`` recompute its intermediate values in the backward pass
    instead of storing them (only what ``policy`` allows is saved)."""
    if fun is None:
        return functools.partial(checkpoint, prevent_cse=prevent_cse, policy=policy,
                                 static_argnums=static_argnums)
    from . import api
    from .tree_util import tree_unflatten
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    static_argnums = tuple(static_argnums)
    prevent_cse = bool(prevent_cse)
    cache = {}

    @functools.wraps(fun)
    def fun_remat(*args, **kwargs):
        sv, da, sk, dk = api._split_static(args, kwargs, static_argnums, ())
        for i, v in sv:
            api._hashable_static(v, f"at position {i}")
        leaves, in_tree = api._flatten_args((da, dk))
        key = (in_tree, tuple(core.get_aval(x) for x in leaves),
               tuple((i, v) for i, v in sv))
        hit = cache.get(key)
        if hit is None:
            jaxpr, consts, _, out_tree, _ = api._trace_flat(fun, sv, sk, da, dk, "checkpoint")
            hv, hc, cv, cc = [], [], [], []
            for v, c in zip(jaxpr.constvars, consts):
                if isinstance(c, core.Tracer):
                    hv.append(v)
                    hc.append(c)
                else:
                    cv.append(v)
                    cc.append(c)
            cj = ClosedJaxpr(Jaxpr(cv, hv + jaxpr.invars, jaxpr.outvars, jaxpr.eqns), cc)
            hit = (cj, out_tree, hc)
            if not hc:
                if len(cache) > 64:
                    cache.clear()
                cache[key] = hit
        cj, out_tree, hoisted = hit
        outs = remat_p.bind(*hoisted, *leaves, jaxpr=cj, prevent_cse=prevent_cse,
                            policy=policy)
        return tree_unflatten(out_tree, outs)

    return fun_remat


remat = checkpoint
