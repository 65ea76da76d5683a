"""Indexing: x[idx], x.at[idx].<op>, take/take_along_axis, nonzero & co, and
the lax primitives behind them (rev, dynamic_slice, dynamic_update_slice,
gather, scatter*), checked against NumPy and finite differences."""
from __future__ import annotations

import timeit

import numpy as np
import pytest

import cotan
import cotan as jax
import cotan.numpy as jnp
from cotan import lax
from cotan._src import core
from cotan.errors import NonConcreteBooleanIndexError
from cotan.test_util import check_grads


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def same(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_array_equal(a, b)


def prims(closed):
    return [e.primitive.name for e in closed.jaxpr.eqns]


X_NP = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)

# (index expression, description).  Each is applied to X_NP (shape (2, 3, 4, 5)).
IDX = [
    (0, "int"),
    (-1, "neg-int"),
    ((1, 2), "two-ints"),
    ((1, -2, 3, -1), "all-ints"),
    (slice(None), "colon"),
    (slice(1, None), "slice-start"),
    ((slice(None), slice(0, 2)), "slice-2nd"),
    ((slice(None), slice(None, None, 2)), "step"),
    ((slice(None), slice(None, None, -1)), "reverse"),
    ((Ellipsis, slice(3, 0, -2)), "neg-step"),
    ((Ellipsis, slice(-2, None)), "neg-start"),
    ((slice(None), slice(5, 10)), "empty-slice"),
    ((slice(None), slice(-100, 100)), "oversized-slice"),
    (None, "newaxis"),
    ((None, 0, None), "newaxes"),
    ((Ellipsis, None), "trailing-newaxis"),
    ((Ellipsis, 1), "ellipsis-int"),
    ((0, Ellipsis, 1), "int-ellipsis-int"),
    ((), "empty-tuple"),
    (Ellipsis, "ellipsis"),
    (np.array([1, 0, 1]), "int-array"),
    (np.array([[0, 1], [1, 1]]), "2d-int-array"),
    ((np.array([1, 0]),), "list"),
    ((slice(None), [2, 0, -1]), "list-2nd"),
    ((slice(None), np.array([0, 2]), np.array([1, 3])), "adjacent-arrays"),
    ((np.array([0, 1]), slice(None), np.array([1, 3])), "separated-arrays"),
    ((0, slice(None), np.array([1, 3])), "int-separated-array"),
    ((slice(None), 1, np.array([1, 3])), "int-adjacent-array"),
    ((slice(None), np.array([[0], [2]]), np.array([1, 3, 0])), "broadcast-arrays"),
    ((slice(None), np.array([0, 2]), None, np.array([1, 3])), "none-between-arrays"),
    ((slice(None), np.array([0]), Ellipsis, np.array([1])), "ellipsis-between-arrays"),
    ((np.array([1, 0]), slice(None, None, -1), slice(1, 3), np.array([4, 0])), "arrays-and-slices"),
    ((slice(None), slice(None), np.array([-1, -4])), "neg-array"),
    ((None, np.array([1, 0]), np.array([2, 1])), "newaxis-then-arrays"),
    ((slice(None), np.array([], np.int32)), "empty-array"),
    (np.array(1), "0d-array"),
    ((np.array(1), slice(None), np.array([0, 2])), "0d-array-separated"),
    (np.array([True, False]), "bool-mask"),
    ((slice(None), np.array([True, False, True])), "bool-mask-2nd"),
    (X_NP[:, :, 0, 0] > 7, "bool-mask-2d"),
    ((X_NP[:, :, :, 0] > 33, 2), "bool-mask-and-int"),
    ((0, [True, False, True], slice(1, 3)), "list-bool-mask"),
    (True, "scalar-true"),
    (False, "scalar-false"),
    ((np.int64(1), np.int32(-1)), "numpy-ints"),
    ((slice(np.int64(1), np.int32(3)),), "numpy-int-slice"),
]


@pytest.mark.parametrize("idx", [i for i, _ in IDX], ids=[d for _, d in IDX])
def test_getitem_matches_numpy(idx):
    x = jnp.asarray(X_NP)
    expected = X_NP[idx]
    out = x[idx]
    assert out.dtype == np.float32
    same(out, expected)


@pytest.mark.parametrize("idx", [i for i, d in IDX if "bool" not in d],
                         ids=[d for _, d in IDX if "bool" not in d])
def test_getitem_traced_matches_numpy(idx):
    x = jnp.asarray(X_NP)
    out = jax.jit(lambda x: x[idx])(x)
    same(out, X_NP[idx])
    # the index arrays may be traced too
    arrays = [i for i in (idx if isinstance(idx, tuple) else (idx,))
              if isinstance(i, np.ndarray) and i.dtype != np.bool_]
    if arrays:
        def f(x, *arrs):
            it = iter(arrs)
            new = tuple(next(it) if (isinstance(i, np.ndarray) and i.dtype != np.bool_) else i
                        for i in (idx if isinstance(idx, tuple) else (idx,)))
            return x[new]
        same(jax.jit(f)(x, *[jnp.asarray(a) for a in arrays]), X_NP[idx])


def test_getitem_bool_mask_with_jnp_mask():
    x = jnp.asarray(X_NP)
    same(x[x > 100], X_NP[X_NP > 100])
    same(x[jnp.array([True, False])], X_NP[np.array([True, False])])


def test_getitem_int_dtypes_and_weak_type():
    xi = jnp.arange(6, dtype=jnp.int32).reshape(2, 3)
    assert xi[1, 2].dtype == np.int32 and int(xi[1, 2]) == 5
    xb = jnp.array([True, False, True])
    assert xb[np.array([0, 2])].dtype == np.bool_
    w = core.Array(np.arange(3.0, dtype=np.float32), True)
    assert w[0].weak_type and w[1:].weak_type and w[np.array([0, 1])].weak_type
    assert not jnp.arange(3.0)[0].weak_type


def test_getitem_index_types_unsigned_and_small():
    x = jnp.asarray(X_NP)
    for dt in (np.uint8, np.int8, np.int16, np.uint32):
        i = np.array([1, 0], dt)
        same(x[i], X_NP[i])
        same(x[jnp.asarray(i)], X_NP[i])
    same(x[np.array([-1], np.int8)], X_NP[np.array([-1])])


# --------------------------------------------------------------------------
# errors and out-of-bounds semantics


def test_static_int_out_of_range_clamps_like_jax():
    # JAX clamps out-of-range static integer indices (NumPy would raise)
    x = jnp.arange(3.0)
    assert float(x[3]) == 2.0 and float(x[-4]) == 0.0
    assert float(jnp.arange(6.0).reshape(2, 3)[0, 3]) == 2.0
    assert float(jax.jit(lambda x: x[5])(x)) == 2.0
    with pytest.raises(IndexError):
        jnp.zeros((0,))[0]


def test_top_level_list_index_is_a_type_error():
    x = jnp.arange(3.0)
    with pytest.raises(TypeError, match="non-tuple sequence"):
        x[[0, 1]]
    np.testing.assert_array_equal(np.asarray(x[np.array([0, 1])]), [0., 1.])
    np.testing.assert_array_equal(np.asarray(jnp.ones((2, 2))[[0, 1], :]), np.ones((2, 2)))


def test_too_many_indices_and_two_ellipses():
    x = jnp.ones((2, 3))
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[..., 0, ...]
    with pytest.raises(IndexError):
        x[np.array([True, False, True])]  # mask shape mismatch


def test_bad_index_types():
    x = jnp.arange(3.0)
    with pytest.raises(TypeError, match="integer or boolean"):
        x[1.0]
    with pytest.raises(TypeError, match="integer or boolean"):
        x[jnp.array([0.0, 1.0])]
    with pytest.raises(TypeError):
        x["a"]
    with pytest.raises(ValueError):
        x[::0]


def test_traced_slice_bounds_raise_index_error():
    x = jnp.arange(5.0)
    with pytest.raises(IndexError, match="dynamic_slice"):
        jax.jit(lambda x, i: x[i:])(x, 1)


def test_array_indices_out_of_range_clamp():
    x = jnp.arange(5.0)
    same(x[np.array([7, -9, 2])], [4.0, 0.0, 2.0])
    same(x[jnp.array(9)], 4.0)
    same(jax.jit(lambda x, i: x[i])(x, 9), 4.0)
    same(jax.jit(lambda x, i: x[i])(x, -1), 4.0)
    same(jax.jit(lambda x, i: x[i])(x, -2), 3.0)
    same(jax.jit(lambda x, i: x[i])(x, -70), 0.0)
    same(jax.jit(lambda x, i: x[i, None])(x, 2), [2.0])


def test_at_get_modes():
    x = jnp.arange(5.0)
    same(x.at[7].get(), 4.0)  # .at[].get clamps like gather (no IndexError)
    assert np.isnan(float(x.at[7].get(mode="fill")))
    same(x.at[np.array([1, 7, -1, -8])].get(mode="fill", fill_value=-3.0), [1.0, -3.0, 4.0, -3.0])
    same(x.at[np.array([1, 7])].get(mode="clip"), [1.0, 4.0])
    xi = jnp.arange(5)
    same(xi.at[np.array([9])].get(mode="fill"), [np.iinfo(np.int32).min])
    xu = jnp.arange(5, dtype=jnp.uint8)
    same(xu.at[np.array([9])].get(mode="fill"), [255])
    xb = jnp.array([False, False])
    same(xb.at[np.array([5])].get(mode="fill"), [True])
    same(jax.jit(lambda x, i: x.at[i].get(mode="fill", fill_value=0.5))(x, 11), 0.5)
    same(jax.jit(lambda x, i: x.at[i].get(mode="fill", fill_value=0.5))(x, 3), 3.0)
    same(x.at[1:3].get(), [1.0, 2.0])
    same(x.at[1].get(), 1.0)
    with pytest.raises(ValueError):
        x.at[0].get(mode="bogus")


def test_scatter_out_of_range_dropped_or_clipped():
    x = jnp.zeros(4)
    same(x.at[7].set(1.0), [0, 0, 0, 0])
    same(x.at[-7].set(1.0), [0, 0, 0, 0])
    same(x.at[np.array([0, 9, -1, -9])].set(np.array([1.0, 2, 3, 4])), [1, 0, 0, 3])
    same(x.at[np.array([0, 9])].add(1.0, mode="clip"), [1, 0, 0, 1])
    same(x.at[np.array([0, 9])].add(1.0, mode="drop"), [1, 0, 0, 0])
    same(x.at[np.array([0, 9])].add(1.0, mode="promise_in_bounds"), [1, 0, 0, 0])
    same(jax.jit(lambda x, i: x.at[i].set(5.0))(x, 4), [0, 0, 0, 0])
    same(jax.jit(lambda x, i: x.at[i].set(5.0))(x, -1), [0, 0, 0, 5])
    same(jax.jit(lambda x, i: x.at[i].set(5.0, mode="clip"))(x, 40), [0, 0, 0, 5])


def test_setitem_error_mentions_at():
    x = jnp.arange(3)
    with pytest.raises(TypeError, match=r"\.at\["):
        x[0] = 1
    with pytest.raises(TypeError, match=r"immutable"):
        x[1:] = 1


def test_nonconcrete_boolean_index_error():
    def f(x):
        return x[x > 0]
    with pytest.raises(NonConcreteBooleanIndexError, match="jnp.where|size="):
        jax.make_jaxpr(f)(jnp.arange(3.0))
    with pytest.raises(NonConcreteBooleanIndexError):
        jax.jit(f)(jnp.arange(3.0))
    assert issubclass(NonConcreteBooleanIndexError, IndexError)
    # under grad the mask is concrete, as in JAX
    g = jax.grad(lambda x: jnp.sum(x[x > 0] ** 2))(jnp.array([1.0, -2.0, 3.0]))
    close(g, [2.0, 0.0, 6.0])


# --------------------------------------------------------------------------
# tracing: the cheapest primitive for each kind of index


def test_make_jaxpr_static_index_uses_slice():
    x = jnp.ones((3, 4))
    p = prims(jax.make_jaxpr(lambda x: x[0])(x))
    assert "gather" not in p and "slice" in p
    p = prims(jax.make_jaxpr(lambda x: x[::-1, 1])(x))
    assert "rev" in p and "gather" not in p
    assert prims(jax.make_jaxpr(lambda x: x[...])(x)) == []


def test_make_jaxpr_dynamic_index_uses_dynamic_slice():
    x = jnp.ones((3, 4))
    closed = jax.make_jaxpr(lambda x, i: x[i])(x, 1)
    p = prims(closed)
    assert "dynamic_slice" in p and "gather" not in p
    core.check_jaxpr(closed.jaxpr)
    assert closed.out_avals[0].shape == (4,)


def test_make_jaxpr_array_index_uses_gather():
    x = jnp.ones((3, 4))
    closed = jax.make_jaxpr(lambda x, i: x[:, i])(x, jnp.array([0, 2, 2]))
    assert "gather" in prims(closed)
    core.check_jaxpr(closed.jaxpr)
    assert closed.out_avals[0].shape == (3, 3)
    assert "gather" in str(closed)


def test_make_jaxpr_updates():
    x = jnp.ones((3, 4))
    p = prims(jax.make_jaxpr(lambda x: x.at[0].set(2.0))(x))
    assert "dynamic_update_slice" in p and "scatter" not in p
    closed = jax.make_jaxpr(lambda x, i: x.at[i].add(2.0))(x, 1)
    assert "scatter-add" in prims(closed)
    core.check_jaxpr(closed.jaxpr)
    closed = jax.make_jaxpr(lambda x, i, y: x.at[i, ::2].max(y))(x, jnp.array([0, 1]), 1.0)
    assert "scatter-max" in prims(closed)
    core.check_jaxpr(closed.jaxpr)


def test_jit_of_many_index_forms():
    x = jnp.asarray(X_NP)

    @jax.jit
    def f(x, i, j):
        return (x[i], x[:, j], x[i, j], x[..., i, None], x[j, ::-1, 2], x[1, [0, 2]],
                x.at[i].get(mode="fill", fill_value=0.0))
    outs = f(x, 1, jnp.array([0, 2]))
    # x[j, ::-1, 2] with j = [0, 2]: index 2 is clamped to 1 (axis 0 has size 2)
    expected = (X_NP[1], X_NP[:, [0, 2]], X_NP[1, [0, 2]], X_NP[..., 1, None],
                X_NP[[0, 1], ::-1, 2], X_NP[1, [0, 2]], X_NP[1])
    for o, e in zip(outs, expected):
        same(o, e)


# --------------------------------------------------------------------------
# .at[] updates vs NumPy


def _np_at(kind, x, idx, y):
    x = np.array(x, copy=True)
    if kind == "set":
        x[idx] = y
    elif kind == "add":
        np.add.at(x, idx, y)
    elif kind == "multiply":
        np.multiply.at(x, idx, y)
    elif kind == "min":
        np.minimum.at(x, idx, y)
    elif kind == "max":
        np.maximum.at(x, idx, y)
    return x


AT_CASES = [
    (0, 5.0, "int"),
    (-1, np.arange(5.0), "neg-int-row"),
    ((1, 2), 7.0, "two-ints"),
    (slice(1, 3), np.ones((2, 5)), "slice"),
    ((slice(None), slice(None, None, 2)), 3.0, "step-slice"),
    ((slice(None), slice(None, None, -1)), np.arange(5.0), "reverse-slice"),
    ((Ellipsis, 1), np.array([1.0, 2, 3, 4]), "ellipsis-int"),
    (np.array([0, 2]), np.arange(10.0).reshape(2, 5), "array"),
    (np.array([0, 2, 0]), 2.0, "repeated-array"),
    ((np.array([0, 2, 0, 0]), np.array([1, 1, 1, 4])), np.array([1.0, 2, 3, 4]), "repeated-pairs"),
    ((slice(1, 3), np.array([4, 0, 4])), np.arange(6.0).reshape(2, 3), "slice-and-array"),
    ((np.array([1, 3]), slice(None, None, 2)), np.arange(6.0).reshape(2, 3), "array-and-step"),
    ((np.array([[0], [3]]), np.array([1, 2])), np.arange(4.0).reshape(2, 2), "broadcast-arrays"),
    ((np.array([0, 1]), 2, np.array([0, 1])), None, "3d-separated"),
    ((None, 1), np.arange(5.0), "newaxis"),
    (np.array([True, False, True, False]), 9.0, "mask"),
    ((slice(None), np.array([-1, -5])), np.array([1.0, 2.0]), "neg-array"),
]


@pytest.mark.parametrize("kind", ["set", "add", "multiply", "min", "max"])
@pytest.mark.parametrize("idx,y", [(i, y) for i, y, _ in AT_CASES],
                         ids=[d for _, _, d in AT_CASES])
def test_at_updates_match_numpy(kind, idx, y):
    rng = np.random.default_rng(0)
    if y is None:  # a 3-d case
        x_np = rng.normal(size=(2, 3, 2)).astype(np.float32)
        y = np.float32(2.5)
    else:
        x_np = rng.normal(size=(4, 5)).astype(np.float32)
    y = np.asarray(y, np.float32)
    expected = _np_at(kind, x_np, idx, y)
    x = jnp.asarray(x_np)
    out = getattr(x.at[idx], kind)(y)
    assert out.dtype == np.float32 and out.shape == x_np.shape
    close(out, expected, 1e-6)
    out_jit = jax.jit(lambda x, y: getattr(x.at[idx], kind)(y))(x, jnp.asarray(y))
    close(out_jit, expected, 1e-6)


def test_at_repeated_add_accumulates_and_set_takes_one():
    x = jnp.zeros(3)
    same(x.at[np.array([0, 0, 0, 2])].add(1.0), [3.0, 0.0, 1.0])
    same(x.at[[1, 1]].add(jnp.array([2.0, 5.0])), [0.0, 7.0, 0.0])
    out = np.asarray(x.at[np.array([1, 1])].set(jnp.array([2.0, 5.0])))
    assert out[1] in (2.0, 5.0) and out[0] == 0 and out[2] == 0
    same(jnp.ones(3).at[np.array([1, 1])].multiply(3.0), [1.0, 9.0, 1.0])


def test_at_divide_power_apply_mul():
    x_np = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    x = jnp.asarray(x_np)
    close(x.at[1].divide(4.0), [1.0, 0.5, 3.0, 4.0])
    close(x.at[np.array([1, 1])].divide(2.0), [1.0, 0.5, 3.0, 4.0])
    close(x.at[2:].power(2.0), [1.0, 2.0, 9.0, 16.0])
    close(x.at[np.array([0, 3])].apply(jnp.negative), [-1.0, 2.0, 3.0, -4.0])
    close(x.at[np.array([3, 3])].apply(lambda v: v * 10), [1.0, 2.0, 3.0, 40.0])
    close(x.at[1].mul(3.0), [1.0, 6.0, 3.0, 4.0])
    close(x.at[7].apply(jnp.negative), x_np)


def test_at_update_casts_and_broadcasts():
    xi = jnp.zeros(4, dtype=jnp.int32)
    out = xi.at[1].set(2.7)
    assert out.dtype == np.int32 and list(np.asarray(out)) == [0, 2, 0, 0]
    out = xi.at[np.array([0, 0])].add(jnp.array([1.9, 1.9], dtype=jnp.float32))
    assert out.dtype == np.int32 and list(np.asarray(out)) == [2, 0, 0, 0]
    xf = jnp.zeros((2, 3))
    same(xf.at[:, 1].set(jnp.array([1, 2])), [[0, 1, 0], [0, 2, 0]])
    same(xf.at[0].set(jnp.array([1.0, 2, 3])), [[1, 2, 3], [0, 0, 0]])
    same(xf.at[...].set(4), np.full((2, 3), 4.0))
    with pytest.raises(ValueError):
        xf.at[0].set(jnp.ones(2))
    xb = jnp.array([False, True, False])
    same(xb.at[np.array([0, 0])].add(True), [True, True, False])
    same(xb.at[0].set(1), [True, True, False])
    w = core.Array(np.zeros(3, np.float32), True)
    assert w.at[0].set(1.0).weak_type
    assert not jnp.zeros(3).at[0].set(w[0]).weak_type


def test_at_helper_repr_and_methods():
    x = jnp.arange(3.0)
    assert "IndexUpdate" in repr(x.at) and "IndexUpdate" in repr(x.at[0])
    for name in ("set", "add", "multiply", "mul", "divide", "power", "min", "max", "get", "apply"):
        assert hasattr(x.at[0], name)
    same(x.at[0].set(9.0, indices_are_sorted=True, unique_indices=True), [9.0, 1.0, 2.0])


# --------------------------------------------------------------------------
# take, take_along_axis, nonzero & co


def test_take():
    a_np = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    a = jnp.asarray(a_np)
    same(jnp.take(a, np.array([0, 5, 11])), np.take(a_np, [0, 5, 11]))
    same(jnp.take(a, np.array([[0, 2], [1, 1]]), axis=1), np.take(a_np, [[0, 2], [1, 1]], axis=1))
    same(jnp.take(a, 1, axis=0), np.take(a_np, 1, axis=0))
    same(jnp.take(a, np.array([-1, 0]), axis=0), np.take(a_np, [-1, 0], axis=0))
    out = np.asarray(jnp.take(a, np.array([0, 7]), axis=0))  # fill by default
    same(out[0], a_np[0])
    assert np.isnan(out[1]).all()
    same(jnp.take(a, np.array([0, 7]), axis=0, fill_value=-1.0)[1], [-1.0] * 4)
    same(jnp.take(a, np.array([0, 7, -9]), axis=0, mode="clip"),
         np.take(a_np, [0, 7, -9], axis=0, mode="clip"))
    same(jnp.take(a, np.array([5, -1]), axis=1, mode="wrap"),
         np.take(a_np, [5, -1], axis=1, mode="wrap"))
    same(a.take(np.array([1, 2])), np.take(a_np, [1, 2]))
    with pytest.raises(NotImplementedError):
        jnp.take(a, np.array([0]), mode="raise")
    same(jax.jit(lambda a, i: jnp.take(a, i, axis=1))(a, jnp.array([3, 1])),
         np.take(a_np, [3, 1], axis=1))
    same(jax.jit(lambda a, i: jnp.take(a, i, axis=1, mode="wrap"))(a, jnp.array([5, -1])),
         np.take(a_np, [5, -1], axis=1, mode="wrap"))


def test_take_along_axis():
    rng = np.random.default_rng(1)
    a_np = rng.normal(size=(3, 4)).astype(np.float32)
    a = jnp.asarray(a_np)
    idx = np.argsort(a_np, axis=1)
    same(jnp.take_along_axis(a, idx, axis=1), np.take_along_axis(a_np, idx, axis=1))
    idx0 = np.argsort(a_np, axis=0)[:2]
    same(jnp.take_along_axis(a, idx0, axis=0), np.take_along_axis(a_np, idx0, axis=0))
    bidx = np.array([[0], [3], [1]])
    same(jnp.take_along_axis(a, bidx, axis=1), np.take_along_axis(a_np, bidx, axis=1))
    same(jnp.take_along_axis(a, np.array([[-1, 0, 1, 2]]), axis=0),
         np.take_along_axis(a_np, np.array([[-1, 0, 1, 2]]), axis=0))
    flat = np.array([0, 11, 5])
    same(jnp.take_along_axis(a, flat, axis=None), np.take_along_axis(a_np, flat, axis=None))
    out = np.asarray(jnp.take_along_axis(a, np.array([[9], [0], [0]]), axis=1))
    assert np.isnan(out[0, 0]) and out[1, 0] == a_np[1, 0]
    same(jax.jit(lambda a, i: jnp.take_along_axis(a, i, axis=1))(a, jnp.asarray(idx)),
         np.take_along_axis(a_np, idx, axis=1))
    with pytest.raises(ValueError):
        jnp.take_along_axis(a, np.array([0, 1]), axis=1)


def test_nonzero_argwhere_flatnonzero():
    m_np = np.array([[0, 1, 0], [2, 0, 3]])
    m = jnp.asarray(m_np)
    for o, e in zip(jnp.nonzero(m), np.nonzero(m_np)):
        same(o, e)
        assert o.dtype == np.int32
    same(jnp.argwhere(m), np.argwhere(m_np))
    same(jnp.flatnonzero(m), np.flatnonzero(m_np))
    r, c = jnp.nonzero(m, size=5, fill_value=-1)
    same(r, [0, 1, 1, -1, -1])
    same(c, [1, 0, 2, -1, -1])
    r, c = jnp.nonzero(m, size=2)
    same(r, [0, 1]) and same(c, [1, 0])
    r, c = jnp.nonzero(m, size=4, fill_value=(7, 8))
    same(r, [0, 1, 1, 7])
    same(c, [1, 0, 2, 8])
    same(jnp.argwhere(m, size=4), [[0, 1], [1, 0], [1, 2], [0, 0]])
    same(jnp.flatnonzero(m, size=4, fill_value=9), [1, 3, 5, 9])
    same(jnp.argwhere(jnp.array(3)), np.argwhere(np.array(3)))
    same(jnp.argwhere(jnp.array(0)), np.argwhere(np.array(0)))
    with pytest.raises(ValueError):
        jnp.nonzero(jnp.array(1))
    same(m.nonzero()[1], np.nonzero(m_np)[1])
    # where with one argument
    for o, e in zip(jnp.where(m > 0), np.where(m_np > 0)):
        same(o, e)
    r, = jnp.where(jnp.array([True, False, True]), size=3, fill_value=-1)
    same(r, [0, 2, -1])


def test_nonzero_traced_needs_size():
    m = jnp.array([[0.0, 1.5, 0.0], [2.0, 0.0, 3.0]])
    with pytest.raises(cotan.errors.ConcretizationTypeError, match="size"):
        jax.jit(jnp.nonzero)(m)
    f = jax.jit(lambda m: jnp.nonzero(m, size=4, fill_value=-1))
    r, c = f(m)
    same(r, [0, 1, 1, -1])
    same(c, [1, 0, 2, -1])
    r, c = f(jnp.zeros((2, 3)))
    same(r, [-1] * 4)
    r, c = jax.jit(lambda m: jnp.nonzero(m, size=2))(m)
    same(r, [0, 1]) and same(c, [1, 0])
    same(jax.jit(lambda m: jnp.argwhere(m > 1, size=4))(m), [[0, 1], [1, 0], [1, 2], [0, 0]])
    same(jax.jit(lambda m: jnp.where(m.ravel() > 0, size=4, fill_value=9)[0])(m), [1, 3, 5, 9])


# --------------------------------------------------------------------------
# lax primitives


def test_rev():
    x_np = np.arange(6.0).reshape(2, 3)
    same(lax.rev(jnp.asarray(x_np), (1,)), x_np[:, ::-1])
    same(lax.rev(jnp.asarray(x_np), (0, 1)), x_np[::-1, ::-1])


def test_dynamic_slice_clamps():
    x_np = np.arange(20.0).reshape(4, 5)
    x = jnp.asarray(x_np)
    same(lax.dynamic_slice(x, (1, 2), (2, 2)), x_np[1:3, 2:4])
    same(lax.dynamic_slice(x, (3, 4), (2, 2)), x_np[2:4, 3:5])  # clamped
    same(lax.dynamic_slice(x, (-1, 0), (1, 5)), x_np[3:4])  # negative wraps
    same(lax.dynamic_slice(x, (-10, 0), (1, 5)), x_np[0:1])
    same(lax.dynamic_slice(x, jnp.array([1, 1]), (1, 1)), x_np[1:2, 1:2])
    f = jax.jit(lambda x, i, j: lax.dynamic_slice(x, (i, j), (2, 3)))
    same(f(x, 1, 1), x_np[1:3, 1:4])
    same(f(x, 9, 9), x_np[2:4, 2:5])
    same(f(x, -1, 0), x_np[2:4, 0:3])
    same(lax.dynamic_slice_in_dim(x, 2, 2, axis=1), x_np[:, 2:4])
    same(lax.dynamic_index_in_dim(x, 3, axis=1, keepdims=False), x_np[:, 3])
    same(lax.dynamic_index_in_dim(x, 3), x_np[3:4])
    same(lax.index_in_dim(x, -1, axis=0, keepdims=False), x_np[-1])
    with pytest.raises(TypeError):
        lax.dynamic_slice(x, (0,), (1, 1))
    with pytest.raises(TypeError):
        lax.dynamic_slice(x, (0, 0), (5, 1))


def test_dynamic_update_slice_clamps():
    x_np = np.zeros((4, 5))
    x = jnp.asarray(x_np)
    u = jnp.ones((2, 2))
    e = x_np.copy()
    e[1:3, 2:4] = 1
    same(lax.dynamic_update_slice(x, u, (1, 2)), e)
    e = x_np.copy()
    e[2:4, 3:5] = 1
    same(lax.dynamic_update_slice(x, u, (7, 7)), e)
    same(jax.jit(lambda x, u, i: lax.dynamic_update_slice(x, u, (i, i)))(x, u, 7), e)
    e = x_np.copy()
    e[:, 1] = 5
    same(lax.dynamic_update_index_in_dim(x, jnp.full((4,), 5.0), 1, 1), e)
    same(lax.dynamic_update_slice_in_dim(x, jnp.full((4, 1), 5.0), 1, 1), e)
    with pytest.raises(TypeError):
        lax.dynamic_update_slice(x, jnp.ones((2, 2), jnp.int32), (0, 0))


def test_gather_primitive_semantics():
    x_np = np.arange(24.0).reshape(2, 3, 4)
    x = jnp.asarray(x_np)
    i = np.array([[1, 3], [0, 0], [1, 2]])
    out = lax.gather(x, i, (0, 2))
    same(out, np.moveaxis(x_np, (0, 2), (0, 1))[i[:, 0], i[:, 1]])
    assert out.shape == (3, 3)
    same(lax.gather(x, np.array([[5]]), (1,)), x_np[:, [2], :].transpose(1, 0, 2))
    out = np.asarray(lax.gather(x, np.array([[5], [1]]), (1,), mode="fill"))
    assert np.isnan(out[0]).all()
    same(out[1], x_np[:, 1])
    same(lax.gather(x, np.array([[-1]]), (1,), mode="fill", fill_value=7.0),
         np.full((1, 2, 4), 7.0))
    same(lax.gather(x, np.zeros((2, 0), np.int32), ()), np.broadcast_to(x_np, (2, 2, 3, 4)))
    with pytest.raises(TypeError):
        lax.gather(x, np.array([[0.5]]), (0,))
    with pytest.raises(TypeError):
        lax.gather(x, np.array([[0, 1]]), (0,))


def test_scatter_primitives_semantics():
    x_np = np.zeros((3, 2))
    x = jnp.asarray(x_np)
    i = np.array([[2], [0], [2], [5]])
    u = np.arange(8.0).reshape(4, 2)
    e = x_np.copy()
    np.add.at(e, [2, 0, 2], u[:3])
    same(lax.scatter_add(x, i, u, (0,)), e)
    e2 = x_np.copy()
    np.add.at(e2, [2, 0, 2, 2], u)
    same(lax.scatter_add(x, i, u, (0,), mode="clip"), e2)
    same(lax.scatter(x, i, u, (0,)), [[2, 3], [0, 0], [4, 5]])
    same(lax.scatter_mul(jnp.ones((3, 2)), i, u + 1, (0,)), [[3, 4], [1, 1], [5 * 1, 6 * 2]])
    same(lax.scatter_min(x, i, u - 3, (0,)), [[-1, 0], [0, 0], [-3, -2]])
    same(lax.scatter_max(x, i, u - 3, (0,)), [[0, 0], [0, 0], [1, 2]])
    with pytest.raises(TypeError):
        lax.scatter_add(x, i, jnp.ones((3, 2)), (0,))
    with pytest.raises(TypeError):
        lax.scatter_add(x, i, u.astype(np.int32), (0,))


# --------------------------------------------------------------------------
# derivatives (float64)


def _fd_grad(f, x, eps=1e-6):
    x = np.array(x, np.float64)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = eps
        g[k] = (float(f(jnp.asarray(x + e))) - float(f(jnp.asarray(x - e)))) / (2 * eps)
    return g


GRAD_FUNS = [
    (lambda x: jnp.sum(x[0] ** 2), "int"),
    (lambda x: jnp.sum(jnp.sin(x[1:, ::-2])), "slices"),
    (lambda x: jnp.sum(x[None, ..., 1] ** 3), "newaxis-ellipsis"),
    (lambda x: jnp.sum(x[np.array([0, 2, 0])] ** 2), "repeated-gather"),
    (lambda x: jnp.sum(x[np.array([0, 2]), np.array([1, 3])] * jnp.arange(2.0)), "pairs"),
    (lambda x: jnp.sum(x[:, np.array([3, 3, 0])] ** 2), "gather-2nd"),
    (lambda x: jnp.sum(x[x > 0.3] ** 2), "mask"),
    (lambda x: jnp.sum(x.at[0].set(x[1] ** 2) ** 2), "at-set-row"),
    (lambda x: jnp.sum(x.at[np.array([0, 0, 2])].set(x[1]) * jnp.arange(4.0)), "at-set-dup"),
    (lambda x: jnp.sum(x.at[np.array([0, 0, 2])].add(x[1] ** 2) ** 2), "at-add-dup"),
    (lambda x: jnp.sum(x.at[:, ::2].multiply(x[:, 1:2]) ** 2), "at-mul-step"),
    (lambda x: jnp.sum(x.at[np.array([1, 1])].multiply(x[0, :] + 2.0)), "at-mul-dup"),
    (lambda x: jnp.sum(x.at[np.array([1, 2])].min(x[0] * 0.5) ** 2), "at-min"),
    (lambda x: jnp.sum(x.at[np.array([1, 2, 1])].max(jnp.stack([x[0], x[0] - 1, x[0] + 1]))),
     "at-max"),
    (lambda x: jnp.sum(x.at[1].divide(x[0] + 3.0)), "at-divide"),
    (lambda x: jnp.sum(jnp.take(x, np.array([4, 1, 11, 1])) ** 2), "take"),
    (lambda x: jnp.sum(jnp.take_along_axis(x, np.array([[0, 3], [2, 2], [1, 0]]), axis=1) ** 2),
     "take-along-axis"),
    (lambda x: jnp.sum(lax.dynamic_slice(x, (1, 2), (2, 2)) ** 2), "dynamic-slice"),
    (lambda x: jnp.sum(lax.dynamic_update_slice(x, x[:2, :2] ** 2, (1, 3)) ** 2), "dus"),
]


@pytest.mark.parametrize("f", [f for f, _ in GRAD_FUNS], ids=[d for _, d in GRAD_FUNS])
def test_grad_matches_finite_differences(f, x64):
    x = np.random.default_rng(3).uniform(0.1, 1.0, size=(3, 4))
    g = jax.grad(f)(jnp.asarray(x))
    assert g.dtype == np.float64
    close(g, _fd_grad(f, x), 1e-6)


@pytest.mark.parametrize("f", [f for f, _ in GRAD_FUNS], ids=[d for _, d in GRAD_FUNS])
def test_jvp_vjp_consistent(f, x64):
    rng = np.random.default_rng(4)
    x = jnp.asarray(rng.uniform(0.1, 1.0, size=(3, 4)))
    t = jnp.asarray(rng.normal(size=(3, 4)))
    y, ty = jax.jvp(f, (x,), (t,))
    eps = 1e-6
    fd = (float(f(x + eps * t)) - float(f(x - eps * t))) / (2 * eps)
    close(ty, fd, 1e-6)
    y2, pb = jax.vjp(f, x)
    close(y2, y)
    (ct,) = pb(jnp.ones_like(y2))
    close(np.sum(np.asarray(ct) * np.asarray(t)), ty, 1e-8)


def test_grad_wrt_update_values(x64):
    x = jnp.asarray(np.random.default_rng(5).normal(size=(4, 3)))
    idx = np.array([0, 2, 0])

    def f(x, y):
        return jnp.sum(jnp.sin(x.at[idx].add(y)))
    y = jnp.asarray(np.random.default_rng(6).normal(size=(3, 3)))
    gx, gy = jax.grad(f, argnums=(0, 1))(x, y)
    close(gx, _fd_grad(lambda x: f(x, y), np.asarray(x)), 1e-6)
    close(gy, _fd_grad(lambda y: f(x, y), np.asarray(y)), 1e-6)

    for kind in ("set", "multiply", "min", "max"):
        def g(x, y, kind=kind):
            return jnp.sum(jnp.sin(getattr(x.at[idx], kind)(y)) * jnp.arange(12.0).reshape(4, 3))
        gx, gy = jax.grad(g, argnums=(0, 1))(x, y)
        close(gx, _fd_grad(lambda x: g(x, y), np.asarray(x)), 1e-6)
        close(gy, _fd_grad(lambda y: g(x, y), np.asarray(y)), 1e-6)


def test_grad_scalar_update_broadcast(x64):
    x = jnp.arange(6.0).reshape(2, 3)
    g = jax.grad(lambda s: jnp.sum(x.at[:, 1].set(s) ** 2))(2.0)
    close(g, 2 * 2.0 * 2)
    g = jax.grad(lambda s: jnp.sum(x.at[np.array([0, 0, 1]), 1].add(s)))(2.0)
    close(g, 3.0)
    g = jax.grad(lambda s: jnp.sum(x.at[7].set(s)))(2.0)  # dropped: no gradient
    close(g, 0.0)


def test_grad_dynamic_index(x64):
    x = jnp.asarray(np.random.default_rng(7).normal(size=(5,)))
    for i in (0, 3, -1, 9, -9):
        g = jax.grad(lambda x: x[jnp.asarray(i)] ** 2)(x)
        k = min(max(i + 5 if i < 0 else i, 0), 4)
        e = np.zeros(5)
        e[k] = 2 * float(x[k])
        close(g, e)
    g = jax.jit(jax.grad(lambda x, i: jnp.sin(x[i]), argnums=0))(x, 2)
    e = np.zeros(5)
    e[2] = np.cos(float(x[2]))
    close(g, e)


def test_scatter_mul_zero_updates_and_min_ties(x64):
    x = jnp.array([2.0, 3.0])
    idx = np.array([0, 0, 1])
    y = jnp.array([0.0, 5.0, 0.0])
    gy = jax.grad(lambda y: jnp.sum(x.at[idx].multiply(y)))(y)
    # out0 = 2*y0*y1 (d/dy0 = 2*y1 = 10, d/dy1 = 2*y0 = 0); out1 = 3*y2 (d/dy2 = 3)
    close(gy, [10.0, 0.0, 3.0])
    # ties: the tangent is split evenly between the operand and the equal updates
    g_x, g_y = jax.grad(lambda x, y: jnp.sum(x.at[np.array([0, 0])].min(y)), argnums=(0, 1))(
        jnp.array([1.0, 4.0]), jnp.array([1.0, 1.0]))
    close(g_x, [1 / 3, 1.0])
    close(g_y, [1 / 3, 1 / 3])


def test_check_grads_orders(x64):
    rng = np.random.default_rng(8)
    x = jnp.asarray(rng.uniform(0.5, 1.5, size=(3, 4)))
    y = jnp.asarray(rng.uniform(0.5, 1.5, size=(2, 4)))
    i = np.array([2, 0])
    check_grads(lambda x: x[np.array([0, 2, 2]), 1:] ** 2, (x,), order=2)
    check_grads(lambda x, y: x.at[i].add(y ** 2), (x, y), order=2)
    check_grads(lambda x, y: x.at[i].set(y * x[1]), (x, y), order=2)
    check_grads(lambda x, y: x.at[np.array([1, 1])].multiply(y), (x, y), order=2)
    check_grads(lambda x: jnp.take_along_axis(x, np.array([[1], [0], [3]]), axis=1) ** 3, (x,),
                order=2)
    check_grads(lambda x: x.at[np.array([0, 7])].get(mode="fill", fill_value=0.0) ** 2, (x,),
                order=2)


def test_hessian_through_gather(x64):
    x = jnp.array([1.0, 2.0, 3.0])
    g = jax.grad(lambda x: jnp.sum(x[np.array([0, 0, 2])] ** 3))
    hess_diag = jax.grad(lambda x: g(x)[0])(x)
    close(hess_diag, [12.0, 0.0, 0.0])


def test_linear_transpose_of_indexing(x64):
    x = jnp.arange(6.0).reshape(2, 3)
    f = lambda x: x[:, np.array([2, 2, 0])]  # noqa: E731
    (ct,) = jax.linear_transpose(f, x)(jnp.ones((2, 3)))
    same(ct, [[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]])
    f = lambda x: lax.dynamic_slice(x, (0, 1), (2, 2))  # noqa: E731
    (ct,) = jax.linear_transpose(f, x)(jnp.ones((2, 2)))
    same(ct, [[0, 1, 1], [0, 1, 1]])


def test_vjp_of_fill_gather_has_zero_cotangent_at_filled(x64):
    x = jnp.array([1.0, 2.0])
    y, pb = jax.vjp(lambda x: x.at[np.array([0, 5])].get(mode="fill"), x)
    assert np.isnan(np.asarray(y)[1])
    (ct,) = pb(jnp.array([1.0, 1.0]))
    same(ct, [1.0, 0.0])


# --------------------------------------------------------------------------
# the seeds


def test_seed_programs():
    x = jnp.array([1.0, 2.0, 3.0])
    assert float(x[0]) == 1.0 and float(x[1]) == 2.0

    def f(X):
        return X[0] ** 2 + 3 * jnp.sin(X[1]) + jnp.cos(X[2])
    close(jax.grad(f)(jnp.array([2.0, 3.0, 1.0])), [4.0, -2.9699774, -0.84147096], 1e-5)

    A = jnp.array([1, 2, 3])
    A = A.at[0].set(0)
    assert str(A) == "[0 2 3]"

    norms = jnp.zeros(4)
    vecs = jnp.arange(8.0).reshape(4, 2)
    for i in range(4):
        norms = norms.at[i].set(jnp.sqrt(jnp.sum(vecs[i] ** 2)))
    close(norms, np.linalg.norm(np.arange(8.0).reshape(4, 2), axis=1), 1e-6)

    @jax.jit
    def fill(norms, vecs, i):
        return norms.at[i].set(jnp.sqrt(jnp.sum(vecs[i] ** 2)))
    n2 = jnp.zeros(4)
    for i in range(4):
        n2 = fill(n2, vecs, i)
    close(n2, norms)


def test_iteration_over_rows():
    x = jnp.arange(6.0).reshape(3, 2)
    rows = list(x)
    assert len(rows) == 3
    same(rows[2], [4.0, 5.0])


def test_eager_scalar_index_is_fast():
    x = jnp.array([1.0, 2.0, 3.0], dtype=jnp.float32)
    n = 2000
    t = min(timeit.repeat(lambda: x[0], number=n, repeat=5)) / n
    assert t < 50e-6, f"x[0] took {t * 1e6:.1f} us"
