"""Shared helpers for defining lax primitives: shape/dtype rules and
constructors for the common families (unary and n-ary elementwise)."""
from __future__ import annotations

import numpy as np

from .. import core, dtypes
from ..core import Array, Primitive, ShapedArray
from ..interpreters import batching

_FLOAT = "f"
_COMPLEX = "c"
_INEXACT = "fc"
_INT = "iu"
_NUM = "iufc"
_ANY = "biufc"
_BOOL_INT = "biu"


def _kinds_name(kinds):
    names = {"b": "bool", "i": "signed int", "u": "unsigned int", "f": "floating", "c": "complex"}
    return ", ".join(names[k] for k in kinds)


def check_dtype(name, aval, kinds):
    if aval.dtype.kind not in kinds:
        raise TypeError(
            f"lax.{name} does not accept dtype {aval.dtype.name}; it accepts {_kinds_name(kinds)} "
            "dtypes. (cotan.numpy functions promote their arguments; lax does not.)"
        )


def unop_abstract(name, kinds, result_dtype=None):
    def rule(x, **params):
        check_dtype(name, x, kinds)
        dt = x.dtype if result_dtype is None else result_dtype(x.dtype)
        # a fixed result dtype (comparisons, real, ...) is never weak, as in eager mode
        return ShapedArray(x.shape, dt, x.weak_type and result_dtype is None)
    return rule


def naryop_abstract(name, kinds, result_dtype=None):
    def rule(*avals, **params):
        x = avals[0]
        if len(avals) == 2:
            y = avals[1]
            if y.dtype == x.dtype and y.shape == x.shape and x.dtype.kind in kinds:
                dt = x.dtype if result_dtype is None else result_dtype(x.dtype)
                return ShapedArray(x.shape, dt,
                                   x.weak_type and y.weak_type and result_dtype is None)
        for a in avals:
            check_dtype(name, a, kinds)
        for a in avals[1:]:
            if a.dtype != x.dtype:
                raise TypeError(
                    f"lax.{name} requires arguments to have the same dtype, got "
                    f"{', '.join(b.dtype.name for b in avals)}. "
                    "(cotan.numpy functions promote their arguments; lax does not.)"
                )
            if a.shape != x.shape:
                raise TypeError(
                    f"lax.{name} requires arguments to have the same shape, got "
                    f"{', '.join(str(b.shape) for b in avals)}. "
                    "(cotan.numpy functions broadcast their arguments; lax does not.)"
                )
        weak = all(a.weak_type for a in avals) and result_dtype is None
        dt = x.dtype if result_dtype is None else result_dtype(x.dtype)
        return ShapedArray(x.shape, dt, weak)
    return rule


def unop(name, impl, kinds=_INEXACT, result_dtype=None):
    """A unary elementwise primitive (batching rule included: vectorized)."""
    p = Primitive(name)
    p.def_impl(impl)
    p.def_abstract_eval(unop_abstract(name, kinds, result_dtype))
    if result_dtype is not None:
        p.weak_type_rule = lambda args, params: False
    batching.defvectorized(p)
    return p


def naryop(name, impl, kinds=_NUM, result_dtype=None):
    """An n-ary elementwise primitive (batching rule included: broadcasting)."""
    p = Primitive(name)
    p.def_impl(impl)
    p.def_abstract_eval(naryop_abstract(name, kinds, result_dtype))
    if result_dtype is not None:
        p.weak_type_rule = lambda args, params: False
    batching.defbroadcasting(p)
    return p


def full_like_aval(aval, value):
    """A concrete constant with ``aval``'s shape and dtype."""
    return Array(np.full(aval.shape, value, aval.dtype), aval.weak_type)


def const(x, value):
    """A scalar-or-full constant matching ``x``'s shape and dtype (for rules)."""
    aval = core.get_aval(x)
    return Array(np.full(aval.shape, value, aval.dtype), aval.weak_type)


def as_dtype(d):
    return np.dtype(d)


def canonical(d):
    return dtypes.canonicalize_dtype(d)
