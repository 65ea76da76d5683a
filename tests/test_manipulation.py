"""Array manipulation, polynomial, histogram, statistics and extra math functions
of cotan.numpy: values vs NumPy, derivatives, vmap vs loop, jit vs eager."""
from __future__ import annotations

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan.test_util import check_grads

R = np.random.default_rng(0)
X34 = R.standard_normal((3, 4))
X5 = R.standard_normal(5)
X345 = R.standard_normal((3, 4, 5))
I7 = np.array([3, 0, 2, 2, 5, 1, 0])
XP = np.array([0.0, 1.0, 2.5, 4.0])
FP = np.array([1.0, -1.0, 3.0, 2.0])
XQ = np.array([-1.0, 0.0, 0.3, 1.0, 2.0, 3.9, 4.0, 5.0])

# (name, cotan fn, numpy fn, args)
VALUE_CASES = [
    ("roll", lambda x: jnp.roll(x, 2, 1), lambda x: np.roll(x, 2, 1), (X34,)),
    ("roll_flat", lambda x: jnp.roll(x, -3), lambda x: np.roll(x, -3), (X34,)),
    ("roll_multi", lambda x: jnp.roll(x, (1, -2), (0, 1)), lambda x: np.roll(x, (1, -2), (0, 1)), (X34,)),
    ("flip", lambda x: jnp.flip(x, 1), lambda x: np.flip(x, 1), (X34,)),
    ("flip_all", jnp.flip, np.flip, (X345,)),
    ("fliplr", jnp.fliplr, np.fliplr, (X34,)),
    ("flipud", jnp.flipud, np.flipud, (X34,)),
    *[(f"rot90_{k}", lambda x, k=k: jnp.rot90(x, k), lambda x, k=k: np.rot90(x, k), (X34,))
      for k in (-1, 1, 2, 3)],
    ("rot90_axes", lambda x: jnp.rot90(x, 1, (2, 0)), lambda x: np.rot90(x, 1, (2, 0)), (X345,)),
    ("tile", lambda x: jnp.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), (X34,)),
    ("tile_int", lambda x: jnp.tile(x, 2), lambda x: np.tile(x, 2), (X5,)),
    ("repeat", lambda x: jnp.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1), (X34,)),
    ("repeat_flat", lambda x: jnp.repeat(x, 3), lambda x: np.repeat(x, 3), (X34,)),
    ("repeat_arr", lambda x: jnp.repeat(x, np.array([1, 0, 3]), axis=0),
     lambda x: np.repeat(x, np.array([1, 0, 3]), axis=0), (X34,)),
    ("diff", lambda x: jnp.diff(x, 2, axis=0), lambda x: np.diff(x, 2, axis=0), (X34,)),
    ("diff_pre", lambda x: jnp.diff(x, prepend=1.0, append=np.ones((3, 2))),
     lambda x: np.diff(x, prepend=1.0, append=np.ones((3, 2))), (X34,)),
    ("ediff1d", lambda x: jnp.ediff1d(x, to_begin=[9.0], to_end=[1.0, 2.0]),
     lambda x: np.ediff1d(x, to_begin=[9.0], to_end=[1.0, 2.0]), (X34,)),
    ("gradient", jnp.gradient, np.gradient, (X34,)),
    ("gradient_h", lambda x: jnp.gradient(x, 0.5, axis=1), lambda x: np.gradient(x, 0.5, axis=1), (X34,)),
    ("gradient_coords", lambda x: jnp.gradient(x, np.array([0.0, 1.0, 3.0, 3.5]), axis=1),
     lambda x: np.gradient(x, np.array([0.0, 1.0, 3.0, 3.5]), axis=1), (X34,)),
    ("interp", lambda x: jnp.interp(x, XP, FP), lambda x: np.interp(x, XP, FP), (XQ,)),
    ("interp_lr", lambda x: jnp.interp(x, XP, FP, left=-9.0, right=9.0),
     lambda x: np.interp(x, XP, FP, left=-9.0, right=9.0), (XQ,)),
    ("interp_period", lambda x: jnp.interp(x, np.array([3.0, 0.5, 2.0]), FP[:3], period=4.0),
     lambda x: np.interp(x, np.array([3.0, 0.5, 2.0]), FP[:3], period=4.0), (XQ,)),
    ("tril", lambda x: jnp.tril(x, 1), lambda x: np.tril(x, 1), (X345,)),
    ("triu", lambda x: jnp.triu(x, -1), lambda x: np.triu(x, -1), (X34,)),
    ("diagonal", lambda x: jnp.diagonal(x, 1, 2, 0), lambda x: np.diagonal(x, 1, 2, 0), (X345,)),
    ("diag_2d", lambda x: jnp.diag(x, -1), lambda x: np.diag(x, -1), (X34,)),
    ("diag_1d", lambda x: jnp.diag(x, 2), lambda x: np.diag(x, 2), (X5,)),
    ("diagflat", lambda x: jnp.diagflat(x, -1), lambda x: np.diagflat(x, -1), (X34[:2, :2],)),
    ("trace", lambda x: jnp.trace(x, 1), lambda x: np.trace(x, 1), (X34,)),
    ("convolve_full", jnp.convolve, np.convolve, (X5, X5[:3])),
    ("convolve_same", lambda a, v: jnp.convolve(a, v, "same"), lambda a, v: np.convolve(a, v, "same"), (X5[:3], X5)),
    ("convolve_valid", lambda a, v: jnp.convolve(a, v, "valid"), lambda a, v: np.convolve(a, v, "valid"), (X5, X5[:2])),
    ("correlate_valid", jnp.correlate, np.correlate, (X5, X5[:3])),
    ("correlate_full", lambda a, v: jnp.correlate(a, v, "full"), lambda a, v: np.correlate(a, v, "full"), (X5[:3], X5)),
    ("correlate_same", lambda a, v: jnp.correlate(a, v, "same"), lambda a, v: np.correlate(a, v, "same"), (X5[:2], X5)),
    ("polyval", jnp.polyval, np.polyval, (X5[:3], X34)),
    ("polyadd", jnp.polyadd, np.polyadd, (X5[:2], X5)),
    ("polysub", jnp.polysub, np.polysub, (X5, X5[:3])),
    ("polymul", jnp.polymul, np.polymul, (X5[:3], X5)),
    ("polyder", lambda p: jnp.polyder(p, 2), lambda p: np.polyder(p, 2), (X5,)),
    ("polyint", lambda p: jnp.polyint(p, 2, k=[1.0, 2.0]), lambda p: np.polyint(p, 2, k=[1.0, 2.0]), (X5,)),
    ("median", lambda x: jnp.median(x, axis=1), lambda x: np.median(x, axis=1), (X34,)),
    ("median_all", jnp.median, np.median, (X345,)),
    ("median_keep", lambda x: jnp.median(x, axis=(0, 2), keepdims=True),
     lambda x: np.median(x, axis=(0, 2), keepdims=True), (X345,)),
    *[(f"quantile_{m}", lambda x, m=m: jnp.quantile(x, np.array([0.0, 0.3, 0.5, 1.0]), axis=0, method=m),
       lambda x, m=m: np.quantile(x, np.array([0.0, 0.3, 0.5, 1.0]), axis=0, method=m), (X34,))
      for m in ("linear", "lower", "higher", "midpoint", "nearest")],
    ("percentile", lambda x: jnp.percentile(x, 37.0, axis=1), lambda x: np.percentile(x, 37.0, axis=1), (X34,)),
    ("cov", jnp.cov, np.cov, (X34,)),
    ("cov_opts", lambda x, y: jnp.cov(x, y, rowvar=False, ddof=0, aweights=np.array([1.0, 2.0, 0.5])),
     lambda x, y: np.cov(x, y, rowvar=False, ddof=0, aweights=np.array([1.0, 2.0, 0.5])), (X34, X34[:, :2])),
    ("corrcoef", jnp.corrcoef, np.corrcoef, (X34,)),
    ("cross3", jnp.cross, np.cross, (X34[:, :3], X34[:, 1:])),
    ("cross2", jnp.cross, np.cross, (X34[:, :2], X34[:, 2:])),
    ("kron", jnp.kron, np.kron, (X34[:2, :3], X34)),
    ("vander", jnp.vander, np.vander, (X5,)),
    ("vander_inc", lambda x: jnp.vander(x, 3, increasing=True), lambda x: np.vander(x, 3, increasing=True), (X5,)),
    ("append", lambda a, b: jnp.append(a, b, axis=0), lambda a, b: np.append(a, b, axis=0), (X34, X34[:1])),
    ("insert", lambda a: jnp.insert(a, 1, 5.0, axis=1), lambda a: np.insert(a, 1, 5.0, axis=1), (X34,)),
    ("insert_seq", lambda a: jnp.insert(a, [0, 2, 2], np.array([7.0, 8.0, 9.0])),
     lambda a: np.insert(a, [0, 2, 2], np.array([7.0, 8.0, 9.0])), (X5,)),
    ("delete", lambda a: jnp.delete(a, [0, 2], axis=1), lambda a: np.delete(a, [0, 2], axis=1), (X34,)),
    ("delete_slice", lambda a: jnp.delete(a, slice(None, None, 2)), lambda a: np.delete(a, slice(None, None, 2)), (X5,)),
    ("resize", lambda a: jnp.resize(a, (4, 5)), lambda a: np.resize(a, (4, 5)), (X34[:2, :3],)),
    ("unwrap", jnp.unwrap, np.unwrap, (np.cumsum(R.uniform(0, 4, 9)),)),
    ("fill_diagonal", lambda a: jnp.fill_diagonal(a, np.array([1.0, 2.0]), wrap=True, inplace=False),
     lambda a: _np_fill(a, np.array([1.0, 2.0]), True), (np.zeros((7, 3)),)),
    ("nan_to_num", jnp.nan_to_num, np.nan_to_num, (np.array([np.nan, np.inf, -np.inf, 1.5]),)),
    ("fmax", jnp.fmax, np.fmax, (np.array([1.0, np.nan, 3.0, np.nan]), np.array([2.0, 1.0, np.nan, np.nan]))),
    ("fmin", jnp.fmin, np.fmin, (np.array([1.0, np.nan, 3.0, np.nan]), np.array([2.0, 1.0, np.nan, np.nan]))),
    ("modf", jnp.modf, np.modf, (np.array([-1.5, 2.25, 0.0, 7.0]),)),
    ("frexp", jnp.frexp, np.frexp, (np.array([8.0, 0.3, 0.0, -5.0, 1e-310, 1.0]),)),
    ("ldexp", jnp.ldexp, np.ldexp, (np.array([1.0, -0.75, 3.0]), np.array([3, -2, 1020]))),
    ("gcd", jnp.gcd, np.gcd, (np.array([12, -8, 0, 7]), np.array([18, 12, 5, 0]))),
    ("lcm", jnp.lcm, np.lcm, (np.array([4, 0, -6, 7]), np.array([6, 5, 4, 3]))),
    ("bincount", lambda x: jnp.bincount(x, minlength=8), lambda x: np.bincount(x, minlength=8), (I7,)),
    ("bincount_w", lambda x: jnp.bincount(x, weights=np.arange(7.0)), lambda x: np.bincount(x, weights=np.arange(7.0)), (I7,)),
    ("digitize", lambda x: jnp.digitize(x, XP), lambda x: np.digitize(x, XP), (XQ,)),
    ("digitize_right_dec", lambda x: jnp.digitize(x, XP[::-1], right=True),
     lambda x: np.digitize(x, XP[::-1], right=True), (XQ,)),
    ("histogram", lambda x: jnp.histogram(x, bins=4), lambda x: np.histogram(x, bins=4), (X345,)),
    ("histogram_edges", lambda x: jnp.histogram(x, bins=XP, density=True),
     lambda x: np.histogram(x, bins=XP, density=True), (XQ,)),
    ("histogram_range_w", lambda x: jnp.histogram(x, bins=3, range=(-1.0, 1.0), weights=x * 2),
     lambda x: np.histogram(x, bins=3, range=(-1.0, 1.0), weights=x * 2), (X34,)),
    ("histogram2d", lambda x, y: jnp.histogram2d(x, y, bins=3),
     lambda x, y: np.histogram2d(x, y, bins=3), (X34[0], X34[1])),
    ("ravel_multi_index", lambda i, j: jnp.ravel_multi_index((i, j), (3, 4)),
     lambda i, j: np.ravel_multi_index((i, j), (3, 4)), (np.array([0, 2, 1]), np.array([3, 0, 1]))),
    ("ravel_multi_index_F", lambda i, j: jnp.ravel_multi_index((i, j), (3, 4), mode="wrap", order="F"),
     lambda i, j: np.ravel_multi_index((i, j), (3, 4), mode="wrap", order="F"), (np.array([0, 5, 1]), np.array([3, 0, -1]))),
    ("unravel_index", lambda i: jnp.unravel_index(i, (3, 4)), lambda i: np.unravel_index(i, (3, 4)), (np.array([0, 5, 11]),)),
]


def _np_fill(a, v, wrap):
    a = a.copy()
    np.fill_diagonal(a, v, wrap=wrap)
    return a


def _assert_tree_close(actual, expected, tol):
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            _assert_tree_close(a, e, tol)
        return
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.shape == e.shape, (a.shape, e.shape)
    np.testing.assert_allclose(a, e, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("name,f,g,args", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_values_vs_numpy(x64, name, f, g, args):
    _assert_tree_close(f(*[jnp.asarray(a) for a in args]), g(*args), 1e-10)


def test_split_family():
    x = np.arange(24.0).reshape(4, 6)
    for f, g, arg in [(jnp.split, np.split, 2), (jnp.split, np.split, [1, 4]),
                      (jnp.array_split, np.array_split, 4), (jnp.hsplit, np.hsplit, 3),
                      (jnp.vsplit, np.vsplit, [3])]:
        _assert_tree_close(f(jnp.asarray(x), arg), g(x, arg), 0)
    x3 = np.arange(24.0).reshape(2, 3, 4)
    _assert_tree_close(jnp.dsplit(jnp.asarray(x3), 2), np.dsplit(x3, 2), 0)
    with pytest.raises(ValueError):
        jnp.split(jnp.asarray(x), 4, axis=1)


PAD_MODES = ["constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum",
             "minimum", "mean", "median"]


@pytest.mark.parametrize("mode", PAD_MODES)
def test_pad_modes(x64, mode):
    x = R.standard_normal((3, 4))
    pw = ((2, 5), (3, 1))
    _assert_tree_close(jnp.pad(jnp.asarray(x), pw, mode), np.pad(x, pw, mode), 1e-12)
    kw = {"constant": {"constant_values": ((1.0, 2.0), (3.0, 4.0))},
          "reflect": {"reflect_type": "odd"}, "symmetric": {"reflect_type": "odd"},
          "linear_ramp": {"end_values": (5.0, -1.0)},
          "maximum": {"stat_length": 2}, "minimum": {"stat_length": (1, 3)},
          "mean": {"stat_length": ((1, 2), (2, 3))}, "median": {"stat_length": 2}}.get(mode)
    if kw:
        _assert_tree_close(jnp.pad(jnp.asarray(x), pw, mode, **kw), np.pad(x, pw, mode, **kw), 1e-12)
    xi = np.arange(7)
    _assert_tree_close(jnp.pad(jnp.asarray(xi), 3, mode), np.pad(xi, 3, mode), 0)
    if mode != "constant":
        check_grads(lambda v: jnp.pad(v, pw, mode), (jnp.asarray(x),), order=1)


def test_pad_empty_and_callable():
    x = jnp.arange(3.0)
    assert jnp.pad(x, 2, "empty").shape == (7,)

    def padder(v, w, iaxis, kw):
        return v.at[:w[0]].set(-1.0).at[v.shape[0] - w[1]:].set(kw.get("val", 9.0))
    np.testing.assert_array_equal(jnp.pad(jnp.ones((2, 2)), 1, padder, val=5.0),
                                  np.pad(np.ones((2, 2)), 1, _np_padder, val=5.0))
    with pytest.raises(ValueError):
        jnp.pad(x, 1, "bogus")


def _np_padder(v, w, iaxis, kw):
    v[:w[0]] = -1.0
    if w[1]:
        v[-w[1]:] = kw.get("val", 9.0)


def test_small_helpers():
    np.testing.assert_array_equal(jnp.tri(3, 4, 1), np.tri(3, 4, 1))
    for f, g in [(jnp.tril_indices, np.tril_indices), (jnp.triu_indices, np.triu_indices)]:
        _assert_tree_close(f(4, 1, 5), g(4, 1, 5), 0)
    _assert_tree_close(jnp.tril_indices_from(jnp.ones((3, 4))), np.tril_indices_from(np.ones((3, 4))), 0)
    _assert_tree_close(jnp.diag_indices(3), np.diag_indices(3), 0)
    _assert_tree_close(jnp.meshgrid(jnp.arange(2), jnp.arange(3), jnp.arange(4)),
                       np.meshgrid(np.arange(2), np.arange(3), np.arange(4)), 0)
    _assert_tree_close(jnp.meshgrid(jnp.arange(2), jnp.arange(3), indexing="ij", sparse=True),
                       np.meshgrid(np.arange(2), np.arange(3), indexing="ij", sparse=True), 0)
    _assert_tree_close(jnp.indices((2, 3)), np.indices((2, 3)), 0)
    _assert_tree_close(jnp.indices((2, 3), sparse=True), np.indices((2, 3), sparse=True), 0)
    _assert_tree_close(jnp.ix_(jnp.arange(2), jnp.arange(3)), np.ix_(np.arange(2), np.arange(3)), 0)
    np.testing.assert_array_equal(jnp.trim_zeros(jnp.array([0, 0, 1, 2, 0])), [1, 2])
    np.testing.assert_array_equal(jnp.trim_zeros(jnp.array([0, 1, 0]), "b"), [0, 1])
    np.testing.assert_array_equal(jnp.copy(jnp.arange(3)), np.arange(3))
    # JAX clips out-of-range flat indices and wraps negative ones once
    _assert_tree_close(jnp.unravel_index(jnp.array([-1, 100, 5]), (3, 4)), (np.array([2, 2, 1]), np.array([3, 3, 1])), 0)
    np.testing.assert_array_equal(jnp.bincount(jnp.array([-1, 0, 5, 1]), length=3), [2, 1, 0])
    np.testing.assert_array_equal(jnp.gcd(jnp.array([12, -8]), 18), [6, 2])
    assert jnp.iscomplexobj(jnp.ones(2, jnp.complex64)) and jnp.isrealobj(jnp.ones(2))
    np.testing.assert_array_equal(jnp.iscomplex(jnp.array([1 + 1j, 2])), [True, False])
    np.testing.assert_array_equal(jnp.isreal(jnp.array([1 + 1j, 2])), [False, True])
    with pytest.raises(NotImplementedError):
        jnp.fill_diagonal(jnp.zeros((2, 2)), 1.0)
    with pytest.raises(NotImplementedError):
        jnp.gradient(jnp.ones(3), edge_order=2)


def test_nan_quantiles(x64):
    x = R.standard_normal((4, 5))
    x[0, 1] = x[2, 2] = x[2, 4] = np.nan
    x[3] = np.nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        exp = [np.nanmedian(x, axis=1), np.nanpercentile(x, 30, axis=1),
               np.nanquantile(x, [0.2, 0.9], axis=1)]
    got = [jnp.nanmedian(x, axis=1), jnp.nanpercentile(x, 30, axis=1),
           jnp.nanquantile(x, np.array([0.2, 0.9]), axis=1)]
    _assert_tree_close(got, exp, 1e-12)
    _assert_tree_close(jnp.median(x, axis=1), np.median(x, axis=1), 1e-12)


def test_functional_helpers():
    x = R.standard_normal((3, 4, 5))
    _assert_tree_close(jnp.apply_along_axis(lambda v: jnp.sum(v ** 2), 1, x),
                       np.apply_along_axis(lambda v: np.sum(v ** 2), 1, x), 1e-5)
    _assert_tree_close(jnp.apply_along_axis(lambda v: v[::-1] * 2, 2, x),
                       np.apply_along_axis(lambda v: v[::-1] * 2, 2, x), 1e-5)
    _assert_tree_close(jnp.apply_over_axes(jnp.sum, x, [0, 2]), np.apply_over_axes(np.sum, x, [0, 2]), 1e-5)
    f = jnp.vectorize(lambda a, b: a * 2 + b)
    _assert_tree_close(f(x[:, :1, :], x[0]), x[:, :1, :] * 2 + x[0], 1e-6)
    g = jnp.vectorize(jnp.dot, signature="(n),(n)->()")
    _assert_tree_close(g(x, x[0, 0]), np.einsum("ijk,k->ij", x, x[0, 0]), 1e-5)
    h = jnp.vectorize(lambda a, p: a ** p, excluded={1})
    _assert_tree_close(h(x, 2), x ** 2, 1e-5)
    t = np.linspace(-2, 2, 9)
    _assert_tree_close(
        jnp.piecewise(t, [t < 0, t > 1], [lambda v: -v, lambda v: v * 10, lambda v: v + 100]),
        np.piecewise(t, [t < 0, t > 1], [lambda v: -v, lambda v: v * 10, lambda v: v + 100]), 1e-5)
    _assert_tree_close(jnp.piecewise(t, [t < 0], [0.5]), np.piecewise(t, [t < 0], [0.5]), 1e-6)


# -- derivatives ----------------------------------------------------------------------------

GRAD_CASES = [
    ("roll", lambda x: jnp.roll(x, 2, 1), (X34,), 2),
    ("rot90", lambda x: jnp.rot90(x), (X34,), 1),
    ("tile", lambda x: jnp.tile(x, (2, 2)), (X34,), 1),
    ("repeat", lambda x: jnp.repeat(x, np.array([1, 0, 2]), axis=0), (X34,), 1),
    ("diff", lambda x: jnp.diff(x, 2), (X34,), 1),
    ("gradient", lambda x: jnp.gradient(x, axis=1), (X34,), 1),
    ("interp", lambda x, fp: jnp.interp(x, XP, fp), (XQ[1:-1] + 0.01, FP), 2),
    ("tril_triu", lambda x: jnp.tril(x) + 2 * jnp.triu(x, 1), (X34,), 1),
    ("diag", lambda x: jnp.diag(jnp.diag(x)), (X34,), 1),
    ("trace", lambda x: jnp.trace(x * x), (X34,), 2),
    ("fill_diagonal", lambda x, v: jnp.fill_diagonal(x, v, inplace=False), (X34[:3, :3], X5[:3]), 1),
    ("convolve", lambda a, v: jnp.convolve(a, v, "same"), (X5, X5[:3]), 2),
    ("correlate", lambda a, v: jnp.correlate(a, v, "full"), (X5, X5[:3]), 1),
    ("polyval", jnp.polyval, (X5[:4], X5), 2),
    ("polymul", jnp.polymul, (X5[:3], X5), 1),
    ("polyint", lambda p: jnp.polyint(p, 1, k=0.5), (X5,), 1),
    ("polyder", lambda p: jnp.polyder(p), (X5,), 1),
    ("median", lambda x: jnp.median(x, axis=1), (X34,), 1),
    ("quantile", lambda x: jnp.quantile(x, np.array([0.3, 0.8]), axis=0), (X34,), 1),
    ("cov", jnp.cov, (X34,), 2),
    ("corrcoef", jnp.corrcoef, (X34,), 1),
    ("cross", jnp.cross, (X34[:, :3], X34[:, 1:]), 2),
    ("kron", jnp.kron, (X34[:2, :2], X34), 1),
    ("vander", jnp.vander, (X5,), 2),
    ("pad_reflect", lambda x: jnp.pad(x, 2, "reflect"), (X34,), 1),
    ("insert_delete", lambda x, v: jnp.delete(jnp.insert(x, 1, v, axis=0), 3, axis=1), (X34, X34[0]), 1),
    ("unwrap", jnp.unwrap, (np.array([0.0, 2.0, 4.1, 7.0]),), 1),
    ("fmax", jnp.fmax, (X5, X5[::-1] + 0.1), 1),
    ("ldexp", lambda x: jnp.ldexp(x, np.array([1, -2, 3, 0, 4])), (X5,), 1),
    ("histogram_w", lambda w: jnp.histogram(X5, bins=3, weights=w)[0], (X5,), 1),
    ("bincount_w", lambda w: jnp.bincount(I7, weights=w, length=6), (X5[:1].repeat(7) + np.arange(7),), 1),
]


@pytest.mark.parametrize("name,f,args,order", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads(x64, name, f, args, order):
    check_grads(f, tuple(jnp.asarray(a) for a in args), order=order, modes=("fwd", "rev"))


# -- transformations ------------------------------------------------------------------------

XB = R.standard_normal((3, 6))
TRANSFORM_CASES = [
    ("roll", lambda x: jnp.roll(x, 2)),
    ("flip", jnp.flip),
    ("tile", lambda x: jnp.tile(x, 2)),
    ("repeat", lambda x: jnp.repeat(x, 2)),
    ("pad_wrap", lambda x: jnp.pad(x, (1, 3), "wrap")),
    ("pad_mean", lambda x: jnp.pad(x, 2, "mean")),
    ("diff", jnp.diff),
    ("gradient", jnp.gradient),
    ("interp", lambda x: jnp.interp(x, XP, FP)),
    ("median", jnp.median),
    ("quantile", lambda x: jnp.quantile(x, np.array([0.25, 0.75]))),
    ("convolve", lambda x: jnp.convolve(x, np.array([1.0, -2.0, 0.5]), "same")),
    ("polyval", lambda x: jnp.polyval(x, 0.7)),
    ("vander", lambda x: jnp.vander(x, 4)),
    ("histogram", lambda x: jnp.histogram(x, bins=3, range=(-2.0, 2.0))[0]),
    ("digitize", lambda x: jnp.digitize(x, XP - 1)),
    ("split", lambda x: jnp.split(x, 3)[1]),
    ("insert", lambda x: jnp.insert(x, 2, 0.0)),
    ("frexp", lambda x: jnp.frexp(x)[0]),
    ("cov", lambda x: jnp.cov(jnp.stack([x, x * x]))),
]


@pytest.mark.parametrize("name,f", TRANSFORM_CASES, ids=[c[0] for c in TRANSFORM_CASES])
def test_vmap_and_jit(name, f):
    xb = jnp.asarray(XB.astype(np.float32))
    expected = np.stack([np.asarray(f(xb[i])) for i in range(xb.shape[0])])
    np.testing.assert_allclose(np.asarray(cotan.vmap(f)(xb)), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(cotan.jit(f)(xb[0])), np.asarray(f(xb[0])), rtol=1e-5, atol=1e-5)


def test_traced_size_arguments():
    r = jnp.array([1, 2, 0])
    f = cotan.jit(lambda r: jnp.repeat(jnp.arange(3), r, total_repeat_length=6))
    np.testing.assert_array_equal(f(r), [0, 1, 1, 2, 2, 2])
    g = cotan.jit(lambda x: jnp.bincount(x, length=6))
    np.testing.assert_array_equal(g(jnp.asarray(I7)), np.bincount(I7, minlength=6))
    h = cotan.jit(lambda x, s: jnp.roll(x, s))
    np.testing.assert_array_equal(h(jnp.arange(5), 2), np.roll(np.arange(5), 2))
    np.testing.assert_array_equal(cotan.vmap(lambda s: jnp.roll(jnp.arange(4), s))(jnp.arange(3)),
                                  np.stack([np.roll(np.arange(4), s) for s in range(3)]))
    with pytest.raises(Exception):
        cotan.jit(lambda x: jnp.bincount(x))(jnp.asarray(I7))
    gl = cotan.jit(jnp.gcd)(jnp.array([12, 9]), jnp.array([18, 6]))
    np.testing.assert_array_equal(gl, [6, 3])
    np.testing.assert_array_equal(cotan.vmap(jnp.lcm)(jnp.array([4, 3]), jnp.array([6, 5])), [12, 15])
