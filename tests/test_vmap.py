"""vmap's API: in_axes/out_axes (ints, negative, None, pytree prefixes),
keyword arguments, axis_size, composition with the other transformations,
and the errors users see."""
import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan import lax


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol, atol=tol)


rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3)).astype(np.float32)
Y = rng.standard_normal((4, 3)).astype(np.float32)


def loop(f, *args, in_axes=0, out_axes=0):
    n = None
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    for a, ax in zip(args, axes):
        if ax is not None:
            n = np.shape(a)[ax]
    outs = []
    for i in range(n):
        sl = [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes)]
        outs.append(np.asarray(f(*sl)))
    return np.stack(outs, axis=out_axes)


_CASES = [
    (0, X, Y),
    (1, X.T.copy(), Y.T.copy()),
    (-1, X.T.copy(), Y.T.copy()),
    ((0, None), X, Y[0]),
    ((None, 1), X[0], Y.T.copy()),
    ((1, 0), X.T.copy(), Y),
]


@pytest.mark.parametrize("in_axes,xa,ya", _CASES, ids=[str(c[0]) for c in _CASES])
def test_in_axes_variants(in_axes, xa, ya):
    f = lambda x, y: jnp.sin(x) * y + x.sum()
    out = jax.vmap(f, in_axes=in_axes)(xa, ya)
    close(out, loop(f, xa, ya, in_axes=in_axes))


@pytest.mark.parametrize("out_axes", [0, 1, -1])
def test_out_axes(out_axes):
    f = lambda x: jnp.stack([x, 2 * x])
    out = jax.vmap(f, out_axes=out_axes)(X)
    close(out, loop(f, X, out_axes=out_axes))


def test_pytree_in_axes_dicts_and_nested_tuples():
    def f(p, xs):
        return p["w"] * xs[0] + p["b"] + xs[1]
    p = {"w": jnp.ones(3) * 2, "b": jnp.arange(4.0)}
    xs = (jnp.asarray(X), jnp.asarray(Y))
    out = jax.vmap(f, in_axes=({"w": None, "b": 0}, (0, 0)))(p, xs)
    expect = 2 * X + np.arange(4.0)[:, None] + Y
    close(out, expect)
    # a prefix: one entry for the whole dict
    out2 = jax.vmap(lambda p, x: p["w"] * x, in_axes=(None, 0))({"w": jnp.ones(3)}, X)
    close(out2, X)


def test_pytree_out_axes_and_outputs():
    f = lambda x: {"a": x.sum(), "b": (x, x * 2)}
    out = jax.vmap(f, out_axes={"a": 0, "b": (1, 0)})(X)
    close(out["a"], X.sum(1))
    close(out["b"][0], X.T)
    close(out["b"][1], 2 * X)
    out = jax.vmap(lambda x: (x, 1.0), out_axes=(0, None))(X)
    assert float(out[1]) == 1.0


def test_kwargs_are_batched_along_axis_0():
    f = lambda x, *, scale: x * scale
    out = jax.vmap(f)(X, scale=jnp.arange(4.0)[:, None] * jnp.ones((4, 3)))
    close(out, X * np.arange(4.0)[:, None])


def test_axis_size_for_no_batched_input():
    out = jax.vmap(lambda: jnp.ones(2), axis_size=3)()
    assert out.shape == (3, 2)
    out = jax.vmap(lambda x: x + 1.0, in_axes=None, axis_size=5)(jnp.ones(2))
    assert out.shape == (5, 2)


def test_unbatched_values_stay_unbatched():
    txt = str(jax.make_jaxpr(jax.vmap(lambda x, w: jnp.dot(w, w) + x, in_axes=(0, None)))(X[:, 0], jnp.ones(3)))
    # the dot of the unbatched w is computed once, on the unbatched shape
    assert "f32[3] b" in txt.replace(" ", " ") or "dot_general" in txt
    assert "f32[4,3]" not in txt.split("dot_general")[0]


def test_nested_vmap_and_vmap_of_function_that_vmaps():
    f = lambda x: jnp.sin(x) * 2
    out = jax.vmap(jax.vmap(f))(X)
    close(out, np.sin(X) * 2)
    g = lambda m: jax.vmap(lambda row: row.sum())(m)
    Z = np.stack([X, Y])
    close(jax.vmap(g)(Z), Z.sum(-1))
    # the inner vmap maps axis 0 of each (3,)-row; the outer maps axis 1 of X
    close(jax.vmap(jax.vmap(f), in_axes=1)(X), (np.sin(X) * 2).T)


def test_composition_with_grad_jvp_vjp_jit():
    f = lambda w, x: jnp.tanh(jnp.dot(x, w)).sum()
    w = jnp.ones(3) * 0.1
    per_example = jax.vmap(jax.grad(f), in_axes=(None, 0))(w, X)
    loop_g = np.stack([np.asarray(jax.grad(f)(w, x)) for x in X])
    close(per_example, loop_g, 1e-5)
    # grad of vmap
    g = jax.grad(lambda w: jax.vmap(f, in_axes=(None, 0))(w, X).sum())(w)
    close(g, loop_g.sum(0), 1e-5)
    # vmap of a pullback (the seeds' matrix-Jacobian product)
    y, pb = jax.vjp(lambda x: jnp.sin(x) * 2, jnp.asarray(X[0]))
    M = jnp.asarray(Y[:, :3])
    (out,) = jax.vmap(pb)(M)
    close(out, np.stack([np.asarray(pb(m)[0]) for m in M]), 1e-6)
    # vmap of jvp
    out = jax.vmap(lambda t: jax.jvp(jnp.sin, (jnp.asarray(X[0]),), (t,))[1])(M)
    close(out, np.cos(X[0]) * np.asarray(M), 1e-6)
    # jit of vmap and vmap of jit
    close(jax.jit(jax.vmap(jnp.sin))(X), np.sin(X))
    close(jax.vmap(jax.jit(jnp.sin))(X), np.sin(X))


def test_vmap_make_jaxpr_has_no_python_loop():
    W = jnp.ones((3, 5))
    closed = jax.make_jaxpr(jax.vmap(lambda x: jnp.dot(x, W)))(X)
    assert [e.primitive.name for e in closed.eqns].count("dot_general") == 1


def test_error_inconsistent_sizes():
    with pytest.raises(ValueError, match="inconsistent sizes") as e:
        jax.vmap(lambda x, y: x + y)(jnp.ones(3), jnp.ones(4))
    assert "size 3" in str(e.value) and "size 4" in str(e.value)


def test_error_in_axes_structure():
    with pytest.raises(ValueError, match="in_axes"):
        jax.vmap(lambda x, y: x + y, in_axes=(0, 0, 0))(jnp.ones(3), jnp.ones(3))
    with pytest.raises(ValueError, match="tree prefix"):
        jax.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": jnp.ones(3)})
    with pytest.raises(TypeError, match="tuple"):
        jax.vmap(lambda x: x, in_axes=[0])(jnp.ones(3))


def test_error_axis_out_of_range():
    with pytest.raises(ValueError, match="axis 2"):
        jax.vmap(lambda x: x, in_axes=2)(jnp.ones((3,)))
    with pytest.raises(ValueError, match="out of bounds"):
        jax.vmap(lambda x: x, out_axes=3)(jnp.ones((3,)))


def test_error_out_axes_none_for_batched_output():
    with pytest.raises(ValueError, match="out_axes is None"):
        jax.vmap(lambda x: x * 2, out_axes=None)(jnp.ones(3))


def test_error_no_batched_input():
    with pytest.raises(ValueError, match="at least one non-None"):
        jax.vmap(lambda x: x, in_axes=None)(jnp.ones(3))


def test_per_example_gradients_example():
    def loss(w, x, y):
        return (jnp.dot(x, w) - y) ** 2
    w = jnp.asarray([0.5, -0.2, 0.1])
    ys = jnp.arange(4.0)
    g = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(w, X, ys)
    expect = 2 * (X @ np.asarray(w) - np.arange(4.0))[:, None] * X
    close(g, expect, 1e-5)


def test_lax_primitive_directly():
    out = jax.vmap(lambda x: lax.reduce_sum(x, (0,)))(X)
    close(out, X.sum(1))
