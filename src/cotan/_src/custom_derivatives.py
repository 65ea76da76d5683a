"""Custom derivative rules (custom_jvp, custom_vjp), pure_callback,
eval_shape and closure_convert.

Design
------
* ``custom_jvp_call_p`` carries the function's ClosedJaxpr (``call_jaxpr``)
  and the user's JVP rule traced to a ClosedJaxpr (``jvp_jaxpr``: primals and
  instantiated tangents in, primal and tangent outputs out).  Its impl runs
  the function; its JVP rule evaluates ``jvp_jaxpr`` (so the rule is itself
  differentiable: higher order works); batching batches both jaxprs.
* ``custom_vjp_call_p`` carries ``call_jaxpr``, the fwd rule as a ClosedJaxpr
  (``fwd_jaxpr``: inputs -> outputs and residual leaves) and the bwd rule (a
  flat Python callable).  Its JVP rule runs fwd and records the linear
  ``custom_lin_p`` on (residuals, tangents); transposing ``custom_lin_p`` calls
  bwd.  Evaluating ``custom_lin_p`` forward (plain ``jvp``) raises JAX's
  TypeError.
* Tracers a function closes over are hoisted out of the traced jaxprs and
  passed as explicit (leading) arguments of the call primitive.
* With no transformation active, both decorators just call the function.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from . import core, dtypes
from . import tree_util as tu
from .core import ShapedArray, get_aval
from .interpreters import ad, batching
from .interpreters import jaxpr_transforms as jt
from .interpreters import partial_eval as pe
from .shape import ShapeDtypeStruct

__all__ = ["custom_jvp", "custom_vjp", "pure_callback", "eval_shape", "closure_convert"]


# --------------------------------------------------------------------------
# helpers


def _trace_hoisted(flat_fn, in_avals):
    """Trace ``flat_fn``; constants that are tracers become leading inputs.
    Returns (ClosedJaxpr, hoisted tracer list)."""
    jaxpr, consts = pe.trace_to_jaxpr(flat_fn, in_avals)
    hv, hc, cv, cc = [], [], [], []
    for v, c in zip(jaxpr.constvars, consts):
        if isinstance(c, core.Tracer):
            hv.append(v)
            hc.append(c)
        else:
            cv.append(v)
            cc.append(c)
    j = core.Jaxpr(cv, hv + list(jaxpr.invars), jaxpr.outvars, jaxpr.eqns)
    return core.ClosedJaxpr(j, cc), hc


def _fun_name(f):
    return getattr(f, "__name__", type(f).__name__)


def _resolve_kwargs(fun, args, kwargs):
    if not kwargs:
        return tuple(args)
    try:
        ba = inspect.signature(fun).bind(*args, **kwargs)
    except (TypeError, ValueError) as e:
        raise TypeError(f"custom derivative function {_fun_name(fun)}: {e}") from None
    ba.apply_defaults()
    if ba.kwargs:
        raise TypeError("keyword-only arguments are not supported by custom_jvp/custom_vjp "
                        f"functions (got {sorted(ba.kwargs)})")
    return tuple(ba.args)


def _split_static(kind, fun, args, nondiff_argnums):
    n = len(args)
    nd = tuple(sorted(i % n if -n <= i < n else i for i in nondiff_argnums))
    for i in nd:
        if not 0 <= i < n:
            raise TypeError(f"{kind} function {_fun_name(fun)} has nondiff_argnums={nondiff_argnums} "
                            f"but was called with only {n} positional arguments.")
    static = []
    for i in nd:
        a = args[i]
        try:
            hash(a)
        except TypeError:
            raise TypeError(
                f"{kind} function {_fun_name(fun)}: the argument at nondiff_argnums position {i} "
                f"(of type {type(a).__name__}) is not hashable. nondiff_argnums is for static, "
                "hashable Python values (functions, ints, strings, tuples); pass arrays as regular "
                "(differentiable) arguments instead.") from None
        static.append(a)
    dyn = [a for i, a in enumerate(args) if i not in nd]
    return nd, static, dyn


def _merge(nd, static, dyn):
    out = list(dyn)
    for i, s in zip(nd, static):
        out.insert(i, s)
    return out


def _same_type(a, b):
    return a.shape == b.shape and a.dtype == b.dtype


def _call_impl(*args, call_jaxpr, **_):
    from .interpreters.jit import compiled
    return compiled(call_jaxpr).fn(*args)


def _call_abstract(*avals, call_jaxpr, **_):
    return list(call_jaxpr.out_avals)


def _call_weak(args, params):
    return [a.weak_type for a in params["call_jaxpr"].out_avals]


def _axis_size(vals, dims):
    for v, d in zip(vals, dims):
        if d is not None:
            return get_aval(v).shape[d]
    raise AssertionError


def _zero_tangent(aval):
    return ad.zeros_like_aval(aval.to_tangent_aval())


# --------------------------------------------------------------------------
# custom_jvp

custom_jvp_call_p = core.Primitive("custom_jvp_call", multiple_results=True)
custom_jvp_call_p.def_impl(_call_impl)
custom_jvp_call_p.def_abstract_eval(_call_abstract)
custom_jvp_call_p.weak_type_rule = _call_weak


class custom_jvp:
    """A function with a custom JVP rule (``jax.custom_jvp``)."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp = None
        self.symbolic_zeros = False

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def defjvp(self, jvp, symbolic_zeros=False):
        """Set the JVP rule ``jvp(primals, tangents) -> (primal_out, tangent_out)``.
        With ``symbolic_zeros=True`` the rule receives :class:`SymbolicZero`
        objects for tangents known to be zero (instead of arrays of zeros)
        and may return them for zero output tangents."""
        self.jvp = jvp
        self.symbolic_zeros = bool(symbolic_zeros)
        return jvp

    def defjvps(self, *jvps):
        if self.nondiff_argnums:
            raise TypeError("Can't use ``defjvps`` with ``nondiff_argnums``.")

        def jvp(primals, tangents):
            primal_out = self(*primals)
            zeros = tu.tree_map(lambda p: _zero_tangent(get_aval(p)), primal_out)
            acc = None
            for f, t in zip(jvps, tangents):
                if f is None:
                    continue
                c = f(t, primal_out, *primals)
                acc = c if acc is None else tu.tree_map(lambda a, b: a + b, acc, c)
            return primal_out, (zeros if acc is None else acc)

        self.defjvp(jvp)

    def __call__(self, *args, **kwargs):
        name = _fun_name(self.fun)
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {name} using defjvp.")
        args = _resolve_kwargs(self.fun, args, kwargs)
        nd, static, dyn = _split_static("custom_jvp", self.fun, args, self.nondiff_argnums)
        if not core._state.stack:
            return self.fun(*args)
        leaves, in_tree = tu.tree_flatten(dyn)
        in_avals = [get_aval(x) for x in leaves]
        n = len(leaves)
        box = []

        def flat_fun(*xs):
            out = self.fun(*_merge(nd, static, tu.tree_unflatten(in_tree, xs)))
            o, t = tu.tree_flatten(out)
            box.append(t)
            return o

        call_cj, fconsts = _trace_hoisted(flat_fun, in_avals)
        out_tree = box[0]
        rule = _JvpRule(self.jvp, name, tuple(static), in_tree, out_tree, call_cj.out_avals)
        rule.symbolic_zeros = self.symbolic_zeros
        outs = custom_jvp_call_p.bind(*fconsts, *leaves, call_jaxpr=call_cj, jvp=rule,
                                      num_consts=len(fconsts))
        return tu.tree_unflatten(out_tree, outs)


class SymbolicZero:
    """A tangent known to be zero, given to JVP rules defined with
    ``symbolic_zeros=True`` (``jax.custom_derivatives.SymbolicZero``)."""

    def __init__(self, aval):
        # (a ShapedArray, or anything with .shape and .dtype such as ShapeDtypeStruct)
        self.aval = core.ShapedArray(aval.shape, aval.dtype)

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)

    def instantiate(self):
        return ad.zeros_like_aval(self.aval)

    def __repr__(self):
        return f"SymbolicZero({self.aval.str_short()})"


class _JvpRule:
    """The user's JVP rule as a flat function (called lazily, when a JVP is
    needed): (primal leaves, tangent leaves) -> (output leaves, tangent leaves)."""

    symbolic_zeros = False

    def __init__(self, jvp, name, static, in_tree, out_tree, out_avals):
        self.jvp = jvp
        self.name = name
        self.__name__ = _fun_name(jvp)
        self.static = static
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.out_avals = out_avals

    def __call__(self, xs, ts):
        jvp, name, out_tree = self.jvp, self.name, self.out_tree
        ps = tu.tree_unflatten(self.in_tree, list(xs))
        tt = tu.tree_unflatten(self.in_tree, list(ts))
        res = jvp(*self.static, tuple(ps), tuple(tt))
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(
                f"Custom JVP rule {_fun_name(jvp)} for function {name} must produce a pair "
                f"(list or tuple of length two) representing primal and tangent outputs, "
                f"but got {res!r}.")
        po, to = res
        po_l, po_t = tu.tree_flatten(po)
        to_l, to_t = tu.tree_flatten(to)
        if po_t != out_tree:
            raise TypeError(
                f"Custom JVP rule {_fun_name(jvp)} for function {name} must produce primal "
                "outputs with the same container (pytree) structure as the custom_jvp-decorated "
                f"function's output, but got {po_t} and {out_tree} respectively.")
        if to_t != po_t:
            raise TypeError(
                "Custom JVP rule must produce primal and tangent outputs with equal container "
                f"(pytree) structures, but got {po_t} and {to_t} respectively.")
        fixed_t = []
        to_l = [ad.Zero(get_aval(p).to_tangent_aval()) if isinstance(t, SymbolicZero) else t
                for t, p in zip(to_l, po_l)]
        for i, (p, t, want) in enumerate(zip(po_l, to_l, self.out_avals)):
            pa = get_aval(p)
            if not _same_type(pa, want):
                raise TypeError(
                    f"Custom JVP rule {_fun_name(jvp)} for function {name} must produce primal "
                    f"outputs with the same shapes and dtypes as the function's outputs, but "
                    f"output {i} is {pa.str_short()} while the function gives {want.str_short()}.")
            wt = want.to_tangent_aval()
            if wt.dtype == dtypes.float0 or type(t) is ad.Zero:
                fixed_t.append(ad.Zero(wt))
                continue
            ta = get_aval(t)
            if ta.shape != wt.shape or ta.dtype != wt.dtype:
                raise TypeError(
                    "Custom JVP rule must produce primal and tangent outputs with corresponding "
                    f"shapes and dtypes, but output {i} has primal {pa.str_short()} and tangent "
                    f"{ta.str_short()} (expected tangent {wt.str_short()}).")
            fixed_t.append(t)
        return list(po_l), fixed_t


class _BatchedJvpRule:
    def __init__(self, rule, size, dims, out_avals):
        self.rule = rule
        self.size = size
        self.dims = dims
        self.out_avals = out_avals

    def __call__(self, xs, ts):
        n = len(xs)
        no = len(self.out_avals)

        def f(*a):
            outs, touts = self.rule(list(a[:n]), list(a[n:]))
            return list(outs) + [ad.instantiate_zeros(t) for t in touts]

        dims = list(self.dims) + list(self.dims)
        res = batching.batch_flat(f, list(xs) + list(ts), dims, self.size, None,
                                  lambda m: [0] * m)
        return res[:no], res[no:]


def _custom_jvp_call_jvp(primals, tangents, *, call_jaxpr, jvp, num_consts):
    nf = num_consts
    fc, xs = primals[:nf], primals[nf:]
    if getattr(jvp, "symbolic_zeros", False):
        txs = [SymbolicZero(t.aval) if type(t) is ad.Zero else t for t in tangents[nf:]]
    else:
        txs = [ad.instantiate_zeros(t) for t in tangents[nf:]]
    outs, touts = jvp(list(xs), txs)
    touts = [ad.Zero(a.to_tangent_aval()) if a.to_tangent_aval().dtype == dtypes.float0 else t
             for t, a in zip(touts, call_jaxpr.out_avals)]
    fts = tangents[:nf]
    if any(type(t) is not ad.Zero for t in fts):
        # derivative w.r.t. values the function closes over: autodiff of the
        # function itself (the custom rule covers the explicit arguments)
        _, t2 = ad.jvp_flat(lambda *a: core.eval_jaxpr(call_jaxpr.jaxpr, call_jaxpr.consts, *a),
                            list(fc) + list(xs),
                            list(fts) + [ad.Zero(get_aval(x).to_tangent_aval()) for x in xs])
        touts = [ad.add_tangents(a, b) for a, b in zip(touts, t2)]
    return outs, touts


def _custom_jvp_call_batch(vals, dims, *, call_jaxpr, jvp, num_consts):
    size = _axis_size(vals, dims)
    nf = num_consts
    n = len(call_jaxpr.out_avals)
    bcall = jt.batch_jaxpr(call_jaxpr, size, list(dims), [0] * n)
    xd = list(dims[nf:])
    if any(d is not None for d in dims[:nf]):
        # a closed-over batched value: the rule sees it through its closure;
        # batching the rule over the explicit arguments alone is still right
        pass
    brule = _BatchedJvpRule(jvp, size, xd, call_jaxpr.out_avals)
    outs = custom_jvp_call_p.bind(*vals, call_jaxpr=bcall, jvp=brule, num_consts=nf)
    return outs, [0] * n


ad.primitive_jvps[custom_jvp_call_p] = _custom_jvp_call_jvp
batching.primitive_batchers[custom_jvp_call_p] = _custom_jvp_call_batch


# --------------------------------------------------------------------------
# custom_vjp

custom_vjp_call_p = core.Primitive("custom_vjp_call", multiple_results=True)
custom_vjp_call_p.def_impl(_call_impl)
custom_vjp_call_p.def_abstract_eval(_call_abstract)
custom_vjp_call_p.weak_type_rule = _call_weak

custom_lin_p = core.Primitive("custom_lin", multiple_results=True)


def _custom_lin_impl(*args, **params):
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")


custom_lin_p.def_impl(_custom_lin_impl)
custom_lin_p.def_abstract_eval(lambda *avals, num_res, bwd, out_avals: list(out_avals))


class _Bwd:
    """The user's bwd as a flat function: (residual leaves, output cotangent
    leaves) -> one cotangent (or None) per differentiable input leaf."""

    def __init__(self, bwd, name, static, fwd, out_tree, arg_trees, in_avals):
        self.bwd = bwd
        self.name = name
        self.__name__ = _fun_name(bwd)
        self.static = static
        self.fwd = fwd
        self.out_tree = out_tree
        self.arg_trees = arg_trees
        self.in_avals = in_avals

    def __call__(self, res, cts):
        r = tu.tree_unflatten(self.fwd.res_tree, list(res))
        ct = tu.tree_unflatten(self.out_tree, list(cts))
        out = self.bwd(*self.static, r, ct)
        bname = _fun_name(self.bwd)
        nargs = len(self.arg_trees)
        if not isinstance(out, (tuple, list)):
            raise TypeError(
                f"Custom VJP bwd rule {bname} for function {self.name} must produce a tuple of "
                f"length equal to the number of (non-nondiff_argnums) arguments of the primal "
                f"function ({nargs}), but got a value of type {type(out).__name__}.")
        if len(out) != nargs:
            raise TypeError(
                f"Custom VJP bwd rule {bname} for function {self.name} must produce a tuple of "
                f"length equal to the primal args tuple ({nargs}), but got length {len(out)}.")
        flat = []
        k = 0
        for i, (o, tree) in enumerate(zip(out, self.arg_trees)):
            nl = tree.num_leaves
            if o is None:
                flat.extend([None] * nl)
                k += nl
                continue
            o_leaves, o_tree = tu.tree_flatten(o, is_leaf=lambda x: x is None)
            shape_tree = tu.tree_structure(tu.tree_unflatten(tree, [0] * nl))
            got_tree = tu.tree_structure(tu.tree_unflatten(o_tree, [0] * len(o_leaves)))
            if got_tree != shape_tree:
                raise TypeError(
                    f"Custom VJP bwd rule {bname} for function {self.name} must produce an output "
                    "with the same container (pytree) structure as the args tuple of the primal "
                    f"function; for argument {i} the bwd rule produced {got_tree} where "
                    f"{shape_tree} was expected.")
            for leaf in o_leaves:
                want = self.in_avals[k].to_tangent_aval()
                k += 1
                if leaf is None or want.dtype == dtypes.float0:
                    flat.append(None)
                    continue
                ga = get_aval(leaf)
                if ga.shape != want.shape:
                    raise ValueError(
                        f"Custom VJP bwd rule {bname} for function {self.name} must produce an "
                        "output with the same shape/dtypes as the args tuple of the primal "
                        f"function, but argument {i} got cotangent {ga.str_short()} for an input "
                        f"of type {want.str_short()}.")
                if ga.dtype != want.dtype:
                    from .lax.structural import convert_element_type
                    leaf = convert_element_type(leaf, want.dtype)
                flat.append(leaf)
        return flat


class _BatchedBwd:
    def __init__(self, bwd, size, in_avals, in_dims):
        self.bwd = bwd
        self.size = size
        self.in_avals = in_avals
        self.in_dims = in_dims

    def __call__(self, res, cts):
        from .lax.structural import reduce_sum
        nr = len(res)
        keep = [a.to_tangent_aval().dtype != dtypes.float0 for a in self.in_avals]

        def f(*a):
            outs = self.bwd(list(a[:nr]), list(a[nr:]))
            return [_zero_tangent(av) if o is None else o
                    for o, av, k in zip(outs, self.in_avals, keep) if k]

        vals = list(res) + list(cts)
        outs = iter(batching.batch_flat(f, vals, [0] * len(vals), self.size, None,
                                        lambda m: [0] * m))
        result = []
        for k, d in zip(keep, self.in_dims):
            if not k:
                result.append(None)
                continue
            o = next(outs)
            result.append(reduce_sum(o, (0,)) if d is None else batching.moveaxis(o, 0, d))
        return result


class custom_vjp:
    """A function with a custom VJP rule (``jax.custom_vjp``)."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = None
        self.bwd = None

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def defvjp(self, fwd, bwd, symbolic_zeros=False, optimize_remat=False):
        if symbolic_zeros:
            raise NotImplementedError("custom_vjp.defvjp(symbolic_zeros=True) is not supported "
                                      "by cotan.")
        self.fwd = fwd
        self.bwd = bwd

    def __call__(self, *args, **kwargs):
        name = _fun_name(self.fun)
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {name} using defvjp.")
        args = _resolve_kwargs(self.fun, args, kwargs)
        nd, static, dyn = _split_static("custom_vjp", self.fun, args, self.nondiff_argnums)
        if not core._state.stack:
            return self.fun(*args)
        leaves, in_tree = tu.tree_flatten(dyn)
        arg_trees = [tu.tree_structure(a) for a in dyn]
        in_avals = [get_aval(x) for x in leaves]
        box = []

        def flat_fun(*xs):
            out = self.fun(*_merge(nd, static, tu.tree_unflatten(in_tree, xs)))
            o, t = tu.tree_flatten(out)
            box.append(t)
            return o

        call_cj, fconsts = _trace_hoisted(flat_fun, in_avals)
        out_tree = box[0]
        fwd = _FwdRule(self.fwd, name, tuple(static), nd, in_tree, out_tree, call_cj.out_avals)
        bwd = _Bwd(self.bwd, name, tuple(static), fwd, out_tree, arg_trees, in_avals)
        outs = custom_vjp_call_p.bind(*fconsts, *leaves, call_jaxpr=call_cj, fwd=fwd, bwd=bwd,
                                      num_consts=len(fconsts))
        return tu.tree_unflatten(out_tree, outs)


class _FwdRule:
    """The user's fwd rule as a flat function (called lazily, when
    differentiating): input leaves -> (output leaves, residual leaves)."""

    def __init__(self, fwd, name, static, nd, in_tree, out_tree, out_avals):
        self.fwd = fwd
        self.name = name
        self.__name__ = _fun_name(fwd)
        self.static = static
        self.nd = nd
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.out_avals = out_avals
        self.res_tree = None

    def __call__(self, xs):
        fwd, name, out_tree = self.fwd, self.name, self.out_tree
        fname = _fun_name(fwd)
        res = fwd(*_merge(self.nd, self.static, tu.tree_unflatten(self.in_tree, list(xs))))
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(
                f"Custom VJP fwd rule {fname} for function {name} must produce a pair (list "
                "or tuple of length two) representing primal outputs and residuals (values "
                "stored from the forward pass for use on the backward pass), got "
                f"{type(res).__name__}.")
        out, r = res
        o_l, o_t = tu.tree_flatten(out)
        if o_t != out_tree:
            raise TypeError(
                f"Custom VJP fwd rule {fname} for function {name} must produce a pair (list "
                "or tuple of length two) where the first element represents the primal "
                f"output (equal to the output of the custom_vjp-decorated function {name}), "
                "and in particular must be of the same container (pytree) structure as the "
                f"primal output. However, the fwd output primal structure {o_t} differs from "
                f"the custom_vjp function's output structure {out_tree}.")
        for i, (o, want) in enumerate(zip(o_l, self.out_avals)):
            oa = get_aval(o)
            if not _same_type(oa, want):
                raise TypeError(
                    f"Custom VJP fwd rule {fname} for function {name} must produce primal "
                    f"outputs with the same shapes and dtypes as the function's outputs, but "
                    f"output {i} is {oa.str_short()} while the function gives "
                    f"{want.str_short()}.")
        r_l, r_t = tu.tree_flatten(r)
        self.res_tree = r_t
        return list(o_l), list(r_l)


class _BatchedFwd:
    def __init__(self, fwd, size, dims):
        self.fwd = fwd
        self.size = size
        self.dims = dims

    @property
    def res_tree(self):
        return self.fwd.res_tree

    def __call__(self, xs):
        box = []

        def f(*a):
            o, r = self.fwd(list(a))
            box.append(len(o))
            return list(o) + list(r)

        res = batching.batch_flat(f, list(xs), list(self.dims), self.size, None,
                                  lambda m: [0] * m)
        return res[:box[0]], res[box[0]:]


def _custom_vjp_call_jvp(primals, tangents, *, call_jaxpr, fwd, bwd, num_consts):
    nf = num_consts
    if any(type(t) is not ad.Zero for t in tangents[:nf]):
        raise TypeError(
            "A custom_vjp function closes over a value that is being differentiated; its bwd "
            "rule cannot produce a cotangent for it. Pass the value as an explicit argument, "
            "or use cotan.closure_convert to hoist it out of the closure.")
    xs = primals[nf:]
    outs, rs = fwd(list(xs))
    txs = [ad.instantiate_zeros(t) for t in tangents[nf:]]
    out_t = tuple(a.to_tangent_aval() for a in call_jaxpr.out_avals)
    touts = custom_lin_p.bind(*rs, *txs, num_res=len(rs), bwd=bwd, out_avals=out_t)
    return outs, touts


def _custom_lin_transpose(cts, *args, num_res, bwd, out_avals):
    res = args[:num_res]
    cts = [ad.instantiate_zeros(c) for c in cts]
    cts_in = bwd(list(res), cts)
    return [None] * num_res + list(cts_in)


def _custom_vjp_call_batch(vals, dims, *, call_jaxpr, fwd, bwd, num_consts):
    size = _axis_size(vals, dims)
    nf = num_consts
    xd = list(dims[nf:])
    n = len(call_jaxpr.out_avals)
    bcall = jt.batch_jaxpr(call_jaxpr, size, list(dims), [0] * n)
    in_avals = call_jaxpr.in_avals[nf:]
    bfwd = _BatchedFwd(fwd, size, xd)
    bbwd = _BatchedBwd(bwd, size, in_avals, xd)
    outs = custom_vjp_call_p.bind(*vals, call_jaxpr=bcall, fwd=bfwd, bwd=bbwd, num_consts=nf)
    return outs, [0] * n


ad.primitive_jvps[custom_vjp_call_p] = _custom_vjp_call_jvp
ad.primitive_transposes[custom_lin_p] = _custom_lin_transpose
batching.primitive_batchers[custom_vjp_call_p] = _custom_vjp_call_batch


# --------------------------------------------------------------------------
# pure_callback

pure_callback_p = core.Primitive("pure_callback", multiple_results=True)


def _pure_callback_impl(*args, callback, result_avals, vmap_method):
    return callback(*args)


pure_callback_p.def_impl(_pure_callback_impl)
pure_callback_p.def_abstract_eval(lambda *avals, callback, result_avals, vmap_method:
                                  list(result_avals))
pure_callback_p.weak_type_rule = lambda args, params: [False] * len(params["result_avals"])


def _pure_callback_jvp(primals, tangents, **params):
    raise ValueError("Pure callbacks do not support JVP. Please use `jax.custom_jvp` to use "
                     "callbacks while taking gradients.")


def _pure_callback_transpose(cts, *args, **params):
    raise ValueError("Pure callbacks do not support transpose. Please use `jax.custom_vjp` to "
                     "use callbacks while taking gradients.")


def _check_results(fn, leaves, result_avals):
    if len(leaves) != len(result_avals):
        raise RuntimeError(
            f"pure_callback: the callback {_fun_name(fn)} returned {len(leaves)} arrays but "
            f"result_shape_dtypes describes {len(result_avals)}.")
    res = []
    for o, a in zip(leaves, result_avals):
        o = np.asarray(o)
        if o.shape != a.shape:
            raise RuntimeError(
                f"pure_callback: the callback {_fun_name(fn)} returned an array of shape "
                f"{o.shape}, but result_shape_dtypes expects shape {a.shape}.")
        res.append(np.asarray(o, dtype=a.dtype))
    return res


class _Callback:
    """Calls the user's callback on NumPy arrays and checks what it returns."""

    def __init__(self, fn, in_tree, result_avals):
        self.fn = fn
        self.in_tree = in_tree
        self.result_avals = result_avals

    def raw(self, *vals):
        a, kw = tu.tree_unflatten(self.in_tree, [np.asarray(v) for v in vals])
        return tu.tree_leaves(self.fn(*a, **kw))

    def __call__(self, *vals):
        return _check_results(self.fn, self.raw(*vals), self.result_avals)


class _BatchedCallback:
    def __init__(self, cb, size, dims, method, result_avals):
        self.cb = cb
        self.fn = cb.fn
        self.size = size
        self.dims = dims
        self.method = method
        self.result_avals = result_avals

    def raw(self, *vals):
        vals = [np.asarray(v) for v in vals]
        if self.method in ("sequential", "sequential_unrolled"):
            outs = []
            for i in range(self.size):
                outs.append(self.cb(*[v if d is None else np.take(v, i, axis=d)
                                      for v, d in zip(vals, self.dims)]))
            if not outs:
                return [np.zeros(a.shape, a.dtype) for a in self.result_avals]
            return [np.stack(o) for o in zip(*outs)]
        new = []
        for v, d in zip(vals, self.dims):
            if d is None:
                v = v[None]
                if self.method == "broadcast_all":
                    v = np.broadcast_to(v, (self.size,) + v.shape[1:])
            else:
                v = np.moveaxis(v, d, 0)
            new.append(v)
        return self.cb.raw(*new)

    def __call__(self, *vals):
        return _check_results(self.fn, self.raw(*vals), self.result_avals)


def _pure_callback_batch(vals, dims, *, callback, result_avals, vmap_method):
    size = _axis_size(vals, dims)
    if vmap_method is None:
        raise NotImplementedError(
            "vmap is only supported for pure_callback when the vmap_method argument is "
            "specified: pass vmap_method='sequential', 'expand_dims' or 'broadcast_all'.")
    if vmap_method not in ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all",
                           "legacy_vectorized"):
        raise ValueError(f"pure_callback: unknown vmap_method {vmap_method!r}.")
    method = "expand_dims" if vmap_method == "legacy_vectorized" else vmap_method
    bavals = tuple(a.update(shape=(size,) + a.shape) for a in result_avals)
    cb = _BatchedCallback(callback, size, tuple(dims), method, bavals)
    outs = pure_callback_p.bind(*vals, callback=cb, result_avals=bavals, vmap_method=vmap_method)
    return outs, [0] * len(outs)


ad.primitive_jvps[pure_callback_p] = _pure_callback_jvp
ad.primitive_transposes[pure_callback_p] = _pure_callback_transpose
batching.primitive_batchers[pure_callback_p] = _pure_callback_batch


def _to_aval(x):
    if isinstance(x, (ShapeDtypeStruct,)) or (hasattr(x, "shape") and hasattr(x, "dtype")
                                              and not isinstance(x, core.Array)):
        return ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype),
                           getattr(x, "weak_type", False))
    return get_aval(x)


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None,
                  **kwargs):
    """Call the Python/NumPy function ``callback`` from (possibly traced)
    code; ``result_shape_dtypes`` describes its outputs (a pytree of objects
    with ``shape`` and ``dtype``).  The callback receives NumPy arrays."""
    flat, in_tree = tu.tree_flatten((args, kwargs))
    r_leaves, r_tree = tu.tree_flatten(result_shape_dtypes)
    result_avals = tuple(ShapedArray(r.shape, dtypes.canonicalize_dtype(r.dtype)) for r in r_leaves)
    cb = _Callback(callback, in_tree, result_avals)
    outs = pure_callback_p.bind(*flat, callback=cb, result_avals=result_avals,
                                vmap_method=vmap_method)
    return tu.tree_unflatten(r_tree, outs)


# --------------------------------------------------------------------------
# eval_shape, closure_convert


def eval_shape(fun, *args, **kwargs):
    """The shapes and dtypes of ``fun(*args, **kwargs)`` (a pytree of
    ShapeDtypeStruct), computed without any FLOPs."""
    leaves, in_tree = tu.tree_flatten((args, kwargs))
    in_avals = [_to_aval(x) for x in leaves]
    box = []

    def flat(*xs):
        a, kw = tu.tree_unflatten(in_tree, xs)
        out = fun(*a, **kw)
        o, t = tu.tree_flatten(out)
        box.append(t)
        return o

    jaxpr, _ = pe.trace_to_jaxpr(flat, in_avals)
    outs = [ShapeDtypeStruct(v.aval.shape, v.aval.dtype, weak_type=v.aval.weak_type)
            for v in jaxpr.outvars]
    return tu.tree_unflatten(box[0], outs)


def closure_convert(fun, *example_args):
    """``(converted, consts)``: ``converted(*args, *consts)`` computes
    ``fun(*args)`` with the (floating-point) values ``fun`` closes over --
    tracers included -- passed explicitly, e.g. so that a custom_vjp rule
    can give them cotangents."""
    leaves, in_tree = tu.tree_flatten(example_args)
    in_avals = [get_aval(x) for x in leaves]
    box = []

    def flat(*xs):
        out = fun(*tu.tree_unflatten(in_tree, xs))
        o, t = tu.tree_flatten(out)
        box.append(t)
        return o

    jaxpr, consts = pe.trace_to_jaxpr(flat, in_avals)
    out_tree = box[0]
    hv, hc, cv, cc = [], [], [], []
    for v, c in zip(jaxpr.constvars, consts):
        if isinstance(c, core.Tracer) or v.aval.dtype.kind in "fc":
            hv.append(v)
            hc.append(c)
        else:
            cv.append(v)
            cc.append(c)
    j = core.Jaxpr(cv, list(jaxpr.invars) + hv, jaxpr.outvars, jaxpr.eqns)
    n = len(leaves)
    nh = len(hc)

    def converted(*args):
        if nh:
            xs, hs = args[:-nh], args[-nh:]
        else:
            xs, hs = args, ()
        x_leaves, tree = tu.tree_flatten(tuple(xs))
        if len(x_leaves) != n:
            raise TypeError(f"closure_convert: expected {n} argument leaves, got {len(x_leaves)}")
        outs = core.eval_jaxpr(j, cc, *x_leaves, *hs)
        return tu.tree_unflatten(out_tree, outs)

    converted.__name__ = getattr(fun, "__name__", "converted")
    return converted, list(hc)
