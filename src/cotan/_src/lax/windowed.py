"""reduce_window for sum / max / min (pooling), as three primitives.

Each has params ``window_dimensions, window_strides, padding`` (pairs),
``base_dilation, window_dilation``, with XLA's semantics: the operand is
dilated (holes and padding take the reduction's identity), and windows
(optionally dilated) are taken with the given strides.

* ``reduce_window_sum`` is linear; its transpose pads the (stride-dilated)
  cotangent and sums windows again (a convolution with a window of ones).
* ``reduce_window_max/min``: the JVP selects, for each window, the tangent at
  the first position holding the extremum (strided slices of the padded
  operand, one per window offset, so the rule is made of lax ops).
* Batching adds a window of size 1 over the vmapped axis.
"""
from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import core
from ..core import Array, Primitive, ShapedArray
from ..interpreters import ad, batching
from .convolution import _dilate_dim, _vjp_lhs_padding, padtype_to_pads


def _identity(kind, dtype):
    dtype = np.dtype(dtype)
    if kind == "sum":
        return dtype.type(0)
    if dtype.kind == "f":
        return dtype.type(-np.inf if kind == "max" else np.inf)
    if dtype.kind == "b":
        return np.bool_(kind == "min")
    info = np.iinfo(dtype)
    return dtype.type(info.min if kind == "max" else info.max)


def _out_shape(shape, window_dimensions, window_strides, padding, base_dilation,
               window_dilation):
    out = []
    for n, w, s, (lo, hi), bd, wd in zip(shape, window_dimensions, window_strides, padding,
                                         base_dilation, window_dilation):
        padded = _dilate_dim(n, bd) + lo + hi
        we = _dilate_dim(w, wd)
        out.append(0 if padded < we else (padded - we) // s + 1)
    return tuple(out)


def _check(x, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    nd = len(x.shape)
    for name, v in (("window_dimensions", window_dimensions), ("window_strides", window_strides),
                    ("padding", padding), ("base_dilation", base_dilation),
                    ("window_dilation", window_dilation)):
        if len(v) != nd:
            raise TypeError(f"reduce_window: {name} must have {nd} entries (operand rank), "
                            f"got {v}")
    if any(w < 1 for w in window_dimensions) or any(s < 1 for s in window_strides):
        raise TypeError("reduce_window: window dimensions and strides must be positive")


def _make(kind, reducer):
    def abstract(x, *, window_dimensions, window_strides, padding, base_dilation,
                 window_dilation):
        _check(x, window_dimensions, window_strides, padding, base_dilation, window_dilation)
        return ShapedArray(_out_shape(x.shape, window_dimensions, window_strides, padding,
                                      base_dilation, window_dilation), x.dtype)

    def impl(x, *, window_dimensions, window_strides, padding, base_dilation,
             window_dilation):
        x = np.asarray(x)
        init = _identity(kind, x.dtype)
        out_shape = _out_shape(x.shape, window_dimensions, window_strides, padding,
                               base_dilation, window_dilation)
        if 0 in out_shape:
            return np.zeros(out_shape, x.dtype)
        if any(d != 1 for d in base_dilation):
            xd = np.full(tuple(_dilate_dim(n, d) for n, d in zip(x.shape, base_dilation)),
                         init, x.dtype)
            xd[tuple(slice(None, None, d) for d in base_dilation)] = x
            x = xd
        crop = tuple(slice(max(-lo, 0), x.shape[k] - max(-hi, 0))
                     for k, (lo, hi) in enumerate(padding))
        x = x[crop]
        pads = [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
        if any(p != (0, 0) for p in pads):
            x = np.pad(x, pads, constant_values=init)
        weff = tuple(_dilate_dim(w, d) for w, d in zip(window_dimensions, window_dilation))
        win = sliding_window_view(x, weff)
        win = win[tuple(slice(None, None, s) for s in window_strides)
                  + tuple(slice(None, None, d) for d in window_dilation)]
        nd = x.ndim
        out = reducer(win, axis=tuple(range(nd, 2 * nd)))
        return np.asarray(out, x.dtype)

    p = Primitive(f"reduce_window_{kind}")
    p.def_impl(impl)
    p.def_abstract_eval(abstract)

    def batch(vals, dims, *, window_dimensions, window_strides, padding, base_dilation,
              window_dilation):
        (x,), (d,) = vals, dims

        def ins(t, v):
            return tuple(t[:d]) + (v,) + tuple(t[d:])
        return p.bind(x, window_dimensions=ins(window_dimensions, 1),
                      window_strides=ins(window_strides, 1), padding=ins(padding, (0, 0)),
                      base_dilation=ins(base_dilation, 1),
                      window_dilation=ins(window_dilation, 1)), d
    batching.primitive_batchers[p] = batch
    return p


reduce_window_sum_p = _make("sum", np.sum)
reduce_window_max_p = _make("max", np.max)
reduce_window_min_p = _make("min", np.min)


def _sum_transpose(ct, x, *, window_dimensions, window_strides, padding, base_dilation,
                   window_dilation):
    from .structural import pad
    in_shape = x.aval.shape
    ct_shape = core.get_aval(ct).shape
    pads = _vjp_lhs_padding(in_shape, window_dimensions, window_strides, ct_shape, padding,
                            base_dilation, window_dilation)
    dt = core.get_aval(ct).dtype
    zero = Array(np.zeros((), dt))
    padded = pad(ct, zero, tuple((lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides)))
    nd = len(in_shape)
    out = reduce_window_sum_p.bind(padded, window_dimensions=tuple(window_dimensions),
                                   window_strides=tuple(base_dilation),
                                   padding=((0, 0),) * nd, base_dilation=(1,) * nd,
                                   window_dilation=tuple(window_dilation))
    assert core.get_aval(out).shape == tuple(in_shape), (core.get_aval(out).shape, in_shape)
    return [out]


ad.deflinear(reduce_window_sum_p, _sum_transpose)


def _window_slices(x, fill, ans_shape, *, window_dimensions, window_strides, padding,
                   base_dilation, window_dilation):
    """One strided slice of the padded/dilated ``x`` per window offset, each shaped
    like the output."""
    from .structural import pad, slice as lslice
    dt = core.get_aval(x).dtype
    cfg = tuple((lo, hi, bd - 1) for (lo, hi), bd in zip(padding, base_dilation))
    xp = pad(x, Array(np.asarray(fill, dt)), cfg)
    outs = []
    for offs in itertools.product(*(range(w) for w in window_dimensions)):
        start = tuple(o * wd for o, wd in zip(offs, window_dilation))
        limit = tuple(st + (n - 1) * s + 1 for st, n, s in zip(start, ans_shape, window_strides))
        outs.append(lslice(xp, start, limit, tuple(window_strides)))
    return outs


def _chooser_jvp(kind):
    def rule(primals, tangents, **params):
        from .elementwise import and_, eq, not_, or_, select_n
        from .utils import const
        (x,), (t,) = primals, tangents
        p = reduce_window_max_p if kind == "max" else reduce_window_min_p
        ans = p.bind(x, **params)
        if type(t) is ad.Zero:
            return ans, ad.Zero.from_value(ans)
        aval = core.get_aval(ans)
        if 0 in aval.shape:
            return ans, ad.Zero.from_value(ans)
        xs = _window_slices(x, _identity(kind, aval.dtype), aval.shape, **params)
        ts = _window_slices(t, 0, aval.shape, **params)
        acc, found = None, None
        for xk, tk in zip(xs, ts):
            hit = eq(xk, ans)
            if acc is None:
                acc, found = select_n(hit, const(tk, 0), tk), hit
                continue
            take = and_(hit, not_(found))
            acc = select_n(take, acc, tk)
            found = or_(found, hit)
        return ans, acc
    return rule


ad.primitive_jvps[reduce_window_max_p] = _chooser_jvp("max")
ad.primitive_jvps[reduce_window_min_p] = _chooser_jvp("min")


_PRIMS = {"sum": reduce_window_sum_p, "max": reduce_window_max_p, "min": reduce_window_min_p}


def _bind_window(kind, operand, window_dimensions, window_strides, padding, base_dilation,
                 window_dilation):
    shape = core.get_aval(operand).shape
    nd = len(shape)
    wd = tuple(int(w) for w in window_dimensions)
    ws = (1,) * nd if window_strides is None else tuple(int(s) for s in window_strides)
    bd = (1,) * nd if base_dilation is None else tuple(int(s) for s in base_dilation)
    wdl = (1,) * nd if window_dilation is None else tuple(int(s) for s in window_dilation)
    if isinstance(padding, str):
        pads = padtype_to_pads([_dilate_dim(n, b) for n, b in zip(shape, bd)],
                               [_dilate_dim(w, d) for w, d in zip(wd, wdl)], ws, padding)
    else:
        pads = tuple((int(lo), int(hi)) for lo, hi in padding)
    return _PRIMS[kind].bind(operand, window_dimensions=wd, window_strides=ws, padding=pads,
                             base_dilation=bd, window_dilation=wdl)


def reduce_window_sum(operand, window_dimensions, window_strides=None, padding="VALID",
                      base_dilation=None, window_dilation=None):
    return _bind_window("sum", operand, window_dimensions, window_strides, padding,
                        base_dilation, window_dilation)


def reduce_window_max(operand, window_dimensions, window_strides=None, padding="VALID",
                      base_dilation=None, window_dilation=None):
    return _bind_window("max", operand, window_dimensions, window_strides, padding,
                        base_dilation, window_dilation)


def reduce_window_min(operand, window_dimensions, window_strides=None, padding="VALID",
                      base_dilation=None, window_dilation=None):
    return _bind_window("min", operand, window_dimensions, window_strides, padding,
                        base_dilation, window_dilation)


def _computation_kind(computation):
    from . import elementwise as E
    import cotan.numpy as jnp
    if computation in (E.add, jnp.add):
        return "sum"
    if computation in (E.max, jnp.maximum):
        return "max"
    if computation in (E.min, jnp.minimum):
        return "min"
    return None


def reduce_window(operand, init_value, computation, window_dimensions, window_strides,
                  padding, base_dilation=None, window_dilation=None):
    """``lax.reduce_window`` for the monoids add / max / min (single operand)."""
    kind = _computation_kind(computation)
    if kind is None:
        raise NotImplementedError(
            "cotan's lax.reduce_window supports computation=lax.add, lax.max or lax.min "
            f"(and the jnp equivalents), got {computation!r}")
    dt = core.get_aval(operand).dtype
    out = _bind_window(kind, operand, window_dimensions, window_strides, padding,
                       base_dilation, window_dilation)
    if isinstance(init_value, core.Tracer):
        return computation(out, init_value)
    iv = np.asarray(init_value._value if isinstance(init_value, Array) else init_value)
    if iv.shape != ():
        raise TypeError("reduce_window: init_value must be a scalar")
    if iv == _identity(kind, dt):
        return out
    if kind == "sum":
        raise NotImplementedError("reduce_window with lax.add needs init_value 0 in cotan")
    # max/min are idempotent: a non-identity init (also the padding value) is
    # the same as combining it with the result
    from .structural import convert_element_type
    return computation(out, convert_element_type(Array(iv), dt))
