"""The generic primitive table.

Every primitive in the registry (each ``core.Primitive`` object defined in a
module of ``cotan._src.lax`` or in ``cotan._src.interpreters.ad``) has at
least one row here.  For each row, in float64:

* differentiable rows: ``check_grads(order=2, modes=("fwd", "rev"))`` (the
  derivative of every rule is checked too), and the jaxprs of the JVP and
  VJP functions type-check;
* every row: eager and ``cotan.jit`` agree (values, dtype, weak type),
  ``cotan.make_jaxpr`` records the primitive and ``core.check_jaxpr`` passes;
* non-differentiable rows: the JVP is zero (``float0`` for integer/bool
  outputs).

``test_every_primitive_has_a_row`` fails when a primitive is added without a
row.  The second half checks the dtype and weak type of ``cotan.numpy``
elementwise functions against JAX's promotion rules (x64 off).
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import zlib
from typing import Any, Callable

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan import lax
from cotan._src import core, dtypes
from cotan._src.interpreters import ad
from cotan._src.lax import indexing as lxi
from cotan._src.lax import linalg as _lxl
from cotan.test_util import check_grads

# --------------------------------------------------------------------------
# the registry


def registry():
    """name -> Primitive for every primitive defined in cotan._src.lax (all its
    modules, subpackages included) and cotan._src.interpreters.ad."""
    import cotan._src.lax as lax_pkg
    mods = [ad]
    for info in pkgutil.walk_packages(lax_pkg.__path__, prefix="cotan._src.lax."):
        mods.append(importlib.import_module(info.name))
    found = {}
    for mod in mods:
        for v in vars(mod).values():
            if isinstance(v, core.Primitive):
                prev = found.get(v.name)
                assert prev is None or prev is v, f"two primitives named {v.name!r}"
                found[v.name] = v
    return found


# Primitives owned by work in progress: their modules are being written by
# other helpers right now.  A name here is allowed to have no row; remove it
# (and add a row) when the primitive lands.
PENDING_ROWS: set = set()


# --------------------------------------------------------------------------
# argument generation


@dataclasses.dataclass(frozen=True)
class A:
    """An argument: shape, dtype, domain (see ``_DOMAINS``) or fixed value."""
    shape: tuple = (2, 3)
    dtype: Any = np.float64
    domain: str = "real"
    value: Any = None


def _uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def _nonzero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)


_DOMAINS = {
    "real": lambda rng, shape: rng.standard_normal(shape),
    "pos": _uniform(0.5, 2.0),
    "unit": _uniform(-0.8, 0.8),
    "gt1": _uniform(1.2, 3.0),
    "nonzero": _nonzero,
    "int": lambda rng, shape: rng.integers(-6, 7, shape),
    "shift": lambda rng, shape: rng.integers(0, 8, shape),
    "bool": lambda rng, shape: rng.integers(0, 2, shape).astype(bool),
    # complex domains: real part positive keeps away from branch cuts
    "creal": lambda rng, shape: rng.standard_normal(shape) + 1j * rng.standard_normal(shape),
    "cpos": lambda rng, shape: rng.uniform(0.5, 2.0, shape) + 1j * rng.uniform(-1.0, 1.0, shape),
    # square matrices (..., n, n): symmetric positive definite / well conditioned
    "spd": lambda rng, shape: _spd(rng, shape),
    "wellcond": lambda rng, shape: rng.standard_normal(shape) + 3.0 * np.eye(shape[-1]),
}


def _spd(rng, shape):
    x = rng.standard_normal(shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def make_arg(spec, rng):
    if not isinstance(spec, A):
        return spec
    if spec.value is not None:
        return np.asarray(spec.value, dtype=spec.dtype)
    v = _DOMAINS[spec.domain](rng, spec.shape)
    return np.asarray(v, dtype=spec.dtype)


@dataclasses.dataclass
class Row:
    prim: str                 # the primitive this row exercises
    fun: Callable             # calls the public wrapper
    args: tuple               # A specs (or fixed values)
    diff: bool = True         # differentiable (check_grads) or not (JVP is zero)
    jvp_missing: bool = False  # the JVP rule raises NotImplementedError (known gap)
    order: int = 2
    tol: Any = None           # atol = rtol for check_grads
    eps: Any = None
    tag: str = ""

    @property
    def id(self):
        return self.prim + (f"-{self.tag}" if self.tag else "")

    def make_args(self):
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        return tuple(make_arg(s, rng) for s in self.args)


R = A()                                   # real f64 (2, 3)
F64 = np.float64
C128 = np.complex128
I32 = np.int32


def _unary(name, domain="real", diff=True, tag="", dtype=F64, **kw):
    return Row(name, getattr(lax, name), (A(domain=domain, dtype=dtype),), diff=diff,
               tag=tag, **kw)


def _bind(prim_name):
    def f(*args, **params):
        return registry()[prim_name].bind(*args, **params)
    return f


def _rem_args():
    # |x / y| stays away from integers (rem is discontinuous there)
    x = np.array([[2.3, -1.7, 0.4], [5.25, -3.6, 0.9]])
    y = np.array([[1.0, 0.8, -1.5], [2.0, -1.3, 0.7]])
    return (x, y)


def _eq_args():
    x = np.array([[1.0, 2.0, 3.0], [4.0, -1.0, 0.5]])
    y = np.array([[1.0, 2.5, 3.0], [-4.0, -1.0, 0.25]])
    return (x, y)


def _maxmin_args():
    rng = np.random.default_rng(7)
    y = rng.standard_normal((2, 3))
    x = y + rng.choice([-1.0, 1.0], (2, 3)) * rng.uniform(0.3, 1.0, (2, 3))
    return (x, y)


# one row per primitive at least; several where a primitive has distinct paths
ROWS = [
    # --- unary, smooth
    _unary("neg"),
    _unary("neg", "creal", tag="complex", dtype=C128),
    _unary("exp"),
    _unary("exp", "creal", tag="complex", dtype=C128),
    _unary("exp2"),
    _unary("log", "pos"),
    _unary("log", "cpos", tag="complex", dtype=C128),
    _unary("log1p", "pos"),
    _unary("expm1"),
    _unary("tanh"),
    _unary("tanh", "creal", tag="complex", dtype=C128),
    _unary("logistic"),
    _unary("sin"),
    Row("sin", lax.sin, (A((), F64),), tag="scalar"),
    _unary("sin", "creal", tag="complex", dtype=C128),
    _unary("cos"),
    _unary("cos", "creal", tag="complex", dtype=C128),
    _unary("tan", "unit"),
    _unary("asin", "unit"),
    _unary("acos", "unit"),
    _unary("atan"),
    _unary("sinh"),
    _unary("cosh"),
    _unary("asinh"),
    _unary("acosh", "gt1"),
    _unary("atanh", "unit"),
    _unary("sqrt", "pos"),
    _unary("sqrt", "cpos", tag="complex", dtype=C128),
    _unary("rsqrt", "pos"),
    _unary("cbrt", "nonzero"),
    _unary("abs", "nonzero"),
    _unary("abs", "creal", tag="complex", dtype=C128),
    Row("integer_pow", lambda x: lax.integer_pow(x, 3), (R,), tag="3"),
    Row("integer_pow", lambda x: lax.integer_pow(x, -2), (A(domain="nonzero"),), tag="-2"),
    Row("integer_pow", lambda x: lax.integer_pow(x, 1), (R,), tag="1"),
    Row("integer_pow", lambda x: lax.integer_pow(x, 0), (R,), tag="0"),
    Row("integer_pow", lambda x: lax.integer_pow(x, 2), (A(dtype=I32, domain="int"),),
        diff=False, tag="int"),
    _unary("erf"),
    _unary("erfc"),
    _unary("erf_inv", "unit"),
    _unary("lgamma", "pos"),
    _unary("digamma", "pos"),
    Row("polygamma", lambda x: lax.polygamma(1, x), (A(domain="pos"),), tag="1"),
    Row("polygamma", lambda x: lax.polygamma(3, x), (A(domain="pos"),), tag="3"),
    # --- unary, piecewise constant
    _unary("sign", diff=False),
    _unary("sign", "int", diff=False, tag="int", dtype=I32),
    _unary("floor", diff=False),
    _unary("ceil", diff=False),
    Row("round", lambda x: lax.round(x, 0), (R,), diff=False, tag="away"),
    Row("round", lambda x: lax.round(x, 1), (R,), diff=False, tag="even"),
    _unary("is_finite", diff=False),
    # --- complex parts
    _unary("real", "creal", dtype=C128),
    _unary("imag", "creal", dtype=C128),
    _unary("conj", "creal", dtype=C128),
    _unary("conj", tag="real"),
    Row("complex", lax.complex, (R, R)),
    # --- bitwise / logical
    Row("not", lax.not_, (A(dtype=I32, domain="int"),), diff=False),
    Row("not", lax.not_, (A(dtype=np.bool_, domain="bool"),), diff=False, tag="bool"),
    Row("population_count", lax.population_count, (A(dtype=I32, domain="int"),), diff=False),
    Row("and", lax.and_, (A(dtype=I32, domain="int"),) * 2, diff=False),
    Row("and", lax.and_, (A(dtype=np.bool_, domain="bool"),) * 2, diff=False, tag="bool"),
    Row("or", lax.or_, (A(dtype=I32, domain="int"),) * 2, diff=False),
    Row("xor", lax.xor, (A(dtype=I32, domain="int"),) * 2, diff=False),
    Row("shift_left", lax.shift_left,
        (A(dtype=I32, domain="int"), A(dtype=I32, domain="shift")), diff=False),
    Row("shift_right_arithmetic", lax.shift_right_arithmetic,
        (A(dtype=I32, domain="int"), A(dtype=I32, domain="shift")), diff=False),
    Row("shift_right_logical", lax.shift_right_logical,
        (A(dtype=I32, domain="int"), A(dtype=I32, domain="shift")), diff=False),
    # --- binary arithmetic
    Row("add", lax.add, (R, R)),
    Row("add", lax.add, (A(dtype=C128, domain="creal"),) * 2, tag="complex"),
    Row("add", lax.add, (A(dtype=I32, domain="int"),) * 2, diff=False, tag="int"),
    Row("sub", lax.sub, (R, R)),
    Row("mul", lax.mul, (R, R)),
    Row("mul", lax.mul, (A(dtype=C128, domain="creal"),) * 2, tag="complex"),
    Row("mul", lambda x: lax.mul(x, x), (R,), tag="square"),
    Row("div", lax.div, (R, A(domain="nonzero"))),
    Row("div", lax.div, (A(dtype=C128, domain="creal"), A(dtype=C128, domain="cpos")),
        tag="complex"),
    Row("div", lax.div, (A(dtype=I32, domain="int"), A(dtype=I32, value=[[3, -2, 5], [-4, 1, 7]])),
        diff=False, tag="int"),
    Row("rem", lax.rem, _rem_args()),
    Row("pow", lax.pow, (A(domain="pos"), R)),
    Row("pow", lax.pow, (A(dtype=C128, domain="cpos"), A(dtype=C128, domain="creal")),
        tag="complex"),
    Row("max", lax.max, _maxmin_args()),
    Row("min", lax.min, _maxmin_args()),
    Row("atan2", lax.atan2, (A(domain="nonzero"), A(domain="nonzero"))),
    Row("nextafter", lax.nextafter, (R, R), diff=False),
    # --- comparisons
    Row("eq", lax.eq, _eq_args(), diff=False),
    Row("ne", lax.ne, _eq_args(), diff=False),
    Row("lt", lax.lt, _eq_args(), diff=False),
    Row("le", lax.le, _eq_args(), diff=False),
    Row("gt", lax.gt, _eq_args(), diff=False),
    Row("ge", lax.ge, _eq_args(), diff=False),
    Row("eq", lax.eq, (A(dtype=I32, domain="int"),) * 2, diff=False, tag="int"),
    # --- select_n (differentiable in the cases, not the predicate)
    Row("select_n", lax.select_n, (A(dtype=np.bool_, domain="bool"), R, R)),
    Row("select_n", lax.select_n,
        (A(dtype=I32, value=[[0, 1, 2], [2, 1, 0]]), R, R, R), tag="int3"),
    Row("select_n", lax.select_n, (A((), np.bool_, value=True), R, R), tag="scalar-pred"),
    # --- structural
    Row("convert_element_type", lambda x: lax.convert_element_type(x, np.float32),
        (R,), tol=2e-3, tag="f64-f32"),
    Row("convert_element_type", lambda x: lax.convert_element_type(x, np.float64),
        (A(dtype=np.float32),), tag="f32-f64"),
    Row("convert_element_type", lambda x: lax.convert_element_type(x, np.complex128),
        (R,), tag="f64-c128"),
    Row("convert_element_type", lambda x: lax.convert_element_type(x, np.float64),
        (A(dtype=C128, domain="creal"),), tag="c128-f64"),
    Row("convert_element_type", lambda x: lax.convert_element_type(x, np.int32),
        (R,), diff=False, tag="f64-i32"),
    Row("convert_element_type", lambda x: lax.convert_element_type(x, np.float64),
        (A(dtype=I32, domain="int"),), diff=False, tag="i32-f64"),
    Row("convert_element_type", lambda x: lax.convert_element_type(x, np.float64, weak_type=True),
        (R,), tag="weak"),
    Row("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (4, 3), (1,)),
        (A((3,)),)),
    Row("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 4, 3), (0, 2)),
        (A((2, 1)),), tag="size1"),
    Row("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3), ()),
        (A(()),), tag="scalar"),
    Row("reshape", lambda x: lax.reshape(x, (3, 2)), (R,)),
    Row("reshape", lambda x: lax.reshape(x, (6,), (1, 0)), (R,), tag="dimensions"),
    Row("transpose", lambda x: lax.transpose(x, (2, 0, 1)), (A((2, 3, 4)),)),
    Row("reduce_sum", lambda x: lax.reduce_sum(x, (0,)), (R,)),
    Row("reduce_sum", lambda x: lax.reduce_sum(x, (0, 2)), (A((2, 3, 4)),), tag="02"),
    Row("reduce_sum", lambda x: lax.reduce_sum(x, (0, 1)), (R,), tag="all"),
    Row("concatenate", lambda x, y, z: lax.concatenate([x, y, z], 1),
        (A((2, 1)), A((2, 3)), A((2, 2)))),
    Row("slice", lambda x: lax.slice(x, (0, 1), (2, 3)), (R,)),
    Row("slice", lambda x: lax.slice(x, (1, 0), (4, 5), (2, 3)), (A((5, 6)),), tag="strided"),
    Row("pad", lambda x, v: lax.pad(x, v, ((1, 2, 0), (0, 1, 1))), (R, A(()))),
    Row("pad", lambda x, v: lax.pad(x, v, ((-1, 1, 1), (2, -1, 0))), (R, A(())),
        tag="negative"),
    Row("dot_general", lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ()))),
        (A((2, 3)), A((3, 4))), tag="matmul"),
    Row("dot_general", lambda x, y: lax.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))),
        (A((2, 3, 4)), A((2, 4, 5))), tag="batched"),
    Row("dot_general", lambda x, y: lax.dot_general(x, y, (((0, 2), (2, 0)), ((), ()))),
        (A((2, 3, 4)), A((4, 5, 2))), tag="multi-contract"),
    Row("dot_general", lambda x, y: lax.dot_general(x, y, (((1,), (1,)), ((0,), (2,)))),
        (A((2, 3, 4)), A((5, 3, 2))), tag="batch-not-leading"),
    Row("dot_general", lax.dot, (A((3,)), A((3,))), tag="vdot"),
    Row("dot_general", lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ()))),
        (A((2, 3), C128, "creal"), A((3, 2), C128, "creal")), tag="complex"),
    Row("dot_general", lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ())),
                                                    preferred_element_type=np.float64),
        (A((2, 3), np.float32), A((3, 2), np.float32)), tag="preferred"),
    # --- reductions (lax/reductions.py)
    Row("reduce_max", lambda x: lax.reduce_max(x, (1,)), (R,)),
    Row("reduce_max", lambda x: lax.reduce_max(x, (0, 1)), (R,), tag="all"),
    Row("reduce_max", lambda x: lax.reduce_max(x, (0,)), (A(dtype=I32, domain="int"),),
        diff=False, tag="int"),
    Row("reduce_min", lambda x: lax.reduce_min(x, (0,)), (R,)),
    Row("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), (A(domain="nonzero"),)),
    Row("reduce_prod", lambda x: lax.reduce_prod(x, (0, 1)), (A(domain="nonzero"),), tag="all"),
    Row("reduce_prod", lambda x: lax.reduce_prod(x, (1,)),
        (A(value=[[0.0, 1.5, -2.0], [0.7, 0.0, 1.1]]),), tag="one-zero"),
    Row("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), (A(dtype=I32, domain="int"),),
        diff=False, tag="int"),
    Row("reduce_and", lambda x: lax.reduce_and(x, (1,)), (A(dtype=np.bool_, domain="bool"),),
        diff=False),
    Row("reduce_and", lambda x: lax.reduce_and(x, (0,)), (A(dtype=I32, domain="int"),),
        diff=False, tag="int"),
    Row("reduce_or", lambda x: lax.reduce_or(x, (1,)), (A(dtype=np.bool_, domain="bool"),),
        diff=False),
    Row("reduce_xor", lambda x: lax.reduce_xor(x, (0, 1)), (A(dtype=I32, domain="int"),),
        diff=False),
    Row("argmax", lambda x: lax.argmax(x, 1, np.int32), (R,), diff=False),
    Row("argmin", lambda x: lax.argmin(x, 0, np.int32), (R,), diff=False),
    Row("cumsum", lambda x: lax.cumsum(x, 1), (R,)),
    Row("cumsum", lambda x: lax.cumsum(x, 0, reverse=True), (A((4, 3)),), tag="reverse"),
    Row("cumsum", lambda x: lax.cumsum(x, 0), (A(dtype=I32, domain="int"),), diff=False,
        tag="int"),
    Row("cumprod", lambda x: lax.cumprod(x, 1), (A((2, 5), domain="nonzero"),)),
    Row("cumprod", lambda x: lax.cumprod(x, 1, reverse=True), (A((2, 5), domain="nonzero"),),
        tag="reverse"),
    Row("cummax", lambda x: lax.cummax(x, 1), (A((2, 5)),)),
    Row("cummin", lambda x: lax.cummin(x, 0, reverse=True), (A((5, 2)),)),
    Row("cumlogsumexp", lambda x: lax.cumlogsumexp(x, 1), (A((2, 5)),)),
    # --- indexing (lax/indexing.py); index arrays are int arguments (float0 tangents)
    Row("rev", lambda x: lxi.rev(x, (0,)), (R,)),
    Row("rev", lambda x: lxi.rev(x, (0, 1)), (R,), tag="both"),
    Row("dynamic_slice", lambda x: lxi.dynamic_slice(x, (1, 0), (1, 2)), (R,)),
    Row("dynamic_slice", lambda x, i: lxi.dynamic_slice(x, (i, 1), (2, 2)),
        (A((3, 4)), A((), I32, value=1)), tag="traced-start"),
    Row("dynamic_slice", lambda x: lxi.dynamic_slice(x, (5, -1), (2, 2)), (A((3, 4)),),
        tag="clamped"),
    Row("dynamic_update_slice", lambda x, u: lxi.dynamic_update_slice(x, u, (0, 1)),
        (R, A((2, 2)))),
    Row("dynamic_update_slice", lambda x, u, i: lxi.dynamic_update_slice(x, u, (i, 0)),
        (A((4, 3)), A((2, 3)), A((), I32, value=3)), tag="traced-clamped"),
    Row("gather", lambda x, i: lxi.gather(x, i, (0,)),
        (A((4, 3)), A((3, 1), I32, value=[[2], [0], [2]]))),
    Row("gather", lambda x, i: lxi.gather(x, i, (0, 2)),
        (A((3, 2, 4)), A((2, 2, 2), I32, value=[[[0, 1], [2, 3]], [[1, 0], [0, 3]]])),
        tag="two-axes"),
    Row("gather", lambda x, i: lxi.gather(x, i, (1,), mode="fill", fill_value=1.5),
        (A((2, 3)), A((4, 1), I32, value=[[0], [5], [2], [-1]])), tag="fill"),
    Row("gather", lambda x, i: lxi.gather(x, i, (1,), mode="clip"),
        (A((2, 3)), A((3, 1), I32, value=[[0], [5], [-2]])), tag="clip"),
    Row("scatter", lambda x, i, u: lxi.scatter(x, i, u, (0,), unique_indices=True),
        (A((4, 3)), A((2, 1), I32, value=[[3], [1]]), A((2, 3)))),
    Row("scatter", lambda x, i, u: lxi.scatter(x, i, u, (0,)),
        (A((4, 3)), A((3, 1), I32, value=[[1], [3], [1]]), A((3, 3))), tag="duplicates"),
    Row("scatter", lambda x, i, u: lxi.scatter(x, i, u, (0,)),
        (A((4, 3)), A((2, 1), I32, value=[[7], [0]]), A((2, 3))), tag="drop"),
    Row("scatter-add", lambda x, i, u: lxi.scatter_add(x, i, u, (1,)),
        (A((2, 4)), A((3, 1), I32, value=[[1], [3], [1]]), A((3, 2)))),
    Row("scatter-mul", lambda x, i, u: lxi.scatter_mul(x, i, u, (0,)),
        (A((3, 2), domain="nonzero"), A((3, 1), I32, value=[[2], [0], [2]]),
         A((3, 2), domain="nonzero"))),
    Row("scatter-mul", lambda x, i, u: lxi.scatter_mul(x, i, u, (0,)),
        (A((3, 2), domain="nonzero"), A((3, 1), I32, value=[[2], [0], [2]]),
         A((3, 2), value=[[0.0, 1.5], [2.0, -0.5], [0.7, 0.0]])), tag="zero-update"),
    Row("scatter-min", lambda x, i, u: lxi.scatter_min(x, i, u, (0,)),
        (A((3, 2), value=[[0.5, -1.0], [2.0, 0.1], [-0.3, 0.9]]),
         A((3, 1), I32, value=[[2], [0], [2]]),
         A((3, 2), value=[[0.2, 1.7], [-1.1, 0.6], [-0.8, -0.2]]))),
    Row("scatter-max", lambda x, i, u: lxi.scatter_max(x, i, u, (0,)),
        (A((3, 2), value=[[0.5, -1.0], [2.0, 0.1], [-0.3, 0.9]]),
         A((3, 1), I32, value=[[2], [0], [2]]),
         A((3, 2), value=[[0.2, 1.7], [-1.1, 0.6], [-0.8, -0.2]]))),
    # --- linear algebra (lax/linalg.py; more in tests/test_linalg.py)
    Row("svd_values", lambda x: lax.svd(x, compute_uv=False), (A((3, 2)),)),
    Row("svd_values", lambda x: lax.svd(x, compute_uv=False), (A((2, 3, 3)),), tag="batched"),
    Row("svd", lambda x: lax.linalg.svd(x, full_matrices=False), (A((3, 2)),), tag="tall"),
    Row("svd", lambda x: lax.linalg.svd(x, full_matrices=False), (A((2, 3)),), tag="wide"),
    Row("svd", lambda x: lax.linalg.svd(x), (A((3, 3)),), tag="square-full"),
    Row("cholesky", lax.linalg.cholesky, (A((3, 3), domain="spd"),)),
    Row("cholesky", lax.linalg.cholesky, (A((2, 3, 3), domain="spd"),), tag="batched"),
    Row("triangular_solve", lambda a, b: lax.linalg.triangular_solve(
        a, b, left_side=True, lower=True), (A((3, 3), domain="wellcond"), A((3, 2)))),
    Row("triangular_solve", lambda a, b: lax.linalg.triangular_solve(
        a, b, left_side=False, lower=False, transpose_a=True),
        (A((3, 3), domain="wellcond"), A((2, 3))), tag="right-upper-T"),
    Row("triangular_solve", lambda a, b: lax.linalg.triangular_solve(
        a, b, left_side=True, lower=False, unit_diagonal=True),
        (A((3, 3), domain="wellcond"), A((3, 2))), tag="unit"),
    Row("triangular_solve", lambda a, b: lax.linalg.triangular_solve(
        a, b, left_side=True, lower=True, transpose_a=True, conjugate_a=True),
        (A((3, 3), C128, domain="cpos"), A((3, 2), C128, domain="creal")), tag="complex-H"),
    Row("lu", lambda x: lax.linalg.lu(x)[0], (A((3, 3)),)),
    Row("lu", lambda x: lax.linalg.lu(x)[0], (A((3, 4)),), tag="wide"),
    Row("lu", lambda x: lax.linalg.lu(x)[0], (A((4, 2)),), tag="tall"),
    Row("qr", lambda x: lax.linalg.qr(x, full_matrices=False), (A((3, 2)),)),
    Row("qr", lambda x: lax.linalg.qr(x), (A((3, 3)),), tag="square"),
    Row("eigh", lax.linalg.eigh, (A((3, 3)),)),
    Row("eigh", lax.linalg.eigh, (A((2, 3, 3)),), tag="batched"),
    # only the eigenvalues of eig are differentiable, once (as in JAX)
    Row("eig", lambda x: lax.linalg.eig(x, compute_right_eigenvectors=False)[0],
        (A((3, 3)),), order=1),
    Row("eig", lambda x: lax.linalg.eig(x), (A((3, 3)),), diff=False, jvp_missing=True,
        tag="vectors"),
    Row("det", _lxl.det, (A((3, 3)),)),
    Row("det", _lxl.det, (A((2, 3, 3)),), tag="batched"),
    Row("det", _lxl.det, (A((3, 3), C128, domain="creal"),), tag="complex"),
    Row("det", _lxl.det, (A((3, 3), value=[[1., 2, 3], [4, 5, 6], [7, 8, 9]]),),
        tag="singular"),
    Row("cofactor", _lxl.cofactor, (A((3, 3)),)),
    Row("cofactor", _lxl.cofactor, (A((2, 3, 3)),), tag="batched"),
    Row("slogdet", _lxl.slogdet, (A((3, 3), domain="wellcond"),)),
    Row("slogdet", _lxl.slogdet, (A((2, 3, 3), domain="wellcond"),), tag="batched"),
    Row("slogdet", _lxl.slogdet, (A((3, 3), C128, domain="cpos"),), tag="complex"),
    Row("pinv", _lxl.pinv, (A((3, 4)),)),
    Row("pinv", _lxl.pinv, (A((2, 4, 2)),), tag="batched-tall"),
    Row("pinv", _lxl.pinv, (A((3, 3), value=np.diag([2., 2., 1.])),), tag="repeated"),
    Row("reduce_precision", lambda x: lax.reduce_precision(x, 11, 52), (R,)),
    # --- transformation-only primitives
    Row("stop_gradient", lax.stop_gradient, (R,), diff=False),
    Row("add_any", _bind("add_any"), (R, R)),
    # --- control flow (lax/control_flow.py; more in tests/test_control_flow.py)
    Row("cond", lambda x, y: lax.cond(jnp.sum(x) > 0, lambda a, b: jnp.sin(a) * b,
                                      lambda a, b: a * b * b, x, y),
        (A(domain="pos"), R), tag="true"),
    Row("cond", lambda x, y: lax.cond(jnp.sum(x) < 0, lambda a, b: jnp.sin(a) * b,
                                      lambda a, b: (a * b * b, a)[0], x, y),
        (A(domain="pos"), R), tag="false"),
    # switch: the index (argmax, an integer) differs across vmapped examples
    Row("cond", lambda x: lax.switch(jnp.argmax(x[0]), [jnp.sin, lambda a: a * a, jnp.cos], x),
        (R,), tag="switch"),
    Row("scan", lambda c, xs: lax.scan(lambda c, a: (jnp.sin(c) * a + 0.5 * c, c * a), c, xs),
        (A((3,)), A((4, 3))), tag="carry-ys"),
    Row("scan", lambda c, xs: lax.scan(lambda c, a: (c * a + 1.0, jnp.cos(c + a)), c, xs,
                                       reverse=True), (A((3,)), A((4, 3), domain="unit")),
        tag="reverse"),
    Row("scan", lambda x: lax.fori_loop(0, 3, lambda i, c: jnp.sin(c) * x + i, x), (R,),
        tag="fori"),
    # while_loop cannot be reverse-differentiated (JAX's ValueError, tested in
    # tests/test_control_flow.py, as is forward mode with float carries): its
    # row loops on an integer carry under a float-dependent predicate, so its
    # output is not differentiable and the JVP/VJP are zero.
    Row("while", lambda x: lax.while_loop(
        lambda c: c[1] * jnp.sum(jnp.abs(x)) < 4.0, lambda c: (c[0] + 1, c[1] + 0.5),
        (0, 0.0))[0], (R,), diff=False),
    # fft (lax/fft.py)
    Row("fft", lambda x: lax.fft(x, "FFT", (3,)), (A((2, 3), C128, "creal"),), tag="fft"),
    Row("fft", lambda x: lax.fft(x, "IFFT", (2, 3)), (A((2, 2, 3), C128, "creal"),), tag="ifft2"),
    Row("fft", lambda x: lax.fft(x, "RFFT", (4,)), (A((2, 4)),), tag="rfft-even"),
    Row("fft", lambda x: lax.fft(x, "RFFT", (2, 5)), (A((2, 5)),), tag="rfft2-odd"),
    Row("fft", lambda x: lax.fft(x, "IRFFT", (4,)), (A((2, 3), C128, "creal"),), tag="irfft-even"),
    Row("fft", lambda x: lax.fft(x, "IRFFT", (5,)), (A((2, 3), C128, "creal"),), tag="irfft-odd"),
    # sorting (lax/sorting.py)
    Row("sort", lambda x: lax.sort(x), (A((3, 4)),)),
    Row("sort", lambda x: lax.sort(x, 0), (A((4, 3)),), tag="dim0"),
    Row("sort", lambda x, y: lax.sort((x, y), 0, num_keys=1), (A((4, 3)), A((4, 3))),
        tag="key-val"),
    Row("sort", lambda x, y: lax.sort((x, y), 1, num_keys=2), (A((2, 4)), A((2, 4))),
        tag="two-keys"),
    Row("sort", lambda x: lax.argsort(x, 1), (A((3, 4)),), diff=False, tag="argsort"),
    Row("top_k", lambda x: lax.top_k(x, 2)[0], (A((3, 4)),)),
    Row("top_k", lambda x: lax.top_k(x, 3, axis=0)[0], (A((4, 2)),), tag="axis0"),
    Row("top_k", lambda x: lax.top_k(x, 3)[1], (A((2, 4)),), diff=False, tag="indices"),
    # --- convolution and windowed reductions (lax/convolution.py, lax/windowed.py)
    Row("conv_general_dilated", lambda x, w: lax.conv_general_dilated(
        x, w, (2, 1), ((1, 0), (0, 1)), lhs_dilation=(1, 2), rhs_dilation=(2, 1),
        feature_group_count=2), (A((2, 4, 5, 3)), A((4, 2, 2, 2)))),
    Row("conv_general_dilated", lambda x, w: lax.conv_general_dilated(
        x, w, (1,), "SAME", dimension_numbers=("NWC", "WIO", "NWC")),
        (A((2, 5, 3)), A((3, 3, 2))), tag="nwc"),
    Row("conv_general_dilated", lambda x, w: lax.conv_general_dilated(
        x, w, (1,), "VALID", batch_group_count=2), (A((4, 2, 5)), A((4, 2, 2))),
        tag="batch-groups"),
    Row("reduce_window_sum", lambda x: lax.reduce_window(
        x, 0.0, lax.add, (2, 2), (1, 2), "SAME"), (A((3, 5)),)),
    Row("reduce_window_max", lambda x: lax.reduce_window(
        x, -np.inf, lax.max, (2, 2), (1, 2), ((1, 0), (0, 1))), (A((3, 5)),)),
    Row("reduce_window_min", lambda x: lax.reduce_window(
        x, np.inf, lax.min, (1, 3), (1, 1), "VALID", window_dilation=(1, 2)), (A((3, 6)),)),
    # special functions (lax/special.py)
    Row("igamma", lambda x: lax.igamma(jnp.full((2, 3), 1.7), x), (A(domain="pos"),), tag="x"),
    Row("igamma", lax.igamma, (A(domain="gt1"), A(domain="pos")), order=1, tol=1e-4, tag="a"),
    Row("igamma_grad_a", lax.igamma_grad_a, (A(domain="gt1"), A(domain="pos")), diff=False,
        jvp_missing=True),
    Row("igammac", lambda x: lax.igammac(jnp.full((2, 3), 1.7), x), (A(domain="pos"),)),
    Row("zeta", lambda q: lax.zeta(jnp.full((2, 3), 3.5), q), (A(domain="pos"),)),
    Row("bessel_i0e", lax.bessel_i0e, (R,)),
    Row("bessel_i1e", lax.bessel_i1e, (R,)),
    Row("ndtri", lambda p: lax.ndtri(0.5 + 0.4 * p), (A(domain="unit"),)),
    Row("regularized_incomplete_beta",
        lambda x: lax.regularized_incomplete_beta(jnp.full((2, 3), 1.5), jnp.full((2, 3), 2.5),
                                                  0.5 + 0.4 * x), (A(domain="unit"),)),
]

ROW_IDS = [r.id for r in ROWS]
assert len(set(ROW_IDS)) == len(ROW_IDS), "duplicate row ids"


# --------------------------------------------------------------------------
# helpers


def _np(x):
    return np.asarray(x)


def _assert_same(a, b, what):
    """Eager and jitted results: same dtype, weak type and values."""
    al, at = cotan.tree_util.tree_flatten(a)
    bl, bt = cotan.tree_util.tree_flatten(b)
    assert at == bt, f"{what}: tree {at} vs {bt}"
    for x, y in zip(al, bl):
        assert x.dtype == y.dtype, f"{what}: dtype {x.dtype} vs {y.dtype}"
        assert x.shape == y.shape, f"{what}: shape {x.shape} vs {y.shape}"
        assert bool(x.weak_type) == bool(y.weak_type), f"{what}: weak_type differs"
        np.testing.assert_array_equal(_np(x), _np(y), err_msg=what)


def _tangent(x, rng):
    x = np.asarray(x)
    if x.dtype.kind not in "fc":
        return np.zeros(x.shape, dtypes.float0)
    t = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        t = t + 1j * rng.standard_normal(x.shape)
    return np.asarray(t, x.dtype)


def _uses(closed, prim):
    return any(e.primitive is prim for e in closed.jaxpr.eqns)


# --------------------------------------------------------------------------
# coverage


# Collectives have no value outside a named vmap, so a table row cannot
# exercise them; tests/test_collectives.py gives each the same checks
# (values, vmap nesting, jit, check_grads to second order).
COLLECTIVES = {"psum", "pmean", "pmax", "pmin", "all_gather", "psum_scatter", "ppermute",
               "axis_index"}


def test_every_primitive_has_a_row():
    reg = registry()
    covered = {r.prim for r in ROWS}
    missing = sorted(set(reg) - covered - PENDING_ROWS - COLLECTIVES)
    assert not missing, (
        f"primitives without a row in tests/test_primitives.py ROWS: {missing}. "
        "Add a row (name, function calling the public wrapper, args with a domain, "
        "diff flag) for each.")


def test_rows_name_real_primitives():
    reg = registry()
    stale = sorted({r.prim for r in ROWS} - set(reg))
    assert not stale, f"rows for primitives that are not in the registry: {stale}"


def test_pending_list_is_only_for_missing_primitives():
    # informative: a pending name that now exists should get a row (the
    # coverage test above does not fail for it, this one does)
    reg = registry()
    covered = {r.prim for r in ROWS}
    landed = sorted(n for n in PENDING_ROWS if n in reg and n not in covered)
    assert not landed, f"pending primitives have landed and need rows: {landed}"


# --------------------------------------------------------------------------
# the per-row checks (float64)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_eager_vs_jit(row, x64):
    args = row.make_args()
    eager = row.fun(*args)
    jitted = cotan.jit(row.fun)(*args)
    _assert_same(eager, jitted, f"{row.id}: eager vs jit")
    # a second call hits the cache and still agrees
    _assert_same(eager, cotan.jit(row.fun)(*args), f"{row.id}: eager vs jit (cached)")


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_make_jaxpr_and_check(row, x64):
    args = row.make_args()
    prim = registry()[row.prim]
    closed = cotan.make_jaxpr(row.fun)(*args)
    core.check_jaxpr(closed.jaxpr)
    assert _uses(closed, prim), f"row {row.id} does not exercise {row.prim}:\n{closed}"
    str(closed)  # pretty-prints
    out = core.eval_jaxpr(closed.jaxpr, closed.consts, *args)
    eager = row.fun(*args)
    eager = eager if isinstance(eager, (list, tuple)) else [eager]
    for a, b in zip(out, eager):
        np.testing.assert_array_equal(_np(a), _np(b))


@pytest.mark.parametrize("row", [r for r in ROWS if r.diff], ids=[r.id for r in ROWS if r.diff])
def test_check_grads(row, x64):
    args = row.make_args()
    check_grads(row.fun, args, order=row.order, modes=("fwd", "rev"),
                atol=row.tol, rtol=row.tol, eps=row.eps)


JVP_ROWS = [r for r in ROWS if not r.jvp_missing]
NONDIFF_ROWS = [r for r in JVP_ROWS if not r.diff]
NONDIFF_FLOAT_ROWS = [r for r in NONDIFF_ROWS if any(
    np.dtype(s.dtype).kind in "fc" for s in r.args if isinstance(s, A))]


@pytest.mark.parametrize("row", JVP_ROWS, ids=[r.id for r in JVP_ROWS])
def test_derivative_jaxprs_typecheck(row, x64):
    args = row.make_args()
    rng = np.random.default_rng(0)
    tangents = tuple(_tangent(a, rng) for a in args)

    def f_jvp(*a):
        return cotan.jvp(row.fun, a, tangents)

    closed = cotan.make_jaxpr(f_jvp)(*args)
    core.check_jaxpr(closed.jaxpr)
    if row.diff:
        out = row.fun(*args)

        def f_vjp(*a):
            y, pb = cotan.vjp(row.fun, *a)
            return pb(y)

        del out
        closed = cotan.make_jaxpr(f_vjp)(*args)
        core.check_jaxpr(closed.jaxpr)


@pytest.mark.parametrize("row", NONDIFF_ROWS, ids=[r.id for r in NONDIFF_ROWS])
def test_nondifferentiable_jvp_is_zero(row, x64):
    args = row.make_args()
    rng = np.random.default_rng(1)
    tangents = tuple(_tangent(a, rng) for a in args)
    out, t_out = cotan.jvp(row.fun, args, tangents)
    outs = out if isinstance(out, (list, tuple)) else [out]
    ts = t_out if isinstance(t_out, (list, tuple)) else [t_out]
    for o, t in zip(outs, ts):
        if o.dtype.kind in "fc":
            assert t.dtype == o.dtype, f"{row.id}: tangent dtype {t.dtype} for output {o.dtype}"
            assert not np.any(_np(t)), f"{row.id}: JVP of a non-differentiable primitive is not 0"
        else:
            assert t.dtype == dtypes.float0, f"{row.id}: tangent of {o.dtype} output is {t.dtype}"
        assert t.shape == o.shape


@pytest.mark.parametrize("row", NONDIFF_FLOAT_ROWS, ids=[r.id for r in NONDIFF_FLOAT_ROWS])
def test_nondifferentiable_vjp_is_zero(row, x64):
    args = row.make_args()
    out, pb = cotan.vjp(row.fun, *args)
    ct = np.ones(out.shape, out.dtype) if out.dtype.kind in "fc" else \
        np.zeros(out.shape, dtypes.float0)
    cts = pb(ct)
    for a, c in zip(args, cts):
        if np.asarray(a).dtype.kind in "fc":
            assert not np.any(_np(c))


MISSING_ROWS = [r for r in ROWS if r.jvp_missing]


@pytest.mark.parametrize("row", MISSING_ROWS, ids=[r.id for r in MISSING_ROWS])
def test_known_missing_jvp_raises(row, x64):
    # a known gap: differentiating raises NotImplementedError (not a wrong
    # answer).  When the rule lands this fails: drop jvp_missing from the row.
    args = row.make_args()
    rng = np.random.default_rng(2)
    tangents = tuple(_tangent(a, rng) for a in args)
    with pytest.raises(NotImplementedError):
        cotan.jvp(row.fun, args, tangents)


# --------------------------------------------------------------------------
# batching (vmap): every primitive has a rule, and every row batches


# Primitives whose batching rules are being written by other helpers right
# now.  A name here may lack an entry in batching.primitive_batchers and its
# rows are skipped by the vmap checks; remove it when its rule lands
# (test_pending_batchers_have_not_landed fails until then).  Empty: the rules
# of lax/indexing.py and lax/parallel.py (collectives) have landed.
PENDING_BATCHERS = set()

# Primitives that never consult batching.primitive_batchers, so need no rule:
# axis_index has no operands; its bind returns the named vmap's iota as a
# batched value directly (lax/parallel.py), or is staged when a jit trace is
# above that vmap and re-bound the same way when the jaxpr is evaluated.
NO_BATCHER_NEEDED = {"axis_index"}


def _batched_registry():
    """The registry plus the primitives of cotan._src.random (not under lax)."""
    from cotan._src import random as crandom
    found = dict(registry())
    for v in vars(crandom).values():
        if isinstance(v, core.Primitive):
            found[v.name] = v
    return found


def test_every_primitive_has_a_batching_rule():
    from cotan._src.interpreters import batching
    missing = sorted(n for n, p in _batched_registry().items()
                     if p not in batching.primitive_batchers
                     and n not in PENDING_BATCHERS | NO_BATCHER_NEEDED)
    assert not missing, (
        f"primitives without a batching rule (batching.primitive_batchers): {missing}. "
        "Register one in the primitive's registration block (see "
        "notes/KERNEL_CONVENTIONS.md, 'Batching rules').")


def test_pending_batchers_have_not_landed():
    from cotan._src.interpreters import batching
    landed = sorted(n for n, p in _batched_registry().items()
                    if n in PENDING_BATCHERS and p in batching.primitive_batchers)
    assert not landed, f"batching rules have landed: remove {landed} from PENDING_BATCHERS"


_VMAP_SCALES = (1.0, 1.25, 0.8, 1.5, 0.6, 1.1)


def _vmap_draws(row, n):
    """``n`` independent draws of the row's arguments (its domains); fixed
    values are reused, floating ones rescaled (which keeps their relations:
    ties, signs, ratios)."""
    rng = np.random.default_rng(zlib.crc32(("vmap-" + row.id).encode()))
    draws = []
    for i in range(n):
        args = []
        for s in row.args:
            if isinstance(s, A) and s.value is None:
                args.append(make_arg(s, rng))
                continue
            v = make_arg(s, rng)
            v = np.asarray(v)
            if v.dtype.kind in "fc":
                v = (v * _VMAP_SCALES[i]).astype(v.dtype)
            args.append(v)
        draws.append(tuple(args))
    return draws


def _leaves(x):
    return cotan.tree_util.tree_flatten(x)[0]


def _stack_out(outs):
    """Stack a list of per-example outputs (each a pytree) leaf by leaf."""
    per = [_leaves(o) for o in outs]
    vals = [np.stack([_np(p[k]) for p in per]) for k in range(len(per[0]))]
    return vals, [bool(getattr(x, "weak_type", False)) for x in per[0]]


def _assert_batched_close(got, want, what):
    want_vals, want_weak = want
    got_l = _leaves(got)
    assert len(got_l) == len(want_vals), what
    for g, w, weak in zip(got_l, want_vals, want_weak):
        assert g.dtype == w.dtype, f"{what}: dtype {g.dtype} vs {w.dtype}"
        assert g.shape == w.shape, f"{what}: shape {g.shape} vs {w.shape}"
        assert bool(g.weak_type) == weak, f"{what}: weak_type {g.weak_type} vs {weak}"
        if w.dtype.kind in "fc":
            tol = 1e-5 if w.dtype.itemsize * (2 if w.dtype.kind == "f" else 1) <= 8 else 1e-12
            np.testing.assert_allclose(_np(g), w, rtol=tol, atol=tol, err_msg=what)
        else:
            np.testing.assert_array_equal(_np(g), w, err_msg=what)


def _vmap_configs(nargs):
    """(name, in_axes) pairs: every argument batched along axis 0; with two or
    more arguments, each one in turn unbatched (None), and each one alone
    batched along its last axis; every argument batched along axis -1."""
    cfgs = [("axes0", (0,) * nargs)]
    if nargs >= 2:
        for j in range(nargs):
            cfgs.append((f"arg{j}-unbatched", tuple(None if k == j else 0 for k in range(nargs))))
        for j in range(nargs):
            cfgs.append((f"only-arg{j}-last", tuple(-1 if k == j else None for k in range(nargs))))
    cfgs.append(("negative", (-1,) * nargs))
    return cfgs


def _check_traced(f, args, eager, what):
    jitted = cotan.jit(f)(*args)
    for a, b in zip(_leaves(eager), _leaves(jitted)):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: jit {b.dtype}{b.shape}"
        assert bool(a.weak_type) == bool(b.weak_type), f"{what}: jit weak_type"
        np.testing.assert_array_equal(_np(a), _np(b), err_msg=f"{what}: jit(vmap) vs vmap")
    closed = cotan.make_jaxpr(f)(*args)
    core.check_jaxpr(closed.jaxpr)


def _skip_if_pending(row):
    from cotan._src.interpreters import batching
    prim = registry()[row.prim]
    if prim not in batching.primitive_batchers and row.prim in PENDING_BATCHERS:
        pytest.skip(f"batching rule for {row.prim} pending (PENDING_BATCHERS)")


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_vmap_vs_loop(row, x64):
    _skip_if_pending(row)
    n = len(row.args)
    draws = _vmap_draws(row, 6)
    flat = draws[:3]
    want = _stack_out([row.fun(*a) for a in flat])
    for name, in_axes in _vmap_configs(n):
        what = f"{row.id} vmap in_axes={in_axes}"
        args = []
        for k, ax in enumerate(in_axes):
            if ax is None:
                args.append(flat[0][k])
            else:
                args.append(np.stack([d[k] for d in flat], axis=ax))
        if any(ax is None for ax in in_axes):
            ref = _stack_out([row.fun(*[flat[0][k] if ax is None else d[k]
                                        for k, ax in enumerate(in_axes)]) for d in flat])
        else:
            ref = want
        f = cotan.vmap(row.fun, in_axes=in_axes)
        out = f(*args)
        _assert_batched_close(out, ref, what)
        _check_traced(f, args, out, what)
    # no loop over the batch: the program does not grow with the batch size
    f = cotan.vmap(row.fun)
    n3 = len(cotan.make_jaxpr(f)(*[np.stack([d[k] for d in flat]) for k in range(n)]).eqns)
    n6 = len(cotan.make_jaxpr(f)(*[np.stack([d[k] for d in draws]) for k in range(n)]).eqns)
    assert n3 == n6, f"{row.id}: vmapped program has {n3} equations for 3 examples, {n6} for 6"
    # nested: vmap of vmap over two leading axes (2, 3)
    what = f"{row.id} nested vmap"
    grid = [draws[:3], draws[3:]]
    args = [np.stack([np.stack([d[k] for d in line]) for line in grid]) for k in range(n)]
    per = [[row.fun(*d) for d in line] for line in grid]
    stacked = [_stack_out(line) for line in per]
    ref = ([np.stack([s[0][k] for s in stacked]) for k in range(len(stacked[0][0]))],
           stacked[0][1])
    f = cotan.vmap(cotan.vmap(row.fun))
    out = f(*args)
    _assert_batched_close(out, ref, what)
    _check_traced(f, args, out, what)


VMAP_DIFF_ROWS = [r for r in ROWS if r.diff and not r.jvp_missing and all(
    np.asarray(make_arg(s, np.random.default_rng(0))).dtype.kind in "fc" for s in r.args)]


@pytest.mark.parametrize("row", VMAP_DIFF_ROWS, ids=[r.id for r in VMAP_DIFF_ROWS])
def test_vmap_of_jvp_and_vjp(row, x64):
    # batching the JVP and transpose rules (written with lax functions):
    # vmap over primals and tangents / cotangents against a loop
    _skip_if_pending(row)
    n = len(row.args)
    draws = _vmap_draws(row, 3)
    rng = np.random.default_rng(5)
    tans = [tuple(_tangent(a, rng) for a in d) for d in draws]

    def f_jvp(*at):
        return cotan.jvp(row.fun, at[:n], at[n:])[1]

    args = [np.stack([d[k] for d in draws]) for k in range(n)] + \
        [np.stack([t[k] for t in tans]) for k in range(n)]
    want = _stack_out([f_jvp(*d, *t) for d, t in zip(draws, tans)])
    _assert_batched_close(cotan.vmap(f_jvp)(*args), want, f"{row.id}: vmap(jvp)")

    outs = [row.fun(*d) for d in draws]
    cts = [cotan.tree_util.tree_map(lambda o: _tangent(o, rng), o) for o in outs]

    def f_vjp(*a_ct):
        return cotan.vjp(row.fun, *a_ct[:n])[1](a_ct[n])

    ct_batch = cotan.tree_util.tree_map(lambda *c: np.stack([_np(x) for x in c]), *cts)
    args = [np.stack([d[k] for d in draws]) for k in range(n)] + [ct_batch]
    want = _stack_out([f_vjp(*d, c) for d, c in zip(draws, cts)])
    f = cotan.vmap(f_vjp)
    got = f(*args)
    _assert_batched_close(got, want, f"{row.id}: vmap(vjp)")
    core.check_jaxpr(cotan.make_jaxpr(f)(*args).jaxpr)


# --------------------------------------------------------------------------
# cotan.numpy elementwise functions: dtype and weak type (x64 off, float32)

f32 = np.ones((2, 3), np.float32)
f16 = np.ones((2, 3), np.float16)
i32 = np.arange(6, dtype=np.int32).reshape(2, 3) + 1
i8 = np.ones((2, 3), np.int8)
u8 = np.ones((2, 3), np.uint8)
b_ = np.array([[True, False, True], [False, True, True]])
c64 = np.ones((2, 3), np.complex64) * (1 + 1j)

F32, F16, C64 = np.dtype(np.float32), np.dtype(np.float16), np.dtype(np.complex64)
INT32, BOOL = np.dtype(np.int32), np.dtype(np.bool_)

UNARY_INEXACT = ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
                 "arcsinh", "arctanh", "exp", "exp2", "log", "log1p", "expm1", "sqrt",
                 "log2", "log10", "deg2rad", "rad2deg", "sinc", "reciprocal", "rint",
                 "cbrt", "fabs"]
NO_COMPLEX = {"cbrt", "fabs", "deg2rad", "rad2deg", "rint", "arctan2"}
# composite functions whose JAX implementation multiplies by a strongly typed
# NumPy constant: the weak type of a Python-scalar input is an implementation
# detail there, so only the dtype is checked for weak inputs (None = unchecked)
COMPOSITE = {"log2", "log10", "deg2rad", "rad2deg", "sinc"}

DTYPE_ROWS = []
for _n in UNARY_INEXACT:
    DTYPE_ROWS += [
        (f"{_n}(f32)", _n, (f32,), F32, False),
        (f"{_n}(f16)", _n, (f16,), F16, False),
        (f"{_n}(i32)", _n, (i32,), F32, False),
        (f"{_n}(bool)", _n, (b_,), F32, False),
        (f"{_n}(3)", _n, (3,), F32, None if _n in COMPOSITE else True),
        (f"{_n}(0.5)", _n, (0.5,), F32, None if _n in COMPOSITE else True),
        (f"{_n}(np.float32)", _n, (np.float32(0.5),), F32, False),
    ]
    if _n not in NO_COMPLEX:
        DTYPE_ROWS.append((f"{_n}(c64)", _n, (c64,), C64, False))

for _n in ["add", "subtract", "multiply", "maximum", "minimum"]:
    DTYPE_ROWS += [
        (f"{_n}(f32,f32)", _n, (f32, f32), F32, False),
        (f"{_n}(f32,2.0)", _n, (f32, 2.0), F32, False),
        (f"{_n}(2.0,f32)", _n, (2.0, f32), F32, False),
        (f"{_n}(f32,2)", _n, (f32, 2), F32, False),
        (f"{_n}(i32,1.5)", _n, (i32, 1.5), F32, True),
        (f"{_n}(i32,2)", _n, (i32, 2), INT32, False),
        (f"{_n}(2,3)", _n, (2, 3), INT32, True),
        (f"{_n}(2.0,3)", _n, (2.0, 3), F32, True),
        (f"{_n}(f32,f16)", _n, (f32, f16), F32, False),
        (f"{_n}(f16,1.0)", _n, (f16, 1.0), F16, False),
        (f"{_n}(i32,f16)", _n, (i32, f16), F16, False),
        (f"{_n}(u8,i8)", _n, (u8, i8), np.dtype(np.int16), False),
        (f"{_n}(i8,1)", _n, (i8, 1), np.dtype(np.int8), False),
        (f"{_n}(bool,1)", _n, (b_, 1), INT32, True),
        (f"{_n}(bool,1.5)", _n, (b_, 1.5), F32, True),
        (f"{_n}(i32,f32)", _n, (i32, f32), F32, False),
        (f"{_n}(f32,c64)", _n, (f32, c64), C64, False),
    ]
for _n in ["add", "subtract", "multiply"]:
    DTYPE_ROWS += [
        (f"{_n}(f32,1j)", _n, (f32, 1j), C64, False),
        (f"{_n}(i32,1j)", _n, (i32, 1j), C64, True),
    ]

DTYPE_ROWS += [
    ("divide(i32,i32)", "divide", (i32, i32), F32, False),
    ("divide(i32,2)", "divide", (i32, 2), F32, False),
    ("divide(3,2)", "divide", (3, 2), F32, True),
    ("divide(f16,2)", "divide", (f16, 2), F16, False),
    ("true_divide(f32,2.0)", "true_divide", (f32, 2.0), F32, False),
    ("floor_divide(i32,2)", "floor_divide", (i32, 2), INT32, False),
    ("floor_divide(f32,2.0)", "floor_divide", (f32, 2.0), F32, False),
    ("remainder(f32,2.0)", "remainder", (f32, 2.0), F32, False),
    ("remainder(i32,3)", "remainder", (i32, 3), INT32, False),
    ("fmod(f32,2.0)", "fmod", (f32, 2.0), F32, False),
    ("arctan2(i32,i32)", "arctan2", (i32, i32), F32, False),
    ("arctan2(f32,1.0)", "arctan2", (f32, 1.0), F32, False),
    ("arctan2(1,2)", "arctan2", (1, 2), F32, True),
    ("power(f32,2)", "power", (f32, 2), F32, False),
    ("power(i32,2)", "power", (i32, 2), INT32, False),
    ("power(2.0,f32)", "power", (2.0, f32), F32, False),
    ("power(i32,1.5)", "power", (i32, 1.5), F32, True),
    ("power(f32,f32)", "power", (f32, f32), F32, False),
    ("power(i32,i32)", "power", (i32, i32), INT32, False),
    ("float_power(f32,2)", "float_power", (f32, 2), F32, False),
    ("hypot(f32,f32)", "hypot", (f32, f32), F32, False),
    ("logaddexp(f32,1.0)", "logaddexp", (f32, 1.0), F32, False),
    ("copysign(f32,-1.0)", "copysign", (f32, -1.0), F32, False),
    ("nextafter(f32,2.0)", "nextafter", (f32, 2.0), F32, False),
    ("square(3)", "square", (3,), INT32, True),
    ("square(f32)", "square", (f32,), F32, False),
    ("square(2.0)", "square", (2.0,), F32, True),
    ("negative(i32)", "negative", (i32,), INT32, False),
    ("negative(2.0)", "negative", (2.0,), F32, True),
    ("abs(c64)", "abs", (c64,), F32, False),
    ("abs(-3)", "abs", (-3,), INT32, True),
    ("abs(-3.0)", "abs", (-3.0,), F32, True),
    ("abs(f16)", "abs", (f16,), F16, False),
    ("sign(i32)", "sign", (i32,), INT32, False),
    ("sign(-2.0)", "sign", (-2.0,), F32, True),
    ("floor(f32)", "floor", (f32,), F32, False),
    ("floor(i32)", "floor", (i32,), INT32, False),
    ("floor(2.5)", "floor", (2.5,), F32, True),
    ("ceil(f16)", "ceil", (f16,), F16, False),
    ("trunc(f32)", "trunc", (f32,), F32, False),
    ("round(f32)", "round", (f32,), F32, False),
    ("real(c64)", "real", (c64,), F32, False),
    ("imag(c64)", "imag", (c64,), F32, False),
    ("imag(f32)", "imag", (f32,), F32, False),
    ("conj(c64)", "conj", (c64,), C64, False),
    ("conj(f32)", "conj", (f32,), F32, False),
    ("equal(f32,1.0)", "equal", (f32, 1.0), BOOL, False),
    ("less(i32,2)", "less", (i32, 2), BOOL, False),
    ("greater_equal(2.0,1)", "greater_equal", (2.0, 1), BOOL, False),
    ("not_equal(c64,1j)", "not_equal", (c64, 1j), BOOL, False),
    ("isnan(f32)", "isnan", (f32,), BOOL, False),
    ("isfinite(i32)", "isfinite", (i32,), BOOL, False),
    ("isinf(f16)", "isinf", (f16,), BOOL, False),
    ("logical_and(i32,i32)", "logical_and", (i32, i32), BOOL, False),
    ("logical_not(f32)", "logical_not", (f32,), BOOL, False),
    ("bitwise_and(i32,3)", "bitwise_and", (i32, 3), INT32, False),
    ("bitwise_or(u8,3)", "bitwise_or", (u8, 3), np.dtype(np.uint8), False),
    ("bitwise_xor(bool,bool)", "bitwise_xor", (b_, b_), BOOL, False),
    ("invert(i8)", "invert", (i8,), np.dtype(np.int8), False),
    ("left_shift(i32,1)", "left_shift", (i32, 1), INT32, False),
    ("right_shift(u8,1)", "right_shift", (u8, 1), np.dtype(np.uint8), False),
    ("arctan2(f16,f32)", "arctan2", (f16, f32), F32, False),
    ("logistic(2)", "logistic", (2,), F32, True),
    ("add(bool,bool)", "add", (b_, b_), BOOL, False),
    ("multiply(c64,2)", "multiply", (c64, 2), C64, False),
    ("multiply(c64,2.0)", "multiply", (c64, 2.0), C64, False),
]


@pytest.mark.parametrize("name,fname,args,dtype,weak", DTYPE_ROWS,
                         ids=[r[0] for r in DTYPE_ROWS])
def test_jnp_dtype_and_weak_type(name, fname, args, dtype, weak):
    assert not cotan.config.jax_enable_x64
    fn = getattr(jnp, fname)
    out = fn(*args)
    assert out.dtype == dtype, f"{name}: dtype {out.dtype}, JAX gives {dtype}"
    if weak is not None:
        assert bool(out.weak_type) is weak, f"{name}: weak_type {out.weak_type}, JAX gives {weak}"
    # the traced computation agrees with the eager one (dtype and weak type)
    jout = cotan.jit(fn)(*args)
    assert jout.dtype == out.dtype, f"{name} under jit: dtype {jout.dtype}"
    assert bool(jout.weak_type) is bool(out.weak_type), \
        f"{name}: weak_type {jout.weak_type} under jit, {out.weak_type} eagerly"
    aval = cotan.make_jaxpr(fn)(*args).out_avals[0]
    assert aval.dtype == out.dtype and aval.weak_type == bool(out.weak_type), \
        f"{name} traced aval {aval}"


OPERATOR_ROWS = [
    ("f32*2.0", lambda: jnp.asarray(f32) * 2.0, F32, False),
    ("2.0*f32", lambda: 2.0 * jnp.asarray(f32), F32, False),
    ("f32/2", lambda: jnp.asarray(f32) / 2, F32, False),
    ("i32+1.5", lambda: jnp.asarray(i32) + 1.5, F32, True),
    ("i32*2", lambda: jnp.asarray(i32) * 2, INT32, False),
    ("i32/2", lambda: jnp.asarray(i32) / 2, F32, False),
    ("i32//2", lambda: jnp.asarray(i32) // 2, INT32, False),
    ("i32**2", lambda: jnp.asarray(i32) ** 2, INT32, False),
    ("f32**0.5", lambda: jnp.asarray(f32) ** 0.5, F32, False),
    ("-f32", lambda: -jnp.asarray(f32), F32, False),
    ("f32<1", lambda: jnp.asarray(f32) < 1, BOOL, False),
    ("sin(3)", lambda: jnp.sin(3), F32, True),
    ("sin(3)+f16", lambda: jnp.sin(3) + jnp.asarray(f16), F16, False),
    ("sin(3)+i32", lambda: jnp.sin(3) + jnp.asarray(i32), F32, True),
    ("sin(3)+f32", lambda: jnp.sin(3) + jnp.asarray(f32), F32, False),
    ("sin(sin(3))", lambda: jnp.sin(jnp.sin(3)), F32, True),
    ("sin(3)*2", lambda: jnp.sin(3) * 2, F32, True),
    ("asarray(1.0)", lambda: jnp.asarray(1.0), F32, False),
    ("array(2)+1", lambda: jnp.array(2) + 1, INT32, False),
    ("f32@f32", lambda: jnp.asarray(f32) @ jnp.asarray(f32).T, F32, False),
    ("abs(c64 arr)", lambda: abs(jnp.asarray(c64)), F32, False),
]


@pytest.mark.parametrize("name,thunk,dtype,weak", OPERATOR_ROWS,
                         ids=[r[0] for r in OPERATOR_ROWS])
def test_operator_dtype_and_weak_type(name, thunk, dtype, weak):
    out = thunk()
    assert out.dtype == dtype, f"{name}: dtype {out.dtype}, JAX gives {dtype}"
    assert bool(out.weak_type) is weak, f"{name}: weak_type {out.weak_type}, JAX gives {weak}"


@pytest.mark.parametrize("fname", UNARY_INEXACT)
def test_jnp_unary_float64_when_x64(fname, x64):
    out = getattr(jnp, fname)(np.ones(3) * 0.5)
    assert out.dtype == np.float64 and not out.weak_type
    out = getattr(jnp, fname)(0.5)
    assert out.dtype == np.float64 and out.weak_type
