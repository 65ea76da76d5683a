import functools

import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan.flatten_util import ravel_pytree


@jax.custom_jvp
def log1pexp(x):
    return jnp.log(1. + jnp.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    x, = primals
    x_dot, = tangents
    ans = log1pexp(x)
    return ans, x_dot * (1. - 1. / (1. + jnp.exp(x)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_log1pexp_stable_grad():
    assert float(jax.grad(log1pexp)(100.)) == 1.0
    assert np.isfinite(float(jax.jit(jax.grad(log1pexp))(100.)))
    np.testing.assert_allclose(jax.grad(log1pexp)(0.), 0.5, rtol=1e-6)
    y = jax.vmap(jax.grad(log1pexp))(jnp.array([0., 2., 100.]))
    np.testing.assert_allclose(y, [0.5, 1 - 1 / (1 + np.exp(2.)), 1.0], rtol=1e-6)
    np.testing.assert_allclose(log1pexp(3.), np.log1p(np.exp(3.)), rtol=1e-6)
    np.testing.assert_allclose(jax.jit(log1pexp)(3.), np.log1p(np.exp(3.)), rtol=1e-6)
    p, t = jax.jvp(log1pexp, (3.,), (2.,))
    np.testing.assert_allclose(t, 2 * (1 - 1 / (1 + np.exp(3.))), rtol=1e-6)


@jax.custom_jvp
def f_cubic(x):
    return jnp.sin(x)


@f_cubic.defjvp
def _f_cubic_jvp(primals, tangents):
    x, = primals
    t, = tangents
    # deliberately not sin's derivative: the rule is what counts
    return f_cubic(x), 3 * x ** 2 * t


def test_custom_jvp_higher_order():
    x = 1.5
    np.testing.assert_allclose(jax.grad(f_cubic)(x), 3 * x ** 2, rtol=1e-6)
    # the rule is differentiated for second order
    np.testing.assert_allclose(jax.grad(jax.grad(f_cubic))(x), 6 * x, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(jax.grad(jax.grad(f_cubic)))(x), 6 * x, rtol=1e-6)
    np.testing.assert_allclose(jax.hessian(f_cubic)(x), 6 * x, rtol=1e-6)
    np.testing.assert_allclose(jax.jacfwd(jax.grad(f_cubic))(x), 6 * x, rtol=1e-6)


def test_defjvps():
    @jax.custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    f.defjvps(lambda x_dot, primal_out, x, y: 2. * x_dot * y,
              lambda y_dot, primal_out, x, y: 5. * y_dot)
    gx, gy = jax.grad(f, argnums=(0, 1))(1., 2.)
    np.testing.assert_allclose([gx, gy], [4., 5.], rtol=1e-6)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def app(f, x):
    return f(x)


@app.defjvp
def _app_jvp(f, primals, tangents):
    x, = primals
    x_dot, = tangents
    return f(x), 2. * x_dot


def test_nondiff_argnums_function():
    assert float(app(lambda x: x ** 3, 3.)) == 27.
    assert float(jax.grad(app, argnums=1)(lambda x: x ** 3, 3.)) == 2.
    assert float(jax.jit(jax.grad(lambda x: app(jnp.sin, x)))(1.)) == 2.
    np.testing.assert_allclose(jax.vmap(jax.grad(lambda x: app(jnp.sin, x)))(jnp.ones(3)),
                               2. * np.ones(3))


def test_custom_jvp_kwargs_and_pytrees():
    @jax.custom_jvp
    def f(d):
        return {"s": d["a"] * d["b"]}

    @f.defjvp
    def f_jvp(primals, tangents):
        d, = primals
        t, = tangents
        return f(d), {"s": 10. * t["a"] + 20. * t["b"]}

    g = jax.grad(lambda d: f(d)["s"])({"a": 1., "b": 2.})
    np.testing.assert_allclose([g["a"], g["b"]], [10., 20.])


def test_custom_jvp_closure_over_tracer():
    def outer(c, x):
        @jax.custom_jvp
        def f(x):
            return c * jnp.sin(x)

        @f.defjvp
        def f_jvp(p, t):
            return f(p[0]), c * 7. * t[0]

        return f(x)

    np.testing.assert_allclose(jax.grad(outer, argnums=1)(2., 1.), 14.)
    np.testing.assert_allclose(jax.jit(jax.grad(outer, argnums=1))(2., 1.), 14.)
    np.testing.assert_allclose(jax.vmap(jax.grad(outer, argnums=1))(jnp.array([1., 2.]),
                                                                     jnp.ones(2)), [7., 14.])
    # derivative w.r.t. the closed-over value goes through the function
    np.testing.assert_allclose(jax.grad(outer, argnums=0)(2., 1.), np.sin(1.), rtol=1e-6)


def test_custom_jvp_vmap():
    x = jnp.array([[0., 1.], [2., 100.]])
    np.testing.assert_allclose(jax.vmap(log1pexp)(x[:, :1]),
                               np.log1p(np.exp(np.asarray(x[:, :1], np.float64))), rtol=1e-5)
    g = jax.grad(lambda x: jnp.sum(jax.vmap(log1pexp)(x)))(x)
    assert np.all(np.isfinite(g)) and float(g[1, 1]) == 1.0


# ----------------------------------------------------------------- custom_vjp

@jax.custom_vjp
def clip_gradient(lo, hi, x):
    return x


def _clip_fwd(lo, hi, x):
    return x, (lo, hi)


def _clip_bwd(res, g):
    lo, hi = res
    return (None, None, jnp.clip(g, lo, hi))


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def test_clip_gradient():
    t = lambda x: jnp.sin(clip_gradient(-0.75, 0.75, x))  # noqa: E731
    for x in [0.1, 1.0, 3.0]:
        np.testing.assert_allclose(jax.grad(t)(x), np.clip(np.cos(x), -0.75, 0.75), rtol=1e-6)
        np.testing.assert_allclose(jax.jit(jax.grad(t))(x), np.clip(np.cos(x), -0.75, 0.75),
                                   rtol=1e-6)
    xs = jnp.array([0.1, 1.0, 3.0])
    np.testing.assert_allclose(jax.vmap(jax.grad(t))(xs), np.clip(np.cos(xs), -0.75, 0.75),
                               rtol=1e-6)
    np.testing.assert_allclose(jax.grad(lambda xs: jnp.sum(jax.vmap(t)(xs)))(xs),
                               np.clip(np.cos(xs), -0.75, 0.75), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(lambda xs: jnp.sum(jax.jit(jax.vmap(t))(xs)))(xs),
                               np.clip(np.cos(xs), -0.75, 0.75), rtol=1e-6)


@jax.custom_vjp
def fv(x, y):
    return jnp.sin(x) * y


def _fv_fwd(x, y):
    return fv(x, y), {"c": jnp.cos(x), "s": jnp.sin(x), "y": y}


def _fv_bwd(res, g):
    return (res["c"] * g * res["y"] * 2., res["s"] * g)


fv.defvjp(_fv_fwd, _fv_bwd)


def test_custom_vjp_pytree_residuals_vmap_jit():
    x, y = 0.3, 4.
    gx, gy = jax.grad(fv, argnums=(0, 1))(x, y)
    np.testing.assert_allclose([gx, gy], [2 * np.cos(x) * y, np.sin(x)], rtol=1e-6)
    gx, gy = jax.jit(jax.grad(fv, argnums=(0, 1)))(x, y)
    np.testing.assert_allclose([gx, gy], [2 * np.cos(x) * y, np.sin(x)], rtol=1e-6)
    xs = jnp.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(jax.vmap(fv, (0, None))(xs, y), np.sin(xs) * y, rtol=1e-6)
    # unbatched y: its cotangent is summed over the batch
    gx, gy = jax.grad(lambda xs, y: jnp.sum(jax.vmap(fv, (0, None))(xs, y)), argnums=(0, 1))(xs, y)
    np.testing.assert_allclose(gx, 2 * np.cos(xs) * y, rtol=1e-6)
    np.testing.assert_allclose(gy, np.sum(np.sin(xs)), rtol=1e-6)
    gx = jax.vmap(jax.grad(fv), (0, None))(xs, y)
    np.testing.assert_allclose(gx, 2 * np.cos(xs) * y, rtol=1e-6)
    # second order: differentiates fwd/bwd
    h = jax.grad(jax.grad(fv))(x, y)
    np.testing.assert_allclose(h, -2 * np.sin(x) * y, rtol=1e-6)
    # eager call, jit call
    np.testing.assert_allclose(fv(x, y), np.sin(x) * y, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(fv)(x, y), np.sin(x) * y, rtol=1e-6)
    jac = jax.jacrev(lambda v: jax.vmap(fv, (0, None))(v, y))(xs)
    np.testing.assert_allclose(jac, np.diag(2 * np.cos(xs) * y), rtol=1e-6)


def test_custom_vjp_jvp_raises():
    with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff \(jvp\) to a "
                                        r"custom_vjp function."):
        jax.jvp(fv, (0.3, 4.), (1., 0.))


def test_custom_vjp_nondiff_argnums():
    @functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
    def f(scale, x):
        return x * scale

    def f_fwd(scale, x):
        return f(scale, x), None

    def f_bwd(scale, res, g):
        return (g * scale * 10.,)

    f.defvjp(f_fwd, f_bwd)
    np.testing.assert_allclose(jax.grad(f, argnums=1)(2., 3.), 20.)
    np.testing.assert_allclose(jax.jit(jax.grad(lambda x: f(2., x)))(3.), 20.)


def test_closure_convert_with_custom_vjp():
    def outer(c, x):
        fn = lambda x: jnp.sin(c * x)  # noqa: E731
        conv, consts = jax.closure_convert(fn, x)

        @jax.custom_vjp
        def g(x, *cs):
            return conv(x, *cs)

        def g_fwd(x, *cs):
            return g(x, *cs), (x, cs)

        def g_bwd(res, ct):
            x, cs = res
            _, vjp = jax.vjp(conv, x, *cs)
            return vjp(ct)

        g.defvjp(g_fwd, g_bwd)
        return g(x, *consts)

    c, x = 2., 0.5
    np.testing.assert_allclose(jax.grad(outer, argnums=1)(c, x), c * np.cos(c * x), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(outer, argnums=0)(c, x), x * np.cos(c * x), rtol=1e-6)


def test_error_cases():
    @jax.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, None), lambda res, g: (g,))
    with pytest.raises(TypeError, match="bwd rule"):
        jax.grad(f)(1., 2.)

    @jax.custom_vjp
    def f2(x):
        return x * 2

    f2.defvjp(lambda x: ((x * 2, x), None), lambda res, g: (g,))
    with pytest.raises(TypeError, match="fwd rule"):
        jax.grad(f2)(1.)

    @jax.custom_vjp
    def f3(d):
        return d["a"] * 2

    f3.defvjp(lambda d: (d["a"] * 2, None), lambda res, g: ([g],))
    with pytest.raises(TypeError, match="container"):
        jax.grad(f3)({"a": 1.})

    @jax.custom_vjp
    def f4(x):
        return x * 2

    f4.defvjp(lambda x: (x * 2, None), lambda res, g: (jnp.ones(3),))
    with pytest.raises(ValueError, match="shape"):
        jax.grad(f4)(1.)

    with pytest.raises(TypeError, match="not hashable"):
        app(jnp.ones(3), 1.)

    @jax.custom_jvp
    def h(x):
        return x

    h.defjvp(lambda p, t: (p[0], (t[0], t[0])))
    with pytest.raises(TypeError, match="equal container"):
        jax.grad(h)(1.)

    @jax.custom_jvp
    def nojvp(x):
        return x

    with pytest.raises(AttributeError):
        nojvp(1.)


# ------------------------------------------------------------- pure_callback

def _np_sin(x):
    return np.sin(x).astype(x.dtype)


@jax.custom_jvp
def cb_sin(x):
    return jax.pure_callback(_np_sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x,
                             vmap_method="sequential")


@cb_sin.defjvp
def _cb_sin_jvp(p, t):
    x, = p
    return cb_sin(x), jnp.cos(x) * t[0]


def test_pure_callback():
    x = jnp.array([0.1, 0.5, 1.0])
    np.testing.assert_allclose(cb_sin(x), np.sin(x), rtol=1e-6)
    np.testing.assert_allclose(jax.jit(cb_sin)(x), np.sin(x), rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(cb_sin)(x), np.sin(x), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(lambda x: jnp.sum(cb_sin(x)))(x), np.cos(x), rtol=1e-6)
    np.testing.assert_allclose(jax.jit(jax.grad(lambda x: jnp.sum(cb_sin(x))))(x), np.cos(x),
                               rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(jax.grad(lambda x: cb_sin(x)))(x), np.cos(x), rtol=1e-6)
    calls = []

    def cb(x):
        calls.append(x.shape)
        return (x * 2).astype(x.dtype)

    y = jax.vmap(lambda x: jax.pure_callback(cb, jax.ShapeDtypeStruct((), jnp.float32), x,
                                             vmap_method="expand_dims"))(x)
    np.testing.assert_allclose(y, 2 * np.asarray(x))
    assert calls == [(3,)]
    with pytest.raises(ValueError, match="Pure callbacks do not support JVP"):
        jax.grad(lambda x: jax.pure_callback(cb, jax.ShapeDtypeStruct((), jnp.float32), x))(1.)
    with pytest.raises(NotImplementedError):
        jax.vmap(lambda x: jax.pure_callback(cb, jax.ShapeDtypeStruct((), jnp.float32), x))(x)


# ------------------------------------------------------------ eval_shape etc

def test_eval_shape():
    out = jax.eval_shape(lambda x, y: {"a": x @ y, "b": jnp.sum(x)},
                         jax.ShapeDtypeStruct((2, 3), jnp.float32), jnp.ones((3, 4)))
    assert out["a"].shape == (2, 4) and out["a"].dtype == np.float32
    assert out["b"].shape == () and isinstance(out["b"], jax.ShapeDtypeStruct)


def test_ravel_pytree():
    tree = {"a": jnp.arange(6.).reshape(2, 3), "b": (jnp.ones(2), jnp.array(3.))}
    flat, unravel = ravel_pytree(tree)
    assert flat.shape == (9,)
    back = unravel(flat)
    np.testing.assert_array_equal(back["a"], tree["a"])
    np.testing.assert_array_equal(back["b"][1], tree["b"][1])
    g = jax.grad(lambda t: jnp.sum(ravel_pytree(t)[0] ** 2))(tree)
    np.testing.assert_allclose(g["a"], 2 * np.asarray(tree["a"]))
    g2 = jax.grad(lambda v: unravel(v)["b"][1] * 3.)(flat)
    assert float(g2[-1]) == 3.0 and float(jnp.sum(g2)) == 3.0
    with pytest.raises(ValueError):
        unravel(jnp.ones(4))


def test_symbolic_zero_tangents():
    import cotan as jax
    from cotan.custom_derivatives import SymbolicZero
    seen = []

    @jax.custom_jvp
    def f(x, y):
        return x * y

    def f_jvp(p, t):
        x, y = p
        tx, ty = t
        seen.append((isinstance(tx, SymbolicZero), isinstance(ty, SymbolicZero)))
        out = f(x, y)
        if isinstance(ty, SymbolicZero):
            return out, tx * y            # no work for the zero tangent
        tx = tx.instantiate() if isinstance(tx, SymbolicZero) else tx
        return out, tx * y + x * ty

    f.defjvp(f_jvp, symbolic_zeros=True)
    assert float(jax.grad(f)(2., 3.)) == 3.0
    assert seen[-1] == (False, True)
    assert float(jax.grad(f, 1)(2., 3.)) == 2.0
    assert seen[-1] == (True, False)
    # a rule may return a symbolic zero for an output tangent
    @jax.custom_jvp
    def g(x):
        return x * 2.0

    g.defjvp(lambda p, t: (g(*p), SymbolicZero(jax.ShapeDtypeStruct((), np.float32))),
             symbolic_zeros=True)
    assert float(jax.grad(g)(1.0)) == 0.0
