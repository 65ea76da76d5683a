"""Extra elementwise math of cotan.numpy (frexp, ldexp, modf, gcd, lcm, fmax,
fmin, nan_to_num, unwrap, complex helpers), composed from lax operations."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..core import Array, Tracer
from ..lax import control_flow as _cf
from ..lax import elementwise as lx
from . import creation
from . import lax_numpy as lnp
from . import reductions as red
from . import ufuncs as uf
from .util import asarray_arg, convert, promote_args, promote_args_inexact, to_inexact


def _int_result_dtype():
    return dtypes.canonicalize_dtype(np.int32)


def frexp(x, /):
    """Mantissa in [0.5, 1) and integer exponent with ``x == m * 2**e``."""
    x = to_inexact(x)
    if dtypes.issubdtype(x.dtype, np.complexfloating):
        raise TypeError("frexp does not support complex-valued inputs")
    ax = uf.abs(x)
    special = uf.logical_or(uf.equal(x, 0), uf.logical_not(uf.isfinite(x)))
    safe = lnp.where(special, 1, ax)
    e = uf.floor(uf.log2(safe)) + 1
    m = x / uf.exp2(e)
    am = uf.abs(m)
    # fix rounding of log2 near powers of two
    big = am >= 1
    m = lnp.where(big, m / 2, m)
    e = lnp.where(big, e + 1, e)
    small = uf.abs(m) < 0.5
    m = lnp.where(uf.logical_and(small, uf.logical_not(special)), m * 2, m)
    e = lnp.where(uf.logical_and(small, uf.logical_not(special)), e - 1, e)
    m = lnp.where(special, x, m)
    e = lnp.where(special, 0, e)
    return m, convert(e, _int_result_dtype())


def ldexp(x1, x2, /):
    """``x1 * 2**x2`` (applied in two halves so the power does not overflow)."""
    x2 = asarray_arg(x2)
    if not dtypes.issubdtype(x2.dtype, np.integer):
        raise ValueError(f"ldexp: x2 must be an integer array, got dtype {x2.dtype}")
    x1 = to_inexact(x1)
    h = uf.floor_divide(x2, 2)
    a = convert(h, x1.dtype)
    b = convert(x2 - h, x1.dtype)
    return x1 * uf.exp2(a) * uf.exp2(b)


def modf(x, /, out=None):
    """Fractional and integral parts of ``x`` (both with the sign of ``x``)."""
    x = to_inexact(x)
    whole = uf.trunc(x)
    return x - whole, whole


def _check_int(name, *xs):
    for x in xs:
        if not (dtypes.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_):
            raise ValueError(f"Arguments to jax.numpy.{name} must be integers.")


def gcd(x1, x2, /):
    """Greatest common divisor, elementwise (Euclid's algorithm in a while_loop)."""
    x1, x2 = promote_args(x1, x2)
    _check_int("gcd", x1, x2)
    a, b = uf.abs(x1), uf.abs(x2)

    def cond(c):
        return red.any(uf.not_equal(c[1], 0))

    def body(c):
        a, b = c
        nz = uf.not_equal(b, 0)
        safe_b = lnp.where(nz, b, 1)
        return lnp.where(nz, b, a), lnp.where(nz, uf.remainder(a, safe_b), 0)

    return _cf.while_loop(cond, body, (a, b))[0]


def lcm(x1, x2, /):
    """Least common multiple, elementwise."""
    x1, x2 = promote_args(x1, x2)
    _check_int("lcm", x1, x2)
    d = gcd(x1, x2)
    zero = uf.equal(d, 0)
    safe = lnp.where(zero, 1, d)
    return lnp.where(zero, 0, uf.abs(uf.multiply(x1, uf.floor_divide(x2, safe))))


def fmax(x1, x2):
    """Elementwise maximum ignoring NaNs (NaN only when both are NaN)."""
    x1, x2 = promote_args(x1, x2)
    return lnp.where(uf.isnan(x1), x2, lnp.where(uf.isnan(x2), x1, uf.maximum(x1, x2)))


def fmin(x1, x2):
    """Elementwise minimum ignoring NaNs (NaN only when both are NaN)."""
    x1, x2 = promote_args(x1, x2)
    return lnp.where(uf.isnan(x1), x2, lnp.where(uf.isnan(x2), x1, uf.minimum(x1, x2)))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default:
    the largest finite values of the dtype)."""
    x = asarray_arg(x)
    dt = x.dtype
    if dtypes.issubdtype(dt, np.complexfloating):
        re = nan_to_num(uf.real(x), nan=nan, posinf=posinf, neginf=neginf)
        im = nan_to_num(uf.imag(x), nan=nan, posinf=posinf, neginf=neginf)
        return lx.complex(re, im)
    if not dtypes.issubdtype(dt, np.inexact):
        return x
    info = dtypes.finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = lnp.where(uf.isnan(x), convert(np.asarray(nan), dt), x)
    out = lnp.where(uf.isposinf(out), convert(np.asarray(posinf), dt), out)
    out = lnp.where(uf.isneginf(out), convert(np.asarray(neginf), dt), out)
    return out


def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    """Unwrap a phase signal by removing jumps larger than ``discont``."""
    from .manipulation import diff
    p = to_inexact(p)
    if dtypes.issubdtype(p.dtype, np.complexfloating):
        raise ValueError("jnp.unwrap does not support complex inputs.")
    if p.shape[axis] == 0:
        return p
    if discont is None:
        discont = period / 2
    interval = period / 2
    dd = diff(p, axis=axis)
    ddmod = uf.remainder(dd + interval, period) - interval
    ddmod = lnp.where(uf.logical_and(uf.equal(ddmod, -interval), dd > 0), interval, ddmod)
    ph_correct = lnp.where(uf.abs(dd) < discont, 0, ddmod - dd)
    ax = axis % p.ndim
    first = _slice_axis(p, 0, 1, ax)
    up = lnp.concatenate([first, _slice_axis(p, 1, p.shape[ax], ax) +
                          red.cumsum(ph_correct, axis=ax)], axis=ax)
    return up


def _slice_axis(x, start, stop, axis):
    from ..lax import structural as st
    return st.slice_in_dim(x, start, stop, 1, axis)


# -- complex helpers ----------------------------------------------------------------------

def iscomplexobj(x):
    if x is None:
        return False
    try:
        dt = x.dtype
    except AttributeError:
        dt = dtypes.result_type(x)
    return dtypes.issubdtype(dt, np.complexfloating)


def isrealobj(x):
    return not iscomplexobj(x)


def iscomplex(x):
    x = asarray_arg(x)
    if not iscomplexobj(x):
        return creation.zeros(x.shape, bool)
    return uf.not_equal(uf.imag(x), 0)


def isreal(x):
    x = asarray_arg(x)
    if not iscomplexobj(x):
        return creation.ones(x.shape, bool)
    return uf.equal(uf.imag(x), 0)


def real_if_close(x, tol=100):
    """Real part when all imaginary parts are within ``tol`` machine epsilons
    of zero (decided eagerly: the result's dtype depends on the values)."""
    x = asarray_arg(x)
    if not iscomplexobj(x):
        return x
    if isinstance(x, Tracer):
        raise TypeError("real_if_close needs a concrete array (its output dtype depends on values)")
    eps = dtypes.finfo(x.dtype).eps
    t = tol * eps if tol > 1 else tol
    if np.all(np.abs(np.imag(np.asarray(x))) < t):
        return uf.real(x)
    return x


_unused = (Array, promote_args_inexact)
