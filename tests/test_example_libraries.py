"""Tests for cotan.example_libraries (optimizers and stax)."""

import pickle

import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan import random
from cotan.example_libraries import optimizers, stax


# ---------------------------------------------------------------- optimizers

def _np_steps(name, x, grads, lr):
  """NumPy reference: apply the optimizer for len(grads) steps."""
  x = np.asarray(x, np.float64)
  m = np.zeros_like(x); v = np.zeros_like(x)
  for i, g in enumerate(grads):
    g = np.asarray(g, np.float64)
    if name == "sgd":
      x = x - lr * g
    elif name == "momentum":
      m = 0.9 * m + g; x = x - lr * m
    elif name == "nesterov":
      m = 0.9 * m + g; x = x - lr * (0.9 * m + g)
    elif name == "adagrad":
      v = v + g * g
      m = 0.1 * g * np.where(v > 0, 1 / np.sqrt(v), 0) + 0.9 * m
      x = x - lr * m
    elif name == "rmsprop":
      v = 0.9 * v + 0.1 * g * g; x = x - lr * g / np.sqrt(v + 1e-8)
    elif name == "rmsprop_momentum":
      v = 0.9 * v + 0.1 * g * g; m = 0.9 * m + lr * g / np.sqrt(v + 1e-8)
      x = x - m
    elif name == "adam":
      m = 0.1 * g + 0.9 * m; v = 0.001 * g * g + 0.999 * v
      mh = m / (1 - 0.9 ** (i + 1)); vh = v / (1 - 0.999 ** (i + 1))
      x = x - lr * mh / (np.sqrt(vh) + 1e-8)
    elif name == "adamax":
      m = 0.1 * g + 0.9 * m; v = np.maximum(0.999 * v, np.abs(g))
      x = x - lr / (1 - 0.9 ** (i + 1)) * m / (v + 1e-8)
    elif name == "sm3":  # 1-D: accumulators reduce to the full array
      v = v + g * g
      m = 0.1 * g * np.where(v > 0, 1 / np.sqrt(v), 0) + 0.9 * m
      x = x - lr * m
  return x


OPTS = {
    "sgd": lambda lr: optimizers.sgd(lr),
    "momentum": lambda lr: optimizers.momentum(lr, 0.9),
    "nesterov": lambda lr: optimizers.nesterov(lr, 0.9),
    "adagrad": lambda lr: optimizers.adagrad(lr),
    "rmsprop": lambda lr: optimizers.rmsprop(lr),
    "rmsprop_momentum": lambda lr: optimizers.rmsprop_momentum(lr),
    "adam": lambda lr: optimizers.adam(lr),
    "adamax": lambda lr: optimizers.adamax(lr),
    "sm3": lambda lr: optimizers.sm3(lr),
}


@pytest.mark.parametrize("name", sorted(OPTS))
def test_optimizer_matches_numpy_reference(name):
  x0 = np.array([1.0, -2.0, 0.5], np.float32)
  grads = [np.array([0.3, -1.0, 2.0], np.float32),
           np.array([-0.5, 0.25, 1.0], np.float32)]
  opt_init, opt_update, get_params = OPTS[name](0.1)
  state = opt_init(x0)
  for i, g in enumerate(grads):
    state = opt_update(i, jnp.asarray(g), state)
  expected = _np_steps(name, x0, grads, 0.1)
  np.testing.assert_allclose(np.asarray(get_params(state)), expected,
                             rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(OPTS))
def test_optimizer_decreases_quadratic(name):
  target = {"a": jnp.array([1.0, -2.0]), "b": jnp.array([[0.5, 3.0]])}
  loss = lambda p: sum(jnp.sum((p[k] - target[k]) ** 2) for k in p)
  params = {"a": jnp.zeros(2), "b": jnp.zeros((1, 2))}
  opt_init, opt_update, get_params = OPTS[name](0.05)

  @jax.jit
  def step(i, state):
    return opt_update(i, jax.grad(loss)(get_params(state)), state)

  state = opt_init(params)
  l0 = float(loss(params))
  for i in range(20):
    state = step(i, state)
  assert float(loss(get_params(state))) < 0.9 * l0


def test_optimizer_is_optimizer_namedtuple_and_structure_check():
  opt = optimizers.adam(1e-3)
  assert isinstance(opt, optimizers.Optimizer)
  assert opt.init_fn is opt[0] and opt.params_fn is opt[2]
  state = opt.init_fn((jnp.ones(2), jnp.ones(3)))
  assert isinstance(state, optimizers.OptimizerState)
  leaves = jax.tree_util.tree_leaves(state)
  assert len(leaves) == 6  # (x, m, v) per parameter
  with pytest.raises(TypeError, match="did not match"):
    opt.update_fn(0, [jnp.ones(2), jnp.ones(3)], state)


def test_schedules():
  s = optimizers.constant(0.3)
  assert s(0) == 0.3 and s(100) == 0.3
  s = optimizers.exponential_decay(1.0, 10, 0.5)
  np.testing.assert_allclose(float(s(20)), 0.25)
  s = optimizers.inverse_time_decay(1.0, 10, 1.0)
  np.testing.assert_allclose(float(s(5)), 1 / 1.5)
  s = optimizers.inverse_time_decay(1.0, 10, 1.0, staircase=True)
  np.testing.assert_allclose(float(s(5)), 1.0)
  np.testing.assert_allclose(float(s(25)), 1 / 3)
  s = optimizers.polynomial_decay(1.0, 10, 0.1, power=2.0)
  np.testing.assert_allclose(float(s(5)), 0.25 * 0.9 + 0.1, rtol=1e-6)
  np.testing.assert_allclose(float(s(50)), 0.1, rtol=1e-6)
  s = optimizers.piecewise_constant([10, 20], [1.0, 0.5, 0.1])
  assert [float(s(i)) for i in (0, 10, 11, 20, 21, 100)] == \
      pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1, 0.1])
  np.testing.assert_allclose(float(jax.jit(s)(15)), 0.5)
  with pytest.raises(ValueError):
    optimizers.piecewise_constant([1, 2], [1.0, 2.0])
  assert optimizers.make_schedule(s) is s
  assert optimizers.make_schedule(0.2)(7) == 0.2
  with pytest.raises(TypeError):
    optimizers.make_schedule([0.1, 0.2])
  # a schedule drives the optimizer
  opt_init, opt_update, get_params = optimizers.sgd(
      optimizers.piecewise_constant([0], [1.0, 0.0]))
  st = opt_update(0, jnp.ones(1), opt_init(jnp.zeros(1)))
  st = opt_update(1, jnp.ones(1), st)
  np.testing.assert_allclose(np.asarray(get_params(st)), [-1.0])


def test_l2_norm_and_clip_grads():
  tree = {"a": jnp.array([3.0]), "b": [jnp.array([[4.0]])]}
  np.testing.assert_allclose(float(optimizers.l2_norm(tree)), 5.0)
  clipped = optimizers.clip_grads(tree, 1.0)
  np.testing.assert_allclose(float(optimizers.l2_norm(clipped)), 1.0, rtol=1e-6)
  np.testing.assert_allclose(np.asarray(clipped["a"]), [0.6], rtol=1e-6)
  same = optimizers.clip_grads(tree, 10.0)
  np.testing.assert_allclose(np.asarray(same["b"][0]), [[4.0]])


def test_pack_unpack_round_trip():
  params = {"w": jnp.arange(3.0), "b": (jnp.ones(()), jnp.zeros((2, 2)))}
  opt_init, opt_update, get_params = optimizers.momentum(0.1, 0.9)
  state = opt_update(0, jax.tree_util.tree_map(jnp.ones_like, params),
                     opt_init(params))
  marked = optimizers.unpack_optimizer_state(state)
  assert isinstance(marked["w"], optimizers.JoinPoint)
  marked = pickle.loads(pickle.dumps(marked))
  state2 = optimizers.pack_optimizer_state(marked)
  assert state2.tree_def == state.tree_def
  assert tuple(state2.subtree_defs) == tuple(state.subtree_defs)
  for a, b in zip(jax.tree_util.tree_leaves(state),
                  jax.tree_util.tree_leaves(state2)):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  # training continues from the restored state
  st3 = opt_update(1, jax.tree_util.tree_map(jnp.ones_like, params), state2)
  np.testing.assert_allclose(np.asarray(get_params(st3)["w"]),
                             np.arange(3.0) - 0.1 - 0.1 * 1.9, rtol=1e-6)


# ---------------------------------------------------------------------- stax

def _train(init_fun, apply_fun, in_shape, x, y, steps):
  _, params = init_fun(random.PRNGKey(0), in_shape)

  def loss(p, x, y):
    return -jnp.mean(jnp.sum(apply_fun(p, x) * y, axis=-1))

  opt_init, opt_update, get_params = optimizers.adam(1e-2)

  @jax.jit
  def step(i, state, x, y):
    g = jax.grad(loss)(get_params(state), x, y)
    return opt_update(i, g, state)

  state = opt_init(params)
  l0 = float(loss(params, x, y))
  for i in range(steps):
    state = step(i, state, x, y)
  return l0, float(loss(get_params(state), x, y))


def _data(shape, n_classes=3, n=16):
  rng = np.random.RandomState(0)
  x = rng.randn(n, *shape).astype(np.float32)
  labels = (x.reshape(n, -1)[:, 0] > 0).astype(int) + \
      (x.reshape(n, -1)[:, 1] > 0).astype(int)
  y = np.eye(n_classes, dtype=np.float32)[labels]
  return jnp.asarray(x), jnp.asarray(y)


def test_stax_mlp_shapes_and_training():
  init_fun, apply_fun = stax.serial(stax.Dense(16), stax.Relu, stax.Dense(16),
                                    stax.Tanh, stax.Dense(3), stax.LogSoftmax)
  out_shape, params = init_fun(random.PRNGKey(0), (-1, 5))
  assert out_shape == (-1, 3)
  assert params[0][0].shape == (5, 16) and params[0][1].shape == (16,)
  assert params[1] == ()
  x, y = _data((5,))
  assert apply_fun(params, x).shape == (16, 3)
  l0, l1 = _train(init_fun, apply_fun, (-1, 5), x, y, 30)
  assert l1 < l0


def test_stax_convnet_shapes_and_training():
  init_fun, apply_fun = stax.serial(
      stax.Conv(4, (3, 3), padding="SAME"), stax.Relu,
      stax.MaxPool((2, 2), strides=(2, 2)), stax.Flatten,
      stax.Dense(3), stax.LogSoftmax)
  out_shape, params = init_fun(random.PRNGKey(1), (8, 6, 6, 1))
  assert out_shape == (8, 3)
  W, b = params[0]
  assert W.shape == (3, 3, 1, 4) and b.shape == (1, 1, 1, 4)
  assert float(jnp.max(jnp.abs(b))) < 1e-4  # normal(1e-6) bias init
  x, y = _data((6, 6, 1), n=8)
  assert apply_fun(params, x).shape == out_shape
  l0, l1 = _train(init_fun, apply_fun, (8, 6, 6, 1), x, y, 10)
  assert l1 < l0


@pytest.mark.parametrize("layer,in_shape", [
    (stax.Conv(3, (2, 3), strides=(2, 1)), (2, 7, 6, 2)),
    (stax.Conv(3, (3, 3), strides=(2, 2), padding="SAME"), (2, 5, 5, 1)),
    (stax.GeneralConv(("NCHW", "OIHW", "NCHW"), 4, (3, 3)), (2, 1, 6, 5)),
    (stax.Conv1D(2, (3,)), (2, 9, 3)),
    (stax.ConvTranspose(3, (3, 3), strides=(2, 2)), (2, 5, 5, 1)),
    (stax.ConvTranspose(3, (3, 3), strides=(2, 2), padding="SAME"), (2, 5, 5, 1)),
    (stax.MaxPool((2, 2)), (2, 5, 5, 3)),
    (stax.AvgPool((3, 3), strides=(2, 2), padding="SAME"), (2, 5, 5, 3)),
    (stax.SumPool((2, 2), spec="NCHW"), (2, 3, 5, 5)),
    (stax.Flatten, (2, 3, 4)),
    (stax.BatchNorm(), (4, 3, 3, 2)),
    (stax.serial(stax.FanOut(2), stax.parallel(stax.Dense(3), stax.Identity),
                 stax.FanInConcat()), (4, 5)),
    (stax.serial(stax.FanOut(3), stax.parallel(stax.Dense(4), stax.Dense(4),
                                               stax.Dense(4)),
                 stax.FanInSum), (4, 5)),
    (stax.shape_dependent(lambda s: stax.Dense(s[-1] * 2)), (3, 4)),
])
def test_stax_layer_output_shapes(layer, in_shape):
  init_fun, apply_fun = layer
  out_shape, params = init_fun(random.PRNGKey(0), in_shape)
  x = jnp.asarray(np.random.RandomState(0).randn(*in_shape).astype(np.float32))
  assert tuple(apply_fun(params, x).shape) == tuple(out_shape)


def test_stax_elementwise_layers():
  x = jnp.array([[-1.0, 0.0, 2.0]])
  for layer, ref in [(stax.Relu, np.maximum(x, 0)), (stax.Tanh, np.tanh(x)),
                     (stax.Sigmoid, 1 / (1 + np.exp(-np.asarray(x)))),
                     (stax.Softplus, np.log1p(np.exp(np.asarray(x)))),
                     (stax.Exp, np.exp(x)),
                     (stax.Softmax, np.exp(x) / np.exp(x).sum()),
                     (stax.LogSoftmax, np.asarray(x) - np.log(np.exp(x).sum()))]:
    init_fun, apply_fun = layer
    assert init_fun(None, (1, 3)) == ((1, 3), ())
    np.testing.assert_allclose(np.asarray(apply_fun((), x)), ref, rtol=1e-5,
                               atol=1e-6)
  for layer in (stax.Elu, stax.LeakyRelu, stax.Gelu, stax.Selu):
    init_fun, apply_fun = layer
    out = np.asarray(apply_fun((), x))
    assert out.shape == x.shape
    np.testing.assert_allclose(out[0, 2], 2.0 if layer is not stax.Selu
                               else 2.0 * 1.0507009873554805, rtol=3e-2)


def test_stax_avgpool_same_divides_by_valid_count():
  _, apply_fun = stax.AvgPool((2, 2), strides=(1, 1), padding="SAME")
  out = apply_fun((), jnp.ones((1, 3, 3, 1)))
  np.testing.assert_allclose(np.asarray(out), np.ones((1, 3, 3, 1)), rtol=1e-6)


def test_stax_batchnorm_modes():
  x = jnp.asarray(np.random.RandomState(0).randn(8, 4, 4, 3) * 3 + 2,
                  dtype=np.float32)
  init_fun, apply_fun = stax.BatchNorm()
  shape, (beta, gamma) = init_fun(random.PRNGKey(0), x.shape)
  assert shape == x.shape and beta.shape == gamma.shape == (3,)
  z = np.asarray(apply_fun((beta, gamma), x))
  np.testing.assert_allclose(z.mean(axis=(0, 1, 2)), 0, atol=1e-5)
  np.testing.assert_allclose(z.std(axis=(0, 1, 2)), 1, atol=1e-3)
  z2 = np.asarray(apply_fun((beta + 1.0, gamma * 2.0), x))
  np.testing.assert_allclose(z2, 2 * z + 1, rtol=1e-5, atol=1e-5)
  # no center / scale: the missing params are ()
  init_fun, apply_fun = stax.BatchNorm(axis=0, center=False, scale=False)
  _, params = init_fun(random.PRNGKey(0), (8, 3))
  assert params == ((), ())
  y = np.asarray(apply_fun(params, x[:, 0, 0, :]))
  np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
  init_fun, apply_fun = stax.BatchNorm(axis=(0,), center=True, scale=False)
  _, (beta, gamma) = init_fun(random.PRNGKey(0), (8, 3))
  assert gamma == () and beta.shape == (3,)
  y = np.asarray(apply_fun((beta + 1.0, gamma), x[:, 0, 0, :]))
  np.testing.assert_allclose(y.mean(axis=0), 1, atol=1e-5)


def test_stax_dropout_modes():
  x = jnp.ones((200, 50))
  init_fun, apply_fun = stax.Dropout(0.8)
  assert init_fun(None, x.shape) == (x.shape, ())
  with pytest.raises(ValueError, match="PRNG key"):
    apply_fun((), x)
  out = np.asarray(apply_fun((), x, rng=random.PRNGKey(0)))
  kept = out != 0
  assert abs(kept.mean() - 0.8) < 0.02  # ``rate`` is the keep probability
  np.testing.assert_allclose(out[kept], 1 / 0.8, rtol=1e-6)
  _, apply_test = stax.Dropout(0.8, mode="test")
  np.testing.assert_array_equal(np.asarray(apply_test((), x, rng=random.PRNGKey(0))),
                                np.asarray(x))
  # serial splits and threads the rng to each layer
  init_fun, apply_fun = stax.serial(stax.Dense(4), stax.Dropout(0.5))
  _, params = init_fun(random.PRNGKey(0), (3, 2))
  a = apply_fun(params, jnp.ones((3, 2)), rng=random.PRNGKey(1))
  b = apply_fun(params, jnp.ones((3, 2)), rng=random.PRNGKey(1))
  np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  with pytest.raises(ValueError):
    apply_fun(params, jnp.ones((3, 2)))
