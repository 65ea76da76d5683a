"""checkpoint / remat: same gradients, fewer saved residuals."""
import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan import lax
from cotan._src.checkpoint import remat_p, remat_split
from cotan._src.core import Array
from cotan._src.interpreters import ad

cp = jax.checkpoint_policies


def _params(seed=0, widths=(5, 8, 8, 3)):
    rs = np.random.RandomState(seed)
    return [(jnp.array(rs.randn(a, b).astype(np.float32) / np.sqrt(a)),
             jnp.array(rs.randn(b).astype(np.float32)))
            for a, b in zip(widths[:-1], widths[1:])]


def _layer(p, x):
    W, b = p
    return jnp.tanh(jnp.dot(x, W) + b)


def _mlp(layer):
    def loss(params, x):
        for p in params:
            x = layer(p, x)
        return jnp.sum(x ** 2)
    return loss


def _eq(a, b):
    for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))


X = jnp.array(np.random.RandomState(1).randn(4, 5).astype(np.float32))

POLICIES = [None, cp.nothing_saveable, cp.everything_saveable, cp.dots_saveable,
            cp.dots_with_no_batch_dims_saveable, cp.save_only_these_names("h")]


@pytest.mark.parametrize("policy", POLICIES)
def test_mlp_grad_identical(policy):
    params = _params()
    ref = jax.grad(_mlp(_layer))(params, X)
    layer = jax.checkpoint(_layer, policy=policy)
    _eq(jax.grad(_mlp(layer))(params, X), ref)
    _eq(jax.jit(jax.grad(_mlp(layer)))(params, X), ref)
    _eq(jax.grad(jax.checkpoint(_mlp(_layer), policy=policy))(params, X), ref)
    xs = jnp.stack([X, X * 2.0])
    refv = jax.vmap(jax.grad(_mlp(_layer)), (None, 0))(params, xs)
    _eq(jax.vmap(jax.grad(_mlp(layer)), (None, 0))(params, xs), refv)
    _eq(jax.jit(jax.vmap(jax.grad(_mlp(layer)), (None, 0)))(params, xs), refv)


def test_value_jvp_and_second_order():
    params = _params()
    layer = jax.remat(_layer)
    _eq(_mlp(layer)(params, X), _mlp(_layer)(params, X))
    f = lambda x: _mlp(layer)(params, x)  # noqa: E731
    g = lambda x: _mlp(_layer)(params, x)  # noqa: E731
    _eq(jax.jvp(f, (X,), (X,)), jax.jvp(g, (X,), (X,)))
    h1 = jax.hessian(lambda x: f(x.reshape(4, 5)))(X.ravel())
    h2 = jax.hessian(lambda x: g(x.reshape(4, 5)))(X.ravel())
    np.testing.assert_allclose(np.asarray(h1), np.asarray(h2), rtol=1e-5, atol=1e-6)


def _scan_loss(body):
    def loss(W, xs):
        c, ys = lax.scan(body, jnp.ones(3, jnp.float32), xs)
        return jnp.sum(c) + jnp.sum(jnp.sin(ys))
    return loss


def _body(c, x, W=None):
    h = jnp.tanh(jnp.dot(W, c) + x)
    return h, jnp.cos(h)


def test_scan_grad_identical():
    W = jnp.array(np.random.RandomState(2).randn(3, 3).astype(np.float32))
    xs = jnp.array(np.random.RandomState(3).randn(6, 3).astype(np.float32))

    def make(wrap):
        def loss(W, xs):
            body = wrap(lambda c, x: _body(c, x, W))
            return _scan_loss(body)(W, xs)
        return loss

    ref = jax.grad(make(lambda f: f), argnums=(0, 1))(W, xs)
    for policy in (None, cp.dots_saveable, cp.everything_saveable):
        wrap = lambda f: jax.checkpoint(f, policy=policy)  # noqa: E731
        _eq(jax.grad(make(wrap), argnums=(0, 1))(W, xs), ref)
        _eq(jax.jit(jax.grad(make(wrap), argnums=(0, 1)))(W, xs), ref)
        Ws = jnp.stack([W, W * 0.5])
        refv = jax.vmap(jax.grad(make(lambda f: f)), (0, None))(Ws, xs)
        _eq(jax.vmap(jax.grad(make(wrap)), (0, None))(Ws, xs), refv)


def _chain(x):
    a = jnp.sin(jnp.dot(x, x.T))
    b = jax.ad_checkpoint.checkpoint_name(jnp.cos(a), "b")
    return jnp.sum(jnp.tanh(jnp.dot(b, x)))


def _n_saved(policy):
    cj = jax.make_jaxpr(_chain)(X)
    _, _, _, n_saved, _ = remat_split(cj, (True,), policy)
    return n_saved


def test_policies_change_what_is_saved():
    assert _n_saved(None) == 0
    assert _n_saved(cp.nothing_saveable) == 0
    assert _n_saved(cp.dots_saveable) == 2
    assert _n_saved(cp.dots_with_no_batch_dims_saveable) == 2
    assert _n_saved(cp.save_only_these_names("b")) == 1
    assert _n_saved(cp.save_only_these_names("other")) == 0
    assert _n_saved(cp.everything_saveable) > 2


def _residual_arrays(fun, x, use_tape):
    lin = ad.linearize_flat(lambda x: [fun(x)], [x], use_tape=use_tape)
    if use_tape:
        return sum(len([v for v in r if np.ndim(v) > 0]) for _, r, _, _ in lin.tape)
    return len([c for c in lin.consts if np.ndim(c) > 0])


@pytest.mark.parametrize("use_tape", [True, False])
def test_residuals_are_the_saved_values(use_tape):
    n0 = _residual_arrays(_chain, X, use_tape)
    n_none = _residual_arrays(jax.checkpoint(_chain), X, use_tape)
    n_dots = _residual_arrays(jax.checkpoint(_chain, policy=cp.dots_saveable), X, use_tape)
    n_all = _residual_arrays(jax.checkpoint(_chain, policy=cp.everything_saveable), X,
                             use_tape)
    assert n_none == 1  # only the input
    assert n_dots == 3  # the input and the two dot outputs
    assert n_none < n_dots < n0
    assert n_all >= n_dots
    # and the gradients are the same
    _eq(jax.grad(jax.checkpoint(_chain))(X), jax.grad(_chain)(X))


def test_recomputation_is_in_the_backward_pass():
    jaxpr = jax.make_jaxpr(jax.grad(jax.checkpoint(_chain)))(X)
    prims = [e.primitive for e in jaxpr.eqns]
    assert remat_p in prims
    inner = jaxpr.eqns[prims.index(remat_p)].params["jaxpr"]
    assert "sin" in str(inner) and "dot_general" in str(inner)


def test_static_argnums_and_closures():
    def f(x, n):
        for _ in range(n):
            x = jnp.sin(x)
        return jnp.sum(x)

    g = jax.checkpoint(f, static_argnums=(1,))
    _eq(jax.grad(g)(X, 3), jax.grad(f)(X, 3))

    def outer(y):
        return jax.checkpoint(lambda x: jnp.sum(jnp.sin(x * y)))(X)

    _eq(jax.grad(outer)(jnp.float32(1.5)), jax.grad(
        lambda y: jnp.sum(jnp.sin(X * y)))(jnp.float32(1.5)))
    assert isinstance(g(X, 2), Array)


def test_checkpoint_name_is_identity():
    y = jax.ad_checkpoint.checkpoint_name(X, "x")
    _eq(y, X)
    _eq(jax.grad(lambda x: jnp.sum(jax.ad_checkpoint.checkpoint_name(x, "x") ** 2))(X),
        2 * X)
