"""The programs of ../shared/seeds/ that need only issue 2's features, run with
``import cotan as jax`` and checked against the numbers the seeds print.
(Programs that need vmap/jacfwd/jacrev/hessian are added with issue 3.)"""
import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan import grad, jit, jvp, random, value_and_grad, vjp
from cotan.errors import ConcretizationTypeError, TracerIntegerConversionError


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol, atol=tol)


def test_jax_is_a_lot_like_numpy():
    x_ = jnp.array([1., 2., 3.])
    y_ = jnp.array([0., 1., 5.])
    z_ = jnp.array([2., 3., 4.])
    close(x_ * y_ + z_, [2., 5., 19.])
    assert str(x_ * y_ + z_) == "[ 2.  5. 19.]"


def test_linspace_and_numpy_interop():
    close(jnp.linspace(0, 1, 3), [0., 0.5, 1.])
    A = np.random.default_rng(0).normal(size=(10, 10))
    close(jnp.linalg.norm(A, ord=2), np.linalg.norm(A, ord=2), 1e-5)
    x = jnp.linspace(0, 2 * jnp.pi)
    y = jnp.sin(x)
    assert np.asarray(y).shape == (50,)  # what matplotlib calls
    close(np.asarray(y), np.sin(np.linspace(0, 2 * np.pi)).astype(np.float32))


def test_rng_same_key_same_numbers():
    key = random.PRNGKey(0)
    A = random.normal(key, shape=(2, 2))
    B = random.normal(key, shape=(2, 2))
    np.testing.assert_array_equal(np.asarray(A), np.asarray(B))
    key, subkey = random.split(key)
    C = random.normal(key, shape=(2, 2))
    D = random.normal(subkey, shape=(2, 2))
    assert not np.allclose(np.asarray(C), np.asarray(D))


def test_in_place_update_error_and_at():
    A = jnp.array([1, 2, 3])
    assert str(A) == "[1 2 3]"
    with pytest.raises(TypeError, match=r"x = x\.at\[0\]\.set\(y\)|\.at\[0\]\.set"):
        A[0] = 0
    A = A.at[0].set(0)
    assert str(A) == "[0 2 3]"


def test_grad_sin_and_composition():
    sin_grad = grad(jnp.sin)
    assert f"{sin_grad(1.0):.4f}" == f"{jnp.cos(1.0):.4f}" == "0.5403"

    def f(x):
        return jnp.sin(x ** 2) + 3 * x ** 2

    def grad_f_manual(x):
        return 2 * x * jnp.cos(x ** 2) + 6 * x
    assert f"{grad_f_manual(2.0):.4f}" == "9.3854"
    assert f"{grad(f)(2.0):.4f}" == "9.3854"


def test_multivariate_and_dict_gradients():
    def f(X):
        return X[0] ** 2 + 3 * jnp.sin(X[1]) + jnp.cos(X[2])
    X = jnp.array([2.0, 3.0, 1.0])
    close(grad(f)(X), [4., -2.9699774, -0.84147096])

    def fd(X):
        return X['x'] ** 2 + 3 * jnp.sin(X['y']) + jnp.cos(X['z'])
    g = grad(fd)({'x': 2.0, 'y': 3.0, 'z': 1.0})
    assert set(g) == {'x', 'y', 'z'}
    close([g['x'], g['y'], g['z']], [4., -2.9699774, -0.84147096])
    assert g['x'].dtype == np.float32 and g['x'].weak_type  # as the seed prints
    assert "weak_type=True" in repr(g['x'])


def test_multiple_arguments():
    def f(x, y):
        return jnp.linalg.norm(x) ** 2 + jnp.linalg.norm(y) + jnp.inner(x, y)
    x = jnp.array([1., 2., 3.])
    y = jnp.array([0, -1., 1.])
    close(grad(f, 0)(x, y), [2., 3., 7.])
    close(2 * x + y, [2., 3., 7.])
    close(grad(f, 1)(x, y), [1., 1.2928932, 3.7071068])
    close(y / jnp.linalg.norm(y) + x, [1., 1.2928932, 3.7071068])


def test_value_and_grad():
    value, g = value_and_grad(lambda x: x ** 2)(3.0)
    assert float(value) == 9.0 and float(g) == 6.0


def _f3(x):
    return jnp.array([x[0] + 2 * x[1], jnp.sin(x[0]) * jnp.exp(x[1]), x[1] ** 3])


def _Jf_manual(x):
    return jnp.array([
        [1, 2],
        [jnp.cos(x[0]) * jnp.exp(x[1]), jnp.sin(x[0]) * jnp.exp(x[1])],
        [0, 3 * x[1] ** 2]])


def test_jvp_example():
    x = jnp.array([1., 2.])
    v = jnp.array([2., 3.])
    close(_Jf_manual(x) @ v, [8., 26.637676, 36.])
    func_value, jvp_JAX = jvp(_f3, (x,), (v,))
    close(jvp_JAX, [8., 26.637676, 36.])


def test_jacobian_from_jvps_into_numpy():
    x = jnp.array([2., 3.])
    Jf = np.zeros(shape=(3, 2))
    for j in range(2):
        ej = np.zeros(shape=2)
        ej[j] = 1
        Jf[:, j] = jvp(_f3, (x,), (ej.astype(np.float32),))[1]
    close(Jf, [[1., 2.], [-8.35853291, 18.26372719], [0., 27.]])
    close(_Jf_manual(x), Jf)


def test_vjp_example_and_jacobian_from_vjps():
    x = jnp.array([1., 2.])  # the seed's vjp cell runs at the jvp example's point
    v = jnp.array([2., 3., 4.])
    close(v @ _Jf_manual(x), [13.976972, 70.65303])
    func_value, vjp_JAX = vjp(_f3, x)
    out = vjp_JAX(v)
    assert isinstance(out, tuple) and len(out) == 1
    close(out[0], [13.976972, 70.65303])
    x = jnp.array([2., 3.])
    Jf = np.zeros(shape=(3, 2))
    for i in range(3):
        ei = np.zeros(shape=3, dtype=np.float32)
        ei[i] = 1
        Jf[i] = vjp(_f3, x)[1](ei)[0]
    close(Jf, [[1., 2.], [-8.35853291, 18.26372719], [0., 27.]])


def test_jit_control_flow_errors_and_static_argnums():
    def add_one_or_two(x, add_one):
        if add_one:
            return x + 1
        return x + 2
    with pytest.raises(ConcretizationTypeError):
        jit(add_one_or_two)(1.0, True)
    assert float(jit(add_one_or_two, static_argnums=1)(1.0, True)) == 2.0

    def stupid_mult(a, b):
        bs = b * np.ones(shape=(a,))
        return np.sum(bs)
    with pytest.raises(TracerIntegerConversionError):
        jit(stupid_mult)(3, 4)
    assert float(jit(stupid_mult, static_argnums=0)(3, 4)) == 12.0


def test_manual_batched_frobenius_norm():
    def frob_norm(A):
        return jnp.linalg.norm(A)
    As = np.random.default_rng(1).normal(size=(5, 20, 20)).astype(np.float32)
    norms = jnp.zeros(shape=As.shape[0])
    for i in range(As.shape[0]):
        norms = norms.at[i].set(frob_norm(As[i]))
    close(norms, np.linalg.norm(As.reshape(5, -1), axis=1), 1e-5)


def _sigmoid(x):
    return 0.5 * (jnp.tanh(x / 2) + 1)


def _predict(W, b, inputs):
    return _sigmoid(jnp.dot(inputs, W) + b)


_inputs = jnp.array([[0.52, 1.12, 0.77],
                     [0.88, -1.08, 0.15],
                     [0.52, 0.06, -1.30],
                     [0.74, -2.49, 1.39]])


def test_jvp_vjp_of_predict():
    key = random.key(0)
    key, W_key, b_key = random.split(key, 3)
    W = random.normal(W_key, (3,))
    b = random.normal(b_key, ())
    f = lambda W: _predict(W, b, _inputs)
    key, subkey = random.split(key)
    v = random.normal(subkey, W.shape)
    y, u = jvp(f, (W,), (v,))
    # against finite differences in float64
    Wn, vn, bn, Xn = (np.asarray(a, np.float64) for a in (W, v, b, _inputs))
    fn = lambda W: 0.5 * (np.tanh((Xn @ W + bn) / 2) + 1)
    eps = 1e-6
    close(u, (fn(Wn + eps * vn) - fn(Wn - eps * vn)) / (2 * eps), 1e-4)
    y, vjp_fun = vjp(f, W)
    key, subkey = random.split(key)
    uu = random.normal(subkey, y.shape)
    (g,) = vjp_fun(uu)
    # <u, J v> == <J^T u, v>
    close(jnp.vdot(uu, jvp(f, (W,), (v,))[1]), jnp.vdot(g, v), 1e-4)


def test_vector_valued_gradient():
    def vgrad(f, x):
        y, vjp_fn = jax.vjp(f, x)
        return vjp_fn(jnp.ones(y.shape))[0]
    out = vgrad(lambda x: 3 * x ** 2, jnp.ones((2, 2)))
    close(out, [[6., 6.], [6., 6.]])


def test_hvp_reverse_over_reverse_and_forward_over_reverse_agree():
    def f(X):
        return jnp.sum(jnp.tanh(X) ** 2)
    key = random.key(0)
    key, k1, k2 = random.split(key, 3)
    X = random.normal(k1, (30, 40))
    V = random.normal(k2, (30, 40))
    hvp_fwdrev = jax.jvp(jax.grad(f), (X,), (V,))[1]
    hvp_revrev = jax.grad(lambda x: jnp.vdot(jax.grad(f)(x), V))(X)
    hvp_revfwd = jax.grad(lambda p: jax.jvp(f, p, (V,))[1])((X,))[0]
    # the exact Hessian of sum(tanh^2) is diagonal: d2/dx2 tanh(x)^2
    t = np.tanh(np.asarray(X, np.float64))
    exact = (2 * (1 - t ** 2) ** 2 - 4 * t ** 2 * (1 - t ** 2)) * np.asarray(V, np.float64)
    for h in (hvp_fwdrev, hvp_revrev, hvp_revfwd):
        close(h, exact, 1e-4)


def test_jit_of_pullback_with_python_control_flow():
    def f(x):
        try:
            if x < 3:
                return 2 * x ** 3
            else:
                raise ValueError
        except ValueError:
            return jnp.pi * x
    y, f_vjp = jax.vjp(f, 4.)
    out = jax.jit(f_vjp)(1.)
    assert isinstance(out, tuple) and len(out) == 1
    close(out[0], np.pi)


def test_single_neuron_jvp_and_vjp_on_concatenated_params():
    key = random.PRNGKey(0)
    W_key, b_key, input_key, v1_key, v2_key = random.split(key, 5)
    b = random.normal(b_key, (1,))
    W = random.normal(W_key, (5,))
    x = random.normal(input_key, (1, 5))
    tan_vec1 = random.normal(v1_key, W.shape)
    tan_vec2 = random.normal(v2_key, b.shape)
    single_neuron = lambda W, b: x @ W + b
    y, cotan_vecs = jax.jvp(single_neuron, [W, b], [tan_vec1, tan_vec2])
    con_tangents = jnp.concatenate((tan_vec1, tan_vec2))
    manual = jnp.concatenate((x[0], jnp.ones(1))) @ con_tangents
    close(cotan_vecs, [manual], 1e-5)
    y, vjp_fn = jax.vjp(single_neuron, W, b)
    tan_vecs = vjp_fn(cotan_vecs)
    close(jnp.concatenate(tan_vecs), cotan_vecs[0] * jnp.concatenate((x[0], jnp.ones(1))), 1e-5)
