"""cotan.random: JAX's PRNG API on a counter-based threefry2x32 generator."""
from cotan._src.random import (PRNGKey, bits, fold_in, key, key_data, normal, split,  # noqa: F401
                               uniform, wrap_key_data)
