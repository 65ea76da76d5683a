"""cotan: JAX's composable function transformations on NumPy, in pure Python.

    import cotan as jax
    import cotan.numpy as jnp
"""
from cotan._src.numpy import array_methods as _am

_am.install()

from cotan._src.api import (block_until_ready, default_backend, device_count,  # noqa: E402,F401
                            device_get, device_put, devices, grad, jit, jvp, linear_transpose,
                            linearize, local_device_count, local_devices, make_jaxpr,
                            value_and_grad, vjp, vmap, jacfwd, jacrev, jacobian, hessian)
from cotan._src.config import config  # noqa: E402,F401
from cotan._src.core import Array  # noqa: E402,F401
from cotan._src.shape import ShapeDtypeStruct  # noqa: E402,F401
from cotan._src.dtypes import float0  # noqa: E402,F401
from cotan._src.tree_util import tree_map  # noqa: E402,F401
from cotan import tree_util  # noqa: E402,F401
from cotan import numpy  # noqa: E402,F401
from cotan import lax  # noqa: E402,F401
from cotan import errors  # noqa: E402,F401
from cotan import random  # noqa: E402,F401
from cotan import test_util  # noqa: E402,F401

__version__ = "0.1.0"
