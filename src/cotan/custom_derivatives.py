"""cotan.custom_derivatives (jax.custom_derivatives)."""
from cotan._src.custom_derivatives import (SymbolicZero, closure_convert, custom_jvp,  # noqa: F401
                                           custom_vjp, pure_callback)
