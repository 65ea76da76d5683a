"""cotan.numpy sorting, searching and set operations (and lax.sort/top_k
beyond the primitive table): values vs NumPy, gradients, vmap, jit, errors."""
import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan import lax
from cotan.errors import ConcretizationTypeError
from cotan.test_util import check_grads

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 5))
XI = RNG.integers(0, 4, (4, 6))
XN = np.array([3.0, np.nan, -1.0, 0.0, -0.0, np.inf, 2.0, -np.inf, 2.0])
C = np.array([1 + 2j, 1 - 1j, 0 + 1j, 3 + 0j, 1 - 1j])

# (name, cotan function, NumPy reference, args); JAX's unique_* results are
# sorted (NumPy 2.4's unique_values is not), so they compare with np.unique
CASES = [
    ("sort", jnp.sort, np.sort, (X,)),
    ("sort-axis0", lambda a: jnp.sort(a, axis=0), lambda a: np.sort(a, axis=0), (X,)),
    ("sort-None", lambda a: jnp.sort(a, axis=None), lambda a: np.sort(a, axis=None), (X,)),
    ("sort-int", jnp.sort, np.sort, (XI,)),
    ("sort-nan", jnp.sort, np.sort, (XN,)),
    ("sort-complex", jnp.sort, np.sort, (C,)),
    ("sort-desc", lambda a: jnp.sort(a, descending=True), lambda a: np.sort(a)[..., ::-1], (X,)),
    ("argsort", jnp.argsort, lambda a: np.argsort(a, kind="stable"), (XI,)),
    ("argsort-nan", jnp.argsort, lambda a: np.argsort(a, kind="stable"), (XN,)),
    ("argsort-desc", lambda a: jnp.argsort(a, descending=True),
     lambda a: np.argsort(-a, kind="stable"), (XI,)),
    ("lexsort", lambda a, b: jnp.lexsort((a, b)), lambda a, b: np.lexsort((a, b)),
     (XI[0], XI[1])),
    ("lexsort-2d", lambda a, b: jnp.lexsort((a, b), axis=0),
     lambda a, b: np.lexsort((a, b), axis=0), (XI, XI[::-1])),
    ("sort_complex", jnp.sort_complex, np.sort_complex, (XI[0],)),
    ("searchsorted", jnp.searchsorted, np.searchsorted, (np.sort(XN), XN)),
    ("searchsorted-right", lambda a, v: jnp.searchsorted(a, v, side="right"),
     lambda a, v: np.searchsorted(a, v, side="right"), (np.array([1, 2, 2, 3]), XI)),
    ("searchsorted-sorter", lambda a, v, s: jnp.searchsorted(a, v, sorter=s),
     lambda a, v, s: np.searchsorted(a, v, sorter=s), (X[0], X[1], np.argsort(X[0]))),
    ("unique", jnp.unique, np.unique, (XI,)),
    ("unique-all-returns",
     lambda a: jnp.unique(a, return_index=True, return_inverse=True, return_counts=True),
     lambda a: np.unique(a, return_index=True, return_inverse=True, return_counts=True), (XI,)),
    ("unique-nan", jnp.unique, np.unique, (np.array([2.0, np.nan, 1.0, np.nan, 2.0]),)),
    ("unique-axis0", lambda a: jnp.unique(a, axis=0, return_inverse=True, return_counts=True),
     lambda a: np.unique(a, axis=0, return_inverse=True, return_counts=True),
     (np.array([[1, 2], [0, 5], [1, 2], [0, 4]]),)),
    ("unique-axis1", lambda a: jnp.unique(a, axis=1), lambda a: np.unique(a, axis=1),
     (np.array([[1, 0, 1], [2, 5, 2]]),)),
    ("unique_values", jnp.unique_values, np.unique, (XI,)),
    ("unique_counts", lambda a: tuple(jnp.unique_counts(a)),
     lambda a: np.unique(a, return_counts=True), (XI,)),
    ("unique_inverse", lambda a: tuple(jnp.unique_inverse(a)),
     lambda a: (np.unique(a), np.unique(a, return_inverse=True)[1].reshape(a.shape)),
     (XI,)),
    ("unique_all", lambda a: tuple(jnp.unique_all(a)), lambda a: np.unique(a, return_index=True, return_inverse=True,
                                                   return_counts=True), (XI,)),
    ("union1d", jnp.union1d, np.union1d, (XI[0], XI[1])),
    ("intersect1d", jnp.intersect1d, np.intersect1d, (XI[0], XI[1])),
    ("intersect1d-indices", lambda a, b: jnp.intersect1d(a, b, return_indices=True),
     lambda a, b: np.intersect1d(a, b, return_indices=True),
     (np.array([5, 1, 3, 1, 7]), np.array([3, 9, 1, 3]))),
    ("setdiff1d", jnp.setdiff1d, np.setdiff1d, (XI[0], np.array([1, 2]))),
    ("setxor1d", jnp.setxor1d, np.setxor1d, (XI[0], XI[1])),
    ("isin", jnp.isin, np.isin, (XI, np.array([0, 3]))),
    ("isin-invert", lambda a, b: jnp.isin(a, b, invert=True),
     lambda a, b: np.isin(a, b, invert=True), (XI, np.array([0, 3]))),
]


def _check(got, want, name):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), name
        for g, w in zip(got, want):
            _check(g, w, name)
        return
    g = np.asarray(got)
    w = np.asarray(want)
    assert g.shape == w.shape, f"{name}: shape {g.shape} != {w.shape}"
    np.testing.assert_array_equal(g, w, err_msg=name)


@pytest.mark.parametrize("name,fun,ref,args", CASES, ids=[c[0] for c in CASES])
def test_values_vs_numpy(name, fun, ref, args, x64):
    _check(fun(*args), ref(*args), name)


def test_partition_like_jax():
    x = np.array([5., 1., 4., 2., 3., 0., 2.])
    # JAX's layout: the kth+1 smallest ascending, then the rest descending
    np.testing.assert_array_equal(jnp.partition(x, 2), [0, 1, 2, 5, 4, 3, 2])
    np.testing.assert_array_equal(jnp.argpartition(x, 2), [5, 1, 3, 0, 2, 4, 6])
    np.testing.assert_array_equal(jnp.partition(x, 4), [0, 1, 2, 2, 3, 5, 4])
    y = RNG.standard_normal((3, 6)).astype(np.float32)
    for k in (0, 2, 5):
        p = np.asarray(jnp.partition(y, k, axis=1))
        np.testing.assert_array_equal(p[:, k], np.partition(y, k, axis=1)[:, k])
        ap = np.asarray(jnp.argpartition(y.T, k, axis=0))
        np.testing.assert_array_equal(np.take_along_axis(y.T, ap, 0), jnp.partition(y.T, k, 0))


def test_unique_size_fill_like_jax():
    x = np.array([3, 1, 3, 2])
    vals, idx, inv, cnt = jnp.unique(x, size=5, return_index=True, return_inverse=True,
                                     return_counts=True)
    np.testing.assert_array_equal(vals, [1, 2, 3, 1, 1])
    np.testing.assert_array_equal(idx, [1, 3, 0, 1, 1])
    np.testing.assert_array_equal(inv, [2, 0, 2, 1])
    np.testing.assert_array_equal(cnt, [1, 1, 2, 0, 0])
    np.testing.assert_array_equal(jnp.unique(x, size=5, fill_value=-7), [1, 2, 3, -7, -7])
    np.testing.assert_array_equal(jnp.unique(x, size=2), [1, 2])
    np.testing.assert_array_equal(jnp.union1d(np.array([1, 2]), np.array([2, 3]), size=5),
                                  [1, 2, 3, 1, 1])
    np.testing.assert_array_equal(jnp.setdiff1d(np.array([1, 2, 3]), np.array([2]), size=4),
                                  [1, 3, 0, 0])
    np.testing.assert_array_equal(
        jnp.setxor1d(np.array([1, 2, 3]), np.array([2, 5]), size=5), [1, 3, 5, 1, 1])
    np.testing.assert_array_equal(
        jnp.intersect1d(np.array([1, 2, 3]), np.array([2, 3, 4]), size=4), [2, 3, 2, 2])


@pytest.mark.parametrize("fname,call", [
    ("unique", lambda x: jnp.unique(x, size=6, return_counts=True, return_inverse=True)),
    ("union1d", lambda x: jnp.union1d(x, x[::-1] + 1, size=8)),
    ("intersect1d", lambda x: jnp.intersect1d(x, x + 1, size=4)),
    ("setdiff1d", lambda x: jnp.setdiff1d(x, x[:2], size=4)),
    ("setxor1d", lambda x: jnp.setxor1d(x, x + 2, size=6)),
    ("sort", lambda x: (jnp.sort(x), jnp.argsort(x, descending=True))),
    ("searchsorted", lambda x: jnp.searchsorted(jnp.sort(x), x, side="right")),
    ("partition", lambda x: (jnp.partition(x, 3), jnp.argpartition(x, 1))),
    ("lexsort", lambda x: jnp.lexsort((x, x % 2))),
    ("isin", lambda x: jnp.isin(x, np.array([1, 2]))),
])
def test_jit_and_vmap(fname, call):
    xs = RNG.integers(0, 5, (3, 6))
    eager = call(xs[0])
    jitted = cotan.jit(call)(xs[0])
    for a, b in zip(np.atleast_1d(*eager) if isinstance(eager, tuple) else [eager],
                    np.atleast_1d(*jitted) if isinstance(jitted, tuple) else [jitted]):
        np.testing.assert_array_equal(a, b, err_msg=f"{fname}: eager vs jit")
    batched = cotan.vmap(call)(xs)
    loop = [call(x) for x in xs]
    if isinstance(batched, tuple):
        for j, b in enumerate(batched):
            np.testing.assert_array_equal(b, np.stack([np.asarray(l[j]) for l in loop]),
                                          err_msg=f"{fname}: vmap vs loop")
    else:
        np.testing.assert_array_equal(batched, np.stack([np.asarray(l) for l in loop]),
                                      err_msg=f"{fname}: vmap vs loop")


@pytest.mark.parametrize("f", [
    lambda x: jnp.sort(x),
    lambda x: jnp.sort(x, axis=0, descending=True),
    lambda x: jnp.sort(x, axis=None),
    lambda x: jnp.partition(x, 2, axis=1),
    lambda x: lax.sort_key_val(x[0], x[1])[1],
    lambda x: lax.top_k(x.T, 2)[0],
    lambda x: jnp.unique(x, size=4),
], ids=["sort", "sort-desc", "sort-flat", "partition", "sort_key_val", "top_k", "unique-size"])
def test_grads(f, x64):
    check_grads(f, (X,), 2, modes=("fwd", "rev"))


def test_grad_follows_permutation(x64):
    x = np.array([3.0, 1.0, 2.0])
    g = cotan.grad(lambda x: jnp.sort(x) @ np.array([1.0, 10.0, 100.0]))(x)
    np.testing.assert_array_equal(g, [100.0, 1.0, 10.0])


def test_lax_sort_multi_and_top_k():
    a = np.array([[2, 1, 2, 1], [0, 3, 0, 3]])
    b = np.array([[4., 3., 1., 2.], [1., 2., 3., 4.]])
    k, v = lax.sort((a, b), dimension=1, num_keys=2)
    np.testing.assert_array_equal(k, [[1, 1, 2, 2], [0, 0, 3, 3]])
    np.testing.assert_array_equal(v, [[2., 3., 1., 4.], [1., 3., 2., 4.]])
    vals, idx = lax.top_k(np.array([1., 3., np.nan, 2., 3.]), 3)
    np.testing.assert_array_equal(vals, [np.nan, 3., 3.])
    np.testing.assert_array_equal(idx, [2, 1, 4])
    assert np.asarray(idx).dtype == np.int32
    np.testing.assert_array_equal(lax.argsort(np.array([2., 1., 2.])), [1, 0, 2])
    xs = RNG.standard_normal((4, 3, 5))
    np.testing.assert_array_equal(cotan.vmap(lambda x: lax.top_k(x, 2, axis=0)[1], 2)(xs),
                                  np.stack([lax.top_k(xs[..., i], 2, axis=0)[1]
                                            for i in range(5)]))


def test_errors():
    with pytest.raises(ConcretizationTypeError, match="size="):
        cotan.jit(jnp.unique)(np.array([1, 2, 2]))
    with pytest.raises(ConcretizationTypeError, match="size="):
        cotan.jit(lambda a: jnp.setdiff1d(a, a[:1]))(np.array([1, 2, 2]))
    with pytest.raises(TypeError, match="order"):
        jnp.sort(X, order="x")
    with pytest.raises(ValueError):
        jnp.searchsorted(X, 1.0)
    with pytest.raises(ValueError, match="side"):
        jnp.searchsorted(X[0], 1.0, side="middle")
    with pytest.raises(ValueError):
        lax.top_k(X, 7)
    with pytest.raises(ValueError, match="num_keys"):
        lax.sort((X, X), num_keys=3)
    with pytest.raises(TypeError, match="same shape"):
        lax.sort((X, X[0]))
    with pytest.raises(ValueError):
        jnp.lexsort((XI[0], XI[1, :3]))
