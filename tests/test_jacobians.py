"""jacfwd / jacrev / hessian: values against finite differences, JAX's
output structure for pytree inputs and outputs, and the seeds' programs that
build Jacobians with vmap."""
import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan import random


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol, atol=tol)


def fd_jac(f, x, eps=1e-6):
    """Finite-difference Jacobian of NumPy function f at float64 x: out.shape + x.shape."""
    x = np.asarray(x, np.float64)
    y0 = np.asarray(f(x))
    J = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        J[(Ellipsis,) + idx] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps)
    return J


def _f3(x):
    return jnp.array([x[0] + 2 * x[1], jnp.sin(x[0]) * jnp.exp(x[1]), x[1] ** 3])


def test_seed_jacfwd_and_jacrev_values():
    x = jnp.array([2., 3.])
    expect = [[1., 2.], [-8.358533, 18.263727], [0., 27.]]
    close(jax.jacfwd(_f3)(x), expect)
    close(jax.jacrev(_f3)(x), expect)
    close(jax.jacobian(_f3)(x), expect)


@pytest.mark.parametrize("jac", [jax.jacfwd, jax.jacrev])
def test_against_finite_differences(jac, x64):
    f = lambda x: jnp.tanh(jnp.outer(x, x)).sum(0) * jnp.exp(x[0])
    x = np.array([0.3, -0.7, 1.1])
    fn = lambda x: (np.tanh(np.outer(x, x)).sum(0) * np.exp(x[0]))
    close(jac(f)(x), fd_jac(fn, x), 1e-6)


@pytest.mark.parametrize("jac", [jax.jacfwd, jax.jacrev])
def test_pytree_structure(jac):
    def f(a, b):
        return {"s": (a * b).sum(), "v": a * 2.0 + b[0]}
    a = jnp.ones((2, 3))
    b = jnp.arange(3.0)
    J = jac(f, argnums=(0, 1))(a, b)
    assert set(J) == {"s", "v"}
    assert isinstance(J["s"], tuple) and len(J["s"]) == 2
    assert J["s"][0].shape == (2, 3) and J["s"][1].shape == (3,)
    assert J["v"][0].shape == (2, 3, 2, 3) and J["v"][1].shape == (2, 3, 3)
    close(J["s"][0], np.broadcast_to(np.arange(3.0), (2, 3)))
    close(J["s"][1], np.full(3, 2.0))
    close(J["v"][0], 2.0 * np.eye(6).reshape(2, 3, 2, 3))
    e0 = np.zeros((2, 3, 3))
    e0[..., 0] = 1.0
    close(J["v"][1], e0)
    # a single argnum gives the bare input structure
    J1 = jac(f)(a, b)
    assert J1["v"].shape == (2, 3, 2, 3)


@pytest.mark.parametrize("jac", [jax.jacfwd, jax.jacrev])
def test_dict_input(jac):
    f = lambda p: p["w"] ** 2 + p["b"]
    J = jac(f)({"w": jnp.arange(3.0), "b": jnp.ones(3)})
    assert set(J) == {"w", "b"}
    close(J["w"], np.diag(2 * np.arange(3.0)))
    close(J["b"], np.eye(3))


@pytest.mark.parametrize("jac", [jax.jacfwd, jax.jacrev])
def test_has_aux(jac):
    J, aux = jac(lambda x: (jnp.sin(x), {"n": x.sum()}), has_aux=True)(jnp.arange(3.0))
    close(J, np.diag(np.cos(np.arange(3.0))))
    close(aux["n"], 3.0)


def test_hessian(x64):
    f = lambda x: jnp.sum(jnp.sin(x) * x[0] ** 2)
    x = np.array([0.5, -1.0, 2.0])
    H = jax.hessian(f)(x)
    g = lambda x: np.asarray(jax.grad(f)(x))
    close(H, fd_jac(g, x), 1e-6)
    assert H.shape == (3, 3)
    close(H, np.asarray(H).T, 1e-10)


def test_jacobian_errors():
    with pytest.raises(TypeError, match="inexact"):
        jax.jacfwd(lambda x: x)(jnp.arange(3))
    with pytest.raises(TypeError, match="inexact"):
        jax.jacrev(lambda x: x * 1.0)(jnp.arange(3))


# --- the seeds' programs ------------------------------------------------------

from test_seeds import _inputs, _predict  # the seeds' toy model  # noqa: E402


def _model():
    key = random.key(0)
    key, W_key, b_key = random.split(key, 3)
    W = random.normal(W_key, (3,))
    b = random.normal(b_key, ())
    return key, W, b


def test_seed_matrix_jacobian_products_loop_vs_vmap():
    key, W, b = _model()
    f = lambda W: _predict(W, b, _inputs)
    y = f(W)

    def loop_mjp(f, x, M):
        y, vjp_fun = jax.vjp(f, x)
        return jnp.vstack([vjp_fun(mi) for mi in M])

    def vmap_mjp(f, x, M):
        y, vjp_fun = jax.vjp(f, x)
        outs, = jax.vmap(vjp_fun)(M)
        return outs

    U = random.normal(random.key(0), (128,) + y.shape)
    assert jnp.allclose(loop_mjp(f, W, M=U), vmap_mjp(f, W, M=U)), \
        'Vmap and non-vmapped Matrix-Jacobian Products should be identical'

    def loop_jmp(f, W, M):
        return jnp.vstack([jax.jvp(f, (W,), (mi,))[1] for mi in M])

    def vmap_jmp(f, W, M):
        _jvp = lambda s: jax.jvp(f, (W,), (s,))[1]
        return jax.vmap(_jvp)(M)

    S = random.normal(random.key(0), (128,) + W.shape)
    assert jnp.allclose(loop_jmp(f, W, M=S), vmap_jmp(f, W, M=S)), \
        'Vmap and non-vmapped Jacobian-Matrix products should be identical'


def test_seed_our_jacrev_and_jacfwd():
    key, W, b = _model()
    f = lambda W: _predict(W, b, _inputs)

    def our_jacrev(f):
        def jacfun(x):
            y, vjp_fun = jax.vjp(f, x)
            J, = jax.vmap(vjp_fun, in_axes=0)(jnp.eye(len(y)))
            return J
        return jacfun

    def our_jacfwd(f):
        def jacfun(x):
            _jvp = lambda s: jax.jvp(f, (x,), (s,))[1]
            Jt = jax.vmap(_jvp, in_axes=1)(jnp.eye(len(x)))
            return jnp.transpose(Jt)
        return jacfun

    assert jnp.allclose(jax.jacrev(f)(W), our_jacrev(f)(W)), 'Incorrect reverse-mode Jacobian results!'
    assert jnp.allclose(jax.jacfwd(f)(W), our_jacfwd(f)(W)), 'Incorrect forward-mode Jacobian results!'


def test_seed_hvp_three_ways_against_hessian():
    def f(X):
        return jnp.sum(jnp.tanh(X) ** 2)
    key = random.key(0)
    key, subkey1, subkey2 = random.split(key, 3)
    X = random.normal(subkey1, (30, 40))
    V = random.normal(subkey2, (30, 40))

    def hvp(f, primals, tangents):
        return jax.jvp(jax.grad(f), primals, tangents)[1]

    def hvp_revfwd(f, primals, tangents):
        g = lambda primals: jax.jvp(f, primals, tangents)[1]
        return jax.grad(g)(primals)

    def hvp_revrev(f, primals, tangents):
        x, = primals
        v, = tangents
        return jax.grad(lambda x: jnp.vdot(jax.grad(f)(x), v))(x)

    def hessian(f):
        return jax.jacfwd(jax.jacrev(f))

    ans1 = hvp(f, (X,), (V,))
    ans2 = jnp.tensordot(hessian(f)(X), V, 2)
    assert jnp.allclose(ans1, ans2, 1e-4, 1e-4)
    assert jnp.allclose(hvp_revfwd(f, (X,), (V,))[0], ans2, 1e-4, 1e-4)
    assert jnp.allclose(hvp_revrev(f, (X,), (V,)), ans2, 1e-4, 1e-4)


def test_seed_single_neuron_jacrev_concatenation():
    key = random.PRNGKey(0)
    W_key, b_key, input_key, v1_key, v2_key = random.split(key, 5)
    b = random.normal(b_key, (1,))
    W = random.normal(W_key, (5,))
    x = random.normal(input_key, (1, 5))
    tan_vec1 = random.normal(v1_key, W.shape)
    tan_vec2 = random.normal(v2_key, b.shape)
    single_neuron = lambda W, b: x @ W + b
    single_neuron2 = lambda params: x @ params[:-1] + params[-1]
    y, cotan_vecs = jax.jvp(single_neuron, [W, b], [tan_vec1, tan_vec2])
    con_params = jnp.concatenate((W, b))
    con_tangents = jnp.concatenate((tan_vec1, tan_vec2))
    jacobian = jax.jacrev(single_neuron2)(con_params)
    close(jacobian @ con_tangents, cotan_vecs, 1e-5)
    y, vjp_fn = jax.vjp(single_neuron, W, b)
    tan_vecs = vjp_fn(cotan_vecs)
    jacobian1, jacobian2 = jax.jacrev(single_neuron, argnums=(0, 1))(W, b)
    assert jacobian1.shape == (1, 5) and jacobian2.shape == (1, 1)
    full_jacobian = jnp.concatenate((jacobian1, jacobian2), axis=1)
    close(jnp.concatenate(tan_vecs), (cotan_vecs @ full_jacobian), 1e-5)


def test_seed_vmap_frobenius_norms():
    def frob_norm(A):
        return jnp.linalg.norm(A)
    As = np.random.default_rng(0).normal(size=(10, 30, 30)).astype(np.float32)
    manual = jnp.stack([frob_norm(A) for A in As])
    close(jax.vmap(frob_norm)(As), manual, 1e-5)
    close(jax.jit(jax.vmap(frob_norm))(As), manual, 1e-5)
