"""Tests for cotan._src.config and cotan._src.dtypes.

The promotion table below is transcribed from the binary promotion table in
JAX's "Type promotion semantics" document (bfloat16 row/column left out, as
ml_dtypes is not installed); it is an independent check of the lattice coded
in dtypes.py.
"""
import itertools
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from cotan._src import dtypes
from cotan._src.config import config, enable_x64, disable_x64


# --------------------------------------------------------------------------
# helpers

@pytest.fixture
def restore_x64():
    old = config.jax_enable_x64
    try:
        yield
    finally:
        config.update("jax_enable_x64", old)


@pytest.fixture(params=[False, True], ids=["x32", "x64"])
def x64(request, restore_x64):
    config.update("jax_enable_x64", request.param)
    return request.param


class FakeArray:
    """Something with .dtype and .weak_type, like a cotan Array or Tracer."""

    def __init__(self, dtype, weak_type=False):
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type


class FakeNoWeak:
    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)


# --------------------------------------------------------------------------
# The documented binary promotion table

_NAMES = "b1 u1 u2 u4 u8 i1 i2 i4 i8 f2 f4 f8 c8 c16 i* f* c*".split()
_TABLE = """
b1  b1  u1  u2  u4  u8  i1  i2  i4  i8  f2  f4  f8  c8  c16 i*  f*  c*
u1  u1  u1  u2  u4  u8  i2  i2  i4  i8  f2  f4  f8  c8  c16 u1  f*  c*
u2  u2  u2  u2  u4  u8  i4  i4  i4  i8  f2  f4  f8  c8  c16 u2  f*  c*
u4  u4  u4  u4  u4  u8  i8  i8  i8  i8  f2  f4  f8  c8  c16 u4  f*  c*
u8  u8  u8  u8  u8  u8  f*  f*  f*  f*  f2  f4  f8  c8  c16 u8  f*  c*
i1  i1  i2  i4  i8  f*  i1  i2  i4  i8  f2  f4  f8  c8  c16 i1  f*  c*
i2  i2  i2  i4  i8  f*  i2  i2  i4  i8  f2  f4  f8  c8  c16 i2  f*  c*
i4  i4  i4  i4  i8  f*  i4  i4  i4  i8  f2  f4  f8  c8  c16 i4  f*  c*
i8  i8  i8  i8  i8  f*  i8  i8  i8  i8  f2  f4  f8  c8  c16 i8  f*  c*
f2  f2  f2  f2  f2  f2  f2  f2  f2  f2  f2  f4  f8  c8  c16 f2  f2  c8
f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f8  c8  c16 f4  f4  c8
f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  c16 c16 f8  f8  c16
c8  c8  c8  c8  c8  c8  c8  c8  c8  c8  c8  c8  c16 c8  c16 c8  c8  c8
c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16
i*  i*  u1  u2  u4  u8  i1  i2  i4  i8  f2  f4  f8  c8  c16 i*  f*  c*
f*  f*  f*  f*  f*  f*  f*  f*  f*  f*  f2  f4  f8  c8  c16 f*  f*  c*
c*  c*  c*  c*  c*  c*  c*  c*  c*  c*  c8  c8  c16 c8  c16 c*  c*  c*
"""
_DTYPE_OF = {
    "b1": np.bool_, "u1": np.uint8, "u2": np.uint16, "u4": np.uint32,
    "u8": np.uint64, "i1": np.int8, "i2": np.int16, "i4": np.int32,
    "i8": np.int64, "f2": np.float16, "f4": np.float32, "f8": np.float64,
    "c8": np.complex64, "c16": np.complex128,
}
_PYTYPE_OF = {"i*": int, "f*": float, "c*": complex}
_PYVALUE_OF = {"i*": 3, "f*": 2.5, "c*": 1j}
_WEAK_ARRAY_OF = {"i*": "int32", "f*": "float32", "c*": "complex64"}


def _parse_table():
    rows = [line.split() for line in _TABLE.strip().splitlines()]
    table = {}
    for row in rows:
        assert len(row) == len(_NAMES) + 1
        for col, out in zip(_NAMES, row[1:]):
            table[row[0], col] = out
    return table


TABLE = _parse_table()
PAIRS = sorted(TABLE)


def _expected(name):
    """Expected (dtype, weak) of result_type for a table entry."""
    if name in _PYTYPE_OF:
        return dtypes.canonicalize_dtype(_PYTYPE_OF[name]), True
    return dtypes.canonicalize_dtype(_DTYPE_OF[name]), False


def _as_spec(name):
    return _PYTYPE_OF.get(name) or _DTYPE_OF[name]


def test_table_is_symmetric():
    for a, b in PAIRS:
        assert TABLE[a, b] == TABLE[b, a], (a, b)


@pytest.mark.parametrize("a,b", PAIRS, ids=lambda p: str(p))
def test_result_type_table_dtype_specs(x64, a, b):
    got = dtypes.result_type(_as_spec(a), _as_spec(b),
                             return_weak_type_flag=True)
    assert got == _expected(TABLE[a, b])


@pytest.mark.parametrize("a,b", PAIRS, ids=lambda p: str(p))
def test_result_type_table_values(x64, a, b):
    # Python scalar values, numpy arrays, and weak/strong array-likes.
    def values(name):
        if name in _PYVALUE_OF:
            return [_PYVALUE_OF[name], FakeArray(_WEAK_ARRAY_OF[name], True)]
        return [np.zeros(2, _DTYPE_OF[name]), _DTYPE_OF[name](0),
                FakeArray(_DTYPE_OF[name], False)]

    expected = _expected(TABLE[a, b])
    for va in values(a):
        for vb in values(b):
            got = dtypes.result_type(va, vb, return_weak_type_flag=True)
            assert got == expected, (va, vb)


def test_promote_types_table_x64(restore_x64):
    config.update("jax_enable_x64", True)
    for a, b in PAIRS:
        exp = TABLE[a, b]
        exp_dt = np.dtype(_PYTYPE_OF.get(exp) or _DTYPE_OF[exp])
        assert dtypes.promote_types(_as_spec(a), _as_spec(b)) == exp_dt, (a, b)


def test_promote_types_x32_is_not_canonicalized(restore_x64):
    config.update("jax_enable_x64", False)
    assert dtypes.promote_types(np.float32, np.float64) == np.float64
    assert dtypes.promote_types(int, float) == np.float64
    assert dtypes.promote_types("uint8", int) == np.uint8
    assert dtypes.promote_types("float16", float) == np.float16
    # Without x64 current JAX avoids forming i64 from u32 x i32.
    assert dtypes.promote_types(np.uint32, np.int32) == np.int32
    assert dtypes.promote_types(np.uint32, np.int8) == np.int32
    config.update("jax_enable_x64", True)
    assert dtypes.promote_types(np.uint32, np.int32) == np.int64


def test_x32_and_x64_lattices_agree_after_canonicalization():
    x32, x64 = dtypes._JOINS[False], dtypes._JOINS[True]
    assert x32.keys() == x64.keys()

    def canon32(node):
        dt = dtypes._NODE_TO_DTYPE.get(node)
        return node if dt is None else dtypes._TO_32BIT.get(dt, dt).name

    differing = [k for k in x32 if x32[k] != x64[k]]
    assert differing  # the u32 x i32 edge does change the raw join
    for k in x32:
        assert canon32(x32[k]) == canon32(x64[k]), k


def test_nary_matches_pairwise_fold(restore_x64):
    # With x64 on no canonicalisation interferes, so the n-ary join must equal
    # the fold of binary joins (the weak flag carried along).  (With x64 off a
    # fold is not associative, e.g. (u64, b1) -> u32, then with i8 -> i64.)
    config.update("jax_enable_x64", True)
    specs = [_as_spec(n) for n in _NAMES]
    for a, b, c in itertools.product(specs, repeat=3):
        ab, w = dtypes.result_type(a, b, return_weak_type_flag=True)
        # Fold through an array-like carrying the intermediate weak flag.
        folded = dtypes.result_type(FakeArray(ab, w), c,
                                    return_weak_type_flag=True)
        assert dtypes.result_type(a, b, c, return_weak_type_flag=True) == \
            folded, (a, b, c)


def test_many_args_uses_set_semantics(x64):
    args = [np.int8, np.uint8, 2, 3.0, np.int16, np.int8] * 3
    assert rt(*args) == (dtypes.default_float_dtype(), True)
    assert rt(*args) == rt(*set(args))
    assert dtypes.result_type(*([np.int8] * 10)) == np.int8
    assert dtypes.result_type(*([np.int8] * 9 + [np.uint8])) == np.int16


# --------------------------------------------------------------------------
# Specific documented outcomes and weak types

def rt(*args):
    return dtypes.result_type(*args, return_weak_type_flag=True)


def test_brief_examples_x32(restore_x64):
    config.update("jax_enable_x64", False)
    assert rt(np.float32, 2.0) == (np.float32, False)
    assert rt(np.int32, 2.0) == (np.float32, True)
    assert rt(np.float16, 2.0) == (np.float16, False)
    assert rt(np.int8, 2) == (np.int8, False)
    assert rt(np.uint8, np.int8) == (np.int16, False)
    assert rt(np.int32, np.float16) == (np.float16, False)
    assert rt(np.bool_, 1) == (np.int32, True)
    assert rt(2, 3.0) == (np.float32, True)
    assert rt(np.float32, np.float64) == (np.float32, False)
    assert rt(np.uint64, np.int64) == (np.float32, True)
    assert rt(np.uint32, np.int32) == (np.int32, False)


def test_brief_examples_x64(restore_x64):
    config.update("jax_enable_x64", True)
    assert rt(np.float32, np.float64) == (np.float64, False)
    assert rt(np.int32, 2.0) == (np.float64, True)
    assert rt(2, 3.0) == (np.float64, True)
    assert rt(np.uint64, np.int64) == (np.float64, True)
    assert rt(np.uint32, np.int32) == (np.int64, False)
    assert rt(np.float16, 2.0) == (np.float16, False)


def test_single_arguments(x64):
    f, i, c = (dtypes.default_float_dtype(), dtypes.default_int_dtype(),
               dtypes.default_complex_dtype())
    assert rt(1) == (i, True)
    assert rt(1.0) == (f, True)
    assert rt(1j) == (c, True)
    assert rt(True) == (np.bool_, False)
    assert rt(int) == (i, True)
    assert rt(bool) == (np.bool_, False)
    assert rt(None) == (f, False)
    assert rt(np.int16) == (np.int16, False)
    assert rt("float16") == (np.float16, False)
    assert rt(np.dtype("int64")) == (i, False)
    assert rt(np.zeros(3, np.float64)) == (f, False)
    with pytest.raises(ValueError):
        dtypes.result_type()


def test_python_bool_is_strong(x64):
    assert rt(True, np.int8) == (np.int8, False)
    assert rt(True, False) == (np.bool_, False)
    assert rt(True, 1) == (dtypes.default_int_dtype(), True)
    assert rt(True, 1.0) == (dtypes.default_float_dtype(), True)


def test_weak_arrays(x64):
    f = dtypes.default_float_dtype()
    i = dtypes.default_int_dtype()
    wi32 = FakeArray("int32", True)
    wf32 = FakeArray("float32", True)
    assert rt(wi32) == (i, True)
    assert rt(wi32, np.int8) == (np.int8, False)
    assert rt(wf32, np.float16) == (np.float16, False)
    assert rt(wf32, np.int32) == (f, True)
    assert rt(wi32, wi32) == (i, True)
    assert rt(wi32, FakeArray("int32")) == (np.int32, False)
    assert rt(wi32, wf32) == (f, True)
    # A weak bool is just bool.
    assert rt(FakeArray("bool", True)) == (np.bool_, False)
    assert rt(FakeArray("bool", True), np.uint8) == (np.uint8, False)
    # All-weak inputs: the join of the strong dtypes decides the kind, and the
    # weak result has the default dtype of that kind.
    assert rt(FakeArray("float16", True), 1) == (f, True)
    assert rt(FakeArray("float16", True)) == (f, True)
    assert rt(FakeArray("uint8", True), FakeArray("uint8", True)) == \
        (dtypes.default_uint_dtype(), True)
    assert rt(FakeArray("uint8", True), 1) == (i, True)
    assert rt(FakeArray("uint64", True), FakeArray("int64", True)) == (f, True)
    # A weak uint sits at the i* node when mixed with strong types.
    assert rt(FakeArray("uint32", True), np.int8) == (np.int8, False)
    # Objects without weak_type are strong.
    assert rt(FakeNoWeak("int32"), 1.0) == (f, True)
    assert rt(FakeNoWeak("int8"), 1) == (np.int8, False)


def test_result_type_without_flag_returns_dtype():
    out = dtypes.result_type(np.int8, 1)
    assert isinstance(out, np.dtype) and out == np.int8


def test_result_type_follows_x64_changes(restore_x64):
    config.update("jax_enable_x64", False)
    assert dtypes.result_type(np.float64, 1) == np.float32
    assert dtypes.result_type(1.0) == np.float32
    config.update("jax_enable_x64", True)
    assert dtypes.result_type(np.float64, 1) == np.float64
    assert dtypes.result_type(1.0) == np.float64
    config.update("jax_enable_x64", False)
    assert dtypes.result_type(np.float64, 1) == np.float32


def test_non_native_byte_order(x64):
    assert dtypes.result_type(np.dtype(">f4"), 1) == np.float32
    assert dtypes.result_type(np.zeros(2, ">i2"), np.int8) == np.int16
    assert dtypes.dtype(np.zeros(2, ">f4")) == np.float32
    assert dtypes.canonicalize_dtype(">i2") == np.int16


def test_invalid_arguments_to_result_type():
    with pytest.raises(TypeError, match="not a valid JAX array type"):
        dtypes.result_type(np.array(["a"]), 1)
    with pytest.raises(TypeError, match="not a valid JAX array type"):
        dtypes.result_type(np.dtype(object), np.float32)
    with pytest.raises(TypeError, match="Cannot determine dtype"):
        dtypes.result_type([1, 2], 1)
    with pytest.raises(TypeError, match="Cannot determine dtype"):
        dtypes.result_type("abc", 1)
    with pytest.raises(TypeError):
        dtypes.result_type(object(), 1, 2)


# --------------------------------------------------------------------------
# float0

def test_float0_definition():
    assert dtypes.float0.itemsize == 0
    assert dtypes.float0.kind == "V"
    assert np.zeros((2, 3), dtypes.float0).shape == (2, 3)


@pytest.mark.parametrize("other", [np.float32, np.int32, np.bool_, 1, 1.0,
                                   FakeArray("float32", True)])
def test_float0_promotion_errors(other):
    for args in [(dtypes.float0, other), (other, dtypes.float0),
                 (np.zeros(2, dtypes.float0), other, other)]:
        with pytest.raises(TypeError, match="float0"):
            dtypes.result_type(*args)
    with pytest.raises(ValueError):  # JAX raises ValueError; we are both
        dtypes.result_type(dtypes.float0, other)
    if isinstance(other, type):
        with pytest.raises(TypeError, match="float0"):
            dtypes.promote_types(dtypes.float0, other)


def test_float0_alone_is_fine():
    assert dtypes.result_type(dtypes.float0) == dtypes.float0
    assert dtypes.result_type(dtypes.float0, dtypes.float0) == dtypes.float0
    z = np.zeros(3, dtypes.float0)
    assert dtypes.result_type(z, z, return_weak_type_flag=True) == \
        (dtypes.float0, False)
    assert dtypes.dtype(z) == dtypes.float0
    wz = FakeArray(dtypes.float0, True)
    assert dtypes.result_type(wz, return_weak_type_flag=True) == \
        (dtypes.float0, False)
    assert dtypes.result_type(wz, wz, z) == dtypes.float0
    assert dtypes.canonicalize_dtype(dtypes.float0) == dtypes.float0


def test_float0_issubdtype():
    f0 = dtypes.float0
    assert dtypes.issubdtype(f0, f0)
    assert dtypes.issubdtype(f0, np.void)
    assert dtypes.issubdtype(f0, np.generic)
    assert not dtypes.issubdtype(f0, np.floating)
    assert not dtypes.issubdtype(f0, np.inexact)
    assert not dtypes.issubdtype(np.dtype("V4"), f0)  # numpy would say True
    assert not dtypes.issubdtype(np.float32, f0)
    assert not dtypes.is_float(f0) and not dtypes.is_inexact(f0)
    assert not dtypes.is_numeric(f0)


# --------------------------------------------------------------------------
# canonicalisation and defaults

_CANON_X32 = [
    (np.float64, np.float32), (np.int64, np.int32), (np.uint64, np.uint32),
    (np.complex128, np.complex64), (np.float32, np.float32),
    (np.float16, np.float16), (np.int8, np.int8), (np.uint16, np.uint16),
    (np.bool_, np.bool_), (np.complex64, np.complex64),
    (float, np.float32), (int, np.int32), (complex, np.complex64),
    (bool, np.bool_), ("float64", np.float32), ("int64", np.int32),
    (np.dtype("float64"), np.float32), ("f8", np.float32),
]


@pytest.mark.parametrize("inp,out", _CANON_X32)
def test_canonicalize_x32(restore_x64, inp, out):
    config.update("jax_enable_x64", False)
    got = dtypes.canonicalize_dtype(inp)
    assert isinstance(got, np.dtype) and got == out


@pytest.mark.parametrize("inp,out", _CANON_X32)
def test_canonicalize_x64_is_identity(restore_x64, inp, out):
    config.update("jax_enable_x64", True)
    assert dtypes.canonicalize_dtype(inp) == np.dtype(inp)


def test_canonicalize_cache_follows_flag(restore_x64):
    for _ in range(2):
        config.update("jax_enable_x64", False)
        assert dtypes.canonicalize_dtype(np.float64) == np.float32
        assert dtypes.canonicalize_dtype(int) == np.int32
        config.update("jax_enable_x64", True)
        assert dtypes.canonicalize_dtype(np.float64) == np.float64
        assert dtypes.canonicalize_dtype(int) == np.int64


def test_defaults(restore_x64):
    config.update("jax_enable_x64", False)
    assert (dtypes.default_float_dtype(), dtypes.default_int_dtype(),
            dtypes.default_uint_dtype(), dtypes.default_complex_dtype()) == \
        (np.float32, np.int32, np.uint32, np.complex64)
    assert dtypes.float_ == np.float32 and dtypes.int_ == np.int32
    assert dict(dtypes.python_scalar_dtypes) == {
        bool: np.bool_, int: np.int32, float: np.float32, complex: np.complex64}
    config.update("jax_enable_x64", True)
    assert (dtypes.default_float_dtype(), dtypes.default_int_dtype(),
            dtypes.default_uint_dtype(), dtypes.default_complex_dtype()) == \
        (np.float64, np.int64, np.uint64, np.complex128)
    assert dtypes.float_ == np.float64 and dtypes.complex_ == np.complex128
    assert dtypes.python_scalar_dtypes[float] == np.float64
    assert dtypes.python_scalar_dtypes[bool] == np.bool_
    with pytest.raises(KeyError):
        dtypes.python_scalar_dtypes[np.float64]  # only the Python types


# --------------------------------------------------------------------------
# dtype()

def test_dtype_of_values(x64):
    f, i, c = (dtypes.default_float_dtype(), dtypes.default_int_dtype(),
               dtypes.default_complex_dtype())
    assert dtypes.dtype(True) == np.bool_
    assert dtypes.dtype(3) == i
    assert dtypes.dtype(3.0) == f
    assert dtypes.dtype(3j) == c
    assert dtypes.dtype(np.float16(1)) == np.float16
    assert dtypes.dtype(np.int64(1)) == i
    assert dtypes.dtype(np.zeros(2, np.uint8)) == np.uint8
    assert dtypes.dtype(np.zeros(2, np.float64)) == f
    assert dtypes.dtype(FakeArray("int16", True)) == np.int16
    assert dtypes.dtype(np.array(True)) == np.bool_


def test_dtype_of_specs(x64):
    f, i = dtypes.default_float_dtype(), dtypes.default_int_dtype()
    assert dtypes.dtype(np.float32) == np.float32
    assert dtypes.dtype("float32") == np.float32
    assert dtypes.dtype(np.dtype("int8")) == np.int8
    assert dtypes.dtype(float) == f
    assert dtypes.dtype(int) == i
    assert dtypes.dtype(bool) == np.bool_
    assert dtypes.dtype(np.float64) == f
    assert isinstance(dtypes.dtype(np.float32), np.dtype)


def test_dtype_canonicalize_false(restore_x64):
    config.update("jax_enable_x64", False)
    assert dtypes.dtype(3, canonicalize=False) == np.int64
    assert dtypes.dtype(3.0, canonicalize=False) == np.float64
    assert dtypes.dtype(np.zeros(2), canonicalize=False) == np.float64
    assert dtypes.dtype("int64", canonicalize=False) == np.int64
    assert dtypes.dtype(3) == np.int32


@pytest.mark.parametrize("bad", ["abc", [1, 2], (1.0,), {"a": 1}, object(),
                                 np.array(["a"]), np.array([None]),
                                 np.dtype("U3"), "S5", str, list])
def test_dtype_type_errors(bad):
    with pytest.raises(TypeError) as info:
        dtypes.dtype(bad)
    msg = str(info.value)
    assert "dtype" in msg and ("Cannot determine" in msg or "not a valid" in msg)


def test_dtype_none_is_value_error():
    with pytest.raises(ValueError):
        dtypes.dtype(None)


def test_is_weakly_typed():
    assert dtypes.is_weakly_typed(1)
    assert dtypes.is_weakly_typed(1.0)
    assert dtypes.is_weakly_typed(1j)
    assert not dtypes.is_weakly_typed(True)
    assert not dtypes.is_weakly_typed(np.float32(1))
    assert not dtypes.is_weakly_typed(np.zeros(2))
    assert dtypes.is_weakly_typed(FakeArray("float32", True))
    assert not dtypes.is_weakly_typed(FakeArray("float32", False))
    assert not dtypes.is_weakly_typed("abc")


# --------------------------------------------------------------------------
# predicates and conversions

def test_predicates():
    assert dtypes.is_bool(np.bool_) and dtypes.is_bool(bool)
    assert not dtypes.is_bool(np.int8)
    assert dtypes.is_integer(np.int8) and dtypes.is_integer(np.uint64)
    assert dtypes.is_integer(int) and not dtypes.is_integer(np.bool_)
    assert not dtypes.is_integer(np.float32)
    assert dtypes.is_float(np.float16) and dtypes.is_float("float64")
    assert dtypes.is_float(float) and not dtypes.is_float(np.complex64)
    assert not dtypes.is_float(np.int32)
    assert dtypes.is_complex(np.complex64) and dtypes.is_complex(complex)
    assert not dtypes.is_complex(np.float64)
    assert dtypes.is_inexact(np.float32) and dtypes.is_inexact(np.complex128)
    assert not dtypes.is_inexact(np.int32) and not dtypes.is_inexact(np.bool_)
    assert dtypes.is_signed_integer(np.int8)
    assert not dtypes.is_signed_integer(np.uint8)
    assert dtypes.is_unsigned_integer(np.uint8)


def test_issubdtype_numpy_semantics():
    assert dtypes.issubdtype(np.float32, np.floating)
    assert dtypes.issubdtype(np.float32, np.inexact)
    assert not dtypes.issubdtype(np.float32, np.integer)
    assert dtypes.issubdtype(np.int8, np.signedinteger)
    assert not dtypes.issubdtype(np.uint8, np.signedinteger)
    assert dtypes.issubdtype(np.bool_, np.bool_)
    assert not dtypes.issubdtype(np.bool_, np.integer)
    assert dtypes.issubdtype("complex64", np.complexfloating)
    assert dtypes.issubdtype(np.dtype("int32"), np.number)
    assert dtypes.issubdtype(int, np.integer)
    assert dtypes.issubdtype(np.float64, float)  # numpy: float -> float64
    assert not dtypes.issubdtype(np.float32, np.float64)


def test_isdtype():
    assert dtypes.isdtype(np.int8, "signed integer")
    assert not dtypes.isdtype(np.uint8, "signed integer")
    assert dtypes.isdtype(np.uint8, ("signed integer", "unsigned integer"))
    assert dtypes.isdtype(np.float16, "real floating")
    assert dtypes.isdtype(np.complex64, "numeric")
    assert not dtypes.isdtype(np.bool_, "numeric")
    assert dtypes.isdtype(np.float32, np.float32)
    with pytest.raises(ValueError):
        dtypes.isdtype(np.float32, "nonsense kind")


def test_finfo_iinfo():
    assert dtypes.finfo(np.float32).bits == 32
    assert dtypes.finfo(np.float16).eps == np.finfo(np.float16).eps
    assert dtypes.iinfo(np.int8).min == -128
    assert dtypes.iinfo(np.uint16).max == 65535


def test_to_inexact_complex_real(x64):
    f, c = dtypes.default_float_dtype(), dtypes.default_complex_dtype()
    assert dtypes.to_inexact_dtype(np.int8) == f
    assert dtypes.to_inexact_dtype(np.bool_) == f
    assert dtypes.to_inexact_dtype(np.float16) == np.float16
    assert dtypes.to_inexact_dtype(np.complex64) == np.complex64
    assert dtypes.to_complex_dtype(np.float32) == np.complex64
    assert dtypes.to_complex_dtype(np.float16) == np.complex64
    assert dtypes.to_complex_dtype(np.int32) == c
    assert dtypes.to_complex_dtype(np.float64) == c
    assert dtypes.to_complex_dtype(np.complex128) == c
    assert dtypes.to_real_dtype(np.complex64) == np.float32
    assert dtypes.to_real_dtype(np.complex128) == np.float64
    assert dtypes.to_real_dtype(np.float16) == np.float16
    with pytest.raises(TypeError):
        dtypes.to_inexact_dtype(dtypes.float0)


def test_scalar_type_of():
    assert dtypes.scalar_type_of(np.zeros(2, np.uint8)) is int
    assert dtypes.scalar_type_of(np.float32(1)) is float
    assert dtypes.scalar_type_of(True) is bool
    assert dtypes.scalar_type_of(1j) is complex
    assert dtypes.is_python_scalar(1.0) and not dtypes.is_python_scalar(
        np.float64(1.0))


def test_check_user_dtype_supported(restore_x64):
    config.update("jax_enable_x64", False)
    with pytest.warns(UserWarning, match="float64.*truncated to dtype float32"):
        dtypes.check_user_dtype_supported(np.float64, "zeros")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dtypes.check_user_dtype_supported(np.float32, "zeros")
        dtypes.check_user_dtype_supported(float, "zeros")
        dtypes.check_user_dtype_supported(None)
        config.update("jax_enable_x64", True)
        dtypes.check_user_dtype_supported(np.float64, "zeros")
    with pytest.raises(TypeError):
        dtypes.check_user_dtype_supported(np.dtype("U3"), "zeros")


def test_public_dtypes():
    for name in dtypes.PUBLIC_DTYPES:
        t = getattr(dtypes, name)
        assert issubclass(t, np.generic)
        assert np.dtype(t) in dtypes._JAX_DTYPE_SET
    assert len(dtypes.PUBLIC_DTYPES) == 14 + hasattr(dtypes, "bfloat16")


def test_bfloat16_only_with_ml_dtypes():
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        assert not hasattr(dtypes, "bfloat16")
    else:  # pragma: no cover
        assert dtypes.result_type(dtypes.bfloat16, np.float16) == np.float32


# --------------------------------------------------------------------------
# config

def test_config_defaults_and_values():
    assert config.jax_disable_jit is False
    assert config.jax_log_compiles is False
    assert config.jax_debug_nans is False
    assert config.jax_numpy_rank_promotion == "allow"
    assert config.jax_default_matmul_precision is None
    assert config.values["jax_enable_x64"] == config.jax_enable_x64
    assert set(config.values) >= {"jax_enable_x64", "jax_disable_jit",
                                  "jax_platform_name", "jax_platforms"}
    with pytest.raises(TypeError):
        config.values["jax_enable_x64"] = True  # read-only view


def test_config_update_and_errors():
    old = config.jax_debug_nans
    try:
        config.update("jax_debug_nans", True)
        assert config.jax_debug_nans is True
        assert config.values["jax_debug_nans"] is True
        assert config.read("jax_debug_nans") is True
    finally:
        config.update("jax_debug_nans", old)
    with pytest.raises(AttributeError, match="jax_no_such_option"):
        config.update("jax_no_such_option", 1)
    with pytest.raises(AttributeError, match="jax_no_such_option"):
        config.jax_no_such_option
    with pytest.raises(ValueError):
        config.update("jax_numpy_rank_promotion", "sometimes")
    with pytest.raises(TypeError):
        config.update("jax_enable_x64", "yes please")
    config.update("jax_platform_name", "cpu")  # accepted, ignored
    config.update("jax_platforms", "cpu")
    old = config.jax_numpy_rank_promotion
    try:
        config.update("jax_numpy_rank_promotion", "raise")
        assert config.jax_numpy_rank_promotion == "raise"
    finally:
        config.update("jax_numpy_rank_promotion", old)


def test_attribute_assignment_goes_through_update(restore_x64):
    calls = []
    hook = calls.append
    config._add_hook("jax_enable_x64", hook)
    try:
        config.jax_enable_x64 = not config.jax_enable_x64
        assert len(calls) == 1
        with pytest.raises(AttributeError):
            config.some_random_attribute = 3
    finally:
        config._remove_hook("jax_enable_x64", hook)


def test_x64_hooks(restore_x64):
    calls = []
    hook = calls.append
    config.update("jax_enable_x64", False)
    config._add_hook("jax_enable_x64", hook)
    try:
        config.update("jax_enable_x64", True)
        config.update("jax_enable_x64", True)  # unchanged: no call
        config.update("jax_enable_x64", False)
        assert calls == [True, False]
    finally:
        config._remove_hook("jax_enable_x64", hook)
    config.update("jax_enable_x64", True)
    assert calls == [True, False]
    with pytest.raises(AttributeError):
        config._add_hook("jax_nope", hook)


def test_enable_x64_context_manager(restore_x64):
    config.update("jax_enable_x64", False)
    with enable_x64():
        assert config.jax_enable_x64 is True
        assert dtypes.canonicalize_dtype(np.float64) == np.float64
        with disable_x64():
            assert config.jax_enable_x64 is False
            assert dtypes.dtype(1.0) == np.float32
        assert config.jax_enable_x64 is True
    assert config.jax_enable_x64 is False
    with pytest.raises(RuntimeError):
        with enable_x64(True):
            raise RuntimeError
    assert config.jax_enable_x64 is False
    assert dtypes.dtype(1.0) == np.float32


def _flag_in_subprocess(value):
    env = dict(os.environ)
    env.pop("JAX_ENABLE_X64", None)
    if value is not None:
        env["JAX_ENABLE_X64"] = value
    code = ("from cotan._src.config import config; "
            "from cotan._src import dtypes; "
            "print(config.jax_enable_x64, dtypes.dtype(1.0))")
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


@pytest.mark.parametrize("value,expected", [
    ("1", ["True", "float64"]), ("true", ["True", "float64"]),
    ("True", ["True", "float64"]), ("yes", ["True", "float64"]),
    ("0", ["False", "float32"]), ("false", ["False", "float32"]),
    ("", ["False", "float32"]), (None, ["False", "float32"]),
])
def test_env_var(value, expected):
    assert _flag_in_subprocess(value) == expected
