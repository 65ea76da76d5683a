"""Known-answer tests for the pure-NumPy threefry PRNG (cotan._src.prng).

The vectors in ``tests/data/prng_vectors.json`` were produced by real JAX
(see ``tests/data/gen_prng_vectors.py``); this file never imports JAX.
"""

import json
import os
import time

import numpy as np
import pytest

from cotan._src import prng

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                    "prng_vectors.json")

with open(DATA) as _f:
    V = json.load(_f)

FAMILIES = {"partitionable": (V, True), "original": (V["original"], False)}


def decode(rec):
    """Stored record -> numpy array (floats were stored as bit patterns)."""
    dtype = np.dtype(rec["dtype"])
    shape = tuple(rec["shape"])
    if dtype.kind in "fc":
        width = dtype.itemsize if dtype.kind == "f" else dtype.itemsize // 2
        bits = np.array(rec["data"], dtype=f"u{width}")
        return bits.view(dtype).reshape(shape)
    if dtype.kind == "b":
        return np.array(rec["data"], dtype=np.int64).astype(bool).reshape(shape)
    return np.array(rec["data"], dtype=dtype).reshape(shape)


def key(k):
    return np.array(k, dtype=np.uint32)


def assert_same(actual, expected):
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_array_equal(actual, expected)


def ulp_distance(a, b):
    """Max distance in units in the last place between float arrays."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype.kind == "c":
        return max(ulp_distance(a.real, b.real), ulp_distance(a.imag, b.imag))
    ib = np.dtype(f"i{a.dtype.itemsize}")

    def ordered(x):
        i = x.view(ib).astype(np.int64)
        # Map sign-magnitude onto a monotone integer line.
        return np.where(i < 0, np.iinfo(ib).min - i, i).astype(object)
    if a.size == 0:
        return 0
    return max(abs(x - y) for x, y in zip(ordered(a).ravel(), ordered(b).ravel()))


def assert_close_floats(actual, expected, max_ulp):
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    d = ulp_distance(actual, expected)
    assert d <= max_ulp, f"{d} ulp apart:\n{actual}\n{expected}"


# ---------------------------------------------------------------------------
# cipher, seeds, key operations
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("rec", V["threefry"])
def test_threefry_block(rec):
    y0, y1 = prng.threefry_2x32(np.uint32(rec["k"][0]), np.uint32(rec["k"][1]),
                                np.array(rec["x0"], np.uint32),
                                np.array(rec["x1"], np.uint32))
    assert y0.dtype == y1.dtype == np.uint32
    assert y0.tolist() == rec["y0"] and y1.tolist() == rec["y1"]


def test_threefry_known_answer_from_paper():
    # Random123 known-answer test: threefry2x32_20 with all-ones key/counter.
    y0, y1 = prng.threefry_2x32(0xFFFFFFFF, 0xFFFFFFFF,
                                np.array([0xFFFFFFFF], np.uint32),
                                np.array([0xFFFFFFFF], np.uint32))
    assert (int(y0[0]), int(y1[0])) == (0x1CB996FC, 0xBB002BE7)


def test_threefry_scalar_and_broadcast():
    y0, y1 = prng.threefry_2x32(np.uint32(1), np.uint32(2), np.uint32(3),
                                np.arange(4, dtype=np.uint32))
    assert y0.shape == y1.shape == (4,)
    s0, s1 = prng.threefry_2x32(1, 2, 3, 2)
    assert s0.shape == () and int(s0) == int(y0[2]) and int(s1) == int(y1[2])


def _seed_id(rec):
    return f"{rec['seed']}-{rec.get('np_dtype', 'int')}-x64={rec['x64']}"


@pytest.mark.parametrize("rec", V["seed"], ids=_seed_id)
def test_seed(rec):
    s = rec["seed"]
    if "np_dtype" in rec:
        s = np.array(s).astype(rec["np_dtype"])[()]
    out = prng.seed(s, enable_x64=rec["x64"])
    assert out.dtype == np.uint32 and out.shape == (2,)
    assert out.tolist() == rec["key"]


def test_seed_errors_and_arrays():
    with pytest.raises(OverflowError):
        prng.seed(2**63)
    with pytest.raises(OverflowError):
        prng.seed(-2**63 - 1, enable_x64=True)
    with pytest.raises(TypeError):
        prng.seed(1.5)
    seeds = np.array([0, -1, 2**40 + 3], np.int64)
    out = prng.seed(seeds, enable_x64=True)
    assert out.shape == (3, 2)
    for s, row in zip(seeds, out):
        assert row.tolist() == prng.seed(int(s), enable_x64=True).tolist()


@pytest.mark.parametrize("fam", FAMILIES)
def test_split(fam):
    vecs, part = FAMILIES[fam]
    for rec in vecs["split"]:
        num = tuple(rec["num"]) if isinstance(rec["num"], list) else rec["num"]
        assert_same(prng.split(key(rec["key"]), num, partitionable=part),
                    decode(rec["out"]))


@pytest.mark.parametrize("fam", FAMILIES)
def test_fold_in(fam):
    vecs, _ = FAMILIES[fam]
    for rec in vecs["fold_in"]:
        assert_same(prng.fold_in(key(rec["key"]), rec["data"]), decode(rec["out"]))
        assert_same(prng.fold_in(key(rec["key"]), np.uint32(rec["data"])),
                    decode(rec["out"]))


def test_fold_in_data_conversion():
    k = prng.seed(0)
    with pytest.raises(OverflowError):
        prng.fold_in(k, -1)
    with pytest.raises(OverflowError):
        prng.fold_in(k, 2**32)
    # NumPy integers wrap, like jnp.asarray(data, dtype='uint32').
    np.testing.assert_array_equal(prng.fold_in(k, np.int64(-7)),
                                  prng.fold_in(k, 2**32 - 7))


@pytest.mark.parametrize("fam", FAMILIES)
def test_random_bits(fam):
    vecs, part = FAMILIES[fam]
    for rec in vecs["bits"]:
        out = prng.random_bits(key(rec["key"]), rec["bit_width"],
                               tuple(rec["shape"]), partitionable=part)
        assert_same(out, decode(rec["out"]))


# ---------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fam", FAMILIES)
def test_uniform(fam):
    vecs, part = FAMILIES[fam]
    for rec in vecs["uniform"]:
        dt = np.dtype(rec["dtype"])
        mn = np.array(rec["minval"], dt)
        mx = np.array(rec["maxval"], dt)
        out = prng.uniform(key(rec["key"]), tuple(rec["shape"]), dt, mn, mx,
                           partitionable=part)
        assert_same(out, decode(rec["out"]))


# normal/gumbel go through XLA-style log/log1p/erf_inv emulations; they match
# JAX exactly here.  float64 uses the C library's log like XLA does, so allow
# an ulp in case a platform's libm rounds differently.
FLOAT_ULP = {"float16": 0, "float32": 0, "complex64": 0, "float64": 1}


@pytest.mark.parametrize("fam", FAMILIES)
def test_normal(fam):
    vecs, part = FAMILIES[fam]
    for rec in vecs["normal"]:
        dt = np.dtype(rec["dtype"])
        out = prng.normal(key(rec["key"]), tuple(rec["shape"]), dt,
                          partitionable=part)
        expected = decode(rec["out"])
        assert_close_floats(out, expected, FLOAT_ULP[rec["dtype"]])
        if dt == np.float32:
            np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


def test_tutorial_values():
    tut = V["tutorial"]
    k = prng.seed(0)
    new = prng.normal(k, (2, 2), np.float32)
    np.testing.assert_array_equal(new, np.array(tut["partitionable"], np.float32))
    old = prng.normal(k, (2, 2), np.float32, partitionable=False)
    np.testing.assert_array_equal(old, np.array(tut["original"], np.float32))
    # The value printed by older JAX releases (non-partitionable threefry).
    np.testing.assert_allclose(old, np.array(tut["old_printed"], np.float32),
                               rtol=1e-6)


def test_randint():
    for rec in V["randint"]:
        out = prng.randint(key(rec["key"]), tuple(rec["shape"]),
                           np.array(rec["minval"], np.int64),
                           np.array(rec["maxval"], np.int64), rec["dtype"])
        assert_same(out, decode(rec["out"]))


def test_randint_python_bounds():
    k = prng.seed(3)
    a = prng.randint(k, (4,), 0, 10)
    b = prng.randint(k, (4,), np.int32(0), np.int32(10), np.int32)
    assert_same(a, b)
    assert a.dtype == np.int32 and ((0 <= a) & (a < 10)).all()


def test_bernoulli():
    for rec in V["bernoulli"]:
        p = np.array(rec["p"], rec["p_dtype"])
        shape = None if rec["shape"] is None else tuple(rec["shape"])
        out = prng.bernoulli(key(rec["key"]), p, shape, rec["mode"])
        assert_same(out, decode(rec["out"]))


def test_bernoulli_python_float_is_float32():
    k = prng.seed(5)
    assert_same(prng.bernoulli(k, 0.3, (20,)),
                prng.bernoulli(k, np.float32(0.3), (20,)))


def test_permutation():
    for rec in V["permutation"]:
        x = rec["x"] if isinstance(rec["x"], int) else np.array(rec["x"], np.int32)
        out = prng.permutation(key(rec["key"]), x, rec["axis"], rec["independent"])
        assert_same(out, decode(rec["out"]))


def test_permutation_int_dtype():
    k = prng.seed(4)
    a = prng.permutation(k, 30)
    b = prng.permutation(k, 30, dtype=np.int64)
    assert a.dtype == np.int32 and b.dtype == np.int64
    np.testing.assert_array_equal(a, b)
    assert sorted(a.tolist()) == list(range(30))


def test_choice():
    for rec in V["choice"]:
        a = np.array(rec["a"], np.int32) if isinstance(rec["a"], list) else rec["a"]
        p = np.array(rec["p"], np.float32) if "p" in rec else None
        out = prng.choice(key(rec["key"]), a, tuple(rec["shape"]), rec["replace"],
                          p, rec.get("axis", 0), dtype=rec["index_dtype"])
        expected = decode(rec["out"])
        if expected.dtype.kind in "iu" and out.dtype != expected.dtype:
            # JAX returns the default int for index results.
            assert out.dtype.kind in "iu"
        assert out.shape == expected.shape
        np.testing.assert_array_equal(out, expected)


def test_gumbel():
    for rec in V["gumbel"]:
        out = prng.gumbel(key(rec["key"]), tuple(rec["shape"]), rec["dtype"],
                          rec["mode"])
        assert_close_floats(out, decode(rec["out"]), FLOAT_ULP[rec["dtype"]])


def test_xla_cumsum_blocking():
    # Exact small-integer data: any summation order gives the same values.
    x = np.arange(100, dtype=np.float32)
    np.testing.assert_array_equal(prng.xla_cumsum(x), np.cumsum(x))
    # XLA sums in blocks of 16 and then adds the running total of the blocks
    # before: element 17 is 1 + (2**-24 + 2**-24), not (1 + 2**-24) + 2**-24.
    y = np.zeros(18, np.float32)
    y[0] = 1.0
    y[16] = y[17] = 2.0 ** -24
    assert np.cumsum(y)[17] == np.float32(1.0)
    assert prng.xla_cumsum(y)[17] == np.float32(1.0 + 2.0 ** -23)
    assert prng.xla_cumsum(y).dtype == np.float32


def test_erf_inv_special_values():
    for dt in (np.float32, np.float64):
        x = np.array([-1.0, 0.0, 1.0, 0.5, -0.999], dt)
        out = prng.erf_inv(x)
        assert out.dtype == dt
        assert out[0] == -np.inf and out[2] == np.inf and out[1] == 0
        from scipy.special import erfinv
        np.testing.assert_allclose(out[3:], erfinv(x[3:].astype(np.float64)),
                                   rtol=1e-6 if dt == np.float32 else 1e-14)


# ---------------------------------------------------------------------------
# batching: a leading key axis behaves like a loop over keys
# ---------------------------------------------------------------------------

KEYS = np.array(V["keys"], np.uint32)             # (6, 2)
KEYS_2D = KEYS.reshape(2, 3, 2)


def _loop(fn, keys):
    flat = keys.reshape(-1, 2)
    outs = [fn(k) for k in flat]
    return np.stack(outs).reshape(keys.shape[:-1] + outs[0].shape)


BATCH_CASES = {
    "split2": lambda k, part: prng.split(k, partitionable=part),
    "split23": lambda k, part: prng.split(k, (2, 3), partitionable=part),
    "fold_in": lambda k, part: prng.fold_in(k, 17),
    "bits8": lambda k, part: prng.random_bits(k, 8, (3, 5), partitionable=part),
    "bits16": lambda k, part: prng.random_bits(k, 16, (7,), partitionable=part),
    "bits32": lambda k, part: prng.random_bits(k, 32, (), partitionable=part),
    "bits64": lambda k, part: prng.random_bits(k, 64, (2, 3), partitionable=part),
    "uniform": lambda k, part: prng.uniform(k, (4,), np.float32, -1., 2.,
                                            partitionable=part),
    "uniform16": lambda k, part: prng.uniform(k, (3,), np.float16,
                                              partitionable=part),
    "normal": lambda k, part: prng.normal(k, (2, 2), np.float64,
                                          partitionable=part),
    "randint": lambda k, part: prng.randint(k, (5,), -3, 9, np.int8,
                                            partitionable=part),
    "randint64": lambda k, part: prng.randint(k, (5,), 0, 2**40, np.int64,
                                              partitionable=part),
    "bernoulli": lambda k, part: prng.bernoulli(k, np.float32(0.4), (6,),
                                                partitionable=part),
    "permutation": lambda k, part: prng.permutation(k, 9, partitionable=part),
    "choice": lambda k, part: prng.choice(k, 9, (3,), False,
                                          partitionable=part),
}


@pytest.mark.parametrize("part", [True, False])
@pytest.mark.parametrize("name", BATCH_CASES)
def test_batched_keys_match_loop(name, part):
    fn = BATCH_CASES[name]
    for keys in (KEYS, KEYS_2D):
        batched = fn(keys, part)
        looped = _loop(lambda k: fn(k, part), keys)
        assert_same(batched, looped)


def test_fold_in_broadcasts_data():
    data = np.array([1, 2, 3, 4, 5, 6], np.uint32)
    out = prng.fold_in(KEYS, data)
    for i in range(6):
        assert_same(out[i], prng.fold_in(KEYS[i], int(data[i])))


def test_zero_size_and_empty_shapes():
    k = prng.seed(0)
    assert prng.random_bits(k, 32, (0,)).shape == (0,)
    assert prng.uniform(k, (2, 0)).shape == (2, 0)
    assert prng.split(k, 0).shape == (0, 2)
    assert prng.random_bits(KEYS, 32, (0, 3)).shape == (6, 0, 3)
    assert prng.random_bits(k, 8, (0,), partitionable=False).shape == (0,)


def test_no_warnings_scalar_shapes():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        k = prng.seed(-1)
        for bw in (8, 16, 32, 64):
            prng.random_bits(k, bw, ())
        prng.uniform(k, (), np.float64, -1e300, 1e300)
        prng.normal(k, ())
        prng.randint(k, (), -2**31, 2**31 - 1)
        prng.randint(k, (), 0, 2**32, np.uint32)


def test_normal_speed():
    k = prng.seed(0)
    prng.normal(k, (1000,))
    best = min(_timeit(lambda: prng.normal(k, (1000,))) for _ in range(5))
    assert best < 5e-3  # generous bound; typically ~0.1 ms


def _timeit(fn, n=20):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def test_threefry_python_and_numpy_paths_agree():
    # Up to a handful of blocks are hashed with Python ints, more with NumPy.
    k0, k1 = np.uint32(0x12345678), np.uint32(0x9ABCDEF0)
    x0 = np.arange(40, dtype=np.uint32) * np.uint32(2654435761)
    x1 = np.arange(40, dtype=np.uint32)[::-1].copy()
    big0, big1 = prng.threefry_2x32(k0, k1, x0, x1)
    for n in (1, 3, 8):
        s0, s1 = prng.threefry_2x32(k0, k1, x0[:n], x1[:n])
        np.testing.assert_array_equal(s0, big0[:n])
        np.testing.assert_array_equal(s1, big1[:n])


def test_fused_multiply_add_emulation_is_correctly_rounded():
    from fractions import Fraction
    rng = np.random.default_rng(0)
    n = 3000
    a = rng.integers(0, 2**52, n).astype(np.float64) * 2.0 ** -52  # uniform-like
    b = rng.standard_normal(n) * 2.0 ** rng.integers(-30, 30, n)
    c = np.where(rng.random(n) < 0.5, -a * b * (1 + 1e-9 * rng.standard_normal(n)),
                 rng.standard_normal(n) * 2.0 ** rng.integers(-40, 40, n))
    z = prng._fma_f64(a, b, c)
    exact = [float(Fraction(x) * Fraction(y) + Fraction(w)) for x, y, w in zip(a, b, c)]
    np.testing.assert_array_equal(z, np.array(exact))
    # float32 through the float64 round-to-odd path.
    a32 = a.astype(np.float32)
    b32 = b.astype(np.float32)
    c32 = c.astype(np.float32)
    z32 = prng._scale_shift(a32, b32, c32)
    ref = np.array([_round_fraction_to_f32(Fraction(float(x)) * Fraction(float(y))
                                           + Fraction(float(w)))
                    for x, y, w in zip(a32, b32, c32)], np.float32)
    np.testing.assert_array_equal(z32, ref)


def _round_fraction_to_f32(q):
    """Correctly round a rational to float32 (ties to even)."""
    from fractions import Fraction
    near = np.float32(float(q))  # within an ulp (double rounding)
    cands = [np.nextafter(near, np.float32(-np.inf)), near,
             np.nextafter(near, np.float32(np.inf))]
    return min(cands, key=lambda v: (abs(Fraction(float(v)) - q),
                                     int(np.array(v).view(np.uint32)) & 1))


def test_uniform_extreme_ranges():
    import warnings
    k = prng.seed(9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dt in (np.float32, np.float64):
            info = np.finfo(dt)
            lo, hi = dt(-info.max / 2), dt(info.max / 2)
            u = prng.uniform(k, (1000,), dt, lo, hi)
            assert np.isfinite(u).all() and (u >= lo).all() and (u < hi).all()
            v = prng.uniform(k, (1000,), dt, dt(3.0), dt(3.0))
            assert (v == 3).all()
