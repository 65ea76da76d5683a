"""Gaussian process regression: learn RBF kernel hyperparameters by gradient
descent on the negative log marginal likelihood, differentiated through a
Cholesky factorisation and triangular solves.

Run:  python examples/gp_regression.py
"""
import time

import numpy as np

import cotan as jax
import cotan.numpy as jnp
from cotan.scipy.linalg import cho_factor, cho_solve


def rbf_kernel(x1, x2, log_ls, log_var):
    d = x1[:, None] - x2[None, :]
    return jnp.exp(log_var) * jnp.exp(-0.5 * d ** 2 / jnp.exp(2.0 * log_ls))


def neg_log_marginal_likelihood(params, x, y):
    log_ls, log_var, log_noise = params[0], params[1], params[2]
    n = x.shape[0]
    K = rbf_kernel(x, x, log_ls, log_var) + (jnp.exp(2.0 * log_noise) + 1e-6) * jnp.eye(n)
    c, lower = cho_factor(K, lower=True)
    alpha = cho_solve((c, lower), y)
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diag(c)))
    return 0.5 * jnp.dot(y, alpha) + 0.5 * logdet + 0.5 * n * jnp.log(2.0 * jnp.pi)


def predict(params, x, y, xs):
    log_ls, log_var, log_noise = params[0], params[1], params[2]
    K = rbf_kernel(x, x, log_ls, log_var) + (jnp.exp(2.0 * log_noise) + 1e-6) * jnp.eye(x.shape[0])
    Ks = rbf_kernel(xs, x, log_ls, log_var)
    c, lower = cho_factor(K, lower=True)
    return Ks @ cho_solve((c, lower), y)


def make_data(rng, n, noise):
    f = lambda t: np.sin(2.0 * t) + 0.5 * np.cos(5.0 * t)
    x = np.sort(rng.uniform(-3.0, 3.0, n))
    y = f(x) + noise * rng.standard_normal(n)
    xs = np.linspace(-2.9, 2.9, 200)
    return x, y, xs, f(xs)


def main(fast=False):
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    noise = 0.1
    n = 40 if fast else 80
    steps = 40 if fast else 300
    x, y, xs, fs = make_data(rng, n, noise)
    x, y, xs = jnp.asarray(x), jnp.asarray(y), jnp.asarray(xs)

    loss_and_grad = jax.jit(jax.value_and_grad(neg_log_marginal_likelihood))
    params = jnp.array([np.log(1.5), np.log(0.5), np.log(0.5)])  # poor initial guess

    # Adam on the log-hyperparameters.
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    m = np.zeros(3)
    v = np.zeros(3)
    p = np.asarray(params, dtype=float)
    init_loss = None
    for t in range(1, steps + 1):
        loss, g = loss_and_grad(jnp.asarray(p), x, y)
        g = np.asarray(g)
        if init_loss is None:
            init_loss = float(loss)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    final_loss, g = loss_and_grad(jnp.asarray(p), x, y)
    final_loss = float(final_loss)
    grad_norm = float(np.linalg.norm(np.asarray(g)))

    init_pred = np.asarray(predict(params, x, y, xs))
    pred = np.asarray(predict(jnp.asarray(p), x, y, xs))
    init_rmse = float(np.sqrt(np.mean((init_pred - fs) ** 2)))
    rmse = float(np.sqrt(np.mean((pred - fs) ** 2)))
    ls, var, nz = (float(v_) for v_ in np.exp(p))
    elapsed = time.perf_counter() - t0

    print(f"GP regression on {n} noisy points, {steps} Adam steps ({elapsed:.1f}s)")
    print(f"  neg log marginal likelihood: {init_loss:.3f} -> {final_loss:.3f}  (|grad| = {grad_norm:.2e})")
    print(f"  learned lengthscale = {ls:.3f}, signal variance = {var:.3f}, noise std = {nz:.3f} (true noise {noise})")
    print(f"  test RMSE vs true function: {init_rmse:.4f} (initial) -> {rmse:.4f} (learned); noise level {noise}")
    return dict(init_loss=init_loss, final_loss=final_loss, grad_norm=grad_norm,
                lengthscale=ls, variance=var, noise=nz, true_noise=noise,
                init_rmse=init_rmse, rmse=rmse, seconds=elapsed)


if __name__ == "__main__":
    main()
