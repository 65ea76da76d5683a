"""Structured control flow: cond, switch, while_loop, fori_loop, scan, map,
associative_scan.

The user's functions are traced ONCE to jaxprs (their closed-over values,
tracers of outer transformations included, are hoisted into leading operands,
so the ClosedJaxprs held in params only ever have concrete constants).  Three
primitives carry them:

* ``cond_p(index, *ops, branches)``: ``branches[clamp(index)](*ops)``.
* ``while_p(*cond_consts, *body_consts, *carry, cond_jaxpr, body_jaxpr,
  cond_nconsts, body_nconsts)``.
* ``scan_p(*consts, *carry, *xs, jaxpr, length, reverse, num_consts, num_carry,
  unroll)``: the body maps (consts, carry, x) -> (carry, y).

Their rules are written with the whole-jaxpr transformations of
``interpreters/jaxpr_transforms.py``.  Reverse mode needs the JVP of cond and
scan to keep primal and tangent work apart (linearize stages only the
tangents): the JVP jaxpr of the body is partially evaluated into a "known"
body (primal outputs + residuals) and an "unknown" linear body (residuals +
tangents -> output tangents), bound as two separate primitives.  The linear
scan transposes to a reverse scan of the transposed body over the stacked
residuals.  while_loop has no transpose (as in JAX).
"""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import core, dtypes
from ..core import Array, ClosedJaxpr, Jaxpr, Primitive, Tracer, Var, get_aval
from ..interpreters import ad, batching, rule_cache
from ..interpreters import partial_eval as pe
from ..interpreters.jaxpr_transforms import (batch_jaxpr, batch_jaxpr_auto, jvp_jaxpr,
                                             transpose_jaxpr)
from ..tree_util import tree_flatten, tree_unflatten
from . import elementwise as _el
from . import structural as _st

_zip = builtins.zip
_range = builtins.range

# --------------------------------------------------------------------------
# helpers


def _is_float(aval):
    return aval.dtype.kind in "fc"


def _trace_closed(fun, in_avals):
    """Trace an internal wrapper (which only closes over concrete values)."""
    jaxpr, consts = pe.trace_to_jaxpr(fun, list(in_avals))
    return ClosedJaxpr(jaxpr, consts)


def _trace_user(call, in_avals):
    """Trace ``call(*flat) -> pytree``.  Returns (ClosedJaxpr whose first
    invars are the hoisted constants, the constants, the output treedef)."""
    box = []

    def flat(*args):
        leaves, tree = tree_flatten(call(*args))
        box.append(tree)
        return leaves

    jaxpr, consts = pe.trace_to_jaxpr(flat, list(in_avals))
    j = Jaxpr([], list(jaxpr.constvars) + list(jaxpr.invars), jaxpr.outvars, jaxpr.eqns)
    return ClosedJaxpr(j, []), list(consts), box[0]


def _strong(x, aval):
    """``x`` with the (non-weak) type ``aval``."""
    a = get_aval(x)
    if a.weak_type and not aval.weak_type:
        return _st.convert_element_type(x, a.dtype, weak_type=False)
    return x


def _avals_str(avals):
    return ", ".join(a.str_short() + ("{weak}" if a.weak_type else "") for a in avals)


_PROGS = {}


def _program(cj):
    """Straight-line NumPy function of a ClosedJaxpr (compiled once)."""
    hit = _PROGS.get(id(cj))
    if hit is not None and hit[0] is cj:
        return hit[1]
    j = cj.jaxpr
    prog = rule_cache._Program(j.eqns, j.invars, j.outvars, dict(_zip(j.constvars, cj.consts)))
    if len(_PROGS) >= 4096:
        _PROGS.clear()
    _PROGS[id(cj)] = (cj, prog.fn)
    return prog.fn


def _split_jaxpr(cj, n_known_in, n_known_out):
    """Partial evaluation of ``cj`` whose first ``n_known_in`` inputs are known
    and the rest unknown; its first ``n_known_out`` outputs must be known.
    Returns (known jaxpr: known ins -> known outs + residuals,
    unknown jaxpr: residuals + unknown ins -> remaining outs, residual vars)."""
    j = cj.jaxpr
    consts = set(j.constvars)
    from ..interpreters.partial_eval import partition_eqns
    known_eqns, unk_eqns, unknown = partition_eqns(j.eqns, j.invars[n_known_in:])
    k_outs = j.outvars[:n_known_out]
    u_outs = j.outvars[n_known_out:]
    for v in k_outs:
        if type(v) is Var and v in unknown:
            raise NotImplementedError("control flow JVP: a primal output depends on tangents")
    residuals, seen = [], set()

    def consider(v):
        if type(v) is Var and v not in unknown and v not in consts and v not in seen:
            seen.add(v)
            residuals.append(v)

    for e in unk_eqns:
        for v in e.invars:
            consider(v)
    for v in u_outs:
        consider(v)
    kj = Jaxpr(j.constvars, j.invars[:n_known_in], list(k_outs) + residuals,
               pe.dce_eqns(known_eqns, list(k_outs) + residuals))
    uj = Jaxpr(j.constvars, residuals + list(j.invars[n_known_in:]), u_outs,
               pe.dce_eqns(unk_eqns, u_outs))
    return ClosedJaxpr(kj, cj.consts), ClosedJaxpr(uj, cj.consts), residuals


def _zero_tangent(aval):
    return ad.Zero(aval.to_tangent_aval())


def _any_staged(tangents):
    return any(isinstance(t, pe.StagingTracer) for t in tangents)


def _axis_size(vals, dims):
    for v, d in _zip(vals, dims):
        if d is not None:
            return get_aval(v).shape[d]
    raise AssertionError("no batched operand")


# --------------------------------------------------------------------------
# cond / switch

def _cond_impl(index, *ops, branches):
    i = int(index)
    i = 0 if i < 0 else (len(branches) - 1 if i >= len(branches) else i)
    return _program(branches[i])(*ops)


def _cond_abstract(index, *ops, branches):
    if index.shape != () or index.dtype.kind not in "iu":
        raise TypeError(f"cond index must be an integer scalar, got {index.str_short()}")
    for k, b in enumerate(branches):
        ins = b.in_avals
        if len(ins) != len(ops) or any(a.shape != o.shape or a.dtype != o.dtype
                                       for a, o in _zip(ins, ops)):
            raise TypeError(f"cond branch {k} takes ({_avals_str(ins)}) but the operands are "
                            f"({_avals_str(ops)})")
    return list(branches[0].out_avals)


cond_p = Primitive("cond", multiple_results=True)
cond_p.def_impl(_cond_impl)
cond_p.def_abstract_eval(_cond_abstract)
cond_p.weak_type_rule = lambda args, params: [a.weak_type for a in params["branches"][0].out_avals]


def _cond_jvp(primals, tangents, *, branches):
    index, *ops = primals
    ts = list(tangents[1:])
    in_avals = branches[0].in_avals
    out_avals = branches[0].out_avals
    nz = [type(t) is not ad.Zero and _is_float(a) for t, a in _zip(ts, in_avals)]
    out_nz = [False] * len(out_avals)
    for b in branches:
        _, onz = jvp_jaxpr(b, nz, False)
        out_nz = [x or y for x, y in _zip(out_nz, onz)]
    out_nz = [n and _is_float(a) for n, a in _zip(out_nz, out_avals)]
    n_in, n_out = len(ops), len(out_avals)
    splits = []
    for b in branches:
        jj, _ = jvp_jaxpr(b, nz, out_nz)
        kj, uj, res = _split_jaxpr(jj, n_in, n_out)
        splits.append((kj, uj, [v.aval for v in res]))
    all_res = [a for _, _, ra in splits for a in ra]
    offsets = np.cumsum([0] + [len(ra) for _, _, ra in splits]).tolist()

    def known_branch(i):
        kj = splits[i][0]

        def fn(*xs):
            outs = core.eval_jaxpr(kj.jaxpr, kj.consts, *xs)
            full = list(outs[:n_out])
            for k, (_, _, ra) in enumerate(splits):
                if k == i:
                    full += outs[n_out:]
                else:
                    full += [ad.zeros_like_aval(a) for a in ra]
            return full
        return _trace_closed(fn, in_avals)

    t_avals = [a.to_tangent_aval() for a, n in _zip(in_avals, nz) if n]

    def unknown_branch(i):
        uj = splits[i][1]
        lo, hi = offsets[i], offsets[i + 1]

        def fn(*xs):
            return core.eval_jaxpr(uj.jaxpr, uj.consts, *xs[lo:hi], *xs[len(all_res):])
        return _trace_closed(fn, all_res + t_avals)

    nb = len(branches)
    known = tuple(known_branch(i) for i in _range(nb))
    outs = cond_p.bind(index, *ops, branches=known)
    primal_out, res_vals = outs[:n_out], outs[n_out:]
    if not any(out_nz):
        return primal_out, [_zero_tangent(a) for a in out_avals]
    unknown = tuple(unknown_branch(i) for i in _range(nb))
    t_in = [ad.instantiate_zeros(t) for t, n in _zip(ts, nz) if n]
    t_out = cond_p.bind(index, *res_vals, *t_in, branches=unknown)
    it = iter(t_out)
    return primal_out, [next(it) if n else _zero_tangent(a) for n, a in _zip(out_nz, out_avals)]


def _cond_transpose(cts, index, *ops, branches):
    if ad.is_undefined_primal(index):
        raise ValueError("cond is not linear in its index")
    linear = [ad.is_undefined_primal(x) for x in ops]
    out_avals = branches[0].out_avals
    cts = [ad.zeros_like_aval(a.to_tangent_aval()) if (c is None or type(c) is ad.Zero) else c
           for c, a in _zip(cts, out_avals)]
    tbs = tuple(transpose_jaxpr(b, linear) for b in branches)
    res = [x for x, lin in _zip(ops, linear) if not lin]
    outs = cond_p.bind(index, *res, *cts, branches=tbs)
    it = iter(outs)
    return [None] + [next(it) if lin else None for lin in linear]


def _cond_batch(vals, dims, *, branches):
    index, *ops = vals
    idim, odims = dims[0], list(dims[1:])
    size = _axis_size(vals, dims)
    n_out = len(branches[0].out_avals)
    if idim is None:
        out_b = [False] * n_out
        for b in branches:
            _, od = batch_jaxpr_auto(b, size, odims)
            out_b = [x or d is not None for x, d in _zip(out_b, od)]
        out_dims = [0 if x else None for x in out_b]
        bbs = tuple(batch_jaxpr(b, size, odims, out_dims) for b in branches)
        return cond_p.bind(index, *ops, branches=bbs), out_dims
    # a batch of predicates: run every branch, then select per element
    index = batching.moveaxis(index, idim, 0)
    it = get_aval(index).dtype
    ishape = get_aval(index).shape
    index = _el.max(_el.min(index, Array(np.full(ishape, len(branches) - 1, it))),
                    Array(np.zeros(ishape, it)))
    if it != np.int32:
        index = _st.convert_element_type(index, np.int32)
    per = []
    for b in branches:
        bj = batch_jaxpr(b, size, odims, [0] * n_out)
        per.append(core.eval_jaxpr(bj.jaxpr, bj.consts, *ops))
    outs = []
    for k in _range(n_out):
        cases = [p[k] for p in per]
        shape = get_aval(cases[0]).shape
        w = index if len(shape) == 1 else _st.broadcast_in_dim(index, shape, (0,))
        outs.append(_el.select_n(w, *cases))
    return outs, [0] * n_out


ad.primitive_jvps[cond_p] = _cond_jvp
ad.primitive_transposes[cond_p] = _cond_transpose
batching.primitive_batchers[cond_p] = _cond_batch


def _trace_branches(funs, operands, names):
    leaves, in_tree = tree_flatten(tuple(operands))
    in_avals = [get_aval(x) for x in leaves]

    def caller(f, casts=None):
        def call(*args):
            out = f(*tree_unflatten(in_tree, list(args)))
            if casts is None:
                return out
            ls, t = tree_flatten(out)
            return tree_unflatten(t, [_strong(x, a) for x, a in _zip(ls, casts)])
        return call

    traced = [_trace_user(caller(f), in_avals) for f in funs]
    t0 = traced[0][2]
    a0 = traced[0][0].out_avals
    for k, (cj, _, t) in enumerate(traced[1:], 1):
        # cond's branches are (false_fun, true_fun): name them as JAX does
        what = "true_fun and false_fun" if names is None else f"branch 0 and branch {k}"
        first, second = ((t, t0), (cj.out_avals, a0)) if names is None else ((t0, t), (a0, cj.out_avals))
        if t != t0:
            raise TypeError(
                f"{what} output must have same type structure, got "
                f"{first[0]} and {first[1]}.")
        diffs = [f"{x.str_short()} vs. {y.str_short()}" for x, y in _zip(*second)
                 if x.shape != y.shape or x.dtype != y.dtype]
        if diffs:
            raise TypeError(
                f"{what} output must have identical types, got\n"
                + "\n".join(f"  DIFFERENT {d}" for d in diffs))
    joined = [a0[i].update(weak_type=all(cj.out_avals[i].weak_type for cj, _, _ in traced))
              for i in _range(len(a0))]
    if any(cj.out_avals[i].weak_type != joined[i].weak_type
           for cj, _, _ in traced for i in _range(len(a0))):
        traced = [_trace_user(caller(f, joined), in_avals) for f in funs]
    # common operands: every branch takes all branches' constants
    all_consts, jaxprs = [], []
    const_avals = [[get_aval(c) for c in consts] for _, consts, _ in traced]
    for k, (cj, consts, _) in enumerate(traced):
        j = cj.jaxpr
        nck = len(consts)
        pre = []
        for m, ca in enumerate(const_avals):
            pre += j.invars[:nck] if m == k else [Var(a) for a in ca]
        jaxprs.append(ClosedJaxpr(Jaxpr([], pre + j.invars[nck:], j.outvars, j.eqns), []))
        all_consts += consts
    return tuple(jaxprs), all_consts, leaves, t0


def _bind_cond(index, funs, operands, names):
    branches, consts, leaves, out_tree = _trace_branches(funs, operands, names)
    outs = cond_p.bind(index, *consts, *leaves, branches=branches)
    return tree_unflatten(out_tree, outs)


def cond(pred, true_fun, false_fun, *operands, operand=None):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``; both
    branches are traced and must return the same types."""
    if operand is not None:
        operands = operands + (operand,)
    if not (callable(true_fun) and callable(false_fun)):
        raise TypeError("lax.cond: true_fun and false_fun arguments should be callable.")
    aval = get_aval(pred)
    if aval.shape != ():
        raise TypeError(f"Pred must be a scalar, got {pred} of shape {aval.shape}.")
    if aval.dtype.kind not in "biuf":
        raise TypeError(f"Pred type must be either boolean or number, got {aval.dtype}.")
    if aval.dtype.kind != "b":
        pred = _el.ne(pred, Array(np.zeros((), aval.dtype)[()], aval.weak_type))
    index = _st.convert_element_type(pred, np.int32)
    return _bind_cond(index, (false_fun, true_fun), operands, None)


def switch(index, branches, *operands, operand=None):
    """``branches[clamp(0, index, len(branches) - 1)](*operands)``."""
    if operand is not None:
        operands = operands + (operand,)
    branches = tuple(branches)
    if not branches:
        raise ValueError("Empty branch sequence")
    if not all(callable(b) for b in branches):
        raise TypeError("lax.switch: branches argument should be a sequence of callables.")
    aval = get_aval(index)
    if aval.shape != ():
        raise TypeError(f"Branch index must be scalar, got {index} of shape {aval.shape}.")
    if aval.dtype.kind not in "iu":
        raise TypeError(f"Index type must be an integer, got {index} of type {aval.dtype}.")
    if len(branches) == 1:
        return branches[0](*operands)
    if not isinstance(index, Tracer):
        i = int(core.concrete_value(index))
        index = Array(np.int32(min(max(i, 0), len(branches) - 1)))
    else:
        index = _st.convert_element_type(index, np.int32)
        index = _el.max(_el.min(index, Array(np.int32(len(branches) - 1))), Array(np.int32(0)))
    return _bind_cond(index, branches, operands, "switch")


# --------------------------------------------------------------------------
# while_loop

def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc = args[:cond_nconsts]
    bc = args[cond_nconsts:cond_nconsts + body_nconsts]
    carry = list(args[cond_nconsts + body_nconsts:])
    cf, bf = _program(cond_jaxpr), _program(body_jaxpr)
    while cf(*cc, *carry)[0]:
        carry = bf(*bc, *carry)
    return carry


def _while_abstract(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    carry = avals[cond_nconsts + body_nconsts:]
    outs = body_jaxpr.out_avals
    if len(outs) != len(carry) or any(a.shape != b.shape or a.dtype != b.dtype
                                      for a, b in _zip(outs, carry)):
        raise TypeError(f"while_loop body returns ({_avals_str(outs)}) for a carry of "
                        f"({_avals_str(carry)})")
    return list(outs)


while_p = Primitive("while", multiple_results=True)
while_p.def_impl(_while_impl)
while_p.def_abstract_eval(_while_abstract)
while_p.weak_type_rule = lambda args, params: [a.weak_type for a in params["body_jaxpr"].out_avals]

_WHILE_REVERSE_MSG = (
    "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
    "dynamic start/stop values. Try using lax.scan, or using fori_loop with static "
    "start/stop.")


def _while_jvp(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    ncc, nbc = cond_nconsts, body_nconsts
    cc = primals[:ncc]
    bc = primals[ncc:ncc + nbc]
    init = primals[ncc + nbc:]
    bc_t = tangents[ncc:ncc + nbc]
    init_t = tangents[ncc + nbc:]
    b_in = body_jaxpr.in_avals
    carry_avals = body_jaxpr.out_avals
    ncar = len(init)
    bnz = [type(t) is not ad.Zero and _is_float(a) for t, a in _zip(bc_t, b_in[:nbc])]
    cnz = [type(t) is not ad.Zero and _is_float(a) for t, a in _zip(init_t, carry_avals)]
    if not any(bnz) and not any(cnz):
        outs = while_p.bind(*primals, cond_jaxpr=cond_jaxpr, body_jaxpr=body_jaxpr,
                            cond_nconsts=ncc, body_nconsts=nbc)
        return outs, [_zero_tangent(a) for a in carry_avals]
    while True:
        jj, onz = jvp_jaxpr(body_jaxpr, bnz + cnz, cnz)
        new = [a or (b and _is_float(av)) for a, b, av in _zip(cnz, onz, carry_avals)]
        if new == cnz:
            break
        cnz = new
    j = jj.jaxpr
    iv = j.invars
    n_dbc, n_dc = sum(bnz), sum(cnz)
    body2 = ClosedJaxpr(Jaxpr(j.constvars, iv[:nbc] + iv[nbc + ncar:nbc + ncar + n_dbc]
                              + iv[nbc:nbc + ncar] + iv[nbc + ncar + n_dbc:],
                              j.outvars, j.eqns), jj.consts)
    cj = cond_jaxpr.jaxpr
    dc_avals = [a.to_tangent_aval() for a, n in _zip(carry_avals, cnz) if n]
    cond2 = ClosedJaxpr(Jaxpr(cj.constvars, list(cj.invars) + [Var(a) for a in dc_avals],
                              cj.outvars, cj.eqns), cond_jaxpr.consts)
    dbc = [t for t, n in _zip(bc_t, bnz) if n]
    dcar = [ad.instantiate_zeros(t) for t, n in _zip(init_t, cnz) if n]
    outs = while_p.bind(*cc, *bc, *dbc, *init, *dcar, cond_jaxpr=cond2, body_jaxpr=body2,
                        cond_nconsts=ncc, body_nconsts=nbc + n_dbc)
    primal_out, t_out = outs[:ncar], outs[ncar:]
    if _any_staged(list(dbc) + list(dcar)):
        # under linearize the tangents are staged: the primal result must be
        # computed from the primals alone
        primal_out = while_p.bind(*primals, cond_jaxpr=cond_jaxpr, body_jaxpr=body_jaxpr,
                                  cond_nconsts=ncc, body_nconsts=nbc)
    it = iter(t_out)
    return primal_out, [next(it) if n else _zero_tangent(a) for n, a in _zip(cnz, carry_avals)]


def _while_transpose(cts, *args, **params):
    raise ValueError(_WHILE_REVERSE_MSG)


def _while_batch(vals, dims, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    ncc, nbc = cond_nconsts, body_nconsts
    size = _axis_size(vals, dims)
    cc, bcs, carry = vals[:ncc], vals[ncc:ncc + nbc], list(vals[ncc + nbc:])
    ccd, bcd, cd = list(dims[:ncc]), list(dims[ncc:ncc + nbc]), dims[ncc + nbc:]
    ncar = len(carry)
    cb = [d is not None for d in cd]
    while True:
        cdims = [0 if b else None for b in cb]
        _, od = batch_jaxpr_auto(body_jaxpr, size, bcd + cdims)
        new = [b or d is not None for b, d in _zip(cb, od)]
        _, pd = batch_jaxpr_auto(cond_jaxpr, size, ccd + cdims)
        pred_b = pd[0] is not None
        if pred_b:
            new = [True] * ncar
        if new == cb:
            break
        cb = new
    carry = [batching.bdim_to(v, d, 0, size) if b else v for v, d, b in _zip(carry, cd, cb)]
    cdims = [0 if b else None for b in cb]
    if not pred_b:
        bcj = batch_jaxpr(cond_jaxpr, size, ccd + cdims, [None])
        bbj = batch_jaxpr(body_jaxpr, size, bcd + cdims, cdims)
        outs = while_p.bind(*cc, *bcs, *carry, cond_jaxpr=bcj, body_jaxpr=bbj,
                            cond_nconsts=ncc, body_nconsts=nbc)
        return outs, cdims
    # batched predicate: loop while any element is active; finished elements
    # keep their carry (select)
    bcj = batch_jaxpr(cond_jaxpr, size, ccd + cdims, [0])
    bbj = batch_jaxpr(body_jaxpr, size, bcd + cdims, cdims)
    cc_av = [get_aval(v) for v in cc]
    bc_av = [get_aval(v) for v in bcs]
    car_av = [get_aval(v) for v in carry]

    def new_cond(*args):
        p = core.eval_jaxpr(bcj.jaxpr, bcj.consts, *args)[0]
        from .reductions import reduce_or
        return [reduce_or(p, (0,))]

    def new_body(*args):
        ccv, bcv, car = args[:ncc], args[ncc:ncc + nbc], args[ncc + nbc:]
        p = core.eval_jaxpr(bcj.jaxpr, bcj.consts, *ccv, *car)[0]
        new = core.eval_jaxpr(bbj.jaxpr, bbj.consts, *bcv, *car)
        out = []
        for n, o in _zip(new, car):
            shape = get_aval(o).shape
            w = p if len(shape) == 1 else _st.broadcast_in_dim(p, shape, (0,))
            out.append(_el.select_n(w, o, n))
        # keep the carry's weak types (select_n of a broadcast value may drop them)
        return [_st.convert_element_type(x, a.dtype, weak_type=a.weak_type)
                for x, a in _zip(out, body_jaxpr.out_avals)]

    ncj = _trace_closed(new_cond, cc_av + car_av)
    nbj = _trace_closed(new_body, cc_av + bc_av + car_av)
    outs = while_p.bind(*cc, *cc, *bcs, *carry, cond_jaxpr=ncj, body_jaxpr=nbj,
                        cond_nconsts=ncc, body_nconsts=ncc + nbc)
    return outs, [0] * ncar


ad.primitive_jvps[while_p] = _while_jvp
ad.primitive_transposes[while_p] = _while_transpose
batching.primitive_batchers[while_p] = _while_batch


def _check_carry(what, in_avals, out_avals, in_tree, out_tree):
    if in_tree != out_tree:
        raise TypeError(
            f"{what} function carry input and carry output must have the same pytree "
            f"structure, but they differ: the input carry has structure {in_tree} and the "
            f"output carry has structure {out_tree}.")
    for k, (a, b) in enumerate(_zip(in_avals, out_avals)):
        if a.shape != b.shape or a.dtype != b.dtype:
            why = "the shapes do not match" if a.shape != b.shape else "the dtypes do not match"
            raise TypeError(
                f"{what} function carry input and carry output must have equal types "
                f"(e.g. shapes and dtypes of arrays), but they differ: the input carry "
                f"component {k} has type {a.str_short()} but the corresponding output carry "
                f"component has type {b.str_short()}, so {why}.")


def _carry_fixup(trace_body, leaves, avals, what, tree):
    """Trace the body; if weak types of carry in/out differ, make the carry
    strong where either side is, and trace again.  Returns (traced, leaves)."""
    traced = trace_body(avals, None)
    out_avals, out_tree = traced[3], traced[2]
    _check_carry(what, avals, out_avals, tree, out_tree)
    joined = [a.update(weak_type=a.weak_type and b.weak_type) for a, b in _zip(avals, out_avals)]
    if any(a.weak_type != j.weak_type for a, j in _zip(avals, joined)) or \
            any(b.weak_type != j.weak_type for b, j in _zip(out_avals, joined)):
        leaves = [_strong(x, j) for x, j in _zip(leaves, joined)]
        traced = trace_body(joined, joined)
    return traced, leaves


def while_loop(cond_fun, body_fun, init_val):
    """``while cond_fun(val): val = body_fun(val)`` as one primitive."""
    leaves, tree = tree_flatten(init_val)
    avals = [get_aval(x) for x in leaves]

    def trace_body(in_avals, casts):
        def call(*args):
            out = body_fun(tree_unflatten(tree, list(args)))
            if casts is None:
                return out
            ls, t = tree_flatten(out)
            if t != tree:
                return out
            return tree_unflatten(t, [_strong(x, a) for x, a in _zip(ls, casts)])
        cj, consts, out_tree = _trace_user(call, in_avals)
        return cj, consts, out_tree, cj.out_avals

    (body, bconsts, _, _), leaves = _carry_fixup(trace_body, leaves, avals, "body_fun", tree)
    avals = body.in_avals[len(bconsts):]
    cond_j, cconsts, _ = _trace_user(lambda *a: cond_fun(tree_unflatten(tree, list(a))), avals)
    co = cond_j.out_avals
    if len(co) != 1 or co[0].shape != () or co[0].dtype != np.bool_:
        raise TypeError(
            "cond_fun must return a boolean scalar, but got output type(s) "
            f"[{', '.join(repr(a) for a in co)}].")
    outs = while_p.bind(*cconsts, *bconsts, *leaves, cond_jaxpr=cond_j, body_jaxpr=body,
                        cond_nconsts=len(cconsts), body_nconsts=len(bconsts))
    return tree_unflatten(tree, outs)


# --------------------------------------------------------------------------
# scan

def _scan_impl(*args, jaxpr, length, reverse, num_consts, num_carry, unroll):
    consts = args[:num_consts]
    carry = list(args[num_consts:num_consts + num_carry])
    xs = args[num_consts + num_carry:]
    f = _program(jaxpr)
    y_avals = jaxpr.out_avals[num_carry:]
    ys = [np.empty((length,) + a.shape, a.dtype) for a in y_avals]
    for k in _range(length):
        i = length - 1 - k if reverse else k
        outs = f(*consts, *carry, *[x[i] for x in xs])
        carry = outs[:num_carry]
        for y, o in _zip(ys, outs[num_carry:]):
            y[i] = o
    c_avals = jaxpr.out_avals[:num_carry]
    carry = [np.asarray(c, a.dtype) if np.ndim(c) else a.dtype.type(c)
             for c, a in _zip(carry, c_avals)]
    return carry + ys


def _scan_abstract(*avals, jaxpr, length, reverse, num_consts, num_carry, unroll):
    xs = avals[num_consts + num_carry:]
    ins = jaxpr.in_avals
    for k, x in enumerate(xs):
        a = ins[num_consts + num_carry + k]
        if x.shape[:1] != (length,) or x.shape[1:] != a.shape or x.dtype != a.dtype:
            raise TypeError(f"scan: xs component {k} of type {x.str_short()} does not match "
                            f"length {length} and the body input {a.str_short()}")
    outs = jaxpr.out_avals
    return list(outs[:num_carry]) + [a.update(shape=(length,) + a.shape)
                                     for a in outs[num_carry:]]


scan_p = Primitive("scan", multiple_results=True)
scan_p.def_impl(_scan_impl)
scan_p.def_abstract_eval(_scan_abstract)
scan_p.weak_type_rule = lambda args, params: [a.weak_type for a in params["jaxpr"].out_avals]


def _scan_jvp(primals, tangents, *, jaxpr, length, reverse, num_consts, num_carry, unroll):
    nc, ncar = num_consts, num_carry
    n_in = len(primals)
    nx = n_in - nc - ncar
    in_avals = jaxpr.in_avals
    out_avals = jaxpr.out_avals
    ny = len(out_avals) - ncar
    nz = [type(t) is not ad.Zero and _is_float(a) for t, a in _zip(tangents, in_avals)]
    const_nz, carry_nz, xs_nz = nz[:nc], nz[nc:nc + ncar], nz[nc + ncar:]
    c_out = out_avals[:ncar]
    while True:
        jj, out_nz = jvp_jaxpr(jaxpr, const_nz + carry_nz + xs_nz, carry_nz + [False] * ny)
        new = [a or (b and _is_float(av)) for a, b, av in _zip(carry_nz, out_nz[:ncar], c_out)]
        if new == carry_nz:
            break
        carry_nz = new
    ys_nz = [n and _is_float(a) for n, a in _zip(out_nz[ncar:], out_avals[ncar:])]
    params = dict(length=length, reverse=reverse, unroll=unroll)
    if not any(carry_nz) and not any(ys_nz):
        outs = scan_p.bind(*primals, jaxpr=jaxpr, num_consts=nc, num_carry=ncar, **params)
        return outs, [_zero_tangent(get_aval(o)) for o in outs]
    kj, uj, res = _split_jaxpr(jj, n_in, ncar + ny)
    const_in = jj.jaxpr.invars[:nc]
    inv = [r for r in res if r in const_in]       # loop-invariant residuals: constants
    stk = [r for r in res if r not in const_in]   # per-iteration residuals: stacked
    k = kj.jaxpr
    known = ClosedJaxpr(Jaxpr(k.constvars, k.invars, k.outvars[:ncar + ny] + stk, k.eqns),
                        kj.consts)
    outs = scan_p.bind(*primals, jaxpr=known, num_consts=nc, num_carry=ncar, **params)
    carry_out, ys, stacked = outs[:ncar], outs[ncar:ncar + ny], outs[ncar + ny:]
    u = uj.jaxpr
    nres = len(res)
    nd_c, nd_car = sum(const_nz), sum(carry_nz)
    d_ins = u.invars[nres:]
    tan = ClosedJaxpr(Jaxpr(u.constvars, inv + d_ins[:nd_c] + d_ins[nd_c:nd_c + nd_car] + stk
                            + d_ins[nd_c + nd_car:], u.outvars, u.eqns), uj.consts)
    inv_vals = [primals[const_in.index(r)] for r in inv]
    dconsts = [t for t, n in _zip(tangents[:nc], const_nz) if n]
    dcarry = [ad.instantiate_zeros(t) for t, n in _zip(tangents[nc:nc + ncar], carry_nz) if n]
    dxs = [t for t, n in _zip(tangents[nc + ncar:], xs_nz) if n]
    t_out = scan_p.bind(*inv_vals, *dconsts, *dcarry, *stacked, *dxs, jaxpr=tan,
                        num_consts=len(inv) + nd_c, num_carry=nd_car, **params)
    it = iter(t_out)
    out_t = [next(it) if n else _zero_tangent(a) for n, a in _zip(carry_nz, c_out)]
    out_t += [next(it) if n else _zero_tangent(get_aval(y)) for n, y in _zip(ys_nz, ys)]
    del nx
    return list(carry_out) + list(ys), out_t


def _scan_transpose(cts, *args, jaxpr, length, reverse, num_consts, num_carry, unroll):
    nc, ncar = num_consts, num_carry
    consts, carry, xs = args[:nc], args[nc:nc + ncar], args[nc + ncar:]
    in_avals = jaxpr.in_avals
    out_avals = jaxpr.out_avals
    c_lin = [ad.is_undefined_primal(x) for x in consts]
    x_lin = [ad.is_undefined_primal(x) for x in xs]
    tj = transpose_jaxpr(jaxpr, c_lin + [True] * ncar + x_lin)
    rc = [x for x, lin in _zip(consts, c_lin) if not lin]
    rx = [x for x, lin in _zip(xs, x_lin) if not lin]
    n_rc, n_lc, n_rx = len(rc), nc - len(rc), len(rx)
    lc_avals = [a.to_tangent_aval() for a, lin in _zip(in_avals[:nc], c_lin) if lin]
    car_t_avals = [a.to_tangent_aval() for a in in_avals[nc:nc + ncar]]
    cts = [ad.zeros_like_aval(a.to_tangent_aval()) if (c is None or type(c) is ad.Zero) else c
           for c, a in _zip(cts, out_avals[:ncar])] + \
          [ad.zeros_like_aval(a.update(shape=(length,) + a.shape).to_tangent_aval())
           if (c is None or type(c) is ad.Zero) else c for c, a in _zip(cts[ncar:], out_avals[ncar:])]
    ct_carry, ct_ys = cts[:ncar], cts[ncar:]

    def body(*a):
        r_c = a[:n_rc]
        acc = a[n_rc:n_rc + n_lc]
        ctc = a[n_rc + n_lc:n_rc + n_lc + ncar]
        r_x = a[n_rc + n_lc + ncar:n_rc + n_lc + ncar + n_rx]
        cty = a[n_rc + n_lc + ncar + n_rx:]
        outs = core.eval_jaxpr(tj.jaxpr, tj.consts, *r_c, *r_x, *ctc, *cty)
        ct_lc, ct_c, ct_lx = outs[:n_lc], outs[n_lc:n_lc + ncar], outs[n_lc + ncar:]
        return [ad.add_any_p.bind(x, y) for x, y in _zip(acc, ct_lc)] + list(ct_c) + list(ct_lx)

    rc_avals = [get_aval(x) for x in rc]
    rx_avals = [a for a, lin in _zip(in_avals[nc + ncar:], x_lin) if not lin]
    cty_avals = [a.to_tangent_aval() for a in out_avals[ncar:]]
    tbody = _trace_closed(body, rc_avals + lc_avals + car_t_avals + rx_avals + cty_avals)
    acc0 = [ad.zeros_like_aval(a) for a in lc_avals]
    outs = scan_p.bind(*rc, *acc0, *ct_carry, *rx, *ct_ys, jaxpr=tbody, length=length,
                       reverse=not reverse, num_consts=n_rc, num_carry=n_lc + ncar,
                       unroll=unroll)
    acc, ct_init, ct_lx = outs[:n_lc], outs[n_lc:n_lc + ncar], outs[n_lc + ncar:]
    ia, ix = iter(acc), iter(ct_lx)
    res = [next(ia) if lin else None for lin in c_lin]
    res += [c if ad.is_undefined_primal(x) else None for c, x in _zip(ct_init, carry)]
    res += [next(ix) if lin else None for lin in x_lin]
    return res


def _scan_batch(vals, dims, *, jaxpr, length, reverse, num_consts, num_carry, unroll):
    nc, ncar = num_consts, num_carry
    size = _axis_size(vals, dims)
    consts, carry, xs = vals[:nc], vals[nc:nc + ncar], vals[nc + ncar:]
    cdims, car_d, xd = list(dims[:nc]), dims[nc:nc + ncar], dims[nc + ncar:]
    cb = [d is not None for d in car_d]
    x_in = [None if d is None else 0 for d in xd]
    while True:
        in_dims = cdims + [0 if b else None for b in cb] + x_in
        _, od = batch_jaxpr_auto(jaxpr, size, in_dims)
        new = [b or d is not None for b, d in _zip(cb, od[:ncar])]
        if new == cb:
            break
        cb = new
    y_dims = od[ncar:]
    car_out = [0 if b else None for b in cb]
    bj = batch_jaxpr(jaxpr, size, in_dims, car_out + list(y_dims))
    carry = [batching.bdim_to(v, d, 0, size) if b else v for v, d, b in _zip(carry, car_d, cb)]
    xs = [v if d is None else batching.moveaxis(v, d, 1) for v, d in _zip(xs, xd)]
    outs = scan_p.bind(*consts, *carry, *xs, jaxpr=bj, length=length, reverse=reverse,
                       num_consts=nc, num_carry=ncar, unroll=unroll)
    return outs, car_out + [None if d is None else 1 for d in y_dims]


ad.primitive_jvps[scan_p] = _scan_jvp
ad.primitive_transposes[scan_p] = _scan_transpose
batching.primitive_batchers[scan_p] = _scan_batch


def scan(f, init, xs=None, length=None, reverse=False, unroll=1, _split_transpose=False):
    """Scan ``f: (carry, x) -> (carry, y)`` over the leading axis of ``xs``;
    returns ``(final carry, stacked ys)``."""
    if not callable(f):
        raise TypeError("lax.scan: f argument should be callable.")
    x_leaves, x_tree = tree_flatten(xs)
    x_avals = [get_aval(x) for x in x_leaves]
    for a in x_avals:
        if a.ndim == 0:
            raise ValueError("scan got value with no leading axis to scan over: "
                             f"{a.str_short()}.")
    lengths = {a.shape[0] for a in x_avals}
    if length is not None:
        try:
            length = operator.index(length)
        except TypeError:
            raise core.ConcretizationTypeError(
                "The `length` argument to `scan` expects a concrete `int` value.") from None
        if lengths and lengths != {length}:
            raise ValueError(f"scan got `length` argument of {length} which disagrees with "
                             f"leading axis sizes {sorted(lengths)}.")
    elif not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    elif len(lengths) > 1:
        raise ValueError(f"scan got values with different leading axis sizes: "
                         f"{', '.join(str(a.shape[0]) for a in x_avals)}.")
    else:
        length = lengths.pop()
    if isinstance(unroll, bool):
        unroll = max(length, 1) if unroll else 1
    unroll = int(unroll)
    c_leaves, c_tree = tree_flatten(init)
    c_avals = [get_aval(c) for c in c_leaves]
    nc = len(c_leaves)
    xs_slice = [a.update(shape=a.shape[1:]) for a in x_avals]
    y_tree_box = []

    def trace_body(in_avals, casts):
        out_tree_box = []

        def call(*args):
            out = f(tree_unflatten(c_tree, list(args[:nc])),
                    tree_unflatten(x_tree, list(args[nc:])))
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("scan body output must be a pair, got "
                                f"{type(out).__name__}.")
            new_c, y = out
            cl, ct = tree_flatten(new_c)
            out_tree_box.append(ct)
            if casts is not None and ct == c_tree:
                cl = [_strong(x, a) for x, a in _zip(cl, casts)]
            y_tree_box.append(tree_flatten(y)[1])
            return cl + tree_flatten(y)[0]
        cj, consts, _ = _trace_user(call, list(in_avals) + xs_slice)
        return cj, consts, out_tree_box[0], cj.out_avals[:nc]

    (body, consts, _, _), c_leaves = _carry_fixup(trace_body, c_leaves, c_avals,
                                                  "scan body", c_tree)
    outs = scan_p.bind(*consts, *c_leaves, *x_leaves, jaxpr=body, length=length,
                       reverse=bool(reverse), num_consts=len(consts), num_carry=nc,
                       unroll=unroll)
    return tree_unflatten(c_tree, outs[:nc]), tree_unflatten(y_tree_box[-1], outs[nc:])


def _int_dtype(*xs):
    dt = np.result_type(*[get_aval(x).dtype for x in xs])
    return dtypes.canonicalize_dtype(dt), all(get_aval(x).weak_type for x in xs)


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """``for i in range(lower, upper): val = body_fun(i, val)``.  A scan (so
    reverse-differentiable) when ``lower`` and ``upper`` are concrete, else a
    while_loop."""
    for v in (lower, upper):
        if get_aval(v).dtype.kind not in "iu":
            raise TypeError("lax.fori_loop: lower and upper must be integers, got "
                            f"{get_aval(v).str_short()}.")
    dt, weak = _int_dtype(lower, upper)
    one = Array(dt.type(1), weak)
    if not isinstance(lower, Tracer) and not isinstance(upper, Tracer):
        lo = int(core.concrete_value(lower))
        hi = int(core.concrete_value(upper))
        i0 = Array(dt.type(lo), weak)

        def step(carry, _):
            i, x = carry
            return (_el.add(i, one), body_fun(i, x)), None

        (_, out), _ = scan(step, (i0, init_val), None, length=max(hi - lo, 0),
                           unroll=1 if unroll is None else unroll)
        return out
    lower = _st.convert_element_type(lower, dt, weak_type=weak)
    upper = _st.convert_element_type(upper, dt, weak_type=weak)

    def cond_fun(c):
        return _el.lt(c[0], c[1])

    def body(c):
        i, u, x = c
        return (_el.add(i, one), u, body_fun(i, x))

    return while_loop(cond_fun, body, (lower, upper, init_val))[2]


def map(f, xs, *, batch_size=None):  # noqa: A001  (lax.map, as in JAX)
    """``f`` applied to each slice of ``xs`` along its leading axis, as a scan."""
    _, ys = scan(lambda _, x: ((), f(x)), (), xs)
    return ys


# --------------------------------------------------------------------------
# associative_scan (parallel prefix, from slices; no primitive)

def _interleave(a, b, axis):
    """Elements of ``a`` and ``b`` alternated along ``axis`` (a first);
    ``a`` has as many elements as ``b`` or one more."""
    na = get_aval(a).shape[axis]
    nb = get_aval(b).shape[axis]
    shape = get_aval(a).shape
    if nb < na:
        cfg = [(0, 0, 0)] * len(shape)
        cfg[axis] = (0, na - nb, 0)
        b = _st.pad(b, Array(np.zeros((), get_aval(b).dtype)[()]), cfg)
    nd = len(shape)
    ea = _st.broadcast_in_dim(a, shape[:axis + 1] + (1,) + shape[axis + 1:],
                              tuple(d if d <= axis else d + 1 for d in _range(nd)))
    eb = _st.broadcast_in_dim(b, shape[:axis + 1] + (1,) + shape[axis + 1:],
                              tuple(d if d <= axis else d + 1 for d in _range(nd)))
    both = _st.concatenate([ea, eb], axis + 1)
    out_shape = shape[:axis] + (2 * na,) + shape[axis + 1:]
    out = _st.reshape(both, out_shape)
    return _st.slice_in_dim(out, 0, na + nb, 1, axis)


def associative_scan(fn, elems, reverse=False, axis=0):
    """Inclusive scan of the associative ``fn`` along ``axis``, in
    O(log n) levels of elementwise work."""
    leaves, tree = tree_flatten(elems)
    if not leaves:
        return elems
    nd = get_aval(leaves[0]).ndim
    if not -nd <= axis < nd:
        raise ValueError(f"axis {axis} is out of bounds for arrays of rank {nd}")
    axis = axis % nd
    sizes = {get_aval(x).shape[axis] for x in leaves}
    if len(sizes) != 1:
        raise ValueError("Array inputs to associative_scan must have the same first "
                         f"dimension. (saw: {sorted(sizes)})")
    if reverse:
        from .indexing import rev
        leaves = [rev(x, (axis,)) for x in leaves]

    def combine(a, b):
        # (reverse=True scans the flipped elements with fn unchanged, as JAX does)
        out = fn(tree_unflatten(tree, a), tree_unflatten(tree, b))
        ol, ot = tree_flatten(out)
        if ot != tree:
            raise ValueError(f"associative_scan: fn returned structure {ot}, expected {tree}")
        return ol

    def sl(x, start, stop, stride=1):
        n = get_aval(x).shape[axis]
        stop = n + stop if stop is not None and stop < 0 else (n if stop is None else stop)
        return _st.slice_in_dim(x, start, max(stop, start), stride, axis)

    def rec(xs):
        n = get_aval(xs[0]).shape[axis]
        if n < 2:
            return xs
        pairs = combine([sl(x, 0, -1, 2) for x in xs], [sl(x, 1, None, 2) for x in xs])
        odd = rec(pairs)
        if n % 2 == 0:
            even = combine([sl(o, 0, -1) for o in odd], [sl(x, 2, None, 2) for x in xs])
        else:
            even = combine(odd, [sl(x, 2, None, 2) for x in xs])
        even = [_st.concatenate([sl(x, 0, 1), e], axis) for x, e in _zip(xs, even)]
        return [_interleave(e, o, axis) for e, o in _zip(even, odd)]

    out = rec(list(leaves))
    if reverse:
        from .indexing import rev
        out = [rev(x, (axis,)) for x in out]
    return tree_unflatten(tree, out)
