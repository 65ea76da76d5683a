"""``jax.scipy.optimize``: BFGS minimisation with a strong-Wolfe line search.

Everything is written with cotan ops and ``lax.while_loop`` so that the
whole solve can be traced (``jit``).  The algorithms follow Nocedal & Wright,
*Numerical Optimization* (1999): Algorithm 3.5/3.6 (line search + zoom) and
Algorithm 6.1 (BFGS), with the same state machine, counters and status codes
as ``jax.scipy.optimize``.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from cotan._src import api
from cotan._src.lax import namespace as lax
import cotan._src.numpy.namespace as jnp
from cotan._src.numpy import linalg as _nl

__all__ = ["minimize", "line_search", "OptimizeResults", "LineSearchResults"]


def _quiet(fn):
    """Silence NumPy's floating-point warnings: the interpolation formulas in the
    zoom step legitimately produce nan/inf candidates that are then discarded."""
    import functools

    @functools.wraps(fn)
    def wrapped(*a, **k):
        with np.errstate(all="ignore"):
            return fn(*a, **k)
    return wrapped


def _sel(pred, state: dict, new: dict) -> dict:
    """Functional ``state.update(new)`` applied only where ``pred`` holds."""
    out = dict(state)
    for k, v in new.items():
        old = state[k]
        out[k] = jnp.where(pred, jnp.asarray(v, dtype=old.dtype), old)
    return out


def _cubicmin(a, fa, fpa, b, fb, c, fc):
    """Minimiser of the cubic through (a, fa) with slope fpa, (b, fb), (c, fc)."""
    db = b - a
    dc = c - a
    denom = (db * dc) ** 2 * (db - dc)
    rb = fb - fa - fpa * db
    rc = fc - fa - fpa * dc
    A = (dc ** 2 * rb - db ** 2 * rc) / denom
    B = (db ** 3 * rc - dc ** 3 * rb) / denom
    radical = B * B - 3. * A * fpa
    return a + (-B + jnp.sqrt(radical)) / (3. * A)


def _quadmin(a, fa, fpa, b, fb):
    """Minimiser of the quadratic through (a, fa) with slope fpa and (b, fb)."""
    db = b - a
    B = (fb - fa - fpa * db) / (db ** 2)
    return a - fpa / (2. * B)


def _zoom(phi_dphi, wolfe_one, wolfe_two, a_lo, phi_lo, dphi_lo, a_hi, phi_hi, dphi_hi,
          g_0, pass_through):
    """Algorithm 3.6 (zoom): shrink [a_lo, a_hi] until strong Wolfe holds."""
    fdt = phi_lo.dtype
    f = lambda v: jnp.asarray(v, dtype=fdt)  # noqa: E731
    i32 = lambda v: jnp.asarray(v, dtype=np.int32)  # noqa: E731
    state = dict(
        done=jnp.asarray(False), failed=jnp.asarray(False), j=i32(0),
        a_lo=f(a_lo), phi_lo=f(phi_lo), dphi_lo=f(dphi_lo),
        a_hi=f(a_hi), phi_hi=f(phi_hi), dphi_hi=f(dphi_hi),
        a_rec=f((a_lo + a_hi) / 2.), phi_rec=f((phi_lo + phi_hi) / 2.),
        a_star=f(1.), phi_star=f(phi_lo), dphi_star=f(dphi_lo), g_star=g_0,
        nfev=i32(0), ngev=i32(0))
    threshold = 1e-10 if np.finfo(fdt).bits >= 64 else 1e-5

    def body(s):
        dalpha = s["a_hi"] - s["a_lo"]
        lo = jnp.minimum(s["a_hi"], s["a_lo"])
        hi = jnp.maximum(s["a_hi"], s["a_lo"])
        cchk = 0.2 * dalpha
        qchk = 0.1 * dalpha
        s = dict(s, failed=s["failed"] | (dalpha <= threshold))

        a_cubic = _cubicmin(s["a_lo"], s["phi_lo"], s["dphi_lo"], s["a_hi"], s["phi_hi"],
                            s["a_rec"], s["phi_rec"])
        use_cubic = (s["j"] > 0) & (a_cubic > lo + cchk) & (a_cubic < hi - cchk)
        a_quad = _quadmin(s["a_lo"], s["phi_lo"], s["dphi_lo"], s["a_hi"], s["phi_hi"])
        use_quad = (~use_cubic) & (a_quad > lo + qchk) & (a_quad < hi - qchk)
        a_bisect = (s["a_lo"] + s["a_hi"]) / 2.
        a_j = jnp.where(use_cubic, a_cubic,
                        jnp.where(use_quad, a_quad, a_bisect)).astype(fdt)

        phi_j, dphi_j, g_j = phi_dphi(a_j)
        phi_j = phi_j.astype(fdt)
        dphi_j = dphi_j.astype(fdt)
        g_j = g_j.astype(s["g_star"].dtype)
        s = dict(s, nfev=s["nfev"] + 1, ngev=s["ngev"] + 1)

        hi_to_j = wolfe_one(a_j, phi_j) | (phi_j >= s["phi_lo"])
        star_to_j = wolfe_two(dphi_j) & (~hi_to_j)
        hi_to_lo = (dphi_j * (s["a_hi"] - s["a_lo"]) >= 0.) & (~hi_to_j) & (~star_to_j)
        lo_to_j = (~hi_to_j) & (~star_to_j)

        s = _sel(hi_to_j, s, dict(a_hi=a_j, phi_hi=phi_j, dphi_hi=dphi_j,
                                  a_rec=s["a_hi"], phi_rec=s["phi_hi"]))
        s = _sel(star_to_j, s, dict(a_star=a_j, phi_star=phi_j, dphi_star=dphi_j,
                                    g_star=g_j))
        s["done"] = s["done"] | star_to_j
        s = _sel(hi_to_lo, s, dict(a_hi=s["a_lo"], phi_hi=s["phi_lo"], dphi_hi=s["dphi_lo"],
                                   a_rec=s["a_hi"], phi_rec=s["phi_hi"]))
        s = _sel(lo_to_j & ~hi_to_lo, s, dict(a_rec=s["a_lo"], phi_rec=s["phi_lo"]))
        s = _sel(lo_to_j, s, dict(a_lo=a_j, phi_lo=phi_j, dphi_lo=dphi_j))
        j = s["j"] + 1
        return dict(s, j=j, failed=s["failed"] | (j >= 30))

    return lax.while_loop(lambda s: (~s["done"]) & (~pass_through) & (~s["failed"]),
                          body, state)


class LineSearchResults(NamedTuple):
    """Results of :func:`line_search` (fields as in ``jax.scipy.optimize``)."""
    failed: Any
    nit: Any
    nfev: Any
    ngev: Any
    k: Any
    a_k: Any
    f_k: Any
    g_k: Any
    status: Any


@_quiet
def line_search(f, xk, pk, old_fval=None, old_old_fval=None, gfk=None, c1=1e-4,
                c2=0.9, maxiter=20):
    """Inexact line search satisfying the strong Wolfe conditions (N&W Alg. 3.5).

    Returns :class:`LineSearchResults`; ``status`` is 0 on success, 1 when zoom
    failed and 3 when ``maxiter`` was reached.
    """
    xk = jnp.asarray(xk)
    pk = jnp.asarray(pk)
    dt = jnp.result_type(xk, pk, 1.0)
    xk = xk.astype(dt)
    pk = pk.astype(dt)
    fdt = jnp.finfo(dt).dtype  # real dtype of the line-search scalars

    value_and_grad = api.value_and_grad(f)

    def phi_dphi(t):
        t = jnp.asarray(t, dtype=dt)
        phi, g = value_and_grad(xk + t * pk)
        dphi = jnp.real(jnp.dot(g, pk))
        return phi, dphi, g

    fresh = old_fval is None or gfk is None
    if fresh:
        phi_0, dphi_0, gfk = phi_dphi(0.)
    else:
        phi_0 = jnp.asarray(old_fval)
        dphi_0 = jnp.real(jnp.dot(gfk, pk))
    phi_0 = jnp.asarray(phi_0).astype(fdt)
    dphi_0 = jnp.asarray(dphi_0).astype(fdt)
    gfk = jnp.asarray(gfk).astype(dt)
    if old_old_fval is not None:
        cand = 1.01 * 2 * (phi_0 - old_old_fval) / dphi_0
        start = jnp.where(cand > 1, 1.0, cand).astype(fdt)
    else:
        start = jnp.asarray(1.0, dtype=fdt)

    def wolfe_one(a_i, phi_i):  # sufficient decrease (Armijo)
        return phi_i > phi_0 + c1 * a_i * dphi_0

    def wolfe_two(dphi_i):  # strong curvature condition
        return jnp.abs(dphi_i) <= -c2 * dphi_0

    fz = lambda v: jnp.asarray(v, dtype=fdt)  # noqa: E731
    i32 = lambda v: jnp.asarray(v, dtype=np.int32)  # noqa: E731
    state = dict(
        done=jnp.asarray(False), failed=jnp.asarray(False), i=i32(1),
        a_i1=fz(0.), phi_i1=phi_0, dphi_i1=dphi_0,
        nfev=i32(1 if fresh else 0), ngev=i32(1 if fresh else 0),
        a_star=fz(0.), phi_star=phi_0, dphi_star=dphi_0, g_star=gfk)
    star_keys = ("a_star", "phi_star", "dphi_star", "g_star")

    def body(s):
        a_i = jnp.where(s["i"] == 1, start, s["a_i1"] * 2.).astype(fdt)
        phi_i, dphi_i, g_i = phi_dphi(a_i)
        phi_i = phi_i.astype(fdt)
        dphi_i = dphi_i.astype(fdt)
        g_i = g_i.astype(dt)
        s = dict(s, nfev=s["nfev"] + 1, ngev=s["ngev"] + 1)

        star_to_zoom1 = wolfe_one(a_i, phi_i) | ((phi_i >= s["phi_i1"]) & (s["i"] > 1))
        star_to_i = wolfe_two(dphi_i) & (~star_to_zoom1)
        star_to_zoom2 = (dphi_i >= 0.) & (~star_to_zoom1) & (~star_to_i)

        z1 = _zoom(phi_dphi, wolfe_one, wolfe_two, s["a_i1"], s["phi_i1"], s["dphi_i1"],
                   a_i, phi_i, dphi_i, gfk, ~star_to_zoom1)
        z2 = _zoom(phi_dphi, wolfe_one, wolfe_two, a_i, phi_i, dphi_i,
                   s["a_i1"], s["phi_i1"], s["dphi_i1"], gfk, ~star_to_zoom2)
        s = dict(s, nfev=s["nfev"] + z1["nfev"] + z2["nfev"],
                 ngev=s["ngev"] + z1["ngev"] + z2["ngev"])

        s = _sel(star_to_zoom1, s, {k: z1[k] for k in star_keys})
        s["done"] = s["done"] | star_to_zoom1
        s["failed"] = s["failed"] | (star_to_zoom1 & z1["failed"])
        s = _sel(star_to_i, s, dict(a_star=a_i, phi_star=phi_i, dphi_star=dphi_i,
                                    g_star=g_i))
        s["done"] = s["done"] | star_to_i
        s = _sel(star_to_zoom2, s, {k: z2[k] for k in star_keys})
        s["done"] = s["done"] | star_to_zoom2
        s["failed"] = s["failed"] | (star_to_zoom2 & z2["failed"])
        return dict(s, i=s["i"] + 1, a_i1=a_i, phi_i1=phi_i, dphi_i1=dphi_i)

    s = lax.while_loop(lambda s: (~s["done"]) & (s["i"] <= maxiter) & (~s["failed"]),
                       body, state)
    status = jnp.where(s["failed"], 1, jnp.where(s["i"] > maxiter, 3, 0)).astype(np.int32)
    a_k = s["a_star"]
    if np.finfo(fdt).bits != 64:  # keep tiny steps from vanishing in low precision
        a_k = jnp.where(jnp.abs(a_k) < 1e-8, jnp.sign(a_k) * 1e-8, a_k).astype(fdt)
    return LineSearchResults(failed=s["failed"] | (~s["done"]), nit=s["i"] - 1,
                             nfev=s["nfev"], ngev=s["ngev"], k=s["i"], a_k=a_k,
                             f_k=s["phi_star"], g_k=s["g_star"], status=status)


class OptimizeResults(NamedTuple):
    """Result of :func:`minimize`.

    status: 0 converged, 1 max BFGS iterations reached, 3 zoom failed,
    4 saddle point reached, 5 max line search iterations reached, -1 undefined.
    """
    x: Any
    success: Any
    status: Any
    fun: Any
    jac: Any
    hess_inv: Any
    nfev: Any
    njev: Any
    nit: Any


def _minimize_bfgs(fun, x0, maxiter=None, norm=np.inf, gtol=1e-5, line_search_maxiter=10):
    """BFGS (N&W Algorithm 6.1) as one ``lax.while_loop``."""
    x0 = jnp.asarray(x0)
    if not jnp.issubdtype(x0.dtype, jnp.inexact):
        x0 = x0.astype(jnp.result_type(x0, 1.0))
    if maxiter is None:
        maxiter = int(np.size(x0)) * 200
    d = x0.shape[0]
    dt = x0.dtype
    eye = jnp.eye(d, dtype=dt)
    f_0, g_0 = api.value_and_grad(fun)(x0)
    f_0 = jnp.asarray(f_0)
    fdt = f_0.dtype
    g_0 = jnp.asarray(g_0).astype(dt)
    i32 = lambda v: jnp.asarray(v, dtype=np.int32)  # noqa: E731
    state = dict(
        converged=_nl.norm(g_0, ord=norm) < gtol, failed=jnp.asarray(False),
        k=i32(0), nfev=i32(1), ngev=i32(1), x_k=x0, f_k=f_0, g_k=g_0, H_k=eye,
        old_old_fval=(f_0 + _nl.norm(g_0) / 2).astype(fdt),
        line_search_status=i32(0))

    def cond(s):
        return (~s["converged"]) & (~s["failed"]) & (s["k"] < maxiter)

    def body(s):
        p_k = -jnp.dot(s["H_k"], s["g_k"])
        ls = line_search(fun, s["x_k"], p_k, old_fval=s["f_k"],
                         old_old_fval=s["old_old_fval"], gfk=s["g_k"],
                         maxiter=line_search_maxiter)
        s_k = (ls.a_k * p_k).astype(dt)
        x_kp1 = s["x_k"] + s_k
        g_kp1 = ls.g_k.astype(dt)
        y_k = g_kp1 - s["g_k"]
        rho_k = jnp.reciprocal(jnp.dot(y_k, s_k))
        w = eye - rho_k * jnp.outer(s_k, y_k)
        H_kp1 = w @ s["H_k"] @ w.T + rho_k * jnp.outer(s_k, s_k)
        H_kp1 = jnp.where(jnp.isfinite(rho_k), H_kp1, s["H_k"]).astype(dt)
        return dict(
            converged=_nl.norm(g_kp1, ord=norm) < gtol,
            failed=ls.failed, k=s["k"] + 1,
            nfev=s["nfev"] + ls.nfev, ngev=s["ngev"] + ls.ngev,
            x_k=x_kp1, f_k=ls.f_k.astype(fdt), g_k=g_kp1, H_k=H_kp1,
            old_old_fval=s["f_k"], line_search_status=ls.status)

    s = lax.while_loop(cond, body, state)
    status = jnp.where(s["converged"], 0,
                       jnp.where(s["k"] == maxiter, 1,
                                 jnp.where(s["failed"], 2 + s["line_search_status"], -1)))
    return s, status.astype(np.int32)


@_quiet
def minimize(fun, x0, args=(), *, method="BFGS", tol=None, options=None):
    """Minimise a scalar function of one or more variables (``jax.scipy.optimize.minimize``).

    Only ``method="BFGS"`` is supported; gradients come from ``cotan.grad``.
    ``options``: ``maxiter`` (default ``200 * x0.size``), ``gtol`` (default
    1e-5; ``tol`` sets it when not given), ``norm`` (default ``inf``) and
    ``line_search_maxiter`` (default 10).  Works under ``jit``.
    """
    options = dict(options or {})
    if not isinstance(args, tuple):
        raise TypeError("args argument to cotan.scipy.optimize.minimize must be a tuple, "
                        f"got {args}")
    if tol is not None:
        options.setdefault("gtol", tol)
    x0 = jnp.asarray(x0)
    if x0.ndim != 1:
        raise ValueError(f"x0 must be a 1-dimensional array, got shape {x0.shape}")

    def fun_with_args(x):
        return fun(x, *args)

    if method.lower() == "bfgs":
        s, status = _minimize_bfgs(fun_with_args, x0, **options)
        return OptimizeResults(x=s["x_k"], success=s["converged"] & (~s["failed"]),
                               status=status, fun=s["f_k"], jac=s["g_k"], hess_inv=s["H_k"],
                               nfev=s["nfev"], njev=s["ngev"], nit=s["k"])
    raise ValueError(f"Method {method} not recognized")
