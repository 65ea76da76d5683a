"""The fast paths of eager scalar code: the tape's cache of templates keyed by
interned operand types (rule_cache._FAST), operators on two tracers of one
kind (array_methods), and the scalar branches of the elementwise impls.  Each
must give exactly what the general path gives: same bits, dtypes and weak
types, same errors."""
import math

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan import config
from cotan._src import core
from cotan._src.interpreters import ad, rule_cache
from cotan._src.lax import elementwise as lx
from cotan.errors import UnexpectedTracerError


def _chain(x):
    for _ in range(5):
        x = x * (jnp.sin(x) * 1.01 + 0.1)
    return x


# every operand pattern of the fast path: unary; tracer * weak constant;
# constant (reflected) * tracer; tracer + constant (forward_input: no tape
# entry); tracer * tracer; strong constants; small arrays
PROGRAMS = {
    "chain": _chain,
    "unary": lambda x: jnp.cos(jnp.exp(x * 0.5)),
    "reflected": lambda x: 2.0 * x - (1.5 - x) + 3 * jnp.sin(x),
    "strong_const": lambda x: x * jnp.float32(1.25) + jnp.asarray(0.5, jnp.float32) * x,
    "numpy_const": lambda x: x * np.float32(3.0) + np.float32(0.25) * jnp.tanh(x),
    "reuse": lambda x: (lambda s: s * s * x + s)(jnp.sin(x)),
    "sub_div": lambda x: (x - jnp.sin(x)) / (x * x + 1.0),
}


def _linearize_both(f, x):
    flat = lambda *xs: [f(*xs)]
    leaves = [core.to_array(x)]
    fast = ad.linearize_flat(flat, leaves, use_tape=True)
    slow = ad.linearize_flat(flat, leaves, use_tape=False)
    assert isinstance(fast, rule_cache.TapeLinearizeResult)
    return fast, slow


def _assert_same(a, b, weak=True):
    a, b = core.to_array(a), core.to_array(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    if weak:
        assert a.weak_type == b.weak_type
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@pytest.mark.parametrize("x", [0.5, np.float32(0.7), np.float16(0.3),
                               np.array([0.2, -1.3, 2.0], np.float32)],
                         ids=["weak", "f32", "f16", "vec"])
def test_tape_matches_generic_path_bitwise(name, x):
    f = PROGRAMS[name]
    for _ in range(2):   # the second run takes the fast path all the way
        fast, slow = _linearize_both(f, x)
        _assert_same(fast.out_primals[0], slow.out_primals[0])
        _assert_same(fast.out_primals[0], f(core.to_array(x)))   # and eager
        ct = core.Array(np.ones(np.shape(x), core.get_aval(fast.out_primals[0]).dtype))
        # (the raw backward passes differ in the weak type of the input
        # cotangent, which the API normalizes; values and dtypes agree)
        _assert_same(fast.backward([ct])[0], slow.backward([ct])[0], weak=False)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_tape_matches_generic_path_x64(name, x64):
    fast, slow = _linearize_both(PROGRAMS[name], 0.5)
    _assert_same(fast.out_primals[0], slow.out_primals[0])
    ct = core.Array(np.ones((), np.float64))
    _assert_same(fast.backward([ct])[0], slow.backward([ct])[0], weak=False)


def test_second_call_never_takes_the_general_path(monkeypatch):
    g = cotan.grad(_chain)
    want = g(0.5)
    calls = []
    general = rule_cache.TapeTrace._process_general

    def counting(self, *args):
        calls.append(args[0])
        return general(self, *args)
    monkeypatch.setattr(rule_cache.TapeTrace, "_process_general", counting)
    _assert_same(g(0.5), want)
    assert calls == []


def test_weak_and_strong_constants_get_their_own_templates():
    # same primitive and shapes, differing only in the constant's weak type:
    # one _FAST entry must not serve the other
    def f(x):
        a = x * 2.0                      # weak * weak -> weak
        b = x * jnp.float32(2.0)         # weak * strong -> strong
        c = jnp.float32(2.0) * x
        return a, b, c
    for _ in range(2):
        out, _ = cotan.vjp(f, 1.5)
        eager = f(core.to_array(1.5))
        for o, e in zip(out, eager):
            _assert_same(o, e)
        assert [o.weak_type for o in out] == [True, False, False]


def test_tracers_share_interned_type_keys():
    keys = []

    def f(x):
        y = jnp.sin(x) * 2.0
        z = jnp.cos(x)
        keys.extend([x.key, y.key, z.key])
        return y + z
    cotan.grad(f)(0.5)
    assert keys[0] is keys[1] is keys[2]
    assert keys[0].tup == ((), np.dtype(np.float32), True, True)


def test_fast_cache_cleared_when_a_rule_changes():
    g = cotan.grad(_chain)
    want = g(0.5)
    assert rule_cache._FAST
    old = ad.primitive_jvps[lx.sin_p]
    # a (wrong) rule: d sin = 2 cos.  Templates made from the old one must go.
    ad.primitive_jvps[lx.sin_p] = lambda primals, tangents: (
        lx.sin(primals[0]), lx.mul(lx.mul(tangents[0], lx.cos(primals[0])), 2.0))
    try:
        assert not rule_cache._FAST
        assert float(cotan.grad(lambda x: jnp.sin(x))(0.5)) == pytest.approx(
            2 * math.cos(0.5), rel=1e-6)
    finally:
        ad.primitive_jvps[lx.sin_p] = old
    _assert_same(g(0.5), want)


def test_escaped_tape_tracer_raises_on_every_fast_path_shape():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0
    cotan.grad(f)(1.0)
    old = leaked[0]
    assert type(old) is rule_cache.TapeTracer
    for g in (lambda x: x * old, lambda x: old * x, lambda x: x + jnp.sin(old),
              lambda x: x * (old * 2.0)):
        with pytest.raises(UnexpectedTracerError):
            cotan.grad(g)(1.0)
    with pytest.raises(UnexpectedTracerError):
        old * 2.0
    with pytest.raises(UnexpectedTracerError):
        jnp.sin(old)


def test_debug_nans_turns_the_tape_off():
    seen = []

    def f(x):
        seen.append(type(x).__name__)
        return _chain(x)
    want = cotan.grad(f)(0.5)
    config.update("jax_debug_nans", True)
    try:
        got = cotan.grad(f)(0.5)
    finally:
        config.update("jax_debug_nans", False)
    assert seen == ["TapeTracer", "JVPTracer"]
    np.testing.assert_allclose(float(got), float(want), rtol=1e-6)


# --------------------------------------------------------------------------
# x (op) y on two tracers of one kind binds the primitive directly when
# promotion would change nothing; everything else keeps NumPy/JAX semantics


def test_same_kind_tracer_operators_keep_promotion_and_bool_semantics():
    t, f_ = jnp.array([True, False, True]), jnp.array([True, True, False])
    for op in (lambda a, b: a + b, lambda a, b: a * b):
        _assert_same(cotan.jit(op)(t, f_), op(t, f_))            # bool: or / and
    i = jnp.array([1, 2, 3], jnp.int32)
    v = jnp.array([0.5, 1.5, 2.5], jnp.float32)
    h = jnp.array([0.5, 1.5, 2.5], jnp.float16)
    m = jnp.ones((2, 1), jnp.float32)
    for a, b in ((v, i), (i, v), (v, h), (v, m), (i, i), (v, v)):
        for op in (lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b):
            _assert_same(cotan.jit(op)(a, b), op(a, b))
    # weak * strong under grad: the strong dtype wins, not weak
    out, _ = cotan.vjp(lambda x, y: x * y, 1.5, jnp.float32(2.0))
    assert out.dtype == np.float32 and not out.weak_type
    # broadcasting and mixed dtypes between two tape tracers
    gx, gy = cotan.grad(lambda x, y: jnp.sum(x * y), argnums=(0, 1))(v, m)
    np.testing.assert_array_equal(np.asarray(gx), np.full(3, 2.0, np.float32))
    np.testing.assert_array_equal(np.asarray(gy), np.full((2, 1), 4.5, np.float32))


# --------------------------------------------------------------------------
# scalar branches of the elementwise impls


EDGE = [0.0, -0.0, 0.5, -1.5, 2.0, 100.0, 1e30, -1e30, np.inf, -np.inf, np.nan]


def _bits(r):
    return type(r), np.asarray(r).dtype, np.asarray(r).tobytes()


@pytest.mark.parametrize("prim", [lx.sin_p, lx.cos_p, lx.exp_p, lx.log_p, lx.tanh_p, lx.log1p_p,
                                  lx.asin_p, lx.acosh_p, lx.atanh_p, lx.sinh_p],
                         ids=lambda p: p.name)
@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64, np.complex64])
def test_transcendental_scalar_and_0d_agree(prim, dt):
    with np.errstate(all="ignore"):
        for v in EDGE:
            s = np.asarray(v).astype(dt)
            a, b = prim.impl(s[()]), prim.impl(s)
            assert _bits(a) == _bits(b)
            assert type(a) is dt
            if dt in (np.float16, np.float32) and np.isfinite(s):
                # correctly rounded: through double precision
                ref = dt(getattr(np, prim.impl.__name__)(np.float64(s)))
                assert np.asarray(a).tobytes() == np.asarray(ref).tobytes()


@pytest.mark.parametrize("prim", [lx.add_p, lx.sub_p, lx.mul_p], ids=lambda p: p.name)
@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64, np.complex64,
                                np.complex128])
def test_arithmetic_scalar_pairs_agree_with_0d(prim, dt):
    ufunc = {"add": np.add, "sub": np.subtract, "mul": np.multiply}[prim.name]
    with np.errstate(all="ignore"):
        for u in EDGE:
            for v in EDGE:
                x, y = dt(u), dt(v)
                r = prim.impl(x, y)
                assert type(r) is dt
                assert _bits(r) == _bits(prim.impl(np.asarray(x), np.asarray(y)))
                if dt(0).real.dtype == dt(0).dtype:   # real: exactly the ufunc
                    assert np.asarray(r).tobytes() == np.asarray(ufunc(x, y)).tobytes()
