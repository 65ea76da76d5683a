"""cotan.lax.linalg: linear algebra primitives (JAX's ``jax.lax.linalg``)."""
from cotan._src.lax.linalg import (cholesky, eig, eigh, lu, lu_pivots_to_permutation,  # noqa: F401
                                   qr, svd, symmetrize, triangular_solve)
