"""Small reference libraries mirroring ``jax.example_libraries``.

``optimizers`` provides the functional ``(init, update, get_params)`` optimizer
triple and learning-rate schedules; ``stax`` provides ``(init_fun, apply_fun)``
neural-network layer combinators.  Both are written against cotan's public API
only, so programs written for ``jax.example_libraries`` run unchanged.
"""

from cotan.example_libraries import optimizers, stax

__all__ = ["optimizers", "stax"]
