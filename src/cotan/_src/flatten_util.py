"""ravel_pytree: a pytree of arrays as one flat vector, and back."""
from __future__ import annotations

import numpy as np

from . import dtypes
from . import tree_util as tu
from .core import get_aval


def ravel_pytree(pytree):
    """``(flat, unravel)``: ``flat`` is a 1-D array holding every leaf
    (raveled, promoted to a common dtype); ``unravel(flat)`` rebuilds the
    pytree (leaves cast back to their dtypes).  Both are differentiable."""
    import cotan.numpy as jnp
    leaves, treedef = tu.tree_flatten(pytree)
    avals = [get_aval(x) for x in leaves]
    shapes = [a.shape for a in avals]
    leaf_dtypes = [a.dtype for a in avals]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    if leaves:
        out_dtype = dtypes.result_type(*leaves)
        flat = jnp.concatenate([jnp.ravel(jnp.asarray(x)).astype(out_dtype) for x in leaves])
    else:
        out_dtype = dtypes.canonicalize_dtype(np.float32)
        flat = jnp.zeros((0,), out_dtype)
    total = sum(sizes)

    def unravel(arr):
        a = get_aval(arr)
        if a.shape != (total,):
            raise ValueError("The unravel function expected an array of shape "
                             f"{(total,)}, got shape {a.shape}.")
        if a.dtype != np.dtype(out_dtype):
            raise TypeError("The unravel function expected an array of dtype "
                            f"{np.dtype(out_dtype).name}, got dtype {a.dtype.name}.")
        parts = []
        off = 0
        for s, n, dt in zip(shapes, sizes, leaf_dtypes):
            piece = arr[off:off + n].reshape(s)
            parts.append(piece.astype(dt) if piece.dtype != dt else piece)
            off += n
        return tu.tree_unflatten(treedef, parts)

    return flat, unravel
