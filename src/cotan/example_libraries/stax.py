"""Neural-network layer combinators (mirrors ``jax.example_libraries.stax``).

A *layer* is a pair ``(init_fun, apply_fun)``:

* ``init_fun(rng, input_shape) -> (output_shape, params)``
* ``apply_fun(params, inputs, **kwargs) -> outputs``

Layers compose with :func:`serial` and :func:`parallel`.  Some names are
layer *constructors* (``Dense(512)``), others are layers already (``Relu``,
``Flatten``), exactly as in JAX.  Shapes may use ``-1`` for an unknown batch
dimension.
"""

from __future__ import annotations

import functools
import operator as op

import cotan.numpy as jnp
from cotan import lax
from cotan import random
from cotan.nn import (relu, log_softmax, softmax, softplus, sigmoid, elu,
                      leaky_relu, selu, gelu, standardize)
from cotan.nn.initializers import glorot_normal, normal, ones, zeros

__all__ = [
    "Dense", "GeneralConv", "Conv", "Conv1D", "GeneralConvTranspose",
    "ConvTranspose", "Conv1DTranspose", "BatchNorm", "elementwise",
    "Tanh", "Relu", "Exp", "LogSoftmax", "Softmax", "Softplus", "Sigmoid",
    "Elu", "LeakyRelu", "Selu", "Gelu", "MaxPool", "SumPool", "AvgPool",
    "Flatten", "Identity", "FanOut", "FanInSum", "FanInConcat", "Dropout",
    "serial", "parallel", "shape_dependent",
    "glorot", "randn", "logsoftmax",
]

glorot = glorot_normal
randn = normal
logsoftmax = log_softmax


### shape helpers

def _pads(in_spatial, window, strides, padding):
  if isinstance(padding, str):
    return [tuple(p) for p in lax.padtype_to_pads(tuple(in_spatial), tuple(window),
                                                  tuple(strides), padding)]
  return [tuple(p) for p in padding]


def _window_out(size, w, s, lo, hi):
  return (size + lo + hi - w) // s + 1


def _conv_output_shape(input_shape, kernel_shape, strides, padding, dn):
  lhs_spec, rhs_spec, out_spec = dn
  sp_in = [input_shape[i] for i, c in enumerate(lhs_spec) if c not in "NC"]
  sp_k = [kernel_shape[i] for i, c in enumerate(rhs_spec) if c not in "IO"]
  pads = _pads(sp_in, sp_k, strides, padding)
  sp_out = iter([_window_out(n, k, s, lo, hi)
                 for n, k, s, (lo, hi) in zip(sp_in, sp_k, strides, pads)])
  n = input_shape[lhs_spec.index("N")]
  o = kernel_shape[rhs_spec.index("O")]
  return tuple(n if c == "N" else o if c == "C" else next(sp_out)
               for c in out_spec)


def _conv_transpose_output_shape(input_shape, kernel_shape, strides, padding, dn):
  lhs_spec, rhs_spec, out_spec = dn
  if not isinstance(padding, str):
    raise ValueError("GeneralConvTranspose shape inference supports only "
                     "'SAME' or 'VALID' padding.")
  sp_in = [input_shape[i] for i, c in enumerate(lhs_spec) if c not in "NC"]
  sp_k = [kernel_shape[i] for i, c in enumerate(rhs_spec) if c not in "IO"]
  if padding.upper() == "SAME":
    sp = [n * s for n, s in zip(sp_in, strides)]
  elif padding.upper() == "VALID":
    sp = [n * s + max(k - s, 0) for n, k, s in zip(sp_in, sp_k, strides)]
  else:
    raise ValueError(f"Unknown padding {padding!r}")
  sp_out = iter(sp)
  n = input_shape[lhs_spec.index("N")]
  o = kernel_shape[rhs_spec.index("O")]
  return tuple(n if c == "N" else o if c == "C" else next(sp_out)
               for c in out_spec)


### layers

def Dense(out_dim, W_init=glorot_normal(), b_init=normal()):
  """Fully-connected layer: ``inputs @ W + b``."""
  def init_fun(rng, input_shape):
    output_shape = tuple(input_shape[:-1]) + (out_dim,)
    k1, k2 = random.split(rng)
    W, b = W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,))
    return output_shape, (W, b)

  def apply_fun(params, inputs, **kwargs):
    W, b = params
    return jnp.dot(inputs, W) + b

  return init_fun, apply_fun


def _kernel_shape(rhs_spec, lhs_spec, input_shape, out_chan, filter_shape):
  it = iter(filter_shape)
  return [out_chan if c == "O" else
          input_shape[lhs_spec.index("C")] if c == "I" else next(it)
          for c in rhs_spec]


def GeneralConv(dimension_numbers, out_chan, filter_shape,
                strides=None, padding='VALID', W_init=None,
                b_init=normal(1e-6)):
  """Convolution layer with explicit ``(lhs, rhs, out)`` layout strings."""
  lhs_spec, rhs_spec, out_spec = dimension_numbers
  one = (1,) * len(filter_shape)
  strides = strides or one
  W_init = W_init or glorot_normal(rhs_spec.index('I'), rhs_spec.index('O'))

  def init_fun(rng, input_shape):
    kernel_shape = _kernel_shape(rhs_spec, lhs_spec, input_shape, out_chan,
                                 filter_shape)
    output_shape = _conv_output_shape(input_shape, kernel_shape, strides,
                                      padding, dimension_numbers)
    bias_shape = [out_chan if c == 'C' else 1 for c in out_spec]
    k1, k2 = random.split(rng)
    W, b = W_init(k1, kernel_shape), b_init(k2, bias_shape)
    return output_shape, (W, b)

  def apply_fun(params, inputs, **kwargs):
    W, b = params
    return lax.conv_general_dilated(inputs, W, strides, padding, one, one,
                                    dimension_numbers=dimension_numbers) + b

  return init_fun, apply_fun


Conv = functools.partial(GeneralConv, ('NHWC', 'HWIO', 'NHWC'))
Conv1D = functools.partial(GeneralConv, ('NHC', 'HIO', 'NHC'))


def GeneralConvTranspose(dimension_numbers, out_chan, filter_shape,
                         strides=None, padding='VALID', W_init=None,
                         b_init=normal(1e-6)):
  """Transposed-convolution layer (``lax.conv_transpose``)."""
  lhs_spec, rhs_spec, out_spec = dimension_numbers
  one = (1,) * len(filter_shape)
  strides = strides or one
  W_init = W_init or glorot_normal(rhs_spec.index('I'), rhs_spec.index('O'))

  def init_fun(rng, input_shape):
    kernel_shape = _kernel_shape(rhs_spec, lhs_spec, input_shape, out_chan,
                                 filter_shape)
    output_shape = _conv_transpose_output_shape(
        input_shape, kernel_shape, strides, padding, dimension_numbers)
    bias_shape = [out_chan if c == 'C' else 1 for c in out_spec]
    k1, k2 = random.split(rng)
    W, b = W_init(k1, kernel_shape), b_init(k2, bias_shape)
    return output_shape, (W, b)

  def apply_fun(params, inputs, **kwargs):
    W, b = params
    return lax.conv_transpose(inputs, W, strides, padding,
                              dimension_numbers=dimension_numbers) + b

  return init_fun, apply_fun


Conv1DTranspose = functools.partial(GeneralConvTranspose, ('NHC', 'HIO', 'NHC'))
ConvTranspose = functools.partial(GeneralConvTranspose,
                                  ('NHWC', 'HWIO', 'NHWC'))


def BatchNorm(axis=(0, 1, 2), epsilon=1e-5, center=True, scale=True,
              beta_init=zeros, gamma_init=ones):
  """Batch normalization over ``axis`` using the current batch's statistics.

  Like JAX's stax, there are no running averages: every call normalizes with
  the statistics of its own inputs.  ``center``/``scale`` switch the learned
  shift ``beta`` / scale ``gamma`` (an absent one is stored as ``()``).
  """
  _beta_init = lambda rng, shape: beta_init(rng, shape) if center else ()
  _gamma_init = lambda rng, shape: gamma_init(rng, shape) if scale else ()
  axis = (axis,) if jnp.isscalar(axis) else tuple(axis)

  def init_fun(rng, input_shape):
    nd = len(input_shape)
    ax = {a % nd for a in axis}
    shape = tuple(d for i, d in enumerate(input_shape) if i not in ax)
    k1, k2 = random.split(rng)
    beta, gamma = _beta_init(k1, shape), _gamma_init(k2, shape)
    return input_shape, (beta, gamma)

  def apply_fun(params, x, **kwargs):
    beta, gamma = params
    nd = jnp.ndim(x)
    ax = {a % nd for a in axis}
    ed = tuple(None if i in ax else slice(None) for i in range(nd))
    z = standardize(x, tuple(sorted(ax)), epsilon=epsilon)
    if center and scale:
      return gamma[ed] * z + beta[ed]
    if center:
      return z + beta[ed]
    if scale:
      return gamma[ed] * z
    return z

  return init_fun, apply_fun


def elementwise(fun, **fun_kwargs):
  """Layer applying ``fun(inputs, **fun_kwargs)``; has no parameters."""
  init_fun = lambda rng, input_shape: (input_shape, ())
  apply_fun = lambda params, inputs, **kwargs: fun(inputs, **fun_kwargs)
  return init_fun, apply_fun


Tanh = elementwise(jnp.tanh)
Relu = elementwise(relu)
Exp = elementwise(jnp.exp)
LogSoftmax = elementwise(log_softmax, axis=-1)
Softmax = elementwise(softmax, axis=-1)
Softplus = elementwise(softplus)
Sigmoid = elementwise(sigmoid)
Elu = elementwise(elu)
LeakyRelu = elementwise(leaky_relu)
Selu = elementwise(selu)
Gelu = elementwise(gelu)


def _pooling_layer(reducer, init_val, rescaler=None):
  def PoolingLayer(window_shape, strides=None, padding='VALID', spec=None):
    """Pooling layer; ``spec`` (e.g. ``'NCHW'``) defaults to ``N...C``."""
    window_shape = tuple(window_shape)
    strides = tuple(strides) if strides else (1,) * len(window_shape)
    rescale = rescaler(window_shape, strides, padding) if rescaler else None

    if spec is None:
      non_spatial_axes = 0, len(window_shape) + 1
    else:
      non_spatial_axes = spec.index('N'), spec.index('C')

    full_window, full_strides = window_shape, strides
    for i in sorted(non_spatial_axes):
      full_window = full_window[:i] + (1,) + full_window[i:]
      full_strides = full_strides[:i] + (1,) + full_strides[i:]

    def init_fun(rng, input_shape):
      pads = _pads(input_shape, full_window, full_strides, padding)
      out_shape = tuple(_window_out(n, w, s, lo, hi) for n, w, s, (lo, hi)
                        in zip(input_shape, full_window, full_strides, pads))
      return out_shape, ()

    def apply_fun(params, inputs, **kwargs):
      out = lax.reduce_window(inputs, init_val, reducer, full_window,
                              full_strides, padding)
      return rescale(out, inputs, spec) if rescale else out

    return init_fun, apply_fun
  return PoolingLayer


MaxPool = _pooling_layer(lax.max, -jnp.inf)
SumPool = _pooling_layer(lax.add, 0.)


def _normalize_by_window_size(dims, strides, padding):
  def rescale(outputs, inputs, spec):
    if spec is None:
      non_spatial_axes = 0, inputs.ndim - 1
    else:
      non_spatial_axes = spec.index('N'), spec.index('C')
    spatial_shape = tuple(inputs.shape[i] for i in range(inputs.ndim)
                          if i not in non_spatial_axes)
    one = jnp.ones(spatial_shape, dtype=inputs.dtype)
    # Counting the in-bounds elements of each window makes 'SAME' padding
    # average over the real entries only.
    window_sizes = lax.reduce_window(one, 0., lax.add, dims, strides, padding)
    for i in sorted(non_spatial_axes):
      window_sizes = jnp.expand_dims(window_sizes, i)
    return outputs / window_sizes
  return rescale


AvgPool = _pooling_layer(lax.add, 0., _normalize_by_window_size)


def Flatten():
  """Flatten all but the leading (batch) dimension."""
  def init_fun(rng, input_shape):
    output_shape = (input_shape[0],
                    functools.reduce(op.mul, input_shape[1:], 1))
    return output_shape, ()

  def apply_fun(params, inputs, **kwargs):
    return jnp.reshape(inputs, (inputs.shape[0], -1))

  return init_fun, apply_fun


Flatten = Flatten()


def Identity():
  """Layer returning its input unchanged."""
  init_fun = lambda rng, input_shape: (input_shape, ())
  apply_fun = lambda params, inputs, **kwargs: inputs
  return init_fun, apply_fun


Identity = Identity()


def FanOut(num):
  """Copy the input ``num`` times (for use before :func:`parallel`)."""
  init_fun = lambda rng, input_shape: ([input_shape] * num, ())
  apply_fun = lambda params, inputs, **kwargs: [inputs] * num
  return init_fun, apply_fun


def FanInSum():
  """Sum a list of inputs."""
  init_fun = lambda rng, input_shape: (input_shape[0], ())
  apply_fun = lambda params, inputs, **kwargs: sum(inputs)
  return init_fun, apply_fun


FanInSum = FanInSum()


def FanInConcat(axis=-1):
  """Concatenate a list of inputs along ``axis``."""
  def init_fun(rng, input_shape):
    ax = axis % len(input_shape[0])
    concat_size = sum(shape[ax] for shape in input_shape)
    out_shape = (tuple(input_shape[0][:ax]) + (concat_size,)
                 + tuple(input_shape[0][ax + 1:]))
    return out_shape, ()

  def apply_fun(params, inputs, **kwargs):
    return jnp.concatenate(inputs, axis)

  return init_fun, apply_fun


def Dropout(rate, mode='train'):
  """Dropout.  As in JAX's stax, ``rate`` is the *keep* probability.

  ``apply_fun`` needs ``rng=`` (a PRNG key); in ``mode='train'`` each entry
  is kept with probability ``rate`` and rescaled by ``1/rate``, in any other
  mode the inputs pass through unchanged.
  """
  def init_fun(rng, input_shape):
    return input_shape, ()

  def apply_fun(params, inputs, **kwargs):
    rng = kwargs.get('rng', None)
    if rng is None:
      msg = ("Dropout layer requires apply_fun to be called with a PRNG key "
             "argument. That is, instead of `apply_fun(params, inputs)`, call "
             "it like `apply_fun(params, inputs, rng)` where `rng` is a PRNG "
             "key (e.g. from `cotan.random.key`).")
      raise ValueError(msg)
    if mode == 'train':
      keep = random.bernoulli(rng, rate, inputs.shape)
      return jnp.where(keep, inputs / rate, 0)
    return inputs

  return init_fun, apply_fun


### combinators

def serial(*layers):
  """Compose layers in sequence; params are a list, one entry per layer."""
  nlayers = len(layers)
  init_funs, apply_funs = zip(*layers)

  def init_fun(rng, input_shape):
    params = []
    for init in init_funs:
      rng, layer_rng = random.split(rng)
      input_shape, param = init(layer_rng, input_shape)
      params.append(param)
    return input_shape, params

  def apply_fun(params, inputs, **kwargs):
    rng = kwargs.pop('rng', None)
    rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
    for fun, param, r in zip(apply_funs, params, rngs):
      inputs = fun(param, inputs, rng=r, **kwargs)
    return inputs

  return init_fun, apply_fun


def parallel(*layers):
  """Apply layers side by side to a sequence of inputs (one per layer)."""
  nlayers = len(layers)
  init_funs, apply_funs = zip(*layers)

  def init_fun(rng, input_shape):
    rngs = random.split(rng, nlayers)
    return zip(*[init(r, shape) for init, r, shape
                 in zip(init_funs, rngs, input_shape)])

  def apply_fun(params, inputs, **kwargs):
    rng = kwargs.pop('rng', None)
    rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
    return [f(p, x, rng=r, **kwargs)
            for f, p, x, r in zip(apply_funs, params, inputs, rngs)]

  return init_fun, apply_fun


def shape_dependent(make_layer):
  """Layer built lazily from the input shape by ``make_layer(shape)``."""
  def init_fun(rng, input_shape):
    return make_layer(input_shape)[0](rng, input_shape)

  def apply_fun(params, inputs, **kwargs):
    return make_layer(inputs.shape)[1](params, inputs, **kwargs)

  return init_fun, apply_fun
