"""Products: matmul, dot, vdot, inner, outer, tensordot (einsum lives in
einsum.py) — all as lax.dot_general."""
from __future__ import annotations

import numpy as np

from ..lax import dot as ld
from ..lax import structural as st
from . import lax_numpy as lnp
from .util import asarray_arg, broadcast_shapes, broadcast_to_shape, promote_dtypes


def matmul(a, b, *, precision=None, preferred_element_type=None):
    a, b = promote_dtypes(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must not be scalars, got shapes {a.shape} and {b.shape}")
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    if (a_vec and b.ndim <= 2) or (b_vec and a.ndim <= 2):
        # matrix-vector products contract directly (no expand_dims/squeeze,
        # so their transposes and batched forms stay plain matmuls)
        ka = a.shape[-1]
        kb = b.shape[0] if b_vec else b.shape[-2]
        if ka != kb:
            raise ValueError(f"matmul: contracting dimensions differ: shapes {a.shape} and {b.shape}")
        return ld.dot_general(a, b, (((a.ndim - 1,), (0 if b_vec else b.ndim - 2,)), ((), ())),
                              preferred_element_type=preferred_element_type)
    if a_vec:
        a = lnp.expand_dims(a, 0)
    if b_vec:
        b = lnp.expand_dims(b, 1)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: contracting dimensions differ: shapes {a.shape} and {b.shape}")
    if a.ndim == 2 and b.ndim == 2:
        out = ld.dot_general(a, b, (((1,), (0,)), ((), ())), preferred_element_type=preferred_element_type)
    else:
        batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = broadcast_to_shape(a, batch + a.shape[-2:])
        b = broadcast_to_shape(b, batch + b.shape[-2:])
        nb = len(batch)
        out = ld.dot_general(a, b, (((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb)))),
                             preferred_element_type=preferred_element_type)
    if a_vec:
        out = lnp.squeeze(out, -2)
    if b_vec:
        out = lnp.squeeze(out, -1)
    return out


def dot(a, b, *, precision=None, preferred_element_type=None):
    a, b = promote_dtypes(a, b)
    if a.ndim == 0 or b.ndim == 0:
        from .ufuncs import multiply
        return multiply(a, b)
    if b.ndim == 1:
        if a.shape[-1] != b.shape[0]:
            raise ValueError(f"dot: shapes {a.shape} and {b.shape} not aligned")
        return ld.dot_general(a, b, (((a.ndim - 1,), (0,)), ((), ())),
                              preferred_element_type=preferred_element_type)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} not aligned")
    return ld.dot_general(a, b, (((a.ndim - 1,), (b.ndim - 2,)), ((), ())),
                          preferred_element_type=preferred_element_type)


def vdot(a, b, *, precision=None, preferred_element_type=None):
    from .ufuncs import conjugate
    a, b = asarray_arg(a), asarray_arg(b)
    if a.dtype.kind == "c":
        a = conjugate(a)
    return dot(lnp.ravel(a), lnp.ravel(b), preferred_element_type=preferred_element_type)


def inner(a, b, *, precision=None, preferred_element_type=None):
    a, b = promote_dtypes(a, b)
    if a.ndim == 0 or b.ndim == 0:
        from .ufuncs import multiply
        return multiply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: shapes {a.shape} and {b.shape} not aligned")
    return ld.dot_general(a, b, (((a.ndim - 1,), (b.ndim - 1,)), ((), ())),
                          preferred_element_type=preferred_element_type)


def outer(a, b, out=None):
    a, b = promote_dtypes(lnp.ravel(a), lnp.ravel(b))
    return ld.dot_general(lnp.expand_dims(a, 1), lnp.expand_dims(b, 0), (((1,), (0,)), ((), ())))


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    a, b = promote_dtypes(a, b)
    if isinstance(axes, (int, np.integer)):
        axes = int(axes)
        if axes < 0 or axes > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: number of axes {axes} exceeds the operands' ranks")
        ca = tuple(range(a.ndim - axes, a.ndim))
        cb = tuple(range(axes))
    else:
        ca, cb = axes
        ca = (ca,) if isinstance(ca, (int, np.integer)) else tuple(ca)
        cb = (cb,) if isinstance(cb, (int, np.integer)) else tuple(cb)
        ca = tuple(int(i) % a.ndim for i in ca)
        cb = tuple(int(i) % b.ndim for i in cb)
    for i, j in zip(ca, cb):
        if a.shape[i] != b.shape[j]:
            raise TypeError(f"tensordot: shape mismatch on contracted axes: {a.shape} and {b.shape}")
    return ld.dot_general(a, b, ((ca, cb), ((), ())), preferred_element_type=preferred_element_type)


_unused = st
