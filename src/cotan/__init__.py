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
from cotan._src import traceback_util as _tbu  # noqa: E402

# API boundaries: exceptions leaving these (and the functions they return)
# have cotan's internal frames removed from their tracebacks
# (config "jax_traceback_filtering").
grad = _tbu.wrap_transformation(grad)
value_and_grad = _tbu.wrap_transformation(value_and_grad)
jit = _tbu.wrap_transformation(jit)
vmap = _tbu.wrap_transformation(vmap)
make_jaxpr = _tbu.wrap_transformation(make_jaxpr)
jacfwd = _tbu.wrap_transformation(jacfwd)
jacrev = _tbu.wrap_transformation(jacrev)
jacobian = _tbu.wrap_transformation(jacobian)
hessian = _tbu.wrap_transformation(hessian)
linear_transpose = _tbu.wrap_transformation(linear_transpose)
jvp = _tbu.api_boundary(jvp)
vjp = _tbu.api_boundary(vjp)
linearize = _tbu.api_boundary(linearize)

from cotan._src.config import config  # noqa: E402,F401
from cotan._src.interpreters.jit import disable_jit  # noqa: E402,F401
from cotan._src.core import Array  # noqa: E402,F401
from cotan._src.shape import ShapeDtypeStruct  # noqa: E402,F401
from cotan._src.custom_derivatives import custom_jvp, custom_vjp, pure_callback, eval_shape, closure_convert  # noqa: E402,F401,E501
from cotan import flatten_util  # noqa: E402,F401
from cotan._src.dtypes import float0  # noqa: E402,F401
from cotan._src.tree_util import tree_map  # noqa: E402,F401
from cotan import tree_util  # noqa: E402,F401
from cotan import numpy  # noqa: E402,F401
from cotan import lax  # noqa: E402,F401
from cotan import errors  # noqa: E402,F401
from cotan import debug  # noqa: E402,F401
from cotan import random  # noqa: E402,F401
from cotan import nn  # noqa: E402,F401
from cotan import scipy  # noqa: E402,F401
from cotan import test_util  # noqa: E402,F401

__version__ = "0.1.0"
from cotan._src.checkpoint import checkpoint, remat, checkpoint_policies  # noqa: E402,F401
from cotan import ad_checkpoint  # noqa: E402,F401
