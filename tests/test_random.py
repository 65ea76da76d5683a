"""cotan.random through the public API, against known-answer vectors
generated from JAX 0.10 (tests/data/prng_vectors.json, see gen_prng_vectors.py)."""
import json
import os

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan import random

_DATA = json.load(open(os.path.join(os.path.dirname(__file__), "data", "prng_vectors.json")))


def _expected(out):
    dt = np.dtype(out["dtype"])
    if dt.kind == "f":
        bits = np.dtype(f"uint{dt.itemsize * 8}")
        return np.asarray(out["data"], dtype=bits).view(dt).reshape(out["shape"])
    return np.asarray(out["data"], dtype=dt).reshape(out["shape"])


def _key(k):
    return cotan.Array(np.asarray(k, np.uint32))


@pytest.mark.parametrize("case", [c for c in _DATA["seed"] if not c["x64"]], ids=str)
def test_prngkey_seed(case):
    assert np.asarray(random.PRNGKey(case["seed"])).tolist() == case["key"]


@pytest.mark.parametrize("case", _DATA["split"], ids=lambda c: f"{c['key']}-{c['num']}")
def test_split(case):
    num = case["num"] if isinstance(case["num"], int) else tuple(case["num"])
    out = random.split(_key(case["key"]), num)
    np.testing.assert_array_equal(np.asarray(out), _expected(case["out"]))


@pytest.mark.parametrize("case", _DATA["fold_in"], ids=lambda c: f"{c['key']}-{c['data']}")
def test_fold_in(case):
    out = random.fold_in(_key(case["key"]), case["data"])
    np.testing.assert_array_equal(np.asarray(out), _expected(case["out"]))


def _float_cases(name):
    return [c for c in _DATA[name] if c["dtype"] in ("float16", "float32")]


@pytest.mark.parametrize("case", _float_cases("uniform"), ids=lambda c: f"{c['key']}-{c['shape']}-{c['dtype']}")
def test_uniform_bits_exact(case):
    out = random.uniform(_key(case["key"]), tuple(case["shape"]), np.dtype(case["dtype"]),
                         case["minval"], case["maxval"])
    exp = _expected(case["out"])
    assert out.dtype == exp.dtype and out.shape == exp.shape
    np.testing.assert_array_equal(np.asarray(out), exp)


@pytest.mark.parametrize("case", _float_cases("normal"), ids=lambda c: f"{c['key']}-{c['shape']}-{c['dtype']}")
def test_normal_matches_jax(case):
    out = random.normal(_key(case["key"]), tuple(case["shape"]), np.dtype(case["dtype"]))
    exp = _expected(case["out"])
    assert out.dtype == exp.dtype and out.shape == exp.shape
    np.testing.assert_allclose(np.asarray(out, np.float64), exp.astype(np.float64), rtol=2e-3 if exp.dtype == np.float16 else 1e-6, atol=1e-6)


def test_tutorial_values_partitionable():
    key = random.PRNGKey(0)
    A = random.normal(key, shape=(2, 2))
    np.testing.assert_allclose(np.asarray(A), _DATA["tutorial"]["partitionable"], rtol=1e-6)
    B = random.normal(key, shape=(2, 2))
    np.testing.assert_array_equal(np.asarray(A), np.asarray(B))  # same key, same numbers
    k, sub = random.split(key)
    C, D = random.normal(k, (2, 2)), random.normal(sub, (2, 2))
    assert not np.allclose(np.asarray(C), np.asarray(D))


def test_random_under_jit_and_make_jaxpr():
    key = random.PRNGKey(3)
    f = lambda k: random.normal(k, (4,)) + random.uniform(random.split(k)[0], (4,))
    np.testing.assert_array_equal(np.asarray(cotan.jit(f)(key)), np.asarray(f(key)))
    txt = str(cotan.make_jaxpr(lambda k: random.normal(k, (3,)))(key))
    assert "random_normal" in txt


def test_random_values_have_zero_gradient_wrt_scale():
    key = random.PRNGKey(1)
    z = random.normal(key, (5,))
    g = cotan.grad(lambda s: jnp.sum(s * random.normal(key, (5,))))(2.0)
    np.testing.assert_allclose(float(g), float(np.sum(np.asarray(z))), rtol=1e-5)


def test_bad_keys():
    with pytest.raises(TypeError, match="PRNGKey"):
        random.normal(0, (2,))
    with pytest.raises(TypeError, match="uint32"):
        random.normal(jnp.zeros((2,)), (2,))
    with pytest.raises(TypeError, match="floating"):
        random.normal(random.PRNGKey(0), (2,), dtype=jnp.int32)
