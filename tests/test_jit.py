"""jit: caching, static arguments, logging, disable_jit, lower(), the pjit
call primitive under every transformation, the compiler passes one by one,
and the compiled executor against eager on the whole primitive table."""
from __future__ import annotations

import functools
import logging
import warnings

import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan import lax
from cotan._src import core
from cotan._src.interpreters import jit as cjit

from test_primitives import ROWS, ROW_IDS, _assert_same


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# --------------------------------------------------------------------------
# caching and signatures


def test_traces_once_per_signature():
    n = []

    @jax.jit
    def f(x, y):
        n.append(1)
        return x * y + 1.0

    x = jnp.ones(3)
    for _ in range(5):
        f(x, x)
    assert len(n) == 1
    f(x, 2.0)                      # weak scalar: a new signature
    f(x, 3.0)                      # same signature
    assert len(n) == 2
    f(jnp.ones(4), jnp.ones(4))    # new shape
    f(np.ones(4, np.float32), np.ones(4, np.float32))  # NumPy inputs: same avals
    assert len(n) == 3
    f(x.astype(jnp.int32), x.astype(jnp.int32))
    assert len(n) == 4
    f((x * 1), y=x)                # keyword argument: another tree
    f((x * 2), y=x)
    assert len(n) == 5
    close(f(x, x), 2 * np.ones(3))


def test_pytree_args_and_outputs():
    n = []

    @jax.jit
    def f(d, t):
        n.append(1)
        return {"s": d["a"] + t[0], "p": (d["b"] * t[1],)}

    d = {"a": jnp.ones(2), "b": jnp.arange(2.0)}
    out = f(d, (1.0, 2.0))
    f(d, (3.0, 4.0))
    assert len(n) == 1
    close(out["s"], [2, 2])
    close(out["p"][0], [0, 2])


def test_static_argnums_and_argnames():
    n = []

    @functools.partial(jax.jit, static_argnums=1)
    def f(x, k):
        n.append(1)
        return x * k

    close(f(jnp.ones(2), 3), [3, 3])
    close(f(jnp.ones(2), 3), [3, 3])
    assert len(n) == 1
    close(f(jnp.ones(2), 4), [4, 4])
    assert len(n) == 2
    close(f(jnp.ones(2), k=4), [4, 4])   # by name

    g = jax.jit(lambda x, mode: x + (1.0 if mode == "a" else 2.0), static_argnames="mode")
    close(g(jnp.zeros(1), mode="a"), [1])
    close(g(jnp.zeros(1), mode="b"), [2])


def test_static_arg_hash_and_eq():
    class Key:
        def __init__(self, v):
            self.v = v

        def __hash__(self):
            return 0

        def __eq__(self, other):
            return self.v == other.v

    n = []
    f = jax.jit(lambda x, k: (n.append(1), x * k.v)[1], static_argnums=1)
    f(jnp.ones(1), Key(2))
    f(jnp.ones(1), Key(2))          # equal, not identical: cache hit
    assert len(n) == 1
    f(jnp.ones(1), Key(3))
    assert len(n) == 2


def test_static_list_is_an_error():
    f = jax.jit(lambda x, s: x, static_argnums=1)
    with pytest.raises(ValueError, match="tuple"):
        f(jnp.ones(1), [1, 2])


def test_donate_accepted():
    f = jax.jit(lambda x: x + 1, donate_argnums=0)
    close(f(jnp.ones(2)), [2, 2])


@pytest.mark.filterwarnings("ignore:jit-compiled function")
def test_cache_is_bounded():
    f = jax.jit(lambda x: x + 1)
    for n in range(cjit._CACHE_SIZE + 10):
        f(jnp.ones(n % (cjit._CACHE_SIZE + 5) + 1))
    assert len(f._cache) <= cjit._CACHE_SIZE


def test_log_compiles(caplog):
    def my_function(x, scale):
        return x * scale

    f = jax.jit(my_function)
    with caplog.at_level(logging.WARNING, logger="cotan"):
        jax.config.update("jax_log_compiles", True)
        try:
            f(jnp.ones(3), 1.0)
            f(jnp.ones(3), 2.0)
            f(jnp.ones(3), jnp.ones(3))
        finally:
            jax.config.update("jax_log_compiles", False)
    msgs = [r.getMessage() for r in caplog.records if r.name == "cotan"]
    assert len(msgs) == 2
    assert "my_function" in msgs[0]
    assert "my_function" in msgs[1] and "scale" in msgs[1] and "f32[3]" in msgs[1]


def test_no_log_without_flag(caplog):
    with caplog.at_level(logging.WARNING, logger="cotan"):
        jax.jit(lambda x: x)(1.0)
    assert not [r for r in caplog.records if r.name == "cotan"]


def test_retrace_warning():
    f = jax.jit(lambda x: x + 1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for n in range(1, 11):
            f(jnp.ones(n))
        assert not [x for x in w if "retraced" in str(x.message)]
        f(jnp.ones(11))
        assert [x for x in w if "retraced 10 times" in str(x.message)]


def test_disable_jit():
    seen = []

    @jax.jit
    def f(x):
        seen.append(type(x))
        return x * 2

    with jax.disable_jit():
        close(f(jnp.ones(2)), [2, 2])
        f(jnp.ones(2))
    assert seen == [core.Array, core.Array]    # ran eagerly, every time
    f(jnp.ones(2))
    assert seen[-1] is not core.Array        # traced
    jax.config.update("jax_disable_jit", True)
    try:
        f(jnp.ones(2))
        assert seen[-1] is core.Array
    finally:
        jax.config.update("jax_disable_jit", False)


def test_lower_as_text_and_compile():
    def f(x):
        return jnp.sin(x) * 1.0 + jnp.cos(x)

    lowered = jax.jit(f).lower(jnp.ones(3))
    text = lowered.as_text()
    assert "optimised jaxpr" in text and "def prog(" in text
    assert "sin" in text and "cos" in text
    # x * 1.0 is gone from the optimised program
    opt = text.split("# optimised jaxpr")[1].split("# generated Python")[0]
    assert "mul" not in opt
    c = lowered.compile()
    close(c(jnp.ones(3)), np.sin(1) + np.cos(1) * np.ones(3))
    s = jax.jit(f).eval_shape(jnp.ones((2, 3)))
    assert s.shape == (2, 3) and s.dtype == np.float32


def test_make_jaxpr_prints_nested_pjit():
    @jax.jit
    def inner(x):
        return jnp.sin(x) * 2.0

    def outer(x):
        return inner(x) + 1.0

    txt = str(jax.make_jaxpr(jax.jit(outer))(1.0))
    assert txt.count("pjit[") == 2
    assert "name='inner'" in txt and "name='outer'" in txt
    assert "jaxpr={ lambda" in txt
    # the nested body is indented deeper than its pjit line
    lines = txt.splitlines()
    i = next(k for k, l in enumerate(lines) if "sin" in l)
    j = next(k for k, l in enumerate(lines) if "pjit[" in l)
    assert len(lines[i]) - len(lines[i].lstrip()) > len(lines[j]) - len(lines[j].lstrip())
    core.check_jaxpr(jax.make_jaxpr(jax.jit(outer))(1.0).jaxpr)


def test_make_jaxpr_static_argnums_with_jit():
    f = jax.jit(lambda x, n: x * n, static_argnums=1)
    txt = str(jax.make_jaxpr(f, static_argnums=1)(1.0, 3))
    assert "pjit" in txt and "3" in txt


# --------------------------------------------------------------------------
# composition with transformations


def f_np(x):
    return np.sin(x) * x + np.exp(0.5 * x)


def f_c(x):
    return jnp.sin(x) * x + jnp.exp(0.5 * x)


def df_np(x):
    return np.cos(x) * x + np.sin(x) + 0.5 * np.exp(0.5 * x)


def d2f_np(x):
    return -np.sin(x) * x + 2 * np.cos(x) + 0.25 * np.exp(0.5 * x)


X = np.array([0.3, -1.2, 2.0])


@pytest.mark.parametrize("order", ["jit(grad)", "grad(jit)", "jit(grad(jit))",
                                   "grad(grad(jit))", "jit(grad(grad))", "grad(jit(grad))"])
def test_grad_orders(order, x64):
    j, g = jax.jit, jax.grad
    fns = {
        "jit(grad)": j(g(f_c)), "grad(jit)": g(j(f_c)), "jit(grad(jit))": j(g(j(f_c))),
        "grad(grad(jit))": g(g(j(f_c))), "jit(grad(grad))": j(g(g(f_c))),
        "grad(jit(grad))": g(j(g(f_c))),
    }
    fn = fns[order]
    want = d2f_np if order.count("grad") == 2 else df_np
    for x in X:
        close(fn(x), want(x), 1e-10)


def test_jvp_vjp_linearize_through_jit(x64):
    jf = jax.jit(f_c)
    x = jnp.asarray(X)
    p, t = jax.jvp(jf, (x,), (jnp.ones(3),))
    close(p, f_np(X), 1e-12)
    close(t, df_np(X), 1e-12)
    y, pb = jax.vjp(jf, x)
    close(pb(jnp.ones(3))[0], df_np(X), 1e-12)
    y, lin = jax.linearize(jf, x)
    close(lin(jnp.ones(3)), df_np(X), 1e-12)
    close(jax.jit(lin)(jnp.ones(3)), df_np(X), 1e-12)
    # jit of jvp / vjp
    p, t = jax.jit(lambda x: jax.jvp(jf, (x,), (jnp.ones(3),)))(x)
    close(t, df_np(X), 1e-12)
    close(jax.jit(lambda x: jax.vjp(jf, x)[1](jnp.ones(3))[0])(x), df_np(X), 1e-12)


def test_vmap_orders(x64):
    x = jnp.asarray(X)
    close(jax.vmap(jax.jit(f_c))(x), f_np(X), 1e-12)
    close(jax.jit(jax.vmap(f_c))(x), f_np(X), 1e-12)
    close(jax.vmap(jax.grad(jax.jit(f_c)))(x), df_np(X), 1e-12)
    close(jax.jit(jax.vmap(jax.grad(jax.jit(f_c))))(x), df_np(X), 1e-12)
    close(jax.grad(lambda x: jax.vmap(jax.jit(f_c))(x).sum())(x), df_np(X), 1e-12)
    close(jax.vmap(jax.jit(jax.grad(f_c)))(x), df_np(X), 1e-12)
    # unbatched argument, in_axes=None
    g = jax.jit(lambda a, b: a * b)
    close(jax.vmap(g, in_axes=(0, None))(x, 2.0), 2 * X, 1e-12)
    M = np.arange(6.0).reshape(2, 3)
    close(jax.vmap(g, in_axes=(1, None))(jnp.asarray(M), jnp.ones(2)), M.T, 1e-12)


def test_jit_closes_over_tracer(x64):
    def f(x):
        g = jax.jit(lambda y: x * y + jnp.sin(x))
        return g(2.0) + g(x)

    close(jax.grad(f)(0.7), 2 + np.cos(0.7) + 2 * 0.7 + np.cos(0.7), 1e-12)
    close(jax.vmap(f)(jnp.asarray(X)), 2 * X + 2 * np.sin(X) + X * X, 1e-12)


def test_nested_jit_and_multiple_outputs(x64):
    @jax.jit
    def a(x):
        return x * 2, jnp.sin(x)

    @jax.jit
    def b(x):
        u, v = a(x)
        return u + v, jax.jit(lambda t: t * t)(u)

    x = jnp.asarray(X)
    u, v = b(x)
    close(u, 2 * X + np.sin(X), 1e-12)
    close(v, 4 * X * X, 1e-12)
    g = jax.grad(lambda x: sum(jnp.sum(o) for o in b(x)))(x)
    close(g, 2 + np.cos(X) + 8 * X, 1e-12)
    H = jax.hessian(lambda x: jnp.sum(b(x)[1]))(x)
    close(H, 8 * np.eye(3), 1e-12)


def test_jit_of_pullback_with_python_control_flow():
    # the seeds' example: f uses Python control flow on values; its pullback
    # is a jaxpr, so it can be jitted
    def f(x):
        if x > 0:
            return jnp.sin(x) * x
        return x ** 3

    for x0, want in [(1.0, np.cos(1.0) * 1.0 + np.sin(1.0)), (-2.0, 12.0)]:
        _, f_vjp = jax.vjp(f, x0)
        (gr,) = jax.jit(f_vjp)(1.0)
        close(gr, want, 1e-5)
        (gr,) = jax.jit(f_vjp)(2.0)
        close(gr, 2 * want, 1e-5)


def test_eager_grad_of_jit_uses_templates(x64):
    # eager grad (rule_cache tape) through a pjit: the JVP rule splits the
    # call into a primal pjit and a linear pjit
    jf = jax.jit(lambda x, y: jnp.tanh(x @ y).sum())
    A = np.random.default_rng(0).standard_normal((3, 4))
    B = np.random.default_rng(1).standard_normal((4, 2))
    ga, gb = jax.grad(jf, argnums=(0, 1))(A, B)
    h = np.tanh(A @ B)
    close(ga, (1 - h * h) @ B.T, 1e-12)
    close(gb, A.T @ (1 - h * h), 1e-12)


def test_jvp_split_is_linear(x64):
    cj = jax.make_jaxpr(f_c)(1.0)
    known, lin, out_nz, res_src = cjit._jvp_split(cj, (True,))
    core.check_jaxpr(known.jaxpr)
    core.check_jaxpr(lin.jaxpr)
    assert out_nz == [True]
    # the linear part does not recompute sin/exp: those are residuals
    names = {e.primitive.name for e in lin.jaxpr.eqns}
    assert "sin" not in names and "exp" not in names


def test_jit_under_vmap_with_collective():
    X2 = np.arange(12.0).reshape(4, 3)
    g = jax.vmap(jax.jit(lambda x: x - lax.pmean(x, "i")), axis_name="i")
    close(g(X2), X2 - X2.mean(0))


# --------------------------------------------------------------------------
# compiler passes, one at a time


def _prog(f, *args):
    return cjit.from_closed(jax.make_jaxpr(f)(*args))


def _names(prog):
    return [e.primitive.name for e in prog.eqns]


def _run(prog, *args):
    exe = cjit.Executable(prog, [v.aval for v in prog.outvars])
    return exe.fn(*[np.asarray(a) for a in args])


def test_pass_dce():
    def f(x):
        _ = jnp.sin(x)            # dead
        return jnp.cos(x)

    p = _prog(f, 1.0)
    # make_jaxpr already drops it; put a dead equation back by hand
    dead_out = core.Var(p.invars[0].aval)
    from cotan._src.lax.elementwise import sin_p
    p.eqns.insert(0, core.JaxprEqn(sin_p, [p.invars[0]], {}, [dead_out]))
    assert _names(p) == ["sin", "cos"]
    q = cjit.dce(p)
    assert _names(q) == ["cos"]
    close(_run(q, np.float32(0.5))[0], np.cos(0.5))


def test_pass_cse():
    def f(x):
        return jnp.sin(x) * jnp.sin(x) + jnp.sin(x)

    p = _prog(f, jnp.ones(3))
    assert _names(p).count("sin") == 3
    q = cjit.cse(p)
    assert _names(q).count("sin") == 1
    close(_run(q, np.ones(3, np.float32))[0], np.sin(1) ** 2 + np.sin(1) * np.ones(3))
    # different params are not merged
    p = _prog(lambda x: jnp.sum(x, 0) + jnp.sum(x, 1), jnp.ones((2, 2)))
    assert _names(cjit.cse(p)).count("reduce_sum") == 2


def test_pass_cse_literals_by_bits():
    p = _prog(lambda x: (x * np.float32(0.0), x * np.float32(-0.0)), 1.0)
    assert _names(cjit.cse(p)).count("mul") == 2


def test_pass_constant_folding():
    c = np.arange(3.0, dtype=np.float32)

    def f(x, c):
        return x + jnp.cos(c) * 2.0

    # tracing evaluates constant work at once, so make c a constvar by hand
    p = _prog(f, jnp.ones(3), c)
    p.consts[p.invars.pop()] = c
    assert _names(p) == ["cos", "mul", "add"]
    q = cjit.fold_constants(p)
    assert _names(q) == ["add"]
    close(_run(q, np.ones(3, np.float32))[0], 1 + 2 * np.cos(c))


def test_pass_simplify_noops():
    from cotan._src.lax import structural as st

    def f(x):   # primitives bound directly: the lax wrappers skip no-ops already
        y = st.reshape_p.bind(x, new_sizes=(2, 3))
        y = st.transpose_p.bind(y, permutation=(0, 1))
        y = st.convert_element_type_p.bind(y, new_dtype=np.dtype(np.float32), weak_type=False)
        y = st.broadcast_in_dim_p.bind(y, shape=(2, 3), broadcast_dimensions=(0, 1))
        return st.transpose_p.bind(y, permutation=(1, 0))      # not a no-op

    p = _prog(f, jnp.ones((2, 3)))
    assert len(p.eqns) == 5, _names(p)
    q = cjit.simplify(p)
    assert _names(q) == ["transpose"]
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    close(_run(q, x)[0], x.T)
    # a convert that changes the weak type is kept
    p = _prog(lambda x: st.convert_element_type_p.bind(
        x, new_dtype=np.dtype(np.float32), weak_type=False), 1.0)
    assert _names(cjit.simplify(p)) == ["convert_element_type"]


def _c(v):
    return core.Array(np.float32(v), True)


def test_pass_simplify_algebra():
    from cotan._src.lax import elementwise as el

    def f(x):
        y = el.mul_p.bind(x, _c(1.0))
        y = el.add_p.bind(_c(0.0), y)
        y = el.sub_p.bind(y, _c(0.0))
        y = el.div_p.bind(y, _c(1.0))
        return el.neg_p.bind(el.neg_p.bind(y))

    p = _prog(f, 1.0)
    assert _names(p) == ["mul", "add", "sub", "div", "neg", "neg"]
    q = cjit.simplify(p)
    assert q.eqns == [] and q.outvars[0] is q.invars[0]
    # not identities: 0 - x, x * 2, 1 / x
    p = _prog(lambda x: el.sub_p.bind(_c(0.0), el.mul_p.bind(x, _c(2.0))), 1.0)
    assert len(cjit.simplify(p).eqns) == 2
    p = _prog(lambda x: el.div_p.bind(_c(1.0), x), 1.0)
    assert len(cjit.simplify(p).eqns) == 1
    # x * 1 with a strong 1 and a weak x changes the weak type: kept
    p = _prog(lambda x: el.mul_p.bind(x, core.Array(np.float32(1.0), False)), 1.0)
    assert len(cjit.simplify(p).eqns) == 1


def test_optimize_pipeline_inlines_nested():
    inner = jax.jit(lambda x: jnp.sin(x) * 1.0)
    cj = jax.make_jaxpr(jax.jit(lambda x: inner(x) + inner(x)))(jnp.ones(2))
    q = cjit.optimize(cj)
    assert _names(q) == ["sin", "add"]
    close(_run(q, np.ones(2, np.float32))[0], 2 * np.sin(np.ones(2)))


PIPELINE_FUNS = [
    lambda x: jnp.sin(x) * 1.0 + 0.0,
    lambda x: jnp.sum(jnp.exp(x) * jnp.exp(x)),
    lambda x: (x.reshape(3, 2).T @ x.reshape(3, 2)),
    lambda x: jnp.where(x > 0, x, -x) ** 2,
    lambda x: jnp.cumsum(x) - jnp.mean(x),
    lambda x: jnp.concatenate([x, -(-x), x[::-1]]),
    lambda x: jnp.max(x) + jnp.ones(6) * 2 + jnp.arange(6.0),
    lambda x: jax.nn.softmax(x) if hasattr(jax, "nn") else x,
    lambda x: jax.grad(lambda y: jnp.sum(jnp.tanh(y) ** 2))(x),
    lambda x: jax.vmap(lambda r: r * jnp.sum(r))(x.reshape(2, 3)),
]


@pytest.mark.parametrize("k", range(len(PIPELINE_FUNS)))
def test_pipeline_against_eager(k):
    f = PIPELINE_FUNS[k]
    x = jnp.asarray(np.linspace(-1.0, 1.5, 6, dtype=np.float32))
    eager = f(x)
    jitted = jax.jit(f)(x)
    assert np.asarray(jitted).dtype == np.asarray(eager).dtype
    close(jitted, eager, 1e-6)


# --------------------------------------------------------------------------
# the executor against eager, every primitive row


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_executor_vs_eager(row, x64):
    args = row.make_args()
    eager = row.fun(*args)
    cj = jax.make_jaxpr(row.fun)(*args)
    exe = cjit.compiled(cj)
    vals = [np.asarray(a) for a in args]
    outs = exe.fn(*vals)
    outs = [core.Array(o, w) for o, w in zip(outs, exe.out_weak)]
    eager_l = eager if isinstance(eager, (list, tuple)) else [eager]
    assert len(outs) == len(eager_l)
    for a, b in zip(eager_l, outs):
        _assert_same(a, b, f"{row.id}: eager vs compiled")
    # the same through jit's fast path, twice
    _assert_same(eager, jax.jit(row.fun)(*args), f"{row.id}: eager vs jit")
