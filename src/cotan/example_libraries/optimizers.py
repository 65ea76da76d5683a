"""Functional first-order optimizers (mirrors ``jax.example_libraries.optimizers``).

An optimizer is a triple of pure functions ``(init_fun, update_fun, get_params)``::

    opt_init, opt_update, get_params = optimizers.adam(1e-3)
    opt_state = opt_init(params)
    opt_state = opt_update(step, grads, opt_state)
    params = get_params(opt_state)

Optimizers are written for a single array (``init(x0) -> state``,
``update(i, g, state) -> state``, ``get_params(state) -> x``) and lifted to
arbitrary parameter pytrees by the :func:`optimizer` decorator.  The packed
state, :class:`OptimizerState`, is itself a pytree, so it can be passed through
``jit``/``vmap``/``lax.scan``.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from typing import Any, Callable, NamedTuple

import cotan.numpy as jnp
from cotan.tree_util import (
    register_pytree_node,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
)

__all__ = [
    "OptimizerState", "Optimizer", "optimizer", "JoinPoint",
    "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "rmsprop_momentum",
    "adam", "adamax", "sm3",
    "constant", "exponential_decay", "inverse_time_decay", "polynomial_decay",
    "piecewise_constant", "make_schedule",
    "l2_norm", "clip_grads", "unpack_optimizer_state", "pack_optimizer_state",
]


# The packed optimizer state: the flat list of per-leaf state leaves, the
# parameter tree structure, and one treedef per parameter leaf describing the
# structure of that leaf's state.  Only ``packed_state`` holds arrays.
OptimizerState = namedtuple("OptimizerState",
                            ["packed_state", "tree_def", "subtree_defs"])
register_pytree_node(
    OptimizerState,
    lambda s: ((s.packed_state,), (s.tree_def, s.subtree_defs)),
    lambda aux, children: OptimizerState(children[0], *aux))

Array = Any
Params = Any
State = Any
Updates = Params
Step = int
InitFn = Callable[[Params], OptimizerState]
UpdateFn = Callable[[Step, Updates, OptimizerState], OptimizerState]
ParamsFn = Callable[[OptimizerState], Params]
Schedule = Callable[[Step], float]


class Optimizer(NamedTuple):
  init_fn: InitFn
  update_fn: UpdateFn
  params_fn: ParamsFn


def _unzip2(pairs):
  firsts, seconds = [], []
  for a, b in pairs:
    firsts.append(a)
    seconds.append(b)
  return tuple(firsts), tuple(seconds)


def optimizer(opt_maker):
  """Lift a single-array optimizer maker to one acting on parameter pytrees.

  ``opt_maker(*args, **kwargs)`` must return ``(init, update, get_params)``
  acting on a single array; the decorated maker returns an :class:`Optimizer`
  whose functions accept and return pytrees (the state is an
  :class:`OptimizerState`).
  """

  @functools.wraps(opt_maker)
  def tree_opt_maker(*args, **kwargs):
    init, update, get_params = opt_maker(*args, **kwargs)

    @functools.wraps(init)
    def tree_init(x0_tree):
      x0_flat, tree = tree_flatten(x0_tree)
      initial_states = [init(x0) for x0 in x0_flat]
      states_flat, subtrees = _unzip2(tree_flatten(s) for s in initial_states)
      return OptimizerState(states_flat, tree, subtrees)

    @functools.wraps(update)
    def tree_update(i, grad_tree, opt_state):
      states_flat, tree, subtrees = opt_state
      grad_flat, tree2 = tree_flatten(grad_tree)
      if tree2 != tree:
        msg = ("optimizer update function was passed a gradient tree that did "
               "not match the parameter tree structure with which it was "
               "initialized: parameter tree {} and grad tree {}.")
        raise TypeError(msg.format(tree, tree2))
      states = [tree_unflatten(sd, s) for sd, s in zip(subtrees, states_flat)]
      new_states = [update(i, g, s) for g, s in zip(grad_flat, states)]
      new_states_flat, subtrees2 = _unzip2(tree_flatten(s) for s in new_states)
      for subtree, subtree2 in zip(subtrees, subtrees2):
        if subtree2 != subtree:
          msg = ("optimizer update function produced an output structure that "
                 "did not match its input structure: input {} and output {}.")
          raise TypeError(msg.format(subtree, subtree2))
      return OptimizerState(new_states_flat, tree, subtrees)

    @functools.wraps(get_params)
    def tree_get_params(opt_state):
      states_flat, tree, subtrees = opt_state
      states = [tree_unflatten(sd, s) for sd, s in zip(subtrees, states_flat)]
      params = [get_params(s) for s in states]
      return tree_unflatten(tree, params)

    return Optimizer(tree_init, tree_update, tree_get_params)

  return tree_opt_maker


### optimizers

@optimizer
def sgd(step_size):
  """Stochastic gradient descent: ``x <- x - step_size(i) * g``."""
  step_size = make_schedule(step_size)

  def init(x0):
    return x0

  def update(i, g, x):
    return x - step_size(i) * g

  def get_params(x):
    return x

  return Optimizer(init, update, get_params)


@optimizer
def momentum(step_size: Schedule, mass: float):
  """Heavy-ball momentum: ``v <- mass * v + g; x <- x - step_size(i) * v``."""
  step_size = make_schedule(step_size)

  def init(x0):
    return x0, jnp.zeros_like(x0)

  def update(i, g, state):
    x, velocity = state
    velocity = mass * velocity + g
    x = x - step_size(i) * velocity
    return x, velocity

  def get_params(state):
    return state[0]

  return init, update, get_params


@optimizer
def nesterov(step_size: Schedule, mass: float):
  """Nesterov accelerated momentum."""
  step_size = make_schedule(step_size)

  def init(x0):
    return x0, jnp.zeros_like(x0)

  def update(i, g, state):
    x, velocity = state
    velocity = mass * velocity + g
    x = x - step_size(i) * (mass * velocity + g)
    return x, velocity

  def get_params(state):
    return state[0]

  return init, update, get_params


@optimizer
def adagrad(step_size, momentum=0.9):
  """Adagrad (Duchi et al. 2011) with momentum on the scaled gradient."""
  step_size = make_schedule(step_size)

  def init(x0):
    return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

  def update(i, g, state):
    x, g_sq, m = state
    g_sq = g_sq + jnp.square(g)
    g_sq_inv_sqrt = jnp.where(g_sq > 0, 1. / jnp.sqrt(g_sq), 0.0)
    m = (1. - momentum) * (g * g_sq_inv_sqrt) + momentum * m
    x = x - step_size(i) * m
    return x, g_sq, m

  def get_params(state):
    return state[0]

  return init, update, get_params


@optimizer
def rmsprop(step_size, gamma=0.9, eps=1e-8):
  """RMSProp (Tieleman & Hinton 2012)."""
  step_size = make_schedule(step_size)

  def init(x0):
    return x0, jnp.zeros_like(x0)

  def update(i, g, state):
    x, avg_sq_grad = state
    avg_sq_grad = avg_sq_grad * gamma + jnp.square(g) * (1. - gamma)
    x = x - step_size(i) * g / jnp.sqrt(avg_sq_grad + eps)
    return x, avg_sq_grad

  def get_params(state):
    return state[0]

  return init, update, get_params


@optimizer
def rmsprop_momentum(step_size, gamma=0.9, eps=1e-8, momentum=0.9):
  """RMSProp with momentum (Graves 2013)."""
  step_size = make_schedule(step_size)

  def init(x0):
    return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

  def update(i, g, state):
    x, avg_sq_grad, mom = state
    avg_sq_grad = avg_sq_grad * gamma + jnp.square(g) * (1. - gamma)
    mom = momentum * mom + step_size(i) * g / jnp.sqrt(avg_sq_grad + eps)
    x = x - mom
    return x, avg_sq_grad, mom

  def get_params(state):
    return state[0]

  return init, update, get_params


@optimizer
def adam(step_size, b1=0.9, b2=0.999, eps=1e-8):
  """Adam (Kingma & Ba 2015) with bias-corrected moments."""
  step_size = make_schedule(step_size)

  def init(x0):
    return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

  def update(i, g, state):
    x, m, v = state
    m = (1 - b1) * g + b1 * m
    v = (1 - b2) * jnp.square(g) + b2 * v
    mhat = m / (1 - jnp.asarray(b1, m.dtype) ** (i + 1))
    vhat = v / (1 - jnp.asarray(b2, m.dtype) ** (i + 1))
    x = x - step_size(i) * mhat / (jnp.sqrt(vhat) + eps)
    return x, m, v

  def get_params(state):
    return state[0]

  return init, update, get_params


@optimizer
def adamax(step_size, b1=0.9, b2=0.999, eps=1e-8):
  """AdaMax, the infinity-norm variant of Adam."""
  step_size = make_schedule(step_size)

  def init(x0):
    return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

  def update(i, g, state):
    x, m, u = state
    m = (1 - b1) * g + b1 * m
    u = jnp.maximum(b2 * u, jnp.abs(g))
    x = x - (step_size(i) / (1 - jnp.asarray(b1, m.dtype) ** (i + 1))) * m / (u + eps)
    return x, m, u

  def get_params(state):
    return state[0]

  return init, update, get_params


@optimizer
def sm3(step_size, momentum=0.9):
  """SM3 (Anil et al. 2019): memory-efficient adaptive optimizer.

  Keeps one accumulator vector per array axis instead of a full second-moment
  array; the effective accumulator is their broadcast minimum.
  """
  step_size = make_schedule(step_size)

  def splice(seq, i, x):
    lst = list(seq)
    lst[i:i + 1] = x
    return lst

  def broadcast_into(ndim, x, axis):
    idx = splice([None] * ndim, axis, [slice(None)])
    return x[tuple(idx)]

  # The state is ``(x, m, vs)`` with ``x`` kept in its own shape (JAX also
  # stores ``x.shape`` as integer leaves, which become tracers under ``jit``;
  # here the shape is read off ``x`` instead, so the update can be jitted).
  def init(x0):
    x0 = jnp.asarray(x0)
    x1 = jnp.atleast_1d(x0)
    vs = [jnp.zeros(sz, dtype=x1.dtype) for sz in x1.shape]
    return x0, jnp.zeros_like(x1), vs

  def update(i, g, state):
    x0, m, vs = state
    x = jnp.atleast_1d(x0)
    g = jnp.reshape(g, x.shape)
    vs = [broadcast_into(g.ndim, v, ax) for ax, v in enumerate(vs)]
    accum = functools.reduce(jnp.minimum, vs) + jnp.square(g)
    accum_inv_sqrt = jnp.where(accum > 0, 1. / jnp.sqrt(accum), 0)
    m = (1. - momentum) * (g * accum_inv_sqrt) + momentum * m
    x = x - step_size(i) * m
    vs = [accum.max(tuple(splice(range(x.ndim), j, []))) for j in range(x.ndim)]
    return jnp.reshape(x, x0.shape), m, vs

  def get_params(state):
    return state[0]

  return init, update, get_params


### learning rate schedules

def constant(step_size) -> Schedule:
  def schedule(i):
    return step_size
  return schedule


def exponential_decay(step_size, decay_steps, decay_rate):
  def schedule(i):
    return step_size * decay_rate ** (i / decay_steps)
  return schedule


def inverse_time_decay(step_size, decay_steps, decay_rate, staircase=False):
  if staircase:
    def schedule(i):
      return step_size / (1 + decay_rate * jnp.floor(i / decay_steps))
  else:
    def schedule(i):
      return step_size / (1 + decay_rate * i / decay_steps)
  return schedule


def polynomial_decay(step_size, decay_steps, final_step_size, power=1.0):
  def schedule(step_num):
    step_num = jnp.minimum(step_num, decay_steps)
    step_mult = (1 - step_num / decay_steps) ** power
    return step_mult * (step_size - final_step_size) + final_step_size
  return schedule


def piecewise_constant(boundaries: Any, values: Any):
  boundaries = jnp.array(boundaries)
  values = jnp.array(values)
  if not boundaries.ndim == values.ndim == 1:
    raise ValueError("boundaries and values must be sequences")
  if not boundaries.shape[0] == values.shape[0] - 1:
    raise ValueError("boundaries length must be one shorter than values length")

  def schedule(i):
    return values[jnp.sum(i > boundaries)]
  return schedule


def make_schedule(scalar_or_schedule) -> Schedule:
  """Return ``scalar_or_schedule`` if callable, else a constant schedule."""
  if callable(scalar_or_schedule):
    return scalar_or_schedule
  elif jnp.ndim(scalar_or_schedule) == 0:
    return constant(scalar_or_schedule)
  else:
    raise TypeError(type(scalar_or_schedule))


### utilities

def l2_norm(tree):
  """Global L2 norm of all leaves of a pytree."""
  leaves = tree_leaves(tree)
  return jnp.sqrt(sum(jnp.vdot(x, x) for x in leaves))


def clip_grads(grad_tree, max_norm):
  """Rescale ``grad_tree`` so its global L2 norm is at most ``max_norm``."""
  norm = l2_norm(grad_tree)
  normalize = lambda g: jnp.where(norm < max_norm, g, g * (max_norm / norm))
  return tree_map(normalize, grad_tree)


### serialization

class JoinPoint:
  """Marks the boundary between the parameter tree and a per-leaf state tree.

  It is deliberately not a registered pytree node, so it is a leaf of the
  tree returned by :func:`unpack_optimizer_state`.
  """

  def __init__(self, subtree):
    self.subtree = subtree

  # Iterating gives the wrapped subtree, so JoinPoints can be pickled by value.
  def __iter__(self):
    yield self.subtree

  def __repr__(self):
    return f"JoinPoint({self.subtree!r})"


def unpack_optimizer_state(opt_state):
  """Convert an :class:`OptimizerState` into a plain, picklable pytree.

  The result has the parameter tree's structure, with each parameter leaf
  replaced by a :class:`JoinPoint` wrapping that leaf's optimizer state.
  """
  states_flat, tree_def, subtree_defs = opt_state
  subtrees = [tree_unflatten(sd, s) for sd, s in zip(subtree_defs, states_flat)]
  sentinels = [JoinPoint(subtree) for subtree in subtrees]
  return tree_unflatten(tree_def, sentinels)


def pack_optimizer_state(marked_pytree):
  """Inverse of :func:`unpack_optimizer_state`."""
  sentinels, tree_def = tree_flatten(marked_pytree)
  assert all(isinstance(s, JoinPoint) for s in sentinels)
  subtrees = [s.subtree for s in sentinels]
  states_flat, subtree_defs = _unzip2(tree_flatten(s) for s in subtrees)
  return OptimizerState(states_flat, tree_def, subtree_defs)
