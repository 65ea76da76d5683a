"""cotan.scipy.special and cotan.scipy.stats against SciPy: values, gradients, vmap/jit."""
import numpy as np
import pytest
import scipy.special as osp
import scipy.stats as ost

import cotan
import cotan.numpy as jnp
import cotan.scipy.special as sp
import cotan.scipy.stats as st
from cotan.test_util import check_grads

RNG = np.random.default_rng(0)
REAL = RNG.standard_normal((3, 4))
POS = RNG.uniform(0.5, 3.0, (3, 4))
UNIT = RNG.uniform(0.05, 0.95, (3, 4))
MID = RNG.uniform(0.2, 0.8, (3, 4))
SYM = RNG.uniform(-0.9, 0.9, (3, 4))

# name, cotan fn, scipy fn, args, differentiable
UNARY = [
    ("gammaln", sp.gammaln, osp.gammaln, (POS,), True),
    ("digamma", sp.digamma, osp.digamma, (POS,), True),
    ("polygamma", lambda x: sp.polygamma(2, x), lambda x: osp.polygamma(2, x), (POS,), True),
    ("erf", sp.erf, osp.erf, (REAL,), True),
    ("erfc", sp.erfc, osp.erfc, (REAL,), True),
    ("erfinv", sp.erfinv, osp.erfinv, (SYM,), True),
    ("expit", sp.expit, osp.expit, (REAL,), True),
    ("logit", sp.logit, osp.logit, (MID,), True),
    ("xlogy", sp.xlogy, osp.xlogy, (REAL, POS), True),
    ("xlog1py", sp.xlog1py, osp.xlog1py, (REAL, POS), True),
    ("entr", sp.entr, osp.entr, (POS,), True),
    ("ndtr", sp.ndtr, osp.ndtr, (REAL * 3,), True),
    ("ndtri", sp.ndtri, osp.ndtri, (MID,), True),
    ("log_ndtr", sp.log_ndtr, osp.log_ndtr, (REAL * 3,), True),
    ("betaln", sp.betaln, osp.betaln, (POS, POS[::-1]), True),
    ("gammainc", lambda x: sp.gammainc(1.5, x), lambda x: osp.gammainc(1.5, x), (POS,), True),
    ("gammaincc", lambda x: sp.gammaincc(1.5, x), lambda x: osp.gammaincc(1.5, x), (POS,), True),
    ("betainc", lambda x: sp.betainc(1.5, 2.5, x), lambda x: osp.betainc(1.5, 2.5, x),
     (UNIT,), True),
    ("i0e", sp.i0e, osp.i0e, (REAL,), True),
    ("i1e", sp.i1e, osp.i1e, (REAL,), True),
    ("zeta", lambda q: sp.zeta(3.0, q), lambda q: osp.zeta(3.0, q), (POS,), True),
    ("multigammaln", lambda a: sp.multigammaln(a, 3), lambda a: osp.multigammaln(a, 3),
     (POS[0] + 2,), True),
    ("softmax", lambda x: sp.softmax(x, axis=1), lambda x: osp.softmax(x, axis=1), (REAL,), True),
    ("log_softmax", lambda x: sp.log_softmax(x, axis=0), lambda x: osp.log_softmax(x, axis=0),
     (REAL,), True),
    ("logsumexp", lambda x: sp.logsumexp(x, axis=1), lambda x: osp.logsumexp(x, axis=1),
     (REAL,), True),
]


def _multigammaln_ref(a, d):
    return np.vectorize(lambda v: osp.multigammaln(v, d))(a)


@pytest.mark.parametrize("name,fn,ref,args,diff", UNARY, ids=[u[0] for u in UNARY])
def test_values(name, fn, ref, args, diff, x64):
    if name == "multigammaln":
        ref = lambda a: _multigammaln_ref(a, 3)  # noqa: E731
    np.testing.assert_allclose(np.asarray(fn(*args)), ref(*args), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,fn,ref,args,diff", UNARY, ids=[u[0] for u in UNARY])
def test_grads(name, fn, ref, args, diff, x64):
    check_grads(fn, args, order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name,fn,ref,args,diff", UNARY[:12], ids=[u[0] for u in UNARY[:12]])
def test_vmap_jit(name, fn, ref, args, diff, x64):
    want = np.asarray(fn(*args))
    np.testing.assert_allclose(np.asarray(cotan.vmap(fn)(*args)), want, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(cotan.jit(fn)(*args)), want, rtol=1e-12)


def test_log_ndtr_tails(x64):
    x = np.array([-100.0, -40.0, -21.0, -19.0, -5.0, 0.0, 5.0, 7.9, 8.1, 30.0])
    np.testing.assert_allclose(np.asarray(sp.log_ndtr(x)), osp.log_ndtr(x), rtol=1e-7)
    g = cotan.vmap(cotan.grad(sp.log_ndtr))(x)
    assert np.all(np.isfinite(np.asarray(g)))


def test_logsumexp_options(x64):
    a = REAL
    b = RNG.uniform(-1, 1, a.shape)
    for axis in [None, 0, (0, 1), -1]:
        for keepdims in [False, True]:
            np.testing.assert_allclose(np.asarray(sp.logsumexp(a, axis, keepdims=keepdims)),
                                       osp.logsumexp(a, axis, keepdims=keepdims))
            got, sgn = sp.logsumexp(a, axis, b=b, keepdims=keepdims, return_sign=True)
            want, wsgn = osp.logsumexp(a, axis, b=b, keepdims=keepdims, return_sign=True)
            np.testing.assert_allclose(np.asarray(got), want)
            np.testing.assert_array_equal(np.asarray(sgn), wsgn)
    # all -inf: -inf value, no nan in the value
    x = np.array([-np.inf, -np.inf])
    assert np.asarray(sp.logsumexp(x)) == -np.inf
    # -inf entries get zero gradient
    g = cotan.grad(sp.logsumexp)(np.array([0.0, -np.inf, 1.0]))
    np.testing.assert_allclose(np.asarray(g), osp.softmax([0.0, -np.inf, 1.0]))
    # b with zeros masks entries
    np.testing.assert_allclose(np.asarray(sp.logsumexp(np.array([1.0, 2.0]), b=np.array([0.0, 1]))),
                               2.0)
    # negative sum without return_sign is nan
    assert np.isnan(np.asarray(sp.logsumexp(np.array([1.0, 2.0]), b=np.array([1.0, -2]))))


def test_xlogy_at_zero(x64):
    assert float(sp.xlogy(0.0, 0.0)) == 0.0
    assert float(sp.xlog1py(0.0, -1.0)) == 0.0
    np.testing.assert_allclose(float(cotan.grad(sp.xlogy)(0.0, 2.0)), np.log(2.0))


def test_polygamma_array_order(x64):
    n = np.array([0, 1, 2])
    x = np.array([0.7, 1.3, 2.2])
    np.testing.assert_allclose(np.asarray(sp.polygamma(n, x)), osp.polygamma(n, x))


def test_gammainc_grad_a(x64):
    g = cotan.grad(sp.gammainc)(2.0, 1.5)
    eps = 1e-6
    fd = (osp.gammainc(2.0 + eps, 1.5) - osp.gammainc(2.0 - eps, 1.5)) / (2 * eps)
    np.testing.assert_allclose(float(g), fd, rtol=1e-6)


# --- stats

X = RNG.uniform(0.1, 0.9, (5,))
Q = RNG.uniform(0.05, 0.95, (5,))
STATS = [
    # (dist name, method, cotan args, scipy args)
    ("norm", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], (REAL[0], 0.3, 1.7)),
    ("norm", ["ppf", "isf"], (Q, 0.3, 1.7)),
    ("beta", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], (X, 1.5, 2.5)),
    ("gamma", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], (POS[0], 1.5)),
    ("t", ["logpdf", "pdf"], (REAL[0], 3.5, 0.2, 1.3)),
    ("poisson", ["logpmf", "pmf", "cdf"], (np.array([0.0, 1, 2, 5, 7]), 2.5)),
    ("bernoulli", ["logpmf", "pmf"], (np.array([0.0, 1, 1, 0]), 0.3)),
    ("bernoulli", ["cdf", "ppf"], (np.array([0.1, 0.5, 0.8]), 0.3)),
    ("uniform", ["logpdf", "pdf", "cdf"], (REAL[0], -0.5, 1.5)),
    ("uniform", ["ppf"], (Q, -0.5, 1.5)),
    ("expon", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], (POS[0], 0.2, 1.5)),
    ("expon", ["ppf"], (Q, 0.2, 1.5)),
    ("laplace", ["logpdf", "pdf", "cdf"], (REAL[0], 0.1, 1.4)),
    ("logistic", ["logpdf", "pdf", "cdf", "sf"], (REAL[0], 0.1, 1.4)),
    ("logistic", ["ppf", "isf"], (Q, 0.1, 1.4)),
    ("cauchy", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], (REAL[0], 0.1, 1.4)),
    ("cauchy", ["ppf", "isf"], (Q, 0.1, 1.4)),
]


@pytest.mark.parametrize("dist,methods,args", STATS, ids=[f"{s[0]}-{s[1][0]}" for s in STATS])
def test_stats_values(dist, methods, args, x64):
    for m in methods:
        got = np.asarray(getattr(getattr(st, dist), m)(*args))
        want = getattr(getattr(ost, dist), m)(*args)
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12, err_msg=f"{dist}.{m}")


def test_stats_out_of_support(x64):
    assert float(st.beta.logpdf(1.5, 2.0, 2.0)) == -np.inf
    assert float(st.gamma.logpdf(-1.0, 2.0)) == -np.inf
    assert float(st.expon.logpdf(-1.0)) == -np.inf
    assert float(st.uniform.logpdf(2.0)) == -np.inf
    assert float(st.poisson.logpmf(-1.0, 2.0)) == -np.inf


def test_multivariate_normal(x64):
    n = 3
    A = RNG.standard_normal((n, n))
    cov = A @ A.T + n * np.eye(n)
    mean = RNG.standard_normal(n)
    x = RNG.standard_normal((4, n))
    np.testing.assert_allclose(np.asarray(st.multivariate_normal.logpdf(x, mean, cov)),
                               ost.multivariate_normal.logpdf(x, mean, cov))
    np.testing.assert_allclose(np.asarray(st.multivariate_normal.pdf(x[0], mean, cov)),
                               ost.multivariate_normal.pdf(x[0], mean, cov))
    check_grads(lambda m: st.multivariate_normal.logpdf(x, m, cov), (mean,), order=1)


def test_dirichlet(x64):
    alpha = np.array([1.5, 2.0, 3.0])
    x = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(float(st.dirichlet.logpdf(x, alpha)),
                               ost.dirichlet.logpdf(x, alpha))
    np.testing.assert_allclose(float(st.dirichlet.pdf(x[:2], alpha)), ost.dirichlet.pdf(x, alpha))


@pytest.mark.parametrize("f", [
    lambda x: st.norm.logcdf(x, 0.3, 1.2), lambda x: st.t.logpdf(x, 3.0),
    lambda x: st.cauchy.logpdf(x), lambda x: st.logistic.logpdf(x, 0.1, 2.0),
    lambda x: st.gamma.logpdf(jnp.abs(x) + 0.5, 2.0), lambda x: st.laplace.logpdf(x, 0.0, 1.0)])
def test_stats_grads_vmap(f, x64):
    x = REAL[0]
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(np.asarray(cotan.vmap(f)(x)), np.asarray(f(x)))
    np.testing.assert_allclose(np.asarray(cotan.jit(f)(x)), np.asarray(f(x)))
