"""MLP classifier on the 8x8 handwritten digits, trained with jit(grad) + adam.

The digits (1797 images, bundled with cotan as ``cotan/data/digits.npz``) are
split 80/20 into train/test.  A 64-128-128-10 tanh MLP is trained with
minibatch adam and a jitted gradient of the cross-entropy loss.

    python examples/mlp_digits.py
"""

import time

import numpy as np

import cotan as jax
import cotan.numpy as jnp
from cotan import random
from cotan.data import digits_split
from cotan.example_libraries import optimizers


def init_params(key, sizes):
  params = []
  keys = random.split(key, len(sizes) - 1)
  for k, (m, n) in zip(keys, zip(sizes[:-1], sizes[1:])):
    params.append((random.normal(k, (m, n)) * np.sqrt(1.0 / m),
                   jnp.zeros(n)))
  return params


def predict(params, x):
  for w, b in params[:-1]:
    x = jnp.tanh(x @ w + b)
  w, b = params[-1]
  return jax.nn.log_softmax(x @ w + b)


def loss(params, x, y):
  logp = predict(params, x)
  return -jnp.mean(jnp.sum(logp * jax.nn.one_hot(y, 10), axis=-1))


def accuracy(params, x, y):
  return float(np.mean(np.argmax(np.asarray(predict(params, x)), -1) == y))


def main(fast=False):
  t0 = time.time()
  xtr, ytr, xte, yte = digits_split()
  num_epochs, batch_size = (2, 32) if fast else (30, 64)
  if fast:
    xtr, ytr = xtr[:320], ytr[:320]

  opt_init, opt_update, get_params = optimizers.adam(1e-3)
  opt_state = opt_init(init_params(random.PRNGKey(0), [64, 128, 128, 10]))

  @jax.jit
  def update(i, opt_state, x, y):
    params = get_params(opt_state)
    l, g = jax.value_and_grad(loss)(params, x, y)
    return opt_update(i, g, opt_state), l

  rng = np.random.RandomState(0)
  initial_loss = float(loss(get_params(opt_state), xtr, ytr))
  step = 0
  num_batches = len(ytr) // batch_size
  for epoch in range(num_epochs):
    perm = rng.permutation(len(ytr))
    for b in range(num_batches):
      idx = perm[b * batch_size:(b + 1) * batch_size]
      opt_state, _ = update(step, opt_state, xtr[idx], ytr[idx])
      step += 1
    if not fast and (epoch % 5 == 4 or epoch == num_epochs - 1):
      params = get_params(opt_state)
      print(f"epoch {epoch + 1:3d}  train loss {float(loss(params, xtr, ytr)):.4f}"
            f"  train acc {accuracy(params, xtr, ytr):.4f}"
            f"  test acc {accuracy(params, xte, yte):.4f}")

  params = get_params(opt_state)
  metrics = dict(initial_loss=initial_loss,
                 final_loss=float(loss(params, xtr, ytr)),
                 train_accuracy=accuracy(params, xtr, ytr),
                 test_accuracy=accuracy(params, xte, yte),
                 steps=step, seconds=time.time() - t0)
  print(f"MLP on digits: train loss {metrics['initial_loss']:.3f} -> "
        f"{metrics['final_loss']:.3f}, test accuracy "
        f"{100 * metrics['test_accuracy']:.1f}% after {step} adam steps "
        f"({metrics['seconds']:.1f} s)")
  return metrics


if __name__ == "__main__":
  main()
