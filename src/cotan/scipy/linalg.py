"""cotan.scipy.linalg (JAX's ``jax.scipy.linalg``)."""
from cotan._src.scipy.linalg import (block_diag, cho_factor, cho_solve, cholesky, det,  # noqa: F401
                                     eigh, expm, inv, lu, lu_factor, lu_solve, qr, solve,
                                     solve_triangular, svd)
