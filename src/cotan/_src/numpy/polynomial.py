"""Polynomial helpers of ``jax.numpy`` not in manipulation.py: poly, polydiv, polyfit, roots.

Composed from cotan.numpy functions (no new primitives).  Shapes that depend on
values (stripping leading zeros) are computed eagerly, as in JAX.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import dtypes
from ..core import Tracer
from .util import asarray_arg, promote_dtypes_inexact, to_inexact


def _jnp():
    import cotan.numpy as jnp  # lazy: this module is imported while cotan.numpy loads
    return jnp


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots (or a square matrix's
    characteristic polynomial)."""
    jnp = _jnp()
    seq = asarray_arg(seq_of_zeros)
    if seq.ndim == 2 and seq.shape[0] == seq.shape[1] and seq.shape[0] != 0:
        seq = jnp.linalg.eigvals(seq)
    elif seq.ndim == 0:
        seq = jnp.reshape(seq, (1,))
    elif seq.ndim != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    seq = to_inexact(seq)
    if seq.shape[0] == 0:
        return jnp.asarray(1.0, dtype=seq.dtype)
    a = jnp.ones((1,), dtype=seq.dtype)
    for k in range(seq.shape[0]):
        a = jnp.convolve(a, jnp.stack([jnp.ones((), seq.dtype), -seq[k]]), mode="full")
    return a


def polydiv(u, v, *, trim_leading_zeros=False):
    """Quotient and remainder of polynomial division ``u / v``.

    As in JAX the remainder keeps ``len(u)`` coefficients (leading ones are ~0);
    ``trim_leading_zeros=True`` strips leading zeros of ``u`` first (eager only).
    """
    jnp = _jnp()
    u, v = promote_dtypes_inexact(asarray_arg(u), asarray_arg(v))
    if u.ndim != 1 or v.ndim != 1:
        raise ValueError("polydiv: u and v must be 1-D")
    if trim_leading_zeros:
        u = jnp.trim_zeros(u, "f")
    m = u.shape[0] - 1
    n = v.shape[0] - 1
    scale = 1. / v[0]
    q = jnp.zeros((max(m - n + 1, 1),), dtype=u.dtype)
    r = u
    for k in range(m - n + 1):
        d = scale * r[k]
        q = q.at[k].set(d)
        r = r.at[k:k + n + 1].add(-(d * v))
    return q, r


def roots(p, *, strip_zeros=True):
    """Roots of a polynomial (eigenvalues of its companion matrix), complex.

    ``strip_zeros=True`` strips leading zeros eagerly (needs a concrete array);
    with ``strip_zeros=False`` (jit-friendly) each leading zero yields a ``nan``
    root instead.
    """
    jnp = _jnp()
    p = to_inexact(asarray_arg(p))
    if p.ndim != 1:
        raise ValueError("Input must be a rank-1 array.")
    cdt = dtypes.to_complex_dtype(p.dtype) if hasattr(dtypes, "to_complex_dtype") else \
        np.result_type(p.dtype, np.complex64)
    if strip_zeros:
        if isinstance(p, Tracer):
            raise TypeError("roots with strip_zeros=True needs a concrete array (its output "
                            "shape depends on the values); pass strip_zeros=False under jit")
        p = jnp.trim_zeros(p, "f")
        if p.shape[0] < 2:
            return jnp.zeros((0,), dtype=cdt)
        return _companion_roots(jnp, p).astype(cdt)
    n = p.shape[0]
    if n < 2:
        return jnp.zeros((0,), dtype=cdt)
    nz = p != 0
    # number of leading zeros (n when all are zero)
    k = jnp.where(jnp.any(nz), jnp.argmax(nz), n)
    shifted = jnp.roll(p, -k)  # leading zeros move to the end: k spurious zero roots
    r = _companion_roots(jnp, shifted).astype(cdt)
    rank = jnp.argsort(jnp.argsort(jnp.abs(r)))
    return jnp.where(rank < k, jnp.asarray(complex(np.nan, np.nan), dtype=cdt), r)


def _companion_roots(jnp, p):
    n = p.shape[0] - 1
    if n == 1:
        return jnp.reshape(-p[1] / p[0], (1,)).astype(np.result_type(p.dtype, np.complex64))
    A = jnp.diag(jnp.ones((n - 1,), dtype=p.dtype), -1)
    A = A.at[0, :].set(-p[1:] / p[0])
    return jnp.linalg.eigvals(A)


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit (NumPy's ``polyfit``), via ``jnp.linalg.lstsq``."""
    jnp = _jnp()
    deg = operator.index(deg)
    if deg < 0:
        raise ValueError("expected deg >= 0")
    x, y = promote_dtypes_inexact(asarray_arg(x), asarray_arg(y))
    if x.ndim != 1:
        raise TypeError("expected 1D vector for x")
    if x.size == 0:
        raise TypeError("expected non-empty vector for x")
    if y.ndim < 1 or y.ndim > 2:
        raise TypeError("expected 1D or 2D array for y")
    if x.shape[0] != y.shape[0]:
        raise TypeError("expected x and y to have same length")
    order = deg + 1
    if rcond is None:
        rcond = x.shape[0] * float(np.finfo(x.dtype).eps)
    lhs = jnp.vander(x, order)
    rhs = y
    if w is not None:
        w = asarray_arg(w)
        if w.ndim != 1:
            raise TypeError("expected a 1-d array for weights")
        if w.shape[0] != y.shape[0]:
            raise TypeError("expected w and y to have the same length")
        w = w.astype(x.dtype)
        lhs = lhs * w[:, None]
        rhs = rhs * (w if rhs.ndim == 1 else w[:, None])
    scale = jnp.sqrt(jnp.sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = jnp.linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T
    if y.ndim == 1 and resids.ndim == 0:
        resids = jnp.reshape(resids, (1,))  # NumPy/JAX report one residual for 1-D y
    if full:
        return c, resids, rank, s, jnp.asarray(rcond)
    if cov:
        vbase = jnp.linalg.inv(lhs.T @ lhs) / jnp.outer(scale, scale)
        if cov == "unscaled":
            fac = jnp.asarray(1.0, dtype=x.dtype)
        else:
            if x.shape[0] <= order:
                raise ValueError("the number of data points must exceed order to scale the "
                                 "covariance matrix")
            fac = resids / (x.shape[0] - order)
            fac = fac[0] if (y.ndim == 1 and fac.ndim == 1) else fac
        if y.ndim == 1:
            return c, vbase * fac
        return c, vbase[:, :, None] * fac
    return c
