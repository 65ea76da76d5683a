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


def _np_ufunc():
    return np.frompyfunc(lambda x, y: x * y + 1, 2, 1)


def test_frompyfunc_call_outer_and_attrs():
    u = jnp.frompyfunc(lambda x, y: x * y + 1, 2, 1, identity=0)
    assert isinstance(u, jnp.ufunc)
    assert (u.nin, u.nout, u.nargs, u.identity) == (2, 1, 2, 0)
    a = np.arange(1., 7.).reshape(2, 3)
    np.testing.assert_allclose(np.asarray(u(jnp.asarray(a), 2.)), a * 2 + 1)
    np.testing.assert_allclose(np.asarray(u.outer(jnp.arange(2.), jnp.arange(3.))),
                               _np_ufunc().outer(np.arange(2.), np.arange(3.)).astype(float))
    assert u.outer(jnp.arange(2.), jnp.ones((2, 2))).shape == (2, 2, 2)
    v = jnp.frompyfunc(lambda x: (x, x + 1), 1, 2)
    r0, r1 = v(jnp.arange(2.))
    np.testing.assert_allclose(np.asarray(r1), [1., 2.])
    with pytest.raises(ValueError, match="binary"):
        v.reduce(jnp.ones(3))
    with pytest.raises(TypeError):
        u(jnp.ones(2))
    np.testing.assert_allclose(np.asarray(cotan.jit(u)(jnp.asarray(a), 3.)), a * 3 + 1)


def test_ufunc_reduce_accumulate_sequential_like_numpy():
    u = jnp.frompyfunc(lambda x, y: x * y + 1, 2, 1, identity=0)
    a = np.arange(1., 7.).reshape(2, 3)
    nu = _np_ufunc()
    for axis in (0, 1, None):
        np.testing.assert_allclose(np.asarray(u.reduce(jnp.asarray(a), axis=axis)),
                                   np.asarray(nu.reduce(a if axis is not None else a.ravel(),
                                                        axis=axis if axis is not None else 0),
                                              dtype=float))
    assert u.reduce(jnp.asarray(a), axis=1, keepdims=True).shape == (2, 1)
    np.testing.assert_allclose(np.asarray(u.accumulate(jnp.asarray(a), axis=1)),
                               nu.accumulate(a, axis=1).astype(float))
    np.testing.assert_allclose(np.asarray(u.accumulate(jnp.asarray(a), axis=0)),
                               nu.accumulate(a, axis=0).astype(float))
    w = np.array([[True, False, True], [True, True, False]])
    np.testing.assert_allclose(
        np.asarray(u.reduce(jnp.asarray(a), where=jnp.asarray(w), initial=5.)), [25., 26., 16.])
    assert float(u.reduce(jnp.zeros((0,)))) == 0.0
    f = cotan.jit(lambda x: u.reduce(x, axis=1))
    np.testing.assert_allclose(np.asarray(f(jnp.asarray(a))), [10., 127.])
    with pytest.raises(NotImplementedError):
        u.reduce(jnp.asarray(a), axis=(0, 1))
    m = jnp.frompyfunc(jnp.maximum, 2, 1)
    with pytest.raises(ValueError, match="identity"):
        m.reduce(jnp.zeros((0,)))


def test_ufunc_at_and_reduceat():
    u = jnp.frompyfunc(lambda x, y: x * y + 1, 2, 1, identity=0)
    got = u.at(jnp.zeros(4), jnp.array([0, 0, 2]), 3., inplace=False)
    np.testing.assert_allclose(np.asarray(got), [4., 0., 1., 0.])  # repeated index applied twice
    with pytest.raises(ValueError, match="in-place"):
        u.at(jnp.zeros(4), jnp.array([0]), 1.)
    neg = jnp.frompyfunc(lambda x: -x, 1, 1)
    np.testing.assert_allclose(
        np.asarray(neg.at(jnp.arange(4.), jnp.array([1, 1, 3]), inplace=False)), [0., 1., 2., -3.])
    idx = np.array([0, 4, 1, 5])
    np.testing.assert_allclose(np.asarray(u.reduceat(jnp.arange(8.), jnp.asarray(idx))),
                               _np_ufunc().reduceat(np.arange(8.), idx).astype(float))
