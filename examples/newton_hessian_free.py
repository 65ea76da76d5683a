"""Second-order optimisation.

1. Newton's method with the full Hessian from ``cotan.hessian`` on
   L2-regularised logistic regression in a few dimensions: quadratic
   convergence in a handful of steps.
2. A Hessian-free (truncated Newton / Newton-CG) optimiser on a larger
   problem, which never forms the Hessian: each conjugate-gradient step uses a
   Hessian-vector product computed forward-over-reverse,
   ``jvp(grad(f), (w,), (v,))``.

Run:  python examples/newton_hessian_free.py
"""
import time

import numpy as np

import cotan as jax
import cotan.numpy as jnp


def make_logistic_data(rng, n, d):
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d)
    p = 1.0 / (1.0 + np.exp(-X @ w_true))
    y = (rng.uniform(size=n) < p).astype(float)
    return jnp.asarray(X), jnp.asarray(y), w_true


def logistic_loss(w, X, y, lam):
    z = X @ w
    # mean of log(1 + exp(z)) - y z  (|z| stays far below float32 overflow here)
    nll = jnp.mean(jnp.log1p(jnp.exp(z)) - y * z)
    return nll + 0.5 * lam * jnp.sum(w * w)


def newton(loss, w, args, steps, tol=1e-6):
    g_fn = jax.jit(jax.grad(loss))
    h_fn = jax.jit(jax.hessian(loss))
    history = []
    for it in range(1, steps + 1):
        g = np.asarray(g_fn(w, *args))
        history.append(float(np.linalg.norm(g)))
        if history[-1] < tol:
            return w, it - 1, history
        H = np.asarray(h_fn(w, *args))
        w = w - jnp.asarray(np.linalg.solve(H, g))
    g = np.asarray(g_fn(w, *args))
    history.append(float(np.linalg.norm(g)))
    return w, steps, history


def hvp(loss):
    """Forward-over-reverse Hessian-vector product."""
    def f(w, v, *args):
        return jax.jvp(lambda w_: jax.grad(loss)(w_, *args), (w,), (v,))[1]
    return f


def truncated_cg(hv, g, max_iter, tol):
    """Approximately solve H p = -g with conjugate gradients."""
    p = np.zeros_like(g)
    r = -g.copy()
    d = r.copy()
    rr = r @ r
    iters = 0
    for iters in range(1, max_iter + 1):
        Hd = hv(d)
        dHd = d @ Hd
        if dHd <= 0:  # negative curvature: stop (cannot happen for a convex loss)
            break
        alpha = rr / dHd
        p = p + alpha * d
        r = r - alpha * Hd
        rr_new = r @ r
        if np.sqrt(rr_new) < tol:
            break
        d = r + (rr_new / rr) * d
        rr = rr_new
    return p, iters


def hessian_free(loss, w, args, steps, cg_iters, tol=1e-6):
    vg_fn = jax.jit(jax.value_and_grad(loss))
    hvp_fn = jax.jit(hvp(loss))
    total_cg = 0
    history = []
    w = np.asarray(w, dtype=float)
    for it in range(1, steps + 1):
        f, g = vg_fn(jnp.asarray(w), *args)
        f, g = float(f), np.asarray(g)
        gn = float(np.linalg.norm(g))
        history.append(gn)
        if gn < tol:
            return w, it - 1, total_cg, history
        # forcing term: solve more accurately as we converge (superlinear rate)
        cg_tol = min(0.5, np.sqrt(gn)) * gn
        p, k = truncated_cg(lambda v: np.asarray(hvp_fn(jnp.asarray(w), jnp.asarray(v), *args)),
                            g, cg_iters, cg_tol)
        total_cg += k
        # backtracking (Armijo) line search
        step = 1.0
        while step > 1e-6:
            f_new = float(vg_fn(jnp.asarray(w + step * p), *args)[0])
            if f_new <= f + 1e-4 * step * (g @ p):
                break
            step *= 0.5
        w = w + step * p
    g = np.asarray(vg_fn(jnp.asarray(w), *args)[1])
    history.append(float(np.linalg.norm(g)))
    return w, steps, total_cg, history


def main(fast=False):
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)

    # --- 1. Newton with the full Hessian -------------------------------------
    n, d = (200, 5) if fast else (1000, 8)
    X, y, w_true = make_logistic_data(rng, n, d)
    lam = 1e-2
    w0 = jnp.zeros(d)
    w_newton, newton_iters, newton_hist = newton(logistic_loss, w0, (X, y, lam), steps=10)
    newton_loss0 = float(logistic_loss(w0, X, y, lam))
    newton_loss = float(logistic_loss(w_newton, X, y, lam))
    t1 = time.perf_counter()

    print(f"Newton's method (cotan.hessian), logistic regression n={n}, d={d} ({t1 - t0:.1f}s)")
    print(f"  loss {newton_loss0:.5f} -> {newton_loss:.5f} in {newton_iters} Newton steps")
    print("  gradient norms: " + ", ".join(f"{h:.1e}" for h in newton_hist))

    # --- 2. Hessian-free on a larger problem ---------------------------------
    n2, d2 = (500, 50) if fast else (4000, 300)
    X2 = rng.standard_normal((n2, d2)) * np.linspace(0.2, 2.0, d2)  # ill-conditioned features
    w2_true = rng.standard_normal(d2) / np.sqrt(d2) * 3.0
    p2 = 1.0 / (1.0 + np.exp(-X2 @ w2_true))
    y2 = (rng.uniform(size=n2) < p2).astype(float)
    X2, y2 = jnp.asarray(X2), jnp.asarray(y2)
    lam2 = 1e-3
    w20 = np.zeros(d2)
    hf_steps = 8 if fast else 20
    w_hf, hf_iters, cg_total, hf_hist = hessian_free(logistic_loss, w20, (X2, y2, lam2),
                                                      steps=hf_steps, cg_iters=50)
    hf_loss0 = float(logistic_loss(jnp.asarray(w20), X2, y2, lam2))
    hf_loss = float(logistic_loss(jnp.asarray(w_hf), X2, y2, lam2))
    t2 = time.perf_counter()

    print(f"Hessian-free Newton-CG (forward-over-reverse HVPs), n={n2}, d={d2} ({t2 - t1:.1f}s)")
    print(f"  loss {hf_loss0:.5f} -> {hf_loss:.5f} in {hf_iters} outer steps, {cg_total} Hessian-vector products")
    print("  gradient norms: " + ", ".join(f"{h:.1e}" for h in hf_hist))

    return dict(newton_iters=newton_iters, newton_init_loss=newton_loss0, newton_loss=newton_loss,
                newton_grad_norm=newton_hist[-1], newton_grad_norms=newton_hist,
                hf_iters=hf_iters, hf_hvps=cg_total, hf_init_loss=hf_loss0, hf_loss=hf_loss,
                hf_grad_norm=hf_hist[-1], hf_grad_norms=hf_hist, seconds=t2 - t0)


if __name__ == "__main__":
    main()
