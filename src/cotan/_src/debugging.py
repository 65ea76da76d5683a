"""Run-time debugging inside transformed code: ``cotan.debug.print``,
``cotan.debug.callback``, ``cotan.debug.breakpoint`` and the NaN checker
(``config.update("jax_debug_nans", True)``).

``debug_callback_p`` is a primitive with no outputs whose implementation
calls a Python function on the concrete values of its operands.  It is
marked ``has_side_effects`` so dead-code elimination keeps it; its JVP runs
it on the primals (tangents are untouched: it has no outputs); its batching
rule calls it once per batch element (as JAX does); it is never transposed
(no outputs, so no cotangents reach it).

NaN checking swaps a checking ``Primitive.eager`` in when the option is
turned on (and disables the compiled eager-gradient templates, which call
NumPy implementations directly), so the default hot path is untouched.
"""
from __future__ import annotations

import builtins
import os
import sys

import numpy as np

from . import core
from .config import config
from .core import Array, Tracer
from .interpreters import ad, batching
from .tree_util import tree_flatten, tree_unflatten

# --------------------------------------------------------------------------
# The primitive

debug_callback_p = core.Primitive("debug_callback", multiple_results=True)
debug_callback_p.has_side_effects = True


def _debug_callback_impl(*args, callback):
    callback(*args)
    return []


def _debug_callback_abstract_eval(*avals, callback):
    return []


def _debug_callback_jvp(primals, tangents, *, callback):
    debug_callback_p.bind(*primals, callback=callback)
    return [], []


def _debug_callback_transpose(cts, *args, callback):
    return [None] * len(args)


def _debug_callback_batch(vals, dims, *, callback):
    from .lax.indexing import index_in_dim
    size = None
    for v, d in zip(vals, dims):
        if d is not None:
            size = core.get_aval(v).shape[d]
            break
    # one call per batch element, as JAX does (printing is per element)
    for i in range(size):
        sliced = [v if d is None else index_in_dim(v, i, d, keepdims=False)
                  for v, d in zip(vals, dims)]
        debug_callback_p.bind(*sliced, callback=callback)
    return [], []


debug_callback_p.def_impl(_debug_callback_impl)
debug_callback_p.def_abstract_eval(_debug_callback_abstract_eval)
ad.primitive_jvps[debug_callback_p] = _debug_callback_jvp
ad.primitive_transposes[debug_callback_p] = _debug_callback_transpose
batching.primitive_batchers[debug_callback_p] = _debug_callback_batch


def _bind(leaves, callback):
    """Bind ``debug_callback_p``; with no traced operand, stage it into the
    innermost staging trace (jit/make_jaxpr) so it runs when the compiled
    program runs rather than once at trace time."""
    if not any(isinstance(x, Tracer) for x in leaves):
        for trace in reversed(core._state.stack):
            if hasattr(trace, "eqns") and hasattr(trace, "_record"):
                trace.process(debug_callback_p, list(leaves), {"callback": callback})
                return
    debug_callback_p.bind(*leaves, callback=callback)


def _as_array(v):
    if isinstance(v, Array):
        return v
    return Array(np.asarray(v), False)


class _Callback:
    """A hashable callback param (equal for the same function and tree, so
    jit caches and rule templates are reused)."""

    __slots__ = ("fn", "tree", "static")

    def __init__(self, fn, tree, static=()):
        self.fn = fn
        self.tree = tree
        self.static = static

    def _key(self):
        return (type(self), self.fn, self.tree, self.static)

    def __eq__(self, other):
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __call__(self, *vals):
        args, kwargs = tree_unflatten(self.tree, [_as_array(v) for v in vals])
        self.fn(*args, **kwargs)

    def __repr__(self):
        return getattr(self.fn, "__name__", "callback")


def _split_leaves(args, kwargs):
    leaves, tree = tree_flatten((args, kwargs))
    dyn = []
    for x in leaves:
        if isinstance(x, (Array, np.ndarray, np.generic, bool, int, float, complex)):
            dyn.append(x)
        else:
            raise TypeError(
                f"cotan.debug.callback/print arguments must be arrays or pytrees of arrays; "
                f"got {type(x).__name__}.")
    return dyn, tree


def callback(callback, *args, ordered=False, partitioned=False, **kwargs):
    """Call ``callback(*args, **kwargs)`` with concrete values at run time,
    inside jit, vmap (once per batch element) and grad."""
    leaves, tree = _split_leaves(args, kwargs)
    _bind(leaves, _Callback(callback, tree))


class _Format:
    __slots__ = ("fmt", "__name__")

    def __init__(self, fmt):
        self.fmt = fmt
        self.__name__ = "debug_print"

    def __eq__(self, other):
        return type(other) is _Format and other.fmt == self.fmt

    def __hash__(self):
        return hash(("fmt", self.fmt))

    def __call__(self, *args, **kwargs):
        builtins.print(self.fmt.format(*args, **kwargs))


def print(fmt, *args, ordered=False, **kwargs):  # noqa: A001 (shadows builtin, as jax.debug.print)
    """Print ``fmt.format(*args, **kwargs)`` with the values computed at run
    time (inside jit, vmap -- one line per batch element -- and grad)."""
    if not isinstance(fmt, str):
        raise TypeError(f"cotan.debug.print: fmt must be a str, got {type(fmt).__name__}.")
    callback(_Format(fmt), *args, ordered=ordered, **kwargs)


# --------------------------------------------------------------------------
# breakpoint

#: set to a function ``hook(env: dict)`` to replace the debugger (tests)
debugger_hook = None


class _Breakpoint:
    __slots__ = ("names", "static", "where", "__name__")

    def __init__(self, names, static, where):
        self.names = names
        self.static = static
        self.where = where
        self.__name__ = "breakpoint"

    def __call__(self, *vals):
        if os.environ.get("COTAN_DEBUG_BREAKPOINT", "1").strip().lower() in ("0", "off", "false"):
            return
        env = dict(self.static)
        env.update(zip(self.names, (_as_array(v) for v in vals)))
        if debugger_hook is not None:
            debugger_hook(env)
            return
        builtins.print(f"Entering cotan.debug.breakpoint() at {self.where} with the concrete "
                       f"values of: {', '.join(sorted(env))}")
        # a frame whose locals are the concrete values; breakpoint() honours
        # PYTHONBREAKPOINT (=0 disables it)
        exec(compile("breakpoint()\npass\n", "<cotan.debug.breakpoint>", "exec"),
             {"__builtins__": builtins}, env)

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


def breakpoint(*, backend=None, filter_frames=True, num_frames=None, ordered=False,  # noqa: A001
               token=None, **kwargs):
    """Enter the Python debugger at run time, with the caller's local
    variables available as concrete values (inside jit: when the compiled
    program runs; under vmap: once per batch element).  Disabled when the
    environment variable ``COTAN_DEBUG_BREAKPOINT=0`` (or ``PYTHONBREAKPOINT=0``)."""
    frame = sys._getframe(1)
    names, vals, static = [], [], {}
    for k, v in frame.f_locals.items():
        if isinstance(v, (Array, np.ndarray, np.generic)):
            names.append(k)
            vals.append(v)
        else:
            static[k] = v
    where = f"{frame.f_code.co_filename}:{frame.f_lineno} (in {frame.f_code.co_name})"
    del frame
    _bind(vals, _Breakpoint(tuple(names), static, where))
    return token


# --------------------------------------------------------------------------
# NaN checking

_plain_eager = core.Primitive.eager


def _nan_message(name):
    return (f"invalid value (nan) encountered in {name}. The NaN checker is on "
            "(config.update('jax_debug_nans', True)); the primitive named is the first to "
            "produce a NaN.")


def check_nans(prim, out):
    """Raise ``FloatingPointError`` if an output of ``prim`` holds a NaN."""
    outs = out if prim.multiple_results else (out,)
    for o in outs:
        v = o._value if isinstance(o, Array) and not isinstance(o, Tracer) else o
        if isinstance(v, Tracer):
            continue
        v = np.asarray(v)
        if v.dtype.kind in "fc" and np.isnan(v).any():
            raise FloatingPointError(_nan_message(prim.name))


def _checking_eager(self, args, params):
    out = _plain_eager(self, args, params)
    check_nans(self, out)
    return out


def _set_debug_nans(on):
    from .interpreters import rule_cache
    if on:
        core.Primitive.eager = _checking_eager
        # the compiled eager-gradient templates call NumPy implementations
        # directly; the generic path binds every primitive (and so checks it)
        rule_cache.ENABLED = False
    else:
        core.Primitive.eager = _plain_eager
        rule_cache.ENABLED = True


def nan_checking_enabled():
    """For compilers: when true, evaluate by binding each equation (so the
    checker sees every primitive), or call :func:`check_nans` per equation."""
    return config.jax_debug_nans


config._add_hook("jax_debug_nans", _set_debug_nans)
if config.jax_debug_nans:
    _set_debug_nans(True)
