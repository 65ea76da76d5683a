"""The user-facing transformations: jvp, linearize, vjp, grad, value_and_grad,
linear_transpose, make_jaxpr, jit, and the device helpers.

Pytrees are flattened once here; everything below works on flat lists.
"""
from __future__ import annotations

import functools
import inspect
import weakref

import numpy as np

from . import core, dtypes, errors
from .config import config
from .core import Array, Tracer, get_aval
from .interpreters import ad
from .interpreters import partial_eval as pe
from .interpreters.ad import Zero
from .tree_util import (Partial, tree_flatten, tree_map, tree_structure, tree_unflatten)

# --------------------------------------------------------------------------
# argument handling


def _check_arg(x, what="Argument"):
    if isinstance(x, Array):  # includes tracers
        return x
    if isinstance(x, (np.ndarray, np.generic, bool, int, float, complex)):
        if isinstance(x, np.ndarray) and x.dtype == dtypes.float0:
            return x
        return core.to_array(x)
    if hasattr(x, "__jax_array__"):
        return _check_arg(x.__jax_array__(), what)
    raise TypeError(
        f"{what} {x!r} of type {type(x)} is not a valid JAX type: transformed "
        "functions take and return arrays (cotan/NumPy arrays or Python scalars) "
        "or pytrees (tuples, lists, dicts) of them."
    )


def _flatten_args(args, what="Argument"):
    leaves, tree = tree_flatten(args)
    return [_check_arg(x, what) for x in leaves], tree


def _check_outs(outs, fun):
    leaves, tree = tree_flatten(outs)
    checked = []
    for x in leaves:
        checked.append(_check_arg(x, f"The function {_fun_name(fun)} returned a value"))
    return checked, tree


def _fun_name(fun):
    return getattr(fun, "__name__", None) or type(fun).__name__


def _flat_fun(fun, in_tree, out_store, has_aux=False, traced_for=None, debug_fun=None,
              names_fn=None):
    """Wrap ``fun`` to take flat leaves and return flat leaves (``traced_for``,
    ``debug_fun``, ``names_fn``: provenance for error messages)."""
    def flat(*leaves):
        if traced_for is not None:
            errors.attach_debug_info(traced_for, debug_fun or fun, names_fn)
        args = tree_unflatten(in_tree, leaves)
        res = fun(*args)
        if has_aux:
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(
                    f"Function {_fun_name(fun)} was called with has_aux=True and must "
                    "return a pair (output, auxiliary_data); got "
                    f"{type(res).__name__}.")
            out, aux = res
            out_leaves, out_tree = _check_outs(out, fun)
            out_store.append(out_tree)
            return out_leaves, aux
        out_leaves, out_tree = _check_outs(res, fun)
        out_store.append(out_tree)
        return out_leaves
    return flat


def _tangent_dtype(aval):
    return aval.to_tangent_aval().dtype


def _zeros_tangent(aval):
    t = aval.to_tangent_aval()
    return Array(np.zeros(t.shape, t.dtype))


def _materialize(t, aval):
    """A (co)tangent result as an array with ``aval``'s tangent type
    (symbolic zeros instantiated, weak type matching the primal's)."""
    if type(t) is Zero:
        return _zeros_tangent(aval)
    if type(t) is Array:
        if t.weak_type != aval.weak_type and t._value.dtype == aval.dtype:
            return Array(t._value, aval.weak_type)
    elif isinstance(t, Tracer) and t.aval.weak_type != aval.weak_type and t.aval.dtype == aval.dtype:
        from .lax.structural import convert_element_type
        return convert_element_type(t, aval.dtype, aval.weak_type)
    return t


# --------------------------------------------------------------------------
# jvp / linearize


def jvp(fun, primals, tangents, has_aux=False):
    """Evaluate ``fun(*primals)`` and its Jacobian-vector product along
    ``tangents``: returns ``(primals_out, tangents_out)`` (and ``aux``)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            "primal and tangent arguments to jvp must be tuples or lists; found "
            f"{type(primals).__name__} and {type(tangents).__name__}.")
    if len(primals) != len(tangents):
        raise TypeError(
            f"jvp: {len(primals)} primal argument(s) but {len(tangents)} tangent(s); "
            "pass one tangent per primal.")
    p_leaves, p_tree = _flatten_args(tuple(primals))
    t_leaves, t_tree = tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(
            "primal and tangent arguments to jvp must have the same tree structure; "
            f"primals have tree structure {p_tree} whereas tangents have tree "
            f"structure {t_tree}.")
    tangents_in = []
    for p, t in zip(p_leaves, t_leaves):
        pa = get_aval(p)
        expected = _tangent_dtype(pa)
        if isinstance(t, np.ndarray) and t.dtype == dtypes.float0:
            ta_shape, ta_dtype = t.shape, t.dtype
        else:
            t = _check_arg(t, "Tangent")
            ta = get_aval(t)
            ta_shape, ta_dtype = ta.shape, ta.dtype
        if ta_shape != pa.shape:
            raise ValueError(
                "jvp called with different primal and tangent shapes; Got primal "
                f"shape {pa.shape} and tangent shape as {ta_shape}")
        if ta_dtype != expected:
            raise TypeError(
                "primal and tangent arguments to jvp do not match; dtypes must be "
                "equal, or in case of int/bool primal dtype the tangent dtype must be "
                f"float0. Got primal dtype {pa.dtype.name} and so expected tangent "
                f"dtype {np.dtype(expected).name if expected != dtypes.float0 else 'float0'}, "
                f"but got tangent dtype {np.dtype(ta_dtype).name if ta_dtype != dtypes.float0 else 'float0'} instead.")
        tangents_in.append(Zero(pa.to_tangent_aval()) if expected == dtypes.float0 else t)
    out_store = []
    flat = _flat_fun(fun, p_tree, out_store, has_aux)
    if has_aux:
        aux_box = []

        def flat_noaux(*xs):
            outs, aux = flat(*xs)
            aux_box.append(aux)
            return outs

        trace_box = []
        outs_p, outs_t = _jvp_with_aux(flat_noaux, p_leaves, tangents_in, aux_box, trace_box)
        aux = aux_box[0]
    else:
        outs_p, outs_t = ad.jvp_flat(flat, p_leaves, tangents_in)
    outs_t = [_materialize(t, get_aval(p)) for t, p in zip(outs_t, outs_p)]
    out_tree = out_store[0]
    res = (tree_unflatten(out_tree, outs_p), tree_unflatten(out_tree, outs_t))
    return res + (aux,) if has_aux else res


def _jvp_with_aux(flat, primals, tangents, aux_box, trace_box):
    trace = core.push_trace(ad.JVPTrace)
    try:
        ins = [ad.JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
        out_p, out_t = ad.split_jvp_outputs(flat(*ins), trace)
        aux_box[0] = tree_map(lambda x: ad.strip_trace(x, trace), aux_box[0])
    finally:
        core.pop_trace(trace)
    return out_p, out_t


def _linearize(fun, primals, has_aux):
    p_leaves, p_tree = _flatten_args(tuple(primals))
    out_store = []
    flat = _flat_fun(fun, p_tree, out_store, has_aux)
    res = ad.linearize_flat(flat, p_leaves, has_aux=has_aux)
    return res, p_leaves, p_tree, out_store[0]


def linearize(fun, *primals, has_aux=False):
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` evaluates the
    linearized function; it can be called many times and jitted."""
    res, p_leaves, p_tree, out_tree = _linearize(fun, primals, has_aux)
    lin = _LinearFunction(res, p_tree, out_tree)
    out = tree_unflatten(out_tree, res.out_primals)
    if has_aux:
        return out, lin, res.aux
    return out, lin


class _LinearFunction:
    """The tangent map returned by :func:`linearize`."""

    def __init__(self, res, in_tree, out_tree):
        self.res = res
        self.in_avals = res.in_avals
        self.out_avals = res.out_avals
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.__name__ = "f_jvp"

    jaxpr = property(lambda self: self.res.jaxpr)
    consts = property(lambda self: self.res.consts)

    def __call__(self, *tangents):
        t_leaves, t_tree = tree_flatten(tangents)
        if t_tree != self.in_tree:
            raise TypeError(
                f"linearized function called with tangents of tree structure {t_tree}, "
                f"expected {self.in_tree} (the structure of the primals).")
        checked = []
        for t, a in zip(t_leaves, self.in_avals):
            if isinstance(t, np.ndarray) and t.dtype == dtypes.float0:
                checked.append(Array(np.zeros(a.shape, a.dtype)))
                continue
            t = _check_arg(t, "Tangent")
            ta = get_aval(t)
            if ta.shape != a.shape or (ta.dtype != a.dtype and a.dtype != dtypes.float0):
                raise ValueError(
                    f"linearized function called on tangent of type {ta.str_short()}, "
                    f"expected {a.str_short()} to match the primal.")
            checked.append(t)
        outs = core.eval_jaxpr(self.jaxpr, self.consts, *checked)
        return tree_unflatten(self.out_tree, outs)


# --------------------------------------------------------------------------
# vjp / grad


class _Pullback:
    """The cotangent map returned by :func:`vjp`: holds the linear map (a
    jaxpr, or the tape it is spliced from) and its residuals; dropping it
    frees them."""

    __slots__ = ("res", "in_avals", "out_avals", "in_tree", "out_tree",
                 "__weakref__", "__name__")

    def __init__(self, res, in_tree, out_tree):
        self.res = res
        self.in_avals = res.in_avals
        self.out_avals = res.out_avals
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.__name__ = "vjp_fun"

    jaxpr = property(lambda self: self.res.jaxpr, doc="The linear map, as a jaxpr.")
    consts = property(lambda self: self.res.consts, doc="Its residuals.")

    def __call__(self, *cts):
        if len(cts) != 1:
            raise TypeError(
                f"The function returned by vjp takes exactly one argument (the "
                f"cotangent, a pytree shaped like the primal output), got {len(cts)}.")
        ct_leaves, ct_tree = tree_flatten(cts[0])
        if ct_tree != self.out_tree:
            raise ValueError(
                "Tree structure of cotangent input "
                f"{ct_tree}, does not match structure of primal output {self.out_tree}.")
        checked = []
        for ct, a in zip(ct_leaves, self.out_avals):
            if isinstance(ct, np.ndarray) and ct.dtype == dtypes.float0:
                checked.append(None)
                continue
            ct = _check_arg(ct, "Cotangent")
            ca = get_aval(ct)
            if a.dtype == dtypes.float0:
                checked.append(None)
                continue
            ok_dtype = ca.dtype == a.dtype or (ca.weak_type and ca.dtype.kind == a.dtype.kind)
            if ca.shape != a.shape or not ok_dtype:
                raise ValueError(
                    "unexpected type (shape/dtype) for the argument of the vjp "
                    f"function: got {ca.str_short()}, but expected {a.str_short()} "
                    "because the corresponding output of the function had that type.")
            if ca.dtype != a.dtype:
                from .lax.structural import convert_element_type
                ct = convert_element_type(ct, a.dtype)
            checked.append(ct)
        cts_in = self.res.backward(checked)
        outs = [_materialize(c, a) for c, a in zip(cts_in, self.in_avals)]
        return tree_unflatten(self.in_tree, outs)


def vjp(fun, *primals, has_aux=False):
    """``(fun(*primals), vjp_fun)`` (and ``aux``): ``vjp_fun(ct)`` pulls a
    cotangent back to a tuple shaped like ``primals``."""
    res, p_leaves, p_tree, out_tree = _linearize(fun, primals, has_aux)
    pullback = _Pullback(res, p_tree, out_tree)
    out = tree_unflatten(out_tree, res.out_primals)
    if has_aux:
        return out, pullback, res.aux
    return out, pullback


def _check_argnums(argnums, nargs, fname):
    single = isinstance(argnums, (int, np.integer))
    nums = (int(argnums),) if single else tuple(int(a) for a in argnums)
    if not nums and not single:
        raise ValueError(f"{fname}: argnums must name at least one argument, got {argnums}.")
    for a in nums:
        if not -nargs <= a < nargs:
            raise TypeError(
                f"Differentiating with respect to argnums={argnums} requires at least "
                f"{(a if a >= 0 else -a - 1) + 1} positional arguments to be passed by the "
                f"caller, but got only {nargs} positional arguments.")
    return single, tuple(a % nargs for a in nums)


def _check_input_dtype(x, allow_int, holomorphic, fname):
    dt = get_aval(x).dtype
    if holomorphic:
        if dt.kind != "c":
            raise TypeError(
                f"{fname} with holomorphic=True requires inputs with complex dtype, but "
                f"got {dt.name}.")
    elif dt.kind not in "fc" and not allow_int:
        raise TypeError(
            f"{fname} requires real- or complex-valued inputs (input dtype that is a "
            f"sub-dtype of np.inexact), but got {dt.name}. If you want to use "
            "Boolean- or integer-valued inputs, use vjp or set allow_int to True.")


def _check_scalar_output(out_leaves, out_tree, holomorphic, fname):
    if len(out_leaves) != 1 or out_tree != tree_structure(0):
        raise TypeError(
            f"Gradient only defined for scalar-output functions. Output was {tree_unflatten(out_tree, [get_aval(o).str_short() for o in out_leaves])} "
            "(a pytree, not a single array). Use vjp or jacrev for other outputs, "
            "or has_aux=True to return auxiliary data.")
    aval = get_aval(out_leaves[0])
    if aval.shape != ():
        raise TypeError(
            f"Gradient only defined for scalar-output functions. Output had shape: "
            f"{aval.shape}. Reduce the output to a scalar (e.g. with .sum()), or use "
            "vjp/jacrev for non-scalar outputs.")
    if holomorphic:
        if aval.dtype.kind != "c":
            raise TypeError(
                f"{fname} with holomorphic=True requires outputs with complex dtype, "
                f"but got {aval.dtype.name}.")
    elif aval.dtype.kind != "f":
        raise TypeError(
            f"{fname} requires real-valued outputs (output dtype that is a sub-dtype of "
            f"np.floating), but got {aval.dtype.name}. For holomorphic differentiation, "
            "pass holomorphic=True. For differentiating non-holomorphic functions "
            "involving complex outputs, use vjp directly.")
    return aval


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False,
                   reduce_axes=()):
    """A function computing ``(fun(*args), gradient)`` with respect to the
    positional arguments ``argnums``."""
    fname = "value_and_grad"

    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        partial_fun, diff_args, single = _partial_argnums(fun, args, kwargs, argnums, fname)
        if single:
            diff_args = (diff_args,)

        p_leaves, p_tree = _flatten_args(diff_args)
        for x in p_leaves:
            _check_input_dtype(x, allow_int, holomorphic, "grad")
        out_store = []
        flat = _flat_fun(partial_fun, p_tree, out_store, has_aux, "grad", fun, lambda: (
            errors.names_from_trees(fun, p_tree, None, _check_argnums(argnums, len(args), fname)[1])))
        res = ad.linearize_flat(flat, p_leaves, has_aux=has_aux)
        out_tree = out_store[0]
        aval = _check_scalar_output(res.out_primals, out_tree, holomorphic, "grad")
        seed = Array(np.ones((), aval.dtype), aval.weak_type)
        cts = res.backward([seed])
        g_leaves = [_materialize(c, get_aval(p)) for c, p in zip(cts, p_leaves)]
        grads = tree_unflatten(p_tree, g_leaves)
        g = grads[0] if single else grads
        value = res.out_primals[0]
        if has_aux:
            return (value, res.aux), g
        return value, g

    return value_and_grad_f


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """The gradient of scalar-valued ``fun`` with respect to positional
    arguments ``argnums`` (an int or a tuple of ints)."""
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun)
    def grad_f(*args, **kwargs):
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]

    return grad_f


def linear_transpose(fun, *primals, reduce_axes=()):
    """The transpose of the linear function ``fun``; ``primals`` give the
    input shapes and dtypes (their values are not used)."""
    p_leaves, p_tree = _flatten_args(tuple(primals))
    in_avals = [get_aval(p) for p in p_leaves]
    for a in in_avals:
        if a.dtype.kind not in "fc":
            raise TypeError(
                f"linear_transpose only supports [float or complex] -> [float or complex], "
                f"and integer -> integer functions, but got {a.dtype.name}.")
    out_store = []
    flat = _flat_fun(fun, p_tree, out_store)
    jaxpr, consts = pe.trace_to_jaxpr(flat, [a.strip_weak_type() if False else a for a in in_avals])
    out_tree = out_store[0]
    out_avals = [v.aval for v in jaxpr.outvars]

    def transposed_fun(*cts):
        if len(cts) == 1:
            ct = cts[0]
        else:
            ct = cts
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise TypeError(
                f"cotangent tree does not match function output; got {ct_tree}, "
                f"expected {out_tree}.")
        checked = []
        for c, a in zip(ct_leaves, out_avals):
            c = _check_arg(c, "Cotangent")
            ca = get_aval(c)
            if ca.shape != a.shape or ca.dtype != a.dtype:
                raise TypeError(
                    f"cotangent type does not match function output; got {ca.str_short()}, "
                    f"expected {a.str_short()}.")
            checked.append(c)
        cts_in = ad.backward_pass(jaxpr, consts, checked)
        outs = [_materialize(c, a) for c, a in zip(cts_in, in_avals)]
        return tree_unflatten(p_tree, outs)

    return transposed_fun


# --------------------------------------------------------------------------
# make_jaxpr and jit


def _split_static(args, kwargs, static_argnums, static_argnames):
    nargs = len(args)
    static_nums = set()
    for i in static_argnums:
        if -nargs <= i < nargs:
            static_nums.add(i % nargs)
    static_vals = tuple((i, args[i]) for i in sorted(static_nums))
    dyn_args = tuple(a for i, a in enumerate(args) if i not in static_nums)
    static_kw = tuple(sorted((k, v) for k, v in kwargs.items() if k in static_argnames))
    dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_argnames}
    return static_vals, dyn_args, static_kw, dyn_kwargs


def _rebuild(static_vals, dyn_args, static_kw, dyn_kwargs):
    args = list(dyn_args)
    for i, v in static_vals:
        args.insert(i, v)
    kwargs = dict(dyn_kwargs)
    kwargs.update(static_kw)
    return args, kwargs


def _trace_flat(fun, static_vals, static_kw, dyn_args, dyn_kwargs, traced_for="jit"):
    leaves, in_tree = _flatten_args((dyn_args, dyn_kwargs))
    in_avals = [get_aval(x) for x in leaves]
    out_store = []

    def flat(*xs):
        errors.attach_call_info(traced_for, fun, in_tree, [i for i, _ in static_vals])
        dargs, dkwargs = tree_unflatten(in_tree, xs)
        args, kwargs = _rebuild(static_vals, dargs, static_kw, dkwargs)
        out = fun(*args, **kwargs)
        out_leaves, out_tree = _check_outs(out, fun)
        out_store.append(out_tree)
        return out_leaves

    jaxpr, consts = pe.trace_to_jaxpr(flat, in_avals)
    return jaxpr, consts, in_tree, out_store[0], leaves


def make_jaxpr(fun, static_argnums=(), axis_env=None, return_shape=False, abstracted_axes=None):
    """A function returning the jaxpr (a ClosedJaxpr) that ``fun`` traces to."""
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)

    @functools.wraps(fun)
    def make_jaxpr_f(*args, **kwargs):
        sv, da, sk, dk = _split_static(args, kwargs, tuple(static_argnums), ())
        jaxpr, consts, in_tree, out_tree, _ = _trace_flat(fun, sv, sk, da, dk, "make_jaxpr")
        closed = core.ClosedJaxpr(jaxpr, consts)
        if return_shape:
            from .shape import ShapeDtypeStruct
            shapes = [ShapeDtypeStruct(v.aval.shape, v.aval.dtype) for v in jaxpr.outvars]
            return closed, tree_unflatten(out_tree, shapes)
        return closed

    return make_jaxpr_f


def _hashable_static(v, name):
    try:
        hash(v)
    except TypeError:
        raise ValueError(
            f"Non-hashable static argument {name} of type {type(v).__name__}: static "
            "arguments must be hashable (pass a tuple instead of a list, for example)."
        ) from None
    return v


def jit(fun=None, *, static_argnums=(), static_argnames=(), donate_argnums=(),
        donate_argnames=(), keep_unused=False, device=None, backend=None, inline=False,
        abstracted_axes=None):
    """Trace ``fun`` once per argument signature (shapes, dtypes, weak types,
    static values) and run the compiled program (``interpreters/jit.py``):
    on concrete arrays the optimised jaxpr runs as generated Python; on
    tracers the call is one ``pjit`` primitive that transformations see."""
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames,
                                 donate_argnums=donate_argnums)
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    static_argnums = tuple(static_argnums)
    static_argnames = tuple(static_argnames)
    if static_argnames == () and static_argnums:
        try:
            params = list(inspect.signature(fun).parameters)
            static_argnames = tuple(params[i] for i in static_argnums if 0 <= i < len(params))
        except (TypeError, ValueError):
            pass
    from .interpreters import jit as _jit
    return _jit.make_jitted(fun, static_argnums, static_argnames)


# --------------------------------------------------------------------------
# devices


class Device:
    platform = "cpu"
    device_kind = "cpu"
    id = 0
    process_index = 0

    def __repr__(self):
        return "CpuDevice(id=0)"


_CPU = Device()


def devices(backend=None):
    return [_CPU]


def local_devices(process_index=None, backend=None):
    return [_CPU]


def device_count(backend=None):
    return 1


def local_device_count(backend=None):
    return 1


def default_backend():
    return "cpu"


def device_put(x, device=None, *, src=None, donate=False, may_alias=None):
    return tree_map(lambda v: v if isinstance(v, Array) else _check_arg(v), x)


def device_get(x):
    def get(v):
        if isinstance(v, Tracer):
            return v
        if isinstance(v, Array):
            return np.asarray(v._value)
        return v
    return tree_map(get, x)


def block_until_ready(x):
    return x


_unused = (Partial, weakref)


# --------------------------------------------------------------------------
# vmap


def _flatten_axes(what, tree_of_values, axes_spec):
    """Broadcast the pytree prefix ``axes_spec`` over ``tree_of_values``:
    one axis (int or None) per leaf of ``tree_of_values``."""
    if axes_spec is None or type(axes_spec) is int:     # the common case: one spec for all
        return [axes_spec] * len(tree_flatten(tree_of_values)[0])
    from .tree_util import tree_flatten as _tf
    spec_leaves, spec_tree = _tf(axes_spec, is_leaf=lambda x: x is None)
    try:
        subtrees = spec_tree.flatten_up_to(tree_of_values)
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"vmap {what} specification must be a tree prefix of the corresponding value, "
            f"got specification {axes_spec!r} for value tree {tree_structure(tree_of_values)}."
            f"\n{e}") from None
    out = []
    for ax, sub in zip(spec_leaves, subtrees):
        if ax is not None and not isinstance(ax, (int, np.integer)):
            raise TypeError(
                f"vmap {what} entries must be ints or None, got {ax!r} of type {type(ax).__name__}.")
        n = len(tree_flatten(sub)[0])
        out.extend([None if ax is None else int(ax)] * n)
    return out


def _arg_names(fun, paths, n_positional):
    """Readable names for flattened arguments: the parameter name where the
    signature gives one, then the pytree path inside it."""
    try:
        params = list(inspect.signature(fun).parameters)
    except (TypeError, ValueError):
        params = []
    names = []
    for i, p in enumerate(paths):
        if i < n_positional and p.startswith("["):
            idx = int(p[1:p.index("]")])
            rest = p[p.index("]") + 1:]
            base = params[idx] if idx < len(params) else f"args[{idx}]"
            names.append(base + rest)
        elif i >= n_positional:
            names.append(p.lstrip("[").replace("']", "", 1).strip("'") if p else p)
        else:
            names.append(p)
    return names


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None):
    """Vectorize ``fun`` over a new leading (or ``in_axes``) dimension of its
    arguments: one batched NumPy operation per primitive, no Python loop."""
    if isinstance(in_axes, list):
        raise TypeError(
            "vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
            f"positional arguments passed to the function, but got {in_axes}. Use a tuple.")
    if not callable(fun):
        raise TypeError(f"vmap expects a callable as its first argument, got {fun!r}.")

    @functools.wraps(fun)
    def vmapped(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(
                "vmap in_axes must be an int, None, or a tuple of entries corresponding to "
                f"the positional arguments passed to the function, but got len(in_axes)="
                f"{len(in_axes)}, len(args)={len(args)}.")
        arg_leaves, arg_tree = _flatten_args(args)
        axes = _flatten_axes("in_axes", args, in_axes)
        kw_leaves, kw_tree = _flatten_args(kwargs)
        leaves = arg_leaves + kw_leaves
        axes = axes + [0] * len(kw_leaves)
        sizes = []
        norm_axes = []
        for i, (x, ax) in enumerate(zip(leaves, axes)):
            if ax is None:
                norm_axes.append(None)
                continue
            shape = get_aval(x).shape
            if not -len(shape) <= ax < len(shape):
                raise ValueError(
                    f"vmap was requested to map its argument along axis {ax}, which implies "
                    f"that its rank should be at least {ax + 1 if ax >= 0 else -ax}, but is "
                    f"only {len(shape)} (its shape is {shape}).")
            ax %= len(shape)
            norm_axes.append(ax)
            sizes.append((i, ax, shape[ax], x))
        size_set = {s for _, _, s, _ in sizes}
        if len(size_set) > 1:
            from .tree_util import keystr, tree_flatten_with_path
            paths = [keystr(p) for p, _ in tree_flatten_with_path(args)[0]]
            paths += [keystr(p) for p, _ in tree_flatten_with_path(kwargs)[0]]
            names = _arg_names(fun, paths, len(arg_leaves))
            lines = "\n".join(
                f"  * one axis had size {s}: axis {ax} of argument {names[i]} of type "
                f"{get_aval(x).str_short()};"
                for i, ax, s, x in sizes)
            raise ValueError(
                "vmap got inconsistent sizes for array axes to be mapped:\n" + lines)
        if size_set:
            size = size_set.pop()
            if axis_size is not None and axis_size != size:
                raise ValueError(
                    f"vmap got axis_size={axis_size} but the mapped arguments have size {size}.")
        elif axis_size is not None:
            size = int(axis_size)
        else:
            raise ValueError(
                "vmap must have at least one non-None value in in_axes, or be given "
                "axis_size= for a function with no batched input.")
        out_store = []
        n_args = len(arg_leaves)

        def flat(*xs):
            errors.attach_debug_info("vmap", fun, lambda: errors.names_from_trees(
                fun, arg_tree, kw_tree))
            core._state.stack[-1].debug_batched = [i for i, d in enumerate(norm_axes)
                                                   if d is not None]
            a = tree_unflatten(arg_tree, list(xs[:n_args]))
            k = tree_unflatten(kw_tree, list(xs[n_args:]))
            out = fun(*a, **k)
            out_leaves, out_tree = _check_outs(out, fun)
            out_store.append((out, out_tree))
            return out_leaves

        def out_dims_fn(n):
            out, _ = out_store[0]
            return _flatten_axes("out_axes", out, out_axes)

        from .interpreters import batching
        outs = batching.batch_flat(flat, leaves, norm_axes, size, axis_name, out_dims_fn)
        return tree_unflatten(out_store[0][1], outs)

    return vmapped


# --------------------------------------------------------------------------
# Jacobians


def _std_basis(leaves):
    """A batch of one-hot tangents: for each leaf, shape (N,) + leaf.shape,
    where N is the total size of all leaves."""
    sizes = [int(np.prod(get_aval(x).shape, dtype=np.int64)) for x in leaves]
    total = sum(sizes)
    out = []
    start = 0
    for x, n in zip(leaves, sizes):
        aval = get_aval(x)
        b = np.zeros((total, n), dtype=aval.dtype)
        b[np.arange(start, start + n), np.arange(n)] = 1
        out.append(Array(b.reshape((total,) + aval.shape)))
        start += n
    return out, sizes, total


def _split_axis(x, sizes, shapes, axis, where):
    """Split axis ``axis`` of Jacobian block ``x`` into pieces of ``sizes``,
    reshaped to ``shapes``; ``where`` is 'front' or 'back' for where the
    reshaped dims go."""
    import cotan.numpy as jnp
    pieces = []
    start = 0
    aval = get_aval(x)
    if len(sizes) == 1:
        # one block: no slicing (a copy of the whole Jacobian), at most a reshape
        shp = tuple(shapes[0])
        new = aval.shape[:axis] + shp if where == "back" else shp + aval.shape[axis + 1:]
        return [x if new == aval.shape else jnp.reshape(x, new)]
    for n, shp in zip(sizes, shapes):
        idx = [slice(None)] * aval.ndim
        idx[axis] = slice(start, start + n)
        p = x[tuple(idx)]
        if where == "back":
            p = jnp.reshape(p, aval.shape[:axis] + tuple(shp))
        else:
            p = jnp.reshape(p, tuple(shp) + aval.shape[axis + 1:])
        pieces.append(p)
        start += n
    return pieces


def _jac_check_inputs(leaves, holomorphic, fname):
    for x in leaves:
        dt = get_aval(x).dtype
        if holomorphic:
            if dt.kind != "c":
                raise TypeError(f"{fname} with holomorphic=True requires inputs with complex "
                                f"dtype, but got {dt.name}.")
        elif dt.kind not in "fc":
            raise TypeError(
                f"{fname} requires real- or complex-valued inputs (input dtype that is a "
                f"sub-dtype of np.inexact), but got {dt.name}. If you want to use Boolean- or "
                "integer-valued inputs, use vjp or set allow_int to True.")


def _partial_argnums(fun, args, kwargs, argnums, fname="jacobian"):
    """``fun`` as a function of the positional arguments ``argnums`` only;
    returns it, those arguments (bare for an int argnums) and whether
    argnums was an int."""
    single, nums = _check_argnums(argnums, len(args), fname)
    dyn = tuple(args[i] for i in nums)

    def f_partial(*d):
        full = list(args)
        for i, a in zip(nums, d):
            full[i] = a
        return fun(*full, **kwargs)
    f_partial.__name__ = _fun_name(fun)
    return f_partial, (dyn[0] if single else dyn), single


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Jacobian of ``fun`` by forward mode: ``vmap`` of ``jvp`` over a
    standard basis of the inputs.  Output pytree: ``fun``'s output structure
    with each leaf replaced by the input structure, leaves of shape
    ``out.shape + in.shape``."""

    @functools.wraps(fun)
    def jacfun(*args, **kwargs):
        f_partial, dyn, single = _partial_argnums(fun, args, kwargs, argnums)
        dyn_tuple = (dyn,) if single else dyn
        in_leaves, in_tree = _flatten_args(dyn_tuple)
        _jac_check_inputs(in_leaves, holomorphic, "jacfwd")
        basis, sizes, total = _std_basis(in_leaves)
        shapes = [get_aval(x).shape for x in in_leaves]

        def pushfwd(*tangent_leaves):
            tans = tree_unflatten(in_tree, list(tangent_leaves))
            res = jvp(f_partial, dyn_tuple, tans, has_aux=has_aux)
            return res

        if has_aux:
            y, jac, aux = vmap(pushfwd, out_axes=(None, -1, None))(*basis)
        else:
            y, jac = vmap(pushfwd, out_axes=(None, -1))(*basis)
        out_leaves, out_tree = tree_flatten(jac)
        blocks = []
        for o in out_leaves:
            pieces = _split_axis(o, sizes, shapes, get_aval(o).ndim - 1, "back")
            t = tree_unflatten(in_tree, pieces)
            blocks.append(t[0] if single else t)
        result = tree_unflatten(out_tree, blocks)
        return (result, aux) if has_aux else result

    return jacfun


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The Jacobian of ``fun`` by reverse mode: ``vmap`` of the ``vjp``
    pullback over a standard basis of the outputs."""

    @functools.wraps(fun)
    def jacfun(*args, **kwargs):
        f_partial, dyn, single = _partial_argnums(fun, args, kwargs, argnums)
        dyn_tuple = (dyn,) if single else dyn
        in_leaves, in_tree = _flatten_args(dyn_tuple)
        if not allow_int:
            _jac_check_inputs(in_leaves, holomorphic, "jacrev")
        if has_aux:
            y, pullback, aux = vjp(f_partial, *dyn_tuple, has_aux=True)
        else:
            y, pullback = vjp(f_partial, *dyn_tuple)
        out_leaves, out_tree = tree_flatten(y)
        for o in out_leaves:
            dt = get_aval(o).dtype
            if holomorphic and dt.kind != "c":
                raise TypeError(f"jacrev with holomorphic=True requires outputs with complex "
                                f"dtype, but got {dt.name}.")
            if not holomorphic and dt.kind != "f" and dt.kind != "c":
                raise TypeError(
                    f"jacrev requires real-valued outputs (output dtype that is a sub-dtype of "
                    f"np.floating), but got {dt.name}.")
        basis, sizes, total = _std_basis(out_leaves)
        out_shapes = [get_aval(o).shape for o in out_leaves]

        def pullback_flat(*ct_leaves):
            return pullback(tree_unflatten(out_tree, list(ct_leaves)))

        jac = vmap(pullback_flat)(*basis)      # tuple over dyn args; leaves (M,) + in.shape
        jac_leaves, _ = tree_flatten(jac)
        # split the leading M axis by output leaf: per input leaf, a list over outputs
        per_in = [_split_axis(j, sizes, out_shapes, 0, "front") for j in jac_leaves]
        blocks = []
        for k in range(len(out_leaves)):
            t = tree_unflatten(in_tree, [p[k] for p in per_in])
            blocks.append(t[0] if single else t)
        result = tree_unflatten(out_tree, blocks)
        return (result, aux) if has_aux else result

    return jacfun


jacobian = jacrev


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Hessian of scalar ``fun``: ``jacfwd(jacrev(fun))``."""
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic),
                  argnums, has_aux=has_aux, holomorphic=holomorphic)
