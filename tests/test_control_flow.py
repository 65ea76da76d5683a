"""lax control flow: cond, switch, while_loop, fori_loop, scan, map,
associative_scan -- values against Python, derivatives (check_grads), vmap
against a loop, jit against eager, nesting, long loops and error messages."""
from __future__ import annotations

import time

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan import lax
from cotan._src import core, dtypes
from cotan.test_util import check_grads

F = np.float64
pytestmark = pytest.mark.usefixtures("x64")


def _close(a, b, tol=1e-10):
    la, lb = cotan.tree_util.tree_leaves(a), cotan.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=tol, atol=tol)


# --- functions under test (float64 inputs) ---------------------------------

def f_cond(x, y):
    return lax.cond(jnp.sum(x) > 0, lambda a, b: jnp.sin(a) * b, lambda a, b: a * b * b, x, y)


def f_switch(i, x):
    return lax.switch(i, [lambda a: jnp.sin(a), lambda a: a * a, lambda a: jnp.exp(a) / 3.0], x)


def f_scan(x, xs):
    def body(c, x_):
        c = jnp.sin(c) * x_ + c * x
        return c, jnp.cos(c) * x_
    c, ys = lax.scan(body, x, xs)
    return c, ys


def f_scan_rev(x, xs):
    return lax.scan(lambda c, a: (c * a + 1.0, c + a), x, xs, reverse=True)


def f_fori(x):
    return lax.fori_loop(0, 4, lambda i, c: jnp.sin(c) * x + i, x)


def f_while(x):
    return lax.while_loop(lambda c: c[0] < 4, lambda c: (c[0] + 1, jnp.sin(c[1]) * x), (0, x))[1]


def f_nested(x, xs):
    def body(c, a):
        c2 = lax.cond(a > 0.5, lambda u: u * a, lambda u: jnp.sin(u) + a, c)
        inner = lax.fori_loop(0, 2, lambda i, v: v * c2 + a, a)
        return c2 + 0.1 * inner, inner
    return lax.scan(body, x, xs)


XS = np.array([0.3, 0.9, 0.2, 0.7, 1.1])


# --- values ----------------------------------------------------------------

def test_cond_values():
    x, y = np.array([0.5, -0.2]), np.array([1.5, 2.0])
    _close(f_cond(x, y), np.sin(x) * y)
    _close(f_cond(-x, y), -x * y * y)
    assert lax.cond(True, lambda: 1.0, lambda: 2.0) == 1.0
    assert lax.cond(0, lambda: 1.0, lambda: 2.0) == 2.0
    out = lax.cond(False, lambda a: {"p": a, "q": (a + 1,)}, lambda a: {"p": -a, "q": (a,)}, 2.0)
    assert float(out["p"]) == -2.0 and float(out["q"][0]) == 2.0


def test_switch_values_and_clamp():
    x = np.array([0.3, -0.4])
    _close(f_switch(0, x), np.sin(x))
    _close(f_switch(1, x), x * x)
    _close(f_switch(2, x), np.exp(x) / 3)
    _close(f_switch(7, x), np.exp(x) / 3)   # clamped
    _close(f_switch(-3, x), np.sin(x))      # clamped
    _close(cotan.jit(f_switch)(9, x), np.exp(x) / 3)


def test_while_and_fori_values():
    assert int(lax.while_loop(lambda i: i < 10, lambda i: i + 3, 0)) == 12
    x = 0.8
    c = x
    for _ in range(4):
        c = np.sin(c) * x
    _close(f_while(x), c)
    c = x
    for i in range(4):
        c = np.sin(c) * x + i
    _close(f_fori(x), c)
    # dynamic bounds go through while_loop
    g = cotan.jit(lambda lo, hi: lax.fori_loop(lo, hi, lambda i, s: s + i, 0))
    assert int(g(2, 6)) == 2 + 3 + 4 + 5
    assert int(lax.fori_loop(5, 2, lambda i, s: s + i, 7)) == 7


def _py_scan(f, init, xs, reverse=False):
    c, ys = init, [None] * len(xs)
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for i in order:
        c, ys[i] = f(c, xs[i])
    return c, np.stack(ys)


def test_scan_values():
    x = 0.4

    def body(c, a):
        c = np.sin(c) * a + c * x
        return c, np.cos(c) * a
    _close(f_scan(x, XS), _py_scan(body, x, XS))
    _close(f_scan_rev(x, XS), _py_scan(lambda c, a: (c * a + 1.0, c + a), x, XS, reverse=True))
    # pytrees, no xs, length
    (c1, c2), ys = lax.scan(lambda c, _: ((c[0] + 1, c[1] * 2.0), {"a": c[1]}), (0, 1.0), None,
                            length=4)
    assert int(c1) == 4 and float(c2) == 16.0
    np.testing.assert_array_equal(np.asarray(ys["a"]), [1.0, 2.0, 4.0, 8.0])
    # a zero-length scan returns the init and empty ys
    c, ys = lax.scan(lambda c, a: (c + a, a * 2), jnp.ones(3), jnp.zeros((0, 3)))
    np.testing.assert_array_equal(np.asarray(c), np.ones(3))
    assert ys.shape == (0, 3)


def test_map_and_associative_scan():
    xs = np.arange(6.0).reshape(3, 2)
    _close(lax.map(lambda r: r * r.sum(), xs), xs * xs.sum(1, keepdims=True))
    for n in (1, 2, 5, 8, 13):
        a = np.arange(1.0, n + 1)
        _close(lax.associative_scan(jnp.add, a), np.cumsum(a))
        _close(lax.associative_scan(jnp.add, a, reverse=True), np.cumsum(a[::-1])[::-1])
    m = np.random.default_rng(0).standard_normal((4, 7))
    _close(lax.associative_scan(jnp.maximum, m, axis=1), np.maximum.accumulate(m, axis=1))
    # a non-commutative associative op: 2x2 matrix product on a pytree
    mats = np.random.default_rng(1).standard_normal((6, 2, 2))
    out = lax.associative_scan(lambda a, b: jnp.matmul(a, b), mats)
    ref = [mats[0]]
    for k in range(1, 6):
        ref.append(ref[-1] @ mats[k])
    _close(out, np.stack(ref))


# --- derivatives -----------------------------------------------------------

def test_check_grads_cond_switch(x64):
    x, y = np.array([0.5, -0.2]), np.array([1.5, 2.0])
    check_grads(f_cond, (x, y), order=2, modes=("fwd", "rev"))
    check_grads(f_cond, (-x, y), order=2, modes=("fwd", "rev"))
    for i in range(3):
        check_grads(lambda a: f_switch(i, a), (x,), order=2, modes=("fwd", "rev"))


def test_check_grads_scan_fori(x64):
    check_grads(f_scan, (0.4, XS), order=2, modes=("fwd", "rev"))
    check_grads(f_scan_rev, (0.4, XS), order=2, modes=("fwd", "rev"))
    check_grads(f_fori, (0.8,), order=2, modes=("fwd", "rev"))
    check_grads(f_nested, (0.4, XS), order=2, modes=("fwd", "rev"))
    check_grads(lambda xs: lax.associative_scan(jnp.multiply, xs), (XS,), order=2,
                modes=("fwd", "rev"))


def test_check_grads_while_forward_only(x64):
    check_grads(f_while, (0.8,), order=2, modes=("fwd",))


def test_grad_through_closure_and_jit(x64):
    # the body closes over a differentiated value (hoisted as an operand)
    def loss(w, xs):
        c, ys = lax.scan(lambda c, a: (c * w + a, c * c), 0.5, xs)
        return c + jnp.sum(ys)
    g = cotan.grad(loss, argnums=(0, 1))
    _close(g(0.9, XS), cotan.jit(g)(0.9, XS))
    check_grads(loss, (0.9, XS), order=2, modes=("fwd", "rev"))


def test_while_reverse_mode_error():
    msg = "Reverse-mode differentiation does not work for lax.while_loop"
    with pytest.raises(ValueError, match=msg):
        cotan.grad(f_while)(0.8)
    with pytest.raises(ValueError, match=msg):
        cotan.jit(cotan.grad(f_while))(0.8)
    with pytest.raises(ValueError, match=msg):
        cotan.jit(cotan.grad(lambda x, n: lax.fori_loop(0, n, lambda i, c: c * x, x)))(0.8, 3)
    # dynamic fori under jit is a while_loop: forward mode works
    t = cotan.jvp(cotan.jit(lambda x, n: lax.fori_loop(0, n, lambda i, c: c * x, x)),
                  (0.8, 3), (1.0, np.zeros((), dtypes.float0)))[1]
    _close(t, 4 * 0.8 ** 3, 1e-5)


# --- vmap ------------------------------------------------------------------

def _loop(f, *args, in_axes):
    n = [a.shape[ax] for a, ax in zip(args, in_axes) if ax is not None][0]
    outs = [f(*[a if ax is None else np.take(a, k, ax) for a, ax in zip(args, in_axes)])
            for k in range(n)]
    return cotan.tree_util.tree_map(lambda *o: np.stack([np.asarray(v) for v in o]), *outs)


@pytest.mark.parametrize("in_axes", [(0, 0), (0, None), (None, 0), (1, 1)])
def test_vmap_cond_batched_predicate(in_axes):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    _close(cotan.vmap(f_cond, in_axes=in_axes)(x, y), _loop(f_cond, x, y, in_axes=in_axes))
    _close(cotan.jit(cotan.vmap(f_cond, in_axes=in_axes))(x, y),
           _loop(f_cond, x, y, in_axes=in_axes))


def test_vmap_switch_batched_index():
    idx = np.array([0, 1, 2, 5, -1])
    x = np.random.default_rng(4).standard_normal((5, 3))
    _close(cotan.vmap(f_switch)(idx, x), _loop(f_switch, idx, x, in_axes=(0, 0)))
    _close(cotan.vmap(f_switch, in_axes=(None, 0))(1, x),
           _loop(lambda xx: f_switch(1, xx), x, in_axes=(0,)))


def test_vmap_while_batched_predicate():
    def f(n, x):
        return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * x + 1.0), (0, x))
    ns, xs = np.array([0, 1, 4, 2]), np.array([0.5, 1.5, 0.9, 2.0])
    want = _loop(f, ns, xs, in_axes=(0, 0))
    _close(cotan.vmap(f)(ns, xs), want)
    _close(cotan.jit(cotan.vmap(f))(ns, xs), want)
    # batched carry, unbatched predicate
    _close(cotan.vmap(f, in_axes=(None, 0))(3, xs), _loop(lambda x: f(3, x), xs, in_axes=(0,)))


@pytest.mark.parametrize("in_axes", [(0, None), (None, 0), (0, 0), (None, 1)])
def test_vmap_scan(in_axes):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.2, 0.9, 3)
    xs = rng.uniform(0.1, 1.0, (3, 5)) if in_axes[1] == 0 else (
        rng.uniform(0.1, 1.0, (5, 3)) if in_axes[1] == 1 else XS)
    args = (x if in_axes[0] == 0 else 0.4, xs)
    _close(cotan.vmap(f_scan, in_axes=in_axes)(*args), _loop(f_scan, *args, in_axes=in_axes))
    _close(cotan.vmap(f_nested, in_axes=in_axes)(*args), _loop(f_nested, *args, in_axes=in_axes))


def test_vmap_of_grad_of_scan(x64):
    g = cotan.grad(lambda x, xs: f_scan(x, xs)[0])
    xb = np.array([0.2, 0.5, 0.8])
    _close(cotan.vmap(g, in_axes=(0, None))(xb, XS), _loop(g, xb, XS, in_axes=(0, None)))


# --- jit, nesting, pretty-printing -----------------------------------------

def test_jit_vs_eager():
    for f, args in [(f_cond, (np.array([0.5, -0.2]), np.array([1.5, 2.0]))),
                    (f_scan, (0.4, XS)), (f_scan_rev, (0.4, XS)), (f_fori, (0.8,)),
                    (f_while, (0.8,)), (f_nested, (0.4, XS))]:
        _close(f(*args), cotan.jit(f)(*args), 1e-6)


def test_make_jaxpr_nests():
    closed = cotan.make_jaxpr(f_nested)(0.4, XS)
    core.check_jaxpr(closed.jaxpr)
    txt = str(closed)
    assert "scan[" in txt and "cond[" in txt and "jaxpr={ lambda" in txt
    assert "branches=(" in txt


# --- long loops: traced once --------------------------------------------------

def test_long_loops_constant_trace_size():
    def f(n):
        return lambda x: lax.fori_loop(0, n, lambda i, c: c * 0.9999 + 1e-4 * jnp.sin(c), x)
    n10 = len(str(cotan.make_jaxpr(f(10))(1.0)))
    n10k = len(str(cotan.make_jaxpr(f(10_000))(1.0)))
    assert abs(n10 - n10k) <= 4   # only the printed length differs
    t = time.perf_counter()
    out = f(10_000)(1.0)
    g = cotan.grad(f(10_000))(1.0)
    w = cotan.jit(lambda x: lax.while_loop(lambda c: c[0] < 10_000,
                                           lambda c: (c[0] + 1, c[1] + 1.0), (0, x)))(0.0)
    assert time.perf_counter() - t < 20
    assert np.isfinite(float(out)) and np.isfinite(float(g)) and float(w[1]) == 10_000.0


# --- errors -------------------------------------------------------------------

def test_branch_mismatch_errors():
    with pytest.raises(TypeError, match="true_fun and false_fun output must have identical types"):
        lax.cond(True, lambda x: x, lambda x: x.astype(jnp.int32), 1.0)
    with pytest.raises(TypeError, match="true_fun and false_fun output must have same type structure"):
        lax.cond(True, lambda x: (x, x), lambda x: x, 1.0)
    with pytest.raises(TypeError, match="identical types"):
        lax.cond(True, lambda x: jnp.ones(3), lambda x: jnp.ones(2), 1.0)
    with pytest.raises(TypeError, match="branch 0 and branch 1 output must have identical"):
        lax.switch(0, [lambda x: x, lambda x: x[None]], jnp.ones(2))
    with pytest.raises(TypeError, match="Pred must be a scalar"):
        lax.cond(jnp.ones(2) > 0, lambda: 1.0, lambda: 2.0)


def test_carry_mismatch_errors():
    with pytest.raises(TypeError, match="carry input and carry output must have equal types"):
        lax.scan(lambda c, x: (c.astype(jnp.int32), x), 1.0, jnp.ones(3))
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.while_loop(lambda c: c < 3, lambda c: (c, c), 0)
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar"):
        lax.while_loop(lambda c: c, lambda c: c + 1, 0)


def test_linearize_of_while_loop_works_and_grad_errors():
    import cotan as jax
    from cotan import lax
    f = lambda x: lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 1.5), (0, x))[1]
    y, f_jvp = jax.linearize(f, 2.0)
    assert abs(float(y) - 2.0 * 1.5 ** 5) < 1e-5
    assert abs(float(f_jvp(1.0)) - 1.5 ** 5) < 1e-5
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        jax.grad(f)(2.0)


def test_associative_scan_reverse_argument_order_matches_jax():
    import cotan.numpy as jnp
    from cotan import lax
    fn = lambda a, b: a * 10 + b  # not associative: exposes the argument order
    np.testing.assert_array_equal(np.asarray(lax.associative_scan(fn, jnp.arange(1., 5.), reverse=True)),
                                  [451., 432., 43., 4.])
    np.testing.assert_array_equal(np.asarray(lax.associative_scan(fn, jnp.arange(1., 5.))),
                                  [1., 12., 123., 154.])
