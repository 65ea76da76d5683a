"""cotan.random through the public API, against known-answer vectors
generated from JAX 0.10 (tests/data/prng_vectors.json, see gen_prng_vectors.py)."""
import json
import os

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan import random

_DATA = json.load(open(os.path.join(os.path.dirname(__file__), "data", "prng_vectors.json")))


def _expected(out):
    dt = np.dtype(out["dtype"])
    if dt.kind == "f":
        bits = np.dtype(f"uint{dt.itemsize * 8}")
        return np.asarray(out["data"], dtype=bits).view(dt).reshape(out["shape"])
    return np.asarray(out["data"], dtype=dt).reshape(out["shape"])


def _key(k):
    return cotan.Array(np.asarray(k, np.uint32))


@pytest.mark.parametrize("case", [c for c in _DATA["seed"] if not c["x64"]], ids=str)
def test_prngkey_seed(case):
    assert np.asarray(random.PRNGKey(case["seed"])).tolist() == case["key"]


@pytest.mark.parametrize("case", _DATA["split"], ids=lambda c: f"{c['key']}-{c['num']}")
def test_split(case):
    num = case["num"] if isinstance(case["num"], int) else tuple(case["num"])
    out = random.split(_key(case["key"]), num)
    np.testing.assert_array_equal(np.asarray(out), _expected(case["out"]))


@pytest.mark.parametrize("case", _DATA["fold_in"], ids=lambda c: f"{c['key']}-{c['data']}")
def test_fold_in(case):
    out = random.fold_in(_key(case["key"]), case["data"])
    np.testing.assert_array_equal(np.asarray(out), _expected(case["out"]))


def _float_cases(name):
    return [c for c in _DATA[name] if c["dtype"] in ("float16", "float32")]


@pytest.mark.parametrize("case", _float_cases("uniform"), ids=lambda c: f"{c['key']}-{c['shape']}-{c['dtype']}")
def test_uniform_bits_exact(case):
    out = random.uniform(_key(case["key"]), tuple(case["shape"]), np.dtype(case["dtype"]),
                         case["minval"], case["maxval"])
    exp = _expected(case["out"])
    assert out.dtype == exp.dtype and out.shape == exp.shape
    np.testing.assert_array_equal(np.asarray(out), exp)


@pytest.mark.parametrize("case", _float_cases("normal"), ids=lambda c: f"{c['key']}-{c['shape']}-{c['dtype']}")
def test_normal_matches_jax(case):
    out = random.normal(_key(case["key"]), tuple(case["shape"]), np.dtype(case["dtype"]))
    exp = _expected(case["out"])
    assert out.dtype == exp.dtype and out.shape == exp.shape
    np.testing.assert_allclose(np.asarray(out, np.float64), exp.astype(np.float64), rtol=2e-3 if exp.dtype == np.float16 else 1e-6, atol=1e-6)


def test_tutorial_values_partitionable():
    key = random.PRNGKey(0)
    A = random.normal(key, shape=(2, 2))
    np.testing.assert_allclose(np.asarray(A), _DATA["tutorial"]["partitionable"], rtol=1e-6)
    B = random.normal(key, shape=(2, 2))
    np.testing.assert_array_equal(np.asarray(A), np.asarray(B))  # same key, same numbers
    k, sub = random.split(key)
    C, D = random.normal(k, (2, 2)), random.normal(sub, (2, 2))
    assert not np.allclose(np.asarray(C), np.asarray(D))


def test_random_under_jit_and_make_jaxpr():
    key = random.PRNGKey(3)
    f = lambda k: random.normal(k, (4,)) + random.uniform(random.split(k)[0], (4,))
    np.testing.assert_array_equal(np.asarray(cotan.jit(f)(key)), np.asarray(f(key)))
    txt = str(cotan.make_jaxpr(lambda k: random.normal(k, (3,)))(key))
    assert "random_normal" in txt


def test_random_values_have_zero_gradient_wrt_scale():
    key = random.PRNGKey(1)
    z = random.normal(key, (5,))
    g = cotan.grad(lambda s: jnp.sum(s * random.normal(key, (5,))))(2.0)
    np.testing.assert_allclose(float(g), float(np.sum(np.asarray(z))), rtol=1e-5)


def test_bad_keys():
    with pytest.raises(TypeError, match="PRNGKey"):
        random.normal(0, (2,))
    with pytest.raises(TypeError, match="uint32"):
        random.normal(jnp.zeros((2,)), (2,))
    with pytest.raises(TypeError, match="floating"):
        random.normal(random.PRNGKey(0), (2,), dtype=jnp.int32)


# --- the other samplers: vmap over keys == loop, jit == eager, basic moments

_SAMPLERS = {
    "randint": lambda k: random.randint(k, (5,), -3, 10),
    "bernoulli": lambda k: random.bernoulli(k, 0.3, (7,)),
    "gumbel": lambda k: random.gumbel(k, (4,)),
    "categorical": lambda k: random.categorical(k, jnp.array([[0.1, 0.5, 2.0], [1.0, 1.0, 0.0]])),
    "permutation": lambda k: random.permutation(k, 10),
    "permutation-x": lambda k: random.permutation(k, jnp.arange(12.0).reshape(3, 4), axis=1),
    "shuffle": lambda k: random.permutation(k, jnp.arange(12.0).reshape(3, 4), 1, True),
    "choice": lambda k: random.choice(k, 10, (3,)),
    "choice-p": lambda k: random.choice(k, 5, (3,), replace=False,
                                        p=jnp.array([0.1, 0.2, 0.3, 0.2, 0.2])),
    "exponential": lambda k: random.exponential(k, (6,)),
    "laplace": lambda k: random.laplace(k, (6,)),
    "logistic": lambda k: random.logistic(k, (6,)),
    "cauchy": lambda k: random.cauchy(k, (6,)),
    "truncated_normal": lambda k: random.truncated_normal(k, -1.0, 2.0, (6,)),
    "gamma": lambda k: random.gamma(k, jnp.array([0.5, 2.0, 5.0])),
    "poisson": lambda k: random.poisson(k, 3.0, (4,)),
    "binomial": lambda k: random.binomial(k, 10, 0.3, (4,)),
    "beta": lambda k: random.beta(k, 2.0, 3.0, (3,)),
    "dirichlet": lambda k: random.dirichlet(k, jnp.array([1.0, 2.0, 3.0])),
    "t": lambda k: random.t(k, 3.0, (3,)),
    "orthogonal": lambda k: random.orthogonal(k, 3),
    "multivariate_normal": lambda k: random.multivariate_normal(k, jnp.zeros(2), jnp.eye(2)),
    "ball": lambda k: random.ball(k, 3),
    "geometric": lambda k: random.geometric(k, 0.3, (4,)),
}


@pytest.mark.parametrize("name", list(_SAMPLERS))
def test_sampler_vmap_jit(name):
    fn = _SAMPLERS[name]
    keys = random.split(random.PRNGKey(7), 3)
    loop = np.stack([np.asarray(fn(keys[i])) for i in range(3)])
    np.testing.assert_allclose(np.asarray(cotan.vmap(fn)(keys)), loop, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(cotan.jit(fn)(keys[0])), loop[0], rtol=1e-6)


# known answers from JAX 0.10 (threefry, partitionable) for PRNGKey(3)
def test_known_answers_new_samplers():
    k = random.PRNGKey(3)
    assert np.asarray(random.permutation(k, 10)).tolist() == [0, 5, 6, 7, 4, 2, 1, 3, 9, 8]
    assert np.asarray(random.randint(k, (5,), -3, 10)).tolist() == [7, 6, 6, 5, -1]
    assert np.asarray(random.choice(k, 10, (3,))).tolist() == [5, 9, 5]
    logits = jnp.array([0.1, 0.5, 2.0, 1.0])
    assert np.asarray(random.categorical(k, logits, shape=(6,))).tolist() == [3, 2, 2, 2, 2, 3]
    assert np.asarray(random.bernoulli(k, 0.3, (8,))).astype(int).tolist() == [1, 0, 0, 0, 1, 0, 1, 0]
    assert np.asarray(random.gumbel(k, (3,))).view(np.uint32).tolist() == [
        3212109688, 1076892567, 1062642524]


def test_sampler_moments():
    k = random.PRNGKey(0)
    n = 20000
    assert abs(float(jnp.mean(random.gamma(k, 2.5, (n,)))) - 2.5) < 0.1
    assert abs(float(jnp.mean(random.poisson(k, 3.0, (n,)))) - 3.0) < 0.1
    assert abs(float(jnp.mean(random.exponential(k, (n,)))) - 1.0) < 0.05
    assert abs(float(jnp.mean(random.beta(k, 2.0, 3.0, (n,)))) - 0.4) < 0.02
    assert abs(float(jnp.mean(random.bernoulli(k, 0.3, (n,)))) - 0.3) < 0.02
    tn = np.asarray(random.truncated_normal(k, -1.0, 2.0, (n,)))
    assert tn.min() > -1.0 and tn.max() < 2.0
    q = np.asarray(random.orthogonal(k, 4))
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-5)


# --- gamma / loggamma / poisson: JAX's algorithms and key splitting ---------

@pytest.mark.parametrize("case", _DATA["gamma"], ids=lambda c: f"{c['fn']}-{c['key']}")
def test_gamma_matches_jax(case):
    a = jnp.asarray(np.asarray(case["a"], np.float32))
    out = getattr(random, case["fn"])(_key(case["key"]), a, tuple(case["shape"]))
    np.testing.assert_allclose(np.asarray(out), _expected(case["out"]), rtol=2e-6, atol=1e-30)


@pytest.mark.parametrize("case", _DATA["poisson"], ids=lambda c: str(c["key"]))
def test_poisson_matches_jax(case):
    lam = jnp.asarray(np.asarray(case["lam"], np.float32))
    out = random.poisson(_key(case["key"]), lam, tuple(case["shape"]))
    np.testing.assert_array_equal(np.asarray(out), _expected(case["out"]))


def test_gamma_grad_wrt_a_matches_finite_differences():
    k = random.PRNGKey(5)
    for a0 in (0.3, 1.7, 12.0):
        f = lambda a: random.gamma(k, a, (5,), dtype=np.float32).sum()
        g = float(cotan.grad(f)(jnp.float32(a0)))
        h = 1e-2 * a0
        fd = (float(f(jnp.float32(a0 + h))) - float(f(jnp.float32(a0 - h)))) / (2 * h)
        assert abs(g - fd) < 2e-2 * max(1.0, abs(fd)), (a0, g, fd)
    # beta inherits the gradient; vmap/jit of grad agree with eager
    gb = cotan.vmap(cotan.grad(lambda a: random.beta(k, a, 2.0)))(jnp.array([0.5, 3.0]))
    assert np.all(np.isfinite(np.asarray(gb)))
    gj = cotan.jit(cotan.grad(lambda a: random.loggamma(k, a, (3,)).sum()))(jnp.float32(0.4))
    ge = cotan.grad(lambda a: random.loggamma(k, a, (3,)).sum())(jnp.float32(0.4))
    np.testing.assert_allclose(np.asarray(gj), np.asarray(ge), rtol=1e-6)


# --- binomial: JAX's inversion / BTRS algorithms and key splitting ----------

@pytest.mark.parametrize("case", _DATA["binomial"], ids=lambda c: str(c["key"]))
def test_binomial_matches_jax(case):
    n = np.asarray(case["n"], np.float32)
    p = np.asarray(case["p"], np.float32)
    shape = tuple(case["shape"])
    exp = _expected(case["out"])
    k = _key(case["key"])
    out = random.binomial(k, n, p, shape)
    np.testing.assert_array_equal(np.asarray(out), exp)
    outj = cotan.jit(lambda k: random.binomial(k, n, p, shape))(k)
    np.testing.assert_array_equal(np.asarray(outj), exp)
    # vmap over keys: each batch member runs its own rejection loops
    ks = jnp.stack([k, k])
    outv = cotan.vmap(lambda kk: random.binomial(kk, n, p, shape))(ks)
    np.testing.assert_array_equal(np.asarray(outv), np.stack([exp, exp]))


def test_binomial_moments_and_edges():
    k = random.PRNGKey(5)
    x = np.asarray(random.binomial(k, 1000.0, 0.3, (4000,)))
    assert abs(x.mean() - 300) < 2 and abs(x.var() - 210) < 25
    e = np.asarray(random.binomial(k, jnp.array([5.0, 5.0, -1.0]), jnp.array([0.0, 1.0, 0.5])))
    np.testing.assert_array_equal(e[:2], [0.0, 5.0])
    assert np.isnan(e[2])
