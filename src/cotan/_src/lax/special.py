"""Special-function primitives (regularized incomplete gamma, Hurwitz zeta,
scaled modified Bessel functions, the inverse normal CDF), computed by SciPy."""
from __future__ import annotations

import numpy as np


class _LazyScipySpecial:
    # scipy.special takes ~150 ms to import: load it on first use only
    def __getattr__(self, name):
        def call(*args, **kwargs):
            import scipy.special
            return getattr(scipy.special, name)(*args, **kwargs)
        call.__name__ = name
        return call


_sps = _LazyScipySpecial()

from ..interpreters import ad
from . import elementwise as _el
from .elementwise import add, div, exp, log, lgamma, mul, neg, sub
from .utils import _FLOAT, const, naryop, unop


def _f(fn):
    def impl(*args, **params):
        dt = np.result_type(*args)
        with np.errstate(all="ignore"):
            return np.asarray(fn(*args)).astype(dt, copy=False)
    return impl


def igamma(a, x): return igamma_p.bind(a, x)
def igammac(a, x): return igammac_p.bind(a, x)
def igamma_grad_a(a, x): return igamma_grad_a_p.bind(a, x)
def zeta(x, q): return zeta_p.bind(x, q)
def bessel_i0e(x): return bessel_i0e_p.bind(x)
def bessel_i1e(x): return bessel_i1e_p.bind(x)
def ndtri(x): return ndtri_p.bind(x)


def _igamma_grad_a_impl(a, x):
    # d/da P(a, x): Richardson-extrapolated central differences of SciPy's gammainc
    dt = np.result_type(a, x)
    a64 = np.asarray(a, np.float64)
    x64 = np.asarray(x, np.float64)
    h = 1e-3 * np.maximum(1.0, np.abs(a64))
    h = np.minimum(h, 0.5 * a64)

    def d(hh):
        return (_sps.gammainc(a64 + hh, x64) - _sps.gammainc(a64 - hh, x64)) / (2 * hh)

    with np.errstate(all="ignore"):
        out = (16 * d(h / 4) - d(h / 2)) / 15
    return np.asarray(out).astype(dt, copy=False)


def _igamma_dx(g, a, x):
    # x^(a-1) e^(-x) / Gamma(a)
    return mul(g, exp(sub(sub(mul(sub(a, const(a, 1)), log(x)), x), lgamma(a))))


igamma_p = naryop("igamma", _f(_sps.gammainc), _FLOAT)
ad.defjvp(igamma_p, lambda g, a, x: mul(g, igamma_grad_a(a, x)), _igamma_dx)

igamma_grad_a_p = naryop("igamma_grad_a", _igamma_grad_a_impl, _FLOAT)


def _no_jvp(name):
    def rule(*args, **kw):
        raise NotImplementedError(f"Differentiation rule for '{name}' not implemented")
    return rule


ad.defjvp(igamma_grad_a_p, _no_jvp("igamma_grad_a"), _no_jvp("igamma_grad_a"))

igammac_p = naryop("igammac", _f(_sps.gammaincc), _FLOAT)
ad.defjvp(igammac_p, lambda g, a, x: neg(mul(g, igamma_grad_a(a, x))),
          lambda g, a, x: neg(_igamma_dx(g, a, x)))

zeta_p = naryop("zeta", _f(_sps.zeta), _FLOAT)
# d/dq zeta(x, q) = -x zeta(x + 1, q); the derivative in x is not implemented (as in JAX)
ad.defjvp(zeta_p, _no_jvp("zeta (with respect to x)"),
          lambda g, x, q: mul(g, neg(mul(x, zeta(add(x, const(x, 1)), q)))))

bessel_i0e_p = unop("bessel_i0e", _f(_sps.i0e), _FLOAT)
# i0e' = i1e - sign(x) i0e
ad.defjvp2(bessel_i0e_p, lambda g, ans, x: mul(g, sub(bessel_i1e(x), mul(_el.sign(x), ans))))

bessel_i1e_p = unop("bessel_i1e", _f(_sps.i1e), _FLOAT)


def _i1e_jvp(g, ans, x):
    # i1e' = i0e - i1e (sign(x) + 1/x), which is 1/2 at x = 0
    zero = _el.eq(x, const(x, 0))
    safe_x = _el.select_n(zero, x, const(x, 1))
    d = sub(bessel_i0e(x), mul(ans, add(_el.sign(x), div(const(x, 1), safe_x))))
    return mul(g, _el.select_n(zero, d, const(x, 0.5)))


ad.defjvp2(bessel_i1e_p, _i1e_jvp)

ndtri_p = unop("ndtri", _f(_sps.ndtri), _FLOAT)
# ndtri'(p) = sqrt(2 pi) exp(ndtri(p)^2 / 2)
ad.defjvp2(ndtri_p, lambda g, ans, x: mul(g, mul(const(x, np.sqrt(2 * np.pi)),
                                                 exp(mul(const(x, 0.5), mul(ans, ans))))))


def regularized_incomplete_beta(a, b, x): return regularized_incomplete_beta_p.bind(a, b, x)


def _betainc_dx(g, a, b, x):
    # x^(a-1) (1-x)^(b-1) / B(a, b)
    one = const(x, 1)
    lbeta = sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b)))
    return mul(g, exp(sub(add(mul(sub(a, one), log(x)), mul(sub(b, one), _el.log1p(neg(x)))),
                          lbeta)))


regularized_incomplete_beta_p = naryop("regularized_incomplete_beta", _f(_sps.betainc), _FLOAT)
# derivatives in a and b are not implemented (as in JAX)
ad.defjvp(regularized_incomplete_beta_p, _no_jvp("regularized_incomplete_beta (a)"),
          _no_jvp("regularized_incomplete_beta (b)"), _betainc_dx)
