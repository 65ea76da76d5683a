"""cotan.nn activations and initializers: values, gradients, vmap/jit."""
import numpy as np
import pytest
import scipy.special as osp

import cotan
import cotan.numpy as jnp
import cotan.nn as nn
from cotan.test_util import check_grads

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)) * 3


def _sig(x):
    return osp.expit(x)


REFS = {
    "relu": (nn.relu, lambda x: np.maximum(x, 0)),
    "relu6": (nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6)),
    "sigmoid": (nn.sigmoid, _sig),
    "softplus": (nn.softplus, lambda x: np.logaddexp(x, 0)),
    "soft_sign": (nn.soft_sign, lambda x: x / (np.abs(x) + 1)),
    "silu": (nn.silu, lambda x: x * _sig(x)),
    "swish": (nn.swish, lambda x: x * _sig(x)),
    "log_sigmoid": (nn.log_sigmoid, lambda x: -np.logaddexp(0, -x)),
    "gelu": (nn.gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    "gelu_exact": (lambda x: nn.gelu(x, approximate=False),
                   lambda x: 0.5 * x * (1 + osp.erf(x / np.sqrt(2)))),
    "elu": (nn.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    "selu": (nn.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    "celu": (lambda x: nn.celu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x / 0.7))),
    "leaky_relu": (nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    "hard_tanh": (nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    "hard_sigmoid": (nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "glu": (nn.glu, lambda x: x[:, :2] * _sig(x[:, 2:])),
    "softmax": (nn.softmax, lambda x: osp.softmax(x, -1)),
    "log_softmax": (lambda x: nn.log_softmax(x, axis=0), lambda x: osp.log_softmax(x, 0)),
    "logsumexp": (lambda x: nn.logsumexp(x, axis=1), lambda x: osp.logsumexp(x, 1)),
    "standardize": (nn.standardize,
                    lambda x: (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)),
}


@pytest.mark.parametrize("name", sorted(REFS))
def test_values(name, x64):
    f, ref = REFS[name]
    np.testing.assert_allclose(np.asarray(f(X)), ref(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(REFS))
def test_grads(name, x64):
    f, _ = REFS[name]
    # keep away from the kinks of the piecewise functions
    x = X + 0.05
    x = np.where(np.abs(x) < 0.1, 0.3, x)
    x = np.where(np.abs(np.abs(x) - 1) < 0.1, 0.5, x)
    x = np.where(np.abs(x - 3) < 0.1, 2.5, x)
    x = np.where(np.abs(x + 3) < 0.1, -2.5, x)
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["relu", "gelu", "softmax", "glu", "standardize", "elu"])
def test_vmap_jit(name, x64):
    f, _ = REFS[name]
    want = np.asarray(f(X))
    np.testing.assert_allclose(np.asarray(cotan.jit(f)(X)), want, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(cotan.vmap(f)(X[:, None])[:, 0]),
                               np.stack([np.asarray(f(X[i:i + 1]))[0] for i in range(3)]),
                               rtol=1e-12)


def test_gradients_at_kinks(x64):
    assert float(cotan.grad(nn.relu)(0.0)) == 0.0
    assert float(cotan.grad(nn.relu6)(0.0)) == 0.0
    assert float(cotan.grad(nn.relu6)(6.0)) == 0.0
    # softplus / log_sigmoid stay finite far out
    assert np.isfinite(float(nn.softplus(1000.0))) and float(nn.log_sigmoid(-1000.0)) == -1000.0
    assert float(cotan.grad(nn.softplus)(-1000.0)) == 0.0


def test_softmax_and_logsumexp_with_neg_inf(x64):
    x = np.array([0.0, -np.inf, 1.0])
    np.testing.assert_allclose(np.asarray(nn.softmax(x)), osp.softmax(x))
    g = cotan.grad(lambda v: nn.logsumexp(v))(x)
    np.testing.assert_allclose(np.asarray(g), osp.softmax(x))
    assert float(nn.logsumexp(np.array([-np.inf, -np.inf]))) == -np.inf
    # softmax gradient is that of the normalised exponential
    check_grads(lambda v: nn.softmax(v, axis=0), (X[:, 0],), order=2)


def test_one_hot():
    oh = nn.one_hot(np.array([0, 2, 1, 5]), 3)
    np.testing.assert_array_equal(np.asarray(oh), np.eye(3)[[0, 2, 1]].tolist() + [[0, 0, 0]])
    assert oh.dtype == np.float32
    oh = nn.one_hot(np.array([[0, 1]]), 2, axis=0, dtype=jnp.int32)
    assert oh.shape == (2, 1, 2) and oh.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(oh)[:, 0, :], np.eye(2))


# --- initializers

from cotan.nn import initializers as init  # noqa: E402

KEY = cotan.random.PRNGKey(0)


def test_constant_initializers():
    assert np.all(np.asarray(init.zeros(KEY, (2, 3))) == 0)
    assert np.all(np.asarray(init.ones(KEY, (2, 3), jnp.float32)) == 1)
    c = init.constant(2.5)(KEY, (4,))
    assert c.dtype == np.float32 and np.all(np.asarray(c) == 2.5)


@pytest.mark.parametrize("make,std", [
    (lambda: init.normal(0.5), 0.5),
    (lambda: init.uniform(2.0), 2.0 / np.sqrt(12)),
    (lambda: init.truncated_normal(1.0), 0.87962566),
])
def test_random_initializer_stats(make, std):
    w = np.asarray(make()(KEY, (200, 100)))
    assert w.dtype == np.float32 and w.shape == (200, 100)
    np.testing.assert_allclose(w.std(), std, rtol=0.05)


def test_truncated_normal_bounds():
    w = np.asarray(init.truncated_normal(1.0, lower=-1.0, upper=0.5)(KEY, (1000,)))
    assert w.min() >= -1.0 and w.max() <= 0.5


@pytest.mark.parametrize("name,scale,fan", [
    ("glorot_normal", 1.0, "avg"), ("glorot_uniform", 1.0, "avg"),
    ("he_normal", 2.0, "in"), ("he_uniform", 2.0, "in"),
    ("lecun_normal", 1.0, "in"), ("lecun_uniform", 1.0, "in")])
def test_variance_scaling_family(name, scale, fan):
    shape = (300, 200)
    w = np.asarray(getattr(init, name)()(KEY, shape))
    n = {"in": 300, "avg": 250}[fan]
    np.testing.assert_allclose(w.var(), scale / n, rtol=0.08)
    if "uniform" in name:
        assert np.abs(w).max() <= np.sqrt(3 * scale / n) + 1e-6


def test_variance_scaling_modes():
    w = np.asarray(init.variance_scaling(1.0, "fan_out", "normal")(KEY, (100, 400)))
    np.testing.assert_allclose(w.var(), 1 / 400, rtol=0.08)
    with pytest.raises(ValueError):
        init.variance_scaling(1.0, "bogus", "normal")


@pytest.mark.parametrize("shape,axis", [((5, 3), -1), ((3, 5), -1), ((2, 3, 4), -1), ((4, 3), 0)])
def test_orthogonal(shape, axis):
    w = np.asarray(init.orthogonal(column_axis=axis)(KEY, shape))
    assert w.shape == shape
    w2 = np.moveaxis(w, axis, -1).reshape(-1, shape[axis])
    if w2.shape[0] >= w2.shape[1]:
        np.testing.assert_allclose(w2.T @ w2, np.eye(w2.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(w2 @ w2.T, np.eye(w2.shape[0]), atol=1e-5)


def test_initializer_under_jit():
    f = cotan.jit(lambda k: init.glorot_normal()(k, (3, 4)))
    np.testing.assert_allclose(np.asarray(f(KEY)), np.asarray(init.glorot_normal()(KEY, (3, 4))),
                               rtol=1e-6)
