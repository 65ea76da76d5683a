"""cotan.scipy.linalg: SciPy's linalg API with JAX's semantics, composed from
cotan.numpy and the primitives of ``lax/linalg.py`` (differentiable, jittable,
batchable)."""
from __future__ import annotations

import numpy as np

from ..lax import linalg as _ll
from ..numpy import linalg as _nl
from ..numpy.util import asarray_arg, to_inexact


def _jnp():
    import cotan.numpy as jnp
    return jnp


def _h(x):
    return _nl._h(x)


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    a = _nl._square(a, "cholesky")
    L = _ll.cholesky(a)
    return L if lower else _h(L)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    return (cholesky(a, lower=lower), lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    jnp = _jnp()
    c, lower = c_and_lower
    c = to_inexact(asarray_arg(c))
    b = asarray_arg(b)
    dt = jnp.result_type(c, b)
    c, b = c.astype(dt), b.astype(dt)
    vec = b.ndim == c.ndim - 1
    if vec:
        b = b[..., None]
    c, b = _nl._broadcast_batch(c, b, 2, 2)
    # a = L L^H (lower) or U^H U (upper)
    y = _ll.triangular_solve(c, b, left_side=True, lower=lower, transpose_a=not lower,
                             conjugate_a=not lower)
    x = _ll.triangular_solve(c, y, left_side=True, lower=lower, transpose_a=lower,
                             conjugate_a=lower)
    return x[..., 0] if vec else x


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     debug=None, check_finite=True):
    jnp = _jnp()
    a = _nl._square(a, "solve_triangular")
    b = asarray_arg(b)
    dt = jnp.result_type(a, b)
    a, b = a.astype(dt), b.astype(dt)
    if trans in (0, "N"):
        tr, cj = False, False
    elif trans in (1, "T"):
        tr, cj = True, False
    elif trans in (2, "C"):
        tr, cj = True, True
    else:
        raise ValueError(f"Invalid 'trans' value {trans}")
    vec = b.ndim == a.ndim - 1
    if vec:
        b = b[..., None]
    a, b = _nl._broadcast_batch(a, b, 2, 2)
    x = _ll.triangular_solve(a, b, left_side=True, lower=lower, transpose_a=tr,
                             conjugate_a=cj, unit_diagonal=unit_diagonal)
    return x[..., 0] if vec else x


def _lu_parts(lu, m, n):
    jnp = _jnp()
    k = min(m, n)
    l = jnp.tril(lu[..., :, :k], -1) if hasattr(jnp, "tril") else _ll._tril(lu[..., :, :k], -1)
    l = l + jnp.eye(m, k, dtype=lu.dtype)
    u = _ll._triu(lu[..., :k, :])
    return l, u


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    jnp = _jnp()
    a = _nl._mat(a, "lu")
    m, n = a.shape[-2:]
    lu_, _, perm = _ll.lu(a)
    l, u = _lu_parts(lu_, m, n)
    # a = P l u with P[perm[i], i] = 1
    p = _nl.matrix_transpose(_ll._perm_matrix(perm, a.dtype))
    if permute_l:
        return jnp.matmul(p, l), u
    return p, l, u


def lu_factor(a, overwrite_a=False, check_finite=True):
    a = _nl._mat(a, "lu_factor")
    lu_, piv, _ = _ll.lu(a)
    return lu_, piv


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    jnp = _jnp()
    lu_, piv = lu_and_piv
    lu_ = to_inexact(asarray_arg(lu_))
    b = asarray_arg(b)
    dt = jnp.result_type(lu_, b)
    lu_, b = lu_.astype(dt), b.astype(dt)
    m = lu_.shape[-1]
    perm = _ll.lu_pivots_to_permutation(piv, m)
    vec = b.ndim == lu_.ndim - 1
    if vec:
        b = b[..., None]
    lu_b, b = _nl._broadcast_batch(lu_, b, 2, 2)
    perm = jnp.broadcast_to(perm, b.shape[:-2] + (m,))
    x = _ll.lu_solve(lu_b, perm, b, trans={0: 0, "N": 0, 1: 1, "T": 1, 2: 2, "C": 2}[trans])
    return x[..., 0] if vec else x


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    if pivoting:
        raise NotImplementedError("qr: pivoting=True is not supported")
    a = _nl._mat(a, "qr")
    if mode not in ("full", "economic", "r", "raw"):
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    if mode == "raw":
        raise NotImplementedError("qr: mode='raw' is not supported")
    q, r = _ll.qr(a, full_matrices=(mode in ("full", "r")))
    if mode == "r":
        return (r,)
    return q, r


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    a = _nl._mat(a, "svd")
    out = _ll.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    if b is not None:
        raise NotImplementedError("eigh: the generalized problem (b) is not supported")
    if subset_by_value is not None or subset_by_index is not None:
        raise NotImplementedError("eigh: subsets are not supported")
    a = _nl._square(a, "eigh")
    v, w = _ll.eigh(a, lower=lower)
    return w if eigvals_only else (w, v)


def inv(a, overwrite_a=False, check_finite=True):
    return _nl.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    return _nl.det(a)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a="gen"):
    jnp = _jnp()
    if assume_a in ("sym", "her", "pos"):
        a = _nl._square(a, "solve")
        a = _ll.symmetrize(a)   # scipy reads one triangle; the symmetric part is what's used
        del lower
    elif assume_a not in ("gen", "general"):
        raise ValueError(f"Expected assume_a to be one of 'gen', 'sym', 'her' or 'pos'; "
                         f"got {assume_a!r}")
    a = _nl._square(a, "solve")
    b = asarray_arg(b)
    vec = b.ndim == a.ndim - 1
    if vec:
        return _nl.solve(a, b[..., None])[..., 0]
    return jnp.linalg.solve(a, b)


def block_diag(*arrs):
    jnp = _jnp()
    if not arrs:
        return jnp.zeros((1, 0))
    mats = [jnp.atleast_2d(asarray_arg(x)) for x in arrs]
    dt = jnp.result_type(*mats)
    mats = [m.astype(dt) for m in mats]
    if any(m.ndim != 2 for m in mats):
        raise ValueError("block_diag: arguments must have two or fewer dimensions")
    cols = sum(m.shape[1] for m in mats)
    rows = []
    c0 = 0
    for m in mats:
        r, c = m.shape
        rows.append(jnp.pad(m, ((0, 0), (c0, cols - c0 - c))))
        c0 += c
    return jnp.concatenate(rows, axis=0)


# --------------------------------------------------------------------------
# expm: scaling and squaring with a Pade approximant (Higham 2005)

_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_PADE7 = (17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.)
_THETA13 = 5.371920351148152
_THETA7 = 3.925724783138660
_MAX_SQUARINGS = 16


def expm(A, *, upper_triangular=False, max_squarings=_MAX_SQUARINGS):
    jnp = _jnp()
    from ..lax.misc import stop_gradient
    A = _nl._square(A, "expm")
    n = A.shape[-1]
    use13 = np.dtype(A.dtype) in (np.dtype(np.float64), np.dtype(np.complex128))
    theta = _THETA13 if use13 else _THETA7
    norm1 = jnp.max(jnp.sum(jnp.abs(A), axis=-2), axis=-1)
    norm1 = stop_gradient(norm1)
    s = jnp.ceil(jnp.log2(jnp.maximum(norm1, 1e-300 if use13 else 1e-30) / theta))
    s = jnp.clip(s, 0, max_squarings)
    s = jnp.where(jnp.isfinite(s), s, 0.0)
    scale = (2.0 ** s).astype(A.dtype)[..., None, None]
    As = A / scale
    eye = jnp.broadcast_to(jnp.eye(n, dtype=A.dtype), A.shape)
    A2 = jnp.matmul(As, As)
    A4 = jnp.matmul(A2, A2)
    A6 = jnp.matmul(A4, A2)
    if use13:
        b = _PADE13
        U = jnp.matmul(As, jnp.matmul(A6, b[13] * A6 + b[11] * A4 + b[9] * A2)
                       + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
        V = jnp.matmul(A6, b[12] * A6 + b[10] * A4 + b[8] * A2) \
            + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    else:
        b = _PADE7
        U = jnp.matmul(As, b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
        V = b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    R = _nl.solve(V - U, V + U)
    sq = s[..., None, None]
    for i in range(max_squarings):
        R = jnp.where(sq > i, jnp.matmul(R, R), R)
    return R
