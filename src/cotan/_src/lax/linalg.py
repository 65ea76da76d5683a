"""Dense linear algebra primitives: svd (values / full), cholesky,
triangular_solve, lu, qr, eigh and eig.

Implementations call NumPy/SciPy (LAPACK), which map over leading batch
dimensions (SciPy routines are looped over them inside the impl), so every
batching rule moves the batch axis to the front.  JVP rules are written with
lax functions (and these primitives), so they can be differentiated again,
traced and batched.

Degenerate inputs behave like JAX: the derivatives of eigh's eigenvectors and
of svd's singular vectors divide by differences of eigenvalues / singular
values, so at repeated values they contain inf/nan (no exception); cholesky of
a matrix that is not positive definite returns NaNs; triangular_solve with a
singular matrix gives inf/nan.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import core, dtypes
from ..core import Array, Primitive, ShapedArray
from ..interpreters import ad, batching
from ..interpreters.ad import Zero


# --------------------------------------------------------------------------
# helpers (lax-level, usable inside rules)

def _aval(x):
    return core.get_aval(x)


def _real_dtype(dt):
    dt = np.dtype(dt)
    return dtypes.to_real_dtype(dt) if dt.kind == "c" else dt


def _complex_dtype(dt):
    dt = np.dtype(dt)
    if dt.kind == "c":
        return dt
    return np.dtype(np.complex64) if dt.itemsize <= 4 else np.dtype(np.complex128)


def _mm(a, b):
    """Batched matmul (..., m, k) @ (..., k, n) with equal batch dims."""
    from .dot import dot_general
    nb = _aval(a).ndim - 2
    batch = tuple(range(nb))
    return dot_general(a, b, (((nb + 1,), (nb,)), (batch, batch)))


def _T(x):
    from .structural import transpose
    nd = _aval(x).ndim
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _H(x):
    from .elementwise import conj
    x = _T(x)
    return conj(x) if _aval(x).dtype.kind == "c" else x


def _const_like(x, value):
    a = _aval(x)
    return Array(np.broadcast_to(np.asarray(value, a.dtype), a.shape).copy(), False)


def _mask(x, maskfn):
    from .elementwise import mul
    a = _aval(x)
    m, n = a.shape[-2:]
    return mul(x, _const_like(x, maskfn(m, n)))


def _tril(x, k=0):
    return _mask(x, lambda m, n: np.tri(m, n, k))


def _triu(x, k=0):
    return _mask(x, lambda m, n: 1 - np.tri(m, n, k - 1))


def _eye_like(x):
    a = _aval(x)
    return _const_like(x, np.eye(*a.shape[-2:]))


def _diag_part(x):
    """(..., n, n) -> (..., n)."""
    from .elementwise import mul
    from .structural import reduce_sum
    return reduce_sum(mul(x, _eye_like(x)), (_aval(x).ndim - 1,))


def _diag_embed(v):
    """(..., n) -> (..., n, n) diagonal matrices."""
    from .elementwise import mul
    from .structural import broadcast_in_dim
    a = _aval(v)
    n = a.shape[-1]
    full = broadcast_in_dim(v, a.shape + (n,), tuple(range(a.ndim)))
    return mul(full, _eye_like(full))


def _to_dtype(x, dt):
    from .elementwise import real
    from .structural import convert_element_type
    src = _aval(x).dtype
    if src == dt:
        return x
    if src.kind == "c" and np.dtype(dt).kind != "c":
        x = real(x)
        if _aval(x).dtype == dt:
            return x
    return convert_element_type(x, dt)


def _perm_matrix(perm, dtype):
    """P with P[..., i, j] = (perm[..., i] == j), so ``P @ x == x[perm]``."""
    from .elementwise import eq
    from .structural import broadcast_in_dim, convert_element_type
    a = _aval(perm)
    m = a.shape[-1]
    shape = a.shape + (m,)
    pb = broadcast_in_dim(perm, shape, tuple(range(a.ndim)))
    iota = Array(np.broadcast_to(np.arange(m, dtype=a.dtype), shape).copy(), False)
    return convert_element_type(eq(pb, iota), dtype)


def _batch_leading(prim):
    """Batching rule for primitives whose impl maps over leading dims."""
    def rule(vals, dims, **params):
        size = batching._size_of(vals, dims)
        vals = [batching.bdim_at_front(v, d, size) for v, d in zip(vals, dims)]
        out = prim.bind(*vals, **params)
        if prim.multiple_results:
            return out, [0] * len(out)
        return out, 0
    batching.primitive_batchers[prim] = rule


def _check_square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise TypeError(f"{name} requires square matrices (..., n, n), got shape {a.shape}")
    if a.dtype.kind not in "fc":
        raise TypeError(f"{name} requires a floating or complex array, got {a.dtype}")


def _loop(fn, *arrays, batch_shape):
    """Apply ``fn`` (2-D arrays -> tuple of arrays) over leading batch dims."""
    outs = None
    for idx in np.ndindex(*batch_shape):
        r = fn(*[x[idx] for x in arrays])
        if outs is None:
            outs = [np.empty(batch_shape + np.shape(o), np.asarray(o).dtype) for o in r]
        for o, v in zip(outs, r):
            o[idx] = v
    return outs


# --------------------------------------------------------------------------
# svd

def _svd_shapes(a):
    if a.ndim < 2:
        raise TypeError(f"svd requires an array of rank >= 2, got shape {a.shape}")
    m, n = a.shape[-2:]
    return a.shape[:-2], m, n, min(m, n)


svd_values_p = Primitive("svd_values")
svd_values_p.def_impl(lambda a: np.linalg.svd(a, compute_uv=False).astype(
    dtypes.to_real_dtype(a.dtype) if a.dtype.kind == "c" else a.dtype, copy=False))


def _svd_values_abstract(a):
    batch, m, n, k = _svd_shapes(a)
    if a.dtype.kind not in "fc":
        raise TypeError(f"svd requires a floating or complex array, got {a.dtype}")
    dt = dtypes.to_real_dtype(a.dtype) if a.dtype.kind == "c" else a.dtype
    return ShapedArray(batch + (k,), dt, a.weak_type)


svd_values_p.def_abstract_eval(_svd_values_abstract)

svd_full_p = Primitive("svd", multiple_results=True)


def _svd_full_impl(a, *, full_matrices):
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return [u.astype(a.dtype, copy=False), s.astype(_real_dtype(a.dtype), copy=False),
            vt.astype(a.dtype, copy=False)]


svd_full_p.def_impl(_svd_full_impl)


def _svd_full_abstract(a, *, full_matrices):
    batch, m, n, k = _svd_shapes(a)
    if a.dtype.kind not in "fc":
        raise TypeError(f"svd requires a floating or complex array, got {a.dtype}")
    dt = dtypes.to_real_dtype(a.dtype) if a.dtype.kind == "c" else a.dtype
    um, vn = (m, n) if full_matrices else (k, k)
    return [ShapedArray(batch + (m, um), a.dtype), ShapedArray(batch + (k,), dt),
            ShapedArray(batch + (vn, n), a.dtype)]


svd_full_p.def_abstract_eval(_svd_full_abstract)
svd_full_p.weak_type_rule = lambda args, params: False


def _safe_reciprocal_offdiag(d):
    """1/d off the diagonal, 0 on it (d: (..., k, k)); zero off-diagonal
    entries (degenerate values) give inf, as in JAX."""
    from .elementwise import add, div, sub
    eye = _eye_like(d)
    one = _const_like(d, 1.0)
    return sub(div(one, add(d, eye)), eye)


def _svd_full_jvp(primals, tangents, *, full_matrices):
    from .elementwise import add, div, eq, mul, sub, real
    from .structural import broadcast_in_dim, convert_element_type
    (a,), (t,) = primals, tangents
    av = _aval(a)
    m, n = av.shape[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            "Singular value decomposition JVP not implemented for full matrices "
            "(full_matrices=True with a non-square matrix); use full_matrices=False.")
    u, s, vt = svd_full_p.bind(a, full_matrices=full_matrices)
    if type(t) is Zero:
        return [u, s, vt], [Zero.from_value(u), Zero.from_value(s), Zero.from_value(vt)]
    dt = av.dtype
    k = min(m, n)
    nb = av.ndim - 2
    ut, v = _H(u), _H(vt)
    dS = _mm(_mm(ut, t), v)                        # (..., k, k)
    ds = _to_dtype(_diag_part(dS), _aval(s).dtype)
    kk = av.shape[:-2] + (k, k)
    s_row = broadcast_in_dim(s, kk, tuple(range(nb)) + (nb + 1,))   # s_j along columns
    s_col = broadcast_in_dim(s, kk, tuple(range(nb + 1)))           # s_i along rows
    F = _safe_reciprocal_offdiag(mul(add(s_row, s_col), sub(s_row, s_col)))
    Fc = _to_dtype(F, dt)
    s_row_c = _to_dtype(s_row, dt)
    s_col_c = _to_dtype(s_col, dt)
    dSS = mul(s_row_c, dS)
    SdS = mul(s_col_c, dS)
    zero_s = convert_element_type(eq(s, _const_like(s, 0.0)), _aval(s).dtype)
    s_inv = sub(div(_const_like(s, 1.0), add(s, zero_s)), zero_s)
    s_inv_mat = _to_dtype(_diag_embed(s_inv), dt)
    half = _const_like(dS, 0.5)
    dUdV_diag = mul(mul(half, sub(dS, _H(dS))), s_inv_mat)
    dU = _mm(u, add(mul(Fc, add(dSS, _H(dSS))), dUdV_diag))
    dV = _mm(v, mul(Fc, add(SdS, _H(SdS))))
    mk = av.shape[:-2] + (m, k)
    nk = av.shape[:-2] + (n, k)
    if m > n:
        dAV = _mm(t, v)
        s_b = _to_dtype(broadcast_in_dim(s, mk, tuple(range(nb)) + (nb + 1,)), dt)
        dU = add(dU, div(sub(dAV, _mm(u, _mm(ut, dAV))), s_b))
    if n > m:
        dAHU = _mm(_H(t), u)
        s_b = _to_dtype(broadcast_in_dim(s, nk, tuple(range(nb)) + (nb + 1,)), dt)
        dV = add(dV, div(sub(dAHU, _mm(v, _mm(vt, dAHU))), s_b))
    del real
    return [u, s, vt], [dU, ds, _H(dV)]


ad.primitive_jvps[svd_full_p] = _svd_full_jvp


def _svd_bdim(a, d):
    # NumPy's svd maps over leading dimensions: keep a batch axis that is
    # already one of them, else move it to the front
    if d < core.get_aval(a).ndim - 2:
        return a, d
    return batching.moveaxis(a, d, 0), 0


def _svd_full_batch(vals, dims, *, full_matrices):
    a, d = _svd_bdim(vals[0], dims[0])
    return svd_full_p.bind(a, full_matrices=full_matrices), [d, d, d]


batching.primitive_batchers[svd_full_p] = _svd_full_batch


def _svd_values_jvp(primals, tangents):
    from .elementwise import conj, mul, real
    from .structural import reduce_sum
    (a,), (t,) = primals, tangents
    u, s, vt = svd_full_p.bind(a, full_matrices=False)
    if type(t) is Zero:
        return s, Zero.from_value(s)
    nb = _aval(a).ndim - 2
    # ds_i = Re(u_i^H dA v_i)
    uh = conj(u) if np.dtype(_aval(u).dtype).kind == "c" else u
    tmp = _mm(t, _H(vt))
    ds = reduce_sum(mul(uh, tmp), (nb,))
    if np.dtype(_aval(ds).dtype).kind == "c":
        ds = real(ds)
    return s, ds


ad.primitive_jvps[svd_values_p] = _svd_values_jvp


def _svd_values_batch(vals, dims):
    a, d = _svd_bdim(vals[0], dims[0])
    return svd_values_p.bind(a), d


batching.primitive_batchers[svd_values_p] = _svd_values_batch


def svd(x, *, full_matrices=True, compute_uv=True, subset_by_index=None):
    if subset_by_index is not None:
        raise NotImplementedError("svd: subset_by_index is not supported")
    if not compute_uv:
        return svd_values_p.bind(x)
    return svd_full_p.bind(x, full_matrices=bool(full_matrices))


# --------------------------------------------------------------------------
# triangular_solve

def _trsm_left(a, b, lower, transpose_a, conjugate_a, unit_diagonal):
    import scipy.linalg as sla
    if conjugate_a and not transpose_a:
        return np.conj(_trsm_left(a, np.conj(b), lower, False, False, unit_diagonal))
    trans = (2 if conjugate_a else 1) if transpose_a else 0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return sla.solve_triangular(a, b, trans=trans, lower=lower,
                                        unit_diagonal=unit_diagonal, check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            t = np.tril(a) if lower else np.triu(a)
            if unit_diagonal:
                t = t.copy()
                np.fill_diagonal(t, 1)
            if conjugate_a:
                t = np.conj(t)
            if transpose_a:
                t = t.T
                lower = not lower
            return _naive_solve(t, b, lower)


def _naive_solve(t, b, lower):
    # a singular triangular matrix: substitution producing inf/nan (like LAPACK)
    with np.errstate(all="ignore"):
        n = t.shape[0]
        x = np.zeros(b.shape, np.result_type(t, b))
        for i in (range(n) if lower else range(n - 1, -1, -1)):
            x[i] = (b[i] - t[i] @ x) / t[i, i]
        return x


def _triangular_solve_impl(a, b, *, left_side, lower, transpose_a, conjugate_a,
                           unit_diagonal):
    if left_side:
        tr, bb = transpose_a, b
    else:   # x op(a) = b  <=>  op(a)^T x^T = b^T
        tr, bb = not transpose_a, np.swapaxes(b, -1, -2)

    def one(a2, b2):
        return (_trsm_left(a2, b2, lower, tr, conjugate_a, unit_diagonal),)

    (x,) = _loop(one, np.broadcast_to(a, bb.shape[:-2] + a.shape[-2:]), bb,
                 batch_shape=bb.shape[:-2])
    if not left_side:
        x = np.swapaxes(x, -1, -2)
    return np.ascontiguousarray(x).astype(b.dtype, copy=False)


def _triangular_solve_abstract(a, b, *, left_side, lower, transpose_a, conjugate_a,
                               unit_diagonal):
    _check_square("triangular_solve", a)
    if b.ndim != a.ndim:
        raise TypeError(f"triangular_solve: a and b must have the same rank, got shapes "
                        f"{a.shape} and {b.shape}")
    if a.shape[:-2] != b.shape[:-2]:
        raise TypeError(f"triangular_solve: batch dimensions of a {a.shape} and b {b.shape} "
                        "differ")
    m = a.shape[-1]
    k = b.shape[-2] if left_side else b.shape[-1]
    if k != m:
        raise TypeError(f"triangular_solve: incompatible shapes a {a.shape} and b {b.shape} "
                        f"(left_side={left_side})")
    if a.dtype != b.dtype:
        raise TypeError(f"triangular_solve: a and b must have the same dtype, got "
                        f"{a.dtype} and {b.dtype}")
    return ShapedArray(b.shape, b.dtype, a.weak_type and b.weak_type)


triangular_solve_p = Primitive("triangular_solve")
triangular_solve_p.def_impl(_triangular_solve_impl)
triangular_solve_p.def_abstract_eval(_triangular_solve_abstract)


def _op(x, transpose_a, conjugate_a):
    from .elementwise import conj
    if transpose_a:
        x = _T(x)
    if conjugate_a and _aval(x).dtype.kind == "c":
        x = conj(x)
    return x


def _tri_jvp_a(g, ans, a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    from .elementwise import neg
    g = _tril(g, -1 if unit_diagonal else 0) if lower else _triu(g, 1 if unit_diagonal else 0)
    g = _op(g, transpose_a, conjugate_a)
    rhs = _mm(g, ans) if left_side else _mm(ans, g)
    return neg(triangular_solve_p.bind(
        a, rhs, left_side=left_side, lower=lower, transpose_a=transpose_a,
        conjugate_a=conjugate_a, unit_diagonal=unit_diagonal))


def _tri_jvp_b(g, ans, a, b, **params):
    return triangular_solve_p.bind(a, g, **params)


ad.defjvp2(triangular_solve_p, _tri_jvp_a, _tri_jvp_b)


def _triangular_solve_transpose(ct, a, b, *, left_side, lower, transpose_a, conjugate_a,
                                unit_diagonal):
    assert not ad.is_undefined_primal(a) and ad.is_undefined_primal(b)
    if type(ct) is Zero:
        return [None, Zero(b.aval)]
    # x = op(a)^{-1} b (left) / b op(a)^{-1} (right): the transpose applies
    # (op(a)^T)^{-1} on the same side
    return [None, triangular_solve_p.bind(
        a, ct, left_side=left_side, lower=lower, transpose_a=not transpose_a,
        conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)]


ad.primitive_transposes[triangular_solve_p] = _triangular_solve_transpose
_batch_leading(triangular_solve_p)


def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False,
                     conjugate_a=False, unit_diagonal=False):
    """JAX's ``lax.linalg.triangular_solve``: solves ``op(a) @ x = b``
    (left_side) or ``x @ op(a) = b``; ``op`` transposes/conjugates ``a``."""
    return triangular_solve_p.bind(
        a, b, left_side=bool(left_side), lower=bool(lower), transpose_a=bool(transpose_a),
        conjugate_a=bool(conjugate_a), unit_diagonal=bool(unit_diagonal))


# --------------------------------------------------------------------------
# cholesky (lower factor; NaNs where the matrix is not positive definite)

def _cholesky_impl(a):
    try:
        out = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        def one(x):
            try:
                return (np.linalg.cholesky(x),)
            except np.linalg.LinAlgError:
                return (np.full(x.shape, np.nan, x.dtype),)
        (out,) = _loop(one, a, batch_shape=a.shape[:-2])
    return out.astype(a.dtype, copy=False)


def _cholesky_abstract(a):
    _check_square("cholesky", a)
    return ShapedArray(a.shape, a.dtype, a.weak_type)


cholesky_p = Primitive("cholesky")
cholesky_p.def_impl(_cholesky_impl)
cholesky_p.def_abstract_eval(_cholesky_abstract)


def _cholesky_jvp(primals, tangents):
    from .elementwise import add, mul
    (a,), (t,) = primals, tangents
    L = cholesky_p.bind(a)
    if type(t) is Zero:
        return L, Zero.from_value(L)
    # dL = L phi(L^{-1} dA L^{-H}), phi: lower triangle with a halved diagonal
    x = triangular_solve(L, t, left_side=True, lower=True)
    tmp = triangular_solve(L, x, left_side=False, lower=True, transpose_a=True,
                           conjugate_a=True)
    phi = add(_tril(tmp, -1), mul(tmp, _const_like(tmp, 0.5 * np.eye(*_aval(tmp).shape[-2:]))))
    return L, _mm(L, phi)


ad.primitive_jvps[cholesky_p] = _cholesky_jvp
_batch_leading(cholesky_p)


def cholesky(x, *, symmetrize_input=True):
    if symmetrize_input:
        x = symmetrize(x)
    return cholesky_p.bind(x)


def symmetrize(x):
    from .elementwise import add, mul
    return mul(add(x, _H(x)), _const_like(x, 0.5))


# --------------------------------------------------------------------------
# lu: a[..., perm, :] == l @ u (partial pivoting)

def _lu_one(a):
    import scipy.linalg as sla
    m = a.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lu, piv = sla.lu_factor(a, check_finite=False)
    perm = np.arange(m)
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return lu, piv.astype(np.int32), perm.astype(np.int32)


def _lu_impl(a):
    if a.shape[-1] == 0 or a.shape[-2] == 0:
        k = min(a.shape[-2:])
        return [a.copy(), np.zeros(a.shape[:-2] + (k,), np.int32),
                np.broadcast_to(np.arange(a.shape[-2], dtype=np.int32),
                                a.shape[:-2] + (a.shape[-2],)).copy()]
    lu, piv, perm = _loop(_lu_one, a, batch_shape=a.shape[:-2])
    return [lu.astype(a.dtype, copy=False), piv, perm]


def _lu_abstract(a):
    if a.ndim < 2 or a.dtype.kind not in "fc":
        raise TypeError(f"lu requires a floating or complex array of rank >= 2, got "
                        f"{a.dtype}{list(a.shape)}")
    m, n = a.shape[-2:]
    b = a.shape[:-2]
    return [ShapedArray(a.shape, a.dtype), ShapedArray(b + (min(m, n),), np.dtype(np.int32)),
            ShapedArray(b + (m,), np.dtype(np.int32))]


lu_p = Primitive("lu", multiple_results=True)
lu_p.def_impl(_lu_impl)
lu_p.def_abstract_eval(_lu_abstract)
lu_p.weak_type_rule = lambda args, params: False


def _lu_jvp(primals, tangents):
    from .elementwise import add
    from .structural import pad, slice as lslice
    (a,), (t,) = primals, tangents
    lu, piv, perm = lu_p.bind(a)
    outs = [lu, piv, perm]
    if type(t) is Zero:
        return outs, [Zero.from_value(o) for o in outs]
    av = _aval(a)
    m, n = av.shape[-2:]
    k = min(m, n)
    nb = av.ndim - 2
    dt = av.dtype
    zero = Array(np.zeros((), dt), False)
    x = _mm(_perm_matrix(perm, dt), t)                   # rows of dA in pivot order
    start = (0,) * av.ndim
    l = _tril(lslice(lu, start, av.shape[:-2] + (m, k)), -1)
    if m > k:
        l = pad(l, zero, [(0, 0, 0)] * (nb + 1) + [(0, m - k, 0)])
    l = add(l, _eye_like(l))                             # (m, m), unit lower
    u = _triu(lslice(lu, start, av.shape[:-2] + (k, n)))
    if n > k:
        u = pad(u, zero, [(0, 0, 0)] * nb + [(0, n - k, 0), (0, 0, 0)])
        u = add(u, _const_like(u, np.diag(np.r_[np.zeros(k), np.ones(n - k)])))
    la = triangular_solve(l, x, left_side=True, lower=True, unit_diagonal=True)
    lau = triangular_solve(u, la, left_side=False, lower=False)
    lu_dot = add(_mm(l, _tril(lau, -1)), _mm(_triu(lau), u))
    return outs, [lu_dot, Zero.from_value(piv), Zero.from_value(perm)]


ad.primitive_jvps[lu_p] = _lu_jvp
_batch_leading(lu_p)


def lu(x):
    """JAX's ``lax.linalg.lu``: ``(lu, pivots, permutation)`` with
    ``x[..., permutation, :] == l @ u``."""
    return tuple(lu_p.bind(x))


def lu_pivots_to_permutation(pivots, permutation_size):
    """The permutation given by LAPACK-style (0-based) row swaps."""
    import cotan.numpy as jnp
    piv = jnp.asarray(pivots)
    perm = jnp.broadcast_to(jnp.arange(permutation_size, dtype=np.int32),
                            piv.shape[:-1] + (permutation_size,))
    for i in range(piv.shape[-1]):
        j = piv[..., i]
        pi = perm[..., i]
        pj = jnp.take_along_axis(perm, j[..., None], axis=-1)[..., 0]
        perm = perm.at[..., i].set(pj)
        onehot = jnp.arange(permutation_size) == j[..., None]
        perm = jnp.where(onehot, pi[..., None], perm)
    return perm


# --------------------------------------------------------------------------
# qr

def _qr_impl(a, *, full_matrices):
    q, r = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    return [q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)]


def _qr_abstract(a, *, full_matrices):
    if a.ndim < 2 or a.dtype.kind not in "fc":
        raise TypeError(f"qr requires a floating or complex array of rank >= 2, got "
                        f"{a.dtype}{list(a.shape)}")
    m, n = a.shape[-2:]
    k = m if full_matrices else min(m, n)
    b = a.shape[:-2]
    return [ShapedArray(b + (m, k), a.dtype), ShapedArray(b + (k, n), a.dtype)]


qr_p = Primitive("qr", multiple_results=True)
qr_p.def_impl(_qr_impl)
qr_p.def_abstract_eval(_qr_abstract)
qr_p.weak_type_rule = lambda args, params: False


def _qr_jvp(primals, tangents, *, full_matrices):
    from .elementwise import add, mul, sub, real
    (a,), (t,) = primals, tangents
    q, r = qr_p.bind(a, full_matrices=full_matrices)
    if type(t) is Zero:
        return [q, r], [Zero.from_value(q), Zero.from_value(r)]
    m, n = _aval(a).shape[-2:]
    if m < n or (full_matrices and m != n):
        raise NotImplementedError(
            "Unimplemented case of QR decomposition derivative (only m >= n with "
            "reduced matrices, or square matrices, are differentiable)")
    dx_rinv = triangular_solve(r, t, left_side=False, lower=False)     # dA R^{-1}
    qt_dx_rinv = _mm(_H(q), dx_rinv)
    low = _tril(qt_dx_rinv, -1)
    do = sub(low, _H(low))                                              # skew-Hermitian
    if _aval(a).dtype.kind == "c":
        im = sub(qt_dx_rinv, _to_dtype(real(qt_dx_rinv), _aval(a).dtype))
        do = add(do, mul(_eye_like(do), im))
    dq = add(_mm(q, sub(do, qt_dx_rinv)), dx_rinv)
    dr = _mm(sub(qt_dx_rinv, do), r)
    return [q, r], [dq, dr]


ad.primitive_jvps[qr_p] = _qr_jvp
_batch_leading(qr_p)


def qr(x, *, full_matrices=True):
    return tuple(qr_p.bind(x, full_matrices=bool(full_matrices)))


# --------------------------------------------------------------------------
# eigh: (v, w), eigenvalues ascending

def _eigh_impl(a, *, lower):
    w, v = np.linalg.eigh(a, UPLO="L" if lower else "U")
    return [v.astype(a.dtype, copy=False), w.astype(_real_dtype(a.dtype), copy=False)]


def _eigh_abstract(a, *, lower):
    _check_square("eigh", a)
    return [ShapedArray(a.shape, a.dtype), ShapedArray(a.shape[:-1], _real_dtype(a.dtype))]


eigh_p = Primitive("eigh", multiple_results=True)
eigh_p.def_impl(_eigh_impl)
eigh_p.def_abstract_eval(_eigh_abstract)
eigh_p.weak_type_rule = lambda args, params: False


def _eigh_jvp(primals, tangents, *, lower):
    from .elementwise import mul, sub
    from .structural import broadcast_in_dim
    (a,), (t,) = primals, tangents
    v, w = eigh_p.bind(a, lower=lower)
    if type(t) is Zero:
        return [v, w], [Zero.from_value(v), Zero.from_value(w)]
    av = _aval(a)
    nb = av.ndim - 2
    # the tangent is taken as Hermitian (the public wrappers symmetrize)
    vdag_adot_v = _mm(_mm(_H(v), t), v)
    w_row = broadcast_in_dim(w, av.shape, tuple(range(nb)) + (nb + 1,))
    w_col = broadcast_in_dim(w, av.shape, tuple(range(nb + 1)))
    # F_ij = 1 / (w_j - w_i) off the diagonal: inf at repeated eigenvalues, like JAX
    F = _to_dtype(_safe_reciprocal_offdiag(sub(w_row, w_col)), av.dtype)
    dv = _mm(v, mul(F, vdag_adot_v))
    dw = _to_dtype(_diag_part(vdag_adot_v), _aval(w).dtype)
    return [v, w], [dv, dw]


ad.primitive_jvps[eigh_p] = _eigh_jvp
_batch_leading(eigh_p)


def eigh(x, *, lower=True, symmetrize_input=True, sort_eigenvalues=True,
         subset_by_index=None):
    """JAX's ``lax.linalg.eigh``: ``(v, w)``, eigenvalues ascending.

    Its JVP divides by eigenvalue gaps: at repeated eigenvalues the
    eigenvector derivative holds inf/nan (no exception), as in JAX; the
    eigenvalue derivative stays finite."""
    if subset_by_index is not None:
        raise NotImplementedError("eigh: subset_by_index is not supported")
    if symmetrize_input:
        x = symmetrize(x)
    return tuple(eigh_p.bind(x, lower=bool(lower)))


# --------------------------------------------------------------------------
# eig (general, complex results); only the eigenvalues are differentiable

def _eig_impl(a, *, compute_right_eigenvectors):
    ct = _complex_dtype(a.dtype)
    w, v = np.linalg.eig(a)
    w = w.astype(ct, copy=False)
    if compute_right_eigenvectors:
        return [w, v.astype(ct, copy=False)]
    return [w]


def _eig_abstract(a, *, compute_right_eigenvectors):
    _check_square("eig", a)
    ct = _complex_dtype(a.dtype)
    out = [ShapedArray(a.shape[:-1], ct)]
    if compute_right_eigenvectors:
        out.append(ShapedArray(a.shape, ct))
    return out


eig_p = Primitive("eig", multiple_results=True)
eig_p.def_impl(_eig_impl)
eig_p.def_abstract_eval(_eig_abstract)
eig_p.weak_type_rule = lambda args, params: False


def _eig_jvp(primals, tangents, *, compute_right_eigenvectors):
    (a,), (t,) = primals, tangents
    if compute_right_eigenvectors:
        raise NotImplementedError(
            "The derivatives of eigenvectors are not implemented, only eigenvalues "
            "(as in JAX); use eigvals.")
    (w,) = eig_p.bind(a, compute_right_eigenvectors=False)
    if type(t) is Zero:
        return [w], [Zero.from_value(w)]
    w, v = eig_p.bind(a, compute_right_eigenvectors=True)
    tc = _to_dtype(t, _aval(w).dtype)
    # dw = diag(V^{-1} dA V)
    dw = _diag_part(_solve(v, _mm(tc, v)))
    return [w], [dw]


ad.primitive_jvps[eig_p] = _eig_jvp
_batch_leading(eig_p)


def eig(x, *, compute_left_eigenvectors=False, compute_right_eigenvectors=True):
    if compute_left_eigenvectors:
        raise NotImplementedError("eig: left eigenvectors are not supported")
    return tuple(eig_p.bind(x, compute_right_eigenvectors=bool(compute_right_eigenvectors)))


# --------------------------------------------------------------------------
# composite solves (lax-level; their derivatives come from lu/triangular_solve)

def lu_solve(lu_, permutation, b, trans=0):
    """Solve ``a x = b`` (trans 0), ``a^T x = b`` (1) or ``a^H x = b`` (2)
    from ``lu(a)``; ``b`` is (..., m, k) with the batch dims of ``lu_``."""
    P = _perm_matrix(permutation, _aval(lu_).dtype)
    if trans == 0:
        y = triangular_solve(lu_, _mm(P, b), left_side=True, lower=True, unit_diagonal=True)
        return triangular_solve(lu_, y, left_side=True, lower=False)
    conj = trans == 2
    y = triangular_solve(lu_, b, left_side=True, lower=False, transpose_a=True,
                         conjugate_a=conj)
    z = triangular_solve(lu_, y, left_side=True, lower=True, unit_diagonal=True,
                         transpose_a=True, conjugate_a=conj)
    return _mm(_T(P), z)


def _solve(a, b):
    lu_, _, perm = lu_p.bind(a)
    return lu_solve(lu_, perm, b)


# --------------------------------------------------------------------------
# cofactor / det / slogdet / pinv: primitives whose JVPs are finite where the
# composite (LU- or SVD-based) derivatives are not.

def _prod_excluding(s):
    """p[..., i] = prod_{j != i} s[..., j] without dividing (safe at zeros)."""
    n = s.shape[-1]
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([ones, s[..., :0:-1]], -1), -1)[..., ::-1]
    return (left * right)[..., :n]


def _cofactor_impl(a):
    """Cofactor matrix C = adj(a)^T, computed from an SVD so that it is exact
    (and finite) for singular matrices: with a = U diag(s) Vh,
    adj(a) = det(U) det(Vh) Vh^H diag(prod_{j!=i} s_j) U^H."""
    a = np.asarray(a)
    n = a.shape[-1]
    if n == 0:
        return a.copy()
    if n == 1:
        return np.ones_like(a)
    u, s, vh = np.linalg.svd(a)
    p = _prod_excluding(s).astype(a.dtype)
    ph = np.linalg.det(u) * np.linalg.det(vh)
    vh_h = np.conj(np.swapaxes(vh, -1, -2))
    u_h = np.conj(np.swapaxes(u, -1, -2))
    adj = ph[..., None, None] * ((vh_h * p[..., None, :]) @ u_h)
    return np.swapaxes(adj, -1, -2).astype(a.dtype, copy=False)


def _square_abstract(name):
    def rule(a):
        _check_square(name, a)
        return ShapedArray(a.shape, a.dtype)
    return rule


cofactor_p = Primitive("cofactor")
cofactor_p.def_impl(_cofactor_impl)
cofactor_p.def_abstract_eval(_square_abstract("cofactor"))
cofactor_p.weak_type_rule = lambda args, params: False


def _minor_selectors(n, dtype):
    """R[i] (n-1, n): the identity with row i deleted."""
    eye = np.eye(n, dtype=dtype)
    return np.stack([np.delete(eye, i, axis=0) for i in range(n)])


def _cofactor_jvp(primals, tangents):
    """dC_ij = (-1)^(i+j) d det(M_ij) = (-1)^(i+j) <cofactor(M_ij), dM_ij>,
    with M_ij the (i, j) minor: a batch of n^2 cofactors of (n-1)-matrices
    (so higher derivatives recurse the same way)."""
    from .dot import dot_general
    from .elementwise import mul
    from .structural import broadcast_in_dim, reduce_sum, transpose
    (a,), (t,) = primals, tangents
    c = cofactor_p.bind(a)
    if type(t) is Zero:
        return c, Zero.from_value(c)
    av = _aval(a)
    n = av.shape[-1]
    if n <= 1:
        return c, Zero.from_value(c)
    nb = av.ndim - 2
    bs = av.shape[:-2]
    R = Array(_minor_selectors(n, av.dtype), False)        # (n, n-1, n)

    def minors(x):
        # (..., n, n) -> (..., i, j, n-1, n-1) = R[i] x R[j]^T
        y = dot_general(R, x, (((2,), (nb,)), ((), ())))    # (i, n-1, ..., n)
        y = dot_general(y, R, (((2 + nb,), (2,)), ((), ())))  # (i, n-1, ..., j, n-1)
        nd = _aval(y).ndim
        return transpose(y, tuple(range(2, 2 + nb)) + (0, nd - 2, 1, nd - 1))

    cm = cofactor_p.bind(minors(a))                         # (..., n, n, n-1, n-1)
    signs = Array(((-1.0) ** np.add.outer(np.arange(n), np.arange(n))).astype(av.dtype), False)
    signs = broadcast_in_dim(signs, bs + (n, n), (nb, nb + 1))
    dc = reduce_sum(mul(cm, minors(t)), (nb + 2, nb + 3))
    return c, mul(signs, dc)


ad.primitive_jvps[cofactor_p] = _cofactor_jvp
_batch_leading(cofactor_p)


def cofactor(x):
    """The cofactor matrix ``adj(x)^T`` (finite and exact for singular x)."""
    return cofactor_p.bind(x)


def _det_impl(a):
    a = np.asarray(a)
    if a.shape[-1] == 0:
        return np.ones(a.shape[:-2], a.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(np.linalg.det(a)).astype(a.dtype, copy=False)


def _det_abstract(a):
    _check_square("det", a)
    return ShapedArray(a.shape[:-2], a.dtype)


det_p = Primitive("det")
det_p.def_impl(_det_impl)
det_p.def_abstract_eval(_det_abstract)
det_p.weak_type_rule = lambda args, params: False


def _det_jvp(primals, tangents):
    """d det(A) = <cofactor(A), dA> (sum of elementwise products): finite at
    singular A (the adjugate of a rank n-1 matrix is nonzero)."""
    from .elementwise import mul
    from .structural import reduce_sum
    (a,), (t,) = primals, tangents
    d = det_p.bind(a)
    if type(t) is Zero:
        return d, Zero.from_value(d)
    nd = _aval(a).ndim
    return d, reduce_sum(mul(cofactor_p.bind(a), t), (nd - 2, nd - 1))


ad.primitive_jvps[det_p] = _det_jvp
_batch_leading(det_p)


def det(x):
    return det_p.bind(x)


def _slogdet_impl(a):
    a = np.asarray(a)
    rdt = _real_dtype(a.dtype)
    if a.shape[-1] == 0:
        return [np.ones(a.shape[:-2], a.dtype), np.zeros(a.shape[:-2], rdt)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sign, logdet = np.linalg.slogdet(a)
    return [np.asarray(sign).astype(a.dtype, copy=False),
            np.asarray(logdet).astype(rdt, copy=False)]


def _slogdet_abstract(a):
    _check_square("slogdet", a)
    b = a.shape[:-2]
    return [ShapedArray(b, a.dtype), ShapedArray(b, _real_dtype(a.dtype))]


slogdet_p = Primitive("slogdet", multiple_results=True)
slogdet_p.def_impl(_slogdet_impl)
slogdet_p.def_abstract_eval(_slogdet_abstract)
slogdet_p.weak_type_rule = lambda args, params: False


def _slogdet_jvp(primals, tangents):
    """logdet' = tr(solve(A, dA)) (its real part for complex A, whose sign
    moves by i*Im(tr(...))*sign); the real sign has zero tangent."""
    from .elementwise import mul, real, sub
    (a,), (t,) = primals, tangents
    sign, logdet = slogdet_p.bind(a)
    if type(t) is Zero:
        return [sign, logdet], [Zero.from_value(sign), Zero.from_value(logdet)]
    tr = _diag_sum(_solve(a, t))
    if _aval(a).dtype.kind == "c":
        ld_dot = real(tr)
        sign_dot = mul(sub(tr, _to_dtype(ld_dot, _aval(tr).dtype)), sign)
        return [sign, logdet], [sign_dot, ld_dot]
    return [sign, logdet], [Zero.from_value(sign), tr]


def _diag_sum(x):
    from .structural import reduce_sum
    return reduce_sum(_diag_part(x), (_aval(x).ndim - 2,))


ad.primitive_jvps[slogdet_p] = _slogdet_jvp
_batch_leading(slogdet_p)


def slogdet(x):
    return tuple(slogdet_p.bind(x))


def _pinv_impl(a, *, rtol):
    a = np.asarray(a)
    m, n = a.shape[-2:]
    if m == 0 or n == 0:
        return np.zeros(a.shape[:-2] + (n, m), a.dtype)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    if rtol is None:
        rtol = max(m, n) * np.finfo(s.dtype).eps
    cutoff = rtol * s[..., :1]
    keep = s > cutoff
    s_inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0).astype(s.dtype)
    vh_h = np.conj(np.swapaxes(vh, -1, -2))
    u_h = np.conj(np.swapaxes(u, -1, -2))
    return ((vh_h * s_inv[..., None, :]) @ u_h).astype(a.dtype, copy=False)


def _pinv_abstract(a, *, rtol):
    if a.ndim < 2 or a.dtype.kind not in "fc":
        raise TypeError(f"pinv requires a floating or complex array of rank >= 2, got "
                        f"{a.dtype}{list(a.shape)}")
    return ShapedArray(a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype)


pinv_p = Primitive("pinv")
pinv_p.def_impl(_pinv_impl)
pinv_p.def_abstract_eval(_pinv_abstract)
pinv_p.weak_type_rule = lambda args, params: False


def _pinv_jvp(primals, tangents, *, rtol):
    """dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P: needs no
    distinct singular values."""
    from .elementwise import add, neg, sub
    (a,), (t,) = primals, tangents
    p = pinv_p.bind(a, rtol=rtol)
    if type(t) is Zero:
        return p, Zero.from_value(p)
    ap = _mm(a, p)                                    # (m, m)
    pa = _mm(p, a)                                    # (n, n)
    ph = _H(p)
    th = _H(t)
    out = neg(_mm(_mm(p, t), p))
    out = add(out, _mm(_mm(_mm(p, ph), th), sub(_eye_like(ap), ap)))
    out = add(out, _mm(_mm(sub(_eye_like(pa), pa), th), _mm(ph, p)))
    return p, out


ad.primitive_jvps[pinv_p] = _pinv_jvp
_batch_leading(pinv_p)


def pinv(x, rtol=None):
    """Moore-Penrose pseudo-inverse with a static relative cutoff ``rtol``
    (None: ``max(m, n) * eps``)."""
    return pinv_p.bind(x, rtol=None if rtol is None else float(rtol))
