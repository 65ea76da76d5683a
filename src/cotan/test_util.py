"""cotan.test_util: numerical checks of derivatives (as ``jax.test_util``)."""
from cotan._src.test_util import check_grads, check_jvp, check_vjp  # noqa: F401

__all__ = ["check_grads", "check_jvp", "check_vjp"]
