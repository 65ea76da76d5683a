"""Elementwise primitives.

Each primitive is defined once, followed by its registration block (JVP,
transpose when linear).  Rules are written with lax functions so they can
themselves be differentiated.  Arguments must already agree in shape and
dtype (cotan.numpy does promotion and broadcasting).
"""
from __future__ import annotations

import numpy as np

from .. import core, dtypes
from ..core import Primitive, ShapedArray
from ..interpreters import ad, batching
from ..interpreters.ad import Zero, defjvp, defjvp2, deflinear, is_undefined_primal


class _LazyScipySpecial:
    def __getattr__(self, name):
        import scipy.special
        return getattr(scipy.special, name)


_sps = _LazyScipySpecial()
from .utils import (_ANY, _BOOL_INT, _COMPLEX, _FLOAT, _INEXACT, _INT, _NUM, const,
                    naryop, unop)

_np_err = np.errstate(all="ignore")


def _quiet(f):
    def impl(*args, **params):
        with np.errstate(all="ignore"):
            return f(*args, **params)
    impl.__name__ = getattr(f, "__name__", "impl")
    return impl


_WIDE = {np.dtype(np.float16): np.float64, np.dtype(np.float32): np.float64,
         np.dtype(np.complex64): np.complex128}
# NumPy scalar types that _accurate evaluates through ``math`` in double precision
_NARROW_FLOAT_SCALARS = frozenset({np.float16, np.float32})
_nd = np.ndarray


import math as _math

_MATH = {np.exp: _math.exp, np.exp2: lambda v: 2.0 ** v, np.log: _math.log,
         np.log1p: _math.log1p, np.expm1: _math.expm1, np.tanh: _math.tanh,
         np.sin: _math.sin, np.cos: _math.cos, np.tan: _math.tan, np.arcsin: _math.asin,
         np.arccos: _math.acos, np.arctan: _math.atan, np.sinh: _math.sinh,
         np.cosh: _math.cosh, np.arcsinh: _math.asinh, np.arccosh: _math.acosh,
         np.arctanh: _math.atanh}


def _accurate(f):
    """``f`` evaluated in double precision and rounded back for 16/32-bit
    scalars and small arrays: NumPy's single-precision transcendentals are
    often 1 ulp off the correctly rounded result, which is what JAX prints in
    the seeds.  Real scalars go through the ``math`` module, which is also the
    fastest path; large arrays use NumPy's float32 kernels."""
    mf = _MATH.get(f)

    def impl(x):
        tx = type(x)
        if tx is _nd and not x.shape:
            x = x[()]   # a 0-d array read as a NumPy scalar (same results)
            tx = type(x)
        if tx in _NARROW_FLOAT_SCALARS and mf is not None:
            # real 16/32-bit scalars, recognized by their type: a dtype
            # lookup would cost as much as the math call itself
            try:
                return tx(mf(float(x)))
            except (ValueError, OverflowError, ZeroDivisionError):
                pass    # out of math's domain: NumPy gives nan/inf
        dt = x.dtype
        wide = _WIDE.get(dt)
        if wide is None:
            with np.errstate(all="ignore"):
                return f(x)
        with np.errstate(all="ignore"):
            if x.size > 16:
                # large arrays: NumPy's vectorized single-precision kernels
                # (~20x faster than a double-precision round trip; within a
                # couple of ulps, like XLA's own float32 kernels)
                return f(x)
            return f(x.astype(wide)).astype(dt)
    impl.__name__ = getattr(f, "__name__", "impl")
    return impl


import operator as _op


_FLOAT_SCALARS = frozenset({np.float16, np.float32, np.float64, np.complex64, np.complex128})


def _float_fast(pyop, ufunc):
    """``ufunc``, but through Python's operator (NumPy's scalar fast path,
    ~10x cheaper on scalars) for floating and complex values; integer kinds
    keep the ufunc so that overflow wraps silently as in XLA.  0-d arrays are
    read as NumPy scalars (~10x cheaper again), so that a scalar operation
    behaves the same (NaN propagation, warning text) whichever form its
    operands arrive in -- and as in jit's generated code, which does the
    same."""
    def impl(x, y):
        tx = type(x)
        if tx in _FLOAT_SCALARS and type(y) is tx:
            # two NumPy float scalars of one type (eager scalar code and the
            # rule templates' values): the branch below without its dtype lookup
            return pyop(x, y)
        k = x.dtype.kind
        if k == "f" or k == "c":
            if type(x) is _nd and not x.shape:
                x = x[()]
            if type(y) is _nd and not y.shape:
                y = y[()]
            return pyop(x, y)
        return ufunc(x, y)
    impl.__name__ = ufunc.__name__
    return impl


# --- public lax wrappers --------------------------------------------------

def neg(x): return neg_p.bind(x)
def sign(x): return sign_p.bind(x)
def floor(x): return floor_p.bind(x)
def ceil(x): return ceil_p.bind(x)
def round(x, rounding_method=0): return round_p.bind(x, rounding_method=int(rounding_method))
def is_finite(x): return is_finite_p.bind(x)
def exp(x): return exp_p.bind(x)
def exp2(x): return exp2_p.bind(x)
def log(x): return log_p.bind(x)
def log1p(x): return log1p_p.bind(x)
def expm1(x): return expm1_p.bind(x)
def tanh(x): return tanh_p.bind(x)
def logistic(x): return logistic_p.bind(x)
def sin(x): return sin_p.bind(x)
def cos(x): return cos_p.bind(x)
def tan(x): return tan_p.bind(x)
def asin(x): return asin_p.bind(x)
def acos(x): return acos_p.bind(x)
def atan(x): return atan_p.bind(x)
def sinh(x): return sinh_p.bind(x)
def cosh(x): return cosh_p.bind(x)
def asinh(x): return asinh_p.bind(x)
def acosh(x): return acosh_p.bind(x)
def atanh(x): return atanh_p.bind(x)
def sqrt(x): return sqrt_p.bind(x)
def rsqrt(x): return rsqrt_p.bind(x)
def cbrt(x): return cbrt_p.bind(x)
def abs(x): return abs_p.bind(x)
def square(x): return mul_p.bind(x, x)
def reciprocal(x): return div_p.bind(const(x, 1), x)
def integer_pow(x, y): return integer_pow_p.bind(x, y=int(y))
def erf(x): return erf_p.bind(x)
def erfc(x): return erfc_p.bind(x)
def erf_inv(x): return erf_inv_p.bind(x)
def lgamma(x): return lgamma_p.bind(x)
def digamma(x): return digamma_p.bind(x)
def real(x): return real_p.bind(x)
def imag(x): return imag_p.bind(x)
def conj(x): return conj_p.bind(x)
def complex(x, y): return complex_p.bind(x, y)
def not_(x): return not_p.bind(x)
def population_count(x): return population_count_p.bind(x)

def add(x, y): return add_p.bind(x, y)
def sub(x, y): return sub_p.bind(x, y)
def mul(x, y): return mul_p.bind(x, y)
def div(x, y): return div_p.bind(x, y)
def rem(x, y): return rem_p.bind(x, y)
def pow(x, y): return pow_p.bind(x, y)
def max(x, y): return max_p.bind(x, y)
def min(x, y): return min_p.bind(x, y)
def atan2(x, y): return atan2_p.bind(x, y)
def nextafter(x, y): return nextafter_p.bind(x, y)
def and_(x, y): return and_p.bind(x, y)
def or_(x, y): return or_p.bind(x, y)
def xor(x, y): return xor_p.bind(x, y)
def shift_left(x, y): return shift_left_p.bind(x, y)
def shift_right_arithmetic(x, y): return shift_right_arithmetic_p.bind(x, y)
def shift_right_logical(x, y): return shift_right_logical_p.bind(x, y)
def eq(x, y): return eq_p.bind(x, y)
def ne(x, y): return ne_p.bind(x, y)
def lt(x, y): return lt_p.bind(x, y)
def le(x, y): return le_p.bind(x, y)
def gt(x, y): return gt_p.bind(x, y)
def ge(x, y): return ge_p.bind(x, y)


def _one(x):
    return const(x, 1)


# --- unary, not differentiable (piecewise constant) -------------------------

def _neg_impl(x):
    k = x.dtype.kind
    return -x if (k == "f" or k == "c") else np.negative(x)


neg_p = unop("neg", _neg_impl, _NUM)
deflinear(neg_p, lambda ct, x: [neg(ct)])

sign_p = unop("sign", np.sign, _NUM)
ad.defjvp_zero(sign_p)

floor_p = unop("floor", np.floor, _FLOAT)
ad.defjvp_zero(floor_p)

ceil_p = unop("ceil", np.ceil, _FLOAT)
ad.defjvp_zero(ceil_p)


def _round_impl(x, rounding_method):
    if rounding_method == 0:  # away from zero
        return np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5)).astype(x.dtype)
    return np.round(x)


round_p = unop("round", _round_impl, _FLOAT)
ad.defjvp_zero(round_p)

is_finite_p = unop("is_finite", np.isfinite, _FLOAT, result_dtype=lambda d: np.dtype(bool))
ad.defjvp_zero(is_finite_p)

# --- unary, smooth ---------------------------------------------------------

exp_p = unop("exp", _accurate(np.exp))
defjvp2(exp_p, lambda g, ans, x: mul(g, ans))

exp2_p = unop("exp2", _accurate(np.exp2))
defjvp2(exp2_p, lambda g, ans, x: mul(g, mul(ans, const(x, np.log(2)))))

log_p = unop("log", _accurate(np.log))
defjvp(log_p, lambda g, x: div(g, x))

log1p_p = unop("log1p", _accurate(np.log1p))
defjvp(log1p_p, lambda g, x: div(g, add(x, _one(x))))

expm1_p = unop("expm1", _accurate(np.expm1))
defjvp2(expm1_p, lambda g, ans, x: mul(g, add(ans, _one(x))))

tanh_p = unop("tanh", _accurate(np.tanh))
defjvp2(tanh_p, lambda g, ans, x: mul(g, sub(_one(x), mul(ans, ans))))


def _logistic_impl(x):
    with np.errstate(all="ignore"):
        return _sps.expit(x).astype(x.dtype, copy=False) if x.dtype.kind == "f" else 1 / (1 + np.exp(-x))


logistic_p = unop("logistic", _logistic_impl)
defjvp2(logistic_p, lambda g, ans, x: mul(g, mul(ans, sub(_one(x), ans))))

sin_p = unop("sin", _accurate(np.sin))
defjvp(sin_p, lambda g, x: mul(g, cos(x)))

cos_p = unop("cos", _accurate(np.cos))
defjvp(cos_p, lambda g, x: neg(mul(g, sin(x))))

tan_p = unop("tan", _accurate(np.tan))
defjvp2(tan_p, lambda g, ans, x: mul(g, add(_one(x), mul(ans, ans))))

asin_p = unop("asin", _accurate(np.arcsin))
defjvp(asin_p, lambda g, x: mul(g, rsqrt(sub(_one(x), mul(x, x)))))

acos_p = unop("acos", _accurate(np.arccos))
defjvp(acos_p, lambda g, x: neg(mul(g, rsqrt(sub(_one(x), mul(x, x))))))

atan_p = unop("atan", _accurate(np.arctan))
defjvp(atan_p, lambda g, x: div(g, add(_one(x), mul(x, x))))

sinh_p = unop("sinh", _accurate(np.sinh))
defjvp(sinh_p, lambda g, x: mul(g, cosh(x)))

cosh_p = unop("cosh", _accurate(np.cosh))
defjvp(cosh_p, lambda g, x: mul(g, sinh(x)))

asinh_p = unop("asinh", _accurate(np.arcsinh))
defjvp(asinh_p, lambda g, x: mul(g, rsqrt(add(mul(x, x), _one(x)))))

acosh_p = unop("acosh", _accurate(np.arccosh))
defjvp(acosh_p, lambda g, x: mul(g, rsqrt(mul(sub(x, _one(x)), add(x, _one(x))))))

atanh_p = unop("atanh", _accurate(np.arctanh))
defjvp(atanh_p, lambda g, x: div(g, sub(_one(x), mul(x, x))))

sqrt_p = unop("sqrt", _quiet(np.sqrt))
defjvp2(sqrt_p, lambda g, ans, x: mul(g, div(const(x, 0.5), ans)))


def _rsqrt_impl(x):
    with np.errstate(all="ignore"):
        return (1 / np.sqrt(x)).astype(x.dtype, copy=False)


rsqrt_p = unop("rsqrt", _rsqrt_impl)
defjvp2(rsqrt_p, lambda g, ans, x: mul(g, mul(const(x, -0.5), div(ans, x))))

cbrt_p = unop("cbrt", np.cbrt, _FLOAT)
defjvp2(cbrt_p, lambda g, ans, x: mul(g, div(const(x, 1 / 3), mul(ans, ans))))


def _abs_impl(x):
    out = np.abs(x)
    return out


def _abs_abstract(x):
    from .utils import check_dtype
    check_dtype("abs", x, _NUM)
    dt = dtypes.to_real_dtype(x.dtype) if x.dtype.kind == "c" else x.dtype
    return ShapedArray(x.shape, dt, x.weak_type)


abs_p = Primitive("abs")
abs_p.def_impl(_abs_impl)
abs_p.def_abstract_eval(_abs_abstract)


def _abs_jvp(g, ans, x):
    if x.dtype.kind == "c":
        # d|z| = Re(conj(z) dz) / |z|
        safe = select_n(eq(ans, const(ans, 0)), ans, const(ans, 1))
        return div(real(mul(conj(x), g)), safe)
    return mul(g, sign(x))


defjvp2(abs_p, _abs_jvp)
batching.defvectorized(abs_p)


def _integer_pow_impl(x, y):
    if y < 0 and x.dtype.kind not in "fc":
        raise TypeError("lax.integer_pow with a negative exponent requires an inexact dtype")
    with np.errstate(all="ignore"):
        if y < 0:
            return np.asarray(1 / np.power(x, -y), dtype=x.dtype)
        return np.asarray(np.power(x, y), dtype=x.dtype)


integer_pow_p = unop("integer_pow", _integer_pow_impl, _NUM)


def _integer_pow_jvp(g, x, *, y):
    if y == 0:
        return const(g, 0)
    if y == 1:
        return g
    return mul(g, mul(const(x, y), x if y == 2 else integer_pow(x, y - 1)))


defjvp(integer_pow_p, _integer_pow_jvp)


def _erf_impl(x):
    return _sps.erf(x).astype(x.dtype, copy=False)


erf_p = unop("erf", _erf_impl, _FLOAT)
defjvp(erf_p, lambda g, x: mul(g, mul(const(x, 2 / np.sqrt(np.pi)), exp(neg(mul(x, x))))))

erfc_p = unop("erfc", lambda x: _sps.erfc(x).astype(x.dtype, copy=False), _FLOAT)
defjvp(erfc_p, lambda g, x: mul(g, mul(const(x, -2 / np.sqrt(np.pi)), exp(neg(mul(x, x))))))

erf_inv_p = unop("erf_inv", lambda x: _sps.erfinv(x).astype(x.dtype, copy=False), _FLOAT)
defjvp2(erf_inv_p, lambda g, ans, x: mul(g, mul(const(x, np.sqrt(np.pi) / 2), exp(mul(ans, ans)))))

lgamma_p = unop("lgamma", lambda x: _sps.gammaln(x).astype(x.dtype, copy=False), _FLOAT)
defjvp(lgamma_p, lambda g, x: mul(g, digamma(x)))


def polygamma(m, x):
    """The polygamma function of order ``m`` (a concrete integer >= 0) at ``x``."""
    m = int(m)
    if m < 0:
        raise ValueError(f"polygamma order must be non-negative, got {m}")
    if m == 0:
        return digamma(x)
    return polygamma_p.bind(x, m=m)


digamma_p = unop("digamma", lambda x: _sps.digamma(x).astype(x.dtype, copy=False), _FLOAT)
defjvp(digamma_p, lambda g, x: mul(g, polygamma(1, x)))

# polygamma of a static order m >= 1: digamma's derivatives, to any order
polygamma_p = unop("polygamma",
                   lambda x, *, m: _sps.polygamma(m, x).astype(x.dtype, copy=False), _FLOAT)
defjvp(polygamma_p, lambda g, x, *, m: mul(g, polygamma(m + 1, x)))

# --- complex parts ---------------------------------------------------------

real_p = unop("real", np.real, _COMPLEX, result_dtype=dtypes.to_real_dtype)
real_p.weak_type_rule = lambda args, params: False
deflinear(real_p, lambda ct, x: [complex(ct, const(ct, 0))])

imag_p = unop("imag", np.imag, _COMPLEX, result_dtype=dtypes.to_real_dtype)
deflinear(imag_p, lambda ct, x: [complex(const(ct, 0), neg(ct))])

conj_p = unop("conj", np.conj, _INEXACT)
deflinear(conj_p, lambda ct, x: [conj(ct)])


def _complex_impl(x, y):
    return (x + 1j * y).astype(dtypes.to_complex_dtype(x.dtype))


complex_p = naryop("complex", _complex_impl, _FLOAT, result_dtype=dtypes.to_complex_dtype)
deflinear(complex_p, lambda ct, x, y: [real(ct), neg(imag(ct))])

# --- bitwise / logical -------------------------------------------------------

not_p = unop("not", lambda x: np.logical_not(x) if x.dtype == np.bool_ else np.invert(x), _BOOL_INT)
ad.defjvp_zero(not_p)


def _popcount(x):
    u = x.view(np.dtype(f"u{x.dtype.itemsize}"))
    return np.bitwise_count(u).astype(x.dtype) if hasattr(np, "bitwise_count") else x


population_count_p = unop("population_count", _popcount, _INT)
ad.defjvp_zero(population_count_p)

and_p = naryop("and", np.bitwise_and, _BOOL_INT)
ad.defjvp_zero(and_p)
or_p = naryop("or", np.bitwise_or, _BOOL_INT)
ad.defjvp_zero(or_p)
xor_p = naryop("xor", np.bitwise_xor, _BOOL_INT)
ad.defjvp_zero(xor_p)


def _shift_left(x, y):
    bits = x.dtype.itemsize * 8
    out = np.left_shift(x, np.where((y < 0) | (y >= bits), 0, y).astype(x.dtype))
    return np.where((y < 0) | (y >= bits), np.zeros_like(x), out).astype(x.dtype)


def _shift_right_logical(x, y):
    bits = x.dtype.itemsize * 8
    u = np.dtype(f"u{x.dtype.itemsize}")
    xu = np.asarray(x).view(u) if np.ndim(x) else np.asarray(x).reshape(1).view(u).reshape(())
    out = np.right_shift(xu, np.where((y < 0) | (y >= bits), 0, y).astype(u))
    out = np.where((y < 0) | (y >= bits), np.zeros_like(xu), out).astype(u)
    return out.view(x.dtype) if out.ndim else out.reshape(1).view(x.dtype).reshape(())


def _shift_right_arithmetic(x, y):
    bits = x.dtype.itemsize * 8
    yy = np.clip(y, 0, bits - 1).astype(x.dtype)
    if x.dtype.kind == "u":
        s = np.dtype(f"i{x.dtype.itemsize}")
        xs = np.asarray(x).view(s) if np.ndim(x) else np.asarray(x).reshape(1).view(s).reshape(())
        out = np.right_shift(xs, yy.astype(s))
        return out.view(x.dtype) if out.ndim else out.reshape(1).view(x.dtype).reshape(())
    return np.right_shift(x, yy)


shift_left_p = naryop("shift_left", _shift_left, _INT)
ad.defjvp_zero(shift_left_p)
shift_right_logical_p = naryop("shift_right_logical", _shift_right_logical, _INT)
ad.defjvp_zero(shift_right_logical_p)
shift_right_arithmetic_p = naryop("shift_right_arithmetic", _shift_right_arithmetic, _INT)
ad.defjvp_zero(shift_right_arithmetic_p)

# --- binary arithmetic -------------------------------------------------------

add_p = naryop("add", _float_fast(_op.add, np.add), _NUM)
deflinear(add_p, lambda ct, x, y: [ct, ct])
ad.primitive_jvps[add_p] = lambda primals, tangents: (
    add_p.bind(*primals), ad.add_tangents(*tangents))

sub_p = naryop("sub", _float_fast(_op.sub, np.subtract), _NUM)


def _sub_jvp(primals, tangents):
    tx, ty = tangents
    out = sub_p.bind(*primals)
    if type(ty) is Zero:
        return out, tx
    if type(tx) is Zero:
        return out, neg(ty)
    return out, sub(tx, ty)


ad.primitive_jvps[sub_p] = _sub_jvp
ad.primitive_transposes[sub_p] = lambda ct, x, y: [ct, neg(ct)]

mul_p = naryop("mul", _float_fast(_op.mul, np.multiply), _NUM)
defjvp(mul_p, lambda g, x, y: mul(g, y), lambda g, x, y: mul(x, g))


def _mul_transpose(ct, x, y):
    if is_undefined_primal(x):
        if is_undefined_primal(y):
            raise NotImplementedError("mul of two linear values is not linear")
        return [mul(ct, y), None]
    return [None, mul(x, ct)]


ad.primitive_transposes[mul_p] = _mul_transpose


def _div_impl(x, y):
    k = x.dtype.kind
    if (k == "f" or k == "c") and type(y) is not np.ndarray and y != 0:
        return x / y  # scalar fast path (no warning possible: y != 0)
    if k in "iu":
        # C-style integer division (rounds toward zero), as lax.div does
        with np.errstate(all="ignore"):
            q = np.floor_divide(x, y)
            r = np.remainder(x, y)
            fix = (r != 0) & ((r < 0) != (y < 0))
            return np.asarray(np.where(fix, q + 1, q), dtype=x.dtype)
    with np.errstate(all="ignore"):
        return np.true_divide(x, y)


div_p = naryop("div", _div_impl, _NUM)
defjvp(div_p, lambda g, x, y: div(g, y), lambda g, x, y: mul(neg(g), div(x, mul(y, y))))


def _div_transpose(ct, x, y):
    if is_undefined_primal(y):
        raise NotImplementedError("div is not linear in its divisor")
    return [div(ct, y), None]


ad.primitive_transposes[div_p] = _div_transpose


def _rem_impl(x, y):
    with np.errstate(all="ignore"):
        return np.fmod(x, y)


rem_p = naryop("rem", _rem_impl, _NUM)
defjvp(rem_p, lambda g, x, y: g,
       lambda g, x, y: mul(neg(g), mul(sign(div(x, y)), floor(abs(div(x, y))))))


def _pow_impl(x, y):
    with np.errstate(all="ignore"):
        return np.power(x, y)


pow_p = naryop("pow", _pow_impl, _INEXACT)


def _pow_jvp_x(g, x, y):
    # d/dx x**y = y * x**(y-1), defined as 0 where y == 0
    yz = eq(y, const(y, 0))
    y1 = select_n(yz, sub(y, _one(y)), const(y, 1))
    return mul(g, select_n(yz, mul(y, pow(x, y1)), const(x, 0)))


def _pow_jvp_y(g, ans, x, y):
    # d/dy x**y = log(x) * x**y, with 0 where x == 0 (the limit for y > 0)
    xz = eq(x, const(x, 0))
    safe_x = select_n(xz, x, const(x, 1))
    return mul(g, select_n(xz, mul(log(safe_x), ans), const(ans, 0)))


def _pow_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = pow_p.bind(x, y)
    acc = Zero.from_value(ans)
    if type(tx) is not Zero:
        acc = ad.add_tangents(acc, _pow_jvp_x(tx, x, y))
    if type(ty) is not Zero:
        acc = ad.add_tangents(acc, _pow_jvp_y(ty, ans, x, y))
    return ans, acc


ad.primitive_jvps[pow_p] = _pow_jvp


def _minmax_jvp(pick_x):
    # ties split the tangent evenly, as JAX does
    def jvp_x(g, x, y):
        return mul(g, _balanced(pick_x(x, y), eq(x, y), g))

    def jvp_y(g, x, y):
        return mul(g, _balanced(pick_x(y, x), eq(x, y), g))
    return jvp_x, jvp_y


def _balanced(strict, tie, like):
    one = const(like, 1)
    zero = const(like, 0)
    half = const(like, 0.5)
    return select_n(tie, select_n(strict, zero, one), half)


max_p = naryop("max", np.maximum, _ANY)
defjvp(max_p, *_minmax_jvp(lambda a, b: gt(a, b)))
min_p = naryop("min", np.minimum, _ANY)
defjvp(min_p, *_minmax_jvp(lambda a, b: lt(a, b)))

atan2_p = naryop("atan2", np.arctan2, _FLOAT)
defjvp(atan2_p,
       lambda g, x, y: mul(g, div(y, add(mul(x, x), mul(y, y)))),
       lambda g, x, y: mul(g, div(neg(x), add(mul(x, x), mul(y, y)))))

nextafter_p = naryop("nextafter", np.nextafter, _FLOAT)
ad.defjvp_zero(nextafter_p)

# --- comparisons -------------------------------------------------------------


def _cmp(name, fn):
    p = naryop(name, fn, _ANY, result_dtype=lambda d: np.dtype(bool))
    ad.defjvp_zero(p)
    return p


eq_p = _cmp("eq", np.equal)
ne_p = _cmp("ne", np.not_equal)
lt_p = _cmp("lt", np.less)
le_p = _cmp("le", np.less_equal)
gt_p = _cmp("gt", np.greater)
ge_p = _cmp("ge", np.greater_equal)

# --- select_n: the elementwise switch ------------------------------------------


def select_n(which, *cases):
    """``cases[which]`` elementwise (``which`` bool or int32)."""
    return select_n_p.bind(which, *cases)


def _select_n_impl(which, *cases):
    if len(cases) == 1:
        return cases[0]
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which, cases)


def _select_n_abstract(which, *cases):
    if not cases:
        raise TypeError("select_n requires at least one case")
    c0 = cases[0]
    for c in cases[1:]:
        if c.shape != c0.shape or c.dtype != c0.dtype:
            raise TypeError(
                "select_n requires all cases to have the same shape and dtype, got "
                f"{', '.join(c.str_short() for c in cases)}")
    if which.dtype != np.bool_ and which.dtype.kind not in "iu":
        raise TypeError(f"select_n predicate must be bool or int, got {which.dtype}")
    if which.shape != () and which.shape != c0.shape:
        raise TypeError(f"select_n predicate shape {which.shape} must be scalar or match cases {c0.shape}")
    return ShapedArray(c0.shape, c0.dtype, all(c.weak_type for c in cases))


select_n_p = Primitive("select_n")
select_n_p.def_impl(_select_n_impl)
select_n_p.def_abstract_eval(_select_n_abstract)
select_n_p.weak_type_rule = lambda args, params: all(getattr(a, "weak_type", False) for a in args[1:])


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = select_n_p.bind(which, *cases)
    ts = tangents[1:]
    if all(type(t) is Zero for t in ts):
        return out, Zero.from_value(out)
    ts = [ad.instantiate_zeros(t) for t in ts]
    return out, select_n_p.bind(which, *ts)


def _select_n_transpose(ct, which, *cases):
    if is_undefined_primal(which):
        raise NotImplementedError("select_n is not linear in its predicate")
    zeros = const(ct, 0)
    outs = [None]
    for i, c in enumerate(cases):
        if is_undefined_primal(c):
            branches = [zeros] * len(cases)
            branches[i] = ct
            outs.append(select_n_p.bind(which, *branches))
        else:
            outs.append(None)
    return outs


ad.primitive_jvps[select_n_p] = _select_n_jvp
ad.primitive_transposes[select_n_p] = _select_n_transpose


def _select_n_batch(vals, dims):
    which, *cases = vals
    wd, cds = dims[0], dims[1:]
    w_aval = core.get_aval(which)
    case_shape = core.get_aval(cases[0]).shape
    case_ndim = len(case_shape) - (0 if cds[0] is None else 1)
    if w_aval.ndim - (0 if wd is None else 1) == 0 and case_ndim > 0:
        # scalar predicate
        if wd is None:
            # it stays a scalar: only the cases need a common layout
            new, out_dim = batching.broadcast_batched(list(cases), list(cds))
            return select_n_p.bind(which, *new), out_dim
        # a batch of scalar predicates: one per batch element, spread over
        # the cases' elements (broadcast_in_dim), cases with the batch in front
        size = w_aval.shape[0]
        new = [batching.bdim_at_front(c, d, size) for c, d in zip(cases, cds)]
        full = core.get_aval(new[0]).shape
        from .structural import broadcast_in_dim
        w = broadcast_in_dim(which, full, (0,))
        return select_n_p.bind(w, *new), 0
    new, out_dim = batching.broadcast_batched(list(vals), list(dims))
    return select_n_p.bind(*new), out_dim


batching.primitive_batchers[select_n_p] = _select_n_batch
