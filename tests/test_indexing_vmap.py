"""vmap of the indexing primitives (rev, dynamic_slice, dynamic_update_slice,
gather, scatter*): every batching combination against a Python loop over the
batch, out-of-bounds / repeated indices, derivatives, nested vmap, jit, the
jnp level, and a check that a batch of index operations stays ONE operation."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import cotan
import cotan as jax
import cotan.numpy as jnp
from cotan import lax

N = 3  # batch size
RNG = np.random.default_rng(1234)


# --------------------------------------------------------------------------
# helpers


def batch_arg(examples, axis):
    """Stack per-example arrays along ``axis`` (None: the first example, unbatched)."""
    if axis is None:
        return examples[0]
    return np.stack(examples, axis=axis)


def loop_ref(f, in_axes, per_example):
    """Stack ``f`` over a Python loop (``per_example[k][b]`` is arg k of example b)."""
    outs = []
    for b in range(N):
        args = [jnp.asarray(ex[0] if ax is None else ex[b])
                for ex, ax in zip(per_example, in_axes)]
        outs.append(np.asarray(f(*args)))
    return np.stack(outs)


def check_vmap(f, in_axes, per_example, tol=None):
    """``cotan.vmap(f, in_axes)`` on the stacked examples equals the loop."""
    args = [batch_arg(ex, ax) for ex, ax in zip(per_example, in_axes)]
    out = cotan.vmap(f, in_axes)(*args)
    ref = loop_ref(f, in_axes, per_example)
    out = np.asarray(out)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    assert out.dtype == ref.dtype, (out.dtype, ref.dtype)
    if tol is None:
        np.testing.assert_array_equal(out, ref)
    else:
        np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    return args


SCATTER_NAMES = {"scatter", "scatter-add", "scatter-mul", "scatter-min", "scatter-max"}
LOOP_SIGNS = {"dynamic_slice", "dynamic_update_slice", "gather"} | SCATTER_NAMES


def assert_single(closed, name, others_absent=True):
    names = [e.primitive.name for e in closed.jaxpr.eqns]
    assert names.count(name) == 1, names
    if others_absent:
        extra = [n for n in names if n in LOOP_SIGNS and n != name]
        assert not extra, names


def floats(shape):
    return RNG.normal(size=shape).astype(np.float32)


def ints(shape, lo, hi, dtype=np.int32):
    return RNG.integers(lo, hi, size=shape).astype(dtype)


AXES4 = [None, 0, 1, -1]
AXES3 = [None, 0, -1]


def combos(choices, n):
    return [c for c in itertools.product(choices, repeat=n) if any(a is not None for a in c)]


def cid(c):
    return "-".join("N" if a is None else str(a) for a in c)


# --------------------------------------------------------------------------
# rev


@pytest.mark.parametrize("ax", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("dims", [(0,), (1,), (0, 1)])
def test_rev(ax, dims):
    xs = [floats((4, 5)) for _ in range(N)]
    check_vmap(lambda x: lax.rev(x, dims), (ax,), [xs])


def test_rev_single_op_in_jaxpr():
    x = floats((N, 4, 5))
    closed = jax.make_jaxpr(jax.vmap(lambda x: lax.rev(x, (0,)), in_axes=1))(x.transpose(1, 0, 2))
    assert_single(closed, "rev")


# --------------------------------------------------------------------------
# gather


GATHER_CASES = [
    # operand shape, axes, index batch shape, index range
    ((6, 4), (0,), (5,), (-3, 9)),
    ((4, 5, 3), (2, 0), (2, 3), (-2, 7)),
    ((4, 5, 3), (1,), (), (0, 5)),
    ((4, 5, 3), (), (2,), (0, 1)),
]


@pytest.mark.parametrize("mode", ["clip", "fill"])
@pytest.mark.parametrize("case", range(len(GATHER_CASES)))
@pytest.mark.parametrize("in_axes", combos(AXES4, 2), ids=cid)
def test_gather(in_axes, case, mode):
    shape, axes, bshape, (lo, hi) = GATHER_CASES[case]
    xs = [floats(shape) for _ in range(N)]
    idx = [ints(bshape + (len(axes),), lo, hi) for _ in range(N)]

    def f(x, i):
        return lax.gather(x, i, axes, mode=mode)
    check_vmap(f, in_axes, [xs, idx])


@pytest.mark.parametrize("in_axes", combos(AXES3, 2), ids=cid)
def test_gather_fill_value_and_int_dtype(in_axes):
    xs = [ints((5, 4), -50, 50) for _ in range(N)]
    idx = [ints((6, 1), -3, 8, np.int8) for _ in range(N)]
    check_vmap(lambda x, i: lax.gather(x, i, (0,), mode="fill", fill_value=-7), in_axes,
               [xs, idx])
    check_vmap(lambda x, i: lax.gather(x, i, (0,), mode="fill"), in_axes, [xs, idx])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint32])
def test_gather_both_batched_small_index_dtype_large_batch(dtype):
    # the iota column must not overflow the index dtype
    n = 300
    x = floats((n, 4, 2))
    i = np.ones((n, 3, 1), dtype)
    out = jax.vmap(lambda x, i: lax.gather(x, i, (0,), mode="fill"))(x, i)
    ref = np.stack([x[b][i[b][:, 0].astype(np.int64)] for b in range(n)])
    np.testing.assert_array_equal(np.asarray(out), ref)


@pytest.mark.parametrize("in_axes", combos(AXES4, 2), ids=cid)
def test_gather_is_one_gather(in_axes):
    xs = [floats((4, 5, 3)) for _ in range(N)]
    idx = [ints((2, 2), 0, 3) for _ in range(N)]
    args = [batch_arg(xs, in_axes[0]), batch_arg(idx, in_axes[1])]
    f = jax.vmap(lambda x, i: lax.gather(x, i, (0, 2), mode="fill"), in_axes)
    assert_single(jax.make_jaxpr(f)(*args), "gather")


# --------------------------------------------------------------------------
# scatter family


SCATTERS = {
    "scatter": lax.scatter,
    "scatter_add": lax.scatter_add,
    "scatter_mul": lax.scatter_mul,
    "scatter_min": lax.scatter_min,
    "scatter_max": lax.scatter_max,
}


def scatter_examples(op_shape, axes, bshape, lo, hi, repeat=False):
    rest = tuple(s for d, s in enumerate(op_shape) if d not in axes)
    xs = [floats(op_shape) for _ in range(N)]
    if repeat:
        idx = [np.zeros(bshape + (len(axes),), np.int32) + ints((1,) * len(bshape) + (len(axes),),
                                                                0, 2) for _ in range(N)]
    else:
        idx = [ints(bshape + (len(axes),), lo, hi) for _ in range(N)]
    ups = [floats(bshape + rest) for _ in range(N)]
    return xs, idx, ups


@pytest.mark.parametrize("mode", ["drop", "clip"])
@pytest.mark.parametrize("name", list(SCATTERS))
@pytest.mark.parametrize("in_axes", combos(AXES3, 3), ids=cid)
def test_scatter(in_axes, name, mode):
    fn = SCATTERS[name]
    xs, idx, ups = scatter_examples((4, 5, 3), (2, 0), (6,), -2, 6)

    def f(x, i, u):
        return fn(x, i, u, (2, 0), mode=mode)
    check_vmap(f, in_axes, [xs, idx, ups], tol=None if name in ("scatter", "scatter_min",
                                                                 "scatter_max") else 1e-6)


@pytest.mark.parametrize("in_axes", combos(AXES4, 3), ids=cid)
def test_scatter_add_all_axes_repeated_indices(in_axes):
    xs, idx, ups = scatter_examples((5, 4), (0,), (2, 3), 0, 0, repeat=True)
    check_vmap(lambda x, i, u: lax.scatter_add(x, i, u, (0,)), in_axes, [xs, idx, ups],
               tol=1e-6)


@pytest.mark.parametrize("name", list(SCATTERS))
@pytest.mark.parametrize("in_axes", [(0, 0, 0), (None, 0, None), (0, None, 1), (None, None, 0),
                                     (1, -1, 0)], ids=cid)
def test_scatter_repeated_indices(in_axes, name):
    fn = SCATTERS[name]
    xs, idx, ups = scatter_examples((5, 4), (0,), (6,), 0, 0, repeat=True)
    # a few out-of-bounds ones as well
    for i in idx:
        i[1, 0] = 7
        i[4, 0] = -1
    check_vmap(lambda x, i, u: fn(x, i, u, (0,)), in_axes, [xs, idx, ups], tol=1e-6)


@pytest.mark.parametrize("name", list(SCATTERS))
def test_scatter_int_operand(name):
    fn = SCATTERS[name]
    xs = [ints((5, 2), -9, 9) for _ in range(N)]
    idx = [ints((4, 1), -2, 7, np.uint8) for _ in range(N)]
    ups = [ints((4, 2), -9, 9) for _ in range(N)]
    for in_axes in combos(AXES3, 3):
        check_vmap(lambda x, i, u: fn(x, i, u, (0,)), in_axes, [xs, idx, ups])


def test_scatter_unique_and_sorted_flags_kept():
    xs, idx, ups = scatter_examples((6, 2), (0,), (3,), 0, 1)
    idx = [np.array([[0], [2], [5]], np.int32) + b % 2 for b in range(N)]
    for in_axes in combos(AXES3, 3):
        f = lambda x, i, u: lax.scatter(x, i, u, (0,), indices_are_sorted=True,
                                        unique_indices=True)
        check_vmap(f, in_axes, [xs, idx, ups])
        args = [batch_arg(e, a) for e, a in zip([xs, idx, ups], in_axes)]
        closed = jax.make_jaxpr(jax.vmap(f, in_axes))(*args)
        (eq,) = [e for e in closed.jaxpr.eqns if e.primitive.name == "scatter"]
        assert eq.params["unique_indices"] and eq.params["indices_are_sorted"]


@pytest.mark.parametrize("name", list(SCATTERS))
@pytest.mark.parametrize("in_axes", combos([None, 0, 1], 3), ids=cid)
def test_scatter_is_one_scatter(in_axes, name):
    fn = SCATTERS[name]
    xs, idx, ups = scatter_examples((4, 5, 3), (2, 0), (2, 2), 0, 3)
    args = [batch_arg(e, a) for e, a in zip([xs, idx, ups], in_axes)]
    f = jax.vmap(lambda x, i, u: fn(x, i, u, (2, 0)), in_axes)
    assert_single(jax.make_jaxpr(f)(*args), name.replace("_", "-"))


# --------------------------------------------------------------------------
# dynamic_slice


@pytest.mark.parametrize("in_axes", [(x,) + s for x in AXES4
                                     for s in itertools.product([None, 0], repeat=3)
                                     if x is not None or any(a is not None for a in s)], ids=cid)
def test_dynamic_slice(in_axes):
    xs = [floats((5, 6, 4)) for _ in range(N)]
    # out of range and negative starts: wrapped once, then clamped
    s0 = [np.int32(v) for v in (-7, 4, 2)]
    s1 = [np.int32(v) for v in (5, -2, 9)]
    s2 = [np.int32(v) for v in (1, 0, -1)]

    def f(x, a, b, c):
        return lax.dynamic_slice(x, (a, b, c), (2, 3, 4))
    check_vmap(f, in_axes, [xs, s0, s1, s2])


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32])
@pytest.mark.parametrize("ax_x", [None, 0])
def test_dynamic_slice_start_dtypes(dtype, ax_x):
    # a long axis: its clamp bound n - size does not fit the narrow start dtypes
    xs = [floats((300, 2)) for _ in range(N)]
    info = np.iinfo(dtype)
    starts = [dtype(v) for v in (info.max, info.min, 7)]
    f = lambda x, s: lax.dynamic_slice(x, (s, 0), (10, 2))
    check_vmap(f, (ax_x, 0), [xs, starts])


@pytest.mark.parametrize("in_axes", [(0, None), (1, None), (-1, None), (None, 0), (0, 0),
                                     (-1, 0)], ids=cid)
def test_dynamic_slice_single_op_in_jaxpr(in_axes):
    xs = [floats((5, 6)) for _ in range(N)]
    ss = [np.int32(v) for v in (0, 3, 9)]
    args = [batch_arg(xs, in_axes[0]), batch_arg(ss, in_axes[1])]
    f = jax.vmap(lambda x, s: lax.dynamic_slice(x, (s, 1), (2, 3)), in_axes)
    closed = jax.make_jaxpr(f)(*args)
    if in_axes[1] is None:
        assert_single(closed, "dynamic_slice")
    else:
        names = [e.primitive.name for e in closed.jaxpr.eqns]
        assert names.count("gather") == 1, names
        # at most one dynamic_slice: the unbatched start, for the whole batch
        assert names.count("dynamic_slice") <= 1, names


def test_dynamic_slice_batched_start_full_size_dims():
    # a batched start on a fully-sliced dimension is irrelevant (clamped to 0)
    x = floats((4, 3))
    s = np.array([2, -1, 5], np.int32)
    out = jax.vmap(lambda s: lax.dynamic_slice(x, (1, s), (2, 3)))(s)
    np.testing.assert_array_equal(np.asarray(out), np.stack([x[1:3]] * N))


# --------------------------------------------------------------------------
# dynamic_update_slice


@pytest.mark.parametrize("in_axes", [(x, u) + s for x in AXES3 for u in AXES4
                                     for s in itertools.product([None, 0], repeat=2)
                                     if any(a is not None for a in (x, u) + s)], ids=cid)
def test_dynamic_update_slice(in_axes):
    xs = [floats((5, 6, 4)) for _ in range(N)]
    us = [floats((2, 3, 4)) for _ in range(N)]
    s0 = [np.int32(v) for v in (-7, 4, 2)]
    s1 = [np.int32(v) for v in (5, -2, 9)]

    def f(x, u, a, b):
        return lax.dynamic_update_slice(x, u, (a, b, 1))
    check_vmap(f, in_axes, [xs, us, s0, s1])


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.uint32])
def test_dynamic_update_slice_start_dtypes(dtype):
    xs = [floats((300,)) for _ in range(N)]
    us = [floats((10,)) for _ in range(N)]
    info = np.iinfo(dtype)
    starts = [dtype(v) for v in (info.max, info.min, 7)]
    for in_axes in [(0, 0, 0), (None, None, 0), (0, None, 0)]:
        check_vmap(lambda x, u, s: lax.dynamic_update_slice(x, u, (s,)), in_axes,
                   [xs, us, starts])


@pytest.mark.parametrize("in_axes", [(0, None, None), (None, 0, None), (1, -1, None),
                                     (None, None, 0), (0, 0, 0), (None, 1, 0)], ids=cid)
def test_dynamic_update_slice_single_op_in_jaxpr(in_axes):
    xs = [floats((5, 6)) for _ in range(N)]
    us = [floats((2, 6)) for _ in range(N)]
    ss = [np.int32(v) for v in (0, 3, 9)]
    args = [batch_arg(e, a) for e, a in zip([xs, us, ss], in_axes)]
    f = jax.vmap(lambda x, u, s: lax.dynamic_update_slice(x, u, (s, 0)), in_axes)
    closed = jax.make_jaxpr(f)(*args)
    if in_axes[2] is None:
        assert_single(closed, "dynamic_update_slice")
    else:
        assert_single(closed, "scatter")


def test_dynamic_update_slice_irrelevant_batched_start():
    x = floats((4, 3))
    u = floats((2, 3))
    s = np.array([2, -1, 5], np.int32)
    out = jax.vmap(lambda s: lax.dynamic_update_slice(x, u, (1, s)))(s)
    ref = x.copy()
    ref[1:3] = u
    np.testing.assert_array_equal(np.asarray(out), np.stack([ref] * N))


# --------------------------------------------------------------------------
# derivatives


def _loop_grad(g, per_example):
    return [np.stack(c) for c in zip(*[
        [np.asarray(v) for v in g(*[ex[b] for ex in per_example])] for b in range(N)])]


@pytest.mark.parametrize("mode", ["clip", "fill"])
@pytest.mark.parametrize("in_axes", [(0, 0), (0, None), (1, -1)], ids=cid)
def test_grad_of_vmapped_gather(in_axes, mode):
    xs = [floats((5, 3)) for _ in range(N)]
    idx = [ints((4, 1), -1, 6) for _ in range(N)]
    w = floats((N, 4, 3))
    i_arg = batch_arg(idx, in_axes[1])

    def f(x, i):
        return lax.gather(x, i, (0,), mode=mode, fill_value=0.0)

    def loss(x):
        y = jax.vmap(f, in_axes, 0)(x, i_arg)
        return jnp.sum(y * w)
    x_arg = batch_arg(xs, in_axes[0])
    g = np.asarray(jax.grad(loss)(x_arg))
    # loop: the gradient of each example's term
    ref = []
    for b in range(N):
        ib = idx[b] if in_axes[1] is not None else idx[0]
        ref.append(np.asarray(jax.grad(lambda xb: jnp.sum(f(xb, ib) * w[b]))(xs[b])))
    np.testing.assert_allclose(g, np.stack(ref, axis=in_axes[0]), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", list(SCATTERS))
@pytest.mark.parametrize("in_axes", [(0, 0, 0), (None, 0, 0), (0, None, 1), (0, 0, None)],
                         ids=cid)
def test_grad_of_vmapped_scatter(in_axes, name):
    fn = SCATTERS[name]
    xs, idx, ups = scatter_examples((5, 3), (0,), (4,), -1, 6)
    idx[0][0, 0] = idx[0][1, 0] = 2  # a repeated index
    w = floats((N, 5, 3))
    i_arg = batch_arg(idx, in_axes[1])

    def f(x, u, i):
        return fn(x, i, u, (0,))

    def loss(x, u):
        y = jax.vmap(f, (in_axes[0], in_axes[2], in_axes[1]))(x, u, i_arg)
        return jnp.sum(y * w)
    x_arg, u_arg = batch_arg(xs, in_axes[0]), batch_arg(ups, in_axes[2])
    gx, gu = jax.grad(loss, argnums=(0, 1))(x_arg, u_arg)
    rx, ru = [], []
    for b in range(N):
        xb = xs[b] if in_axes[0] is not None else xs[0]
        ib = idx[b] if in_axes[1] is not None else idx[0]
        ub = ups[b] if in_axes[2] is not None else ups[0]
        a, c = jax.grad(lambda x, u: jnp.sum(f(x, u, ib) * w[b]), argnums=(0, 1))(xb, ub)
        rx.append(np.asarray(a))
        ru.append(np.asarray(c))
    for got, ref, ax in [(gx, rx, in_axes[0]), (gu, ru, in_axes[2])]:
        ref = np.sum(ref, axis=0) if ax is None else np.stack(ref, axis=ax)
        np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-5, atol=1e-5)


def test_vmap_of_grad_gather_scatter():
    xs = [floats((5, 3)) for _ in range(N)]
    idx = [ints((4, 1), -1, 6) for _ in range(N)]
    ups = [floats((4, 3)) for _ in range(N)]

    def h(x, i, u):
        y = lax.scatter_add(x, i, u, (0,))
        return jnp.sum(lax.gather(y, i, (0,), mode="fill", fill_value=0.0) ** 2)
    g = jax.grad(h, argnums=(0, 2))
    got = jax.vmap(g)(np.stack(xs), np.stack(idx), np.stack(ups))
    ref = _loop_grad(g, [xs, idx, ups])
    for a, b in zip(got, ref):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-5)


def test_grad_of_vmapped_dynamic_slice_and_update():
    xs = np.stack([floats((6, 4)) for _ in range(N)])
    us = np.stack([floats((2, 4)) for _ in range(N)])
    ss = np.array([-1, 3, 9], np.int32)
    w = floats((N, 6, 4))

    def f(x, u, s):
        y = lax.dynamic_update_slice(x, u * 2.0, (s, 0))
        return y * lax.dynamic_slice(x, (s, 0), (2, 4))[0]

    def loss(x, u):
        return jnp.sum(jax.vmap(f)(x, u, ss) * w)
    gx, gu = jax.grad(loss, argnums=(0, 1))(xs, us)
    rx, ru = [], []
    for b in range(N):
        a, c = jax.grad(lambda x, u: jnp.sum(f(x, u, ss[b]) * w[b]), argnums=(0, 1))(xs[b], us[b])
        rx.append(np.asarray(a))
        ru.append(np.asarray(c))
    np.testing.assert_allclose(np.asarray(gx), np.stack(rx), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(gu), np.stack(ru), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------
# nested vmap and jit


def test_nested_vmap_gather():
    x = floats((2, N, 6, 3))
    i = ints((N, 2, 4, 1), -1, 7)
    f = lambda x, i: lax.gather(x, i, (0,), mode="fill")
    # outer over x's axis 0 / i's axis 1; inner over x's axis 0 (was 1) / i's axis 0
    got = jax.vmap(jax.vmap(f, (0, 0)), (0, 1))(x, i)
    ref = np.stack([np.stack([np.asarray(f(x[a, b], i[b, a])) for b in range(N)])
                    for a in range(2)])
    np.testing.assert_array_equal(np.asarray(got), ref)
    # only the operand batched in one level, only the indices in the other
    got = jax.vmap(jax.vmap(f, (None, 0)), (0, None))(x[:, 0], i[:, 0])
    ref = np.stack([np.stack([np.asarray(f(x[a, 0], i[b, 0])) for b in range(N)])
                    for a in range(2)])
    np.testing.assert_array_equal(np.asarray(got), ref)
    closed = jax.make_jaxpr(jax.vmap(jax.vmap(f, (0, 0)), (0, 1)))(x, i)
    assert_single(closed, "gather")


def test_nested_vmap_scatter_add():
    x = floats((2, N, 5, 3))
    i = ints((2, N, 4, 1), 0, 5)
    i[..., 0, 0] = i[..., 1, 0]  # repeated
    u = floats((N, 4, 3))
    f = lambda x, i, u: lax.scatter_add(x, i, u, (0,))
    vf = jax.vmap(jax.vmap(f, (0, 0, 0)), (0, 0, None))
    got = vf(x, i, u)
    ref = np.stack([np.stack([np.asarray(f(x[a, b], i[a, b], u[b])) for b in range(N)])
                    for a in range(2)])
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-6, atol=1e-6)
    assert_single(jax.make_jaxpr(vf)(x, i, u), "scatter-add")


def test_nested_vmap_dynamic_slice_and_update():
    x = floats((2, N, 7))
    s = ints((2, N), -9, 9)
    f = lambda x, s: lax.dynamic_slice(x, (s,), (3,))
    got = jax.vmap(jax.vmap(f))(x, s)
    ref = np.stack([np.stack([np.asarray(f(x[a, b], s[a, b])) for b in range(N)])
                    for a in range(2)])
    np.testing.assert_array_equal(np.asarray(got), ref)
    u = floats((N, 3))
    g = lambda x, u, s: lax.dynamic_update_slice(x, u, (s,))
    got = jax.vmap(jax.vmap(g, (0, 0, 0)), (0, None, 0))(x, u, s)
    ref = np.stack([np.stack([np.asarray(g(x[a, b], u[b], s[a, b])) for b in range(N)])
                    for a in range(2)])
    np.testing.assert_array_equal(np.asarray(got), ref)


def test_jit_of_vmap():
    xs = np.stack([floats((5, 3)) for _ in range(N)])
    idx = np.stack([ints((4, 1), -2, 7) for _ in range(N)])
    ups = np.stack([floats((4, 3)) for _ in range(N)])
    ss = np.array([4, -1, 0], np.int32)

    def f(x, i, u, s):
        a = lax.gather(x, i, (0,), mode="fill")
        b = lax.scatter_add(x, i, u, (0,))
        c = lax.dynamic_slice(x, (s, 0), (2, 3))
        d = lax.dynamic_update_slice(x, u[:2], (s, 1 - 1))
        e = lax.rev(x, (1,))
        return a, b, c, d, e
    vf = jax.vmap(f)
    got = jax.jit(vf)(xs, idx, ups, ss)
    eager = vf(xs, idx, ups, ss)
    for b in range(N):
        ref = f(xs[b], idx[b], ups[b], ss[b])
        for g, e, r in zip(got, eager, ref):
            np.testing.assert_allclose(np.asarray(g)[b], np.asarray(r), rtol=1e-6)
            np.testing.assert_allclose(np.asarray(e)[b], np.asarray(r), rtol=1e-6)
    # vmap of jit and grad of jit of vmap compose too
    np.testing.assert_allclose(np.asarray(jax.vmap(jax.jit(f))(xs, idx, ups, ss)[1]),
                               np.asarray(got[1]), rtol=1e-6)
    gj = jax.grad(lambda x: jnp.sum(jax.jit(vf)(x, idx, ups, ss)[0] ** 2))(xs)
    ge = jax.grad(lambda x: jnp.sum(vf(x, idx, ups, ss)[0] ** 2))(xs)
    np.testing.assert_allclose(np.asarray(gj), np.asarray(ge), rtol=1e-6)


# --------------------------------------------------------------------------
# the jnp level


def test_jnp_getitem_traced_scalar():
    xs = [floats((6, 2)) for _ in range(N)]
    ii = [np.int32(v) for v in (-1, 4, 2)]
    for in_axes in [(0, 0), (None, 0), (0, None), (1, 0), (-1, None)]:
        check_vmap(lambda x, i: x[i], in_axes, [xs, ii])


def test_jnp_getitem_array_index():
    xs = [floats((6, 2)) for _ in range(N)]
    ii = [ints((4,), -6, 6) for _ in range(N)]
    for in_axes in [(0, 0), (None, 0), (0, None), (-1, 0)]:
        check_vmap(lambda x, i: x[i], in_axes, [xs, ii])
        check_vmap(lambda x, i: x[:, 1][i], in_axes, [xs, ii])


def test_jnp_at_add():
    xs = [floats((6,)) for _ in range(N)]
    ii = [np.int32(v) for v in (-1, 4, 2)]
    for in_axes in [(0, 0), (None, 0), (0, None)]:
        check_vmap(lambda x, i: x.at[i].add(1.0), in_axes, [xs, ii])
    ia = [ints((5,), -6, 6) for _ in range(N)]
    ia[0][:2] = 3  # repeated
    for in_axes in [(0, 0), (None, 0), (0, None)]:
        check_vmap(lambda x, i: x.at[i].add(1.0), in_axes, [xs, ia], tol=1e-6)
        check_vmap(lambda x, i: x.at[i].set(7.0), in_axes, [xs, ia])
        check_vmap(lambda x, i: x.at[i].max(0.5), in_axes, [xs, ia])


def test_jnp_reverse_and_dynamic_slice():
    xs = [floats((5, 2)) for _ in range(N)]
    check_vmap(lambda x: x[::-1], (0,), [xs])
    check_vmap(lambda x: x[::-1], (1,), [xs])
    ii = [np.int32(v) for v in (-1, 4, 2)]
    for in_axes in [(0, 0), (None, 0), (0, None), (1, 0)]:
        check_vmap(lambda x, i: lax.dynamic_slice(x, (i,), (2,)), in_axes,
                   [[x[:, 0] for x in xs], ii])
        check_vmap(lambda x, i: lax.dynamic_slice(x, (i, 0), (2, 2)), in_axes, [xs, ii])


def test_jnp_take_and_take_along_axis():
    xs = [floats((6, 3)) for _ in range(N)]
    ii = [ints((6, 2), 0, 3) for _ in range(N)]
    check_vmap(lambda x, i: jnp.take_along_axis(x, i, axis=1), (0, 0), [xs, ii])
    jj = [ints((4,), -8, 8) for _ in range(N)]
    check_vmap(lambda x, i: jnp.take(x, i, axis=0, mode="fill", fill_value=-1.0), (0, 0),
               [xs, jj])
    check_vmap(lambda x, i: jnp.take(x, i, axis=0, mode="clip"), (None, 0), [xs, jj])


def test_jnp_getitem_is_one_gather():
    x = floats((N, 6, 2))
    i = ints((N, 4), 0, 6)
    closed = jax.make_jaxpr(jax.vmap(lambda x, i: x[i]))(x, i)
    assert_single(closed, "gather")
    closed = jax.make_jaxpr(jax.vmap(lambda x, i: x.at[i].add(1.0)))(x, i)
    assert_single(closed, "scatter-add")
