"""jnp.poly, polydiv, roots, polyfit against NumPy."""
import numpy as np
import pytest

import cotan
import cotan.numpy as jnp


def _sorted(z):
    z = np.asarray(z)
    return z[np.lexsort((z.imag.round(4), z.real.round(4)))]


@pytest.mark.parametrize("zeros", [[1., 2., 3.], [0.5], [1 + 1j, 1 - 1j, 2.], [-1., -1.]])
def test_poly_from_roots(zeros):
    got = jnp.poly(jnp.asarray(zeros))
    np.testing.assert_allclose(np.asarray(got), np.poly(np.asarray(zeros)), rtol=1e-5,
                               atol=1e-5)


def test_poly_matrix_scalar_empty_and_dtypes():
    m = np.array([[1., 2.], [3., 4.]])
    got = jnp.poly(jnp.asarray(m))
    assert got.dtype == np.complex64  # JAX keeps the eigenvalues' complex dtype
    np.testing.assert_allclose(np.asarray(got).real, np.poly(m), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(jnp.poly(jnp.array(2.))), [1., -2.])
    assert jnp.poly(jnp.array([1, 2])).dtype == np.float32
    assert float(jnp.poly(jnp.zeros((0,)))) == 1.0
    with pytest.raises(ValueError):
        jnp.poly(jnp.ones((2, 3)))


def test_polydiv():
    u = np.array([1., 2., 3., 4.])
    v = np.array([2., 1.])
    q, r = jnp.polydiv(jnp.asarray(u), jnp.asarray(v))
    qn, rn = np.polydiv(u, v)
    np.testing.assert_allclose(np.asarray(q), qn, rtol=1e-6)
    # like JAX, the remainder keeps len(u) coefficients (leading ones are zero)
    assert r.shape == (4,)
    np.testing.assert_allclose(np.asarray(r)[-len(rn):], rn, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(r)[:-len(rn)], 0., atol=1e-6)
    q, r = jnp.polydiv(jnp.array([0., 0., 1., 3., 2.]), jnp.array([1., 1.]),
                       trim_leading_zeros=True)
    np.testing.assert_allclose(np.asarray(q), [1., 2.], rtol=1e-6)
    qj, rj = cotan.jit(jnp.polydiv)(jnp.asarray(u), jnp.asarray(v))
    np.testing.assert_allclose(np.asarray(qj), qn, rtol=1e-6)


@pytest.mark.parametrize("p", [[1., -3., 2.], [0., 0., 1., -6., 11., -6.], [1., 0., 1.],
                               [2., 0., 0.], [1., -3., 2., 0., 0.], [3., 1.]])
def test_roots(p):
    got = jnp.roots(jnp.asarray(p))
    assert got.dtype == np.complex64
    ref = np.roots(np.asarray(p))
    assert got.shape == ref.shape
    np.testing.assert_allclose(_sorted(got), _sorted(ref), atol=1e-4)


def test_roots_degenerate_and_no_strip():
    assert jnp.roots(jnp.array([5.])).shape == (0,)
    assert jnp.roots(jnp.array([0., 0.])).shape == (0,)
    assert jnp.roots(jnp.array([1, -3, 2])).dtype == np.complex64
    got = np.asarray(jnp.roots(jnp.array([0., 1., -3., 2.]), strip_zeros=False))
    assert got.shape == (3,) and np.isnan(got).sum() == 1
    np.testing.assert_allclose(np.sort(got[~np.isnan(got)].real), [1., 2.], atol=1e-5)
    f = cotan.jit(lambda p: jnp.roots(p, strip_zeros=False))
    got = np.asarray(f(jnp.array([1., -3., 2.])))
    np.testing.assert_allclose(np.sort(got.real), [1., 2.], atol=1e-5)
    with pytest.raises(TypeError):
        cotan.jit(jnp.roots)(jnp.array([1., -3., 2.]))


def _data():
    x = np.arange(6.)
    y = x ** 2 + np.array([0., .1, 0., -.1, 0., .2])
    return x, y


def test_polyfit_basic_and_weights():
    x, y = _data()
    for deg in (1, 2, 3):
        np.testing.assert_allclose(np.asarray(jnp.polyfit(jnp.asarray(x), jnp.asarray(y), deg)),
                                   np.polyfit(x, y, deg), rtol=1e-4, atol=1e-4)
    w = np.arange(1., 7.)
    np.testing.assert_allclose(
        np.asarray(jnp.polyfit(jnp.asarray(x), jnp.asarray(y), 2, w=jnp.asarray(w))),
        np.polyfit(x, y, 2, w=w), rtol=1e-4, atol=1e-4)
    y2 = np.stack([y, 2 * y + 1], 1)
    np.testing.assert_allclose(np.asarray(jnp.polyfit(jnp.asarray(x), jnp.asarray(y2), 2)),
                               np.polyfit(x, y2, 2), rtol=1e-4, atol=1e-4)


def test_polyfit_full_and_cov():
    x, y = _data()
    c, res, rank, sv, rcond = jnp.polyfit(jnp.asarray(x), jnp.asarray(y), 2, full=True)
    cn, resn, rankn, svn, rcondn = np.polyfit(x, y, 2, full=True)
    np.testing.assert_allclose(np.asarray(c), cn, rtol=1e-4, atol=1e-4)
    assert res.shape == resn.shape
    np.testing.assert_allclose(np.asarray(res), resn, rtol=1e-2)
    assert int(rank) == rankn
    np.testing.assert_allclose(np.asarray(sv), svn, rtol=1e-4)
    np.testing.assert_allclose(float(rcond), len(x) * np.finfo(np.float32).eps)
    for cov in (True, "unscaled"):
        c, V = jnp.polyfit(jnp.asarray(x), jnp.asarray(y), 2, cov=cov)
        cn, Vn = np.polyfit(x, y, 2, cov=cov)
        np.testing.assert_allclose(np.asarray(V), Vn, rtol=1e-3, atol=1e-7)
    y2 = np.stack([y, 2 * y], 1)
    c, V = jnp.polyfit(jnp.asarray(x), jnp.asarray(y2), 2, cov=True)
    cn, Vn = np.polyfit(x, y2, 2, cov=True)
    assert V.shape == Vn.shape == (3, 3, 2)
    np.testing.assert_allclose(np.asarray(V), Vn, rtol=1e-3, atol=1e-7)


def test_polyfit_jit_and_errors():
    x, y = _data()
    got = cotan.jit(lambda a, b: jnp.polyfit(a, b, 2))(jnp.asarray(x), jnp.asarray(y))
    np.testing.assert_allclose(np.asarray(got), np.polyfit(x, y, 2), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError):
        jnp.polyfit(jnp.asarray(x), jnp.asarray(y), -1)
    with pytest.raises(TypeError):
        jnp.polyfit(jnp.ones((2, 2)), jnp.ones(2), 1)
    with pytest.raises(TypeError):
        jnp.polyfit(jnp.ones(3), jnp.ones(4), 1)
