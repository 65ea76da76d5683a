"""The exception classes users see, named as JAX names them (``jax.errors``),
and the messages of the tracer errors.

Each message says what went wrong, where (the function being traced, by which
transformation, which of its arguments made the value abstract, and the line
of user code), and what to do about it.

Provenance is cheap: a transformation entry point stores a :class:`DebugInfo`
on the trace it creates (one attribute write per transformation call, nothing
per primitive).  Everything else -- argument names from the signature, which
argument a derived value depends on (a backward walk over the staged
equations), the user's line -- is computed only when an error is raised.
"""
from __future__ import annotations

import inspect
import os
import sys


class JAXTypeError(TypeError):
    pass


class JAXIndexError(IndexError):
    pass


class ConcretizationTypeError(JAXTypeError):
    """A traced (abstract) value was used where a concrete Python value is needed."""


class TracerBoolConversionError(ConcretizationTypeError):
    """``bool()`` (an ``if``, ``while``, ``and``/``or``) was applied to a traced value."""


class TracerIntegerConversionError(JAXTypeError):
    """``__index__``/``int()`` was applied to a traced value."""


class TracerArrayConversionError(JAXTypeError):
    """``numpy.asarray`` was applied to a traced value."""


class UnexpectedTracerError(JAXTypeError):
    """A traced value escaped the transformation that created it."""


class NonConcreteBooleanIndexError(JAXIndexError):
    """Boolean-mask indexing of a traced value, whose result shape is unknown."""


# --------------------------------------------------------------------------
# Provenance


class DebugInfo:
    """What a trace was created for: the transformation, the user function and
    (lazily) the names of its flat inputs."""

    __slots__ = ("traced_for", "fun", "_names_fn", "_names", "_positions")

    def __init__(self, traced_for, fun, names_fn=None):
        self.traced_for = traced_for
        self.fun = fun
        self._names_fn = names_fn
        self._names = None
        self._positions = None

    def _compute(self):
        if self._names is None:
            names, positions = [], []
            if self._names_fn is not None:
                try:
                    names, positions = self._names_fn()
                except Exception:  # provenance must never mask the real error
                    names, positions = [], []
            self._names, self._positions = list(names), list(positions)

    @property
    def arg_names(self):
        """One readable name per flat input ('x', 'params['w']', 'args[2]')."""
        self._compute()
        return self._names

    @property
    def arg_positions(self):
        """Per flat input: (positional index or None, keyword name or None)."""
        self._compute()
        return self._positions

    @property
    def fun_name(self):
        return fun_name(self.fun)

    @property
    def fun_src(self):
        return fun_sourceinfo(self.fun)


def fun_name(fun):
    f = fun
    while hasattr(f, "func") and not hasattr(f, "__code__"):  # functools.partial
        f = f.func
    return getattr(fun, "__name__", None) or getattr(f, "__name__", None) or type(fun).__name__


def fun_sourceinfo(fun):
    try:
        f = inspect.unwrap(fun)
        while hasattr(f, "func") and not hasattr(f, "__code__"):
            f = inspect.unwrap(f.func)
        code = f.__code__
        return f"{code.co_filename}:{code.co_firstlineno}"
    except Exception:
        return None


def _param_names(fun):
    try:
        sig = inspect.signature(fun)
    except (TypeError, ValueError):
        return [], None
    pos, var = [], None
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            pos.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            var = p.name
    return pos, var


def _keystr(path):
    from .tree_util import keystr
    return keystr(path)


def names_from_trees(fun, args_tree, kwargs_tree, arg_positions=None):
    """(names, positions) of the flat leaves of ``args_tree`` then
    ``kwargs_tree`` (treedefs of the positional tuple and keyword dict), the
    i-th positional argument being the user's ``arg_positions[i]``-th."""
    from .tree_util import tree_flatten_with_path, tree_unflatten
    pos_names, var = _param_names(fun)
    names, positions = [], []
    if args_tree is not None:
        placeholder = tree_unflatten(args_tree, [0] * args_tree.num_leaves)
        for path, _ in tree_flatten_with_path(placeholder)[0]:
            i = path[0].idx
            orig = arg_positions[i] if arg_positions is not None else i
            if orig < len(pos_names):
                base = pos_names[orig]
            else:
                base = f"{var or 'args'}[{orig - len(pos_names) if var else orig}]"
            names.append(base + _keystr(path[1:]))
            positions.append((orig, pos_names[orig] if orig < len(pos_names) else None))
    if kwargs_tree is not None:
        placeholder = tree_unflatten(kwargs_tree, [0] * kwargs_tree.num_leaves)
        for path, _ in tree_flatten_with_path(placeholder)[0]:
            k = path[0].key
            names.append(str(k) + _keystr(path[1:]))
            positions.append((None, k))
    return names, positions


def split_call_tree(in_tree):
    """The treedefs of the positional tuple and the keyword dict of a treedef
    of ``(args, kwargs)``."""
    from .tree_util import tree_structure, tree_unflatten
    args, kwargs = tree_unflatten(in_tree, [0] * in_tree.num_leaves)
    return tree_structure(args), tree_structure(kwargs)


def attach_call_info(traced_for, fun, in_tree, static_positions=(), trace=None):
    """Provenance for a trace whose flat inputs are the leaves of
    ``(dyn_args, dyn_kwargs)`` (treedef ``in_tree``), the positional
    arguments at ``static_positions`` having been removed."""
    def names_fn():
        args_tree, kwargs_tree = split_call_tree(in_tree)
        n_dyn = len(tree_unflatten_placeholder(args_tree))
        static = set(static_positions)
        positions = [i for i in range(n_dyn + len(static)) if i not in static][:n_dyn]
        return names_from_trees(fun, args_tree, kwargs_tree, positions)
    attach_debug_info(traced_for, fun, names_fn, trace)


def tree_unflatten_placeholder(tree):
    from .tree_util import tree_unflatten
    return tree_unflatten(tree, [0] * tree.num_leaves)


def attach_debug_info(traced_for, fun, names_fn=None, trace=None):
    """Record provenance on ``trace`` (default: the innermost active trace,
    i.e. the one the calling transformation just pushed)."""
    if trace is None:
        from .core import _state
        stack = _state.stack
        if not stack:
            return
        trace = stack[-1]
    trace.debug_info = DebugInfo(traced_for, fun, names_fn)


def _abstract_source(tracer):
    """The tracer whose trace made ``tracer`` abstract (descending through
    forward-mode tracers, whose primal may itself be a tracer)."""
    from .core import Tracer
    seen = 0
    t = tracer
    while seen < 100:
        seen += 1
        p = getattr(t, "primal", None)
        if isinstance(p, Tracer):
            t = p
            continue
        break
    return t


def _staging_dependencies(tracer):
    """Indices of the staged inputs (and const tracers) ``tracer`` depends on."""
    trace = tracer._trace
    var = getattr(tracer, "var", None)
    invars = getattr(trace, "invars", None)
    eqns = getattr(trace, "eqns", None)
    if var is None or invars is None or eqns is None:
        return None, []
    needed = {var}
    for eqn in reversed(eqns):
        if any(v in needed for v in eqn.outvars):
            needed.update(v for v in eqn.invars if type(v).__name__ == "Var")
    idx = [i for i, v in enumerate(invars) if v in needed]
    const_tracers = []
    from .core import Tracer
    for v, c in zip(getattr(trace, "constvars", ()), getattr(trace, "consts", ())):
        if v in needed and isinstance(c, Tracer):
            const_tracers.append(c)
    return idx, const_tracers


def _join(names):
    names = [n for n in names if n]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def provenance(tracer, _depth=0):
    """Sentences saying which traced function and argument ``tracer`` comes
    from (empty when unknown); also returns the DebugInfo and the flat
    argument indices involved (for the fix hint)."""
    src = _abstract_source(tracer)
    trace = src._trace
    info = getattr(trace, "debug_info", None)
    kind = type(trace).__name__
    if info is None:
        return "", None, []
    where = f"the function {info.fun_name}"
    loc = info.fun_src
    if loc:
        where += f" at {loc}"
    msg = f"The error occurred while tracing {where} for {info.traced_for}."
    idx = []
    if kind == "StagingTrace":
        idx, const_tracers = _staging_dependencies(src)
        names = info.arg_names
        if idx:
            dep = [names[i] if i < len(names) else f"input {i}" for i in idx]
            plural = "s" if len(dep) > 1 else ""
            msg += (" This concrete value was not available in Python because it depends on "
                    f"the value{plural} of the argument{plural} {_join(dep)}.")
        elif const_tracers and _depth < 5:
            inner, _, _ = provenance(const_tracers[0], _depth + 1)
            msg += (" This value was computed from a value closed over from an enclosing "
                    "transformation.")
            if inner:
                msg += "\n" + inner
        elif idx is not None:
            msg += (" This value does not depend on the function's arguments but was computed "
                    "inside the traced function (results of traced operations are abstract).")
    elif kind == "BatchTrace":
        names = info.arg_names
        batched = getattr(trace, "debug_batched", None)
        if batched is not None and names:
            dep = [names[i] for i in batched if i < len(names)]
            if dep:
                msg += (" The value is batched (it has one value per batch element): it was "
                        "computed from the mapped argument"
                        f"{'s' if len(dep) > 1 else ''} {_join(dep)}.")
        idx = list(batched or [])
    return msg, info, idx


_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import numpy as _np
    _NUMPY_DIR = os.path.dirname(os.path.abspath(_np.__file__)) + os.sep
except Exception:  # pragma: no cover
    _NUMPY_DIR = None


def is_cotan_file(filename):
    return filename.startswith(_PKG_DIR + os.sep)


def user_frame_summary():
    """'file:line (in function)' of the innermost frame outside cotan."""
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not is_cotan_file(fn) and not (_NUMPY_DIR and fn.startswith(_NUMPY_DIR)):
            return f"{fn}:{f.f_lineno} (in {f.f_code.co_name})"
        f = f.f_back
    return None


def tracer_context(tracer):
    """Provenance and user line of ``tracer``, as lines to append to a message."""
    try:
        msg, _, _ = provenance(tracer)
    except Exception:
        msg = ""
    loc = user_frame_summary()
    if loc:
        msg = (msg + "\n" if msg else "") + f"The problem arose at {loc}."
    return "\n" + msg if msg else ""


def _static_hint(tracer):
    try:
        _, info, idx = provenance(tracer)
    except Exception:
        info, idx = None, []
    if info is None or info.traced_for not in ("jit", "make_jaxpr", "pmap"):
        return None
    positions = info.arg_positions
    nums, names = set(), set()
    for i in idx:
        if i < len(positions):
            p, k = positions[i]
            if p is not None:
                nums.add(p)
            elif k is not None:
                names.add(k)
    opts = []
    if nums:
        opts.append(f"static_argnums=({', '.join(map(str, sorted(nums)))},)")
    if names:
        opts.append(f"static_argnames=({', '.join(repr(n) for n in sorted(names))},)")
    if not opts:
        return None
    return f"{info.traced_for}({info.fun_name}, {', '.join(opts)})"


def _describe(tracer):
    return f"traced array with shape {tracer.aval.str_short()}"


def _static_advice(tracer, need):
    info = getattr(_abstract_source(tracer)._trace, "debug_info", None)
    if info is not None and info.traced_for == "vmap":
        return ("Under vmap a batched value differs between batch elements, so it has no single "
                "Python value: express the choice per element with `jnp.where` or `lax.cond` "
                "(which selects per element for a batched predicate).")
    s = _static_hint(tracer)
    if s:
        return (f"If {need} comes from an argument, mark it static: e.g. `{s}` (the function "
                "is then traced again for each new value of that argument).")
    return ("If it comes from an argument of a jitted function, mark that argument static "
            "with `static_argnums`/`static_argnames`.")


def concretization_message(tracer, what, hint=None):
    if hint is None:
        if what in ("float", "int", "complex"):
            hint = (f"The problem arose with the `{what}` function. If trying to convert the "
                    f"data type of a value, try using `x.astype({what})` or "
                    f"`jnp.array(x, {what})` instead.")
        else:
            hint = (f"The problem arose with the `{what}` function. A value computed from an "
                    "argument being traced (by jit, vmap, grad, ...) has no concrete value "
                    "while the function is traced.")
    return (
        f"Abstract tracer value encountered where concrete value is expected: "
        f"{_describe(tracer)}\n{hint}{tracer_context(tracer)}\n"
        + _static_advice(tracer, "the value")
        + " For value-dependent control flow use `lax.cond`, `lax.while_loop` or "
          "`jnp.where` instead of Python `if`/`while`."
    )


def bool_message(tracer):
    return (
        f"Attempted boolean conversion of {_describe(tracer)}.{tracer_context(tracer)}\n"
        "Python control flow (`if`, `while`, `and`/`or`, `assert`) needs a concrete boolean. "
        "Use `jnp.where(cond, x, y)` or `lax.cond(pred, true_fun, false_fun, *operands)` to "
        "branch on a traced value (`lax.while_loop`/`lax.fori_loop` for loops). "
        + _static_advice(tracer, "the condition")
    )


def integer_message(tracer):
    return (
        f"The __index__() method was called on {_describe(tracer)}.{tracer_context(tracer)}\n"
        "A traced value cannot be used as a Python integer (a shape, a size, a range, a list "
        "index). " + _static_advice(tracer, "the integer")
        + " For a dynamic index into an array use `lax.dynamic_slice` / "
          "`lax.dynamic_index_in_dim` or `x[i]` with a traced `i`."
    )


def array_message(tracer):
    return (
        "The numpy.ndarray conversion method __array__() was called on "
        f"{_describe(tracer)}.{tracer_context(tracer)}\n"
        "NumPy functions cannot be applied to values being traced: use the cotan.numpy "
        "(`jnp`) equivalent (e.g. `jnp.sum` instead of `np.sum`), or `cotan.pure_callback` "
        "for code that must run in NumPy. To see a value while debugging, use "
        "`cotan.debug.print`."
    )


def escaped_message(tracer):
    trace = tracer._trace
    info = getattr(trace, "debug_info", None)
    msg = (
        "Encountered an unexpected tracer. A function transformed by cotan had a side effect, "
        "allowing for a reference to an intermediate value with type "
        f"{tracer.aval.str_short()} wrapped in a {type(tracer).__name__} to escape the scope "
        "of the transformation (for example by being stored in a global, a closure or an "
        "object attribute), and it is now used outside it.\n"
    )
    if info is not None:
        src = info.fun_src
        msg += (f"The function being traced when the value leaked was {info.fun_name}"
                f"{' at ' + src if src else ''} traced for {info.traced_for}.\n")
    loc = user_frame_summary()
    if loc:
        msg += f"The leaked value was used at {loc}.\n"
    msg += ("Transformations require that functions explicitly return their outputs: return "
            "the value from the transformed function instead of saving it to global state.")
    return msg


def nonconcrete_boolean_index_message(tracer):
    return (
        f"Array boolean indices must be concrete; got {tracer.aval.str_short()} (a traced "
        f"value).{tracer_context(tracer)}\n"
        "The shape of x[mask] depends on the values in mask, which are unknown while "
        "tracing (jit, make_jaxpr, vmap, ...). Use jnp.where(mask, x, other) to keep the "
        "shape static (e.g. jnp.sum(jnp.where(mask, x, 0)) instead of jnp.sum(x[mask])), "
        "or get a fixed number of indices with jnp.nonzero(mask, size=N) / "
        "jnp.where(mask, size=N, fill_value=...)."
    )
