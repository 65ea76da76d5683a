"""Generate known-answer vectors for ``cotan._src.prng`` from real JAX.

Needs ``jax``/``jaxlib`` installed (``pip install jax jaxlib``); cotan itself
never imports JAX and the test suite does not run this script.  It writes
``prng_vectors.json`` next to itself:

    python tests/data/gen_prng_vectors.py

Keys are stored as raw key data (two uint32 words).  Integer results are
stored as plain ints; float results are stored as their bit patterns
(unsigned ints of the same width, complex as interleaved real/imag parts) so
that the comparison in ``tests/test_prng_numpy.py`` can be exact or
ulp-based.  All arrays are stored flattened, together with their shape.
"""

import json
import os

import numpy as np

import jax
import jax.numpy as jnp
from jax import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "prng_vectors.json")

SEEDS = [0, 1, 42, -1, 2**40]


def set_x64(flag):
    jax.config.update("jax_enable_x64", bool(flag))


def set_partitionable(flag):
    jax.config.update("jax_threefry_partitionable", bool(flag))


def typed(key):
    return random.wrap_key_data(jnp.asarray(np.array(key, np.uint32)))


def arr_record(x):
    x = np.asarray(x)
    rec = {"shape": list(x.shape), "dtype": x.dtype.name}
    x = x.reshape(-1)
    if x.dtype.kind == "c":
        x = x.view(np.dtype(f"f{x.dtype.itemsize // 2}"))
    if x.dtype.kind == "f" or x.dtype.name == "bfloat16":
        x = x.view(np.dtype(f"u{x.dtype.itemsize}"))
    if x.dtype.kind == "b":
        x = x.astype(np.int64)
    rec["data"] = [int(v) for v in x.ravel().tolist()]
    return rec


def main():
    set_partitionable(True)
    v = {"jax_version": jax.__version__,
         "threefry_partitionable_default": bool(jax.config.jax_threefry_partitionable)}

    # --- seeds -------------------------------------------------------------
    seeds = []
    seed_values = SEEDS + [2**31, 2**32 - 1, 2**32, 2**63 - 1, -2**63, -2**40 + 5]
    for x64 in (False, True):
        set_x64(x64)
        for s in seed_values:
            seeds.append({"seed": s, "x64": x64,
                          "key": np.asarray(random.key_data(random.key(s))).tolist()})
            assert np.array_equal(random.PRNGKey(s), random.key_data(random.key(s)))
        for s, dt in [(4000000000, "uint32"), (-5, "int32"), (2**40 + 3, "uint64"),
                      (-2**40, "int64"), (-3, "int8"), (200, "uint8")]:
            seeds.append({"seed": s, "x64": x64, "np_dtype": dt,
                          "key": np.asarray(random.key_data(
                              random.key(np.array(s).astype(dt)[()]))).tolist()})
    v["seed"] = seeds

    set_x64(True)
    keys = []
    for x64 in (False, True):
        set_x64(x64)
        for s in SEEDS:
            k = np.asarray(random.PRNGKey(s)).tolist()
            if k not in keys:
                keys.append(k)
    set_x64(True)
    v["keys"] = keys

    # --- the block cipher directly -------------------------------------------
    from jax._src.random import threefry2x32 as tf
    cipher = []
    rng = np.random.default_rng(0)
    for _ in range(4):
        k0, k1 = rng.integers(0, 2**32, size=2, dtype=np.uint64).astype(np.uint32)
        x0 = rng.integers(0, 2**32, size=5, dtype=np.uint64).astype(np.uint32)
        x1 = rng.integers(0, 2**32, size=5, dtype=np.uint64).astype(np.uint32)
        y0, y1 = tf.threefry2x32_p.bind(jnp.uint32(k0), jnp.uint32(k1),
                                        jnp.asarray(x0), jnp.asarray(x1))
        cipher.append({"k": [int(k0), int(k1)], "x0": x0.tolist(), "x1": x1.tolist(),
                       "y0": np.asarray(y0).tolist(), "y1": np.asarray(y1).tolist()})
    # The reference test vector of the Threefry paper (all-ones key/counter).
    y0, y1 = tf.threefry2x32_p.bind(*(jnp.uint32(0xFFFFFFFF),) * 2,
                                    *(jnp.full((1,), 0xFFFFFFFF, jnp.uint32),) * 2)
    cipher.append({"k": [0xFFFFFFFF] * 2, "x0": [0xFFFFFFFF], "x1": [0xFFFFFFFF],
                   "y0": np.asarray(y0).tolist(), "y1": np.asarray(y1).tolist()})
    v["threefry"] = cipher

    def gen_family(partitionable):
        set_partitionable(partitionable)
        set_x64(True)
        fam = {}
        fam["split"] = [{"key": k, "num": num,
                         "out": arr_record(random.key_data(random.split(typed(k), num)))}
                        for k in keys for num in (2, 5, [2, 3])]
        fam["fold_in"] = [{"key": k, "data": d,
                           "out": arr_record(random.key_data(random.fold_in(typed(k), d)))}
                          for k in keys for d in (0, 1, 7, 12345, 2**31, 2**32 - 1)]
        fam["bits"] = [{"key": k, "bit_width": bw, "shape": list(shape),
                        "out": arr_record(random.bits(typed(k), shape, f"uint{bw}"))}
                       for k in keys for bw in (8, 16, 32, 64)
                       for shape in ((), (3,), (2, 3), (7,)) + (((5, 7),) if bw < 32 else ())]
        uni = []
        for k in keys:
            for dt in ("float16", "float32", "float64"):
                for shape in ((), (3,), (2, 3)):
                    uni.append({"key": k, "shape": list(shape), "dtype": dt, "minval": 0.0,
                                "maxval": 1.0,
                                "out": arr_record(random.uniform(typed(k), shape, dt))})
                uni.append({"key": k, "shape": [4, 5], "dtype": dt, "minval": -2.5,
                            "maxval": 3.75,
                            "out": arr_record(random.uniform(typed(k), (4, 5), dt, -2.5, 3.75))})
                mn = np.array([0.0, 1.0, -10.0], dt)
                mx = np.array([1.0, 1e3, -9.5], dt)
                uni.append({"key": k, "shape": [2, 3], "dtype": dt, "minval": mn.tolist(),
                            "maxval": mx.tolist(),
                            "out": arr_record(random.uniform(typed(k), (2, 3), dt, mn, mx))})
        fam["uniform"] = uni
        fam["normal"] = [{"key": k, "shape": list(shape), "dtype": dt,
                          "out": arr_record(random.normal(typed(k), shape, dt))}
                         for k in keys
                         for dt in ("float16", "float32", "float64", "complex64")
                         for shape in ((), (3,), (2, 3))
                         + (((50,),) if dt in ("float32", "float64") else ())]
        return fam

    v["original"] = gen_family(False)
    fam = gen_family(True)
    v.update(fam)
    set_partitionable(True)
    set_x64(True)

    # --- integer / discrete samplers -----------------------------------------
    ri = []
    cases = [((10,), 0, 10, "int32"), ((2, 3), -5, 5, "int32"),
             ((8,), 0, 256, "uint8"), ((8,), -128, 128, "int8"),
             ((8,), 0, 300, "uint8"), ((6,), -1000, 1000, "int16"),
             ((5,), 5, 3, "int32"), ((5,), -2**31, 2**31 - 1, "int32"),
             ((5,), -2**31, 2**31, "int32"), ((5,), 0, 2**32, "uint32"),
             ((5,), 0, 2**40, "int64"), ((5,), -2**63, 2**63 - 1, "int64"),
             ((5,), 3, 2**33 + 7, "uint64"), ((), 0, 7, "int32"),
             ((2, 3), [0, 10, 100], [5, 20, 1000], "int32")]
    for k in keys:
        for shape, lo, hi, dt in cases:
            out = random.randint(typed(k), shape, np.array(lo, np.int64),
                                 np.array(hi, np.int64), dt)
            ri.append({"key": k, "shape": list(shape), "minval": lo, "maxval": hi,
                       "dtype": dt, "out": arr_record(out)})
    v["randint"] = ri

    bern = []
    for k in keys:
        bern.append({"key": k, "p": 0.3, "p_dtype": "float32", "shape": [20],
                     "mode": "low",
                     "out": arr_record(random.bernoulli(typed(k), np.float32(0.3), (20,)))})
        bern.append({"key": k, "p": 0.3, "p_dtype": "float64", "shape": [20],
                     "mode": "high",
                     "out": arr_record(random.bernoulli(typed(k), np.float64(0.3), (20,),
                                                        mode="high"))})
        p = np.array([0.0, 0.25, 0.5, 0.75, 1.0], np.float32)
        bern.append({"key": k, "p": p.tolist(), "p_dtype": "float32", "shape": None,
                     "mode": "low", "out": arr_record(random.bernoulli(typed(k), p))})
    v["bernoulli"] = bern

    perm = []
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    for k in keys:
        set_x64(False)
        perm.append({"key": k, "x": 10, "axis": 0, "independent": False,
                     "out": arr_record(random.permutation(typed(k), 10))})
        for axis, ind in ((0, False), (1, False), (1, True), (0, True)):
            perm.append({"key": k, "x": x.tolist(), "axis": axis, "independent": ind,
                         "out": arr_record(random.permutation(typed(k), x, axis, ind))})
        if k == keys[0]:  # 2000 elements take two sorting rounds
            perm.append({"key": k, "x": 2000, "axis": 0, "independent": False,
                         "out": arr_record(random.permutation(typed(k), 2000))})
    v["permutation"] = perm

    ch = []
    a = np.arange(20, dtype=np.int32).reshape(5, 4) * 3
    pp = np.array([0.1, 0.2, 0.3, 0.15, 0.25], np.float32)
    # 40 weights: the cumulative sum is long enough for XLA's blocked summation.
    pp40 = np.random.default_rng(1).uniform(0.01, 1.0, 40).astype(np.float32)
    for k in keys:
        for x64 in (False, True):
            set_x64(x64)
            idt = "int64" if x64 else "int32"
            for kw in ({"a": 7, "shape": [4], "replace": True},
                       {"a": 7, "shape": [4], "replace": False},
                       {"a": "A", "shape": [2, 3], "replace": True, "axis": 0},
                       {"a": "A", "shape": [3], "replace": False, "axis": 1},
                       {"a": 5, "shape": [6], "replace": True, "p": "P"},
                       {"a": 5, "shape": [3], "replace": False, "p": "P"},
                       {"a": 40, "shape": [30], "replace": True, "p": "P40"},
                       {"a": 40, "shape": [10], "replace": False, "p": "P40"}):
                args = dict(kw)
                args["a"] = a if kw["a"] == "A" else kw["a"]
                pvals = {"P": pp, "P40": pp40}.get(kw.get("p"))
                if pvals is not None:
                    args["p"] = pvals
                args["shape"] = tuple(kw["shape"])
                out = random.choice(typed(k), **args)
                rec = dict(kw, key=k, x64=x64, index_dtype=idt, out=arr_record(out))
                if pvals is not None:
                    rec["p"] = pvals.tolist()
                if kw["a"] == "A":
                    rec["a"] = a.tolist()
                ch.append(rec)
    v["choice"] = ch
    set_x64(True)
    v["gumbel"] = [{"key": k, "shape": [20], "dtype": dt, "mode": mode,
                    "out": arr_record(random.gumbel(typed(k), (20,), dt, mode=mode))}
                   for k in keys for dt in ("float32", "float64") for mode in ("low", "high")]

    # --- the tutorial value ----------------------------------------------------
    set_x64(False)
    tut = {"old_printed": [[1.8160863, -0.75488514], [0.33988908, -0.53483534]]}
    tut["partitionable"] = np.asarray(random.normal(random.PRNGKey(0), (2, 2))).tolist()
    set_partitionable(False)
    tut["original"] = np.asarray(random.normal(random.PRNGKey(0), (2, 2))).tolist()
    set_partitionable(True)
    v["tutorial"] = tut
    v.update(gamma_poisson_vectors())
    v.update(binomial_vectors())

    with open(OUT, "w") as f:
        json.dump(v, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes) with jax {jax.__version__}")


def gamma_poisson_vectors():
    """gamma / loggamma / poisson known answers (float32, partitionable threefry)."""
    set_x64(False)
    out = {"gamma": [], "poisson": []}
    alphas = np.array([0.05, 0.3, 0.9, 1.0, 2.5, 30.0], np.float32)
    for seed in (0, 42):
        k = random.PRNGKey(seed)
        for fn in ("gamma", "loggamma"):
            out["gamma"].append({"key": np.asarray(k).tolist(), "fn": fn, "a": alphas.tolist(),
                                 "shape": [2, 6],
                                 "out": arr_record(getattr(random, fn)(k, alphas, (2, 6)))})
        lam = np.array([0.0, 0.5, 3.0, 9.9, 10.0, 15.0, 100.0, 1e4], np.float32)
        out["poisson"].append({"key": np.asarray(k).tolist(), "lam": lam.tolist(), "shape": [2, 8],
                               "out": arr_record(random.poisson(k, lam, (2, 8)))})
    return out


if __name__ == "__main__":
    main()


def binomial_vectors():
    """binomial known answers (float32, partitionable threefry): inversion and
    BTRS, p > 0.5 symmetry, p = 0 / 1 and invalid-parameter edges."""
    set_x64(False)
    out = []
    n = np.array([0, 1, 5, 10, 37, 100, 1e4, 1e4, 20, 20, np.nan, -2, np.inf], np.float32)
    p = np.array([0.3, 0.5, 0.9, 0.2, 0.6, 0.45, 1e-4, 0.999, 0.0, 1.0, 0.5, 0.5, 0.5], np.float32)
    for seed in (0, 42, 7):
        k = random.PRNGKey(seed)
        out.append({"key": np.asarray(k).tolist(), "n": n.tolist(), "p": p.tolist(),
                    "shape": [3, 13], "out": arr_record(random.binomial(k, n, p, (3, 13)))})
    return {"binomial": out}


def add_binomial_vectors():
    """Append the binomial section to an existing prng_vectors.json."""
    with open(OUT) as f:
        v = json.load(f)
    v.update(binomial_vectors())
    with open(OUT, "w") as f:
        json.dump(v, f, separators=(",", ":"))
