"""dot_general applies a diagonal operand as a scaling (standard bases in
jacrev/jacfwd, Jacobians of elementwise maps).  It must give exactly the
matmul's values, fall back to the matmul when the other operand holds inf or
nan (0 * inf terms), and leave dense matrices alone."""
import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan._src.lax import dot as dot_mod


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("side", ["left", "right"])
def test_diagonal_operand_matches_matmul_exactly(dtype, side, x64):
    rng = np.random.default_rng(0)
    n, m = 64, 40
    d = rng.standard_normal(n).astype(dtype)
    d[3] = 0.0
    D = np.diag(d)
    X = rng.standard_normal((n, m) if side == "left" else (m, n)).astype(dtype)
    lhs, rhs = (D, X) if side == "left" else (X, D)
    assert dot_mod._diagonal_of(D) is not None
    got = dot_mod._matmul(lhs, rhs)
    want = lhs @ rhs
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    # through the public API as well
    np.testing.assert_array_equal(np.asarray(jnp.dot(jnp.asarray(lhs), jnp.asarray(rhs))), want)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_other_operand_uses_the_matmul(bad):
    rng = np.random.default_rng(1)
    D = np.diag(rng.standard_normal(40).astype(np.float32))
    X = rng.standard_normal((40, 20)).astype(np.float32)
    X[5, 7] = bad
    with np.errstate(invalid="ignore"):
        want = D @ X                    # column 7 is nan off row 5 (0 * inf)
        got = dot_mod._matmul(D, X)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[~np.isnan(got)], want[~np.isnan(want)])


def test_dense_and_nearly_diagonal_matrices_are_untouched():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((50, 50))
    assert dot_mod._diagonal_of(A) is None
    B = np.diag(rng.standard_normal(50))
    B[10, 20] = 1e-300          # one off-diagonal entry the probes don't see
    assert dot_mod._diagonal_of(B) is None
    X = rng.standard_normal((50, 30))
    np.testing.assert_array_equal(dot_mod._matmul(B, X), B @ X)
    assert dot_mod._diagonal_of(np.eye(8)) is None   # small: plain matmul


def test_jacobians_through_linear_maps():
    rng = np.random.default_rng(3)
    W = jnp.asarray(rng.standard_normal((60, 80)).astype(np.float32))
    x = jnp.asarray(rng.standard_normal(80).astype(np.float32))
    f = lambda x: jnp.tanh(W @ x)
    Wn, xn = np.asarray(W), np.asarray(x)
    t = np.tanh(Wn @ xn)
    want = (1 - t * t)[:, None] * Wn
    np.testing.assert_allclose(np.asarray(cotan.jacrev(f)(x)), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(cotan.jacfwd(f)(x)), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(cotan.jacrev(lambda x: W @ x)(x)), Wn)
    np.testing.assert_array_equal(np.asarray(cotan.jacfwd(lambda x: W @ x)(x)), Wn)
