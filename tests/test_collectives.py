"""Collectives over named vmap axes (lax.psum, pmean, pmax, pmin, all_gather,
psum_scatter, ppermute, axis_index): values against NumPy, in_axes/out_axes
variants, nested names, jit inside vmap, derivatives (finite differences and
JAX's per-member semantics) and the unbound-name error."""
import numpy as np
import pytest

import cotan
import cotan as jax
import cotan.numpy as jnp
from cotan import lax
from cotan.test_util import check_grads


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=tol, atol=tol)


rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3)).astype(np.float32)      # 4 members, per-member shape (3,)
X3 = rng.standard_normal((3, 2, 5)).astype(np.float32)  # 3 members, per-member shape (2, 5)


def bcast(r, n):
    """A per-member result every member shares, stacked as vmap returns it."""
    return np.broadcast_to(r, (n,) + np.shape(r))


@pytest.fixture
def x64():
    old = cotan.config.jax_enable_x64
    cotan.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        cotan.config.update("jax_enable_x64", old)


# --------------------------------------------------------------------------
# values


def test_psum_value():
    out = jax.vmap(lambda x: lax.psum(x, "i"), axis_name="i")(X)
    close(out, bcast(X.sum(0), 4))
    assert out.shape == (4, 3) and out.dtype == np.float32


def test_psum_out_axes_none_is_unbatched():
    out = jax.vmap(lambda x: lax.psum(x, "i"), axis_name="i", out_axes=None)(X)
    close(out, X.sum(0))


def test_pmean_pmax_pmin_values():
    f = jax.vmap(lambda x: (lax.pmean(x, "i"), lax.pmax(x, "i"), lax.pmin(x, "i")),
                 axis_name="i")
    m, hi, lo = f(X)
    close(m, bcast(X.mean(0), 4))
    close(hi, bcast(X.max(0), 4))
    close(lo, bcast(X.min(0), 4))


def test_pytree_operands():
    tree = {"a": X, "b": (X3[0, :, :4].T, X[:, 0])}
    out = jax.vmap(lambda t: lax.psum(t, "i"), axis_name="i")(tree)
    close(out["a"], bcast(X.sum(0), 4))
    close(out["b"][0], bcast(X3[0, :, :4].T.sum(0), 4))
    close(out["b"][1], bcast(X[:, 0].sum(0), 4))


def test_dtypes():
    i = np.arange(5, dtype=np.int32)
    out = jax.vmap(lambda x: lax.psum(x, "i"), axis_name="i")(i)
    assert out.dtype == np.int32 and np.all(np.asarray(out) == 10)
    # booleans are summed as int32; pmean of integers is a float
    b = np.array([True, False, True])
    out = jax.vmap(lambda x: lax.psum(x, "i"), axis_name="i")(b)
    assert out.dtype == np.int32 and np.all(np.asarray(out) == 2)
    out = jax.vmap(lambda x: lax.pmean(x, "i"), axis_name="i")(i)
    assert out.dtype == np.float32
    close(out, np.full(5, 2.0))
    out = jax.vmap(lambda x: lax.pmax(x, "i"), axis_name="i")(i)
    assert out.dtype == np.int32 and np.all(np.asarray(out) == 4)
    out = jax.vmap(lambda x: lax.pmax(x, "i"), axis_name="i")(b)
    assert out.dtype == np.bool_ and np.all(np.asarray(out))
    c = np.array([1 + 2j, 3j], np.complex64)
    close(jax.vmap(lambda x: lax.psum(x, "i"), axis_name="i")(c).real, [1, 1])


def test_unbatched_operand():
    # a value the same in every member: psum multiplies by the axis size,
    # pmean/pmax leave it, all_gather stacks copies
    f = jax.vmap(lambda x, y: (lax.psum(y, "i"), lax.pmean(y, "i"), lax.pmax(y, "i"),
                               lax.all_gather(y, "i"), lax.psum(2.0, "i")),
                 in_axes=(0, None), axis_name="i")
    y = np.float32(1.5)
    s, m, hi, g, c = f(X, y)
    close(s, np.full(4, 6.0))
    close(m, np.full(4, 1.5))
    close(hi, np.full(4, 1.5))
    close(g, np.full((4, 4), 1.5))
    close(c, np.full(4, 8.0))


def test_psum_of_constant_is_axis_size():
    out = jax.vmap(lambda x: lax.psum(1, "i"), axis_name="i")(X)
    assert np.all(np.asarray(out) == 4)
    assert jax.vmap(lambda x: lax.axis_size("i") * x, axis_name="i")(X).shape == (4, 3)
    close(jax.vmap(lambda x: lax.axis_size("i") * x, axis_name="i")(X), 4 * X)


@pytest.mark.parametrize("in_axes", [1, -1])
def test_in_axes(in_axes):
    out = jax.vmap(lambda x: lax.psum(x, "i") - x, in_axes=in_axes, axis_name="i")(X.T.copy())
    close(out, X.sum(0)[None] - X)


def test_in_axes_out_axes_mixed():
    f = jax.vmap(lambda x, y: lax.pmean(x * y, "i"), in_axes=(1, None), out_axes=1,
                 axis_name="i")
    y = X[0]
    out = f(X.T.copy(), y)
    close(out, np.broadcast_to((X * y).mean(0)[:, None], (3, 4)))


def test_batched_dim_not_leading():
    # per-member values of shape (2, 5) batched along axis 1 of the input
    xin = np.moveaxis(X3, 0, 1).copy()
    out = jax.vmap(lambda x: lax.pmax(x, "i"), in_axes=1, axis_name="i")(xin)
    close(out, bcast(X3.max(0), 3))


def test_axis_index():
    out = jax.vmap(lambda x: lax.axis_index("i"), axis_name="i")(X)
    assert out.dtype == np.int32
    assert np.asarray(out).tolist() == [0, 1, 2, 3]
    out = jax.vmap(lambda x: x * lax.axis_index("i"), axis_name="i")(X)
    close(out, X * np.arange(4)[:, None])


def test_axis_index_without_batched_inputs():
    out = jax.vmap(lambda: lax.axis_index("i"), axis_size=5, axis_name="i")()
    assert np.asarray(out).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_all_gather(axis):
    out = jax.vmap(lambda x: lax.all_gather(x, "i", axis=axis), axis_name="i")(X3)
    ref = np.stack(list(X3), axis=axis % 3)
    close(out, bcast(ref, 3))


@pytest.mark.parametrize("axis", [0, 1])
def test_all_gather_tiled(axis):
    out = jax.vmap(lambda x: lax.all_gather(x, "i", axis=axis, tiled=True), axis_name="i")(X3)
    ref = np.concatenate(list(X3), axis=axis)
    close(out, bcast(ref, 3))


def test_all_gather_in_axes():
    out = jax.vmap(lambda x: lax.all_gather(x, "i"), in_axes=1, axis_name="i")(X)
    close(out, bcast(X.T, 3))


def test_psum_scatter():
    x = rng.standard_normal((3, 3, 2)).astype(np.float32)
    out = jax.vmap(lambda v: lax.psum_scatter(v, "i"), axis_name="i")(x)
    close(out, x.sum(0))
    out = jax.vmap(lambda v: lax.psum_scatter(v, "i", scatter_dimension=1), axis_name="i")(
        np.moveaxis(x, 1, 2).copy())
    close(out, x.sum(0))


def test_psum_scatter_tiled():
    x = rng.standard_normal((3, 2, 6)).astype(np.float32)
    out = jax.vmap(lambda v: lax.psum_scatter(v, "i", scatter_dimension=1, tiled=True),
                   axis_name="i")(x)
    s = x.sum(0)
    close(out, np.stack([s[:, 2 * j:2 * j + 2] for j in range(3)]))


def test_psum_scatter_unbatched():
    y = np.arange(4.0, dtype=np.float32)
    out = jax.vmap(lambda x, v: lax.psum_scatter(v, "i"), in_axes=(0, None), axis_name="i")(X, y)
    close(out, 4 * y)


def test_psum_scatter_shape_error():
    with pytest.raises(ValueError, match="axis size"):
        jax.vmap(lambda v: lax.psum_scatter(v, "i"), axis_name="i")(X)


def test_ppermute():
    perm = [(0, 1), (1, 2), (2, 3), (3, 0)]
    out = jax.vmap(lambda x: lax.ppermute(x, "i", perm), axis_name="i")(X)
    close(out, np.roll(X, 1, axis=0))
    # members that receive nothing get zeros
    out = jax.vmap(lambda x: lax.ppermute(x, "i", [(0, 2)]), axis_name="i")(X)
    ref = np.zeros_like(X)
    ref[2] = X[0]
    close(out, ref)


# --------------------------------------------------------------------------
# nested names


XN = rng.standard_normal((2, 3, 4)).astype(np.float32)   # i: 2, j: 3, per member (4,)


def nested(f):
    return jax.vmap(jax.vmap(f, axis_name="j"), axis_name="i")


def test_nested_psum():
    close(nested(lambda x: lax.psum(x, "i"))(XN), np.broadcast_to(XN.sum(0), XN.shape))
    close(nested(lambda x: lax.psum(x, "j"))(XN),
          np.broadcast_to(XN.sum(1, keepdims=True), XN.shape))
    close(nested(lambda x: lax.psum(x, ("i", "j")))(XN),
          np.broadcast_to(XN.sum((0, 1)), XN.shape))
    close(nested(lambda x: lax.psum(x, ("j", "i")))(XN),
          np.broadcast_to(XN.sum((0, 1)), XN.shape))


def test_nested_other_collectives():
    close(nested(lambda x: lax.pmean(x, ("i", "j")))(XN),
          np.broadcast_to(XN.mean((0, 1)), XN.shape))
    close(nested(lambda x: lax.pmax(x, "i"))(XN), np.broadcast_to(XN.max(0), XN.shape))
    close(nested(lambda x: lax.pmin(x, "j"))(XN),
          np.broadcast_to(XN.min(1, keepdims=True), XN.shape))
    g = nested(lambda x: lax.all_gather(x, "i"))(XN)
    assert g.shape == (2, 3, 2, 4)
    close(g, np.broadcast_to(XN.transpose(1, 0, 2)[None], (2, 3, 2, 4)))
    g = nested(lambda x: lax.all_gather(x, "j"))(XN)
    close(g, np.broadcast_to(XN[:, None], (2, 3, 3, 4)))
    g = nested(lambda x: lax.all_gather(x, ("i", "j")))(XN)
    close(g, np.broadcast_to(XN.reshape(6, 4), (2, 3, 6, 4)))


def test_nested_axis_index():
    f = nested(lambda x: (lax.axis_index("i"), lax.axis_index("j"), lax.axis_index(("i", "j"))))
    i, j, ij = f(XN)
    assert np.asarray(i).tolist() == [[0, 0, 0], [1, 1, 1]]
    assert np.asarray(j).tolist() == [[0, 1, 2], [0, 1, 2]]
    assert np.asarray(ij).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_nested_partially_batched():
    # x batched only along i; psum over j multiplies by 3, over (i, j) both
    f = jax.vmap(jax.vmap(lambda x, k: lax.psum(x, ("i", "j")) + 0 * k, in_axes=(None, 0),
                          axis_name="j"), axis_name="i", in_axes=(0, None))
    out = f(X[:2], np.zeros(3, np.float32))
    close(out, np.broadcast_to(3 * X[:2].sum(0), (2, 3, 3)))
    # x batched only along j
    g = jax.vmap(jax.vmap(lambda x: lax.psum(x, "i"), axis_name="j"), in_axes=None,
                 axis_size=2, axis_name="i")
    close(g(X[:3]), np.broadcast_to(2 * X[:3], (2, 3, 3)))


def test_same_name_shadowing():
    # the innermost vmap with a name wins
    f = jax.vmap(jax.vmap(lambda x: lax.psum(x, "i"), axis_name="i"), axis_name="i")
    close(f(XN), np.broadcast_to(XN.sum(1, keepdims=True), XN.shape))


def test_vmap_without_name_is_transparent():
    f = jax.vmap(jax.vmap(lambda x: lax.psum(x, "i")), axis_name="i")
    close(f(XN), np.broadcast_to(XN.sum(0), XN.shape))
    f = jax.vmap(jax.vmap(lambda x: lax.psum(x, "i"), axis_name="i"))
    close(f(XN), np.broadcast_to(XN.sum(1, keepdims=True), XN.shape))


# --------------------------------------------------------------------------
# errors


def test_unbound_name_eager():
    with pytest.raises(NameError, match="unbound axis name: i"):
        lax.psum(X, "i")
    with pytest.raises(NameError, match="unbound axis name: i"):
        lax.axis_index("i")


@pytest.mark.parametrize("fn", [
    lambda x: lax.psum(x, "j"), lambda x: lax.pmean(x, "j"), lambda x: lax.pmax(x, "j"),
    lambda x: lax.pmin(x, "j"), lambda x: lax.all_gather(x, "j"),
    lambda x: lax.axis_index("j"), lambda x: lax.psum(x, ("i", "j")),
    lambda x: lax.ppermute(x, "j", [(0, 1)]),
])
def test_unbound_name_in_vmap(fn):
    with pytest.raises(NameError, match="unbound axis name: j"):
        jax.vmap(fn, axis_name="i")(X)
    with pytest.raises(NameError, match="unbound axis name: j"):
        jax.vmap(jax.jit(fn), axis_name="i")(X)
    with pytest.raises(NameError, match="unbound axis name"):
        jax.vmap(fn)(X)


def test_unbound_name_under_jit_and_grad():
    with pytest.raises(NameError, match="unbound axis name: i"):
        jax.jit(lambda x: lax.psum(x, "i"))(X)
    with pytest.raises(NameError, match="unbound axis name: i"):
        jax.grad(lambda x: lax.psum(x, "i").sum())(X)


def test_axis_index_groups_unsupported():
    with pytest.raises(NotImplementedError):
        jax.vmap(lambda x: lax.psum(x, "i", axis_index_groups=[[0, 1], [2, 3]]),
                 axis_name="i")(X)


# --------------------------------------------------------------------------
# jit inside vmap


def _jit_cases():
    return [
        (lambda x: lax.psum(x, "i"), lambda X: bcast(X.sum(0), len(X))),
        (lambda x: x - lax.pmean(x, "i"), lambda X: X - X.mean(0)),
        (lambda x: lax.pmax(x, "i") * lax.pmin(x, "i"),
         lambda X: bcast(X.max(0) * X.min(0), len(X))),
        (lambda x: lax.all_gather(x, "i"), lambda X: bcast(X, len(X))),
        (lambda x: x * lax.axis_index("i"), lambda X: X * np.arange(len(X))[:, None]),
        (lambda x: lax.psum(2.0, "i") + 0 * x, lambda X: np.full(X.shape, 2.0 * len(X))),
    ]


@pytest.mark.parametrize("case", range(6))
def test_jit_inside_vmap(case):
    f, ref = _jit_cases()[case]
    g = jax.vmap(jax.jit(f), axis_name="i")
    close(g(X), ref(X))
    close(g(X), ref(X))             # cached trace, fresh vmap
    close(g(X[:3]), ref(X[:3]))     # cached trace, another axis size


def test_jit_inside_vmap_records_collectives():
    seen = []

    def f(x):
        seen.append(1)
        return lax.psum(x, "i") + lax.axis_index("i")

    g = jax.vmap(jax.jit(f), axis_name="i")
    g(X)
    g(X)
    assert len(seen) == 1
    close(g(X), X.sum(0)[None] + np.arange(4)[:, None])


def test_grad_inside_jit_inside_vmap():
    # the collective is recorded in jit's jaxpr, not in grad's linearization
    g = jax.vmap(jax.jit(jax.grad(lambda x: (x * lax.axis_index("i")).sum())), axis_name="i")
    ref = np.broadcast_to(np.arange(4.0)[:, None], (4, 3))
    close(g(X), ref)
    close(g(X), ref)
    g = jax.vmap(jax.jit(jax.grad(lambda x: (x * lax.psum(1.0, "i") + lax.psum(x, "i")).sum())),
                 axis_name="i")
    close(g(X), np.full((4, 3), 8.0))
    close(g(X[:2]), np.full((2, 3), 4.0))


def test_psum_scatter_and_ppermute_under_jit():
    x = rng.standard_normal((3, 3, 2)).astype(np.float32)
    g = jax.vmap(jax.jit(lambda v: lax.psum_scatter(v, "i")), axis_name="i")
    close(g(x), x.sum(0))
    close(g(x), x.sum(0))
    h = jax.vmap(jax.jit(lambda v: lax.ppermute(v, "i", [(0, 1), (1, 2), (2, 0)])),
                 axis_name="i")
    close(h(x), np.roll(x, 1, axis=0))


def test_jit_outside_vmap():
    g = jax.jit(jax.vmap(lambda x: x - lax.pmean(x, "i"), axis_name="i"))
    close(g(X), X - X.mean(0))
    close(g(X), X - X.mean(0))


def test_jit_inside_nested_vmap():
    f = nested(jax.jit(lambda x: lax.psum(x, ("i", "j")) + lax.axis_index(("i", "j"))))
    close(f(XN), np.broadcast_to(XN.sum((0, 1)), XN.shape)
          + np.arange(6).reshape(2, 3, 1))


def test_make_jaxpr_inside_vmap():
    def f(x):
        jaxpr = jax.make_jaxpr(lambda y: lax.psum(y, "i"))(x)
        assert "psum" in str(jaxpr)
        return lax.psum(x, "i")
    close(jax.vmap(f, axis_name="i")(X), bcast(X.sum(0), 4))


# --------------------------------------------------------------------------
# derivatives: per-member semantics (as JAX)


XS = np.array([1.0, 2.0, 4.0], np.float32)


def test_grad_inside_vmap_semantics():
    # a psum's cotangent is summed over the members: d psum(x)/dx = axis size
    close(jax.vmap(jax.grad(lambda x: lax.psum(x, "i")), axis_name="i")(XS), [3, 3, 3])
    close(jax.vmap(jax.grad(lambda x: lax.pmean(x, "i")), axis_name="i")(XS), [1, 1, 1])
    close(jax.vmap(jax.grad(lambda x: lax.pmean(x ** 2, "i")), axis_name="i")(XS), 2 * XS)
    close(jax.vmap(jax.grad(lambda x: lax.all_gather(x, "i").sum()), axis_name="i")(XS),
          [3, 3, 3])
    close(jax.vmap(jax.grad(lambda x: (lax.all_gather(x, "i") * jnp.arange(3.0)).sum()),
                   axis_name="i")(XS), [0, 3, 6])
    w = np.float32(0.5)
    close(jax.vmap(jax.grad(lambda w, x: lax.pmean((w * x) ** 2, "b")), in_axes=(None, 0),
                   axis_name="b")(w, XS), XS ** 2)
    close(jax.vmap(jax.grad(lambda w, x: lax.psum((w * x) ** 2, "b")), in_axes=(None, 0),
                   axis_name="b")(w, XS), 3 * XS ** 2)
    perm = [(0, 1), (1, 2), (2, 0)]
    close(jax.vmap(jax.grad(lambda x: lax.ppermute(x, "i", perm) * (1 + lax.axis_index("i"))),
                   axis_name="i")(XS), [2, 3, 1])


def test_pmax_grad_ties_split():
    x = np.array([1.0, 3.0, 3.0], np.float32)
    f = jax.vmap(lambda x: lax.pmax(x, "i"), axis_name="i")
    _, t = jax.jvp(f, (x,), (np.array([1.0, 2.0, 4.0], np.float32),))
    close(t, [3, 3, 3])
    g = jax.grad(lambda x: f(x).sum())(x)
    close(g, [0, 1.5, 1.5])
    g = jax.grad(lambda x: jax.vmap(lambda x: lax.pmin(x, "i"), axis_name="i")(x)[0])(x)
    close(g, [1, 0, 0])


def test_grad_of_vmap_with_unbatched_collective():
    # the collective's operand does not depend on the mapped input: resolved
    # at once, so the transposition (after the vmap ended) needs no name
    xs = XS
    g = jax.grad(lambda w: jax.vmap(lambda x: lax.psum(w * 1.0, "i") * x,
                                    axis_name="i")(xs).sum())(np.float32(0.5))
    close(g, 3 * xs.sum())
    g = jax.grad(lambda w: jax.vmap(lambda x: (lax.all_gather(w, "i") * x).sum(),
                                    axis_name="i")(xs).sum())(np.float32(0.5))
    close(g, 3 * xs.sum())
    g = jax.grad(lambda w: jax.vmap(lambda x: lax.psum_scatter(w, "i") * x,
                                    axis_name="i")(xs).sum())(np.arange(3.0, dtype=np.float32))
    close(g, 3 * xs)


def test_other_transformations_of_vmapped_collectives():
    x = X[:, 0]
    close(jax.jacfwd(jax.vmap(lambda v: lax.pmean(v, "i"), axis_name="i"))(x),
          np.full((4, 4), 0.25))
    close(jax.jacrev(jax.vmap(lambda v: lax.all_gather(v, "i"), axis_name="i"))(x),
          np.broadcast_to(np.eye(4), (4, 4, 4)))
    h = jax.hessian(lambda v: jax.vmap(lambda v: lax.psum(v ** 3, "i"), axis_name="i")(v).sum())(x)
    close(h, np.diag(4 * 6 * x))
    h = jax.hessian(lambda v: jax.vmap(lambda v: lax.pmax(v ** 2, "i"), axis_name="i")(v).sum())(x)
    ref = np.zeros((4, 4))
    k = np.argmax(x ** 2)
    ref[k, k] = 8.0
    close(h, ref)
    lt = jax.linear_transpose(jax.vmap(lambda v: lax.psum(v, "i"), axis_name="i"), X)
    close(lt(X)[0], bcast(X.sum(0), 4))
    out = jax.vmap(lambda v: jax.jvp(lambda z: lax.psum(z * z, "i"), (v,), (jnp.ones(3),))[1],
                   axis_name="i")(X)
    close(out, bcast(2 * X.sum(0), 4))
    g = jax.grad(lambda v: jax.vmap(jax.jit(lambda z: z * lax.psum(z, "i")),
                                    axis_name="i")(v).sum())(X)
    close(g, bcast(2 * X.sum(0), 4))


def test_unnamed_vmap_around_named_vmap():
    x = np.stack([X, 2 * X])
    close(jax.vmap(jax.vmap(lambda v: lax.psum(v, "i"), axis_name="i"))(x),
          np.broadcast_to(x.sum(1, keepdims=True), x.shape))
    y = rng.standard_normal((2, 3, 3)).astype(np.float32)
    close(jax.vmap(jax.vmap(lambda v: lax.psum_scatter(v, "i"), axis_name="i"))(y), y.sum(1))
    close(jax.vmap(jax.vmap(lambda v: lax.all_gather(v, "i", axis=1), axis_name="i"),
                   in_axes=1)(x.transpose(1, 0, 2)),
          np.broadcast_to(x.transpose(0, 2, 1)[:, None], (2, 4, 3, 4)))


# --------------------------------------------------------------------------
# derivatives: finite differences of the batched function (float64)


def _fd_cases():
    perm = [(0, 1), (1, 2), (2, 3), (3, 0)]
    return {
        "psum": lambda x: jnp.sin(lax.psum(x * x, "i")) * x,
        "pmean": lambda x: x * lax.pmean(jnp.sin(x), "i"),
        "pmax": lambda x: lax.pmax(x * x, "i") * x,
        "pmin": lambda x: jnp.exp(lax.pmin(x, "i")) + x,
        "all_gather": lambda x: (lax.all_gather(x, "i") * x).sum(0),
        "all_gather_tiled": lambda x: (lax.all_gather(x, "i", axis=0, tiled=True) ** 2)[:3] * x,
        "psum_scatter": lambda x: lax.psum_scatter(jnp.outer(jnp.ones(4), x), "i",
                                                   scatter_dimension=0) * x,
        "ppermute": lambda x: lax.ppermute(jnp.sin(x), "i", perm) * x,
        "axis_index": lambda x: x ** 2 * lax.axis_index("i"),
        "nested_jit": jax.jit(lambda x: lax.psum(jnp.cos(x), "i") * lax.pmean(x, "i")),
        "pytree": lambda x: lax.psum({"a": x, "b": x ** 2}, "i")["b"] * x,
    }


@pytest.mark.parametrize("name", list(_fd_cases()))
def test_check_grads_of_vmapped(name, x64):
    f = jax.vmap(_fd_cases()[name], axis_name="i")
    x = rng.standard_normal((4, 3))
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["psum", "pmean", "all_gather", "ppermute"])
def test_check_grads_grad_inside_vmap(name, x64):
    # per-member gradients, then differentiated again from outside
    inner = _fd_cases()[name]
    f = jax.vmap(jax.grad(lambda x: inner(x).sum()), axis_name="i")
    x = rng.standard_normal((4, 3))
    check_grads(f, (x,), order=1, modes=("fwd", "rev"))


def test_check_grads_nested_names(x64):
    f = nested(lambda x: lax.psum(x ** 2, "i") * lax.pmean(jnp.sin(x), "j")
               + lax.psum(x, ("i", "j")) * x)
    check_grads(f, (rng.standard_normal((2, 3, 4)),), order=2, modes=("fwd", "rev"))


def test_x64_restored():
    assert not cotan.config.jax_enable_x64


# --------------------------------------------------------------------------
# examples


def test_per_example_gradient_clipping():
    rngl = np.random.default_rng(1)
    xb = rngl.standard_normal((8, 3)).astype(np.float32)
    yb = rngl.standard_normal(8).astype(np.float32)
    w = rngl.standard_normal(3).astype(np.float32)
    clip = 1.0

    def loss(w, x, y):
        return (jnp.dot(x, w) - y) ** 2

    def clipped_mean_grad(w, x, y):
        g = jax.grad(loss)(w, x, y)
        norm = jnp.sqrt(jnp.sum(g * g))
        g = g * jnp.minimum(1.0, clip / norm)
        return lax.pmean(g, "b")

    out = jax.vmap(clipped_mean_grad, in_axes=(None, 0, 0), out_axes=None, axis_name="b")(
        w, xb, yb)
    per = 2 * (xb @ w - yb)[:, None] * xb
    norms = np.linalg.norm(per, axis=1, keepdims=True)
    ref = (per * np.minimum(1.0, clip / norms)).mean(0)
    close(out, ref)
    # and the same under jit (of the whole step, and of the per-example part)
    close(jax.jit(jax.vmap(clipped_mean_grad, in_axes=(None, 0, 0), out_axes=None,
                           axis_name="b"))(w, xb, yb), ref)
    close(jax.vmap(jax.jit(clipped_mean_grad), in_axes=(None, 0, 0), out_axes=None,
                   axis_name="b")(w, xb, yb), ref)


def test_grad_of_loss_using_pmean_inside_vmap():
    # vmap(grad(loss)) where the loss itself averages with pmean: each member
    # gets its own example's gradient (the cotangent of pmean is averaged)
    rngl = np.random.default_rng(2)
    xb = rngl.standard_normal((5, 3)).astype(np.float32)
    w = rngl.standard_normal(3).astype(np.float32)

    def loss(w, x):
        return lax.pmean(jnp.sum(jnp.tanh(x * w)), "b")

    g = jax.vmap(jax.grad(loss), in_axes=(None, 0), axis_name="b")(w, xb)
    per = xb * (1 - np.tanh(xb * w) ** 2)
    close(g, per)
    close(jax.vmap(lambda w, x: lax.pmean(jax.grad(loss)(w, x), "b"), in_axes=(None, 0),
                   out_axes=None, axis_name="b")(w, xb), per.mean(0))


def test_batch_statistics():
    xb = rng.standard_normal((6, 4)).astype(np.float32)
    wt = rng.standard_normal((6, 4)).astype(np.float32)
    center = jax.vmap(lambda x: x - lax.pmean(x, "b"), axis_name="b")
    close(center(xb), xb - xb.mean(0))
    # d/dX sum(center(X)) = 0; with weights: W - mean(W)
    close(jax.grad(lambda x: center(x).sum())(xb), np.zeros_like(xb))
    close(jax.grad(lambda x: (center(x) * wt).sum())(xb), wt - wt.mean(0))


def _np_batchnorm(x, eps):
    mu = x.mean(0)
    var = ((x - mu) ** 2).mean(0)
    return (x - mu) / np.sqrt(var + eps)


def test_batch_norm(x64):
    eps = 1e-3

    def bn(x):
        mu = lax.pmean(x, "b")
        var = lax.pmean((x - mu) ** 2, "b")
        return (x - mu) / jnp.sqrt(var + eps)

    f = jax.vmap(bn, axis_name="b")
    xb = rng.standard_normal((5, 3))
    close(f(xb), _np_batchnorm(xb, eps), tol=1e-10)
    check_grads(f, (xb,), order=2, modes=("fwd", "rev"))
    wt = rng.standard_normal((5, 3))
    g = jax.grad(lambda x: (f(x) * wt).sum())(xb)
    num = np.zeros_like(xb)
    h = 1e-6
    for idx in np.ndindex(xb.shape):
        e = np.zeros_like(xb)
        e[idx] = h
        num[idx] = ((_np_batchnorm(xb + e, eps) * wt).sum()
                    - (_np_batchnorm(xb - e, eps) * wt).sum()) / (2 * h)
    close(g, num, tol=1e-6)
    # per-member grads of the normalised output, differentiated inside the vmap
    gi = jax.vmap(jax.grad(lambda x: (bn(x) * 2.0).sum()), axis_name="b")(xb)
    assert gi.shape == xb.shape and np.all(np.isfinite(np.asarray(gi)))
