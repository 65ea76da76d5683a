"""The differentiation transformations: grad, jvp, vjp, linearize,
value_and_grad, linear_transpose, their nesting, and their error messages.

Tests marked "needs indexing" use ``x[i]`` (lax/indexing.py, being written
separately); they pass once it lands.
"""
from __future__ import annotations

import gc
import sys
import threading
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan import lax
from cotan._src import core, dtypes
from cotan.test_util import check_grads, check_jvp, check_vjp


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# --------------------------------------------------------------------------
# the basic transformations


def test_grad_sin(x64):
    close(jax.grad(jnp.sin)(0.7), np.cos(0.7))


def test_grad_argnums_int_and_tuple(x64):
    f = lambda x, y, z: x * jnp.sin(y) + z ** 2  # noqa: E731
    x, y, z = 2.0, 0.5, 3.0
    close(jax.grad(f)(x, y, z), np.sin(y))
    close(jax.grad(f, argnums=1)(x, y, z), x * np.cos(y))
    close(jax.grad(f, argnums=-1)(x, y, z), 2 * z)
    gx, gz = jax.grad(f, argnums=(0, 2))(x, y, z)
    close(gx, np.sin(y))
    close(gz, 2 * z)
    (g1,) = jax.grad(f, argnums=(1,))(x, y, z)
    close(g1, x * np.cos(y))


def test_grad_pytree_args(x64):
    def f(p):
        return jnp.sum(p["w"] * p["b"][0]) + p["b"][1] ** 2

    p = {"w": jnp.arange(3.0), "b": (2.0, 3.0)}
    g = jax.grad(f)(p)
    assert set(g) == {"w", "b"}
    close(g["w"], [2.0, 2.0, 2.0])
    close(g["b"][0], 3.0)
    close(g["b"][1], 6.0)


def test_value_and_grad(x64):
    v, g = jax.value_and_grad(lambda x, y: x * y ** 2, argnums=(0, 1))(3.0, 2.0)
    close(v, 12.0)
    close(g[0], 4.0)
    close(g[1], 12.0)


def test_has_aux(x64):
    def f(x):
        return jnp.sin(x), {"cos": jnp.cos(x), "n": 3}

    g, aux = jax.grad(f, has_aux=True)(0.3)
    close(g, np.cos(0.3))
    close(aux["cos"], np.cos(0.3))
    assert aux["n"] == 3
    (v, aux2), g2 = jax.value_and_grad(f, has_aux=True)(0.3)
    close(v, np.sin(0.3))
    close(g2, np.cos(0.3))
    assert not isinstance(aux2["cos"], core.Tracer)
    y, pb, aux3 = jax.vjp(f, 0.3, has_aux=True)
    close(pb(1.0)[0], np.cos(0.3))
    assert not isinstance(aux3["cos"], core.Tracer)
    y, t, aux4 = jax.jvp(f, (0.3,), (2.0,), has_aux=True)
    close(t, 2 * np.cos(0.3))
    assert not isinstance(aux4["cos"], core.Tracer)
    y, f_jvp, aux5 = jax.linearize(f, 0.3, has_aux=True)
    close(f_jvp(1.0), np.cos(0.3))
    assert not isinstance(aux5["cos"], core.Tracer)


def test_has_aux_requires_pair():
    with pytest.raises(TypeError, match="has_aux"):
        jax.grad(lambda x: x, has_aux=True)(1.0)


def test_allow_int_gives_float0_zeros(x64):
    g = jax.grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(2.0, 3)
    close(g[0], 3.0)
    assert g[1].dtype == dtypes.float0
    assert np.shape(g[1]) == ()
    g = jax.grad(lambda x, n: jnp.sum(x * n), argnums=1, allow_int=True)(
        jnp.ones(3), jnp.arange(3))
    assert g.dtype == dtypes.float0 and g.shape == (3,)


def test_jvp_int_primal_float0_tangent(x64):
    y, t = jax.jvp(lambda x, n: x * n, (2.0, 3), (1.0, np.zeros((), dtypes.float0)))
    close(y, 6.0)
    close(t, 3.0)


def test_int_output_tangent_is_float0(x64):
    y, t = jax.jvp(lambda x: (x * 2, jnp.floor(x).astype(jnp.int32)), (1.5,), (1.0,))
    close(t[0], 2.0)
    assert t[1].dtype == dtypes.float0


def test_holomorphic_grad():
    z = 1.0 + 2.0j
    close(jax.grad(lambda z: z ** 2, holomorphic=True)(z), 2 * z)
    close(jax.grad(jnp.sin, holomorphic=True)(z), np.cos(z), tol=1e-5)
    with pytest.raises(TypeError, match="holomorphic"):
        jax.grad(lambda x: x ** 2, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match="holomorphic"):
        jax.grad(lambda z: z ** 2)(z)  # complex output needs holomorphic=True


def test_grad_of_real_function_of_complex_input():
    # JAX's convention: grad of f: C -> R is the conjugate of df/dz-bar * 2
    close(jax.grad(lambda z: jnp.abs(z) ** 2)(3.0 + 4.0j), 6.0 - 8.0j, tol=1e-5)


def test_complex_vjp_convention():
    (ct,) = jax.vjp(lambda z: z * (2 + 1j), 1 + 1j)[1](1 + 0j)
    close(ct, 2 + 1j)


def test_linear_transpose(x64):
    def f(x, y):
        return 2.0 * x + jnp.sum(y), x - 3.0 * jnp.sum(y)

    x, y = 1.0, jnp.ones(3)
    ft = jax.linear_transpose(f, x, y)
    cx, cy = ft((1.0, 2.0))
    _, pb = jax.vjp(f, x, y)
    px, py = pb((1.0, 2.0))
    close(cx, px)
    close(cy, py)
    close(cx, 2.0 + 2.0)
    close(cy, [1.0 - 6.0] * 3)
    with pytest.raises(TypeError):
        jax.linear_transpose(lambda n: n, 1)


def test_linear_transpose_of_transpose_is_original(x64):
    a = np.arange(6.0).reshape(2, 3)
    f = lambda x: jnp.matmul(a, x)  # noqa: E731
    ft = jax.linear_transpose(f, jnp.ones(3))
    ftt = jax.linear_transpose(lambda c: ft(c)[0], jnp.ones(2))
    v = np.array([1.0, -2.0, 0.5])
    close(ftt(v)[0], a @ v)


def test_zero_and_passthrough_derivatives(x64):
    close(jax.grad(lambda x: 1.0)(2.0), 0.0)
    close(jax.grad(lambda x: x)(2.0), 1.0)
    g = jax.grad(lambda x, y: jnp.sum(x), argnums=1)(jnp.ones(2), jnp.ones((2, 3)))
    assert g.shape == (2, 3) and not np.any(np.asarray(g))
    y, t = jax.jvp(lambda x: jnp.ones(3), (1.0,), (1.0,))
    assert t.shape == (3,) and t.dtype == y.dtype and not np.any(np.asarray(t))
    y, t = jax.jvp(lambda x: x, (jnp.arange(3.0),), (jnp.ones(3),))
    close(t, [1.0, 1.0, 1.0])
    _, pb = jax.vjp(lambda x: (x, x, 2.0 * x), 1.0)
    close(pb((1.0, 2.0, 3.0))[0], 9.0)
    _, pb = jax.vjp(lambda x, y: x, 1.0, jnp.ones(2))
    cx, cy = pb(1.0)
    close(cx, 1.0)
    assert cy.shape == (2,) and not np.any(np.asarray(cy))


def test_grad_with_kwargs(x64):
    f = lambda x, scale=1.0: scale * x ** 2  # noqa: E731
    close(jax.grad(f)(3.0, scale=2.0), 12.0)


def test_grad_dtype_and_weak_type():
    g = jax.grad(jnp.sin)(1.0)
    assert g.dtype == np.float32 and g.weak_type
    g = jax.grad(jnp.sin)(np.float32(1.0))
    assert g.dtype == np.float32 and not g.weak_type
    g = jax.grad(lambda x: jnp.sum(jnp.sin(x)))(np.ones(2, np.float16))
    assert g.dtype == np.float16


# cotan.numpy compositions: broadcasting, promotion and the structural rules
# under second-order checks
_a = np.array([[0.3, -0.8, 1.1], [0.5, 0.9, -1.4]])
_b = np.array([0.7, -0.2, 0.4])
JNP_CASES = {
    "broadcast-mul": (lambda x, y: x * y, (_a, _b)),
    "broadcast-outer": (lambda x, y: jnp.expand_dims(x, 1) * jnp.expand_dims(y, 0),
                        (_b, _b[:2])),
    "scalar-broadcast": (lambda x, s: jnp.sin(x) * s + s ** 2, (_a, 0.7)),
    "where": (lambda x: jnp.where(x > 0, jnp.sin(x), x ** 2), (_a,)),
    "maximum": (lambda x, y: jnp.maximum(x, y), (_a, _b)),
    "matmul": (lambda x, y: jnp.matmul(x, y), (_a, _a.T)),
    "matmul-vec": (lambda x, y: x @ y, (_a, _b)),
    "batched-matmul": (lambda x, y: jnp.matmul(x, y),
                       (np.stack([_a, 2 * _a]), np.stack([_a.T, -_a.T]))),
    "dot": (jnp.dot, (_b, _b)),
    "mean-axis": (lambda x: jnp.mean(x, axis=0), (_a,)),
    "sum-keepdims": (lambda x: jnp.sum(x ** 3, axis=1, keepdims=True), (_a,)),
    "transpose-reshape": (lambda x: jnp.reshape(x.T, (3, 2)) * 2.0, (_a,)),
    "concatenate-stack": (lambda x, y: jnp.concatenate([x, jnp.stack([y, y])], axis=0),
                          (_a, _b)),
    "divide-power": (lambda x, y: x / (1.0 + y ** 2) + jnp.abs(x) ** 1.5, (_a, _b)),
    "logaddexp": (jnp.logaddexp, (_a, _b)),
    "hypot": (jnp.hypot, (_a, _b)),
    "clip": (lambda x: jnp.clip(x, -1.0, 1.0), (np.array([0.3, -1.5, 2.0, 0.9]),)),
    "square-reciprocal": (lambda x: jnp.square(x) + jnp.reciprocal(x), (_a,)),
    "int-promotion": (lambda x: x * jnp.arange(3) + 2, (_a,)),
    "astype": (lambda x: (x.astype(jnp.float32) * 2).astype(jnp.float64), (_a,)),
}


@pytest.mark.parametrize("name", sorted(JNP_CASES))
def test_jnp_compositions_check_grads(name, x64):
    f, args = JNP_CASES[name]
    tol = 2e-3 if name == "astype" else None
    check_grads(f, args, order=2, atol=tol, rtol=tol)


# --------------------------------------------------------------------------
# nesting


def test_grad_of_grad_of_grad_of_sin(x64):
    x = 0.4
    close(jax.grad(jax.grad(jnp.sin))(x), -np.sin(x))
    close(jax.grad(jax.grad(jax.grad(jnp.sin)))(x), -np.cos(x))
    close(jax.grad(jax.grad(jax.grad(jax.grad(jnp.sin))))(x), np.sin(x))


def test_fifth_derivative(x64):
    f = lambda x: x ** 5 + jnp.exp(2 * x)  # noqa: E731
    d = f
    for _ in range(5):
        d = jax.grad(d)
    close(d(0.3), 120 + 32 * np.exp(0.6), tol=1e-8)


def test_jvp_of_grad(x64):
    y, t = jax.jvp(jax.grad(jnp.sin), (0.4,), (1.0,))
    close(y, np.cos(0.4))
    close(t, -np.sin(0.4))


def test_grad_of_jvp(x64):
    g = jax.grad(lambda x: jax.jvp(jnp.sin, (x,), (1.0,))[1])(0.4)
    close(g, -np.sin(0.4))


def test_grad_of_vjp(x64):
    g = jax.grad(lambda x: jax.vjp(jnp.sin, x)[1](1.0)[0])(0.4)
    close(g, -np.sin(0.4))


def test_vjp_of_jvp(x64):
    _, pb = jax.vjp(lambda x: jax.jvp(jnp.sin, (x,), (1.0,))[1], 0.4)
    close(pb(1.0)[0], -np.sin(0.4))


def test_jvp_of_jvp(x64):
    f = lambda x: jax.jvp(jnp.exp, (x,), (1.0,))[1]  # noqa: E731
    _, t = jax.jvp(f, (0.5,), (1.0,))
    close(t, np.exp(0.5))


def test_linearize_of_grad(x64):
    y, f_jvp = jax.linearize(jax.grad(lambda x: x ** 3), 2.0)
    close(y, 12.0)
    close(f_jvp(1.0), 12.0)


def test_hessian_vector_product(x64):
    def f(x):
        return jnp.sum(jnp.sin(x) * x ** 2)

    x = jnp.array([0.1, 0.7, -1.2])
    v = jnp.array([1.0, -2.0, 0.5])
    hvp = jax.jvp(jax.grad(f), (x,), (v,))[1]
    xn = np.asarray(x)
    h = np.diag(2 * np.sin(xn) + 4 * xn * np.cos(xn) - xn ** 2 * np.sin(xn))
    close(hvp, h @ np.asarray(v))
    hvp2 = jax.grad(lambda x: jnp.sum(jax.grad(f)(x) * v))(x)
    close(hvp2, h @ np.asarray(v))


def test_jit_inside_and_outside_grad(x64):
    f = jax.jit(lambda x: jnp.sin(x) * x)
    df = lambda x: jnp.cos(x) * x + jnp.sin(x)  # noqa: E731
    close(jax.grad(f)(0.3), df(0.3))
    close(jax.jit(jax.grad(f))(0.3), df(0.3))
    close(jax.jit(jax.grad(jax.grad(f)))(0.3), jax.grad(df)(0.3))
    close(jax.grad(jax.jit(jax.grad(f)))(0.3), jax.grad(df)(0.3))


# --------------------------------------------------------------------------
# perturbation confusion


def test_perturbation_confusion_siskind_pearlmutter(x64):
    # d/dx [x * d/dy (x + y)]  == 1, not 2
    assert jax.grad(lambda x: x * jax.grad(lambda y: x + y)(1.0))(1.0) == 1.0


def test_perturbation_confusion_jvp(x64):
    def f(x):
        inner = jax.jvp(lambda y: x + y, (1.0,), (1.0,))[1]
        return x * inner

    _, t = jax.jvp(f, (1.0,), (1.0,))
    assert t == 1.0


def test_nested_derivative_closing_over_outer_variable(x64):
    # d/dx [ d/dy (x*y) at y=x ] = d/dx [x] = 1
    g = jax.grad(lambda x: jax.grad(lambda y: x * y)(x))
    assert g(2.0) == 1.0
    assert g(-3.5) == 1.0


def test_perturbation_confusion_with_jit(x64):
    inner = jax.jit(lambda x, y: x + y)
    assert jax.grad(lambda x: x * jax.grad(inner, argnums=1)(x, 1.0))(1.0) == 1.0


def test_nested_grad_of_product(x64):
    # d/dx [ x * d/dy (x * y^2) at y=2 ] = d/dx [ x * 4x ] = 8x
    f = lambda x: x * jax.grad(lambda y: x * y ** 2)(2.0)  # noqa: E731
    close(jax.grad(f)(1.5), 12.0)


# --------------------------------------------------------------------------
# reusing linear maps


def test_linearize_called_many_times_and_jitted(x64):
    def f(x):
        return jnp.sin(x) * jnp.exp(x)

    x = jnp.array([0.1, 0.5, -0.3])
    y, f_jvp = jax.linearize(f, x)
    close(y, f(x))
    d = np.cos(np.asarray(x)) * np.exp(np.asarray(x)) + np.asarray(f(x))
    for k in range(3):
        t = jnp.array([1.0, 2.0, 3.0]) * (k + 1)
        close(f_jvp(t), d * np.asarray(t))
    jf = jax.jit(f_jvp)
    for k in range(3):
        t = jnp.array([1.0, -1.0, 0.5]) * (k + 1)
        close(jf(t), d * np.asarray(t))
    close(jax.jit(f_jvp)(jnp.ones(3)), f_jvp(jnp.ones(3)))


def test_pullback_called_many_times(x64):
    y, pb = jax.vjp(lambda x: jnp.sin(x) * 2.0, jnp.array([0.1, 0.2]))
    for k in range(4):
        close(pb(jnp.ones(2) * k)[0], 2.0 * np.cos([0.1, 0.2]) * k)
    jpb = jax.jit(pb)
    for k in range(3):
        close(jpb(jnp.ones(2) * k)[0], 2.0 * np.cos([0.1, 0.2]) * k)


def test_jit_of_pullback_with_python_control_flow():
    def f(x):
        if x < 3:
            return 2 * x ** 3
        else:
            return jnp.pi * x

    y, f_vjp = jax.vjp(f, 4.0)
    (g,) = jax.jit(f_vjp)(1.0)
    close(g, np.pi)
    y, f_vjp = jax.vjp(f, 2.0)
    (g,) = jax.jit(f_vjp)(1.0)
    close(g, 24.0)


def test_jit_of_linearized_with_python_control_flow():
    def f(x):
        return jnp.sin(x) if x > 0 else jnp.cos(x)

    _, f_jvp = jax.linearize(f, 1.0)
    close(jax.jit(f_jvp)(1.0), np.cos(1.0))


# --------------------------------------------------------------------------
# stop_gradient


def test_stop_gradient(x64):
    f = lambda x: x ** 2 + lax.stop_gradient(x ** 2)  # noqa: E731
    close(f(3.0), 18.0)
    close(jax.grad(f)(3.0), 6.0)
    close(jax.grad(jax.grad(f))(3.0), 2.0)
    _, t = jax.jvp(lambda x: lax.stop_gradient(jnp.sin(x)), (1.0,), (1.0,))
    close(t, 0.0)
    # on pytrees, and on concrete values (the identity)
    out = lax.stop_gradient({"a": jnp.ones(2), "b": 2.0})
    close(out["a"], [1.0, 1.0])
    close(jax.grad(lambda x: jnp.sum(lax.stop_gradient({"a": x})["a"] * x))(jnp.ones(2)),
          [1.0, 1.0])


# --------------------------------------------------------------------------
# long chains and memory


N_CHAIN = 100_000


def test_long_chain_under_grad(x64):
    def f(x):
        for _ in range(N_CHAIN):
            x = jnp.sin(x)
        return x

    t0 = time.perf_counter()
    g = jax.grad(f)(0.5)
    elapsed = time.perf_counter() - t0
    # reference: the product of cos along the orbit
    x, d = 0.5, 1.0
    for _ in range(N_CHAIN):
        d *= np.cos(x)
        x = np.sin(x)
    close(g, d, tol=1e-8)
    assert elapsed < 60, f"a 100k-primitive chain under grad took {elapsed:.1f}s"


def test_long_chain_pullback_memory_freed(x64):
    def f(x):
        for _ in range(N_CHAIN):
            x = jnp.sin(x)
        return jnp.sum(x)

    x = jnp.full((4,), 0.5)
    y, pb = jax.vjp(f, x)
    refs = [weakref.ref(c) for c in pb.consts if isinstance(c, core.Array) and c is not x]
    assert len(refs) >= N_CHAIN // 2, "expected one residual (cos x) per sin"
    (g,) = pb(1.0)
    assert np.all(np.isfinite(np.asarray(g)))
    del pb, y
    gc.collect()
    alive = sum(r() is not None for r in refs)
    assert alive == 0, f"{alive} of {len(refs)} residuals survived dropping the pullback"


def test_long_chain_vjp_and_jvp(x64):
    def f(x):
        for _ in range(N_CHAIN // 4):
            x = x * 1.00001
        return x

    y, pb = jax.vjp(f, 1.0)
    close(pb(1.0)[0], 1.00001 ** (N_CHAIN // 4))
    _, t = jax.jvp(f, (1.0,), (1.0,))
    close(t, 1.00001 ** (N_CHAIN // 4))
    closed = jax.make_jaxpr(f)(1.0)
    assert len(closed.eqns) == N_CHAIN // 4


def _residual_chain(x):
    for _ in range(200):
        x = jnp.sin(x)
    return jnp.sum(x)


def test_pullback_residuals_freed_weakref(x64):
    x = jnp.ones(1000) * 0.5
    y, pb = jax.vjp(_residual_chain, x)
    consts = [c for c in pb.consts if isinstance(c, core.Array) and c is not x]
    assert consts, "expected residuals in the pullback"
    refs = [weakref.ref(c) for c in consts]
    del consts
    g1 = pb(1.0)
    del pb, y
    gc.collect()
    alive = sum(r() is not None for r in refs)
    assert alive == 0, f"{alive} of {len(refs)} residual arrays survived the pullback"
    assert g1[0].shape == (1000,)


def test_pullback_memory_returns_tracemalloc(x64):
    x = jnp.ones(2000) * 0.5
    jax.vjp(_residual_chain, x)  # warm up caches
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        y, pb = jax.vjp(_residual_chain, x)
        held = tracemalloc.get_traced_memory()[0] - base
        # 200 residuals of 2000 float64s
        assert held > 200 * 2000 * 8 * 0.9, f"only {held} bytes held by the pullback?"
        pb(1.0)
        del pb, y
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert after < 0.1 * held, f"{after} of {held} bytes still allocated after dropping the pullback"


def test_linearize_residuals_freed(x64):
    x = jnp.ones(1000) * 0.5
    y, f_jvp = jax.linearize(_residual_chain, x)
    refs = [weakref.ref(c) for c in f_jvp.consts if isinstance(c, core.Array) and c is not x]
    assert refs
    del f_jvp, y
    gc.collect()
    assert all(r() is None for r in refs)


def test_grad_leaves_no_trace_state():
    from cotan._src.core import _state
    jax.grad(jax.grad(jnp.sin))(1.0)
    with pytest.raises(TypeError):
        jax.grad(lambda x: x * jnp.ones(2))(1.0)
    assert _state.stack == []


# --------------------------------------------------------------------------
# threads


def test_threads_take_gradients_concurrently(x64):
    def f(x, k):
        y = x
        for _ in range(20):
            y = jnp.sin(y) * k + jnp.cos(x)
        return jnp.sum(y)

    def work(k):
        x = jnp.linspace(-1.0, 1.0, 5) * k
        outs = []
        for _ in range(10):
            g = jax.grad(f)(x, float(k))
            gg = jax.grad(lambda x: jnp.sum(jax.grad(f)(x, float(k))))(x)
            outs.append((np.asarray(g), np.asarray(gg)))
        return outs

    expected = {k: work(k) for k in range(8)}
    results = {}
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: interleave the traces
    errors = []
    barrier = threading.Barrier(8)

    def run(k):
        try:
            barrier.wait()
            results[k] = work(k)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old_interval)
    assert not errors, errors
    for k in range(8):
        for (g, gg), (eg, egg) in zip(results[k], expected[k]):
            np.testing.assert_array_equal(g, eg)
            np.testing.assert_array_equal(gg, egg)


# --------------------------------------------------------------------------
# make_jaxpr text


def test_make_jaxpr_text_format():
    text = str(jax.make_jaxpr(jnp.sin)(np.float32(1.0)))
    assert text == "{ lambda ; a:f32[]. let\n    b:f32[] = sin a\n  in (b,) }"


def test_make_jaxpr_text_format_multiple_outputs_and_params():
    text = str(jax.make_jaxpr(lambda x: (jnp.sum(x), x * x))(jnp.ones((2, 3))))
    lines = text.split("\n")
    assert lines[0] == "{ lambda ; a:f32[2,3]. let"
    assert lines[1] == "    b:f32[] = reduce_sum[axes=(0, 1)] a"
    assert lines[2] == "    c:f32[2,3] = mul a a"
    assert lines[3] == "  in (b, c) }"


def test_make_jaxpr_text_format_consts_and_literals():
    c = np.arange(3.0, dtype=np.float32)
    text = str(jax.make_jaxpr(lambda x: jnp.sin(x) + c)(jnp.ones(3)))
    assert text.startswith("{ lambda a:f32[3]; b:f32[3]. let\n")
    text = str(jax.make_jaxpr(lambda x: x * 2.0)(np.float32(1.0)))
    assert text == "{ lambda ; a:f32[]. let\n    b:f32[] = mul a 2.0:f32[]\n  in (b,) }"


def test_make_jaxpr_of_grad():
    closed = jax.make_jaxpr(jax.grad(jnp.sin))(np.float32(1.0))
    core.check_jaxpr(closed.jaxpr)
    names = [e.primitive.name for e in closed.eqns]
    assert "cos" in names


# --------------------------------------------------------------------------
# error messages


def test_error_grad_nonscalar_output():
    with pytest.raises(TypeError, match=r"scalar.*\(3,\)|\(3,\).*scalar"):
        jax.grad(lambda x: x * jnp.ones(3))(1.0)


def test_error_grad_pytree_output():
    with pytest.raises(TypeError, match="scalar"):
        jax.grad(lambda x: (x, x))(1.0)


def test_error_grad_int_input():
    with pytest.raises(TypeError, match="allow_int"):
        jax.grad(lambda x: x * 1.0)(1)
    with pytest.raises(TypeError, match="allow_int"):
        jax.grad(lambda x: jnp.sum(x * 1.0))(jnp.arange(3))


def test_error_grad_int_output():
    with pytest.raises(TypeError, match="real-valued outputs|float"):
        jax.grad(lambda x: jnp.floor(x).astype(jnp.int32))(1.5)


def test_error_jvp_tangent_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        jax.jvp(jnp.sin, (1.0,), (jnp.ones(2),))


def test_error_jvp_tangent_dtype_mismatch():
    with pytest.raises(TypeError, match="dtype"):
        jax.jvp(jnp.sin, (np.float32(1.0),), (np.float16(1.0),))
    with pytest.raises(TypeError, match="float0"):
        jax.jvp(lambda n: n * 2, (3,), (1.0,))


def test_error_jvp_structure_mismatch():
    with pytest.raises(TypeError):
        jax.jvp(lambda x, y: x + y, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError):
        jax.jvp(jnp.sin, 1.0, 1.0)


def test_error_vjp_cotangent_mismatch():
    _, pb = jax.vjp(jnp.sin, 1.0)
    with pytest.raises(ValueError, match="shape|type"):
        pb(jnp.ones(2))
    _, pb2 = jax.vjp(lambda x: (x, x), 1.0)
    with pytest.raises(ValueError):
        pb2(1.0)


def test_error_argnums_out_of_range():
    with pytest.raises(TypeError, match="argnums"):
        jax.grad(lambda x: x, argnums=1)(1.0)
    with pytest.raises(TypeError, match="argnums"):
        jax.grad(lambda x, y: x, argnums=(0, 3))(1.0, 2.0)


def test_error_function_returns_string():
    with pytest.raises(TypeError, match="str"):
        jax.grad(lambda x: "hello")(1.0)
    with pytest.raises(TypeError, match="str"):
        jax.jvp(lambda x: "hello", (1.0,), (1.0,))
    with pytest.raises(TypeError, match="str"):
        jax.jit(lambda x: "hello")(1.0)


def test_error_item_assignment_mentions_at():
    x = jnp.ones(3)
    with pytest.raises(TypeError, match=r"\.at\["):
        x[0] = 1.0

    def f(x):
        x[0] = 1.0
        return x

    with pytest.raises(TypeError, match=r"\.at\["):
        jax.grad(lambda x: jnp.sum(f(x)))(jnp.ones(3))
    with pytest.raises(TypeError, match=r"\.at\["):
        jax.jit(f)(jnp.ones(3))


def test_error_bool_of_tracer_under_jit():
    from cotan.errors import TracerBoolConversionError

    def f(x):
        return x if x > 0 else -x

    with pytest.raises(TracerBoolConversionError):
        jax.jit(f)(1.0)
    # under grad alone the value is concrete: Python control flow works
    close(jax.grad(f)(-2.0), -1.0)


def test_error_escaped_tracer():
    from cotan.errors import UnexpectedTracerError
    leaked = []

    def f(x):
        leaked.append(x)
        return x

    jax.jit(f)(1.0)
    with pytest.raises(UnexpectedTracerError):
        jnp.sin(leaked[0])


# --------------------------------------------------------------------------
# check_grads catches wrong rules


def test_check_grads_detects_wrong_jvp(x64):
    from cotan._src.interpreters import ad
    from cotan._src.lax import elementwise as lx
    saved = ad.primitive_jvps[lx.sin_p]
    ad.defjvp(lx.sin_p, lambda g, x: lx.mul(g, lx.sin(x)))  # wrong: should be cos
    try:
        with pytest.raises(AssertionError, match="max abs error"):
            check_grads(jnp.sin, (np.array([0.3, 1.0]),), order=1, modes=("fwd",))
    finally:
        ad.primitive_jvps[lx.sin_p] = saved


def test_check_grads_detects_wrong_transpose(x64):
    from cotan._src.interpreters import ad
    from cotan._src.lax import elementwise as lx
    saved = ad.primitive_transposes[lx.neg_p]
    ad.primitive_transposes[lx.neg_p] = lambda ct, x: [ct]  # wrong sign
    try:
        with pytest.raises(AssertionError, match="J\\^T u"):
            check_grads(lambda x: -x, (np.array([0.3, 1.0]),), order=1, modes=("rev",))
    finally:
        ad.primitive_transposes[lx.neg_p] = saved


def test_check_grads_detects_wrong_second_derivative(x64):
    from cotan._src.interpreters import ad
    from cotan._src.lax import elementwise as lx
    saved = ad.primitive_jvps[lx.cos_p]
    ad.defjvp(lx.cos_p, lambda g, x: lx.mul(g, lx.sin(x)))  # wrong sign
    try:
        check_grads(jnp.sin, (np.array([0.3, 1.0]),), order=1)  # first order is fine
        with pytest.raises(AssertionError):
            check_grads(jnp.sin, (np.array([0.3, 1.0]),), order=2)
    finally:
        ad.primitive_jvps[lx.cos_p] = saved


def test_check_grads_pytrees_and_int_args(x64):
    def f(p, n):
        return {"y": jnp.sin(p["a"]) * p["b"] * n, "z": p["a"] ** 2}

    p = {"a": np.array([0.2, 0.5]), "b": 1.5}
    check_grads(f, (p, np.array([1, 2])), order=2)


def test_check_grads_float32(x64):
    check_grads(jnp.tanh, (np.array([0.2, -0.7], np.float32),), order=2)


def test_check_grads_float32_without_x64():
    check_grads(jnp.tanh, (np.array([0.2, -0.7], np.float32),), order=1)


def test_check_jvp_and_check_vjp_helpers(x64):
    f = lambda x: jnp.exp(x) * x  # noqa: E731
    args = (np.array([0.1, 0.4]),)
    check_jvp(f, lambda p, t: jax.jvp(f, p, t), args)
    check_vjp(f, lambda *a: jax.vjp(f, *a), args)
    bad_vjp = lambda x: (f(x), lambda ct: (ct * 2.0,))  # noqa: E731
    with pytest.raises(AssertionError):
        check_vjp(f, bad_vjp, args)


def test_check_grads_complex(x64):
    check_grads(lambda z: jnp.sin(z) * z, (np.array([0.5 + 0.2j, -1.0 + 1.0j]),), order=2)


# --------------------------------------------------------------------------
# needs indexing (lax/indexing.py, being written separately)


def test_indexing_grad(x64):
    g = jax.grad(lambda x: x[0] * x[2] + x[1:].sum())(jnp.array([1.0, 2.0, 3.0]))
    close(g, [3.0, 1.0, 2.0])


def test_indexing_second_order(x64):
    f = lambda x: jnp.sin(x[1]) * x[0] ** 2  # noqa: E731
    x = np.array([0.3, 0.8])
    check_grads(f, (x,), order=2)


def test_at_set_grad(x64):
    def f(x):
        y = x.at[0].set(5.0)
        return jnp.sum(y * x)

    close(jax.grad(f)(jnp.array([1.0, 2.0, 3.0])), [5.0, 4.0, 6.0])


def test_indexing_under_jit_of_pullback(x64):
    def f(x):
        return x[1] ** 2

    _, pb = jax.vjp(f, jnp.array([1.0, 3.0]))
    close(jax.jit(pb)(1.0)[0], [0.0, 6.0])
