"""Side-by-side timings: cotan against hand-written NumPy and, when they are
installed, JAX, Autograd and torch.func.  Run ``python -m benchmarks`` or
``python benchmarks/run.py``.  Never part of the test run.

Each row prints the time of every implementation and its ratio to the
hand-written NumPy baseline (lower is better).
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))


def _best(fn, number=None, repeat=5):
    fn()
    if number is None:
        t = timeit.timeit(fn, number=1)
        number = max(1, int(0.05 / max(t, 1e-7)))
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def _peer(name):
    try:
        return importlib.import_module(name)
    except Exception:
        return None


def _fmt(t):
    if t is None:
        return "        -"
    if t < 1e-3:
        return f"{t * 1e6:7.2f}us"
    return f"{t * 1e3:7.2f}ms"


def bench_sin_scalar():
    import cotan.numpy as jnp
    x = jnp.array(1.5, dtype=jnp.float32)
    xn = np.float32(1.5)
    res = {"numpy": _best(lambda: np.sin(xn)), "cotan": _best(lambda: jnp.sin(x))}
    jax = _peer("jax")
    if jax is not None:
        import jax.numpy as jjnp
        xj = jjnp.array(1.5, dtype=jjnp.float32)
        res["jax"] = _best(lambda: jjnp.sin(xj).block_until_ready())
    torch = _peer("torch")
    if torch is not None:
        xt = torch.tensor(1.5)
        res["torch"] = _best(lambda: torch.sin(xt))
    return "eager sin(float32 scalar)", res


def _chain(mod):
    def f(x):
        for _ in range(20):
            x = x * (mod.sin(x) * 1.01 + 0.1)
        return x
    return f


def bench_grad_chain():
    import cotan
    import cotan.numpy as jnp
    res = {}

    def np_grad(x):
        # hand-written forward and backward pass of the same chain
        xs = []
        for _ in range(20):
            s = np.sin(x)
            xs.append((x, s))
            x = x * (s * 1.01 + 0.1)
        g = 1.0
        for x, s in reversed(xs):
            g = g * ((s * 1.01 + 0.1) + x * np.cos(x) * 1.01)
        return g
    res["numpy"] = _best(lambda: np_grad(0.5))
    g = cotan.grad(_chain(jnp))
    res["cotan"] = _best(lambda: g(0.5))
    ag = _peer("autograd")
    if ag is not None:
        import autograd.numpy as anp
        gag = ag.grad(_chain(anp))
        res["autograd"] = _best(lambda: gag(0.5))
    jax = _peer("jax")
    if jax is not None:
        import jax.numpy as jjnp
        gj = jax.grad(_chain(jjnp))
        res["jax"] = _best(lambda: gj(0.5).block_until_ready(), repeat=3)
    torch = _peer("torch")
    if torch is not None:
        from torch.func import grad as tgrad
        gt = tgrad(_chain(torch))
        xt = torch.tensor(0.5)
        res["torch"] = _best(lambda: gt(xt))
    return "eager grad, 20-step scalar chain (80 ops)", res


def bench_import():
    def t(mod):
        cmd = [sys.executable, "-c", f"import {mod}"]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what users see: cached bytecode
        subprocess.run(cmd, check=True, env=env)  # warm the bytecode cache
        best = None
        for _ in range(5):
            t0 = timeit.default_timer()
            subprocess.run(cmd, check=True, env=env)
            d = timeit.default_timer() - t0
            best = d if best is None else min(best, d)
        return best
    res = {"numpy": t("numpy"), "cotan": t("cotan")}
    if _peer("jax") is not None:
        res["jax"] = t("jax")
    return "import time (fresh interpreter)", res


def bench_mlp_grad():
    import cotan
    import cotan.numpy as jnp
    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((784, 512)).astype(np.float32) * 0.03
    W2 = rng.standard_normal((512, 10)).astype(np.float32) * 0.03
    X = rng.standard_normal((256, 784)).astype(np.float32)

    def np_grad(W1, W2, X):
        h = np.tanh(X @ W1)
        out = h @ W2
        g_out = np.ones_like(out) / out.size
        gW2 = h.T @ g_out
        gh = g_out @ W2.T * (1 - h * h)
        gW1 = X.T @ gh
        return gW1, gW2

    def loss(W1, W2, X):
        return jnp.mean(jnp.tanh(X @ W1) @ W2)

    g = cotan.grad(loss, argnums=(0, 1))
    cW1, cW2, cX = jnp.asarray(W1), jnp.asarray(W2), jnp.asarray(X)
    res = {"numpy": _best(lambda: np_grad(W1, W2, X)), "cotan": _best(lambda: g(cW1, cW2, cX))}
    ag = _peer("autograd")
    if ag is not None:
        import autograd.numpy as anp
        gag = ag.grad(lambda a, b, x: anp.mean(anp.tanh(x @ a) @ b), argnum=(0, 1))
        res["autograd"] = _best(lambda: gag(W1, W2, X))
    return "eager grad, 2-layer MLP 784-512-10, batch 256", res


BENCHES = [bench_sin_scalar, bench_grad_chain, bench_mlp_grad, bench_import]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    peers = ["numpy", "cotan", "jax", "autograd", "torch"]
    print(f"{'benchmark':<48s}" + "".join(f"{p:>11s}" for p in peers) + "   ratios to numpy")
    for b in BENCHES:
        name, res = b()
        base = res.get("numpy")
        ratios = " ".join(f"{p}={res[p] / base:.1f}x" for p in peers if p in res and p != "numpy")
        print(f"{name:<48s}" + "".join(f"{_fmt(res.get(p)):>11s}" for p in peers) + "   " + ratios)
        if "cotan" in res:
            others = [f"{p}/cotan={res[p] / res['cotan']:.1f}" for p in ("jax", "autograd", "torch") if p in res]
            if others:
                print(f"{'':<48s}  speedup of cotan: " + ", ".join(others))


if __name__ == "__main__":
    main()
