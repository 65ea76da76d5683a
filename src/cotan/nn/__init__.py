"""cotan.nn: neural-network activation functions (jax.nn's API)."""
from cotan._src.nn.functions import (celu, elu, gelu, glu, hard_sigmoid, hard_silu,  # noqa: F401
                                     hard_swish, hard_tanh, leaky_relu, log_sigmoid,
                                     log_softmax, logsumexp, one_hot, relu, relu6, selu,
                                     sigmoid, silu, soft_sign, softmax, softplus, standardize,
                                     swish)
from cotan.nn import initializers  # noqa: F401,E402
