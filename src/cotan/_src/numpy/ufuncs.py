"""Elementwise cotan.numpy functions: promotion and broadcasting, then one
lax primitive (or a short composition of them)."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..core import Array, Tracer
from ..lax import elementwise as lx
from ..lax import structural as st
from .util import (asarray_arg, convert, promote_args, promote_args_inexact,
                   to_inexact)


def _unary_inexact(prim, name):
    bind = prim.bind

    def f(x, /):
        if type(x) is Array:
            if x._value.dtype.kind not in "fc":
                x = to_inexact(x)
        elif not (isinstance(x, Tracer) and x.aval.dtype.kind in "fc"):
            x = to_inexact(x)
        return bind(x)
    f.__name__ = f.__qualname__ = name
    return f


def _unary(prim, name, kinds="biufc"):
    bind = prim.bind

    def f(x, /):
        if type(x) is not Array:
            x = asarray_arg(x)
        if x.dtype.kind not in kinds:
            raise TypeError(f"jnp.{name} does not accept dtype {x.dtype.name}.")
        return bind(x)
    f.__name__ = f.__qualname__ = name
    return f


def _binary(prim, name, inexact=False):
    bind = prim.bind
    promote = promote_args_inexact if inexact else promote_args

    def f(x, y, /):
        x, y = promote(x, y)
        return bind(x, y)
    f.__name__ = f.__qualname__ = name
    return f


sin = _unary_inexact(lx.sin_p, "sin")
cos = _unary_inexact(lx.cos_p, "cos")
tan = _unary_inexact(lx.tan_p, "tan")
arcsin = _unary_inexact(lx.asin_p, "arcsin")
arccos = _unary_inexact(lx.acos_p, "arccos")
arctan = _unary_inexact(lx.atan_p, "arctan")
sinh = _unary_inexact(lx.sinh_p, "sinh")
cosh = _unary_inexact(lx.cosh_p, "cosh")
tanh = _unary_inexact(lx.tanh_p, "tanh")
arcsinh = _unary_inexact(lx.asinh_p, "arcsinh")
arccosh = _unary_inexact(lx.acosh_p, "arccosh")
arctanh = _unary_inexact(lx.atanh_p, "arctanh")
exp = _unary_inexact(lx.exp_p, "exp")
exp2 = _unary_inexact(lx.exp2_p, "exp2")
log = _unary_inexact(lx.log_p, "log")
log1p = _unary_inexact(lx.log1p_p, "log1p")
expm1 = _unary_inexact(lx.expm1_p, "expm1")
sqrt = _unary_inexact(lx.sqrt_p, "sqrt")
cbrt = _unary_inexact(lx.cbrt_p, "cbrt")
asin, acos, atan = arcsin, arccos, arctan
asinh, acosh, atanh = arcsinh, arccosh, arctanh

def _binary_bool(prim, bool_prim, name):
    # on booleans, add is logical or and multiply logical and (lax.add/mul reject bool)
    bind, bool_bind = prim.bind, bool_prim.bind

    def f(x, y, /):
        x, y = promote_args(x, y)
        if x.dtype == np.bool_:
            return bool_bind(x, y)
        return bind(x, y)
    f.__name__ = f.__qualname__ = name
    return f


add = _binary_bool(lx.add_p, lx.or_p, "add")
subtract = _binary(lx.sub_p, "subtract")
multiply = _binary_bool(lx.mul_p, lx.and_p, "multiply")
maximum = _binary(lx.max_p, "maximum")
minimum = _binary(lx.min_p, "minimum")
arctan2 = _binary(lx.atan2_p, "arctan2", inexact=True)
atan2 = arctan2
nextafter = _binary(lx.nextafter_p, "nextafter", inexact=True)
equal = _binary(lx.eq_p, "equal")
not_equal = _binary(lx.ne_p, "not_equal")
less = _binary(lx.lt_p, "less")
less_equal = _binary(lx.le_p, "less_equal")
greater = _binary(lx.gt_p, "greater")
greater_equal = _binary(lx.ge_p, "greater_equal")


def _int_or_bool(name, prim):
    bind = prim.bind

    def f(x, y, /):
        x, y = promote_args(x, y)
        if x.dtype.kind not in "biu":
            raise TypeError(f"jnp.{name} requires integer or boolean arguments, got {x.dtype.name}.")
        return bind(x, y)
    f.__name__ = f.__qualname__ = name
    return f


bitwise_and = _int_or_bool("bitwise_and", lx.and_p)
bitwise_or = _int_or_bool("bitwise_or", lx.or_p)
bitwise_xor = _int_or_bool("bitwise_xor", lx.xor_p)


def _shift(name, prim_signed, prim_unsigned=None):
    def f(x, y, /):
        x, y = promote_args(x, y)
        if x.dtype.kind not in "iu":
            raise TypeError(f"jnp.{name} requires integer arguments, got {x.dtype.name}.")
        p = prim_unsigned if (prim_unsigned is not None and x.dtype.kind == "u") else prim_signed
        return p.bind(x, y)
    f.__name__ = f.__qualname__ = name
    return f


left_shift = _shift("left_shift", lx.shift_left_p)
right_shift = _shift("right_shift", lx.shift_right_arithmetic_p, lx.shift_right_logical_p)
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def logical_and(x, y, /):
    x, y = promote_args(convert(asarray_arg(x), np.bool_) if asarray_arg(x).dtype != np.bool_ else x,
                        convert(asarray_arg(y), np.bool_) if asarray_arg(y).dtype != np.bool_ else y)
    return lx.and_p.bind(x, y)


def logical_or(x, y, /):
    x, y = _as_bool(x), _as_bool(y)
    x, y = promote_args(x, y)
    return lx.or_p.bind(x, y)


def logical_xor(x, y, /):
    x, y = _as_bool(x), _as_bool(y)
    x, y = promote_args(x, y)
    return lx.xor_p.bind(x, y)


def _as_bool(x):
    x = asarray_arg(x)
    if x.dtype == np.bool_:
        return x
    return not_equal(x, 0)


def logical_not(x, /):
    return lx.not_p.bind(_as_bool(x))


def invert(x, /):
    x = asarray_arg(x)
    if x.dtype.kind not in "biu":
        raise TypeError(f"jnp.invert requires integer or boolean arguments, got {x.dtype.name}.")
    return lx.not_p.bind(x)


bitwise_not = bitwise_invert = invert


def negative(x, /):
    x = asarray_arg(x)
    if x.dtype == np.bool_:
        raise TypeError("jnp.negative does not accept bool arguments; use jnp.logical_not.")
    return lx.neg_p.bind(x)


def positive(x, /):
    return asarray_arg(x)


def true_divide(x, y, /):
    x, y = promote_args_inexact(x, y)
    return lx.div_p.bind(x, y)


divide = true_divide


def floor_divide(x, y, /):
    x, y = promote_args(x, y)
    dt = x.dtype
    if dt.kind in "iu":
        q = lx.div(x, y)
        if dt.kind == "u":
            return q
        # round toward -inf: subtract 1 where the signs differ and there is a remainder
        r = lx.rem(x, y)
        zero = Array(np.zeros((), dt))
        zero = _bcast_like(zero, r)
        fix = lx.and_(lx.ne(r, zero), lx.ne(lx.lt(r, zero), lx.lt(y, _bcast_like(Array(np.zeros((), dt)), y))))
        return lx.select_n(fix, q, lx.sub(q, _bcast_like(Array(np.ones((), dt)), q)))
    if dt == np.bool_:
        raise TypeError("floor_divide does not accept bool arguments")
    return lx.floor(lx.div(x, y)) if dt.kind == "f" else _complex_floor_div(x, y)


def _complex_floor_div(x, y):
    raise TypeError("floor_divide is not defined for complex arguments")


def _bcast_like(c, like):
    from .util import broadcast_to_shape
    return broadcast_to_shape(convert(c, like.dtype, like.weak_type), like.shape)


def remainder(x, y, /):
    x, y = promote_args(x, y)
    dt = x.dtype
    r = lx.rem(x, y)
    if dt.kind == "u":
        return r
    zero = _bcast_like(Array(np.zeros((), dt)), r)
    fix = lx.and_(lx.ne(r, zero), lx.ne(lx.lt(r, zero), lx.lt(y, zero)))
    return lx.select_n(fix, r, lx.add(r, y))


mod = remainder


def fmod(x, y, /):
    x, y = promote_args(x, y)
    return lx.rem(x, y)


def divmod(x, y, /):
    return floor_divide(x, y), remainder(x, y)


def power(x, y, /):
    # integer exponents that are Python ints use integer_pow (exact, and
    # differentiable at x == 0)
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool):
        x = asarray_arg(x)
        if x.dtype.kind in "iu" and y < 0:
            raise ValueError("Integers to negative integer powers are not allowed.")
        return lx.integer_pow(x, int(y))
    x, y = promote_args(x, y)
    if x.dtype.kind in "iub":
        if x.dtype == np.bool_:
            raise TypeError("jnp.power does not accept bool arguments")
        return _int_pow(x, y)
    return lx.pow(x, y)


def _int_pow(x, y):
    # integer ** integer array: exact, by repeated squaring over the bits of y
    out = _bcast_like(Array(np.ones((), x.dtype)), x)
    base = x
    e = y
    one = _bcast_like(Array(np.ones((), y.dtype)), y)
    zero = _bcast_like(Array(np.zeros((), y.dtype)), y)
    for _ in range(8 * y.dtype.itemsize):
        bit = lx.ne(lx.and_(e, one), zero)
        out = lx.select_n(bit, out, lx.mul(out, base))
        base = lx.mul(base, base)
        e = lx.shift_right_logical(e, one)
    return out


pow = power


def float_power(x, y, /):
    x, y = promote_args_inexact(x, y)
    return lx.pow(x, y)


def square(x, /):
    x = asarray_arg(x)
    return lx.integer_pow(x, 2)


def reciprocal(x, /):
    x = to_inexact(x)
    return lx.div(_bcast_like(Array(np.ones((), x.dtype)), x), x)


def absolute(x, /):
    x = asarray_arg(x)
    if x.dtype.kind in "ub":
        return x
    return lx.abs(x)


abs = absolute


def fabs(x, /):
    return lx.abs(to_inexact(x))


def sign(x, /):
    x = asarray_arg(x)
    if x.dtype == np.bool_:
        return x
    return lx.sign(x)


def floor(x, /):
    x = asarray_arg(x)
    if x.dtype.kind in "iub":
        return x
    return lx.floor(x)


def ceil(x, /):
    x = asarray_arg(x)
    if x.dtype.kind in "iub":
        return x
    return lx.ceil(x)


def trunc(x, /):
    x = asarray_arg(x)
    if x.dtype.kind in "iub":
        return x
    return lx.select_n(lx.lt(x, _bcast_like(Array(np.zeros((), x.dtype)), x)), lx.floor(x), lx.ceil(x))


fix = trunc


def round(a, decimals=0, out=None):
    a = asarray_arg(a)
    if a.dtype.kind in "iub":
        if decimals >= 0:
            return a
        f = 10 ** (-decimals)
        return lx.mul(lx.round(lx.div(a.astype(float), float(f)), 1).astype(a.dtype), f)
    if decimals == 0:
        return lx.round(a, 1)  # half to even, as NumPy
    f = _bcast_like(Array(np.asarray(10.0 ** decimals, a.dtype)), a)
    return lx.div(lx.round(lx.mul(a, f), 1), f)


around = round


def rint(x, /):
    x = to_inexact(x)
    return lx.round(x, 1)


def _bool_like(value, like):
    # a bool constant shaped like ``like`` (not converted to ``like``'s dtype)
    from .util import broadcast_to_shape
    return broadcast_to_shape(Array(np.full((), value, bool)), like.shape)


def isfinite(x, /):
    x = asarray_arg(x)
    if x.dtype.kind in "iub":
        return _bool_like(True, x)
    if x.dtype.kind == "c":
        return logical_and(lx.is_finite(lx.real(x)), lx.is_finite(lx.imag(x)))
    return lx.is_finite(x)


def isnan(x, /):
    x = asarray_arg(x)
    if x.dtype.kind in "iub":
        return _bool_like(False, x)
    return lx.ne(x, x)


def isinf(x, /):
    x = asarray_arg(x)
    if x.dtype.kind in "iub":
        return _bool_like(False, x)
    if x.dtype.kind == "c":
        return logical_or(isinf(lx.real(x)), isinf(lx.imag(x)))
    return lx.eq(lx.abs(x), _bcast_like(Array(np.asarray(np.inf, x.dtype)), x))


def isposinf(x, /):
    x = asarray_arg(x)
    return lx.eq(x, _bcast_like(Array(np.asarray(np.inf, x.dtype)), x)) if x.dtype.kind == "f" else isinf(x)


def isneginf(x, /):
    x = asarray_arg(x)
    return lx.eq(x, _bcast_like(Array(np.asarray(-np.inf, x.dtype)), x)) if x.dtype.kind == "f" else isinf(x)


def signbit(x, /):
    x = asarray_arg(x)
    if x.dtype.kind == "f":
        return _signbit_f(x)
    return lx.lt(x, _bcast_like(Array(np.zeros((), x.dtype)), x))


def _signbit_f(x):
    from ..lax.structural import convert_element_type  # noqa: F401
    # sign bit via copysign: 1/x trick distinguishes -0.0
    neg = lx.lt(x, _bcast_like(Array(np.zeros((), x.dtype)), x))
    negzero = lx.and_(lx.eq(x, _bcast_like(Array(np.zeros((), x.dtype)), x)),
                      lx.lt(lx.div(_bcast_like(Array(np.ones((), x.dtype)), x), x),
                            _bcast_like(Array(np.zeros((), x.dtype)), x)))
    return lx.or_(neg, negzero)


def copysign(x, y, /):
    x, y = promote_args_inexact(x, y)
    return lx.select_n(signbit(y), lx.abs(x), lx.neg(lx.abs(x)))


def real(x, /):
    x = asarray_arg(x)
    return lx.real(x) if x.dtype.kind == "c" else x


def imag(x, /):
    x = asarray_arg(x)
    return lx.imag(x) if x.dtype.kind == "c" else _bcast_like(Array(np.zeros((), x.dtype)), x)


def conjugate(x, /):
    x = asarray_arg(x)
    return lx.conj(x) if x.dtype.kind == "c" else x


conj = conjugate


def angle(z, deg=False):
    z = asarray_arg(z)
    if z.dtype.kind != "c":
        z = to_inexact(z)
        out = lx.atan2(_bcast_like(Array(np.zeros((), z.dtype)), z), z)
    else:
        out = lx.atan2(lx.imag(z), lx.real(z))
    return out * (180 / np.pi) if deg else out


def deg2rad(x, /):
    x = to_inexact(x)
    return lx.mul(x, _bcast_like(Array(np.asarray(np.pi / 180, x.dtype)), x))


radians = deg2rad


def rad2deg(x, /):
    x = to_inexact(x)
    return lx.mul(x, _bcast_like(Array(np.asarray(180 / np.pi, x.dtype)), x))


degrees = rad2deg


def log2(x, /):
    x = to_inexact(x)
    return lx.div(lx.log(x), _bcast_like(Array(np.asarray(np.log(2), x.dtype)), x))


def log10(x, /):
    x = to_inexact(x)
    return lx.div(lx.log(x), _bcast_like(Array(np.asarray(np.log(10), x.dtype)), x))


def _logaddexp_value(x, y):
    amax = lx.max(x, y)
    delta = lx.sub(x, y)
    out = lx.add(amax, lx.log1p(lx.exp(lx.neg(lx.abs(delta)))))
    return lx.select_n(isnan(delta), out, lx.add(x, y))


def _replace_inf(x):
    return lx.select_n(isinf(x), x, _c(x, 0))


def _logaddexp_jvp(primals, tangents):
    # d out = tx exp(x - out) + ty exp(y - out): smooth everywhere, also at
    # x == y where the max/abs formulation has the wrong second derivative
    x, y = primals
    tx, ty = tangents
    out = _logaddexp_custom(x, y)
    o = _replace_inf(out)
    t = lx.add(lx.mul(tx, lx.exp(lx.sub(_replace_inf(x), o))),
               lx.mul(ty, lx.exp(lx.sub(_replace_inf(y), o))))
    return out, t


_logaddexp_custom = None


def logaddexp(x, y, /):
    global _logaddexp_custom
    x, y = promote_args_inexact(x, y)
    if _logaddexp_custom is None:
        from ..custom_derivatives import custom_jvp
        _logaddexp_custom = custom_jvp(_logaddexp_value)
        _logaddexp_custom.defjvp(_logaddexp_jvp)
    return _logaddexp_custom(x, y)


def logaddexp2(x, y, /):
    x, y = promote_args_inexact(x, y)
    ln2 = np.log(2)
    return lx.div(logaddexp(lx.mul(x, _c(x, ln2)), lx.mul(y, _c(y, ln2))), _c(x, ln2))


def _c(like, v):
    return _bcast_like(Array(np.asarray(v, like.dtype)), like)


def hypot(x, y, /):
    x, y = promote_args_inexact(x, y)
    return lx.sqrt(lx.add(lx.mul(x, x), lx.mul(y, y)))


def sinc(x, /):
    x = to_inexact(x)
    pix = lx.mul(x, _c(x, np.pi))
    zero = lx.eq(x, _c(x, 0))
    safe = lx.select_n(zero, pix, _c(x, 1))
    return lx.select_n(zero, lx.div(lx.sin(safe), safe), _c(x, 1))


def heaviside(x1, x2, /):
    x1, x2 = promote_args_inexact(x1, x2)
    return lx.select_n(lx.gt(x1, _c(x1, 0)),
                       lx.select_n(lx.lt(x1, _c(x1, 0)), x2, _c(x1, 0)), _c(x1, 1))


def clip(arr=None, min=None, max=None, *, a=None, a_min=None, a_max=None):
    x = arr if arr is not None else a
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    x = asarray_arg(x)
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x


def i0(x):
    raise NotImplementedError("jnp.i0 arrives with cotan.scipy.special (issue 5)")


def logistic(x):
    return lx.logistic(to_inexact(x))


_dtypes = dtypes
