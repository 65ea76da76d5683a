"""cotan.scipy.special: SciPy's special functions, composed from lax."""
from __future__ import annotations

import numpy as np

from ..lax import elementwise as _el
from ..lax import special as _ls
from ..lax import structural as _st
from ..lax import misc as _misc
from ..numpy import util as _u
from .. import core
import cotan.numpy as jnp

__all__ = ["logsumexp", "gammaln", "digamma", "polygamma", "erf", "erfc", "erfinv", "expit",
           "logit", "xlogy", "xlog1py", "entr", "ndtr", "ndtri", "log_ndtr", "betaln",
           "betainc", "gammainc", "gammaincc", "i0e", "i1e", "softmax", "log_softmax", "zeta",
           "multigammaln", "gamma", "beta", "i0", "i1", "factorial"]


def _inexact(*args):
    out = _u.promote_args_inexact(*args)
    return out


def _one(x):
    (x,) = _inexact(x)
    return x


def _c(x, v):
    return _st.broadcast_in_dim(core.Array(np.asarray(v, x.dtype), False), x.shape, ())


def gammaln(x): return _el.lgamma(_one(x))
def digamma(x): return _el.digamma(_one(x))
def erf(x): return _el.erf(_one(x))
def erfc(x): return _el.erfc(_one(x))
def erfinv(x): return _el.erf_inv(_one(x))
def expit(x): return _el.logistic(_one(x))
def i0e(x): return _ls.bessel_i0e(_one(x))
def i1e(x): return _ls.bessel_i1e(_one(x))
def ndtri(p): return _ls.ndtri(_one(p))


def gamma(x):
    """Gamma function: sign(Gamma(x)) * exp(gammaln(x))."""
    x = _one(x)
    # the sign of Gamma is negative on (-2k-1, -2k)
    fl = _el.floor(x)
    neg_sign = _el.and_(_el.lt(x, _c(x, 0)),
                        _el.ne(_el.rem(fl, _c(x, 2)), _c(x, 0)))
    sign = _el.select_n(neg_sign, _c(x, 1), _c(x, -1))
    return _el.mul(sign, _el.exp(_el.lgamma(x)))


def i0(x):
    x = _one(x)
    return _el.mul(_el.exp(_el.abs(x)), _ls.bessel_i0e(x))


def i1(x):
    x = _one(x)
    return _el.mul(_el.exp(_el.abs(x)), _ls.bessel_i1e(x))


def factorial(n, exact=False):
    if exact:
        raise NotImplementedError("factorial with exact=True")
    n = _one(n)
    return jnp.where(n < 0, 0, gamma(n + 1))


def polygamma(n, x):
    """Polygamma of order ``n`` (concrete non-negative integers) at ``x``."""
    if isinstance(n, core.Tracer):
        raise TypeError("polygamma: the order n must be concrete (not traced)")
    n_val = np.asarray(n._value if isinstance(n, core.Array) else n)
    (x,) = _inexact(x)
    if n_val.ndim == 0:
        m = int(n_val)
        if m != n_val or m < 0:
            raise ValueError(f"polygamma order must be a non-negative integer, got {n_val}")
        return _el.polygamma(m, x)
    shape = np.broadcast_shapes(n_val.shape, x.shape)
    x = _u.broadcast_to_shape(x, shape)
    n_b = np.broadcast_to(n_val, shape)
    out = None
    for m in np.unique(n_b):
        val = _el.polygamma(int(m), x)
        out = val if out is None else jnp.where(n_b == m, val, out)
    return out


def logit(x):
    x = _one(x)
    return _el.log(_el.div(x, _el.sub(_c(x, 1), x)))


def _xlog(x, y, logf):
    x, y = _inexact(x, y)
    x_ok = _el.ne(x, _c(x, 0))
    ly = logf(y)
    # at x == 0 the value is 0 and, as in JAX, d/dx = log(y), d/dy = x/y
    ly_safe = _misc.stop_gradient(_el.select_n(_el.is_finite(ly), _c(ly, 0), ly))
    return _el.select_n(x_ok, _el.mul(x, ly_safe), _el.mul(x, ly))


def xlogy(x, y):
    """x * log(y), 0 where x == 0."""
    return _xlog(x, y, _el.log)


def xlog1py(x, y):
    """x * log1p(y), 0 where x == 0."""
    return _xlog(x, y, _el.log1p)


def entr(x):
    """-x log(x) for x > 0, 0 at 0, -inf for x < 0."""
    x = _one(x)
    pos = _el.gt(x, _c(x, 0))
    safe = _el.select_n(pos, _c(x, 1), x)
    val = _el.neg(_el.mul(safe, _el.log(safe)))
    other = _el.select_n(_el.eq(x, _c(x, 0)), _c(x, -np.inf), _c(x, 0))
    return _el.select_n(pos, other, val)


def ndtr(x):
    """Standard normal CDF."""
    x = _one(x)
    h = np.sqrt(0.5)
    w = _el.mul(x, _c(x, h))
    z = _el.abs(w)
    y = _el.select_n(_el.lt(z, _c(x, h)),
                     _el.select_n(_el.gt(w, _c(x, 0)), _el.erfc(z),
                                  _el.sub(_c(x, 2), _el.erfc(z))),
                     _el.add(_c(x, 1), _el.erf(w)))
    return _el.mul(_c(x, 0.5), y)


def log_ndtr(x, series_order=3):
    """log of the standard normal CDF, accurate in both tails."""
    if not isinstance(series_order, int) or series_order < 0 or series_order > 30:
        raise ValueError(f"series_order must be an int in [0, 30], got {series_order}")
    x = _one(x)
    if x.dtype == np.float64:
        lower, upper = -20.0, 8.0
    else:
        lower, upper = -10.0, 5.0
    # right tail: log(1 - ndtr(-x)) ~ -ndtr(-x)
    x_hi = _el.max(x, _c(x, 0.0))
    right = _el.log1p(_el.neg(ndtr(_el.neg(x_hi))))
    # middle: log(ndtr(x)) with x clamped into the safe range
    x_mid = _el.max(x, _c(x, lower))
    x_midpos = _el.max(x_mid, _c(x, 0.0))
    mid = _el.select_n(_el.gt(x_mid, _c(x, 0.0)), _el.log(ndtr(x_mid)),
                       _el.log1p(_el.neg(ndtr(_el.neg(x_midpos)))))
    # left tail: asymptotic series
    x_lo = _el.min(x, _c(x, lower))
    x2 = _el.mul(x_lo, x_lo)
    log_lead = _el.sub(_el.sub(_el.mul(_c(x, -0.5), x2), _el.log(_el.neg(x_lo))),
                       _c(x, 0.5 * np.log(2 * np.pi)))
    series = _c(x, 1.0)
    inv = _el.div(_c(x, 1.0), x2)
    term = _c(x, 1.0)
    coef = 1.0
    for k in range(1, series_order + 1):
        coef *= (2 * k - 1)
        term = _el.mul(term, inv)
        series = _el.add(series, _el.mul(_c(x, (-1) ** k * coef), term))
    left = _el.add(log_lead, _el.log(series))
    return _el.select_n(_el.gt(x, _c(x, upper)),
                        _el.select_n(_el.lt(x, _c(x, lower)), mid, left), right)


def betaln(a, b):
    a, b = _inexact(a, b)
    return _el.sub(_el.add(_el.lgamma(a), _el.lgamma(b)), _el.lgamma(_el.add(a, b)))


def beta(a, b):
    return jnp.exp(betaln(a, b))


def betainc(a, b, x):
    """Regularized incomplete beta function I_x(a, b)."""
    a, b, x = _inexact(a, b, x)
    return _ls.regularized_incomplete_beta(a, b, x)


def gammainc(a, x):
    """Regularized lower incomplete gamma function P(a, x)."""
    a, x = _inexact(a, x)
    return _ls.igamma(a, x)


def gammaincc(a, x):
    """Regularized upper incomplete gamma function Q(a, x)."""
    a, x = _inexact(a, x)
    return _ls.igammac(a, x)


def zeta(x, q=None):
    """Hurwitz zeta function (Riemann zeta when ``q`` is None)."""
    if q is None:
        q = 1.0
    x, q = _inexact(x, q)
    return _ls.zeta(x, q)


def multigammaln(a, d):
    """log of the multivariate gamma function of dimension ``d`` (concrete int)."""
    d = int(d)
    if d < 1:
        raise ValueError(f"d must be a positive integer, got {d}")
    a = _one(a)
    b = jnp.arange(d, dtype=a.dtype) / 2
    res = jnp.sum(gammaln(jnp.expand_dims(a, -1) - b), axis=-1)
    return res + d * (d - 1) / 4 * np.log(np.pi)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) computed stably (JAX's semantics for -inf and signs)."""
    if b is not None:
        a, b = _inexact(a, b)
        shape = np.broadcast_shapes(a.shape, b.shape)
        a = _u.broadcast_to_shape(a, shape)
        b = _u.broadcast_to_shape(b, shape)
        a = jnp.where(b != 0, a, -np.inf)
    else:
        (a,) = _inexact(a)
    nd = a.ndim
    if axis is None:
        dims = tuple(range(nd))
    else:
        dims = tuple(_u.canonicalize_axis(ax, nd)
                     for ax in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    real_a = jnp.real(a) if a.dtype.kind == "c" else a
    amax = jnp.max(real_a, axis=dims, keepdims=True, where=where, initial=-np.inf)
    amax = _misc.stop_gradient(jnp.where(jnp.isfinite(amax), amax, 0))
    exp_a = jnp.exp(a - amax.astype(a.dtype))
    if b is not None:
        exp_a = exp_a * b
    sumexp = jnp.sum(exp_a, axis=dims, keepdims=keepdims, where=where)
    sign = jnp.sign(sumexp)
    if return_sign or a.dtype.kind != "c":
        sumexp = jnp.abs(sumexp)
    amax_out = amax if keepdims else jnp.squeeze(amax, axis=dims)
    out = jnp.log(sumexp) + amax_out.astype(sumexp.dtype)
    if return_sign:
        return out, sign
    if b is not None and out.dtype.kind != "c":
        out = jnp.where(sign < 0, np.nan, out)
    return out


def softmax(x, /, *, axis=None):
    from ..nn.functions import softmax as _sm
    return _sm(x, axis=axis)


def log_softmax(x, /, *, axis=None):
    from ..nn.functions import log_softmax as _lsm
    return _lsm(x, axis=axis)
