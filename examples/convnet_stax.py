"""A small convnet built with stax, trained on the 8x8 digits as 8x8x1 images.

Conv(16, 3x3, SAME) -> Relu -> MaxPool(2x2) -> Conv(32, 3x3, SAME) -> Relu
-> AvgPool(2x2) -> Flatten -> Dense(64) -> Relu -> Dense(10) -> LogSoftmax,
trained with jit(grad) + adam for 20 epochs (a few seconds).

    python examples/convnet_stax.py
"""

import time

import numpy as np

import cotan as jax
import cotan.numpy as jnp
from cotan import random
from cotan.data import digits_split
from cotan.example_libraries import optimizers, stax
from cotan.example_libraries.stax import (AvgPool, Conv, Dense, Flatten,
                                          LogSoftmax, MaxPool, Relu)

init_fun, apply_fun = stax.serial(
    Conv(16, (3, 3), padding='SAME'), Relu,
    MaxPool((2, 2), strides=(2, 2)),
    Conv(32, (3, 3), padding='SAME'), Relu,
    AvgPool((2, 2), strides=(2, 2)),
    Flatten,
    Dense(64), Relu,
    Dense(10), LogSoftmax)


def loss(params, x, y):
  return -jnp.mean(jnp.sum(apply_fun(params, x) * jax.nn.one_hot(y, 10), -1))


def accuracy(params, x, y):
  preds = np.argmax(np.asarray(apply_fun(params, x)), -1)
  return float(np.mean(preds == y))


def main(fast=False):
  t0 = time.time()
  xtr, ytr, xte, yte = digits_split()
  xtr, xte = xtr.reshape(-1, 8, 8, 1), xte.reshape(-1, 8, 8, 1)   # NHWC
  num_epochs, batch_size = (3, 32) if fast else (20, 64)
  if fast:
    xtr, ytr = xtr[:480], ytr[:480]

  out_shape, params = init_fun(random.PRNGKey(0), (-1, 8, 8, 1))
  assert out_shape == (-1, 10), out_shape
  opt_init, opt_update, get_params = optimizers.adam(3e-3)
  opt_state = opt_init(params)

  @jax.jit
  def update(i, opt_state, x, y):
    l, g = jax.value_and_grad(loss)(get_params(opt_state), x, y)
    return opt_update(i, g, opt_state), l

  rng = np.random.RandomState(0)
  initial_loss = float(loss(params, xtr, ytr))
  step = 0
  for epoch in range(num_epochs):
    perm = rng.permutation(len(ytr))
    for b in range(len(ytr) // batch_size):
      idx = perm[b * batch_size:(b + 1) * batch_size]
      opt_state, _ = update(step, opt_state, xtr[idx], ytr[idx])
      step += 1
    if not fast:
      params = get_params(opt_state)
      print(f"epoch {epoch + 1:2d}  train loss {float(loss(params, xtr, ytr)):.4f}"
            f"  test acc {accuracy(params, xte, yte):.4f}"
            f"  ({time.time() - t0:.1f} s)")

  params = get_params(opt_state)
  metrics = dict(initial_loss=initial_loss,
                 final_loss=float(loss(params, xtr, ytr)),
                 train_accuracy=accuracy(params, xtr, ytr),
                 test_accuracy=accuracy(params, xte, yte),
                 steps=step, seconds=time.time() - t0)
  print(f"stax convnet on digits: train loss {metrics['initial_loss']:.3f} -> "
        f"{metrics['final_loss']:.3f}, test accuracy "
        f"{100 * metrics['test_accuracy']:.1f}% after {step} adam steps "
        f"({metrics['seconds']:.1f} s)")
  return metrics


if __name__ == "__main__":
  main()
