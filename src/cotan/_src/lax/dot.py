"""dot_general: contraction with batch dimensions (matmul, dot, einsum and
tensordot are all built on it)."""
from __future__ import annotations

import numpy as np

from .. import core, dtypes
from ..core import Primitive, ShapedArray
from ..interpreters import ad, batching
from ..interpreters.ad import Zero, is_undefined_primal
from .structural import transpose


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(int(i) for i in lc), tuple(int(i) for i in rc)),
          (tuple(int(i) for i in lb), tuple(int(i) for i in rb)))
    pet = None if preferred_element_type is None else dtypes.canonicalize_dtype(preferred_element_type)
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, preferred_element_type=pet)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    la, ra = core.get_aval(lhs), core.get_aval(rhs)
    if la.ndim in (1, 2) and ra.ndim in (1, 2):
        return dot_general(lhs, rhs, (((la.ndim - 1,), (0,)), ((), ())),
                           preferred_element_type=preferred_element_type)
    raise TypeError(f"lax.dot requires operands of rank 1 or 2, got shapes {la.shape} and {ra.shape}")


def _free(ndim, *used):
    u = set(i for grp in used for i in grp)
    return [i for i in range(ndim) if i not in u]


def _dot_abstract(lhs, rhs, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise TypeError(f"dot_general: mismatched dimension_numbers {dimension_numbers}")
    for a, b in zip(lc, rc):
        if not (0 <= a < lhs.ndim and 0 <= b < rhs.ndim) or lhs.shape[a] != rhs.shape[b]:
            raise TypeError(
                f"dot_general requires contracting dimensions to have the same shape, got "
                f"{tuple(lhs.shape[i] for i in lc if 0 <= i < lhs.ndim)} and "
                f"{tuple(rhs.shape[i] for i in rc if 0 <= i < rhs.ndim)} "
                f"(shapes {lhs.shape} and {rhs.shape}).")
    for a, b in zip(lb, rb):
        if lhs.shape[a] != rhs.shape[b]:
            raise TypeError("dot_general requires batch dimensions to have the same shape")
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"dot_general requires operands of the same dtype, got {lhs.dtype} and {rhs.dtype}")
    shape = ([lhs.shape[i] for i in lb] + [lhs.shape[i] for i in _free(lhs.ndim, lc, lb)]
             + [rhs.shape[i] for i in _free(rhs.ndim, rc, rb)])
    dt = lhs.dtype if preferred_element_type is None else preferred_element_type
    return ShapedArray(shape, dt, lhs.weak_type and rhs.weak_type)


def _blas_ready(x):
    """``x`` as an array BLAS can use directly: broadcast views (zero
    strides) and other odd layouts would send NumPy's matmul to its slow
    non-BLAS loop, so they are copied first."""
    x = np.asarray(x)
    if x.ndim >= 2 and not (x.flags.c_contiguous or x.flags.f_contiguous):
        st = x.strides
        if 0 in st or x.ndim > 2 or min(abs(s) for s in st) != x.itemsize:
            return np.ascontiguousarray(x)
    return x


_DIAG_MIN = 32


def _diagonal_of(x):
    """The diagonal of ``x`` if ``x`` is a square matrix (n >= _DIAG_MIN)
    with no nonzero off-diagonal entry, else None.  Standard bases (jacrev,
    jacfwd) and Jacobians of elementwise maps reach dot_general as such
    matrices.  Three probes reject a dense matrix in well under 1 us."""
    n = x.shape[0]
    if n != x.shape[1] or n < _DIAG_MIN or x.dtype.kind not in "fc":
        return None
    if x[0, 1] != 0 or x[n - 1, 0] != 0 or x[n // 2, n - 1] != 0:
        return None
    d = np.diagonal(x)
    if np.count_nonzero(x) != np.count_nonzero(d):
        return None
    return d


def _all_finite(x):
    """True only if every entry of ``x`` is finite (x . x is inf or nan when
    one is; a false False, from overflow of huge values, only costs time)."""
    r = x.reshape(-1)
    return bool(np.isfinite(np.dot(r, r)))


def _matmul(lhs, rhs):
    """``lhs @ rhs`` for matrices; a diagonal operand is applied as a
    scaling (O(n m) instead of O(n^2 m)), which gives the matmul's exact
    values (every other product is an exact zero) unless the other operand
    holds an inf or nan, where the matmul's 0 * inf terms make nans: then the
    matmul runs."""
    if lhs.shape[0] >= _DIAG_MIN and rhs.shape[1] >= 8 and lhs.dtype == rhs.dtype:
        d = _diagonal_of(lhs)
        if d is not None and _all_finite(rhs):
            return d[:, None] * rhs
    if rhs.shape[0] >= _DIAG_MIN and lhs.shape[0] >= 8 and lhs.dtype == rhs.dtype:
        d = _diagonal_of(rhs)
        if d is not None and _all_finite(lhs):
            return lhs * d
    return lhs @ rhs


def _dot_impl(lhs, rhs, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    lhs, rhs = _blas_ready(lhs), _blas_ready(rhs)
    out_dt = lhs.dtype if preferred_element_type is None else preferred_element_type
    if not lb:
        if lhs.ndim == 2 and rhs.ndim == 2 and lc == (1,) and rc == (0,):
            out = _matmul(lhs, rhs)
        elif lhs.ndim <= 2 and rhs.ndim == 1 and lc == (lhs.ndim - 1,) and rc == (0,):
            out = np.dot(lhs, rhs)
        elif lhs.ndim == 1 and rhs.ndim == 2 and lc == (0,) and rc == (0,):
            out = lhs @ rhs
        else:
            # (free, contract) @ (contract, free) as one 2-D matmul; np.tensordot
            # is several times slower on layouts such as (B, K, 1)
            lf = _free(lhs.ndim, lc, ())
            rf = _free(rhs.ndim, rc, ())
            lfs = [lhs.shape[i] for i in lf]
            rfs = [rhs.shape[i] for i in rf]
            k = int(np.prod([lhs.shape[i] for i in lc], dtype=np.int64))
            m = int(np.prod(lfs, dtype=np.int64))
            n = int(np.prod(rfs, dtype=np.int64))
            l2 = np.transpose(lhs, lf + list(lc)).reshape(m, k)
            r2 = np.transpose(rhs, list(rc) + rf).reshape(k, n)
            out = _matmul(l2, r2).reshape(tuple(lfs) + tuple(rfs))
        return np.asarray(out, dtype=out_dt)
    lf = _free(lhs.ndim, lc, lb)
    rf = _free(rhs.ndim, rc, rb)
    l2 = np.transpose(lhs, list(lb) + lf + list(lc))
    r2 = np.transpose(rhs, list(rb) + list(rc) + rf)
    bshape = l2.shape[:len(lb)]
    nb = int(np.prod(bshape, dtype=np.int64))
    lfs = [lhs.shape[i] for i in lf]
    rfs = [rhs.shape[i] for i in rf]
    k = int(np.prod([lhs.shape[i] for i in lc], dtype=np.int64))
    m = int(np.prod(lfs, dtype=np.int64))
    n = int(np.prod(rfs, dtype=np.int64))
    out = np.matmul(l2.reshape(nb, m, k), r2.reshape(nb, k, n))
    return np.asarray(out.reshape(tuple(bshape) + tuple(lfs) + tuple(rfs)), dtype=out_dt)


dot_general_p = Primitive("dot_general")
dot_general_p.def_impl(_dot_impl)
dot_general_p.def_abstract_eval(_dot_abstract)


def _dot_transpose_lhs(ct, lhs_aval, rhs, dimension_numbers, preferred_element_type, swap=False):
    (lc, rc), (lb, rb) = dimension_numbers
    rhs_aval = core.get_aval(rhs)
    x_ndim, y_ndim = lhs_aval.ndim, rhs_aval.ndim
    nb = len(lb)
    x_free = _free(x_ndim, lc, lb)
    y_free = _free(y_ndim, rc, rb)
    if swap:
        ct_y_free = list(range(nb, nb + len(y_free)))
    else:
        ct_y_free = list(range(nb + len(x_free), nb + len(x_free) + len(y_free)))
    dn = ((tuple(ct_y_free), tuple(y_free)), (tuple(range(nb)), tuple(rb)))
    ct_dtype = core.get_aval(ct).dtype
    if rhs_aval.dtype != ct_dtype:
        # preferred_element_type made the cotangent's dtype differ from the operands'
        from .structural import convert_element_type
        rhs = convert_element_type(rhs, ct_dtype)
    out = dot_general_p.bind(ct, rhs, dimension_numbers=dn,
                             preferred_element_type=None)
    result_dims = list(lb) + x_free + [lc[list(rc).index(r)] for r in sorted(rc)]
    perm = tuple(int(i) for i in np.argsort(result_dims))
    out = transpose(out, perm)
    if core.get_aval(out).dtype != lhs_aval.dtype:
        from .structural import convert_element_type
        out = convert_element_type(out, lhs_aval.dtype)
    return out


def _dot_transpose(ct, lhs, rhs, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    if is_undefined_primal(lhs) and is_undefined_primal(rhs):
        raise NotImplementedError("dot_general of two linear values is not linear")
    if is_undefined_primal(lhs):
        return [_dot_transpose_lhs(ct, lhs.aval, rhs, dimension_numbers, preferred_element_type), None]
    swapped = ((rc, lc), (rb, lb))
    return [None, _dot_transpose_lhs(ct, rhs.aval, lhs, swapped, preferred_element_type, swap=True)]


def _dot_jvp(primals, tangents, *, dimension_numbers, preferred_element_type):
    lhs, rhs = primals
    tl, tr = tangents
    out = dot_general_p.bind(lhs, rhs, dimension_numbers=dimension_numbers,
                             preferred_element_type=preferred_element_type)
    acc = Zero.from_value(out)
    if type(tl) is not Zero:
        acc = ad.add_tangents(acc, dot_general_p.bind(
            tl, rhs, dimension_numbers=dimension_numbers, preferred_element_type=preferred_element_type))
    if type(tr) is not Zero:
        acc = ad.add_tangents(acc, dot_general_p.bind(
            lhs, tr, dimension_numbers=dimension_numbers, preferred_element_type=preferred_element_type))
    return out, acc


ad.primitive_jvps[dot_general_p] = _dot_jvp
ad.primitive_transposes[dot_general_p] = _dot_transpose


def _dot_batch(vals, dims, *, dimension_numbers, preferred_element_type):
    # A batch of dot_generals is one dot_general: the vmapped axis is an extra
    # batch dimension when both operands carry it, and a free dimension of the
    # operand that does otherwise (the other operand is not broadcast).
    (lhs, rhs), (ld, rd) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers

    def shift(axes, d):
        return tuple(a if d is None or a < d else a + 1 for a in axes)

    lc2, lb2 = shift(lc, ld), shift(lb, ld)
    rc2, rb2 = shift(rc, rd), shift(rb, rd)
    if ld is not None and rd is not None:
        dn = ((lc2, rc2), ((ld,) + lb2, (rd,) + rb2))
        out_d = 0
    elif ld is not None:
        dn = ((lc2, rc2), (lb2, rb2))
        lhs_free = _free(core.get_aval(lhs).ndim, lc2, lb2)
        out_d = len(lb) + lhs_free.index(ld)
    else:
        dn = ((lc2, rc2), (lb2, rb2))
        lhs_free = _free(core.get_aval(lhs).ndim, lc, lb)
        rhs_free = _free(core.get_aval(rhs).ndim, rc2, rb2)
        out_d = len(lb) + len(lhs_free) + rhs_free.index(rd)
    out = dot_general_p.bind(lhs, rhs, dimension_numbers=dn,
                             preferred_element_type=preferred_element_type)
    return out, out_d


batching.primitive_batchers[dot_general_p] = _dot_batch
