"""Dtypes and JAX's type promotion rules.

What lives here
---------------
* ``float0``: the dtype of tangents of integer and boolean values.
* Canonicalisation: with ``jax_enable_x64`` off, the 64-bit types are replaced
  by their 32-bit counterparts (``canonicalize_dtype``), and the Python scalar
  types ``bool/int/float/complex`` stand for the *default* types.
* Promotion: ``result_type`` and ``promote_types`` implement the join on JAX's
  type promotion lattice (see "Type promotion semantics" in the JAX docs)::

      b1 -> i*;  i* -> u8, i8;  u8 -> u16, i16;  u16 -> u32, i32;
      u32 -> u64, i64;  u64 -> f*;  i8 -> i16 -> i32 -> i64 -> f*;
      f* -> (bf16), f16, c*;  (bf16), f16 -> f32;  f32 -> f64, c64;
      f64 -> c128;  c* -> c64 -> c128

  where ``i*``, ``f*`` and ``c*`` are the *weak* nodes that Python scalars and
  weakly typed arrays occupy.

Speed
-----
``result_type`` is on the hot path of every operation, so each argument is
reduced to a small hashable token ``(dtype, weak)`` and the answer for a tuple
of tokens is memoised.  The pairwise joins of the lattice are precomputed at
import.  All caches that depend on ``jax_enable_x64`` are cleared by a config
hook when the flag changes.
"""
from __future__ import annotations

from collections.abc import Mapping
import warnings

import numpy as np

from .config import config

try:  # optional: only present when ml_dtypes is installed
    import ml_dtypes as _ml_dtypes
except ImportError:  # pragma: no cover - depends on the environment
    _ml_dtypes = None


class TypePromotionError(TypeError, ValueError):
    """Raised when no promotion exists between the given dtypes.

    It is both a ``TypeError`` and a ``ValueError`` (JAX raises ``ValueError``
    for dtypes outside the lattice, e.g. ``float0``)."""


# --------------------------------------------------------------------------
# Scalar types and dtypes

float0 = np.dtype([("float0", np.void, 0)])

bool_ = np.bool_
int8 = np.int8
int16 = np.int16
int32 = np.int32
int64 = np.int64
uint8 = np.uint8
uint16 = np.uint16
uint32 = np.uint32
uint64 = np.uint64
float16 = np.float16
float32 = np.float32
float64 = np.float64
complex64 = np.complex64
complex128 = np.complex128

PUBLIC_DTYPES = [
    "bool_", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
]

if _ml_dtypes is not None:  # pragma: no cover - depends on the environment
    bfloat16 = _ml_dtypes.bfloat16
    PUBLIC_DTYPES.append("bfloat16")
    _CUSTOM_FLOAT_DTYPES = (np.dtype(bfloat16),)
else:
    _CUSTOM_FLOAT_DTYPES = ()
_CUSTOM_FLOAT_SCALAR_TYPES = tuple(d.type for d in _CUSTOM_FLOAT_DTYPES)

_B1 = np.dtype("bool")
_I8, _I16, _I32, _I64 = map(np.dtype, ("int8", "int16", "int32", "int64"))
_U8, _U16, _U32, _U64 = map(np.dtype, ("uint8", "uint16", "uint32", "uint64"))
_F16, _F32, _F64 = map(np.dtype, ("float16", "float32", "float64"))
_C64, _C128 = map(np.dtype, ("complex64", "complex128"))

_BOOL_DTYPES = (_B1,)
_SIGNED_DTYPES = (_I8, _I16, _I32, _I64)
_UNSIGNED_DTYPES = (_U8, _U16, _U32, _U64)
_FLOAT_DTYPES = (*_CUSTOM_FLOAT_DTYPES, _F16, _F32, _F64)
_COMPLEX_DTYPES = (_C64, _C128)
_NUMERIC_DTYPES = (*_BOOL_DTYPES, *_UNSIGNED_DTYPES, *_SIGNED_DTYPES,
                   *_FLOAT_DTYPES, *_COMPLEX_DTYPES)

# Every dtype a cotan array may have.
_JAX_DTYPE_SET = frozenset((float0, *_NUMERIC_DTYPES))

_TO_32BIT = {_F64: _F32, _I64: _I32, _U64: _U32, _C128: _C64}

# The dtypes that Python scalar types stand for, before canonicalisation.
_PY_SCALAR_RAW = {bool: _B1, int: _I64, float: _F64, complex: _C128}
_WEAK_PY_TYPES = (int, float, complex)

# --------------------------------------------------------------------------
# Canonicalisation

_canon_cache: dict = {}


def _native(dt):
    return dt if dt.isnative else dt.newbyteorder("=")


def _canonicalize_slow(dtype):
    dt = _native(np.dtype(dtype))
    if not config.jax_enable_x64:
        dt = _TO_32BIT.get(dt, dt)
    try:
        _canon_cache[dtype] = dt
    except TypeError:  # unhashable dtype spec
        pass
    return dt


def canonicalize_dtype(dtype):
    """The dtype cotan actually uses for ``dtype`` under the current x64 mode.

    With ``jax_enable_x64`` off, float64/int64/uint64/complex128 become
    float32/int32/uint32/complex64; the Python types ``float``/``int``/
    ``complex``/``bool`` mean the default types.
    """
    try:
        return _canon_cache[dtype]
    except (KeyError, TypeError):
        return _canonicalize_slow(dtype)


def default_float_dtype():
    return canonicalize_dtype(_F64)


def default_int_dtype():
    return canonicalize_dtype(_I64)


def default_uint_dtype():
    return canonicalize_dtype(_U64)


def default_complex_dtype():
    return canonicalize_dtype(_C128)


def _default_for_kind(kind):
    return canonicalize_dtype(_DEFAULT_RAW_BY_KIND[kind])


_DEFAULT_RAW_BY_KIND = {"b": _B1, "i": _I64, "u": _U64, "f": _F64, "c": _C128}

# Module-level variants, refreshed on x64 changes (see _on_x64_change).
float_ = int_ = uint = complex_ = None
_py_scalar_canon: dict = {}


def _refresh_defaults():
    global float_, int_, uint, complex_
    float_ = default_float_dtype()
    int_ = default_int_dtype()
    uint = default_uint_dtype()
    complex_ = default_complex_dtype()
    _py_scalar_canon.clear()
    for t, dt in _PY_SCALAR_RAW.items():
        _py_scalar_canon[t] = canonicalize_dtype(dt)


class _PythonScalarDtypes(Mapping):
    """``{bool: bool_, int: int_, float: float_, complex: complex_}``, always
    reflecting the current x64 mode."""

    def __getitem__(self, key):
        for t in _PY_SCALAR_RAW:  # identity, not np.dtype.__eq__
            if key is t:
                return _py_scalar_canon[t]
        raise KeyError(key)

    def __iter__(self):
        return iter(_PY_SCALAR_RAW)

    def __len__(self):
        return len(_PY_SCALAR_RAW)

    def __contains__(self, key):
        return any(key is t for t in _PY_SCALAR_RAW)

    def __repr__(self):
        return repr({t.__name__: _py_scalar_canon[t] for t in _PY_SCALAR_RAW})


python_scalar_dtypes = _PythonScalarDtypes()


def is_python_scalar(x):
    return type(x) in _PY_SCALAR_RAW


def scalar_type_of(x):
    """The Python scalar type (bool/int/float/complex) matching ``x``'s dtype."""
    kind = _kind(dtype(x, canonicalize=False))
    if kind == "b":
        return bool
    if kind in "iu":
        return int
    if kind == "f":
        return float
    if kind == "c":
        return complex
    raise TypeError(f"Invalid scalar value {x!r}")


# --------------------------------------------------------------------------
# dtype() and weak types

def is_weakly_typed(x):
    """True for Python int/float/complex scalars and for values whose
    ``weak_type`` attribute is true.  Python ``bool`` is strongly typed."""
    t = type(x)
    if t is int or t is float or t is complex:
        return True
    if t is bool:
        return False
    try:
        return bool(x.weak_type)
    except AttributeError:
        return False


def _invalid_dtype_error(x, dt):
    return TypeError(
        f"Value {x!r} with dtype {dt} is not a valid JAX array type. Only "
        "arrays of numeric types are supported by JAX.")


def _raw_dtype(x):
    """The (uncanonicalised, validated, native-order) dtype of a value."""
    dt = _PY_SCALAR_RAW.get(type(x))
    if dt is not None:  # Python scalar values
        return dt
    if x is None:
        raise ValueError("Invalid argument to dtype: None.")
    if isinstance(x, type):
        for t in _PY_SCALAR_RAW:
            if x is t:
                return _PY_SCALAR_RAW[t]
        if issubclass(x, np.generic):
            dt = np.dtype(x)
        else:
            raise TypeError(
                f"Cannot determine dtype of {x!r}: it is neither a value nor a "
                "dtype specifier.")
    else:
        d = getattr(x, "dtype", None)
        if isinstance(d, np.dtype):
            dt = d
        elif isinstance(x, (str, np.dtype)):
            try:
                dt = np.dtype(x)
            except TypeError as err:
                raise TypeError(
                    f"Cannot determine dtype of {x!r}: not a valid dtype "
                    "specifier.") from err
        else:
            raise TypeError(
                f"Cannot determine dtype of {x!r} (of type {type(x).__name__}): "
                "expected an array, a scalar or a dtype specifier.")
    if dt not in _JAX_DTYPE_SET:
        nd = _native(dt)
        if nd not in _JAX_DTYPE_SET:
            raise _invalid_dtype_error(x, dt)
        dt = nd
    return dt


def dtype(x, canonicalize=True):
    """The dtype JAX gives ``x``.

    Python ``bool/int/float/complex`` values (and those types themselves) give
    the default types; arrays, NumPy scalars and anything with a ``.dtype``
    give their dtype; dtype specifiers (``np.float32``, ``'float32'``,
    ``np.dtype(...)``) give that dtype.  Canonicalised unless
    ``canonicalize=False``.  Raises ``TypeError`` for anything else.
    """
    dt = _py_scalar_canon.get(type(x)) if canonicalize else None
    if dt is not None:
        return dt
    dt = _raw_dtype(x)
    return canonicalize_dtype(dt) if canonicalize else dt


# --------------------------------------------------------------------------
# The promotion lattice

# Lattice nodes are plain strings, so that np.dtype.__eq__ (which considers
# np.dtype('int64') == int) can never confuse a weak node with a dtype.
_WEAK_I, _WEAK_F, _WEAK_C = "i*", "f*", "c*"
_WEAK_NODES = (_WEAK_I, _WEAK_F, _WEAK_C)
_WEAK_NODE_KIND = {_WEAK_I: "i", _WEAK_F: "f", _WEAK_C: "c"}
_WEAK_NODE_OF_PYTYPE = {int: _WEAK_I, float: _WEAK_F, complex: _WEAK_C}
_WEAK_NODE_OF_KIND = {"i": _WEAK_I, "u": _WEAK_I, "f": _WEAK_F, "c": _WEAK_C}


def _node(dt):
    return dt.name


_NODE_TO_DTYPE = {_node(d): d for d in _NUMERIC_DTYPES}


def _lattice_edges(x64):
    n = _node
    edges = {
        n(_B1): [_WEAK_I],
        _WEAK_I: [n(_U8), n(_I8)],
        n(_U8): [n(_U16), n(_I16)],
        n(_U16): [n(_U32), n(_I32)],
        n(_U32): [n(_U64), n(_I64)],
        n(_U64): [_WEAK_F],
        n(_I8): [n(_I16)],
        n(_I16): [n(_I32)],
        n(_I32): [n(_I64)],
        n(_I64): [_WEAK_F],
        _WEAK_F: [*(n(d) for d in _CUSTOM_FLOAT_DTYPES), n(_F16), _WEAK_C],
        **{n(d): [n(_F32)] for d in _CUSTOM_FLOAT_DTYPES},
        n(_F16): [n(_F32)],
        n(_F32): [n(_F64), n(_C64)],
        n(_F64): [n(_C128)],
        _WEAK_C: [n(_C64)],
        n(_C64): [n(_C128)],
        n(_C128): [],
    }
    if not x64:
        # Without x64, don't form a 64-bit type from 32-bit inputs: u32 x i32
        # joins at i32 rather than i64 (current JAX does the same).  After
        # canonicalisation this gives the same result_type either way; it is
        # visible only through promote_types.
        edges[n(_U32)] = [n(_U64), n(_I32)]
    return edges


def _build_joins(edges):
    upper = {}

    def ub(node):
        if node not in upper:
            s = {node}
            for m in edges[node]:
                s |= ub(m)
            upper[node] = frozenset(s)
        return upper[node]

    for node in edges:
        ub(node)
    joins = {}
    for a in edges:
        for b in edges:
            common = upper[a] & upper[b]
            least = [c for c in common if common <= upper[c]]
            if len(least) != 1:  # pragma: no cover - lattice is well formed
                raise AssertionError(f"no unique join of {a} and {b}: {least}")
            joins[a, b] = least[0]
    return joins


_JOINS = {True: _build_joins(_lattice_edges(True)),
          False: _build_joins(_lattice_edges(False))}


def _join(nodes, x64):
    joins = _JOINS[x64]
    it = iter(nodes)
    out = next(it)
    try:
        for n in it:
            out = joins[out, n]
    except KeyError:
        bad = [m for m in nodes if (m, m) not in joins]
        raise TypePromotionError(
            f"dtype {bad[0] if bad else nodes} is not a valid dtype for JAX type "
            f"promotion (inputs: {', '.join(map(str, nodes))}).") from None
    return out


def _strong_node(dt):
    # float0 (and anything else outside the lattice) gets a name that is not a
    # lattice node, so that joining it raises TypePromotionError.
    if dt == float0:
        return "float0"
    return dt.name if dt in _JAX_DTYPE_SET else str(dt)


def _weak_node(dt):
    """The lattice node of a weakly typed value of dtype ``dt``."""
    if dt == _B1 or dt == float0:  # weak bool is treated as strong bool
        return _strong_node(dt)
    if dt in _CUSTOM_FLOAT_DTYPES:
        return _WEAK_F
    return _WEAK_NODE_OF_KIND[dt.kind]


def _kind(dt):
    return "f" if dt in _CUSTOM_FLOAT_DTYPES else dt.kind


# --------------------------------------------------------------------------
# result_type

# token = (dtype, weak) for each argument; the Python scalar types give:
_PY_VALUE_TOKENS = {bool: (_B1, False), int: (_I64, True),
                    float: (_F64, True), complex: (_C128, True)}
_NONE_TOKEN = (_F64, False)

_result_cache: dict = {}
_MAX_TUPLE_KEY = 4


def _token(x):
    """Reduce a result_type argument to a hashable ``(dtype, weak)`` token."""
    tok = _PY_VALUE_TOKENS.get(type(x))
    if tok is not None:
        return tok
    d = getattr(x, "dtype", None)
    if isinstance(d, np.dtype):
        return (d, bool(getattr(x, "weak_type", False)))
    return _spec_token(x)


def _spec_token(x):
    """Token of an argument that is not a value: a dtype specifier
    (np.float32, 'float32', np.dtype(...)), a Python scalar type (int, float
    and complex are weak) or None (the default float type)."""
    try:
        return _spec_tokens[x]
    except KeyError:
        pass
    except TypeError:  # unhashable: not a dtype specifier we can cache
        return (_raw_dtype(x), False)
    if x is None:
        tok = _NONE_TOKEN
    elif isinstance(x, type) and x in _PY_SCALAR_RAW and any(
            x is t for t in _PY_SCALAR_RAW):
        tok = (_PY_SCALAR_RAW[x], x is not bool)
    else:
        tok = (_raw_dtype(x), False)
    _spec_tokens[x] = tok
    return tok


# Python scalar types are keys here next to dtype specifiers.  Since
# np.dtype('int64') == int is True, the two keys could only be confused if
# their hashes collided; that is checked once, here.
_spec_tokens: dict = {}
for _t in _PY_SCALAR_RAW:
    if hash(_t) == hash(_PY_SCALAR_RAW[_t]):  # pragma: no cover
        raise ImportError("hash collision between a Python type and its dtype")
    _spec_tokens[_t] = (_PY_SCALAR_RAW[_t], _t is not bool)
del _t


def _compute_result(tokens):
    """(dtype, weak) for a collection of tokens; see result_type."""
    x64 = config.jax_enable_x64
    toks = []
    for dt, weak in tokens:
        if dt not in _JAX_DTYPE_SET:
            nd = _native(dt)
            if nd not in _JAX_DTYPE_SET:
                raise _invalid_dtype_error(dt, dt)
            dt = nd
        toks.append((dt, bool(weak)))
    dtypes_ = {dt for dt, _ in toks}
    all_weak = all(w for _, w in toks)
    if len(toks) == 1 or (len(dtypes_) == 1 and not all_weak):
        # one input, or all inputs share one dtype: no lattice needed.
        out, weak = toks[0][0], toks[0][1] and len(toks) == 1
        out_kind = None
    elif len(dtypes_) == 1 and toks[0][0] == float0:
        out, weak, out_kind = float0, False, None
    elif all_weak:
        # All weak: join the strong counterparts, then apply the weak flag.
        node = _join([_strong_node(dt) for dt in dtypes_], x64)
        weak = True
        out = _NODE_TO_DTYPE.get(node)
        out_kind = _WEAK_NODE_KIND[node] if out is None else _kind(out)
    else:
        nodes = {(_weak_node(dt) if w else _strong_node(dt)) for dt, w in toks}
        node = _join(list(nodes), x64)
        weak = node in _WEAK_NODE_KIND
        out = _NODE_TO_DTYPE.get(node)
        out_kind = _WEAK_NODE_KIND[node] if weak else _kind(out)
    if weak and out is not None and (out == _B1 or out == float0):
        weak = False  # weak bool is bool; float0 has no weak form
    if weak:
        if out_kind is None:
            out_kind = _kind(out)
        return _default_for_kind(out_kind), True
    return canonicalize_dtype(out), False


def result_type(*args, return_weak_type_flag=False):
    """JAX's promotion of the arguments' dtypes, with weak types.

    Arguments may be Python scalars, NumPy arrays/scalars, dtype specifiers,
    ``None`` (the default float type), or any object with ``.dtype`` (and
    optionally ``.weak_type``).  The result is canonicalised.  It is weak when
    the join lies on a weak node (``i*``, ``f*``, ``c*``) or when every input
    is weak; a weak result has the default dtype of its kind.
    """
    n = len(args)
    if n == 2:
        a, b = args
        # _token, inlined for speed.
        ta = _PY_VALUE_TOKENS.get(type(a))
        if ta is None:
            d = getattr(a, "dtype", None)
            ta = ((d, bool(getattr(a, "weak_type", False)))
                  if isinstance(d, np.dtype) else _spec_token(a))
        tb = _PY_VALUE_TOKENS.get(type(b))
        if tb is None:
            d = getattr(b, "dtype", None)
            tb = ((d, bool(getattr(b, "weak_type", False)))
                  if isinstance(d, np.dtype) else _spec_token(b))
        key = (ta, tb)
    elif n == 0:
        raise ValueError("at least one array or dtype is required")
    elif n <= _MAX_TUPLE_KEY:
        key = tuple(map(_token, args))
    else:
        # The answer depends only on the set of tokens.
        key = frozenset(map(_token, args))
    try:
        res = _result_cache[key]
    except KeyError:
        res = _compute_result(key)
        _result_cache[key] = res
    return res if return_weak_type_flag else res[0]


def promote_types(a, b):
    """``jnp.promote_types``: join of two dtype specifiers on the lattice.

    The Python types ``int``/``float``/``complex`` are weak (they don't widen
    a strongly typed counterpart); the result is not canonicalised.
    """
    x64 = config.jax_enable_x64
    key = (a, b, x64)
    try:
        return _promote_cache[key]
    except (KeyError, TypeError):
        pass
    nodes = []
    for x in (a, b):
        for t in _WEAK_PY_TYPES:
            if x is t:
                nodes.append(_WEAK_NODE_OF_PYTYPE[t])
                break
        else:
            nodes.append(_strong_node(_native(np.dtype(x))))
    node = _join(nodes, x64)
    if node in _WEAK_NODE_KIND:
        out = _DEFAULT_RAW_BY_KIND[_WEAK_NODE_KIND[node]]
    else:
        out = _NODE_TO_DTYPE[node]
    try:
        _promote_cache[key] = out
    except TypeError:
        pass
    return out


_promote_cache: dict = {}


# --------------------------------------------------------------------------
# Predicates and conversions

def _is_float0(x):
    return isinstance(x, np.dtype) and x == float0


def _sctype(x):
    if isinstance(x, type) and issubclass(x, np.generic):
        return x
    return np.dtype(x).type


def _issubdtype_impl(a, b):
    a_f0, b_f0 = _is_float0(a), _is_float0(b)
    if b_f0:
        return a_f0
    b_t = _sctype(b)
    if a_f0:
        return b_t in (np.void, np.flexible, np.generic)
    a_t = _sctype(a)
    if a_t in _CUSTOM_FLOAT_SCALAR_TYPES:  # pragma: no cover - needs ml_dtypes
        return b_t in (a_t, np.floating, np.inexact, np.number, np.generic)
    return bool(issubclass(a_t, b_t))


_issubdtype_cache: dict = {}


def issubdtype(a, b):
    """``numpy.issubdtype``, extended: ``float0`` is a subdtype only of itself
    and of ``np.void``/``np.flexible``/``np.generic``; bfloat16 is floating."""
    try:
        return _issubdtype_cache[a, b]
    except KeyError:
        r = _issubdtype_cache[a, b] = _issubdtype_impl(a, b)
        return r
    except TypeError:  # unhashable
        return _issubdtype_impl(a, b)


def _np_dtype(d):
    return d if isinstance(d, np.dtype) else np.dtype(d)


def is_bool(dtype):
    return _np_dtype(dtype).kind == "b"


def is_integer(dtype):
    return _np_dtype(dtype).kind in "iu"


def is_signed_integer(dtype):
    return _np_dtype(dtype).kind == "i"


def is_unsigned_integer(dtype):
    return _np_dtype(dtype).kind == "u"


def is_float(dtype):
    return _kind(_np_dtype(dtype)) == "f"


def is_complex(dtype):
    return _np_dtype(dtype).kind == "c"


def is_inexact(dtype):
    return _kind(_np_dtype(dtype)) in "fc"


def is_numeric(dtype):
    dt = _np_dtype(dtype)
    return dt != float0 and _kind(dt) in "biufc"


_ISDTYPE_KINDS = {
    "bool": frozenset(_BOOL_DTYPES),
    "signed integer": frozenset(_SIGNED_DTYPES),
    "unsigned integer": frozenset(_UNSIGNED_DTYPES),
    "integral": frozenset(_SIGNED_DTYPES + _UNSIGNED_DTYPES),
    "real floating": frozenset(_FLOAT_DTYPES),
    "complex floating": frozenset(_COMPLEX_DTYPES),
    "numeric": frozenset(_SIGNED_DTYPES + _UNSIGNED_DTYPES + _FLOAT_DTYPES
                         + _COMPLEX_DTYPES),
}


def isdtype(dtype, kind):
    """``jnp.isdtype`` (array API): is ``dtype`` of ``kind`` (a kind name, a
    dtype, or a tuple of these)?"""
    dt = np.dtype(dtype)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str) and k in _ISDTYPE_KINDS:
            if dt in _ISDTYPE_KINDS[k]:
                return True
            continue
        try:
            kd = np.dtype(k)
        except TypeError as err:
            if isinstance(k, str):
                raise ValueError(
                    f"Unrecognized kind={k!r}; expected one of "
                    f"{list(_ISDTYPE_KINDS)} or a dtype.") from None
            raise TypeError(
                f"Expected kind to be a dtype, string, or tuple; got {k!r}"
            ) from err
        if dt == kd:
            return True
    return False


def finfo(dtype):
    if _ml_dtypes is not None:  # pragma: no cover - depends on the environment
        return _ml_dtypes.finfo(dtype)
    return np.finfo(dtype)


def iinfo(dtype):
    if _ml_dtypes is not None:  # pragma: no cover - depends on the environment
        return _ml_dtypes.iinfo(dtype)
    return np.iinfo(dtype)


def _check_numeric(dt, what):
    if dt not in _JAX_DTYPE_SET or dt == float0:
        raise TypeError(f"{what}: {dt} is not a numeric dtype")


def to_inexact_dtype(dtype):
    """Floating/complex dtypes unchanged; bool/int -> the default float."""
    dt = _native(np.dtype(dtype))
    _check_numeric(dt, "to_inexact_dtype")
    return dt if _kind(dt) in "fc" else default_float_dtype()


def to_complex_dtype(dtype):
    """The complex dtype matching ``dtype``'s precision (canonicalised):
    float64/complex128 -> complex128, other floats -> complex64, bool/int ->
    the default complex type."""
    dt = to_inexact_dtype(dtype)
    if dt == _F64 or dt == _C128:
        return canonicalize_dtype(_C128)
    return _C64


def to_real_dtype(dtype):
    """complex64 -> float32, complex128 -> float64; other dtypes unchanged."""
    dt = np.dtype(dtype)
    if dt.kind == "c":
        return _F64 if dt.itemsize == 16 else _F32
    return dt


def check_user_dtype_supported(dtype, fun_name=None):
    """Validate a user-requested dtype; warn if x64 mode will truncate it."""
    if dtype is None:
        return
    if isinstance(dtype, type) and dtype in _PY_SCALAR_RAW:  # int, float, ...
        return
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"Invalid dtype {dtype!r}"
                        + (f" in {fun_name}" if fun_name else "")) from err
    if _native(dt) not in _JAX_DTYPE_SET:
        raise TypeError(
            f"JAX only supports number and bool dtypes, got dtype {dt}"
            + (f" in {fun_name}" if fun_name else ""))
    if not config.jax_enable_x64 and canonicalize_dtype(dt) != _native(dt):
        where = f" requested in {fun_name}" if fun_name else ""
        warnings.warn(
            f"Explicitly requested dtype {dt}{where} is not available, and will "
            f"be truncated to dtype {canonicalize_dtype(dt)}. To enable more "
            "dtypes, set the jax_enable_x64 configuration option or the "
            "JAX_ENABLE_X64 shell environment variable.", stacklevel=3)


# --------------------------------------------------------------------------
# React to x64 changes

def _on_x64_change(_new_value):
    _canon_cache.clear()
    _result_cache.clear()
    _refresh_defaults()


config._add_hook("jax_enable_x64", _on_x64_change)
_refresh_defaults()
