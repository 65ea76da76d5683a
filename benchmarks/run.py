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


def bench_jacrev_tanh():
    import cotan
    import cotan.numpy as jnp
    rng = np.random.default_rng(0)
    W = rng.standard_normal((100, 1000)).astype(np.float32) * 0.03
    x = rng.standard_normal(1000).astype(np.float32)

    def np_jac(W, x):
        t = np.tanh(W @ x)
        return (1 - t * t)[:, None] * W

    cW, cx = jnp.asarray(W), jnp.asarray(x)
    f = lambda x: jnp.tanh(cW @ x)
    jr = cotan.jacrev(f)
    res = {"numpy": _best(lambda: np_jac(W, x)), "cotan": _best(lambda: jr(cx))}

    def loop_rows(x):
        y, pb = cotan.vjp(f, x)
        eye = np.eye(100, dtype=np.float32)
        return jnp.stack([pb(cotan.Array(e))[0] for e in eye])
    res["cotan-loop"] = _best(lambda: loop_rows(cx), repeat=3)
    ag = _peer("autograd")
    if ag is not None:
        import autograd.numpy as anp
        ja = ag.jacobian(lambda x: anp.tanh(W @ x))
        res["autograd"] = _best(lambda: ja(x), repeat=3)
    jax = _peer("jax")
    if jax is not None:
        import jax.numpy as jjnp
        jW = jjnp.asarray(W)
        jj = jax.jacrev(lambda x: jjnp.tanh(jW @ x))
        jx = jjnp.asarray(x)
        res["jax"] = _best(lambda: jj(jx).block_until_ready(), repeat=3)
    return "jacrev of tanh(W x), W 100x1000 (loop: 100 pullbacks)", res


def bench_vmap_pullbacks():
    import cotan
    import cotan.numpy as jnp
    rng = np.random.default_rng(1)
    W = jnp.asarray(rng.standard_normal(3).astype(np.float32))
    X = jnp.asarray(rng.standard_normal((4, 3)).astype(np.float32))
    f = lambda W: 0.5 * (jnp.tanh(jnp.dot(X, W) / 2) + 1)
    y, pb = cotan.vjp(f, W)
    U = jnp.asarray(rng.standard_normal((128, 4)).astype(np.float32))
    Un = np.asarray(U)

    def np_mjp():
        t = np.tanh(np.asarray(X) @ np.asarray(W) / 2)
        return (Un * (0.25 * (1 - t * t))) @ np.asarray(X)
    loop = lambda: jnp.vstack([pb(u) for u in U])
    vm = cotan.vmap(pb)
    res = {"numpy": _best(np_mjp), "cotan": _best(lambda: vm(U)), "cotan-loop": _best(loop, repeat=3)}
    return "128 pullbacks: vmap(pullback) (loop: 128 calls)", res


def bench_hvp():
    import cotan
    import cotan.numpy as jnp
    rng = np.random.default_rng(2)
    X = jnp.asarray(rng.standard_normal((30, 40)).astype(np.float32))
    V = jnp.asarray(rng.standard_normal((30, 40)).astype(np.float32))
    f = lambda X: jnp.sum(jnp.tanh(X) ** 2)
    g = cotan.grad(f)
    hvp = lambda: cotan.jvp(g, (X,), (V,))[1]
    Xn, Vn = np.asarray(X), np.asarray(V)

    def np_hvp():
        t = np.tanh(Xn)
        s = 1 - t * t
        return (2 * s * s - 4 * t * t * s) * Vn
    res = {"numpy": _best(np_hvp), "cotan": _best(hvp), "cotan-grad": _best(lambda: g(X))}
    return "HVP fwd-over-rev of sum(tanh(X)^2), X 30x40 (grad: one grad)", res


def fwd_rev_table(plot=False, ns=(10, 100, 1000, 3000, 10000), budget=5.0):
    """The seeds' comparison: jacfwd vs jacrev on f: R^n -> R and g: R -> R^n."""
    import cotan
    import cotan.numpy as jnp

    def f(x):
        return jnp.linalg.norm((jnp.exp(x) - x ** 2) / jnp.tan(x))

    def g_of(n):
        k = jnp.arange(n, dtype=jnp.float32)
        return lambda t: t ** jnp.sin(t ** k)

    modes = [("f jacfwd", lambda n: (cotan.jacfwd(f), jnp.linspace(0.1, 1.3, n))),
             ("f jacrev", lambda n: (cotan.jacrev(f), jnp.linspace(0.1, 1.3, n))),
             ("g jacfwd", lambda n: (cotan.jacfwd(g_of(n)), jnp.float32(0.7))),
             ("g jacrev", lambda n: (cotan.jacrev(g_of(n)), jnp.float32(0.7)))]
    table = {}
    for name, make in modes:
        skip = False
        for n in ns:
            if skip:
                table[(name, n)] = None
                continue
            fn, arg = make(n)
            t = _best(lambda: fn(arg), number=1, repeat=3)
            table[(name, n)] = t
            if t > budget:
                skip = True
    print()
    print("forward vs reverse mode (the seeds' comparison): seconds per Jacobian")
    print(f"{'n':>8s}" + "".join(f"{m:>12s}" for m, _ in modes))
    for n in ns:
        row = "".join(f"{table[(m, n)]:12.5f}" if table[(m, n)] is not None else f"{'(skipped)':>12s}"
                      for m, _ in modes)
        print(f"{n:>8d}" + row)
    if plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("(matplotlib is not installed: no plot)")
            return table
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, fname in zip(axes, ("f", "g")):
            for m, _ in modes:
                if m.startswith(fname):
                    pts = [(n, table[(m, n)]) for n in ns if table[(m, n)] is not None]
                    ax.loglog([p[0] for p in pts], [p[1] for p in pts], "o-", label=m)
            ax.set_xlabel("n")
            ax.set_ylabel("seconds")
            ax.set_title({"f": "f: R^n -> R", "g": "g: R -> R^n"}[fname])
            ax.legend()
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fwd_rev.png")
        fig.tight_layout()
        fig.savefig(out, dpi=80)
        print(f"plot written to {out}")
    return table


BENCHES = [bench_sin_scalar, bench_grad_chain, bench_mlp_grad, bench_jacrev_tanh,
           bench_vmap_pullbacks, bench_hvp, bench_import]


# --------------------------------------------------------------------------
# jit (issue 4).  main() needs a "numpy" entry in every row: the chain rows
# use the hand-written NumPy gradient of the chain on a float32 scalar.


def _np_chain_grad(x):
    xs = []
    for _ in range(20):
        s = np.sin(x)
        xs.append((x, s))
        x = x * (s * np.float32(1.01) + np.float32(0.1))
    g = np.float32(1.0)
    for x, s in reversed(xs):
        g = g * ((s * np.float32(1.01) + np.float32(0.1)) + x * np.cos(x) * np.float32(1.01))
    return g


def bench_jit_compile_chain():
    """Trace + compile time of jit(grad(chain)) (a fresh function each time)."""
    import time
    import cotan
    import cotan.numpy as jnp

    def compile_cotan():
        g = cotan.jit(cotan.grad(_chain(jnp)))
        t0 = time.perf_counter()
        g(jnp.float32(0.5))
        return time.perf_counter() - t0

    compile_cotan()
    res = {"numpy": _best(lambda: _np_chain_grad(np.float32(0.5))),
           "cotan": min(compile_cotan() for _ in range(5))}
    jax = _peer("jax")
    if jax is not None:
        import jax.numpy as jjnp

        def compile_jax():
            g = jax.jit(jax.grad(_chain(jjnp)))
            t0 = time.perf_counter()
            g(jjnp.float32(0.5)).block_until_ready()
            return time.perf_counter() - t0
        compile_jax()
        res["jax"] = min(compile_jax() for _ in range(3))
    return "jit(grad(chain)) trace+compile", res


def _python_floor_chain_grad():
    """The fastest exact float32 gradient of the chain we know how to write
    in Python: straight-line code, NumPy float32 scalars for arithmetic,
    ``math`` for sin/cos (their double results rounded to float32 by the
    operation that reads them).  A lower bound for any pure-Python executor."""
    import math
    lines = ["def straight(x0):"]
    for i in range(20):
        lines.append(f"    c{i} = one * cos(x{i}); u{i} = sin(x{i}) * k1 + k2; "
                     f"x{i + 1} = x{i} * u{i}")
    lines.append("    g = one")
    for i in reversed(range(20)):
        lines.append(f"    g = g * u{i} + ((x{i} * g) * k1) * c{i}")
    lines.append("    return g")
    ns = dict(one=np.float32(1), k1=np.float32(1.01), k2=np.float32(0.1), sin=math.sin,
              cos=math.cos)
    exec("\n".join(lines), ns)
    return ns["straight"]


def bench_jit_call_chain():
    """Call overhead of the compiled jit(grad(chain)), against eager grad and
    the hand-written pure-Python floor."""
    import cotan
    import cotan.numpy as jnp
    g = cotan.jit(cotan.grad(_chain(jnp)))
    x = jnp.asarray(np.float32(0.5))   # a cotan Array (jnp.float32(.) gives a NumPy scalar)
    g(x)
    floor = _python_floor_chain_grad()
    x32 = np.float32(0.5)
    assert floor(x32) == np.asarray(g(x))      # the same bits
    res = {"numpy": _best(lambda: _np_chain_grad(np.float32(0.5))), "cotan": _best(lambda: g(x)),
           "cotan-grad": _best(lambda: cotan.grad(_chain(jnp))(x)),
           "python-floor": _best(lambda: floor(x32))}
    jax = _peer("jax")
    if jax is not None:
        import jax.numpy as jjnp
        gj = jax.jit(jax.grad(_chain(jjnp)))
        xj = jjnp.float32(0.5)
        gj(xj).block_until_ready()
        res["jax"] = _best(lambda: gj(xj).block_until_ready())
    return "jit(grad(chain)) call", res


def bench_jit_mlp():
    """jit(grad(loss)) for an MLP 784-512-512-10, batch 256, float32, against
    the same forward and backward pass written by hand in NumPy."""
    import cotan
    import cotan.numpy as jnp
    rng = np.random.default_rng(0)
    W1 = (rng.standard_normal((784, 512)) * 0.03).astype(np.float32)
    W2 = (rng.standard_normal((512, 512)) * 0.03).astype(np.float32)
    W3 = (rng.standard_normal((512, 10)) * 0.03).astype(np.float32)
    X = rng.standard_normal((256, 784)).astype(np.float32)

    def np_grad(W1, W2, W3, X):
        h1 = np.tanh(X @ W1)
        h2 = np.tanh(h1 @ W2)
        out = h2 @ W3
        g = np.full(out.shape, 1.0 / out.size, np.float32)
        gW3 = h2.T @ g
        g2 = (g @ W3.T) * (1 - h2 * h2)
        gW2 = h1.T @ g2
        g1 = (g2 @ W2.T) * (1 - h1 * h1)
        gW1 = X.T @ g1
        return gW1, gW2, gW3

    def loss(W1, W2, W3, X, m=jnp):
        return m.mean(m.tanh(m.tanh(X @ W1) @ W2) @ W3)

    args = [jnp.asarray(a) for a in (W1, W2, W3, X)]
    jg = cotan.jit(cotan.grad(loss, argnums=(0, 1, 2)))
    jg(*args)
    eg = cotan.grad(loss, argnums=(0, 1, 2))
    res = {"numpy": _best(lambda: np_grad(W1, W2, W3, X)), "cotan": _best(lambda: jg(*args)),
           "cotan-grad": _best(lambda: eg(*args))}
    jax = _peer("jax")
    if jax is not None:
        import jax.numpy as jjnp
        gj = jax.jit(jax.grad(lambda a, b, c, x: loss(a, b, c, x, jjnp), argnums=(0, 1, 2)))
        ja = [jjnp.asarray(a) for a in (W1, W2, W3, X)]
        jax.block_until_ready(gj(*ja))
        res["jax"] = _best(lambda: jax.block_until_ready(gj(*ja)))
    return "jit(grad) MLP 784-512-512-10, batch 256", res


def bench_jit_not_slower():
    """Every eager benchmark function, jitted: jit must not be slower."""
    import cotan
    import cotan.numpy as jnp
    x = jnp.asarray(np.float32(1.5))
    f = lambda x: jnp.sin(x)  # noqa: E731
    jf = cotan.jit(f)
    jf(x)
    xn = np.float32(1.5)
    res = {"numpy": _best(lambda: np.sin(xn)), "cotan": _best(lambda: jf(x)),
           "cotan-loop": _best(lambda: f(x))}
    return "jit(sin) scalar vs eager (cotan-loop)", res


BENCHES += [bench_jit_compile_chain, bench_jit_call_chain, bench_jit_mlp, bench_jit_not_slower]


def bench_checkpoint_memory():
    """grad through 64 tanh layers (width 1024, batch 256, weights shared so the
    gradient buffers don't dominate): each layer checkpointed vs not. Peak
    memory (tracemalloc) and time; rows: numpy = no checkpoint, cotan = remat."""
    import time
    import tracemalloc
    import cotan
    import cotan.numpy as jnp

    rs = np.random.RandomState(0)
    W = jnp.array((rs.randn(1024, 1024) / 32).astype(np.float32))
    b = jnp.array(rs.randn(1024).astype(np.float32) * 0.1)
    x = jnp.array(rs.randn(256, 1024).astype(np.float32))

    def layer(W, b, x):
        return jnp.tanh(jnp.dot(x, W) + b)

    def make(lay):
        def loss(W, b, x):
            for _ in range(64):
                x = lay(W, b, x)
            return jnp.sum(x)
        return cotan.grad(loss, argnums=(0, 1))

    plain, remat = make(layer), make(cotan.checkpoint(layer))
    out = {}
    for name, g in (("numpy", plain), ("cotan", remat)):
        g(W, b, x)
        tracemalloc.start()
        g(W, b, x)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        ts = []
        for _ in range(3):
            t0 = time.perf_counter()
            g(W, b, x)
            ts.append(time.perf_counter() - t0)
        out[name] = (peak, min(ts))
    (pm, pt), (rm, rt) = out["numpy"], out["cotan"]
    label = (f"checkpoint 64x1024 mem {rm / 2**20:.0f}/{pm / 2**20:.0f}MiB="
             f"{rm / pm:.0%}")
    return label, {"numpy": pt, "cotan": rt}


BENCHES += [bench_checkpoint_memory]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    only = [a for a in argv if not a.startswith("--")]
    peers = ["numpy", "cotan", "jax", "autograd", "torch"]
    extra = ["cotan-loop", "cotan-grad", "python-floor"]
    print(f"{'benchmark':<48s}" + "".join(f"{p:>11s}" for p in peers) + "   ratios to numpy")
    for b in BENCHES:
        if only and not any(o in b.__name__ for o in only):
            continue
        name, res = b()
        base = res.get("numpy")
        ratios = " ".join(f"{p}={res[p] / base:.1f}x" for p in peers if p in res and p != "numpy")
        print(f"{name:<48s}" + "".join(f"{_fmt(res.get(p)):>11s}" for p in peers) + "   " + ratios)
        if "cotan" in res:
            others = [f"{p}/cotan={res[p] / res['cotan']:.1f}"
                      for p in ("jax", "autograd", "torch") + tuple(extra) if p in res]
            if others:
                print(f"{'':<48s}  speedup of cotan: " + ", ".join(others))
    if not only or "fwd_rev" in only:
        fwd_rev_table(plot="--plot" in argv)


if __name__ == "__main__":
    main()
