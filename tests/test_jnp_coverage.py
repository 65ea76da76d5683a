"""How much of ``jax.numpy``'s public namespace ``cotan.numpy`` covers.

The reference list ``tests/data/jax_numpy_names.txt`` is generated once from
an installed JAX by ``tests/data/gen_jax_numpy_names.py`` (this test never
imports JAX).  Missing names are printed (``pytest -s``); the test fails when
the covered fraction drops below ``MIN_COVERAGE``.  Raise ``MIN_COVERAGE`` as
names land (issue 5's bar is 0.95).
"""
import os

import cotan.numpy as jnp

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES_FILE = os.path.join(HERE, "data", "jax_numpy_names.txt")

# the coverage reached so far; never lower it
MIN_COVERAGE = 0.99

# names that make no sense in cotan, with the reason (not counted either way)
EXCLUDED = {
    "from_dlpack": "DLPack exchanges device buffers; cotan has no devices",
    "float8_e3m4": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float8_e4m3": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float8_e4m3b11fnuz": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float8_e4m3fn": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float8_e4m3fnuz": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float8_e5m2": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float8_e5m2fnuz": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float8_e8m0fnu": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float4_e2m1fn": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float6_e2m3fn": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "float6_e3m2fn": "XLA narrow float; NumPy lacks it (needs ml_dtypes, not a dependency)",
    "int1": "XLA sub-byte integer; NumPy lacks it (needs ml_dtypes)",
    "int2": "XLA sub-byte integer; NumPy lacks it (needs ml_dtypes)",
    "int4": "XLA sub-byte integer; NumPy lacks it (needs ml_dtypes)",
    "uint1": "XLA sub-byte integer; NumPy lacks it (needs ml_dtypes)",
    "uint2": "XLA sub-byte integer; NumPy lacks it (needs ml_dtypes)",
    "uint4": "XLA sub-byte integer; NumPy lacks it (needs ml_dtypes)",
}


def reference_names():
    with open(NAMES_FILE) as f:
        return [n.strip() for n in f if n.strip()]


def coverage():
    names = [n for n in reference_names() if n not in EXCLUDED]
    missing = [n for n in names if not hasattr(jnp, n)]
    return 1.0 - len(missing) / len(names), missing


def test_reference_list_is_sane():
    names = reference_names()
    assert names == sorted(set(names)), "jax_numpy_names.txt must be sorted and unique"
    assert len(names) > 300
    stale = sorted(set(EXCLUDED) - set(names))
    assert not stale, f"excluded names not in the reference list: {stale}"


def test_jnp_coverage():
    frac, missing = coverage()
    print(f"\ncotan.numpy covers {frac:.1%} of jax.numpy "
          f"({len(missing)} missing, {len(EXCLUDED)} excluded):")
    print(" ".join(missing))
    assert frac >= MIN_COVERAGE, (
        f"cotan.numpy covers {frac:.3f} of jax.numpy's public names, below "
        f"MIN_COVERAGE={MIN_COVERAGE}; missing: {missing}")
