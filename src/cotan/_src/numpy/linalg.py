"""cotan.numpy.linalg (issue 2 part: norm; the rest arrives with issue 5)."""
from __future__ import annotations

import numpy as np

from ..lax import elementwise as lx
from . import reductions as red
from . import ufuncs as uf
from .util import asarray_arg, canonicalize_axes, to_inexact


def norm(x, ord=None, axis=None, keepdims=False):
    x = to_inexact(asarray_arg(x))
    if axis is None:
        if ord is None or (ord in ("fro", "f") and x.ndim == 2) or (ord == 2 and x.ndim == 1):
            return _frob(x, tuple(range(x.ndim)), keepdims)
        axis = tuple(range(x.ndim))
    axes = canonicalize_axes(axis, x.ndim)
    if len(axes) == 1:
        if ord is None or ord == 2:
            return _frob(x, axes, keepdims)
        a = uf.absolute(x)
        if ord == np.inf:
            return red_max(a, axes, keepdims)
        if ord == -np.inf:
            return red_min(a, axes, keepdims)
        if ord == 0:
            return red.sum(uf.not_equal(x, 0).astype(a.dtype), axes, keepdims=keepdims)
        if ord == 1:
            return red.sum(a, axes, keepdims=keepdims)
        if isinstance(ord, str):
            raise ValueError(f"Invalid order '{ord}' for vector norm.")
        p = float(ord)
        return uf.power(red.sum(uf.power(a, p), axes, keepdims=keepdims), 1.0 / p)
    if len(axes) == 2:
        if ord is None or ord in ("fro", "f"):
            return _frob(x, axes, keepdims)
        r, c = axes
        a = uf.absolute(x)
        if ord == 1:
            return red_max(red.sum(a, r, keepdims=True), (r, c), keepdims) if keepdims else \
                red_max(red.sum(a, r), c - (1 if c > r else 0))
        if ord == -1:
            return red_min(red.sum(a, r), c - (1 if c > r else 0))
        if ord == np.inf:
            return red_max(red.sum(a, c), r - (1 if r > c else 0))
        if ord == -np.inf:
            return red_min(red.sum(a, c), r - (1 if r > c else 0))
        if ord in (2, -2, "nuc"):
            from .. import numpy as _jnp  # noqa: F401
            import cotan.numpy as jnp
            y = jnp.moveaxis(x, axes, (-2, -1))
            s = jnp.linalg.svd(y, compute_uv=False)
            out = s[..., 0] if ord == 2 else (s[..., -1] if ord == -2 else red.sum(s, -1))
            return out
        raise ValueError(f"Invalid order '{ord}' for matrix norm.")
    raise ValueError(f"Improper number of axes for norm: {axis}")


def red_max(a, axes, keepdims=False):
    import cotan.numpy as jnp
    return jnp.max(a, axis=axes, keepdims=keepdims)


def red_min(a, axes, keepdims=False):
    import cotan.numpy as jnp
    return jnp.min(a, axis=axes, keepdims=keepdims)


def _frob(x, axes, keepdims):
    if x.dtype.kind == "c":
        sq = lx.real(lx.mul(lx.conj(x), x))
    else:
        sq = lx.mul(x, x)
    return lx.sqrt(red.sum(sq, axes, keepdims=keepdims))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    from ..lax.linalg import svd as _svd
    a = to_inexact(asarray_arg(a))
    out = _svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    if compute_uv:
        u, s, vh = out
        return SVDResult(u, s, vh)
    return out


class SVDResult(tuple):
    def __new__(cls, U, S, Vh):
        return super().__new__(cls, (U, S, Vh))

    U = property(lambda self: self[0])
    S = property(lambda self: self[1])
    Vh = property(lambda self: self[2])
