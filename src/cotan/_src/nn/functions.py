"""cotan.nn activation functions (jax.nn's numerically stable forms)."""
from __future__ import annotations

import operator

import numpy as np

from ..lax import elementwise as _el
from ..lax import structural as _st
from ..lax import misc as _misc
from ..numpy import util as _u
import cotan.numpy as jnp


def _inexact(x):
    (x,) = _u.promote_args_inexact(x)
    return x


def relu(x):
    """max(x, 0); its derivative at 0 is 0 (as in JAX)."""
    x = _u.asarray_arg(x)
    return jnp.where(x > 0, x, jnp.zeros_like(x))


def relu6(x):
    """min(max(x, 0), 6); derivative 0 at both kinks."""
    x = _u.asarray_arg(x)
    return jnp.where((x > 0) & (x < 6), x, jnp.where(x >= 6, jnp.full_like(x, 6), jnp.zeros_like(x)))


def sigmoid(x):
    return _el.logistic(_inexact(x))


def softplus(x):
    """log(1 + exp(x)) = logaddexp(x, 0)."""
    return jnp.logaddexp(_inexact(x), 0)


def soft_sign(x):
    x = _inexact(x)
    return x / (jnp.abs(x) + 1)


def silu(x):
    x = _inexact(x)
    return x * _el.logistic(x)


swish = silu


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x)."""
    return -softplus(-_inexact(x))


def gelu(x, approximate=True):
    x = _inexact(x)
    if approximate:
        c = float(np.sqrt(2 / np.pi))
        cdf = 0.5 * (1.0 + jnp.tanh(c * (x + 0.044715 * (x ** 3))))
        return x * cdf
    return 0.5 * x * _el.erfc(-x * float(np.sqrt(0.5)))


def elu(x, alpha=1.0):
    x = _inexact(x)
    safe = jnp.where(x > 0, jnp.zeros_like(x), x)
    return jnp.where(x > 0, x, alpha * jnp.expm1(safe))


def celu(x, alpha=1.0):
    x = _inexact(x)
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


def selu(x):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def leaky_relu(x, negative_slope=1e-2):
    x = _inexact(x)
    return jnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x):
    x = _inexact(x)
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def hard_sigmoid(x):
    return relu6(_inexact(x) + 3.0) / 6.0


def hard_silu(x):
    x = _inexact(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def glu(x, axis=-1):
    """Gated linear unit: first half * sigmoid(second half) along ``axis``."""
    x = _inexact(x)
    axis = _u.canonicalize_axis(axis, x.ndim)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"glu: axis {axis} of size {size} is not even")
    a = _st.slice_in_dim(x, 0, size // 2, axis=axis)
    b = _st.slice_in_dim(x, size // 2, size, axis=axis)
    return a * _el.logistic(b)


def _axes(axis, nd):
    if axis is None:
        return tuple(range(nd))
    if isinstance(axis, (tuple, list)):
        return tuple(_u.canonicalize_axis(a, nd) for a in axis)
    return (_u.canonicalize_axis(axis, nd),)


def softmax(x, axis=-1, where=None):
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the (constant) max."""
    x = _inexact(x)
    axes = _axes(axis, x.ndim)
    xmax = jnp.max(x, axes, keepdims=True, where=where, initial=-np.inf)
    xmax = _misc.stop_gradient(jnp.where(jnp.isfinite(xmax), xmax, 0))
    unnormalized = jnp.exp(x - xmax)
    if where is not None:
        unnormalized = jnp.where(where, unnormalized, 0.0)
    return unnormalized / jnp.sum(unnormalized, axes, keepdims=True, where=where)


def log_softmax(x, axis=-1, where=None):
    """x - logsumexp(x) along ``axis``, stably."""
    x = _inexact(x)
    axes = _axes(axis, x.ndim)
    xmax = jnp.max(x, axes, keepdims=True, where=where, initial=-np.inf)
    xmax = _misc.stop_gradient(jnp.where(jnp.isfinite(xmax), xmax, 0))
    shifted = x - xmax
    e = jnp.exp(shifted)
    if where is not None:
        e = jnp.where(where, e, 0.0)
    out = shifted - jnp.log(jnp.sum(e, axes, keepdims=True, where=where))
    if where is not None:
        out = jnp.where(where, out, -np.inf)
    return out


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    from ..scipy.special import logsumexp as _lse
    return _lse(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign, where=where)


def one_hot(x, num_classes, *, dtype=None, axis=-1):
    """One-hot encode integer ``x`` into ``num_classes`` classes along ``axis``."""
    num_classes = operator.index(num_classes)
    x = _u.asarray_arg(x)
    if dtype is None:
        dtype = jnp.float_ if hasattr(jnp, "float_") else np.float64
    from .. import dtypes
    dtype = dtypes.canonicalize_dtype(np.dtype(dtype))
    out_nd = x.ndim + 1
    axis = _u.canonicalize_axis(axis, out_nd)
    lhs = jnp.expand_dims(x, axis)
    rshape = [1] * out_nd
    rshape[axis] = num_classes
    rhs = jnp.arange(num_classes).reshape(rshape)
    return (lhs == rhs).astype(dtype)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    """(x - mean) / sqrt(variance + epsilon) along ``axis``."""
    x = _inexact(x)
    axes = _axes(axis, x.ndim)
    if mean is None:
        mean = jnp.mean(x, axes, keepdims=True, where=where)
    if variance is None:
        variance = jnp.mean(jnp.square(x), axes, keepdims=True, where=where) - jnp.square(mean)
    return (x - mean) * jax_rsqrt(variance + epsilon)


def jax_rsqrt(x):
    return _el.rsqrt(_inexact(x))

