"""Numerical checks of derivatives: ``check_grads``, ``check_jvp``, ``check_vjp``.

The semantics follow ``jax.test_util``:

* forward mode: the JVP of ``f`` along a random tangent is compared with a
  central finite difference ``(f(x + eps t) - f(x - eps t)) / (2 eps)``;
* reverse mode: the VJP is checked against forward mode with the dot-product
  identity ``<u, J v> == <J^T u, v>`` for random ``u`` and ``v``;
* ``order=2`` (or more) recurses: the JVP function ``(primals, tangents) ->
  jvp(f, primals, tangents)`` and the VJP function ``x -> vjp(f, x)[1](f(x))``
  are themselves checked, which exercises the derivative of every rule.

Random vectors come from a fixed-seed NumPy generator, so failures reproduce.
Integer and boolean leaves are not perturbed: their tangents are ``float0``
zeros.  When ``jax_enable_x64`` is on, the finite differences are evaluated
at the inputs cast to float64/complex128 (more accurate); when that fails (a
function that insists on float32), at the inputs as given.
"""
from __future__ import annotations

import functools

import numpy as np

from . import dtypes
from .config import config
from .core import Array, Tracer
from .tree_util import tree_flatten, tree_map

__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_jvp", "rand_like",
           "inner_prod", "check_close", "default_gradient_tolerance"]

EPS = 1e-4

default_gradient_tolerance = {
    np.dtype(np.float16): 1e-2,
    np.dtype(np.float32): 2e-3,
    np.dtype(np.float64): 1e-5,
    np.dtype(np.complex64): 2e-3,
    np.dtype(np.complex128): 1e-5,
}

# default finite-difference step per dtype the difference is evaluated in
_default_eps = {
    np.dtype(np.float16): 1e-1,
    np.dtype(np.float32): 1e-2,
    np.dtype(np.float64): EPS,
    np.dtype(np.complex64): 1e-2,
    np.dtype(np.complex128): EPS,
}

_UPCAST = {
    np.dtype(np.float16): np.dtype(np.float64),
    np.dtype(np.float32): np.dtype(np.float64),
    np.dtype(np.complex64): np.dtype(np.complex128),
}


# --------------------------------------------------------------------------
# leaves


def _dtype(x):
    if isinstance(x, (Array, np.ndarray, np.generic)):
        return np.dtype(x.dtype)
    return dtypes.dtype(x)


def _is_float0(x):
    return isinstance(x, (np.ndarray, Array)) and not isinstance(x, Tracer) and \
        np.dtype(x.dtype) == dtypes.float0


def _is_inexact(dt):
    return dt != dtypes.float0 and dt.kind in "fc"


def _np(x):
    """The NumPy value of a leaf (for comparisons)."""
    if isinstance(x, Tracer):
        raise TypeError("check_grads compared a tracer: the function leaked a tracer")
    if isinstance(x, Array):
        return np.asarray(x._value)
    return np.asarray(x)


def _weak(x):
    if isinstance(x, Array):
        return bool(x.weak_type)
    return isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic)


def _as_leaf(value, like):
    """``value`` (a NumPy array) as an argument leaf of the same kind as ``like``:
    a cotan Array that keeps ``like``'s weak type."""
    return Array(np.asarray(value, dtype=value.dtype), _weak(like))


def _zeros_float0(x):
    return np.zeros(np.shape(_np(x)), dtypes.float0)


def _tangent_dtype(dt):
    return dt if _is_inexact(dt) else dtypes.float0


def rand_like(rng, x):
    """A random (standard normal) value shaped like ``x``, of its tangent dtype
    (``float0`` zeros for integer and boolean ``x``)."""
    dt = _dtype(x)
    shape = np.shape(_np(x)) if not isinstance(x, (bool, int, float, complex)) else ()
    if not _is_inexact(dt):
        return np.zeros(shape, dtypes.float0)
    if dt.kind == "c":
        v = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    else:
        v = rng.standard_normal(shape)
    return Array(np.asarray(v, dtype=dt))


def _rng():
    return np.random.RandomState(0)


def inner_prod(xs, ys):
    """``sum(real(vdot(x, y)))`` over the inexact leaves of two pytrees."""
    xl, _ = tree_flatten(xs)
    yl, _ = tree_flatten(ys)
    if len(xl) != len(yl):
        raise AssertionError(f"inner_prod: {len(xl)} leaves against {len(yl)}")
    total = 0.0
    for x, y in zip(xl, yl):
        x, y = _np(x), _np(y)
        if x.dtype == dtypes.float0 or y.dtype == dtypes.float0:
            continue
        if x.dtype.kind not in "fc" or y.dtype.kind not in "fc":
            continue
        xx = np.asarray(x, np.complex128 if x.dtype.kind == "c" else np.float64)
        yy = np.asarray(y, np.complex128 if y.dtype.kind == "c" else np.float64)
        total = total + np.real(np.vdot(xx.reshape(-1), yy.reshape(-1)))
    return np.float64(total)


def _conj(tree):
    def c(x):
        if _is_float0(x):
            return x
        v = _np(x)
        if v.dtype.kind == "c":
            return Array(np.conj(v), _weak(x))
        return x
    return tree_map(c, tree)


# --------------------------------------------------------------------------
# comparisons


def _tol(dt, given):
    if given is not None:
        if isinstance(given, dict):
            return given.get(np.dtype(dt), default_gradient_tolerance.get(np.dtype(dt), 0.0))
        return float(given)
    return default_gradient_tolerance.get(np.dtype(dt), 0.0)


def _fmt(a):
    with np.printoptions(precision=10, threshold=60, edgeitems=4):
        return np.array2string(np.asarray(a), separator=", ")


def _assert_close_leaf(actual, expected, atol, rtol, err_msg):
    a, e = _np(actual), _np(expected)
    if a.shape != e.shape:
        raise AssertionError(
            f"{err_msg}: shapes differ: actual {a.shape} vs expected {e.shape}\n"
            f"actual:   {_fmt(a)}\nexpected: {_fmt(e)}")
    if a.dtype == dtypes.float0 or e.dtype == dtypes.float0:
        if a.dtype != e.dtype:
            raise AssertionError(
                f"{err_msg}: dtypes differ: actual {a.dtype} vs expected {e.dtype}")
        return
    dts = [d for d in (a.dtype, e.dtype) if d.kind in "fc"]
    at = max([_tol(d, atol) for d in dts], default=0.0)
    rt = max([_tol(d, rtol) for d in dts], default=0.0)
    if a.dtype.kind in "biu" and e.dtype.kind in "biu":
        ok = np.array_equal(a, e)
        if ok:
            return
        raise AssertionError(f"{err_msg}: integer values differ\nactual:   {_fmt(a)}\n"
                             f"expected: {_fmt(e)}")
    wide = np.complex128 if (a.dtype.kind == "c" or e.dtype.kind == "c") else np.float64
    aa = np.asarray(a, wide)
    ee = np.asarray(e, wide)
    with np.errstate(all="ignore"):
        same_nonfinite = (~np.isfinite(aa)) & (~np.isfinite(ee)) & (
            (np.isnan(aa) & np.isnan(ee)) | (aa == ee))
        diff = np.abs(aa - ee)
        diff = np.where(same_nonfinite, 0.0, diff)
        bad = ~(diff <= at + rt * np.abs(ee))
        bad &= ~same_nonfinite
        if not bad.any():
            return
        max_abs = float(np.nanmax(np.where(np.isfinite(diff), diff, np.inf))) if diff.size else 0.0
        rel = diff / np.abs(ee)
        rel = np.where(same_nonfinite, 0.0, rel)
        max_rel = float(np.nanmax(rel)) if rel.size else 0.0
    raise AssertionError(
        f"{err_msg}: not close (atol={at:g}, rtol={rt:g}); "
        f"{int(bad.sum())} of {bad.size} elements differ; "
        f"max abs error {max_abs:.6g}, max rel error {max_rel:.6g}\n"
        f"actual:   {_fmt(a)}\nexpected: {_fmt(e)}")


def check_close(actual, expected, atol=None, rtol=None, err_msg=""):
    """Assert two pytrees are equal in structure and close leaf by leaf."""
    al, at = tree_flatten(actual)
    el, et = tree_flatten(expected)
    if at != et:
        raise AssertionError(f"{err_msg}: tree structures differ: {at} vs {et}")
    for i, (a, e) in enumerate(zip(al, el)):
        _assert_close_leaf(a, e, atol, rtol, f"{err_msg} (leaf {i})" if len(al) > 1 else err_msg)


def _check_tangent_dtypes(primals_out, tangents_out, err_msg):
    pl, pt = tree_flatten(primals_out)
    tl, tt = tree_flatten(tangents_out)
    if pt != tt:
        raise AssertionError(f"{err_msg}: primal and tangent outputs have different tree "
                             f"structures: {pt} vs {tt}")
    for i, (p, t) in enumerate(zip(pl, tl)):
        want = _tangent_dtype(_dtype(p))
        got = _dtype(t)
        if got != want:
            raise AssertionError(
                f"{err_msg}: tangent output {i} has dtype {got}, expected {want} for a "
                f"primal output of dtype {_dtype(p)}")
        if np.shape(_np(t)) != np.shape(_np(p)):
            raise AssertionError(
                f"{err_msg}: tangent output {i} has shape {np.shape(_np(t))}, expected "
                f"{np.shape(_np(p))}")


# --------------------------------------------------------------------------
# finite differences


def _perturb(args, tangents, scale):
    def f(x, t):
        if _is_float0(t):
            return x
        v = _np(x)
        tv = _np(t)
        return _as_leaf(np.asarray(v + scale * tv.astype(v.dtype), dtype=v.dtype), x)
    return tree_map(f, args, tangents)


def _cast_tree(tree, table):
    def f(x):
        if _is_float0(x):
            return x
        v = _np(x)
        dt = table.get(v.dtype)
        if dt is None:
            return x
        return Array(v.astype(dt), _weak(x))
    return tree_map(f, tree)


def _difference(f_pos, f_neg, eps):
    def d(p, n):
        p, n = _np(p), _np(n)
        if p.dtype.kind not in "fc":
            return np.zeros(p.shape, dtypes.float0)
        with np.errstate(all="ignore"):
            return (p - n) * (0.5 / eps)
    return tree_map(d, f_pos, f_neg)


def _leaf_dtypes(tree):
    return [_dtype(x) for x in tree_flatten(tree)[0]]


def _default_eps_for(args):
    dts = [d for d in _leaf_dtypes(args) if _is_inexact(d)]
    if not dts:
        return EPS
    return max(_default_eps.get(d, EPS) for d in dts)


def numerical_jvp(f, primals, tangents, eps=None):
    """Central finite difference of ``f`` at ``primals`` along ``tangents``.

    With x64 enabled the difference is evaluated in float64/complex128."""
    primals = tuple(primals)
    tangents = tuple(tangents)
    if config.jax_enable_x64 and any(d in _UPCAST for d in _leaf_dtypes(primals)):
        try:
            wide_p = _cast_tree(primals, _UPCAST)
            wide_t = _cast_tree(tangents, _UPCAST)
            e = _default_eps_for(wide_p) if eps is None else eps
            return _numerical_jvp(f, wide_p, wide_t, e)
        except Exception:  # noqa: BLE001 - the function insists on its dtypes
            pass
    e = _default_eps_for(primals) if eps is None else eps
    return _numerical_jvp(f, primals, tangents, e)


def _numerical_jvp(f, primals, tangents, eps):
    f_pos = f(*_perturb(primals, tangents, eps))
    f_neg = f(*_perturb(primals, tangents, -eps))
    return _difference(f_pos, f_neg, eps)


# --------------------------------------------------------------------------
# the checks


def _rand_tree(rng, tree):
    return tree_map(functools.partial(rand_like, rng), tree)


def check_jvp(f, f_jvp, args, atol=None, rtol=None, eps=None, err_msg=""):
    """Check ``f_jvp(primals, tangents) -> (f(*primals), J tangents)`` against
    ``f`` and its central finite difference along a random tangent."""
    args = tuple(args)
    rng = _rng()
    tangent = _rand_tree(rng, args)
    v_out, t_out = f_jvp(args, tangent)
    where = f"check_jvp{': ' + err_msg if err_msg else ''}"
    _check_tangent_dtypes(v_out, t_out, where)
    v_expected = f(*args)
    check_close(v_out, v_expected, atol, rtol, f"{where}: primal output")
    t_expected = numerical_jvp(f, args, tangent, eps)
    check_close(t_out, t_expected, atol, rtol,
                f"{where}: tangent output vs central finite differences")


def check_vjp(f, f_vjp, args, atol=None, rtol=None, eps=None, err_msg="", f_jvp=None):
    """Check ``f_vjp(*args) -> (f(*args), vjp_fun)`` with the dot-product
    identity ``<u, J v> == <J^T u, v>``.  ``J v`` comes from ``f_jvp(primals,
    tangents)`` when given (reverse against forward mode), otherwise from
    central finite differences."""
    args = tuple(args)
    rng = _rng()
    where = f"check_vjp{': ' + err_msg if err_msg else ''}"
    v_out, vjpfun = f_vjp(*args)
    v_expected = f(*args)
    check_close(v_out, v_expected, atol, rtol, f"{where}: primal output")
    tangent = _rand_tree(rng, args)
    if f_jvp is None:
        tangent_out = numerical_jvp(f, args, tangent, eps)
        against = "central finite differences"
    else:
        _, tangent_out = f_jvp(args, tangent)
        against = "forward mode (jvp)"
    cotangent = _rand_tree(rng, v_out)
    cotangent_out = _conj(vjpfun(_conj(cotangent)))
    cl, ct = tree_flatten(cotangent_out)
    al, at = tree_flatten(args)
    if ct != at:
        raise AssertionError(f"{where}: the vjp function returned a tree {ct}, expected the "
                             f"structure of the primals {at}")
    for i, (c, a) in enumerate(zip(cl, al)):
        want = _tangent_dtype(_dtype(a))
        if _dtype(c) != want or np.shape(_np(c)) != np.shape(_np(a)):
            raise AssertionError(
                f"{where}: cotangent output {i} is {_dtype(c)}{list(np.shape(_np(c)))}, "
                f"expected {want}{list(np.shape(_np(a)))}")
    ip = inner_prod(tangent, cotangent_out)
    ip_expected = inner_prod(tangent_out, cotangent)
    dts = [d for d in _leaf_dtypes(v_out) + _leaf_dtypes(args) if _is_inexact(d)]
    at_ = max([_tol(d, atol) for d in dts], default=0.0)
    rt_ = max([_tol(d, rtol) for d in dts], default=0.0)
    if not abs(ip - ip_expected) <= at_ + rt_ * abs(ip_expected):
        raise AssertionError(
            f"{where}: <J^T u, v> = {ip!r} but <u, J v> = {ip_expected!r} with J v from "
            f"{against} (atol={at_:g}, rtol={rt_:g}); max abs error {abs(ip - ip_expected):.6g}, "
            f"max rel error {abs(ip - ip_expected) / max(abs(ip_expected), 1e-300):.6g}\n"
            f"u (cotangent): {_fmt_tree(cotangent)}\nJ^T u:        {_fmt_tree(cotangent_out)}\n"
            f"v (tangent):   {_fmt_tree(tangent)}\nJ v:          {_fmt_tree(tangent_out)}")


def _fmt_tree(t):
    leaves, _ = tree_flatten(t)
    return "[" + "; ".join(_fmt(_np(x)) for x in leaves) + "]"


def _jvp_tangents_like(args):
    """Tangents for the recursion of check_grads: the args themselves, with
    float0 zeros in place of integer leaves."""
    def f(x):
        if _is_inexact(_dtype(x)):
            return x
        return _zeros_float0(x)
    return tree_map(f, args)


def check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check the derivatives of ``f`` at ``args`` up to ``order``, in forward
    mode (``"fwd"``: jvp vs finite differences) and/or reverse mode
    (``"rev"``: vjp vs jvp by the dot-product identity).  Raises
    ``AssertionError`` on a mismatch."""
    from . import api

    args = tuple(args)
    if isinstance(modes, str):
        modes = (modes,)
    for m in modes:
        if m not in ("fwd", "rev"):
            raise ValueError(f"Unknown mode {m!r}: modes are 'fwd' and 'rev'.")
    _jvp = functools.partial(check_jvp, atol=atol, rtol=rtol, eps=eps)
    _vjp = functools.partial(check_vjp, atol=atol, rtol=rtol, eps=eps)

    def _check(f, args, order, path):
        if "fwd" in modes:
            _jvp(f, functools.partial(api.jvp, f), args, err_msg=f"{path}fwd")
            if order > 1:
                _check(functools.partial(api.jvp, f), (args, _jvp_tangents_like(args)),
                       order - 1, f"{path}jvp-function/")
        if "rev" in modes:
            _vjp(f, functools.partial(api.vjp, f), args, err_msg=f"{path}rev",
                 f_jvp=functools.partial(api.jvp, f))
            if "fwd" not in modes:
                _vjp(f, functools.partial(api.vjp, f), args,
                     err_msg=f"{path}rev vs finite differences")
            if order > 1:
                def f_vjp(*args):
                    out, vjp_fun = api.vjp(f, *args)
                    return vjp_fun(out)
                _check(f_vjp, args, order - 1, f"{path}vjp-function/")

    _check(f, args, order, f"order {order}: ")

