"""The eager reverse-mode fast path (rule templates on a tape) must agree
with the generic JVP + partial evaluation + transposition path, row by row
of the primitive table, and the jaxpr it splices must type-check."""
import numpy as np
import pytest

import cotan
from cotan._src import core
from cotan._src.interpreters import ad, lifted_tape, rule_cache
from cotan._src.tree_util import tree_flatten, tree_unflatten

from test_primitives import ROWS

DIFF_ROWS = [r for r in ROWS if r.diff and not r.jvp_missing]


def _both(row):
    args = row.make_args()
    leaves, tree = tree_flatten(args)
    leaves = [core.to_array(x) for x in leaves]

    def flat(*xs):
        out = row.fun(*tree_unflatten(tree, xs))
        o_leaves, _ = tree_flatten(out)
        return [core.to_array(o) if not isinstance(o, core.Array) else o for o in o_leaves]

    fast = ad.linearize_flat(flat, leaves, use_tape=True)
    slow = ad.linearize_flat(flat, leaves, use_tape=False)
    return fast, slow, leaves


@pytest.mark.parametrize("row", DIFF_ROWS, ids=[r.id for r in DIFF_ROWS])
def test_tape_matches_generic_path(row, x64):
    fast, slow, leaves = _both(row)
    assert isinstance(fast, rule_cache.TapeLinearizeResult)
    rng = np.random.default_rng(1)
    cts = []
    for p in slow.out_primals:
        a = core.get_aval(p)
        if a.dtype.kind in "fc":
            cts.append(core.Array(rng.standard_normal(a.shape).astype(a.dtype)))
        else:
            cts.append(None)
    for p, q in zip(fast.out_primals, slow.out_primals):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    g_fast = fast.backward(cts)
    g_slow = slow.backward(cts)
    for a, b, x in zip(g_fast, g_slow, leaves):
        a = np.zeros(core.get_aval(x).shape) if type(a) is ad.Zero else np.asarray(a)
        b = np.zeros(core.get_aval(x).shape) if type(b) is ad.Zero else np.asarray(b)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # the spliced linear jaxpr is well typed and transposes to the same values
    core.check_jaxpr(fast.jaxpr)
    g_spliced = ad.backward_pass(fast.jaxpr, fast.consts, cts)
    for a, b, x in zip(g_spliced, g_slow, leaves):
        a = np.zeros(core.get_aval(x).shape) if type(a) is ad.Zero else np.asarray(a)
        b = np.zeros(core.get_aval(x).shape) if type(b) is ad.Zero else np.asarray(b)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_tape_used_only_at_top_level():
    seen = []

    def f(x):
        seen.append(type(x).__name__)
        return cotan.numpy.sin(x)
    cotan.grad(f)(1.0)
    cotan.grad(cotan.grad(f))(1.0)
    assert seen[0] == "TapeTracer"
    assert "TapeTracer" not in seen[1:]  # nested: the generic path


def test_pullback_on_tracers_uses_spliced_jaxpr():
    y, pb = cotan.vjp(lambda x: cotan.numpy.sin(x) * x, 2.0)
    out = cotan.jit(pb)(1.0)[0]
    np.testing.assert_allclose(float(out), np.cos(2.0) * 2.0 + np.sin(2.0), rtol=1e-6)
    txt = str(cotan.make_jaxpr(pb)(1.0))
    assert "mul" in txt


def test_tape_residuals_freed_with_the_pullback():
    import gc
    import weakref

    def f(x):
        for _ in range(200):
            x = cotan.numpy.sin(x)
        return cotan.numpy.sum(x)

    y, pb = cotan.vjp(f, cotan.numpy.full((8,), 0.5))
    tape = pb.res.tape
    refs = [weakref.ref(r) for entry in tape for r in entry[1] if isinstance(r, np.ndarray)]
    assert len(refs) >= 200
    pb(1.0)
    del pb, tape, y  # (the output value is the last entry's first result)
    gc.collect()
    assert sum(r() is not None for r in refs) == 0


# --------------------------------------------------------------------------
# Under one outer jvp (forward-over-reverse) the tape runs lifted: templates'
# forward and backward programs are replaced by their JVPs.  Same results as
# the generic path (JVP of JVP + staging + transposition), row by row.


def _lifted_run(row, use_tape, mode):
    args = row.make_args()
    leaves, tree = tree_flatten(args)
    leaves = [core.to_array(x) for x in leaves]
    rng = np.random.default_rng(3)
    tangents = [core.Array(rng.standard_normal(np.shape(x)).astype(core.get_aval(x).dtype))
                if core.get_aval(x).dtype.kind in "fc" else ad.Zero(core.get_aval(x).to_tangent_aval())
                for x in leaves]
    seen = {}

    def flat(*xs):
        out = row.fun(*tree_unflatten(tree, xs))
        o_leaves, _ = tree_flatten(out)
        return [core.to_array(o) if not isinstance(o, core.Array) else o for o in o_leaves]

    def outer_fun(*xs):
        lin = ad.linearize_flat(flat, list(xs), use_tape=use_tape)
        seen["type"] = type(lin)
        trace = core._state.stack[-1]
        crng = np.random.default_rng(4)
        cts = []
        for p in lin.out_primals:
            a = core.get_aval(p)
            if a.dtype.kind not in "fc":
                cts.append(None)
                continue
            c = core.Array(crng.standard_normal(a.shape).astype(a.dtype))
            if mode == "tracer_cts":
                c = ad.JVPTracer(trace, c, core.Array(crng.standard_normal(a.shape).astype(a.dtype)))
            cts.append(c)
        if mode == "spliced":
            core.check_jaxpr(lin.jaxpr)
            g = ad.backward_pass(lin.jaxpr, lin.consts, cts)
        else:
            g = lin.backward(cts)
        g = [ad.instantiate_zeros(c) if type(c) is ad.Zero else c for c in g]
        return list(lin.out_primals) + g

    out_p, out_t = ad.jvp_flat(outer_fun, leaves, tangents)
    vals = [np.asarray(x) for x in out_p] + [
        None if type(t) is ad.Zero else np.asarray(t) for t in out_t]
    return vals, seen["type"]


ORDER2_ROWS = [r for r in DIFF_ROWS if r.order >= 2]


@pytest.mark.parametrize("mode", ["array_cts", "tracer_cts", "spliced"])
@pytest.mark.parametrize("row", ORDER2_ROWS, ids=[r.id for r in ORDER2_ROWS])
def test_lifted_tape_matches_generic_path(row, mode, x64):
    fast, tf = _lifted_run(row, True, mode)
    slow, ts = _lifted_run(row, False, mode)
    assert tf is lifted_tape.LiftLinearizeResult and ts is ad.LinearizeResult
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow):
        if a is None or b is None:
            z = a if b is None else b
            if z is not None:
                np.testing.assert_array_equal(z, np.zeros_like(z))
            continue
        if a.dtype.kind == "V" or b.dtype.kind == "V":   # float0 tangents of integers
            assert a.shape == b.shape
            continue
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_hvp_runs_lifted_and_is_exact():
    import cotan.numpy as jnp
    rng = np.random.default_rng(2)
    X = cotan.numpy.asarray(rng.standard_normal((3, 4)))
    V = cotan.numpy.asarray(rng.standard_normal((3, 4)))
    seen = []

    def f(X):
        seen.append(type(X).__name__)
        return jnp.sum(jnp.tanh(X) ** 2)
    _, hv = cotan.jvp(cotan.grad(f), (X,), (V,))
    assert seen == ["LiftTracer"]
    t = np.tanh(np.asarray(X))
    s = 1 - t * t
    np.testing.assert_allclose(np.asarray(hv), (2 * s * s - 4 * t * t * s) * np.asarray(V),
                               rtol=1e-5, atol=1e-6)
    # a closed-over value of the outer jvp (not an input of grad) carries its tangent
    def g(c):
        return cotan.grad(lambda x: jnp.sum(jnp.sin(c * x)))(X)
    c0, dc = 1.3, 0.7
    _, dg = cotan.jvp(g, (c0,), (dc,))
    Xn = np.asarray(X)
    expect = (np.cos(c0 * Xn) - c0 * Xn * np.sin(c0 * Xn)) * dc
    np.testing.assert_allclose(np.asarray(dg), expect, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------
# vmap of a tape pullback (jacrev, per-example cotangents) runs each
# template's batched backward program; same values as the generic path.


@pytest.mark.parametrize("dims", ["lead", "mixed"])
@pytest.mark.parametrize("row", DIFF_ROWS, ids=[r.id for r in DIFF_ROWS])
def test_batched_tape_backward_matches_generic_path(row, dims, x64):
    from cotan._src.interpreters import batching
    fast, slow, leaves = _both(row)
    rng = np.random.default_rng(5)
    size = 3
    cts, in_dims = [], []
    for k, p in enumerate(slow.out_primals):
        a = core.get_aval(p)
        if a.dtype.kind not in "fc":
            cts.append(None)
            in_dims.append(None)
            continue
        if dims == "mixed" and k % 2 == 1:          # an unbatched cotangent
            cts.append(core.Array(rng.standard_normal(a.shape).astype(a.dtype)))
            in_dims.append(None)
            continue
        d = a.ndim if dims == "mixed" else 0        # batch axis last, or first
        shape = list(a.shape)
        shape.insert(d, size)
        cts.append(core.Array(rng.standard_normal(shape).astype(a.dtype)))
        in_dims.append(d)

    def run(res):
        def pull(*cs):
            g = res.backward(list(cs))
            return [ad.instantiate_zeros(c) if type(c) is ad.Zero else c for c in g]
        ins = [c if c is not None else None for c in cts]
        return batching.batch_flat(pull, ins, in_dims, size, None, lambda n: [0] * n)

    calls = []
    orig = fast._batched_backward

    def spy(c):
        out = orig(c)
        calls.append(out is not None)
        return out
    fast._batched_backward = spy
    g_fast = run(fast)
    g_slow = run(slow)
    if any(d is not None for d in in_dims):
        assert calls == [True]          # the compiled batched path ran
    for a, b in zip(g_fast, g_slow):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind == "V":          # float0 cotangents of integer inputs
            assert a.shape == b.shape
            continue
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# Eager jvp runs compiled JVP templates (a JVP trace at the bottom of the
# stack); same values, dtypes and weak types as the generic rule, row by row.


def _jvp_run(row, enabled):
    args = row.make_args()
    leaves, tree = tree_flatten(args)
    leaves = [core.to_array(x) for x in leaves]
    rng = np.random.default_rng(6)
    tangents = [core.Array(rng.standard_normal(np.shape(x)).astype(core.get_aval(x).dtype))
                if core.get_aval(x).dtype.kind in "fc" else ad.Zero(core.get_aval(x).to_tangent_aval())
                for x in leaves]

    def flat(*xs):
        out = row.fun(*tree_unflatten(tree, xs))
        o_leaves, _ = tree_flatten(out)
        return [core.to_array(o) if not isinstance(o, core.Array) else o for o in o_leaves]

    saved = rule_cache.ENABLED
    rule_cache.ENABLED = enabled
    try:
        out_p, out_t = ad.jvp_flat(flat, leaves, tangents)
    finally:
        rule_cache.ENABLED = saved
    return list(out_p) + list(out_t)


@pytest.mark.parametrize("row", DIFF_ROWS, ids=[r.id for r in DIFF_ROWS])
def test_eager_jvp_templates_match_generic_rules(row, x64):
    fast = _jvp_run(row, True)
    slow = _jvp_run(row, False)
    for a, b in zip(fast, slow):
        if type(a) is ad.Zero or type(b) is ad.Zero:
            assert type(a) is type(b)
            continue
        assert a.dtype == b.dtype and a.weak_type == b.weak_type
        if a.dtype.kind == "V":
            continue
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)


def test_eager_jvp_uses_templates():
    seen = []
    orig = rule_cache._jvp_program

    def spy(*a, **k):
        seen.append(a[0].name)
        return orig(*a, **k)
    rule_cache._jvp_program = spy
    rule_cache._JVP_CACHE.clear()
    try:
        f = lambda x: cotan.numpy.sin(x) * x
        cotan.jvp(f, (0.7,), (1.0,))
        n = len(seen)
        assert n >= 2
        y, t = cotan.jvp(f, (0.3,), (2.0,))      # cached: nothing new is built
        assert len(seen) == n
    finally:
        rule_cache._jvp_program = orig
    np.testing.assert_allclose(float(t), 2.0 * (np.cos(0.3) * 0.3 + np.sin(0.3)), rtol=1e-6)
