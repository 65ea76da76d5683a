"""Public flatten utilities (``jax.flatten_util``)."""
from cotan._src.flatten_util import ravel_pytree  # noqa: F401
