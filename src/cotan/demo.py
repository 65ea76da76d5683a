"""A short tour of cotan: ``python -m cotan.demo``.

Runs the examples of the documents cotan was built from and prints the
results with timings.
"""
from __future__ import annotations

import time

import numpy as np

import cotan as jax
import cotan.numpy as jnp


_FAST = False


def _timed(label, fn, repeat=200):
    """Steady-state time per call: warm up (~30 ms of calls: Python's
    adaptive interpreter settles over the first few hundred calls of new
    code), then the best of three batches."""
    if _FAST:
        repeat = 1
    out = fn()
    if not _FAST:
        t_end = time.perf_counter() + 0.03
        while time.perf_counter() < t_end:
            fn()
    best = float("inf")
    for _ in range(1 if _FAST else 3):
        t0 = time.perf_counter()
        for _ in range(repeat):
            out = fn()
        best = min(best, (time.perf_counter() - t0) / repeat)
    print(f"  {label:<52s} {best * 1e6:9.1f} us")
    return out


def main(fast=False):
    global _FAST
    _FAST = fast
    print("cotan", jax.__version__, "- JAX's transformations on NumPy\n")

    print("grad: f(x) = sin(x^2) + 3x^2, f'(2.0) (expect 9.3854)")
    f = lambda x: jnp.sin(x ** 2) + 3 * x ** 2
    g = jax.grad(f)
    print(f"  auto f'(2.0)   = {g(2.0):.4f}")
    print(f"  manual f'(2.0) = {2 * 2.0 * np.cos(4.0) + 12.0:.4f}")
    _timed("grad(f)(2.0)", lambda: g(2.0))

    print("\njvp: f(x, y) = (x + 2y, sin(x) e^y, y^3) at (1, 2) along (2, 3)")
    def fv(x):
        return jnp.array([x[0] + 2 * x[1], jnp.sin(x[0]) * jnp.exp(x[1]), x[1] ** 3])
    x = jnp.array([1., 2.])
    v = jnp.array([2., 3.])
    y, t = jax.jvp(fv, (x,), (v,))
    print(f"  f(x) = {y}\n  J v  = {t}   (expect [8, 26.637676, 36])")
    _timed("jvp(f, (x,), (v,))", lambda: jax.jvp(fv, (x,), (v,)))

    print("\nvjp: pull several covectors back through one linearization")
    y, pullback = jax.vjp(fv, x)
    for u in ([1., 0., 0.], [0., 1., 0.], [0., 0., 1.], [2., 3., 4.]):
        print(f"  u = {u} -> u J = {pullback(jnp.array(u))[0]}")
    _timed("pullback(u)", lambda: pullback(jnp.array([2., 3., 4.])))

    print("\nvalue_and_grad: f(x) = x^2 at 3.0")
    val, gr = jax.value_and_grad(lambda x: x ** 2)(3.0)
    print(f"  value: {val}\n  grad: {gr}")

    print("\ngradients with respect to dicts and several arguments")
    def h(X):
        return X['x'] ** 2 + 3 * jnp.sin(X['y']) + jnp.cos(X['z'])
    print("  ", jax.grad(h)({'x': 2.0, 'y': 3.0, 'z': 1.0}))
    def k(x, y):
        return jnp.linalg.norm(x) ** 2 + jnp.linalg.norm(y) + jnp.inner(x, y)
    xa, ya = jnp.array([1., 2., 3.]), jnp.array([0, -1., 1.])
    print("   d/dx:", jax.grad(k, 0)(xa, ya), " d/dy:", jax.grad(k, 1)(xa, ya))

    print("\nhigher order: d^3/dx^3 sin(x) at 1.0 (expect -cos(1) = -0.5403)")
    print(f"  {jax.grad(jax.grad(jax.grad(jnp.sin)))(1.0):.4f}")

    print("\nthe linear part is a jaxpr (the reverse pass transposes it):")
    print(jax.make_jaxpr(jax.grad(f))(2.0))

    print("\njit of a pullback, although f used Python control flow:")
    def pw(x):
        if x < 3:
            return 2 * x ** 3
        return jnp.pi * x
    _, f_vjp = jax.vjp(pw, 4.)
    print("  ", jax.jit(f_vjp)(1.))

    print("\nvmap: per-example gradients and whole Jacobians in one pass")
    w = jnp.array([0.5, -0.2, 0.1])
    X = jnp.arange(12.0).reshape(4, 3) / 10
    loss = lambda w, x: (jnp.dot(x, w) - 1.0) ** 2
    print("  per-example grads:\n", jax.vmap(jax.grad(loss), in_axes=(None, 0))(w, X))
    print("  jacfwd(f)(x) =\n", jax.jacfwd(fv)(x))
    print("  jacrev(f)(x) =\n", jax.jacrev(fv)(x))
    J, = jax.vmap(pullback)(jnp.eye(3))
    print("  vmap(pullback)(I) =\n", J)
    _timed("jacrev(f)(x)", lambda: jax.jacrev(fv)(x))
    print("  hessian of sum(tanh(x)^2):\n", jax.hessian(lambda v: jnp.sum(jnp.tanh(v) ** 2))(x))

    print("\njit: compile once per signature, then run generated NumPy code")
    def chain(x):
        for _ in range(20):
            x = x * (jnp.sin(x) * 1.01 + 0.1)
        return x
    t0 = time.perf_counter()
    fast_grad = jax.jit(jax.grad(chain))
    fast_grad(0.5)
    print(f"  trace + compile jit(grad(chain)): {(time.perf_counter() - t0) * 1e3:.1f} ms")
    _timed("jit(grad(chain))(0.5)", lambda: fast_grad(0.5))
    _timed("grad(chain)(0.5) (eager)", lambda: jax.grad(chain)(0.5))

    print("\ncontrol flow: lax.scan, differentiated")
    from cotan import lax
    def compound(r):
        final, _ = lax.scan(lambda c, _: (c * (1 + r), c), 1.0, None, length=12)
        return final
    print(f"  d/dr (1+r)^12 at r=0.05: {jax.grad(compound)(0.05):.4f} (exact {12 * 1.05 ** 11:.4f})")

    print("\na short training run (stax MLP + adam, jit(grad)), on generated data")
    from cotan.example_libraries import optimizers, stax
    from cotan import random
    key = random.PRNGKey(0)
    k1, k2, k3 = random.split(key, 3)
    Xtr = random.normal(k1, (512, 8))
    w_true = random.normal(k2, (8,))
    ytr = (Xtr @ w_true > 0).astype(jnp.int32)
    init, apply = stax.serial(stax.Dense(32), stax.Relu, stax.Dense(2), stax.LogSoftmax)
    _, params = init(k3, (-1, 8))
    opt_init, opt_update, get_params = optimizers.adam(0.01)
    state = opt_init(params)

    def loss(p):
        logp = apply(p, Xtr)
        return -jnp.mean(jnp.take_along_axis(logp, ytr[:, None], axis=1))

    @jax.jit
    def step(i, state):
        l, g = jax.value_and_grad(loss)(get_params(state))
        return l, opt_update(i, g, state)

    steps = 5 if _FAST else 200
    t0 = time.perf_counter()
    for i in range(steps):
        l, state = step(i, state)
        if i % max(1, steps // 5) == 0 or i == steps - 1:
            acc = jnp.mean(jnp.argmax(apply(get_params(state), Xtr), 1) == ytr)
            print(f"  step {i:4d}  loss {float(l):.4f}  train accuracy {float(acc):.3f}")
    print(f"  {steps} steps in {(time.perf_counter() - t0):.2f} s")

    print("\neager dispatch")
    s = jnp.array(1.5, dtype=jnp.float32)
    _timed("jnp.sin(float32 scalar)", lambda: jnp.sin(s), repeat=20000)
    sn = np.float32(1.5)
    _timed("np.sin(float32 scalar)", lambda: np.sin(sn), repeat=20000)


if __name__ == "__main__":
    main()
