"""cotan.scipy.stats distributions (the functions jax.scipy.stats provides)."""
from __future__ import annotations

import types

import numpy as np

import cotan.numpy as jnp
from ..numpy import util as _u
from . import special as sp

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def _p(*args):
    return _u.promote_args_inexact(*args)


def _ns(name, **fns):
    return types.SimpleNamespace(__name__=name, **fns)


# ---- norm
def _norm_logpdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    z = (x - loc) / scale
    return -0.5 * z * z - jnp.log(scale) - _LOG_SQRT_2PI


def _norm_cdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return sp.ndtr((x - loc) / scale)


def _norm_logcdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return sp.log_ndtr((x - loc) / scale)


def _norm_sf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return sp.ndtr((loc - x) / scale)


def _norm_logsf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return sp.log_ndtr((loc - x) / scale)


def _norm_ppf(q, loc=0, scale=1):
    q, loc, scale = _p(q, loc, scale)
    return sp.ndtri(q) * scale + loc


def _norm_isf(q, loc=0, scale=1):
    q, loc, scale = _p(q, loc, scale)
    return -sp.ndtri(q) * scale + loc


norm = _ns("norm", logpdf=_norm_logpdf, pdf=lambda x, loc=0, scale=1: jnp.exp(_norm_logpdf(x, loc, scale)),
           cdf=_norm_cdf, logcdf=_norm_logcdf, sf=_norm_sf, logsf=_norm_logsf, ppf=_norm_ppf,
           isf=_norm_isf)


# ---- multivariate_normal
def _mvn_logpdf(x, mean, cov, allow_singular=None):
    if allow_singular is not None:
        raise NotImplementedError("allow_singular argument of multivariate_normal.logpdf")
    x, mean, cov = _u.promote_dtypes_inexact(x, mean, cov)
    if not mean.shape:
        return (-1 / 2 * jnp.square(x - mean) / cov - 1 / 2 * (jnp.log(2 * np.pi) + jnp.log(cov)))
    n = mean.shape[-1]
    if not np.shape(cov):
        y = x - mean
        return (-1 / 2 * jnp.einsum('...i,...i->...', y, y) / cov
                - n / 2 * (jnp.log(2 * np.pi) + jnp.log(cov)))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ValueError("multivariate_normal.logpdf got incompatible shapes")
    L = jnp.linalg.cholesky(cov)
    diff = x - mean
    # solve L y = diff via the inverse of L (batched triangular solve through jnp.linalg.solve)
    shape = np.broadcast_shapes(L.shape[:-2], diff.shape[:-1])
    Lb = jnp.broadcast_to(L, shape + (n, n))
    db = jnp.broadcast_to(diff, shape + (n,))
    y = jnp.linalg.solve(Lb, db[..., None])[..., 0]
    return (-1 / 2 * jnp.einsum('...i,...i->...', y, y) - n / 2 * jnp.log(2 * np.pi)
            - jnp.log(jnp.sum(L * jnp.eye(n, dtype=L.dtype), -1)).sum(-1))


multivariate_normal = _ns("multivariate_normal", logpdf=_mvn_logpdf,
                          pdf=lambda x, mean, cov: jnp.exp(_mvn_logpdf(x, mean, cov)))


# ---- beta
def _beta_logpdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = _p(x, a, b, loc, scale)
    y = (x - loc) / scale
    lp = (sp.xlogy(a - 1, y) + sp.xlog1py(b - 1, -y) - jnp.log(scale) - sp.betaln(a, b))
    return jnp.where((y < 0) | (y > 1), -np.inf, lp)


def _beta_cdf(x, a, b, loc=0, scale=1):
    from cotan._src.scipy.special import betainc
    x, a, b, loc, scale = _p(x, a, b, loc, scale)
    return betainc(a, b, jnp.clip((x - loc) / scale, 0, 1))


def _beta_sf(x, a, b, loc=0, scale=1):
    from cotan._src.scipy.special import betainc
    x, a, b, loc, scale = _p(x, a, b, loc, scale)
    return betainc(b, a, 1 - jnp.clip((x - loc) / scale, 0, 1))


beta = _ns("beta", logpdf=_beta_logpdf,
           pdf=lambda x, a, b, loc=0, scale=1: jnp.exp(_beta_logpdf(x, a, b, loc, scale)),
           cdf=_beta_cdf, logcdf=lambda *a, **k: jnp.log(_beta_cdf(*a, **k)),
           sf=_beta_sf, logsf=lambda *a, **k: jnp.log(_beta_sf(*a, **k)))


# ---- gamma
def _gamma_logpdf(x, a, loc=0, scale=1):
    x, a, loc, scale = _p(x, a, loc, scale)
    y = (x - loc) / scale
    ok = y >= 0
    ys = jnp.where(ok, y, 1)
    lp = sp.xlogy(a - 1, ys) - ys - sp.gammaln(a) - jnp.log(scale)
    return jnp.where(ok, lp, -np.inf)


def _gamma_cdf(x, a, loc=0, scale=1):
    x, a, loc, scale = _p(x, a, loc, scale)
    return sp.gammainc(a, jnp.maximum((x - loc) / scale, 0))


def _gamma_sf(x, a, loc=0, scale=1):
    x, a, loc, scale = _p(x, a, loc, scale)
    return sp.gammaincc(a, jnp.maximum((x - loc) / scale, 0))


gamma = _ns("gamma", logpdf=_gamma_logpdf,
            pdf=lambda x, a, loc=0, scale=1: jnp.exp(_gamma_logpdf(x, a, loc, scale)),
            cdf=_gamma_cdf, logcdf=lambda *a, **k: jnp.log(_gamma_cdf(*a, **k)),
            sf=_gamma_sf, logsf=lambda *a, **k: jnp.log(_gamma_sf(*a, **k)))


# ---- t
def _t_logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = _p(x, df, loc, scale)
    z = (x - loc) / scale
    return (sp.gammaln((df + 1) / 2) - sp.gammaln(df / 2) - 0.5 * jnp.log(df * np.pi)
            - jnp.log(scale) - (df + 1) / 2 * jnp.log1p(z * z / df))


t = _ns("t", logpdf=_t_logpdf,
        pdf=lambda x, df, loc=0, scale=1: jnp.exp(_t_logpdf(x, df, loc, scale)))


# ---- poisson
def _poisson_logpmf(k, mu, loc=0):
    k, mu, loc = _p(k, mu, loc)
    x = k - loc
    lp = sp.xlogy(x, mu) - sp.gammaln(x + 1) - mu
    return jnp.where((x < 0) | (x != jnp.round(x)), -np.inf, lp)


def _poisson_cdf(k, mu, loc=0):
    k, mu, loc = _p(k, mu, loc)
    x = k - loc
    p = sp.gammaincc(jnp.floor(1 + jnp.maximum(x, 0)), mu)
    return jnp.where(x < 0, 0, p)


def _poisson_entropy(mu, loc=0):
    raise NotImplementedError("poisson.entropy")


poisson = _ns("poisson", logpmf=_poisson_logpmf,
              pmf=lambda k, mu, loc=0: jnp.exp(_poisson_logpmf(k, mu, loc)), cdf=_poisson_cdf)


# ---- bernoulli
def _bernoulli_logpmf(k, p, loc=0):
    k, p, loc = _p(k, p, loc)
    x = k - loc
    lp = sp.xlogy(x, p) + sp.xlog1py(1 - x, -p)
    return jnp.where((x != 0) & (x != 1), -np.inf, lp)


def _bernoulli_cdf(k, p):
    k, p = _p(k, p)
    return jnp.where(k < 0, 0, jnp.where(k >= 1, 1, 1 - p))


def _bernoulli_ppf(q, p):
    q, p = _p(q, p)
    return jnp.where((q < 0) | (q > 1), np.nan, jnp.where(q <= 1 - p, 0, 1)).astype(q.dtype)


bernoulli = _ns("bernoulli", logpmf=_bernoulli_logpmf,
                pmf=lambda k, p, loc=0: jnp.exp(_bernoulli_logpmf(k, p, loc)),
                cdf=_bernoulli_cdf, ppf=_bernoulli_ppf)


# ---- uniform
def _uniform_logpdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    lp = -jnp.log(scale) + jnp.zeros_like(x)
    return jnp.where((x < loc) | (x > loc + scale), -np.inf, lp)


def _uniform_cdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return jnp.clip((x - loc) / scale, 0, 1)


def _uniform_ppf(q, loc=0, scale=1):
    q, loc, scale = _p(q, loc, scale)
    return jnp.where((q < 0) | (q > 1), np.nan, loc + q * scale)


uniform = _ns("uniform", logpdf=_uniform_logpdf,
              pdf=lambda x, loc=0, scale=1: jnp.exp(_uniform_logpdf(x, loc, scale)),
              cdf=_uniform_cdf, ppf=_uniform_ppf)


# ---- expon
def _expon_logpdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    y = (x - loc) / scale
    return jnp.where(y < 0, -np.inf, -y - jnp.log(scale))


def _expon_logcdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    y = (x - loc) / scale
    ys = jnp.where(y < 0, 1, y)
    return jnp.where(y < 0, -np.inf, jnp.log(-jnp.expm1(-ys)))


def _expon_logsf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    y = (x - loc) / scale
    return jnp.where(y < 0, 0, -y)


def _expon_ppf(q, loc=0, scale=1):
    q, loc, scale = _p(q, loc, scale)
    return jnp.where((q < 0) | (q > 1), np.nan, loc - scale * jnp.log1p(-q))


expon = _ns("expon", logpdf=_expon_logpdf,
            pdf=lambda x, loc=0, scale=1: jnp.exp(_expon_logpdf(x, loc, scale)),
            logcdf=_expon_logcdf, cdf=lambda x, loc=0, scale=1: jnp.exp(_expon_logcdf(x, loc, scale)),
            logsf=_expon_logsf, sf=lambda x, loc=0, scale=1: jnp.exp(_expon_logsf(x, loc, scale)),
            ppf=_expon_ppf)


# ---- laplace
def _laplace_logpdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return -jnp.log(2 * scale) - jnp.abs(x - loc) / scale


def _laplace_cdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    z = (x - loc) / scale
    return jnp.where(z < 0, 0.5 * jnp.exp(jnp.minimum(z, 0)), 1 - 0.5 * jnp.exp(-jnp.maximum(z, 0)))


laplace = _ns("laplace", logpdf=_laplace_logpdf,
              pdf=lambda x, loc=0, scale=1: jnp.exp(_laplace_logpdf(x, loc, scale)),
              cdf=_laplace_cdf)


# ---- logistic
def _logistic_logpdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    z = (x - loc) / scale
    return -jnp.abs(z) - 2 * jnp.log1p(jnp.exp(-jnp.abs(z))) - jnp.log(scale)


def _logistic_cdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return sp.expit((x - loc) / scale)


def _logistic_sf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return sp.expit((loc - x) / scale)


def _logistic_ppf(q, loc=0, scale=1):
    q, loc, scale = _p(q, loc, scale)
    return jnp.where((q < 0) | (q > 1), np.nan, sp.logit(q) * scale + loc)


def _logistic_isf(q, loc=0, scale=1):
    q, loc, scale = _p(q, loc, scale)
    return jnp.where((q < 0) | (q > 1), np.nan, -sp.logit(q) * scale + loc)


logistic = _ns("logistic", logpdf=_logistic_logpdf,
               pdf=lambda x, loc=0, scale=1: jnp.exp(_logistic_logpdf(x, loc, scale)),
               cdf=_logistic_cdf, sf=_logistic_sf, ppf=_logistic_ppf, isf=_logistic_isf)


# ---- cauchy
def _cauchy_logpdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    z = (x - loc) / scale
    return -jnp.log(np.pi) - jnp.log(scale) - jnp.log1p(z * z)


def _cauchy_cdf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return 0.5 + jnp.arctan((x - loc) / scale) / np.pi


def _cauchy_sf(x, loc=0, scale=1):
    x, loc, scale = _p(x, loc, scale)
    return 0.5 - jnp.arctan((x - loc) / scale) / np.pi


def _cauchy_ppf(q, loc=0, scale=1):
    q, loc, scale = _p(q, loc, scale)
    return loc + scale * jnp.tan(np.pi * (q - 0.5))


def _cauchy_isf(q, loc=0, scale=1):
    q, loc, scale = _p(q, loc, scale)
    return loc + scale * jnp.tan(np.pi * (0.5 - q))


cauchy = _ns("cauchy", logpdf=_cauchy_logpdf,
             pdf=lambda x, loc=0, scale=1: jnp.exp(_cauchy_logpdf(x, loc, scale)),
             cdf=_cauchy_cdf, logcdf=lambda *a, **k: jnp.log(_cauchy_cdf(*a, **k)),
             sf=_cauchy_sf, logsf=lambda *a, **k: jnp.log(_cauchy_sf(*a, **k)),
             ppf=_cauchy_ppf, isf=_cauchy_isf)


# ---- dirichlet
def _dirichlet_logpdf(x, alpha):
    x, alpha = _u.promote_dtypes_inexact(x, alpha)
    if alpha.ndim != 1:
        raise ValueError(f"`alpha` must be one-dimensional; got alpha.shape={alpha.shape}")
    if x.shape[0] not in (alpha.shape[0], alpha.shape[0] - 1):
        raise ValueError("`x` must have either the same number of entries as `alpha` "
                         f"or one entry fewer; got x.shape={x.shape}, alpha.shape={alpha.shape}")
    if x.shape[0] != alpha.shape[0]:
        x = jnp.concatenate([x, (1 - jnp.sum(x, 0))[None]], axis=0)
    a = jnp.expand_dims(alpha, tuple(range(1, x.ndim)))
    normalize = jnp.sum(sp.gammaln(alpha)) - sp.gammaln(jnp.sum(alpha))
    lp = jnp.sum(sp.xlogy(a - 1, x), axis=0) - normalize
    ok = jnp.all(x >= 0, axis=0) & (jnp.abs(jnp.sum(x, axis=0) - 1) < 1e-6 * 10)
    return jnp.where(ok, lp, -np.inf)


dirichlet = _ns("dirichlet", logpdf=_dirichlet_logpdf,
                pdf=lambda x, alpha: jnp.exp(_dirichlet_logpdf(x, alpha)))
