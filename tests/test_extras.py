"""Small cotan.numpy names: aliases, windows, index helpers, thin compositions."""
import numpy as np
import pytest

import cotan
import cotan.numpy as jnp


def eq(a, b):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=1e-6, atol=1e-7)


def test_index_helpers():
    eq(jnp.r_[1:4, [7, 8]], np.r_[1:4, [7, 8]])
    eq(jnp.c_[np.ones(2), np.zeros(2)], np.c_[np.ones(2), np.zeros(2)])
    eq(jnp.mgrid[0:2, 0:3], np.mgrid[0:2, 0:3])
    for a, b in zip(jnp.ogrid[0:2, 0:3], np.ogrid[0:2, 0:3]):
        eq(a, b)
    eq(jnp.mgrid[0:1:5j], np.mgrid[0:1:5j])
    assert jnp.s_[1:2] == np.s_[1:2]


@pytest.mark.parametrize("name", ["bartlett", "blackman", "hamming", "hanning"])
def test_windows(name):
    eq(getattr(jnp, name)(7), getattr(np, name)(7))


def test_spaces_and_misc():
    eq(jnp.logspace(0, 2, 5), np.logspace(0, 2, 5))
    eq(jnp.geomspace(1, 1000, 4), np.geomspace(1, 1000, 4))
    eq(jnp.trapezoid(jnp.array([1., 2., 4.])), np.trapezoid(np.array([1., 2., 4.])))
    eq(jnp.trapezoid(jnp.array([1., 2., 4.]), x=jnp.array([0., 1., 3.])),
       np.trapezoid([1., 2., 4.], x=[0., 1., 3.]))
    x = np.array([1.0, -2.0, 0.0], np.float32)
    eq(jnp.spacing(x), np.spacing(x))
    eq(jnp.bitwise_count(jnp.array([7, 8, 255])), [3, 1, 8])
    assert jnp.rollaxis(jnp.ones((2, 3, 4)), 2).shape == np.rollaxis(np.ones((2, 3, 4)), 2).shape
    assert bool(jnp.array_equiv(jnp.ones(3), jnp.ones((2, 3))))
    assert not bool(jnp.array_equiv(jnp.ones(3), jnp.ones(4)))
    a = [[np.ones((2, 2)), np.zeros((2, 1))], [np.zeros((1, 3))]]
    eq(jnp.block(a), np.block(a))
    eq(jnp.choose(jnp.array([0, 1, 0]), [np.array([1, 2, 3]), np.array([10, 20, 30])]), [1, 20, 3])
    eq(jnp.compress([True, False, True], jnp.arange(3.)), [0., 2.])
    eq(jnp.extract(np.array([1, 0, 1]), jnp.arange(3.)), [0., 2.])
    eq(jnp.fromfunction(lambda i, j: i + j, (2, 3)), np.fromfunction(lambda i, j: i + j, (2, 3)))
    eq(jnp.vecdot(jnp.ones((2, 3)), jnp.ones(3)), [3., 3.])
    eq(jnp.matvec(np.eye(2), np.array([1., 2.])), [1., 2.])
    eq(jnp.vecmat(np.array([1., 2.]), np.eye(2)), [1., 2.])
    assert [u.shape for u in jnp.unstack(jnp.ones((2, 3)))] == [(3,), (3,)]
    assert jnp.isscalar(jnp.array(1.0)) and not jnp.isscalar(jnp.ones(2))


def test_differentiable_compositions():
    g = cotan.grad(lambda y: jnp.trapezoid(y ** 2))(jnp.array([1., 2., 3.]))
    eq(g, [1., 4., 3.])
    g = cotan.grad(lambda v: jnp.vecdot(v, v))(jnp.array([1., 2.]))
    eq(g, [2., 4.])


def test_logaddexp_derivatives_at_ties(x64):
    # max/abs formulations get the second derivative wrong where x == y
    d1 = cotan.grad(lambda t: jnp.logaddexp(0., t))
    assert float(d1(0.)) == 0.5
    assert abs(float(cotan.grad(d1)(0.)) - 0.25) < 1e-12
    eq(cotan.vmap(jnp.logaddexp)(jnp.arange(3.), jnp.ones(3)), np.logaddexp(np.arange(3.), 1.))
    from cotan.test_util import check_grads
    check_grads(jnp.logaddexp, (np.array([0.3, 1.0]), np.array([0.3, -2.0])), order=2,
                atol=1e-2, rtol=1e-2)
