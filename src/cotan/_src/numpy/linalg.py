"""cotan.numpy.linalg: NumPy's linalg with JAX's semantics.

Every function is composed from lax operations and the primitives of
``lax/linalg.py`` (``solve``/``inv``/``det``/``slogdet`` go through ``lu`` and
``triangular_solve``), so forward and reverse derivatives, jit and vmap come
from those primitives' rules.  ``det``, ``slogdet`` and ``pinv`` are
primitives of their own (``det_p``, ``slogdet_p``, ``pinv_p``) whose JVPs, like
JAX's custom JVPs, stay finite at singular matrices (det: the cofactor matrix;
slogdet: ``tr(solve(A, dA))``) and at repeated singular values (pinv).
"""
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
        if ord in (1, -1):
            colsum = red.sum(a, r)
            out = (red_max if ord == 1 else red_min)(colsum, c - (1 if c > r else 0))
        elif ord in (np.inf, -np.inf):
            rowsum = red.sum(a, c)
            out = (red_max if ord == np.inf else red_min)(rowsum, r - (1 if r > c else 0))
        elif ord in (2, -2, "nuc"):
            import cotan.numpy as jnp
            y = jnp.moveaxis(x, axes, (-2, -1))
            s = svd(y, compute_uv=False)
            out = s[..., 0] if ord == 2 else (s[..., -1] if ord == -2 else red.sum(s, -1))
        else:
            raise ValueError(f"Invalid order '{ord}' for matrix norm.")
        if keepdims:
            import cotan.numpy as jnp
            out = jnp.expand_dims(out, tuple(sorted(axes)))
        return out
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


# --------------------------------------------------------------------------
# issue 5: the rest of jnp.linalg

from typing import NamedTuple  # noqa: E402

from ..lax import linalg as _ll  # noqa: E402


def _jnp():
    import cotan.numpy as jnp
    return jnp


def _mat(a, name):
    a = to_inexact(asarray_arg(a))
    if a.ndim < 2:
        raise ValueError(f"{name}: expected an array of rank >= 2, got shape {a.shape}")
    return a


def _square(a, name):
    a = _mat(a, name)
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name}: last two dimensions must be square, got shape {a.shape}")
    return a


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


def matrix_transpose(x):
    x = asarray_arg(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose requires rank >= 2, got shape {x.shape}")
    return _jnp().swapaxes(x, -1, -2)


def _h(x):
    x = matrix_transpose(x)
    return lx.conj(x) if x.dtype.kind == "c" else x


def cholesky(a, *, upper=False, symmetrize_input=True):
    a = _square(a, "cholesky")
    L = _ll.cholesky(a, symmetrize_input=symmetrize_input)
    return _h(L) if upper else L


def _broadcast_batch(a, b, core_a, core_b):
    jnp = _jnp()
    batch = np.broadcast_shapes(a.shape[:a.ndim - core_a], b.shape[:b.ndim - core_b])
    return (jnp.broadcast_to(a, batch + a.shape[a.ndim - core_a:]),
            jnp.broadcast_to(b, batch + b.shape[b.ndim - core_b:]))


def solve(a, b):
    jnp = _jnp()
    a = _square(a, "solve")
    b = asarray_arg(b)
    dt = jnp.result_type(a, b)
    a, b = a.astype(dt), b.astype(dt)
    if b.ndim == 1:
        if b.shape[0] != a.shape[-1]:
            raise ValueError(f"solve: incompatible shapes {a.shape} and {b.shape}")
        a2, b2 = _broadcast_batch(a, b[:, None], 2, 2)
        return _solve_mat(a2, b2)[..., 0]
    if b.shape[-2] != a.shape[-1]:
        raise ValueError(f"solve: incompatible shapes {a.shape} and {b.shape}")
    a2, b2 = _broadcast_batch(a, b, 2, 2)
    return _solve_mat(a2, b2)


def _solve_mat(a, b):
    lu, _, perm = _ll.lu(a)
    return _ll.lu_solve(lu, perm, b)


def inv(a):
    jnp = _jnp()
    a = _square(a, "inv")
    eye = jnp.broadcast_to(jnp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    return _solve_mat(a, eye)


def det(a):
    a = _square(a, "det")
    return _ll.det(a)


def slogdet(a, *, method=None):
    a = _square(a, "slogdet")
    sign, logabs = _ll.slogdet(a)
    return SlogdetResult(sign, logabs)


def eigh(a, UPLO=None, symmetrize_input=True):
    a = _square(a, "eigh")
    lower = UPLO is None or UPLO == "L"
    v, w = _ll.eigh(a, lower=lower, symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):
    return eigh(a, UPLO, symmetrize_input=symmetrize_input).eigenvalues


def eig(a):
    a = _square(a, "eig")
    w, v = _ll.eig(a)
    return EigResult(w, v)


def eigvals(a):
    a = _square(a, "eigvals")
    return _ll.eig(a, compute_right_eigenvectors=False)[0]


def qr(a, mode="reduced"):
    a = _mat(a, "qr")
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    if mode == "raw":
        raise NotImplementedError("qr: mode='raw' is not supported")
    q, r = _ll.qr(a, full_matrices=(mode == "complete"))
    if mode == "r":
        return r
    return QRResult(q, r)


def svdvals(x):
    return svd(x, compute_uv=False)


def _default_rtol(a, s):
    return max(a.shape[-2:]) * np.finfo(s.dtype).eps


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
    a = _mat(a, "pinv")
    if rcond is not None:
        rtol = rcond
    if rtol is not None and not isinstance(rtol, (int, float, np.floating, np.integer)):
        rtol = np.asarray(rtol)
        if rtol.ndim:
            raise NotImplementedError("pinv: rtol must be a scalar")
        rtol = float(rtol)
    return _ll.pinv(a, rtol)


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    jnp = _jnp()
    a = _mat(a, "lstsq")
    b = asarray_arg(b)
    dt = jnp.result_type(a, b)
    a, b = a.astype(dt), b.astype(dt)
    if a.ndim != 2:
        raise TypeError(f"lstsq only supports 2D arrays, got a of shape {a.shape}")
    vec = b.ndim == 1
    if vec:
        b = b[:, None]
    m, n = a.shape
    u, s, vh = svd(a, full_matrices=False)
    if rcond is None:
        rcond = np.finfo(s.dtype).eps * max(m, n)
    elif rcond < 0:
        rcond = np.finfo(s.dtype).eps
    mask = s >= jnp.asarray(rcond, s.dtype) * s[0]
    rank = jnp.sum(mask)
    safe_s = jnp.where(mask, s, 1.0).astype(s.dtype)
    s_inv = jnp.where(mask, 1.0 / safe_s, 0.0).astype(s.dtype)[:, None]
    uTb = jnp.matmul(_h(u), b)
    x = jnp.matmul(_h(vh), (s_inv * uTb))
    b_est = jnp.matmul(a, x)
    r = b - b_est
    resid = jnp.sum(jnp.real(r * lx.conj(r)) if r.dtype.kind == "c" else r * r, axis=0)
    if numpy_resid and (rank < n or m <= n):
        resid = jnp.zeros((0,), resid.dtype)
    if vec:
        x = x[:, 0]
        # (like JAX and NumPy, a 1-D b keeps a length-1 residual array)
    return x, resid, rank, s


def matrix_power(a, n):
    jnp = _jnp()
    a = _square(asarray_arg(a), "matrix_power") if asarray_arg(a).dtype.kind in "fc" else \
        asarray_arg(a)
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"matrix_power: square matrices required, got {a.shape}")
    n = int(n)
    if n == 0:
        return jnp.broadcast_to(jnp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    if n < 0:
        a = inv(a)
        n = -n
    result = None
    z = a
    while n > 0:
        if n & 1:
            result = z if result is None else jnp.matmul(result, z)
        n >>= 1
        if n:
            z = jnp.matmul(z, z)
    return result


def matrix_rank(M, rtol=None, *, hermitian=False, tol=None):
    jnp = _jnp()
    M = to_inexact(asarray_arg(M))
    if M.ndim < 2:
        return jnp.any(M != 0).astype(np.int32)
    s = svd(M, compute_uv=False)
    if tol is not None:
        thr = jnp.asarray(tol, s.dtype)[..., None]
    else:
        if rtol is None:
            rtol = _default_rtol(M, s)
        thr = jnp.asarray(rtol, s.dtype)[..., None] * jnp.max(s, axis=-1, keepdims=True)
    return jnp.sum(s > thr, axis=-1)


def multi_dot(arrays, *, precision=None):
    jnp = _jnp()
    arrs = [asarray_arg(x) for x in arrays]
    if len(arrs) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    first_vec = arrs[0].ndim == 1
    last_vec = arrs[-1].ndim == 1
    if first_vec:
        arrs[0] = arrs[0][None, :]
    if last_vec:
        arrs[-1] = arrs[-1][:, None]
    # optimal parenthesisation (matrix chain DP) on the static shapes
    dims = [arrs[0].shape[0]] + [x.shape[1] for x in arrs]
    k = len(arrs)
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for ln in range(1, k):
        for i in range(k - ln):
            j = i + ln
            cost[i][j] = None
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s

    def build(i, j):
        if i == j:
            return arrs[i]
        s = split[i][j]
        return jnp.matmul(build(i, s), build(s + 1, j))

    out = build(0, k - 1)
    if first_vec:
        out = out[0]
    if last_vec:
        out = out[..., 0]
    return out


def tensorinv(a, ind=2):
    a = asarray_arg(a)
    ind = int(ind)
    if ind <= 0:
        raise ValueError(f"ind must be a positive integer, got {ind}")
    out_shape = a.shape[ind:] + a.shape[:ind]
    prod_in = int(np.prod(a.shape[:ind]))
    prod_out = int(np.prod(a.shape[ind:]))
    if prod_in != prod_out:
        raise ValueError(f"tensorinv: a is not square: {a.shape}")
    return inv(a.reshape(prod_in, prod_out)).reshape(out_shape)


def tensorsolve(a, b, axes=None):
    jnp = _jnp()
    a = asarray_arg(a)
    b = asarray_arg(b)
    if axes is not None:
        allaxes = list(range(a.ndim))
        for k in axes:
            allaxes.remove(k % a.ndim)
            allaxes.insert(a.ndim, k % a.ndim)
        a = jnp.transpose(a, allaxes)
    oldshape = a.shape[-(a.ndim - b.ndim):] if a.ndim > b.ndim else ()
    prod = int(np.prod(oldshape))
    if int(np.prod(b.shape)) != prod or a.size != prod * prod:
        raise ValueError(f"tensorsolve: incompatible shapes {a.shape} and {b.shape}")
    return solve(a.reshape(prod, prod), b.reshape(prod)).reshape(oldshape)


def cond(x, p=None):
    jnp = _jnp()
    x = _mat(x, "cond")
    if p is None or p == 2:
        s = svd(x, compute_uv=False)
        return s[..., 0] / s[..., -1]
    if p == -2:
        s = svd(x, compute_uv=False)
        return s[..., -1] / s[..., 0]
    r = norm(x, ord=p, axis=(-2, -1)) * norm(inv(x), ord=p, axis=(-2, -1))
    # singular matrices: inf, as NumPy/JAX
    return jnp.where(jnp.isnan(r) & ~jnp.any(jnp.isnan(x), axis=(-2, -1)), jnp.inf, r)


def diagonal(x, /, *, offset=0):
    jnp = _jnp()
    x = asarray_arg(x)
    if x.ndim < 2:
        raise ValueError(f"diagonal requires rank >= 2, got shape {x.shape}")
    m, n = x.shape[-2:]
    k = int(offset)
    length = max(0, min(m, n - k) if k >= 0 else min(m + k, n))
    mask = jnp.asarray(np.eye(m, n, k, dtype=x.dtype if x.dtype != np.bool_ else np.int32))
    xm = x * mask if x.dtype != np.bool_ else (x & mask.astype(bool))
    if k >= 0:
        v = jnp.sum(xm, axis=-1, dtype=x.dtype)
        return v[..., :length]
    v = jnp.sum(xm, axis=-2, dtype=x.dtype)
    return v[..., :length]


def trace(x, /, *, offset=0, dtype=None):
    jnp = _jnp()
    return jnp.sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def outer(x1, x2, /):
    jnp = _jnp()
    x1, x2 = asarray_arg(x1), asarray_arg(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"Input arrays must be one-dimensional, but they are "
                         f"x1.ndim={x1.ndim} and x2.ndim={x2.ndim}")
    return jnp.outer(x1, x2)


def cross(x1, x2, /, *, axis=-1):
    jnp = _jnp()
    x1, x2 = asarray_arg(x1), asarray_arg(x2)
    if x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors, "
                         f"but they have shape[axis]={x1.shape[axis]} and {x2.shape[axis]}")
    dt = jnp.result_type(x1, x2)
    a = jnp.moveaxis(x1.astype(dt), axis, -1)
    b = jnp.moveaxis(x2.astype(dt), axis, -1)
    a, b = jnp.broadcast_arrays(a, b)
    c0 = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    c1 = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    c2 = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return jnp.moveaxis(jnp.stack([c0, c1, c2], axis=-1), -1, axis)


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    jnp = _jnp()
    x1, x2 = asarray_arg(x1), asarray_arg(x2)
    if x1.shape[axis] != x2.shape[axis]:
        raise ValueError(f"axes must match; got shapes {x1.shape} and {x2.shape}")
    a = lx.conj(x1) if x1.dtype.kind == "c" else x1
    out = jnp.sum(a * x2, axis=axis)
    return out if preferred_element_type is None else out.astype(preferred_element_type)


def matmul(x1, x2, /, *, precision=None, preferred_element_type=None):
    return _jnp().matmul(x1, x2, precision=precision,
                         preferred_element_type=preferred_element_type)


def tensordot(x1, x2, /, *, axes=2, precision=None, preferred_element_type=None):
    return _jnp().tensordot(x1, x2, axes=axes, precision=precision,
                            preferred_element_type=preferred_element_type)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    x = asarray_arg(x)
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    jnp = _jnp()
    x = asarray_arg(x)
    if axis is None:
        out = norm(x.ravel(), ord=ord)
        if keepdims:
            out = jnp.reshape(out, (1,) * x.ndim)
        return out
    if isinstance(axis, tuple) and len(axis) > 1:
        axes = canonicalize_axes(axis, x.ndim)
        rest = [i for i in range(x.ndim) if i not in axes]
        y = jnp.transpose(x, rest + list(axes)).reshape(
            tuple(x.shape[i] for i in rest) + (-1,))
        out = norm(y, ord=ord, axis=-1)
        if keepdims:
            out = jnp.expand_dims(out, axes)
        return out
    return norm(x, ord=ord, axis=axis, keepdims=keepdims)
