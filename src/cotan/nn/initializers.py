"""cotan.nn.initializers: parameter initializers (jax.nn.initializers' API)."""
from cotan._src.nn.initializers import (constant, delta_orthogonal, glorot_normal,  # noqa: F401
                                        glorot_uniform, he_normal, he_uniform, kaiming_normal,
                                        kaiming_uniform, lecun_normal, lecun_uniform, normal,
                                        ones, orthogonal, truncated_normal, uniform,
                                        variance_scaling, xavier_normal, xavier_uniform, zeros)
