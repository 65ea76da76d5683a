"""Reductions: lax.reduce_max/min/prod/and/or/xor, argmax/argmin, the cumulative
reductions, and the cotan.numpy reductions built on them (values vs NumPy,
JAX's dtypes, errors, derivatives to second order, tracing)."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan import lax
from cotan._src import core
from cotan.test_util import check_grads

def _data(shape, dtype=np.float32, kind="real"):
    rng = np.random.default_rng(abs(hash((shape, np.dtype(dtype).name, kind))) % (2 ** 32))
    if kind == "int":
        return rng.integers(-5, 6, shape).astype(dtype)
    if kind == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if kind == "pos":
        return rng.uniform(0.5, 1.5, shape).astype(dtype)
    if kind == "nan":
        x = rng.standard_normal(shape).astype(dtype)
        x[rng.uniform(size=shape) < 0.3] = np.nan
        return x
    return rng.standard_normal(shape).astype(dtype)


def _close(actual, expected, rtol=1e-5, atol=1e-5, check_shape=True):
    a = np.asarray(actual)
    e = np.asarray(expected)
    if check_shape:
        assert a.shape == e.shape, (a.shape, e.shape)
    np.testing.assert_allclose(a.astype(np.float64) if a.dtype.kind != "c" else a,
                               e.astype(np.float64) if e.dtype.kind != "c" else e,
                               rtol=rtol, atol=atol, equal_nan=True)


SHAPES_AXES = [
    ((), [None]),
    ((5,), [None, 0, -1, (0,)]),
    ((3, 4), [None, 0, 1, -1, (0, 1), (1, 0), (-2,)]),
    ((2, 3, 4), [None, 0, 1, 2, -1, (0, 2), (2, 0), (0, 1, 2), (-1, -2)]),
]
AXIS_CASES = [(s, ax, kd) for s, axs in SHAPES_AXES for ax in axs for kd in (False, True)]


def _case_id(c):
    s, ax, kd = c
    return f"{s}-{ax}-{'kd' if kd else 'nokd'}"


# --------------------------------------------------------------------------
# values vs NumPy over axis/keepdims combinations

REDUCTIONS = [
    # (name, numpy fn, data kind, rtol)
    ("max", np.max, "real", 1e-6),
    ("min", np.min, "real", 1e-6),
    ("amax", np.amax, "real", 1e-6),
    ("amin", np.amin, "real", 1e-6),
    ("prod", np.prod, "pos", 1e-5),
    ("sum", np.sum, "real", 1e-5),
    ("mean", np.mean, "real", 1e-5),
    ("var", np.var, "real", 1e-4),
    ("std", np.std, "real", 1e-4),
    ("ptp", np.ptp, "real", 1e-6),
    ("any", np.any, "bool", 0),
    ("all", np.all, "bool", 0),
    ("count_nonzero", np.count_nonzero, "int", 0),
    ("nansum", np.nansum, "nan", 1e-5),
    ("nanmean", np.nanmean, "nan", 1e-5),
    ("nanmax", np.nanmax, "nan", 1e-6),
    ("nanmin", np.nanmin, "nan", 1e-6),
    ("nanprod", np.nanprod, "nan", 1e-5),
    ("nanvar", np.nanvar, "nan", 1e-4),
    ("nanstd", np.nanstd, "nan", 1e-4),
]


@pytest.mark.parametrize("case", AXIS_CASES, ids=_case_id)
@pytest.mark.parametrize("name,np_fn,kind,rtol", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction_values(name, np_fn, kind, rtol, case):
    shape, axis, keepdims = case
    x = _data(shape, np.float32, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np_fn(x, axis=axis, keepdims=keepdims)
    actual = getattr(jnp, name)(jnp.asarray(x), axis=axis, keepdims=keepdims)
    _close(actual, expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", ["max", "min", "prod", "var", "std", "any", "all", "ptp",
                                  "argmax", "argmin", "sum", "mean"])
def test_method_forms(name):
    x = _data((3, 4), np.float32, "pos")
    _close(getattr(jnp.asarray(x), name)(axis=1), getattr(np, name)(x, axis=1), rtol=1e-5)
    _close(getattr(jnp.asarray(x), name)(), getattr(np, name)(x), rtol=1e-5)


@pytest.mark.parametrize("shape,axis", [((5,), None), ((5,), 0), ((3, 4), None), ((3, 4), 0),
                                        ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1),
                                        ((2, 3, 4), -3), ((), None)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argminmax_values(name, shape, axis, keepdims):
    x = _data(shape, np.float32, "int")   # ties: the first index wins
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    actual = getattr(jnp, name)(jnp.asarray(x), axis=axis, keepdims=keepdims)
    _close(actual, expected)
    assert actual.dtype == np.int32


def test_argmax_dtype_x64(x64):
    assert jnp.argmax(jnp.arange(4.0)).dtype == np.int64
    assert jnp.argmin(jnp.arange(4.0)).dtype == np.int64


def test_argmax_nan_first_nan_wins():
    x = np.array([1.0, np.nan, 5.0, np.nan], np.float32)
    assert int(jnp.argmax(x)) == 1
    assert int(jnp.argmin(x)) == 1
    assert int(lax.argmax(jnp.asarray(x), 0, np.int32)) == 1
    y = np.array([[0.0, 2.0], [np.nan, 1.0]], np.float32)
    _close(jnp.argmax(y, axis=0), np.argmax(y, axis=0))
    _close(jnp.nanargmax(y, axis=0), np.nanargmax(y, axis=0))
    _close(jnp.nanargmin(y, axis=0), np.nanargmin(y, axis=0))
    assert int(jnp.nanargmax(jnp.array([np.nan, np.nan]))) == -1


def test_argmax_empty_raises():
    with pytest.raises(ValueError, match="empty"):
        jnp.argmax(jnp.zeros((0,)))
    with pytest.raises(ValueError, match="empty"):
        jnp.argmin(jnp.zeros((3, 0)), axis=1)


@pytest.mark.parametrize("shape,axis", [((6,), None), ((6,), 0), ((3, 4), None), ((3, 4), 0),
                                        ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1),
                                        ((2, 3, 4), -3), ((), None)])
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "nancumsum", "nancumprod"])
def test_cumulative_values(name, shape, axis):
    x = _data(shape, np.float32, "nan" if name.startswith("nan") else "pos")
    _close(getattr(jnp, name)(jnp.asarray(x), axis=axis), getattr(np, name)(x, axis=axis),
           rtol=1e-5)


@pytest.mark.parametrize("include_initial", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["cumulative_sum", "cumulative_prod"])
def test_cumulative_array_api(name, axis, include_initial):
    x = _data((3, 4), np.float32, "pos")
    expected = getattr(np, name)(x, axis=axis, include_initial=include_initial)
    actual = getattr(jnp, name)(jnp.asarray(x), axis=axis, include_initial=include_initial)
    _close(actual, expected, rtol=1e-5)
    # 1-D: the axis may be left out
    v = x[0]
    _close(getattr(jnp, name)(v), getattr(np, name)(v), rtol=1e-5)
    with pytest.raises(ValueError):
        getattr(jnp, name)(x)                     # rank 2 needs an axis
    with pytest.raises(ValueError):
        getattr(jnp, name)(jnp.float32(1.0))      # scalar


def test_cumulative_dtypes():
    i8 = jnp.asarray(np.arange(5, dtype=np.int8))
    b = jnp.asarray(np.array([True, False, True]))
    assert jnp.cumsum(i8).dtype == np.int8                   # cumsum keeps small ints
    assert jnp.cumsum(b).dtype == np.int32                   # but bool becomes int
    assert jnp.cumprod(b).dtype == np.int32
    assert jnp.cumulative_sum(i8).dtype == np.int32          # cumulative_sum promotes
    assert jnp.cumulative_prod(i8).dtype == np.int8
    assert jnp.cumsum(i8, dtype=jnp.float32).dtype == np.float32
    out = jnp.cumsum(jnp.array([0, 1, 0, 2]), dtype=bool)
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, [False, True, True, True])
    np.testing.assert_array_equal(jnp.cumsum(b), [1, 1, 2])


def test_cumulative_x64_dtypes(x64):
    assert jnp.cumsum(jnp.array([True, False])).dtype == np.int64
    assert jnp.cumulative_sum(jnp.asarray(np.arange(3, dtype=np.int32))).dtype == np.int64


# --------------------------------------------------------------------------
# dtypes of results (JAX's rules, x64 off)

@pytest.mark.parametrize("dtype,fn,expected", [
    (np.bool_, "sum", np.int32), (np.int8, "sum", np.int32), (np.uint8, "sum", np.uint32),
    (np.int16, "prod", np.int32), (np.bool_, "prod", np.int32), (np.uint16, "prod", np.uint32),
    (np.float16, "prod", np.float16), (np.float32, "prod", np.float32),
    (np.int32, "mean", np.float32), (np.bool_, "mean", np.float32),
    (np.int32, "var", np.float32), (np.int8, "std", np.float32),
    (np.float16, "var", np.float16), (np.complex64, "var", np.float32),
    (np.int8, "max", np.int8), (np.bool_, "max", np.bool_), (np.uint8, "min", np.uint8),
    (np.float16, "max", np.float16),
    (np.int8, "argmax", np.int32), (np.float32, "argmin", np.int32),
    (np.int32, "any", np.bool_), (np.float32, "all", np.bool_),
    (np.float32, "count_nonzero", np.int32), (np.int8, "ptp", np.int8),
    (np.int32, "nanmean", np.float32), (np.int32, "nansum", np.int32),
    (np.int32, "average", np.float32),
])
def test_result_dtypes(dtype, fn, expected):
    x = jnp.asarray(np.ones((2, 3), dtype))
    out = getattr(jnp, fn)(x)
    assert out.dtype == np.dtype(expected), (fn, dtype, out.dtype)


def test_prod_dtype_arg_and_promote_integers():
    x = jnp.asarray(np.array([2, 3, 4], np.int8))
    assert jnp.prod(x, promote_integers=False).dtype == np.int8
    assert jnp.prod(x, dtype=jnp.float32).dtype == np.float32
    assert int(jnp.prod(x)) == 24
    b = jnp.asarray(np.array([True, True, False]))
    out = jnp.prod(b, dtype=bool)
    assert out.dtype == np.bool_ and not bool(out)


def test_sum_mean_unchanged():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    _close(jnp.sum(x, axis=0), x.sum(0))
    _close(jnp.sum(x, axis=(0, 1), keepdims=True), x.sum((0, 1), keepdims=True))
    _close(jnp.sum(x, initial=10.0), x.sum(initial=10.0))
    _close(jnp.sum(x, where=x > 3), x.sum(where=x > 3))
    _close(jnp.mean(x, axis=1), x.mean(1))
    _close(jnp.mean(x, axis=0, where=x > 3), x.mean(0, where=x > 3))
    assert jnp.sum(jnp.asarray(np.ones(3, np.int8))).dtype == np.int32


# --------------------------------------------------------------------------
# initial / where / empty

@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_initial_where(name):
    x = _data((3, 4), np.float32)
    where = _data((3, 4), np.float32, "bool")
    np_fn = getattr(np, name)
    for axis in [None, 0, 1]:
        _close(getattr(jnp, name)(x, axis=axis, initial=0.5),
               np_fn(x, axis=axis, initial=0.5))
        _close(getattr(jnp, name)(x, axis=axis, initial=0.5, where=where),
               np_fn(x, axis=axis, initial=0.5, where=where))
        _close(getattr(jnp, name)(x, axis=axis, initial=0.5, where=where, keepdims=True),
               np_fn(x, axis=axis, initial=0.5, where=where, keepdims=True))
    # broadcastable where
    w = np.array([[True], [False], [True]])
    _close(getattr(jnp, name)(x, axis=1, initial=-1.0, where=w),
           np_fn(x, axis=1, initial=-1.0, where=w))
    xi = _data((3, 4), np.int32, "int")
    _close(getattr(jnp, name)(xi, axis=0, initial=2, where=where),
           np_fn(xi, axis=0, initial=2, where=where))


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "ptp"])
def test_max_min_empty_raises(name):
    with pytest.raises(ValueError, match="zero-size array"):
        getattr(jnp, name)(jnp.zeros((0, 3)), axis=0)
    with pytest.raises(ValueError, match="zero-size array"):
        getattr(jnp, name)(jnp.zeros((0,)))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_where_needs_initial(name):
    with pytest.raises(ValueError, match="initial"):
        getattr(jnp, name)(jnp.ones(3), where=jnp.array([True, False, True]))


def test_max_empty_with_initial():
    out = jnp.max(jnp.zeros((0, 3)), axis=0, initial=-2.0)
    _close(out, np.max(np.zeros((0, 3)), axis=0, initial=-2.0))
    out = jnp.min(jnp.zeros((2, 0), np.int32), axis=1, initial=7)
    _close(out, [7, 7])
    # reducing over a non-empty axis of an array with an empty dimension is fine
    assert jnp.max(jnp.zeros((0, 3)), axis=1).shape == (0,)


def test_prod_initial_where():
    x = _data((3, 4), np.float32, "pos")
    where = _data((3, 4), np.float32, "bool")
    for axis in [None, 0, 1]:
        _close(jnp.prod(x, axis=axis, initial=2.0), np.prod(x, axis=axis, initial=2.0),
               rtol=1e-5)
        _close(jnp.prod(x, axis=axis, where=where), np.prod(x, axis=axis, where=where),
               rtol=1e-5)
    assert float(jnp.prod(jnp.zeros((0,)))) == 1.0


def test_any_all_where_and_kinds():
    x = np.array([[0.0, 1.5, np.nan], [0.0, 0.0, 2.0]], np.float32)
    where = np.array([[True, False, False], [True, True, False]])
    for axis in [None, 0, 1]:
        _close(jnp.any(x, axis=axis), np.any(x, axis=axis))
        _close(jnp.all(x, axis=axis), np.all(x, axis=axis))
        _close(jnp.any(x, axis=axis, where=where), np.any(x, axis=axis, where=where))
        _close(jnp.all(x, axis=axis, where=where), np.all(x, axis=axis, where=where))
    xi = np.array([0, 3, -1])
    assert bool(jnp.any(xi)) and not bool(jnp.all(xi))
    assert bool(jnp.all(jnp.zeros((0,))))
    assert not bool(jnp.any(jnp.zeros((0,))))


@pytest.mark.parametrize("ddof", [0, 1, 2])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_ddof(name, axis, ddof):
    x = _data((4, 5), np.float32)
    _close(getattr(jnp, name)(x, axis=axis, ddof=ddof), getattr(np, name)(x, axis=axis, ddof=ddof),
           rtol=1e-4, atol=1e-5)
    _close(getattr(jnp, name)(x, axis=axis, correction=ddof),
           getattr(np, name)(x, axis=axis, ddof=ddof), rtol=1e-4, atol=1e-5)


def test_var_std_where_and_errors():
    x = _data((4, 5), np.float32)
    where = _data((4, 5), np.float32, "bool")
    where[:, 0] = True
    where[0, :] = True
    for axis in [None, 0, 1]:
        _close(jnp.var(x, axis=axis, where=where), np.var(x, axis=axis, where=where), rtol=1e-4)
        _close(jnp.std(x, axis=axis, where=where, keepdims=True),
               np.std(x, axis=axis, where=where, keepdims=True), rtol=1e-4)
    with pytest.raises(ValueError, match="ddof and correction"):
        jnp.var(x, ddof=1, correction=1)
    with pytest.raises(ValueError):
        jnp.std(x, dtype=jnp.int32)
    # more degrees of freedom than elements: NaN, as JAX
    assert np.isnan(float(jnp.var(jnp.ones(2), ddof=2)))
    xc = (x + 1j * x[::-1]).astype(np.complex64)
    _close(jnp.var(xc, axis=0), np.var(xc, axis=0), rtol=1e-4)
    assert jnp.var(xc).dtype == np.float32


def test_var_int_and_dtype():
    x = np.arange(10).reshape(2, 5)
    _close(jnp.var(x, axis=1), np.var(x, axis=1))
    assert jnp.var(x, dtype=jnp.float16).dtype == np.float16


def test_average():
    x = _data((3, 4), np.float32)
    w = _data((3, 4), np.float32, "pos")
    w1 = _data((4,), np.float32, "pos")
    _close(jnp.average(x), np.average(x))
    _close(jnp.average(x, axis=1), np.average(x, axis=1))
    _close(jnp.average(x, axis=(0, 1), keepdims=True), np.average(x, axis=(0, 1), keepdims=True))
    _close(jnp.average(x, weights=w), np.average(x, weights=w), rtol=1e-5)
    _close(jnp.average(x, axis=0, weights=w), np.average(x, axis=0, weights=w), rtol=1e-5)
    _close(jnp.average(x, axis=1, weights=w1), np.average(x, axis=1, weights=w1), rtol=1e-5)
    avg, ws = jnp.average(x, axis=1, weights=w1, returned=True)
    eavg, ews = np.average(x, axis=1, weights=w1, returned=True)
    _close(avg, eavg, rtol=1e-5)
    _close(ws, ews, rtol=1e-5)
    avg, ws = jnp.average(x, axis=0, returned=True)
    eavg, ews = np.average(x, axis=0, returned=True)
    _close(avg, eavg)
    _close(ws, ews)
    with pytest.raises(ValueError):
        jnp.average(x, weights=w1)          # axis required
    with pytest.raises(ValueError):
        jnp.average(x, axis=0, weights=w1)  # wrong length


def test_nan_reductions_all_nan_and_where():
    x = np.array([[np.nan, np.nan], [1.0, np.nan]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in ["nanmax", "nanmin", "nanmean", "nanvar", "nanstd", "nansum", "nanprod"]:
            _close(getattr(jnp, name)(x, axis=1), getattr(np, name)(x, axis=1))
            _close(getattr(jnp, name)(x, axis=0), getattr(np, name)(x, axis=0))
    where = np.array([[True, False], [True, True]])
    _close(jnp.nansum(x, axis=1, where=where), np.nansum(x, axis=1, where=where))
    _close(jnp.nanmax(x, axis=1, initial=-5.0), np.nanmax(x, axis=1, initial=-5.0))
    _close(jnp.nanvar(x, ddof=1), np.nan)   # one non-NaN value, ddof=1
    xi = np.array([[1, 2], [3, 4]])
    _close(jnp.nanmax(xi, axis=0), np.nanmax(xi, axis=0))
    _close(jnp.nanmean(xi, axis=0), np.nanmean(xi, axis=0))


def test_count_nonzero():
    x = np.array([[0, 1, 2], [0, 0, 3]])
    for axis in [None, 0, 1, (0, 1)]:
        _close(jnp.count_nonzero(x, axis=axis), np.count_nonzero(x, axis=axis))
    _close(jnp.count_nonzero(x, axis=1, keepdims=True), np.count_nonzero(x, axis=1, keepdims=True))
    assert jnp.count_nonzero(x).dtype == np.int32


def test_axis_errors():
    x = jnp.ones((2, 3))
    with pytest.raises(ValueError):
        jnp.max(x, axis=2)
    with pytest.raises(ValueError):
        jnp.prod(x, axis=(0, 0))
    with pytest.raises(ValueError):
        jnp.argmax(x, axis=-3)
    with pytest.raises(ValueError):
        jnp.cumsum(x, axis=5)
    with pytest.raises(NotImplementedError):
        jnp.max(x, out=np.zeros(3))


# --------------------------------------------------------------------------
# lax primitives directly

@pytest.mark.parametrize("axes", [(0,), (1,), (0, 1), (0, 2), (2,), (-1,), ()])
def test_lax_reduce(axes):
    x = _data((2, 3, 4), np.float32)
    nax = tuple(a % 3 for a in axes)
    _close(lax.reduce_max(x, axes), np.max(x, axis=nax) if axes else x)
    _close(lax.reduce_min(x, axes), np.min(x, axis=nax) if axes else x)
    _close(lax.reduce_prod(x, axes), np.prod(x, axis=nax) if axes else x, rtol=1e-5)
    xi = _data((2, 3, 4), np.int32, "int")
    xb = _data((2, 3, 4), np.int32, "bool")
    for f, g in [(lax.reduce_and, np.bitwise_and), (lax.reduce_or, np.bitwise_or),
                 (lax.reduce_xor, np.bitwise_xor)]:
        _close(f(xi, axes), g.reduce(xi, axis=nax) if axes else xi)
        out = f(xb, axes)
        assert out.dtype == np.bool_
        _close(out, g.reduce(xb, axis=nax) if axes else xb)


def test_lax_reduce_dtype_errors():
    # the shape/dtype rules run when tracing (eager mode only runs the impl)
    with pytest.raises(TypeError):
        cotan.make_jaxpr(lambda a: lax.reduce_and(a, (0,)))(np.ones(3, np.float32))
    with pytest.raises(TypeError):
        cotan.make_jaxpr(lambda a: lax.reduce_prod(a, (0,)))(np.array([True]))
    with pytest.raises(TypeError):
        cotan.make_jaxpr(lambda a: lax.cumlogsumexp(a, 0))(np.array([1, 2], np.int32))
    with pytest.raises(TypeError):
        cotan.make_jaxpr(lambda a: lax.argmax(a, 0, np.float32))(np.ones(3, np.float32))


def test_lax_reduce_empty_identities():
    _close(lax.reduce_max(jnp.zeros((0, 2)), (0,)), [-np.inf, -np.inf])
    _close(lax.reduce_min(jnp.zeros((0, 2), np.int32), (0,)), [2 ** 31 - 1] * 2)
    _close(lax.reduce_prod(jnp.zeros((0, 2)), (0,)), [1, 1])
    _close(lax.reduce_and(jnp.zeros((0,), np.uint8), (0,)), 255)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"])
def test_lax_cumulative(name, axis, reverse):
    acc = {"cumsum": np.add, "cumprod": np.multiply, "cummax": np.maximum,
           "cummin": np.minimum, "cumlogsumexp": np.logaddexp}[name]
    x = _data((3, 5), np.float32, "pos")
    xr = np.flip(x, axis) if reverse else x
    expected = acc.accumulate(xr, axis=axis)
    expected = np.flip(expected, axis) if reverse else expected
    _close(getattr(lax, name)(x, axis, reverse), expected, rtol=1e-5)
    _close(getattr(lax, name)(x, axis=axis, reverse=reverse), expected, rtol=1e-5)


def test_lax_cum_int_and_bool():
    xi = np.array([3, -1, 4, 1, -5], np.int32)
    _close(lax.cummax(xi), np.maximum.accumulate(xi))
    _close(lax.cummin(xi, reverse=True), np.minimum.accumulate(xi[::-1])[::-1])
    _close(lax.cumsum(xi), np.cumsum(xi))
    b = np.array([False, True, False])
    assert lax.cummax(b).dtype == np.bool_


def test_lax_argmax():
    x = _data((3, 4), np.float32, "int")
    _close(lax.argmax(x, 1, np.int32), np.argmax(x, 1))
    _close(lax.argmin(x, 0, np.int32), np.argmin(x, 0))
    assert lax.argmax(x, 1, np.int16).dtype == np.int16


# --------------------------------------------------------------------------
# derivatives


def test_max_tie_splits_gradient():
    g = cotan.grad(lambda x: jnp.max(x))(jnp.array([1.0, 3.0, 3.0, 2.0]))
    _close(g, [0.0, 0.5, 0.5, 0.0])
    g = cotan.grad(lambda x: jnp.min(x, axis=1).sum())(jnp.array([[1.0, 1.0, 1.0], [0.0, 2.0, 3.0]]))
    _close(g, [[1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])


def test_prod_grad_with_zeros():
    f = lambda x: jnp.prod(x)  # noqa: E731
    _close(cotan.grad(f)(jnp.array([2.0, 0.0, 3.0])), [0.0, 6.0, 0.0])
    _close(cotan.grad(f)(jnp.array([2.0, 0.0, 3.0, 0.0])), [0.0, 0.0, 0.0, 0.0])
    _close(cotan.grad(f)(jnp.array([2.0, 4.0, 3.0])), [12.0, 6.0, 8.0])
    # cumprod with a zero
    last = jnp.array([0.0, 0.0, 1.0])
    g = cotan.grad(lambda x: jnp.sum(jnp.cumprod(x) * last))(jnp.array([2.0, 0.0, 3.0]))
    _close(g, [0.0, 6.0, 0.0])


def _distinct(shape, seed=0):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.37 + rng.uniform(-0.05, 0.05, shape) - 1.0)


def _grad_cases():
    x = _distinct((3, 4))
    xz = _distinct((3, 4), 1)
    xz[0, 1] = 0.0
    xz2 = xz.copy()
    xz2[2, 0] = 0.0
    xz2[2, 3] = 0.0
    pos = np.abs(x) + 0.5
    return [
        ("max", lambda a: jnp.max(a, axis=1), (x,)),
        ("max-all", lambda a: jnp.max(a), (x,)),
        ("max-kd", lambda a: jnp.max(a, axis=0, keepdims=True), (x,)),
        ("min", lambda a: jnp.min(a, axis=(0, 1)), (x,)),
        ("max-initial-where", lambda a: jnp.max(a, axis=1, initial=-10.0,
                                                where=np.array([True, False, True, True])), (x,)),
        ("ptp", lambda a: jnp.ptp(a, axis=0), (x,)),
        ("prod", lambda a: jnp.prod(a, axis=1), (x,)),
        ("prod-one-zero", lambda a: jnp.prod(a, axis=1), (xz,)),
        ("prod-two-zeros", lambda a: jnp.prod(a, axis=1), (xz2,)),
        ("prod-all", lambda a: jnp.prod(a), (xz,)),
        ("prod-multi-axes", lambda a: jnp.prod(a.reshape(2, 2, 3), axis=(0, 2)), (xz2,)),
        ("cumsum", lambda a: jnp.cumsum(a, axis=1), (x,)),
        ("cumsum-flat", lambda a: jnp.cumsum(a), (x,)),
        ("cumprod", lambda a: jnp.cumprod(a, axis=1), (x,)),
        ("cumprod-zero", lambda a: jnp.cumprod(a, axis=1), (xz2,)),
        ("cumprod-axis0", lambda a: jnp.cumprod(a, axis=0), (xz,)),
        ("var", lambda a: jnp.var(a, axis=1), (x,)),
        ("var-ddof", lambda a: jnp.var(a, ddof=1), (x,)),
        ("std", lambda a: jnp.std(a, axis=0), (x,)),
        ("std-where", lambda a: jnp.std(a, axis=1, where=np.array([True, True, False, True])),
         (x,)),
        ("nanvar", lambda a: jnp.nanvar(a, axis=1), (x,)),
        ("average", lambda a, w: jnp.average(a, axis=1, weights=w), (x, pos)),
        ("lax-cummax", lambda a: lax.cummax(a, 1), (x,)),
        ("lax-cummin-rev", lambda a: lax.cummin(a, 0, reverse=True), (x,)),
        ("lax-cumlogsumexp", lambda a: lax.cumlogsumexp(a, 1), (x,)),
        ("lax-cumlogsumexp-rev", lambda a: lax.cumlogsumexp(a, 0, reverse=True), (x,)),
        ("lax-cumprod-rev", lambda a: lax.cumprod(a, 1, reverse=True), (xz2,)),
        ("lax-cumsum-rev", lambda a: lax.cumsum(a, 1, reverse=True), (x,)),
        ("lax-reduce-max", lambda a: lax.reduce_max(a, (0,)), (x,)),
        ("lax-reduce-prod", lambda a: lax.reduce_prod(a, (0, 1)), (pos,)),
    ]


GRAD_CASES = _grad_cases()


@pytest.mark.parametrize("name,f,args", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads_second_order(name, f, args, x64):
    args = tuple(np.asarray(a, np.float64) for a in args)
    check_grads(f, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("name", ["cumprod", "cummax", "cumlogsumexp"])
def test_cumulative_jvp_scan_lengths(name, reverse, n, x64):
    # the JVP's parallel prefix scan has separate paths for odd/even lengths
    rng = np.random.default_rng(n)
    x = 0.6 + 0.8 * rng.permutation(2 * n).reshape(2, n) / (2 * n)   # distinct, O(1)
    x = x * rng.choice([-1.0, 1.0], x.shape)
    if name == "cumprod" and n > 2:
        x[0, n // 2] = 0.0
    f = lambda a: getattr(lax, name)(a, 1, reverse)  # noqa: E731
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))


def test_grad_float32_paths():
    x = jnp.asarray(_distinct((3, 4)).astype(np.float32))
    g = cotan.grad(lambda a: jnp.sum(jnp.cumprod(a, axis=1)) + jnp.max(a) + jnp.std(a))(x)
    assert g.dtype == np.float32


# --------------------------------------------------------------------------
# tracing

TRACE_FUNS = [
    ("max", lambda a: jnp.max(a, axis=0)), ("min", lambda a: jnp.min(a)),
    ("amax", lambda a: jnp.amax(a, 1)), ("amin", lambda a: jnp.amin(a, 1)),
    ("prod", lambda a: jnp.prod(a, axis=1)), ("argmax", lambda a: jnp.argmax(a, axis=1)),
    ("argmin", lambda a: jnp.argmin(a)), ("var", lambda a: jnp.var(a, 0)),
    ("std", lambda a: jnp.std(a, 0, ddof=1)), ("any", lambda a: jnp.any(a > 0, 0)),
    ("all", lambda a: jnp.all(a > 0)), ("cumsum", lambda a: jnp.cumsum(a, 1)),
    ("cumprod", lambda a: jnp.cumprod(a)), ("cumulative_sum", lambda a: jnp.cumulative_sum(a, axis=1)),
    ("cumulative_prod", lambda a: jnp.cumulative_prod(a, axis=0, include_initial=True)),
    ("nancumsum", lambda a: jnp.nancumsum(a, 1)), ("nancumprod", lambda a: jnp.nancumprod(a, 0)),
    ("ptp", lambda a: jnp.ptp(a, 0)), ("count_nonzero", lambda a: jnp.count_nonzero(a, 1)),
    ("average", lambda a: jnp.average(a, 0, weights=jnp.ones(3))),
    ("nansum", lambda a: jnp.nansum(a)), ("nanmean", lambda a: jnp.nanmean(a, 1)),
    ("nanmax", lambda a: jnp.nanmax(a, 1)), ("nanmin", lambda a: jnp.nanmin(a)),
    ("nanprod", lambda a: jnp.nanprod(a, 1)), ("nanvar", lambda a: jnp.nanvar(a, 0)),
    ("nanstd", lambda a: jnp.nanstd(a, 1)), ("nanargmax", lambda a: jnp.nanargmax(a, 1)),
    ("max-where", lambda a: jnp.max(a, 1, initial=0.0, where=a > 0)),
    ("lax-cummax", lambda a: lax.cummax(a, 1, True)), ("lax-cumlse", lambda a: lax.cumlogsumexp(a)),
    ("lax-reduce_xor", lambda a: lax.reduce_xor(a > 0, (0, 1))),
    ("grad-prod", cotan.grad(lambda a: jnp.prod(a))),
    ("grad-cumprod", cotan.grad(lambda a: jnp.cumprod(a, 1).sum())),
    ("grad-max", cotan.grad(lambda a: jnp.max(a))),
    ("grad-grad-std", cotan.grad(lambda a: cotan.grad(lambda b: jnp.std(b))(a).sum())),
]


@pytest.mark.parametrize("name,f", TRACE_FUNS, ids=[t[0] for t in TRACE_FUNS])
def test_make_jaxpr_and_jit(name, f):
    x = _data((3, 4), np.float32, "pos") - 0.9
    closed = cotan.make_jaxpr(f)(x)
    core.check_jaxpr(closed.jaxpr)
    eager = f(jnp.asarray(x))
    jitted = cotan.jit(f)(jnp.asarray(x))
    assert eager.dtype == jitted.dtype and eager.shape == jitted.shape
    _close(jitted, eager, rtol=1e-6, atol=1e-6)
    from cotan._src.core import eval_jaxpr
    (out,) = eval_jaxpr(closed.jaxpr, closed.consts, jnp.asarray(x))
    _close(out, eager, rtol=1e-6, atol=1e-6)


def test_jaxpr_names_primitives():
    text = str(cotan.make_jaxpr(lambda a: (jnp.max(a), jnp.argmin(a, 0), jnp.cumsum(a, 0),
                                           jnp.prod(a)))(np.ones((2, 3), np.float32)))
    for prim in ["reduce_max", "argmin", "cumsum", "reduce_prod"]:
        assert prim in text


@pytest.mark.parametrize("shape,axis", list(itertools.product([(3, 4)], [0, 1, None])))
def test_cumsum_linear_transpose(shape, axis):
    x = np.ones(shape, np.float32)
    ct = _data((x.size,) if axis is None else shape, np.float32)
    f = lambda a: jnp.cumsum(a, axis=axis)  # noqa: E731
    (t,) = cotan.linear_transpose(f, x)(jnp.asarray(ct))
    # dense Jacobian check
    n = x.size
    J = np.stack([np.asarray(f(jnp.asarray(np.eye(n, dtype=np.float32)[i].reshape(shape)))).ravel()
                  for i in range(n)], 1)
    _close(np.asarray(t).ravel(), J.T @ ct.ravel(), rtol=1e-5)
