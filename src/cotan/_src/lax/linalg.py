"""Dense linear algebra primitives (issue 2 needs the singular values for
``norm(ord=2)``; the rest of jnp.linalg arrives with issue 5)."""
from __future__ import annotations

import numpy as np

from ..core import Primitive, ShapedArray
from .. import dtypes
from ..interpreters import ad, batching
from ..interpreters.ad import Zero


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
svd_full_p.def_impl(lambda a, *, full_matrices: list(np.linalg.svd(a, full_matrices=full_matrices)))


def _svd_full_abstract(a, *, full_matrices):
    batch, m, n, k = _svd_shapes(a)
    dt = dtypes.to_real_dtype(a.dtype) if a.dtype.kind == "c" else a.dtype
    um, vn = (m, n) if full_matrices else (k, k)
    return [ShapedArray(batch + (m, um), a.dtype), ShapedArray(batch + (k,), dt),
            ShapedArray(batch + (vn, n), a.dtype)]


svd_full_p.def_abstract_eval(_svd_full_abstract)
svd_full_p.weak_type_rule = lambda args, params: False


def _svd_full_jvp(primals, tangents, *, full_matrices):
    raise NotImplementedError(
        "Differentiation of jnp.linalg.svd with compute_uv=True is not implemented yet "
        "(it arrives with the linalg work of issue 5); use compute_uv=False to "
        "differentiate the singular values.")


ad.primitive_jvps[svd_full_p] = _svd_full_jvp


def _svd_bdim(a, d):
    # NumPy's svd maps over leading dimensions: keep a batch axis that is
    # already one of them, else move it to the front
    from .. import core
    if d < core.get_aval(a).ndim - 2:
        return a, d
    return batching.moveaxis(a, d, 0), 0


def _svd_full_batch(vals, dims, *, full_matrices):
    a, d = _svd_bdim(vals[0], dims[0])
    return svd_full_p.bind(a, full_matrices=full_matrices), [d, d, d]


batching.primitive_batchers[svd_full_p] = _svd_full_batch


def _svd_values_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    u, s, vt = svd_full_p.bind(a, full_matrices=False)
    if type(t) is Zero:
        return s, Zero.from_value(s)
    from .dot import dot_general
    from .elementwise import conj, real
    from .structural import transpose
    nb = a.ndim - 2 if hasattr(a, "ndim") else len(a.shape) - 2
    batch = tuple(range(nb))
    # ds_i = Re(u_i^H dA v_i)
    uh = conj(u) if np.dtype(u.dtype).kind == "c" else u
    tmp = dot_general(t, transpose(vt, batch + (nb + 1, nb)), (((nb + 1,), (nb,)), (batch, batch)))
    from .elementwise import mul
    prod = mul(uh, tmp)
    from .structural import reduce_sum
    ds = reduce_sum(prod, (nb,))
    if np.dtype(ds.dtype).kind == "c":
        ds = real(ds)
    return s, ds


ad.primitive_jvps[svd_values_p] = _svd_values_jvp


def _svd_values_batch(vals, dims):
    a, d = _svd_bdim(vals[0], dims[0])
    return svd_values_p.bind(a), d


batching.primitive_batchers[svd_values_p] = _svd_values_batch


def svd(x, *, full_matrices=True, compute_uv=True):
    if not compute_uv:
        return svd_values_p.bind(x)
    return svd_full_p.bind(x, full_matrices=bool(full_matrices))
