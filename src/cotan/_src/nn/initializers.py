"""cotan.nn.initializers: ``initializer(key, shape, dtype)`` functions."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..lax import elementwise as _el
import cotan.numpy as jnp
from cotan import random as _random

__all__ = ["zeros", "ones", "constant", "normal", "uniform", "truncated_normal",
           "glorot_normal", "glorot_uniform", "xavier_normal", "xavier_uniform", "he_normal",
           "he_uniform", "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform",
           "orthogonal", "variance_scaling", "delta_orthogonal"]


def _dtype(dtype):
    if dtype is None:
        return dtypes.canonicalize_dtype(np.float64)
    return dtypes.canonicalize_dtype(np.dtype(dtype))


def _shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


def zeros(key, shape, dtype=None, out_sharding=None):
    return jnp.zeros(_shape(shape), _dtype(dtype))


def ones(key, shape, dtype=None, out_sharding=None):
    return jnp.ones(_shape(shape), _dtype(dtype))


def constant(value, dtype=None):
    def init(key, shape, dtype=dtype, out_sharding=None):
        return jnp.full(_shape(shape), value, dtype=_dtype(dtype))
    return init


def normal(stddev=1e-2, dtype=None):
    def init(key, shape, dtype=dtype, out_sharding=None):
        dt = _dtype(dtype)
        return (_random.normal(key, _shape(shape), dt) * stddev).astype(dt)
    return init


def uniform(scale=1e-2, dtype=None):
    def init(key, shape, dtype=dtype, out_sharding=None):
        dt = _dtype(dtype)
        return (_random.uniform(key, _shape(shape), dt) * scale).astype(dt)
    return init


def _truncated_normal(key, lower, upper, shape, dtype):
    """Standard normal truncated to [lower, upper], by inverting the CDF of a
    uniform sample: sqrt(2) erfinv(u) with u uniform on (erf(lower/sqrt2), erf(upper/sqrt2))."""
    sqrt2 = math.sqrt(2.0)
    a = math.erf(lower / sqrt2)
    b = math.erf(upper / sqrt2)
    eps = float(np.finfo(dtype).eps)
    u = _random.uniform(key, shape, dtype, minval=a, maxval=b)
    u = jnp.clip(u, -1 + eps, 1 - eps) if hasattr(jnp, "clip") else u
    out = sqrt2 * _el.erf_inv(u)
    return jnp.clip(out, lower, upper) if hasattr(jnp, "clip") else out


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    def init(key, shape, dtype=dtype, out_sharding=None):
        dt = _dtype(dtype)
        return (_truncated_normal(key, lower, upper, _shape(shape), dt) * stddev).astype(dt)
    return init


def _axes(axis, nd):
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % nd for a in axis)


def _compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    if len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional "
                         "weights tensor. Must be at least 2D.")
    nd = len(shape)
    ins = _axes(in_axis, nd)
    outs = _axes(out_axis, nd)
    batch = _axes(batch_axis, nd)
    in_size = math.prod(shape[i] for i in ins)
    out_size = math.prod(shape[i] for i in outs)
    receptive = math.prod(shape) // in_size // out_size // max(1, math.prod(shape[i] for i in batch))
    return in_size * receptive, out_size * receptive


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(),
                     dtype=None):
    """Samples with variance ``scale / n`` where ``n`` is fan-in, fan-out or their average."""
    if mode not in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
        raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(f"invalid distribution for variance scaling initializer: {distribution}")

    def init(key, shape, dtype=dtype, out_sharding=None):
        shape = _shape(shape)
        dt = _dtype(dtype)
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        denom = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
                 "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
        variance = scale / denom
        if distribution == "truncated_normal":
            # the std of a unit normal truncated to [-2, 2]
            stddev = math.sqrt(variance) / .87962566103423978
            out = _truncated_normal(key, -2.0, 2.0, shape, dt) * stddev
        elif distribution == "normal":
            out = _random.normal(key, shape, dt) * math.sqrt(variance)
        else:
            out = _random.uniform(key, shape, dt, -1.0, 1.0) * math.sqrt(3 * variance)
        return out.astype(dt)
    return init


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """Uniformly distributed orthogonal matrices (QR of a normal sample, sign-fixed)."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        shape = _shape(shape)
        dt = _dtype(dtype)
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        n_rows = math.prod(shape) // shape[column_axis]
        n_cols = shape[column_axis]
        mshape = (n_cols, n_rows) if n_rows < n_cols else (n_rows, n_cols)
        A = _random.normal(key, mshape, dt)
        Q, R = jnp.linalg.qr(A)
        diag = jnp.diagonal(R) if hasattr(jnp, "diagonal") else jnp.diag(R)
        Q = Q * jnp.sign(diag)
        if n_rows < n_cols:
            Q = Q.T
        Q = jnp.reshape(Q, tuple(np.delete(shape, column_axis)) + (shape[column_axis],))
        Q = jnp.moveaxis(Q, -1, column_axis)
        return (scale * Q).astype(dt)
    return init


def delta_orthogonal(scale=1.0, column_axis=-1, dtype=None):
    raise NotImplementedError("delta_orthogonal is not implemented in cotan")
