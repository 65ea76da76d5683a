"""Differentially private SGD on the 8x8 digits, with per-example gradients.

DP-SGD (Abadi et al. 2016): for every minibatch, compute one gradient *per
example* with ``vmap(grad(loss))``, clip each to L2 norm ``l2_norm_clip``,
sum them, add Gaussian noise of std ``noise_multiplier * l2_norm_clip`` and
average.  The model is a small tanh MLP (64-64-10); the whole private update
is jitted.  No privacy accounting is done here, this only shows the mechanics.

    python examples/dp_sgd.py
"""

import time

import numpy as np

import cotan as jax
import cotan.numpy as jnp
from cotan import random
from cotan.data import digits_split
from cotan.example_libraries import optimizers
from cotan.tree_util import tree_map, tree_leaves


def init_params(key, sizes):
  keys = random.split(key, len(sizes) - 1)
  return [(random.normal(k, (m, n)) * np.sqrt(1.0 / m), jnp.zeros(n))
          for k, (m, n) in zip(keys, zip(sizes[:-1], sizes[1:]))]


def predict(params, x):
  for w, b in params[:-1]:
    x = jnp.tanh(x @ w + b)
  w, b = params[-1]
  return jax.nn.log_softmax(x @ w + b)


def loss(params, x, y):
  """Mean cross-entropy; works on a batch or (under vmap) on one example."""
  logp = predict(params, x)
  return -jnp.mean(jnp.sum(logp * jax.nn.one_hot(y, 10), axis=-1))


def accuracy(params, x, y):
  return float(np.mean(np.argmax(np.asarray(predict(params, x)), -1) == y))


def private_grad(params, x, y, key, l2_norm_clip, noise_multiplier):
  # One gradient per example: vmap over a batch of single examples.
  single = lambda p, xi, yi: loss(p, xi[None], yi[None])
  per_example = jax.vmap(jax.grad(single), in_axes=(None, 0, 0))(params, x, y)
  leaves = tree_leaves(per_example)
  batch = x.shape[0]
  # Per-example global L2 norm over all parameters, then clip.
  sq = sum(jnp.sum(jnp.reshape(g, (batch, -1)) ** 2, axis=1) for g in leaves)
  norms = jnp.sqrt(sq)
  factor = jnp.minimum(1.0, l2_norm_clip / (norms + 1e-12))
  clipped = tree_map(
      lambda g: g * jnp.reshape(factor, (batch,) + (1,) * (g.ndim - 1)),
      per_example)
  summed = tree_map(lambda g: jnp.sum(g, axis=0), clipped)
  # Gaussian noise calibrated to the clip norm, one independent key per leaf.
  flat, treedef = jax.tree_util.tree_flatten(summed)
  keys = random.split(key, len(flat))
  noised = [g + noise_multiplier * l2_norm_clip * random.normal(k, g.shape)
            for g, k in zip(flat, keys)]
  return jax.tree_util.tree_unflatten(treedef, [g / batch for g in noised]), norms


def main(fast=False, l2_norm_clip=1.0, noise_multiplier=1.1, step_size=0.5):
  t0 = time.time()
  xtr, ytr, xte, yte = digits_split()
  num_epochs, batch_size = (2, 32) if fast else (30, 128)
  if fast:
    xtr, ytr = xtr[:320], ytr[:320]

  opt_init, opt_update, get_params = optimizers.sgd(step_size)
  opt_state = opt_init(init_params(random.PRNGKey(0), [64, 64, 10]))

  @jax.jit
  def private_update(i, opt_state, x, y, key):
    g, norms = private_grad(get_params(opt_state), x, y, key,
                            l2_norm_clip, noise_multiplier)
    return opt_update(i, g, opt_state), jnp.mean(norms)

  rng = np.random.RandomState(0)
  key = random.PRNGKey(42)
  initial_loss = float(loss(get_params(opt_state), xtr, ytr))
  step = 0
  for epoch in range(num_epochs):
    perm = rng.permutation(len(ytr))
    for b in range(len(ytr) // batch_size):
      idx = perm[b * batch_size:(b + 1) * batch_size]
      key, sub = random.split(key)
      opt_state, mean_norm = private_update(step, opt_state, xtr[idx],
                                            ytr[idx], sub)
      step += 1
    if not fast and (epoch % 5 == 4 or epoch == num_epochs - 1):
      params = get_params(opt_state)
      print(f"epoch {epoch + 1:3d}  train loss {float(loss(params, xtr, ytr)):.4f}"
            f"  test acc {accuracy(params, xte, yte):.4f}"
            f"  mean per-example grad norm {float(mean_norm):.2f}")

  params = get_params(opt_state)
  metrics = dict(initial_loss=initial_loss,
                 final_loss=float(loss(params, xtr, ytr)),
                 train_accuracy=accuracy(params, xtr, ytr),
                 test_accuracy=accuracy(params, xte, yte),
                 steps=step, seconds=time.time() - t0)
  print(f"DP-SGD (clip {l2_norm_clip}, noise x{noise_multiplier}) on digits: "
        f"train loss {metrics['initial_loss']:.3f} -> "
        f"{metrics['final_loss']:.3f}, test accuracy "
        f"{100 * metrics['test_accuracy']:.1f}% after {step} steps "
        f"({metrics['seconds']:.1f} s)")
  return metrics


if __name__ == "__main__":
  main()
