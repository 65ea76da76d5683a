"""packbits/unpackbits, place/put/put_along_axis (functional), mask_indices vs NumPy."""
import numpy as np
import pytest

import cotan
import cotan.numpy as jnp


@pytest.mark.parametrize("bitorder", ["big", "little"])
def test_packbits(bitorder):
    rng = np.random.RandomState(0)
    a = rng.randint(0, 3, size=(3, 11)).astype(np.int32)
    for axis in (None, 0, 1, -1):
        got = jnp.packbits(jnp.asarray(a), axis=axis, bitorder=bitorder)
        ref = np.packbits(a, axis=axis, bitorder=bitorder)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(np.asarray(got), ref)
    b = a > 0
    np.testing.assert_array_equal(np.asarray(jnp.packbits(jnp.asarray(b), axis=1)),
                                  np.packbits(b, axis=1))
    with pytest.raises(TypeError):
        jnp.packbits(jnp.array([1.5]))
    with pytest.raises(ValueError):
        jnp.packbits(jnp.array([1]), bitorder="middle")


@pytest.mark.parametrize("bitorder", ["big", "little"])
def test_unpackbits(bitorder):
    a = np.array([[5, 255, 0], [3, 128, 77]], dtype=np.uint8)
    for axis in (None, 0, 1):
        for count in (None, 3, 10, -5, 40):
            got = jnp.unpackbits(jnp.asarray(a), axis=axis, count=count, bitorder=bitorder)
            ref = np.unpackbits(a, axis=axis, count=count, bitorder=bitorder)
            assert got.dtype == np.uint8
            np.testing.assert_array_equal(np.asarray(got), ref)
    with pytest.raises(TypeError):
        jnp.unpackbits(jnp.array([5]))
    # round trip, also under jit
    bits = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1], dtype=np.uint8)
    packed = cotan.jit(jnp.packbits)(jnp.asarray(bits))
    np.testing.assert_array_equal(
        np.asarray(cotan.jit(lambda p: jnp.unpackbits(p, count=9))(packed)), bits)


def test_place():
    a = np.arange(6.).reshape(2, 3)
    mask = a > 2
    got = jnp.place(jnp.asarray(a), jnp.asarray(mask), jnp.array([10., 20.]), inplace=False)
    ref = a.copy()
    np.place(ref, mask, [10., 20.])
    np.testing.assert_array_equal(np.asarray(got), ref)
    with pytest.raises(ValueError, match="in-place"):
        jnp.place(jnp.asarray(a), jnp.asarray(mask), jnp.array([1.]))


@pytest.mark.parametrize("mode", [None, "clip", "wrap"])
def test_put(mode):
    a = np.zeros((2, 3))
    ind = np.array([0, 7, -1, 2])
    v = np.array([1., 2., 3.])
    got = jnp.put(jnp.asarray(a), jnp.asarray(ind), jnp.asarray(v), mode=mode, inplace=False)
    ref = a.copy()
    if mode is None:  # out-of-range indices are dropped (JAX semantics)
        np.put(ref, [0, -1, 2], [1., 3., 1.])
    else:
        np.put(ref, ind, v, mode=mode)
    np.testing.assert_array_equal(np.asarray(got), ref)
    with pytest.raises(ValueError, match="in-place"):
        jnp.put(jnp.asarray(a), jnp.asarray(ind), jnp.asarray(v))


def test_put_along_axis():
    rng = np.random.RandomState(1)
    a = rng.randn(3, 4)
    idx = np.argsort(a, axis=1)[:, :2]
    vals = np.array([[1.], [2.], [3.]])
    got = jnp.put_along_axis(jnp.asarray(a), jnp.asarray(idx), jnp.asarray(vals), 1,
                             inplace=False)
    ref = a.copy()
    np.put_along_axis(ref, idx, vals, 1)
    np.testing.assert_allclose(np.asarray(got), ref)
    idx0 = np.array([[2, 0, 1, 1]])
    got = jnp.put_along_axis(jnp.asarray(a), jnp.asarray(idx0), 9., 0, inplace=False)
    ref = a.copy()
    np.put_along_axis(ref, idx0, 9., 0)
    np.testing.assert_allclose(np.asarray(got), ref)
    got = jnp.put_along_axis(jnp.asarray(a), jnp.array([5, 1]), 7., None, inplace=False)
    ref = a.copy()
    np.put_along_axis(ref, np.array([5, 1]), 7., None)
    np.testing.assert_allclose(np.asarray(got), ref)
    with pytest.raises(ValueError, match="in-place"):
        jnp.put_along_axis(jnp.asarray(a), jnp.asarray(idx), 0., 1)


def test_mask_indices():
    for func, k in ((jnp.triu, 1), (jnp.tril, 0), (jnp.triu, -1)):
        got = jnp.mask_indices(4, func, k)
        ref = np.mask_indices(4, getattr(np, func.__name__), k)
        for g, r in zip(got, ref):
            np.testing.assert_array_equal(np.asarray(g), r)
    got = jnp.mask_indices(3, jnp.triu, 1, size=5)
    assert got[0].shape == (5,)
