"""The kernel: abstract values, arrays, tracers, primitives, traces and the jaxpr IR.

How binding works
-----------------
``prim.bind(*args, **params)`` looks at its arguments.  If none is a
:class:`Tracer` it runs the primitive's NumPy implementation at once (eager
mode: the hot path, kept to a few attribute reads).  Otherwise the argument
tracer whose trace has the highest *level* owns the operation: the other
arguments are raised into that trace (values from lower traces become
constants to it) and the trace's ``process_primitive`` decides what binding
means (push tangents, record an equation, ...).  Levels are handed out from a
per-thread stack, so a nested transformation always sits above the one that
called it; that tag is what keeps nested derivatives from confusing their
perturbations.
"""
from __future__ import annotations

import itertools
import operator
import threading
from contextlib import contextmanager

import numpy as np

from . import dtypes
from . import errors as _errors
from .errors import (
    ConcretizationTypeError,
    TracerArrayConversionError,
    TracerBoolConversionError,
    TracerIntegerConversionError,
    UnexpectedTracerError,
    concretization_message,
)

# --------------------------------------------------------------------------
# Abstract values


class ShapedArray:
    """The type of an array: shape, dtype and whether the dtype is weak."""

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        n = 1
        for d in self.shape:
            n *= d
        return int(n)

    def __eq__(self, other):
        return (
            type(other) is ShapedArray
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def strip_weak_type(self):
        return ShapedArray(self.shape, self.dtype) if self.weak_type else self

    def update(self, shape=None, dtype=None, weak_type=None):
        return ShapedArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
            self.weak_type if weak_type is None else weak_type,
        )

    def to_tangent_aval(self):
        if self.dtype.kind in "fcV" and self.dtype != dtypes.float0:
            return ShapedArray(self.shape, self.dtype, self.weak_type)
        return ShapedArray(self.shape, dtypes.float0)

    def str_short(self):
        return f"{dtype_short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        w = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.str_short()}{w})"


_SHORT_NAMES = {
    "float16": "f16", "float32": "f32", "float64": "f64", "bfloat16": "bf16",
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "complex64": "c64", "complex128": "c128", "bool": "bool",
}


def dtype_short_name(dtype):
    if dtype == dtypes.float0:
        return "float0"
    return _SHORT_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def get_aval(x):
    """The abstract value of anything that can be an array argument."""
    if isinstance(x, Tracer):
        return x.aval
    if type(x) is Array:
        v = x._value
        return ShapedArray(v.shape, v.dtype, x.weak_type)
    if isinstance(x, (np.ndarray, np.generic)):
        return ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype))
    if isinstance(x, (bool, int, float, complex)):
        return ShapedArray((), dtypes.dtype(x), dtypes.is_weakly_typed(x))
    if hasattr(x, "__jax_array__"):
        return get_aval(x.__jax_array__())
    raise TypeError(
        f"Value {x!r} of type {type(x).__name__} is not a valid array argument: "
        "pass a cotan/NumPy array or a Python scalar."
    )


# --------------------------------------------------------------------------
# Concrete arrays

def _canonical_value(x, dtype=None):
    """Turn a NumPy/Python value into the NumPy value an Array stores."""
    if dtype is None:
        if isinstance(x, (np.ndarray, np.generic)):
            dt = dtypes.canonicalize_dtype(x.dtype)
            return x if x.dtype == dt else x.astype(dt)
        dt = dtypes.dtype(x)
    else:
        dt = dtypes.canonicalize_dtype(dtype)
    if type(x) in _PY_SCALARS:
        # a NumPy scalar, not a 0-d array: NumPy's scalar arithmetic is far
        # cheaper, and scalars are immutable
        return np.asarray(x, dtype=dt)[()]
    return np.asarray(x, dtype=dt)


_PY_SCALARS = (bool, int, float, complex)


class Array:
    """An immutable n-dimensional array (a NumPy value inside).

    Operators and methods are attached by ``cotan._src.numpy.array_methods``;
    they dispatch through ``cotan.numpy`` and so work on tracers too (a
    :class:`Tracer` is an ``Array``).
    """

    __slots__ = ("_value", "weak_type", "__weakref__")
    __array_priority__ = 100

    def __init__(self, value, weak_type=False):
        self._value = value
        self.weak_type = weak_type

    # --- metadata
    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def size(self):
        return self._value.size

    @property
    def aval(self):
        v = self._value
        return ShapedArray(v.shape, v.dtype, self.weak_type)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    # --- conversions to Python/NumPy (concrete only)
    def __array__(self, dtype=None, copy=None):
        v = np.asarray(self._value)
        if dtype is not None and v.dtype != dtype:
            return v.astype(dtype)
        if copy:
            return v.copy()
        if v.flags.writeable:
            v = v.view()
            v.flags.writeable = False
        return v

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __complex__(self):
        return complex(self._value)

    def __bool__(self):
        return bool(self._value)

    def __index__(self):
        if self.dtype.kind not in "iub":
            raise TypeError(
                f"Only integer scalar arrays can be converted to a scalar index; got dtype {self.dtype}."
            )
        return operator.index(self._value)

    def __hash__(self):
        raise TypeError("unhashable type: 'Array'. Use a tuple or a Python scalar as a dictionary key.")

    def item(self, *args):
        return self._value.item(*args)

    def tolist(self):
        return np.asarray(self._value).tolist()

    def block_until_ready(self):
        return self

    def copy_to_host_async(self):
        pass

    def is_fully_replicated(self):
        return True

    @property
    def is_fully_addressable(self):
        return True

    def devices(self):
        from .api import devices
        return set(devices())

    @property
    def device(self):
        from .api import devices
        return devices()[0]

    def __reduce__(self):
        return (_rebuild_array, (np.asarray(self._value), self.weak_type))

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self._value.item(), spec)
        return format(str(self), spec)

    def __str__(self):
        return str(np.asarray(self._value))

    def __repr__(self):
        v = np.asarray(self._value)
        prefix = "Array("
        body = np.array2string(v, separator=", ", prefix=prefix)
        extra = f", dtype={v.dtype.name}"
        if self.weak_type:
            extra += ", weak_type=True"
        return f"{prefix}{body}{extra})"

    def __setitem__(self, idx, value):
        v = repr(value) if isinstance(value, (bool, int, float, complex)) else "y"
        raise TypeError(
            f"'{type(self).__name__}' object does not support item assignment. "
            "cotan arrays are immutable (as JAX arrays are). Instead of "
            f"``x[{_fmt_index(idx)}] = {v}``, use ``x = x.at[{_fmt_index(idx)}].set({v})`` "
            "or another .at[] method (add, multiply, divide, power, min, max, get)."
        )


def _fmt_index(idx):
    if isinstance(idx, tuple):
        return ", ".join(_fmt_index(i) for i in idx) if idx else "()"
    if isinstance(idx, slice):
        s = "" if idx.start is None else str(idx.start)
        s += ":" + ("" if idx.stop is None else str(idx.stop))
        if idx.step is not None:
            s += f":{idx.step}"
        return s
    if idx is Ellipsis:
        return "..."
    if idx is None:
        return "None"
    if isinstance(idx, (int, np.integer)):
        return str(int(idx))
    return "idx"


def _rebuild_array(value, weak_type):
    return Array(value, weak_type)


def to_array(x, dtype=None):
    """Any array-like (not a tracer) as a concrete cotan Array."""
    if type(x) is Array and dtype is None:
        return x
    if isinstance(x, Array):
        if isinstance(x, Tracer):
            raise TypeError("to_array got a tracer")
        return Array(_canonical_value(x._value, dtype), x.weak_type and dtype is None)
    weak = dtype is None and dtypes.is_weakly_typed(x)
    return Array(_canonical_value(x, dtype), weak)


def concrete_value(x):
    """The NumPy value of a concrete array-like (raises for tracers)."""
    if type(x) is Array:
        return x._value
    if isinstance(x, Tracer):
        raise ConcretizationTypeError(concretization_message(x, "concrete_value"))
    return _canonical_value(x)


# --------------------------------------------------------------------------
# Tracers


class Tracer(Array):
    """A value standing for an array inside a transformation.

    ``_trace`` is the trace that owns it; subclasses store what their trace
    needs (a primal and a tangent, a jaxpr variable, ...).
    """

    __slots__ = ("_trace",)

    @property
    def aval(self):
        raise NotImplementedError

    @property
    def shape(self):
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def ndim(self):
        return len(self.aval.shape)

    @property
    def size(self):
        return self.aval.size

    @property
    def weak_type(self):
        return self.aval.weak_type

    def __len__(self):
        shape = self.aval.shape
        if not shape:
            raise TypeError("len() of unsized object")
        return shape[0]

    def to_concrete_value(self):
        """The concrete value, when this tracer knows one (JVP of eager values)."""
        return None

    def _concrete_or_raise(self, what, err):
        v = self.to_concrete_value()
        if v is None:
            raise err(concretization_message(self, what))
        return v

    def __bool__(self):
        v = self.to_concrete_value()
        if v is None:
            raise TracerBoolConversionError(_errors.bool_message(self))
        return bool(v)

    def __float__(self):
        return float(self._concrete_or_raise("float", ConcretizationTypeError))

    def __int__(self):
        return int(self._concrete_or_raise("int", ConcretizationTypeError))

    def __complex__(self):
        return complex(self._concrete_or_raise("complex", ConcretizationTypeError))

    def __index__(self):
        v = self.to_concrete_value()
        if v is None:
            raise TracerIntegerConversionError(_errors.integer_message(self))
        return operator.index(v)

    def item(self, *args):
        return self._concrete_or_raise("item", ConcretizationTypeError).item(*args)

    def tolist(self):
        return np.asarray(self._concrete_or_raise("tolist", ConcretizationTypeError)).tolist()

    def __array__(self, dtype=None, copy=None):
        v = self.to_concrete_value()
        if v is None:
            raise TracerArrayConversionError(_errors.array_message(self))
        return np.asarray(v, dtype=dtype)

    def __reduce__(self):
        raise TypeError("Tracers cannot be pickled.")

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>with<{type(self._trace).__name__}(level={self._trace.level})>"

    __str__ = __repr__

    def __format__(self, spec):
        return repr(self)

    def block_until_ready(self):
        return self


# --------------------------------------------------------------------------
# Traces and the per-thread stack


class _State(threading.local):
    def __init__(self):
        self.stack = []


_state = _State()


class Trace:
    """One activation of a transformation.  Subclasses implement
    ``pure`` (a non-tracer value as a tracer of this trace), ``lift`` (a
    tracer of a lower trace as one of this trace) and ``process_primitive``.
    """

    # provenance for error messages, set by the transformation that pushed
    # this trace (errors.attach_debug_info); read only when an error is raised
    debug_info = None

    def __init__(self, level):
        self.level = level
        self.active = True

    def full_raise(self, val):
        if isinstance(val, Tracer):
            t = val._trace
            if t is self:
                return val
            if t.level < self.level:
                return self.lift(val)
            raise UnexpectedTracerError(_escaped_message(val))
        return self.pure(val)

    def process(self, primitive, args, params):
        """Bind ``primitive`` on ``args`` (values of any lower trace, or
        this trace's tracers).  Traces may override this to avoid raising
        every argument into a tracer first."""
        return self.process_primitive(primitive, [self.full_raise(a) for a in args], params)

    def pure(self, val):
        raise NotImplementedError

    def lift(self, val):
        return self.pure(val)

    def process_primitive(self, primitive, tracers, params):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(level={self.level})"


def _escaped_message(tracer):
    return _errors.escaped_message(tracer)


@contextmanager
def new_trace(trace_type, *args):
    stack = _state.stack
    trace = trace_type(len(stack), *args)
    stack.append(trace)
    try:
        yield trace
    finally:
        stack.remove(trace) if stack[-1] is not trace else stack.pop()
        trace.active = False


def push_trace(trace_type, *args):
    stack = _state.stack
    trace = trace_type(len(stack), *args)
    stack.append(trace)
    return trace


def pop_trace(trace):
    stack = _state.stack
    if stack and stack[-1] is trace:
        stack.pop()
    else:
        stack.remove(trace)
    trace.active = False


def find_top_trace(args):
    top = None
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    if top is not None and not top.active:
        for a in args:
            if isinstance(a, Tracer) and a._trace is top:
                raise UnexpectedTracerError(_escaped_message(a))
    return top


def full_lower(val):
    if isinstance(val, Tracer):
        return val.full_lower()
    return val


Tracer.full_lower = lambda self: self


# --------------------------------------------------------------------------
# Rule tables


class RuleTable(dict):
    """A table of transformation rules (primitive -> rule).  Caches of
    things derived from rules (compiled templates, transformed jaxprs) are
    registered with :func:`on_rule_change` and cleared whenever a rule is
    set or replaced, so they can never serve a stale rule."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        for hook in _RULE_CHANGE_HOOKS:
            hook()

    def __delitem__(self, key):
        super().__delitem__(key)
        for hook in _RULE_CHANGE_HOOKS:
            hook()


_RULE_CHANGE_HOOKS = []


def on_rule_change(hook):
    _RULE_CHANGE_HOOKS.append(hook)
    return hook


# --------------------------------------------------------------------------
# Primitives


def _default_weak(args, params):
    for a in args:
        if not getattr(a, "weak_type", False):
            return False
    return True


class Primitive:
    """A primitive operation.

    ``impl(*numpy_values, **params)`` computes it on NumPy values;
    ``abstract_eval(*avals, **params)`` gives the output aval(s).  Rules for the
    transformations live in the interpreter modules' tables.
    """

    multiple_results = False
    # equations of a primitive with side effects (debug callbacks) survive
    # dead-code elimination even when no output is used
    has_side_effects = False

    def __init__(self, name, multiple_results=False):
        self.name = name
        self.multiple_results = multiple_results
        self.impl = None
        self.abstract_eval = None
        self.weak_type_rule = _default_weak

    def __repr__(self):
        return self.name

    def def_impl(self, impl):
        self.impl = impl
        return impl

    def def_abstract_eval(self, rule):
        self.abstract_eval = rule
        return rule

    def bind(self, *args, **params):
        top = None
        for a in args:
            if isinstance(a, Tracer):
                t = a._trace
                if top is None or t.level > top.level:
                    top = t
        if top is None:
            return self.eager(args, params)
        if not top.active:
            find_top_trace(args)  # raises UnexpectedTracerError naming the tracer
        # traces return their outputs already lowered (a JVP tracer with a
        # zero tangent comes back as its primal)
        return top.process(self, args, params)

    def eager(self, args, params):
        n = len(args)
        if n == 2 and self.weak_type_rule is _default_weak:
            a, b = args
            if type(a) is Array and type(b) is Array:
                return Array(self.impl(a._value, b._value, **params), a.weak_type and b.weak_type)
        if n == 1:
            a = args[0]
            if type(a) is Array:
                out = self.impl(a._value, **params)
                if self.weak_type_rule is _default_weak and not self.multiple_results:
                    return Array(out, a.weak_type)
            else:
                out = self.impl(_canonical_value(a), **params)
        else:
            vals = [a._value if type(a) is Array else _canonical_value(a) for a in args]
            out = self.impl(*vals, **params)
        weak = self.weak_type_rule(args, params)
        if self.multiple_results:
            if type(weak) is bool:
                return [Array(o, weak) for o in out]
            return [Array(o, w) for o, w in zip(out, weak)]
        return Array(out, weak)


# --------------------------------------------------------------------------
# The jaxpr IR


class Var:
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"Var({self.aval.str_short()})"


class Literal:
    __slots__ = ("val", "aval")

    def __init__(self, val, aval):
        self.val = val
        self.aval = aval

    def __repr__(self):
        return f"Literal({self.val})"


class JaxprEqn:
    __slots__ = ("primitive", "invars", "params", "outvars")

    def __init__(self, primitive, invars, params, outvars):
        self.primitive = primitive
        self.invars = invars
        self.params = params
        self.outvars = outvars

    def __repr__(self):
        return f"JaxprEqn({self.primitive.name})"


class Jaxpr:
    """Typed variables, equations and constants: ``{ lambda consts ; ins. let eqns in outs }``."""

    __slots__ = ("constvars", "invars", "outvars", "eqns")

    def __init__(self, constvars, invars, outvars, eqns):
        self.constvars = list(constvars)
        self.invars = list(invars)
        self.outvars = list(outvars)
        self.eqns = list(eqns)

    def __str__(self):
        return pp_jaxpr(self)

    __repr__ = __str__

    @property
    def in_avals(self):
        return [v.aval for v in self.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.outvars]


class ClosedJaxpr:
    __slots__ = ("jaxpr", "consts")

    def __init__(self, jaxpr, consts):
        self.jaxpr = jaxpr
        self.consts = list(consts)

    @property
    def in_avals(self):
        return self.jaxpr.in_avals

    @property
    def out_avals(self):
        return self.jaxpr.out_avals

    @property
    def eqns(self):
        return self.jaxpr.eqns

    def __str__(self):
        return pp_jaxpr(self.jaxpr)

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def eval_jaxpr(jaxpr, consts, *args):
    """Evaluate ``jaxpr`` by binding each equation's primitive (so it runs
    under whatever transformations are active)."""
    env = {}
    for v, x in zip(jaxpr.constvars, consts):
        env[v] = x
    for v, x in zip(jaxpr.invars, args):
        env[v] = x

    def read(v):
        return v.val if type(v) is Literal else env[v]

    for eqn in jaxpr.eqns:
        outs = eqn.primitive.bind(*[read(v) for v in eqn.invars], **eqn.params)
        if eqn.primitive.multiple_results:
            for v, o in zip(eqn.outvars, outs):
                env[v] = o
        else:
            env[eqn.outvars[0]] = outs
    return [read(v) for v in jaxpr.outvars]


class JaxprTypeError(TypeError):
    pass


def check_jaxpr(jaxpr):
    """Validate a jaxpr: every variable defined once before use, and every
    equation's output types equal to what its primitive's shape rule says."""
    defined = set()

    def read(v, where):
        if type(v) is Literal:
            return v.aval
        if v not in defined:
            raise JaxprTypeError(f"Variable {v} used before it is defined, in {where}")
        return v.aval

    def write(v, where):
        if v in defined:
            raise JaxprTypeError(f"Variable {v} defined twice, in {where}")
        defined.add(v)

    for v in jaxpr.constvars:
        write(v, "constvars")
    for v in jaxpr.invars:
        write(v, "invars")
    for eqn in jaxpr.eqns:
        in_avals = [read(v, eqn.primitive.name) for v in eqn.invars]
        out = eqn.primitive.abstract_eval(*in_avals, **eqn.params)
        out = list(out) if eqn.primitive.multiple_results else [out]
        if len(out) != len(eqn.outvars):
            raise JaxprTypeError(f"{eqn.primitive.name}: {len(eqn.outvars)} outputs, rule says {len(out)}")
        for v, a in zip(eqn.outvars, out):
            if v.aval.shape != a.shape or v.aval.dtype != a.dtype:
                raise JaxprTypeError(
                    f"{eqn.primitive.name}: output typed {v.aval.str_short()} "
                    f"but the rule gives {a.str_short()}"
                )
            write(v, eqn.primitive.name)
    for v in jaxpr.outvars:
        read(v, "outvars")
    return True


# --- pretty printing (JAX's text format)


def _var_names():
    for n in itertools.count():
        s = ""
        n += 1
        while n:
            n, r = divmod(n - 1, 26)
            s = chr(ord("a") + r) + s
        yield s


def _pp_literal(lit):
    v = np.asarray(lit.val)
    if v.dtype == np.bool_:
        txt = "True" if v.item() else "False"
    elif v.dtype.kind == "f":
        txt = repr(float(v.item()))
    elif v.dtype.kind == "c":
        txt = repr(complex(v.item()))
    else:
        txt = str(v.item())
    return f"{txt}:{lit.aval.str_short()}"


def _pp_param(v):
    if isinstance(v, (Jaxpr, ClosedJaxpr)):
        inner = pp_jaxpr(v.jaxpr if isinstance(v, ClosedJaxpr) else v)
        return inner
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, type) and issubclass(v, np.generic):
        return np.dtype(v).name
    if callable(v) and hasattr(v, "__name__"):
        return v.__name__
    return repr(v) if isinstance(v, str) else str(v)


def pp_jaxpr(jaxpr, indent=0):
    names = {}
    gen = _var_names()

    def name(v):
        if type(v) is Literal:
            return _pp_literal(v)
        if v not in names:
            names[v] = next(gen)
        return names[v]

    def decl(v):
        return f"{name(v)}:{v.aval.str_short()}"

    pad = " " * indent
    consts = " ".join(decl(v) for v in jaxpr.constvars)
    ins = " ".join(decl(v) for v in jaxpr.invars)
    lines = [f"{{ lambda {consts}; {ins}. let"]  # JAX: '{ lambda a:f32[3]; b:f32[]. let'
    for eqn in jaxpr.eqns:
        outs = " ".join(decl(v) for v in eqn.outvars)
        params = ""
        if eqn.params:
            items = []
            for k in sorted(eqn.params):
                pv = _pp_param(eqn.params[k])
                if "\n" in pv:
                    pv = pv.replace("\n", "\n" + pad + "      ")
                items.append(f"{k}={pv}")
            params = "[" + " ".join(items) + "]" if len(items) <= 2 and all(
                "\n" not in i for i in items) else "[\n" + "\n".join(
                f"{pad}      {i}" for i in items) + f"\n{pad}    ]"
        args = " ".join(name(v) for v in eqn.invars)
        lhs = f"{outs} = " if outs else ""
        lines.append(f"{pad}    {lhs}{eqn.primitive.name}{params} {args}".rstrip())
    outs = ", ".join(name(v) for v in jaxpr.outvars)
    lines.append(f"{pad}  in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}")
    return "\n".join(lines)
