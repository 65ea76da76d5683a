"""Batching rules composed with the other transformations.

* ``vmap(grad(f))`` (per-example gradients) against a Python loop of
  ``grad(f)``, and ``grad`` of a ``vmap`` against the sum of those, for
  functions that together use every family of batching rules (elementwise,
  structural, reductions, cumulative, dot_general, indexing, svd);
* ``jacfwd``/``jacrev``/``hessian`` (built on vmap) against finite
  differences;
* the batched programs are genuinely batched: one dot_general per
  dot_general with the unbatched operand left alone, no transposes for
  reductions, one random primitive per batch of keys.

(The per-primitive vmap-vs-loop checks live in test_primitives.py.)
"""
from __future__ import annotations

import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan import lax, random


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def _prims(f, *args):
    return [e.primitive.name for e in jax.make_jaxpr(f)(*args).eqns]


# --------------------------------------------------------------------------
# per-example gradients: f(w, x) -> scalar, w shared, x per example

W0 = np.random.default_rng(0).standard_normal((3, 4))


def f_mlp(w, x):
    return jnp.tanh(jnp.dot(x, w)).sum()


def f_logsumexp(w, x):
    z = jnp.dot(x, w)
    m = jnp.max(z)
    return m + jnp.log(jnp.sum(jnp.exp(z - lax.stop_gradient(m)))) - lax.stop_gradient(m) \
        + jnp.prod(jnp.cos(z))


def f_structural(w, x):
    y = jnp.concatenate([jnp.reshape(w, (-1,)), x * 2.0])    # concatenate/reshape
    y = lax.pad(y, jnp.asarray(0.5), ((1, 2, 1),))          # pad (interior too)
    y = jnp.transpose(jnp.reshape(y[2:14], (3, 4)))          # slice/transpose
    return jnp.sum(jnp.sin(y) * jnp.broadcast_to(x[:1], (4, 3)))


def f_cumulative(w, x):
    z = jnp.dot(x, w)
    return (jnp.cumsum(z).sum() + jnp.cumprod(jnp.tanh(z)).sum()
            + lax.cummax(z, 0).sum() + lax.cumlogsumexp(z, 0, reverse=True).sum())


def f_select_minmax(w, x):
    z = jnp.dot(x, w)
    return jnp.sum(jnp.where(z > 0, z * z, jnp.sin(z)) + jnp.maximum(z, 0.1 * z))


def f_indexing(w, x):
    z = jnp.dot(x, w)
    return jnp.sum(z[jnp.array([2, 0, 3])] ** 2) + z[1] * w[0, 0]


def f_svd(w, x):
    m = w * x[:, None] + jnp.eye(3, 4)
    return jnp.sum(lax.svd(m, compute_uv=False))


def f_batched_dot(w, x):
    # dot_general with its own batch dimension inside the function
    a = jnp.reshape(jnp.concatenate([x, x * x]), (2, 3))
    b = jnp.stack([w, jnp.cos(w)])                           # (2, 3, 4)
    return jnp.sum(jnp.tanh(jnp.einsum("bi,bij->bj", a, b)))


FUNS = [f_mlp, f_logsumexp, f_structural, f_cumulative, f_select_minmax, f_indexing,
        f_svd, f_batched_dot]


def _xs(n=5, seed=1):
    return np.random.default_rng(seed).standard_normal((n, 3))


@pytest.mark.parametrize("f", FUNS, ids=[f.__name__ for f in FUNS])
def test_per_example_gradients(f, x64):
    xs = _xs()
    loop = np.stack([np.asarray(jax.grad(f)(W0, x)) for x in xs])
    got = jax.vmap(jax.grad(f), in_axes=(None, 0))(W0, xs)
    close(got, loop)
    # gradients with respect to the batched argument too
    loop_x = np.stack([np.asarray(jax.grad(f, argnums=1)(W0, x)) for x in xs])
    close(jax.vmap(jax.grad(f, argnums=1), in_axes=(None, 0))(W0, xs), loop_x)
    # jit of vmap of grad: same values, and the program type-checks
    close(jax.jit(jax.vmap(jax.grad(f), in_axes=(None, 0)))(W0, xs), loop)
    from cotan._src import core
    core.check_jaxpr(jax.make_jaxpr(jax.vmap(jax.grad(f), in_axes=(None, 0)))(W0, xs).jaxpr)


@pytest.mark.parametrize("f", FUNS, ids=[f.__name__ for f in FUNS])
def test_grad_of_vmap(f, x64):
    xs = _xs()
    loop = sum(np.asarray(jax.grad(f)(W0, x)) for x in xs)
    got = jax.grad(lambda w: jax.vmap(f, in_axes=(None, 0))(w, xs).sum())(W0)
    close(got, loop)
    # and batched along another axis of xs, with a weighted sum
    wts = np.linspace(0.5, 1.5, len(xs))
    got = jax.grad(lambda w: jnp.dot(jax.vmap(f, in_axes=(None, 1))(w, xs.T), wts))(W0)
    close(got, sum(c * np.asarray(jax.grad(f)(W0, x)) for c, x in zip(wts, xs)))


def test_nested_vmap_of_grad(x64):
    xs = _xs(6).reshape(2, 3, 3)
    got = jax.vmap(jax.vmap(jax.grad(f_mlp), in_axes=(None, 0)), in_axes=(None, 0))(W0, xs)
    loop = np.stack([np.stack([np.asarray(jax.grad(f_mlp)(W0, x)) for x in row]) for row in xs])
    close(got, loop)


def test_vmap_of_hessian_vector_product(x64):
    # forward-over-reverse inside vmap: a batch of HVPs
    def f(w):
        return jnp.sum(jnp.tanh(jnp.dot(_xs()[0], w)) ** 2) + jnp.sum(jnp.cumprod(w[0]))

    def hvp(v):
        return jax.jvp(jax.grad(f), (W0,), (v,))[1]

    vs = np.random.default_rng(3).standard_normal((4,) + W0.shape)
    close(jax.vmap(hvp)(vs), np.stack([np.asarray(hvp(v)) for v in vs]))
    H = jax.hessian(f)(W0).reshape(12, 12)
    close(jax.vmap(hvp)(vs).reshape(4, 12), vs.reshape(4, 12) @ H.T, 1e-8)


# --------------------------------------------------------------------------
# Jacobians (built on vmap) against finite differences


def _fd_jac(f, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    y0 = np.asarray(f(x))
    J = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        J[(Ellipsis,) + idx] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps)
    return J


JAC_FUNS = {
    "mlp": lambda x: jnp.tanh(jnp.dot(W0.T, x) + 0.1) * x[0],
    "cumulative": lambda x: jnp.concatenate([jnp.cumprod(x), lax.cummax(jnp.sin(x), 0),
                                             jnp.cumsum(x * x)]),
    "reductions": lambda x: jnp.stack([jnp.max(x * x), jnp.prod(x), jnp.sum(jnp.exp(x))]),
    "structural": lambda x: jnp.reshape(jnp.outer(x, jnp.sin(x)), (-1,))[::2],
    "select": lambda x: jnp.where(x > 0, x ** 3, jnp.sin(x)) * jnp.sum(x),
    "matrix": lambda x: jnp.dot(jnp.reshape(jnp.concatenate([x, x * x]), (2, 3)), W0),
}


@pytest.mark.parametrize("name", sorted(JAC_FUNS))
@pytest.mark.parametrize("jac", [jax.jacfwd, jax.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobians_against_finite_differences(jac, name, x64):
    f = JAC_FUNS[name]
    x = np.array([0.7, -1.3, 0.4])
    close(jac(f)(x), _fd_jac(lambda v: np.asarray(f(v)), x), 1e-6)


def test_jacfwd_equals_jacrev_and_hessian(x64):
    f = lambda x: jnp.sum(jnp.tanh(jnp.dot(W0.T, x)) ** 2) + jnp.prod(jnp.cos(x))
    x = np.array([0.3, -0.2, 0.9])
    H = jax.hessian(f)(x)
    fd = _fd_jac(lambda v: np.asarray(jax.grad(f)(v)), x)
    close(H, fd, 1e-6)
    close(H, H.T, 1e-12)
    close(jax.jacfwd(jax.jacrev(f))(x), jax.jacrev(jax.jacfwd(f))(x), 1e-10)
    # Jacobian of a batched function, both ways
    g = lambda x: jax.vmap(lambda r: jnp.sin(r) * x)(jnp.outer(x, x))
    close(jax.jacfwd(g)(x), jax.jacrev(g)(x), 1e-12)
    close(jax.jacfwd(g)(x), _fd_jac(lambda v: np.asarray(g(v)), x), 1e-6)


# --------------------------------------------------------------------------
# the batched programs are batched (no loops, no needless broadcasts)


A = np.ones((5, 3, 4))
B = np.ones((4, 6))


def test_dot_general_one_side_batched_is_one_dot_no_broadcast():
    prims = _prims(jax.vmap(jnp.matmul, in_axes=(0, None)), A, B)
    assert prims == ["dot_general"], prims
    prims = _prims(jax.vmap(jnp.matmul, in_axes=(None, 0)), B.T, np.ones((5, 4, 2)))
    assert "broadcast_in_dim" not in prims and prims.count("dot_general") == 1, prims
    out = jax.vmap(jnp.matmul, in_axes=(None, 2))(B.T, np.random.default_rng(0).standard_normal((4, 2, 5)))
    assert out.shape == (5, 6, 2)


def test_dot_general_both_batched_is_one_batched_dot():
    closed = jax.make_jaxpr(jax.vmap(jnp.matmul))(A, np.ones((5, 4, 2)))
    (eqn,) = [e for e in closed.eqns if e.primitive.name == "dot_general"]
    (_, _), (lb, rb) = eqn.params["dimension_numbers"]
    assert lb == (0,) and rb == (0,)
    assert [e.primitive.name for e in closed.eqns] == ["dot_general"]


def test_reductions_and_cumulative_keep_the_batch_axis_in_place():
    x = np.ones((3, 5, 4))
    for f in [lambda v: jnp.sum(v, 0), lambda v: jnp.max(v, 1), lambda v: jnp.argmax(v, 0),
              lambda v: jnp.cumsum(v, 1), lambda v: lax.reduce_prod(v, (0,))]:
        # (a transpose may follow, moving the batch axis to out_axes=0)
        prims = _prims(jax.vmap(f, in_axes=1), x)
        assert prims[0] != "transpose" and len(prims) <= 2, prims


def test_select_with_batched_scalar_predicate():
    p = np.array([True, False, True])
    x = np.arange(6.0).reshape(2, 3)
    out = jax.vmap(lambda p, a, b: lax.select_n(p, a, b), in_axes=(0, None, None))(p, x, -x)
    close(out, np.stack([-x if q else x for q in p]))


def test_pad_with_batched_padding_value():
    x = np.arange(6.0).reshape(2, 3)
    v = np.array([-1.0, -2.0])
    f = lambda x, v: lax.pad(x, v, ((1, 0, 1), (0, 2, 0)))
    close(jax.vmap(f, in_axes=(None, 0))(x, v), np.stack([f(x, u) for u in v]))


def test_add_any_batches():
    # add_any accumulates cotangents: vmap of a pullback whose function uses x twice
    y, pb = jax.vjp(lambda x: jnp.sin(x) * x, jnp.ones(3))
    cts = np.eye(3)
    close(jax.vmap(pb)(cts)[0], np.stack([np.asarray(pb(c)[0]) for c in cts]))


# --------------------------------------------------------------------------
# random: a batch of keys is one primitive application


KEYS = random.split(random.PRNGKey(0), 4)


RANDOM_FUNS = {
    "split": lambda k: random.split(k, 3),
    "split-shape": lambda k: random.split(k, (2, 2)),
    "fold_in": lambda k: random.fold_in(k, 7),
    "bits": lambda k: random.bits(k, (2, 3)),
    "bits8": lambda k: random.bits(k, (5,), np.uint8),
    "uniform": lambda k: random.uniform(k, (3,), minval=-1.0, maxval=2.0),
    "normal": lambda k: random.normal(k, (2, 2)),
}


@pytest.mark.parametrize("name", sorted(RANDOM_FUNS))
def test_random_vmap_over_keys(name):
    f = RANDOM_FUNS[name]
    loop = np.stack([np.asarray(f(k)) for k in KEYS])
    np.testing.assert_array_equal(np.asarray(jax.vmap(f)(KEYS)), loop)
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.vmap(f))(KEYS)), loop)
    # keys batched along their last axis (key data is (2, batch)), and nested
    np.testing.assert_array_equal(np.asarray(jax.vmap(f, in_axes=1)(KEYS.T)), loop)
    nested = random.split(random.PRNGKey(1), (2, 3))
    np.testing.assert_array_equal(
        np.asarray(jax.vmap(jax.vmap(f))(nested)),
        np.stack([np.stack([np.asarray(f(k)) for k in row]) for row in nested]))
    prims = _prims(jax.vmap(f), KEYS)
    assert sum(p.startswith("random_") for p in prims) == 1, prims


def test_random_fold_in_batched_data_and_keys():
    data = jnp.arange(4, dtype=np.uint32)
    k = random.PRNGKey(3)
    loop = np.stack([np.asarray(random.fold_in(k, d)) for d in data])
    np.testing.assert_array_equal(np.asarray(jax.vmap(lambda d: random.fold_in(k, d))(data)), loop)
    loop = np.stack([np.asarray(random.fold_in(kk, d)) for kk, d in zip(KEYS, data)])
    np.testing.assert_array_equal(np.asarray(jax.vmap(random.fold_in)(KEYS, data)), loop)
    many = random.split(k, (4, 5))          # each example: a (5, 2) key array
    loop = np.stack([np.asarray(random.fold_in(kk, d)) for kk, d in zip(many, data)])
    np.testing.assert_array_equal(np.asarray(jax.vmap(random.fold_in)(many, data)), loop)
    np.testing.assert_array_equal(
        np.asarray(jax.vmap(random.fold_in, in_axes=(1, 0))(jnp.swapaxes(many, 0, 1), data)), loop)


def test_random_vmap_then_sample():
    # the common pattern: split per example, then sample per example
    def sample(k):
        k1, k2 = random.split(k)
        return random.normal(k1, (3,)) + random.uniform(k2, (3,))
    loop = np.stack([np.asarray(sample(k)) for k in KEYS])
    np.testing.assert_array_equal(np.asarray(jax.vmap(sample)(KEYS)), loop)
