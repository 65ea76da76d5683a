"""lax.conv_general_dilated / conv / conv_transpose and lax.reduce_window:
values against NumPy/SciPy references, check_grads, vmap vs loop, jit vs eager."""
import numpy as np
import pytest
import scipy.signal

import cotan
import cotan.numpy as jnp
from cotan import lax
from cotan.test_util import check_grads


def _ref_conv_nchw(x, w, strides=None, groups=1):
    """Plain cross-correlation (VALID) per sample/out-channel with scipy."""
    n, c = x.shape[:2]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    outs = []
    for b in range(n):
        chans = []
        for oc in range(o):
            g = oc // og
            acc = sum(scipy.signal.correlate(x[b, g * cg + ic], w[oc, ic], mode="valid")
                      for ic in range(cg))
            chans.append(acc)
        outs.append(np.stack(chans))
    out = np.stack(outs)
    if strides:
        out = out[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in strides)]
    return out


@pytest.mark.parametrize("nsp", [1, 2, 3])
@pytest.mark.parametrize("groups", [1, 2])
def test_conv_matches_scipy(nsp, groups, x64):
    rng = np.random.default_rng(nsp * 10 + groups)
    x = rng.standard_normal((2, 4) + (6, 5, 4)[:nsp])
    w = rng.standard_normal((4, 4 // groups) + (3, 2, 2)[:nsp])
    strides = (2, 1, 1)[:nsp]
    out = lax.conv_general_dilated(x, w, strides, "VALID", feature_group_count=groups)
    np.testing.assert_allclose(np.asarray(out), _ref_conv_nchw(x, w, strides, groups),
                               rtol=1e-10, atol=1e-12)


def test_conv_padding_dilation_layouts(x64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((5, 3, 3, 2))
    pads = ((1, 2), (0, 1))
    # explicit padding + rhs dilation == scipy on padded input with dilated kernel
    wd = np.zeros((5, 3, 5, 2))
    wd[:, :, ::2] = w
    ref = _ref_conv_nchw(np.pad(x, ((0, 0), (0, 0)) + pads), wd)
    out = lax.conv_general_dilated(x, w, (1, 1), pads, rhs_dilation=(2, 1))
    np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-10, atol=1e-12)
    # lhs dilation == zeros inserted in the input
    xd = np.zeros((2, 3, 13, 6))
    xd[:, :, ::2] = x
    out = lax.conv_with_general_padding(x, w, (1, 1), ((0, 0), (0, 0)), (2, 1), None)
    np.testing.assert_allclose(np.asarray(out), _ref_conv_nchw(xd, w), rtol=1e-10, atol=1e-12)
    # NHWC / HWIO / NHWC layout with SAME padding
    o1 = lax.conv_general_dilated(x, w, (2, 1), "SAME")
    o2 = lax.conv_general_dilated(np.transpose(x, (0, 2, 3, 1)), np.transpose(w, (2, 3, 1, 0)),
                                  (2, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    np.testing.assert_allclose(np.asarray(o2), np.transpose(np.asarray(o1), (0, 2, 3, 1)),
                               rtol=1e-12)
    assert o1.shape == (2, 5, 4, 6)
    dn = lax.conv_dimension_numbers(x.shape, w.shape, ("NCHW", "OIHW", "NCHW"))
    assert dn == lax.ConvDimensionNumbers((0, 1, 2, 3), (0, 1, 2, 3), (0, 1, 2, 3))
    np.testing.assert_allclose(np.asarray(lax.conv(x, w, (1, 1), "VALID")),
                               _ref_conv_nchw(x, w), rtol=1e-10, atol=1e-12)


_CONV_CASES = [
    dict(ls=(2, 4, 7, 6), rs=(6, 2, 3, 2), strides=(2, 1), padding=((1, 2), (0, 1)),
         lhs_dilation=(1, 2), rhs_dilation=(2, 1), feature_group_count=2),
    dict(ls=(2, 7, 4), rs=(3, 4, 6), strides=(2,), padding="SAME",
         dimension_numbers=("NWC", "WIO", "NWC")),
    dict(ls=(4, 3, 9), rs=(6, 3, 3), strides=(2,), padding="VALID", rhs_dilation=(2,),
         batch_group_count=2),
    dict(ls=(1, 2, 4, 5, 3), rs=(3, 2, 2, 3, 2), strides=(1, 2, 1),
         padding=((1, 0), (-1, 1), (0, 0))),
]


def _conv_fn(case):
    c = dict(case)
    c.pop("ls"), c.pop("rs")
    strides, padding = c.pop("strides"), c.pop("padding")
    return lambda x, w: lax.conv_general_dilated(x, w, strides, padding, **c)


@pytest.mark.parametrize("case", _CONV_CASES, ids=str)
def test_conv_grads_vmap_jit(case, x64):
    rng = np.random.default_rng(1)
    f = _conv_fn(case)
    x, w = rng.standard_normal(case["ls"]), rng.standard_normal(case["rs"])
    check_grads(f, (x, w), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(np.asarray(cotan.jit(f)(x, w)), np.asarray(f(x, w)))
    xb, wb = rng.standard_normal((3,) + case["ls"]), rng.standard_normal((3,) + case["rs"])
    for axes, args in [((0, 0), (xb, wb)), ((0, None), (xb, w)), ((None, 0), (x, wb))]:
        got = cotan.vmap(f, in_axes=axes)(*args)
        loop = np.stack([np.asarray(f(*[a[i] if ax is not None else a
                                        for a, ax in zip(args, axes)])) for i in range(3)])
        np.testing.assert_allclose(np.asarray(got), loop, rtol=1e-10, atol=1e-12)


def test_conv_transpose_is_gradient_of_conv(x64):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 8, 8, 3))
    w = rng.standard_normal((3, 3, 2, 3))  # HWIO with I=2 (output), O=3 (input of transpose)
    y = rng.standard_normal((1, 4, 4, 3))
    f = lambda a: lax.conv_general_dilated(a, w, (2, 2), "SAME",
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
    xs = rng.standard_normal((1, 8, 8, 2))
    _, vjp = cotan.vjp(f, xs)
    ct = vjp(y)[0]
    out = lax.conv_transpose(y, w, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
                             transpose_kernel=True)
    assert out.shape == ct.shape
    np.testing.assert_allclose(np.asarray(out), np.asarray(ct), rtol=1e-10, atol=1e-12)
    del x


def _ref_pool(x, w, s, fn):
    win = np.lib.stride_tricks.sliding_window_view(x, w)
    win = win[tuple(slice(None, None, k) for k in s)]
    return fn(win, axis=tuple(range(x.ndim, 2 * x.ndim)))


@pytest.mark.parametrize("kind", ["sum", "max", "min"])
def test_reduce_window(kind, x64):
    comp, init, ref = {"sum": (lax.add, 0.0, np.sum), "max": (lax.max, -np.inf, np.max),
                       "min": (lax.min, np.inf, np.min)}[kind]
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 7, 6))
    f = lambda a: lax.reduce_window(a, init, comp, (1, 3, 2), (1, 2, 2), "VALID")
    np.testing.assert_allclose(np.asarray(f(x)), _ref_pool(x, (1, 3, 2), (1, 2, 2), ref),
                               rtol=1e-12)
    g = lambda a: lax.reduce_window(a, init, comp, (2, 2, 3), (1, 2, 1), ((0, 1), (1, 1), (0, 2)),
                                    window_dilation=(1, 2, 1))
    for fn in (f, g):
        check_grads(fn, (x,), order=2, modes=("fwd", "rev"))
        np.testing.assert_allclose(np.asarray(cotan.jit(fn)(x)), np.asarray(fn(x)))
        xb = rng.standard_normal((3, 2, 7, 6))
        loop = np.stack([np.asarray(fn(xb[i])) for i in range(3)])
        np.testing.assert_allclose(np.asarray(cotan.vmap(fn)(xb)), loop)


def test_max_pool_gradient_goes_to_first_max():
    x = jnp.array([[1.0, 3.0, 3.0, 0.0]])
    g = cotan.grad(lambda a: jnp.sum(lax.reduce_window(a, -jnp.inf, lax.max, (1, 2), (1, 2),
                                                       "VALID")))(x)
    np.testing.assert_array_equal(np.asarray(g), [[0.0, 1.0, 1.0, 0.0]])


def test_reduce_window_unsupported_computation():
    with pytest.raises(NotImplementedError):
        lax.reduce_window(jnp.ones((4,)), 1.0, lax.mul, (2,), (1,), "VALID")
