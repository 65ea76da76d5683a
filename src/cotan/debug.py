"""cotan.debug: run-time printing, callbacks and breakpoints in transformed code (as jax.debug)."""
from cotan._src.debugging import breakpoint, callback, print  # noqa: F401,A004
