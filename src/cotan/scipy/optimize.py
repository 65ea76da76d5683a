"""cotan.scipy.optimize (JAX's ``jax.scipy.optimize``)."""
from cotan._src.scipy.optimize import (LineSearchResults, OptimizeResults,  # noqa: F401
                                       line_search, minimize)
