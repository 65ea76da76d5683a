"""jit's scalar fast paths against eager, bit for bit.

The generated code computes float16/32 scalar transcendentals through the
``math`` module (``one * math.f(x)`` for float32, or fused into the
operator that reads the result), reads 0-d inputs as NumPy scalars, and the
jitted call skips config reads and the output ``post`` hook.  None of this
may change a bit of any result, nor the warnings NumPy gives, compared with
eager cotan."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import cotan as jax
import cotan.numpy as jnp
from cotan import lax
from cotan._src import core
from cotan._src.interpreters import jit as cjit

PRIMS = ["exp", "log", "log1p", "expm1", "tanh", "sin", "cos", "tan", "asin", "acos",
         "atan", "sinh", "cosh", "asinh", "acosh", "atanh"]

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _bits(x):
    v = np.asarray(x._value if isinstance(x, core.Array) else x)
    return v.dtype.str, v.shape, v.view(_UINT[v.dtype.itemsize]).tolist()


def _inputs(dt, n_random=120, seed=0):
    """Special values, signalling and payload NaNs, subnormals, values near
    overflow and domain edges, and random bit patterns (float16: a strided
    sweep of every value)."""
    spec = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1.0, -1.0, 0.5, -0.5, 2.0,
            100.0, -100.0, 88.7, 89.0, 11.1, 12.0, 0.9999, -0.9999, 1e-45, -1e-45, 1e-40,
            -1e-40, 1e-30, 3e38, -3e38, 1e30, 1e10, 6e4, 65504.0, 1e-7, 6e-8]
    with np.errstate(all="ignore"):
        vals = [np.asarray(spec, np.float64).astype(dt)]
    ut = _UINT[np.dtype(dt).itemsize]
    if dt is np.float32:
        nans = [0x7fc00123, 0x7f800001, 0x7fa00000, 0xff800001, 0xffc00001, 0x7fffffff,
                0xffffffff, 0x00000001, 0x80000001, 0x007fffff, 0x00800000]
        rng = np.random.default_rng(seed)
        vals.append(np.asarray(nans, ut).view(dt))
        vals.append(rng.integers(0, 2 ** 32, n_random, dtype=np.uint64).astype(ut).view(dt))
        vals.append(rng.standard_normal(n_random // 2).astype(dt))
    else:
        vals.append(np.asarray([0x7e12, 0x7c01, 0xfd00, 0x0001, 0x8001, 0x03ff], ut).view(dt))
        vals.append(np.arange(0, 2 ** 16, 263, dtype=np.uint32).astype(ut).view(dt))
    return np.concatenate(vals)


def _run(f, x):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = f(x)
    out = out if isinstance(out, tuple) else (out,)
    return [_bits(o) for o in out], sorted({(c.category.__name__, str(c.message)) for c in w})


def _same_as_eager(f, xs, forms=2):
    jf = jax.jit(f)
    for i, xv in enumerate(xs):
        # inputs as 0-d arrays (jnp.asarray) and as NumPy scalars inside an Array
        x = jnp.asarray(xv) if i % forms == 0 else core.Array(xv[()], False)
        e = _run(f, x)
        j = _run(jf, x)
        assert j == e, (repr(xv), e, j)


def _programs(p, q, c):
    return {
        "plain": lambda x: p(x),
        "mul_const": lambda x: p(x) * c,
        "const_add": lambda x: c + p(x),
        "const_sub": lambda x: c - p(x),
        "sub_const": lambda x: p(x) - c,
        "used_twice": lambda x: (p(x) * c, p(x)),
        "two_math": lambda x: p(x) * q(x),
        "chain": lambda x: x * (p(x) * c + c),
        "neg": lambda x: -p(x) + x,
    }


_PROGRAM_NAMES = list(_programs(None, None, None))


@pytest.mark.parametrize("dt", [np.float32, np.float16], ids=["f32", "f16"])
@pytest.mark.parametrize("name", PRIMS)
def test_scalar_math_bit_exact(name, dt):
    p = getattr(lax, name)
    q = lax.cos if name == "sin" else lax.sin
    c = np.asarray(1.25, dt)
    xs = _inputs(dt)
    for prog in _programs(p, q, c).values():
        _same_as_eager(prog, xs)


def test_generated_code_uses_fast_paths():
    def f(x):
        return jnp.sin(x) * 1.01 + jnp.cos(x)

    x = jnp.asarray(np.float32(0.5))
    src = jax.jit(f).lower(x).as_text().split("# generated Python")[1]
    # the 0-d input is read as a NumPy scalar, math gets it as it is
    assert "sa0 = a0[()] if type(a0) is _nd else a0" in src
    assert "float(" not in src
    # sin is fused into its multiply, cos materialised with one * d (no
    # dtype constructor) and fused into the add
    assert "t_" not in src
    assert "one_" not in src
    # one guard around the whole fast body (no effects): math errors rerun
    # the program on the impls
    assert src.count("except (ValueError, OverflowError, ZeroDivisionError)") == 1
    assert "return _slow(a0)" in src

    def g(x):
        return jnp.sin(x) + jnp.sin(x) * 2.0   # cse: one sin read twice

    src = jax.jit(g).lower(x).as_text().split("# generated Python")[1]
    assert "one_" in src and "t_" not in src


def test_float16_keeps_constructor():
    x = jnp.asarray(np.float16(0.5))
    src = jax.jit(jnp.sin).lower(x).as_text()
    assert "t_" in src and "one_" not in src


def test_no_fast_math_for_float64_and_arrays(x64):
    x = jnp.asarray(np.float64(0.5))
    src = jax.jit(lambda x: jnp.sin(x) * 2.0).lower(x).as_text()
    assert "m_" not in src
    np.testing.assert_array_equal(jax.jit(lambda x: jnp.sin(x) * 2.0)(x),
                                  jnp.sin(x) * 2.0)
    a = jnp.asarray(np.linspace(-3, 3, 7, dtype=np.float32))
    f = lambda x: jnp.exp(x) * 2.0 - jnp.sin(x)  # noqa: E731
    assert "m_" not in jax.jit(f).lower(a).as_text()
    assert _bits(jax.jit(f)(a)) == _bits(f(a))


def test_math_errors_fall_back_to_impl():
    cases = [(lax.log, -1.0), (lax.log, 0.0), (lax.asin, 2.0), (lax.acos, -3.0),
             (lax.acosh, 0.5), (lax.atanh, 1.0), (lax.atanh, -2.0), (lax.exp, 1000.0),
             (lax.cosh, 1000.0), (lax.sinh, -1000.0), (lax.expm1, 800.0),
             (lax.sin, np.inf), (lax.cos, -np.inf), (lax.tan, np.inf), (lax.log1p, -1.0),
             (lax.log1p, -2.0)]
    for p, v in cases:
        xs = np.asarray([v], np.float32)
        for f in (lambda x: p(x), lambda x: p(x) * np.float32(2.0),
                  lambda x: np.float32(3.0) - p(x)):
            _same_as_eager(f, xs, forms=1)
            _same_as_eager(f, np.asarray([v], np.float16), forms=1)


def test_overflow_warns_as_eager():
    x = jnp.asarray(np.float32(100.0))
    for f in (jnp.exp, lambda x: jnp.exp(x) * 2.0, lambda x: 1.0 - jnp.cosh(x)):
        e = _run(f, x)
        j = _run(jax.jit(f), x)
        assert e == j
        assert ("RuntimeWarning", "overflow encountered in cast") in j[1]
        with np.errstate(over="raise"):
            with pytest.raises(FloatingPointError):
                f(x)
            with pytest.raises(FloatingPointError):
                jax.jit(f)(x)


def test_fusion_not_across_effects():
    seen = []

    def f(x):
        s = jnp.sin(x)
        jax.debug.callback(lambda v: seen.append(float(v)), x)
        return s * 2.0

    x = jnp.asarray(np.float32(0.5))
    src = jax.jit(f).lower(x).as_text().split("# generated Python")[1]
    # sin is computed before the callback, as written
    assert src.index("m_") < src.index("callback")
    assert _bits(jax.jit(f)(x)) == _bits(f(x))
    assert seen == [0.5, 0.5]


def test_two_pending_operands_fuse_one():
    f = lambda x: jnp.sin(x) * jnp.cos(x)  # noqa: E731
    x = jnp.asarray(np.float32(0.3))
    src = jax.jit(f).lower(x).as_text().split("# generated Python")[1]
    assert src.count("one_") == 1
    _same_as_eager(f, _inputs(np.float32, 40))


def test_nan_propagation_zero_d_operands():
    """A 0-d array and a NumPy scalar give the same NaN (sign, payload) in
    eager and jit: both read 0-d operands as scalars."""
    a = np.float32(-np.nan)
    b = np.asarray(np.float32(np.nan))
    for f in (lambda x: x + b, lambda x: x * b, lambda x: b - x, lambda x: x + x * b):
        for x in (jnp.asarray(a), core.Array(a, False)):
            assert _bits(jax.jit(f)(x)) == _bits(f(x))
    # the eager impls themselves: 0-d arrays and scalars agree
    from cotan._src.lax import elementwise as ew
    for p in (ew.add_p, ew.sub_p, ew.mul_p):
        for x, y in ((a, b), (b, a), (np.asarray(a), b)):
            r0 = p.impl(x, y)
            r1 = p.impl(np.asarray(x)[()], np.asarray(y)[()])
            assert type(r0) is np.float32
            assert _bits(r0) == _bits(r1)


def test_zero_d_literal_constants_are_scalars():
    c = np.asarray(np.float32(0.1))
    f = lambda x: x * c + c  # noqa: E731
    x = jnp.asarray(np.float32(3.0))
    exe = cjit.compiled(jax.make_jaxpr(f)(x))
    for n, v in exe.fn.__globals__.items():
        if n.startswith("k"):
            assert type(v) is not np.ndarray
    assert _bits(jax.jit(f)(x)) == _bits(f(x))


def _chain(x):
    for _ in range(20):
        x = x * (jnp.sin(x) * 1.01 + 0.1)
    return x


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_jit_grad_chain_bit_exact():
    xs = np.concatenate([_inputs(np.float32, 60, seed=3),
                         np.linspace(-4, 4, 41, dtype=np.float32)])
    for g in (jax.grad(_chain), jax.value_and_grad(_chain)):
        jg = jax.jit(g)
        for i, xv in enumerate(xs):
            x = jnp.asarray(xv) if i % 2 else core.Array(xv, False)
            e = g(x)
            j = jg(x)
            e = e if isinstance(e, tuple) else (e,)
            j = j if isinstance(j, tuple) else (j,)
            assert [_bits(a) for a in e] == [_bits(b) for b in j], repr(xv)


# --------------------------------------------------------------------------
# the call path


def test_call_path_follows_config_changes():
    n = []

    def f(x):
        n.append(1)
        return x * 2.0

    jf = jax.jit(f)
    x = jnp.asarray(np.float32(1.5))
    jf(x)
    jf(x)
    assert len(n) == 1
    with jax.disable_jit():
        r = jf(x)
        assert len(n) == 2           # ran eagerly, not the cached program
    assert float(r) == 3.0
    jf(x)
    assert len(n) == 2
    jax.config.update("jax_debug_nans", True)
    try:
        jf(x)
    finally:
        jax.config.update("jax_debug_nans", False)
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        jf(x)                        # another signature: traced again
        assert len(n) == 3
    finally:
        jax.config.update("jax_enable_x64", old)
    jf(x)
    assert len(n) == 3
    assert cjit._PLAIN and cjit._X64 == jax.config.jax_enable_x64


def test_call_path_outputs():
    # one output: weak type kept, value an Array
    jf = jax.jit(lambda x: x * 2.0)
    for _ in range(2):
        r = jf(3.0)
        assert type(r) is core.Array and r.weak_type and float(r) == 6.0
        r = jf(jnp.asarray(np.float32(3.0)))
        assert type(r) is core.Array and not r.weak_type and r.dtype == np.float32
    # several arguments, one output
    jg = jax.jit(lambda x, y: x * y)
    a = jnp.asarray(np.float32(2.0))
    for _ in range(2):
        r = jg(a, a)
        assert type(r) is core.Array and float(r) == 4.0
    # two arguments: the key tells dtypes and weak types apart
    ai = jnp.asarray(np.int32(3))
    for _ in range(2):
        assert jg(ai, ai).dtype == np.int32 and int(jg(ai, ai)) == 9
        assert jg(a, a).dtype == np.float32
        r = jg(core.Array(np.float32(2.0), True), core.Array(np.float32(2.0), True))
        assert r.weak_type
        r = jax.jit(lambda x, y: (y, x * y))(a, a)
        assert isinstance(r, tuple) and float(r[1]) == 4.0
    # pytree outputs keep their structure
    jh = jax.jit(lambda x: {"a": x, "b": (x * 2.0,)})
    for _ in range(2):
        r = jh(a)
        assert set(r) == {"a", "b"} and float(r["b"][0]) == 4.0
    # a list holding one array is not a bare array
    jl = jax.jit(lambda x: [x])
    for _ in range(2):
        r = jl(a)
        assert isinstance(r, list) and len(r) == 1


def test_identity_of_zero_d_input_is_preserved():
    x = jnp.asarray(np.float32(-0.0))
    r = jax.jit(lambda x: x)(x)
    assert _bits(r) == _bits(x)
    r = jax.jit(lambda x: -x)(x)
    assert _bits(r) == _bits(-x)
    assert math.copysign(1.0, float(r)) == 1.0


def test_effectful_programs_guard_each_math_call():
    # a program with an effect may not run twice: each math call keeps its
    # own fallback, and the effect runs once even when math raises
    seen = []

    def f(x):
        y = jnp.sin(x) * 2.0
        jax.debug.callback(lambda v: seen.append(float(v)), y)
        return jnp.log(y) + 1.0

    x = jnp.asarray(np.float32(0.5))
    src = jax.jit(f).lower(x).as_text().split("# generated Python")[1]
    assert src.count("except (ValueError, OverflowError, ZeroDivisionError)") == 2
    g = jax.jit(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = g(jnp.asarray(np.float32(-0.5)))       # log of a negative: the impl path
    assert np.isnan(np.asarray(out)) and len(seen) == 1


def test_whole_program_fallback_matches_eager_on_bad_inputs():
    def f(x):
        return jnp.sin(x) * jnp.exp(x) + jnp.log(x)

    g = jax.jit(f)
    with np.errstate(all="ignore"):
        for v in [0.5, np.inf, -np.inf, 0.0, -1.0, np.nan, 100.0, 0.25]:
            x = jnp.asarray(np.float32(v))
            np.testing.assert_array_equal(np.asarray(g(x)), np.asarray(f(x)))


@pytest.mark.parametrize("arg", [0.5, 3, True, 1.5 + 2j, np.float32(0.25), np.float64(0.25),
                                 np.int32(4), np.array(0.5), np.arange(3.0),
                                 np.arange(3, dtype=np.int16), np.bool_(False)])
def test_fast_call_path_converts_python_and_numpy_arguments(arg):
    # Python/NumPy arguments take the fast call path; it must agree with the
    # general path (an Array of the canonical value) in value, dtype and
    # weak type
    f = lambda x: x * 2 + 1
    g = jax.jit(f)
    want = jax.jit(f)(x=arg)                # keyword arguments: the general path
    first = g(arg)
    again = g(arg)                          # the fast path, now cached
    for out in (first, again):
        assert out.dtype == want.dtype and out.weak_type == want.weak_type
        np.testing.assert_array_equal(np.asarray(out), np.asarray(want))
    assert type(again) is type(want)


def test_fast_call_path_weak_python_scalars_share_one_trace():
    g = jax.jit(lambda x: x + 1.0)
    g(0.5)
    g(1.5)
    g(2)          # int: a different (weak int32) signature
    assert g._trace_count() == 2
    with pytest.raises(OverflowError):
        g(2 ** 40)
