"""jnp.einsum / jnp.einsum_path against np.einsum: explicit and implicit
outputs, ellipses (with broadcasting), diagonals, traces, sums of indices that
appear once, batch contractions, chains of several operands, the sublist
form, dtypes, errors, derivatives (to second order) and tracing."""
from __future__ import annotations

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan._src import core
from cotan.test_util import check_grads


def _arrays(shapes, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        if np.dtype(dtype).kind in "iu":
            out.append(rng.integers(-3, 4, s).astype(dtype))
        elif np.dtype(dtype) == np.bool_:
            out.append(rng.integers(0, 2, s).astype(bool))
        else:
            out.append(rng.standard_normal(s).astype(dtype))
    return out


CASES = [
    # (subscripts, shapes)
    ("ij,jk->ik", [(3, 4), (4, 5)]),                  # matmul
    ("ij,jk", [(3, 4), (4, 5)]),                      # implicit matmul
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),         # batch matmul
    ("bij,bjk->bki", [(2, 3, 4), (2, 4, 5)]),         # batch matmul, permuted output
    ("ii", [(4, 4)]),                                 # trace
    ("ii->", [(4, 4)]),
    ("ii->i", [(4, 4)]),                              # diagonal
    ("iij->ij", [(3, 3, 2)]),
    ("iji->j", [(3, 2, 3)]),
    ("iii->i", [(3, 3, 3)]),
    ("i,j->ij", [(3,), (4,)]),                        # outer
    ("i,j", [(3,), (4,)]),
    ("i,i", [(5,), (5,)]),                            # inner
    ("i,i->i", [(5,), (5,)]),                         # elementwise
    ("ij->", [(3, 4)]),                               # total sum
    ("ij->j", [(3, 4)]),                              # sum an index
    ("ij->ji", [(3, 4)]),                             # transpose
    ("ji", [(3, 4)]),                                 # implicit transpose
    ("ij", [(3, 4)]),
    ("ij,kl->", [(2, 3), (4, 5)]),                    # sums in both operands
    ("ij,jk->", [(3, 4), (4, 5)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),          # tensordot-like
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,ji->i", [(3, 4), (4, 3)]),
    ("ii,i->i", [(3, 3), (3,)]),                      # diagonal meets contraction
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),   # ellipsis
    ("...ij,...jk->...ik", [(7, 1, 3, 4), (6, 4, 5)]),  # ellipsis broadcast (size 1 and rank)
    ("...ij,jk", [(2, 3, 4), (4, 5)]),                # implicit with ellipsis
    ("i...->...", [(3, 2, 4)]),
    ("...i,...i->...", [(1, 3), (5, 2, 3)]),
    ("...,...", [(2, 1), (3,)]),
    ("ij...,jk...->ik...", [(2, 3, 4), (3, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),       # 3-operand chains
    ("ij,jk,kl", [(2, 3), (3, 4), (4, 5)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 4), (4, 2), (2, 6)]),
    ("abc,cd,de->abe", [(2, 3, 4), (4, 5), (5, 2)]),
    ("ij,jk,ik->i", [(3, 4), (4, 5), (3, 5)]),        # an index shared by three
    ("bi,bj,bk->bijk", [(2, 3), (2, 4), (2, 5)]),     # batch over three
    ("i,j,k", [(2,), (3,), (4,)]),                    # outer of three
    ("ii,jj,ij->", [(3, 3), (4, 4), (3, 4)]),
    ("ij,kj,j->ik", [(3, 4), (5, 4), (4,)]),
    ("Ab,bA->A", [(3, 4), (4, 3)]),                   # upper case
    ("i,->i", [(3,), ()]),                            # scalar operand
    ("->", [()]),
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("ij,ij,ij->ij", [(1, 4), (3, 1), (3, 4)]),       # size-1 broadcasting of letters
]


@pytest.mark.parametrize("subscripts,shapes", CASES, ids=[c[0] or "empty" for c in CASES])
def test_einsum_vs_numpy(subscripts, shapes):
    ops = _arrays(shapes)
    expected = np.einsum(subscripts, *[o.astype(np.float64) for o in ops])
    actual = jnp.einsum(subscripts, *ops)
    assert actual.shape == expected.shape
    assert actual.dtype == np.float32
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("optimize", ["auto", "greedy", "optimal", True, False])
def test_optimize_options(optimize):
    ops = _arrays([(2, 3), (3, 4), (4, 5), (5, 2)])
    expected = np.einsum("ab,bc,cd,da->", *ops)
    actual = jnp.einsum("ab,bc,cd,da->", *ops, optimize=optimize)
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-4)


def test_explicit_path():
    ops = _arrays([(2, 3), (3, 4), (4, 5)])
    path, _ = jnp.einsum_path("ij,jk,kl->il", *ops, optimize="greedy")
    np.testing.assert_allclose(np.asarray(jnp.einsum("ij,jk,kl->il", *ops, optimize=path)),
                               np.einsum("ij,jk,kl->il", *ops), rtol=1e-4)
    np.testing.assert_allclose(
        np.asarray(jnp.einsum("ij,jk,kl->il", *ops, optimize=[(1, 2), (0, 1)])),
        np.einsum("ij,jk,kl->il", *ops), rtol=1e-4)


def test_einsum_path_matches_numpy():
    ops = _arrays([(2, 3), (3, 4), (4, 5)])
    path, info = jnp.einsum_path("ij,jk,kl->il", *ops, optimize="greedy")
    np_path, np_info = np.einsum_path("ij,jk,kl->il", *ops, optimize="greedy")
    assert path == np_path
    assert isinstance(info, str)
    # shapes only: works on tracers too
    cotan.make_jaxpr(lambda a, b, c: jnp.einsum_path("ij,jk,kl->il", a, b, c)[0] and a)(*ops)


def test_sublist_form():
    a, b = _arrays([(3, 4), (4, 5)])
    np.testing.assert_allclose(np.asarray(jnp.einsum(a, [0, 1], b, [1, 2], [0, 2])),
                               np.einsum(a, [0, 1], b, [1, 2], [0, 2]), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(jnp.einsum(a, [0, 1], b, [1, 2])),
                               np.einsum(a, [0, 1], b, [1, 2]), rtol=1e-5)
    c = _arrays([(2, 3, 4)])[0]
    np.testing.assert_allclose(np.asarray(jnp.einsum(c, [Ellipsis, 0, 1], [1, Ellipsis])),
                               np.einsum(c, [Ellipsis, 0, 1], [1, Ellipsis]), rtol=1e-5)


def test_spaces_in_subscripts():
    a, b = _arrays([(3, 4), (4, 5)])
    np.testing.assert_allclose(np.asarray(jnp.einsum(" ij , jk -> ik ", a, b)), a @ b, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.bool_, np.float16, np.complex64])
def test_dtypes(dtype):
    a, b = _arrays([(3, 4), (4, 5)], dtype=dtype)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * a[::-1]
    out = jnp.einsum("ij,jk->ik", a, b)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(np.asarray(out).astype(np.complex128),
                               np.einsum("ij,jk->ik", a, b).astype(np.complex128),
                               rtol=1e-2 if dtype == np.float16 else 1e-5)
    d = jnp.einsum("ii->i", _arrays([(3, 3)], dtype=dtype)[0])
    assert d.dtype == np.dtype(dtype)


def test_mixed_dtypes_promote():
    a = np.ones((2, 3), np.int32)
    b = np.ones((3,), np.float32)
    out = jnp.einsum("ij,j->i", a, b)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), [3.0, 3.0])


def test_preferred_element_type():
    a = np.full((4, 40), 10, np.int8)
    b = np.full((40,), 10, np.int8)
    out = jnp.einsum("ij,j->i", a, b, preferred_element_type=jnp.int32)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(out), [4000] * 4)
    out = jnp.einsum("ii", np.eye(3, dtype=np.float16), preferred_element_type=np.float32)
    assert out.dtype == np.float32 and float(out) == 3.0


def test_diagonal_ignores_nan_off_diagonal():
    # the diagonal is taken by selection, not multiplication: off-diagonal NaNs stay out
    x = np.full((3, 3), np.nan, np.float32)
    np.fill_diagonal(x, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(np.asarray(jnp.einsum("ii->i", x)), [1.0, 2.0, 3.0])
    assert float(jnp.einsum("ii", x)) == 6.0


@pytest.mark.parametrize("subscripts,shapes,err", [
    ("ij,jk->ik", [(3, 4), (5, 6)], ValueError),        # size mismatch
    ("ij->ik", [(3, 4)], ValueError),                    # unknown output index
    ("ij->ii", [(3, 4)], ValueError),                    # repeated output index
    ("ij,jk", [(3, 4)], ValueError),                     # operand count
    ("ijk", [(3, 4)], ValueError),                       # rank mismatch
    ("i..j", [(3, 4)], ValueError),                      # bad ellipsis
    ("i1", [(3, 4)], ValueError),                        # bad character
    ("ii", [(3, 4)], ValueError),                        # unequal repeated sizes
])
def test_errors(subscripts, shapes, err):
    with pytest.raises(err):
        jnp.einsum(subscripts, *_arrays(shapes))


GRAD_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (3, 4, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,jk,ik->i", [(3, 4), (4, 2), (3, 2)]),
    ("ij->", [(3, 4)]),
    ("ii,ij->j", [(3, 3), (3, 2)]),
]


@pytest.mark.parametrize("subscripts,shapes", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads_second_order(subscripts, shapes, x64):
    ops = tuple(o.astype(np.float64) for o in _arrays(shapes, np.float64, seed=3))
    check_grads(lambda *xs: jnp.einsum(subscripts, *xs), ops, order=2, modes=("fwd", "rev"))


def test_grad_matches_dense():
    a, b = _arrays([(3, 4), (4, 5)])
    ga, gb = cotan.grad(lambda x, y: jnp.sum(jnp.einsum("ij,jk->ik", x, y) ** 2), (0, 1))(a, b)
    c = a @ b
    np.testing.assert_allclose(np.asarray(ga), 2 * c @ b.T, rtol=1e-4)
    np.testing.assert_allclose(np.asarray(gb), 2 * a.T @ c, rtol=1e-4)
    g = cotan.grad(lambda x: jnp.einsum("ii", x))(np.ones((3, 3), np.float32))
    np.testing.assert_array_equal(np.asarray(g), np.eye(3))


@pytest.mark.parametrize("subscripts,shapes", [c for c in CASES if c[0] not in ("->",)],
                         ids=[c[0] for c in CASES if c[0] not in ("->",)])
def test_make_jaxpr_and_jit(subscripts, shapes):
    ops = _arrays(shapes)
    f = lambda *xs: jnp.einsum(subscripts, *xs)  # noqa: E731
    closed = cotan.make_jaxpr(f)(*ops)
    core.check_jaxpr(closed.jaxpr)
    np.testing.assert_allclose(np.asarray(cotan.jit(f)(*ops)), np.asarray(f(*ops)),
                               rtol=1e-6, atol=1e-6)


def test_jaxpr_uses_dot_general():
    ops = _arrays([(2, 3), (3, 4)])
    text = str(cotan.make_jaxpr(lambda a, b: jnp.einsum("ij,jk->ik", a, b))(*ops))
    assert "dot_general" in text
