"""Custom rules may branch on primal values outside jit (as in JAX): the
compiled-template fast paths (eager grad's tape, eager jvp, forward-over-
reverse) can't stage such a rule on abstract values, so those applications
are linearized one by one on their concrete values.  Each call must take
the branch its own values choose."""
import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan._src.interpreters import rule_cache


@cotan.custom_jvp
def relu_ish(x):
    return jnp.where(x > 0, x * x, -x)


@relu_ish.defjvp
def _relu_ish_jvp(primals, tangents):
    x, = primals
    t, = tangents
    if x > 0:                       # Python control flow on the primal value
        return relu_ish(x), 2 * x * t
    return relu_ish(x), -t


@cotan.custom_vjp
def clip_grad(x):
    return jnp.sin(x)


def _cg_fwd(x):
    if x > 0:
        return jnp.sin(x), (jnp.cos(x),)
    return jnp.sin(x), (jnp.zeros_like(x),)


def _cg_bwd(res, ct):
    c, = res
    if c > 0.5:                     # ... and on a residual, in the backward pass
        return (c * ct,)
    return (2 * c * ct,)


clip_grad.defvjp(_cg_fwd, _cg_bwd)


@pytest.mark.parametrize("x", [1.5, -0.5])
def test_custom_jvp_branching_on_values(x):
    want = 2 * x if x > 0 else -1.0
    f = lambda x: relu_ish(x) * 3.0
    assert float(cotan.grad(f)(x)) == pytest.approx(3 * want)
    assert float(cotan.jvp(f, (x,), (1.0,))[1]) == pytest.approx(3 * want)
    y, pb = cotan.vjp(f, x)
    assert float(pb(1.0)[0]) == pytest.approx(3 * want)
    assert float(cotan.jit(pb)(1.0)[0]) == pytest.approx(3 * want)   # spliced jaxpr
    # forward-over-reverse runs lifted; the rule's own derivative: 2 or 0
    hv = cotan.jvp(cotan.grad(relu_ish), (x,), (1.0,))[1]
    assert float(hv) == pytest.approx(2.0 if x > 0 else 0.0)


def test_each_call_takes_its_own_branch():
    g = cotan.grad(relu_ish)
    # the same signature, alternating branches: nothing may be cached per value
    for x in [1.0, -1.0, 2.0, -3.0, 0.5]:
        assert float(g(x)) == pytest.approx(2 * x if x > 0 else -1.0)


@pytest.mark.parametrize("x", [1.0, 0.5, -1.0])
def test_custom_vjp_branching_in_fwd_and_bwd(x):
    c = np.cos(x) if x > 0 else 0.0
    want = c if c > 0.5 else 2 * c
    assert float(cotan.grad(clip_grad)(x)) == pytest.approx(want, abs=1e-7)


def test_vector_inputs_and_vmapped_pullback():
    x = jnp.asarray(np.array([1.0, 2.0, 3.0], np.float32))

    @cotan.custom_jvp
    def scaled(x):
        return x * 2.0

    @scaled.defjvp
    def _scaled_jvp(p, t):
        (x,), (tx,) = p, t
        k = 2.0 if float(jnp.sum(x)) > 0 else -1.0    # a concrete value in the rule
        return scaled(x), k * tx

    f = lambda x: jnp.sin(scaled(x))
    J = np.diag(np.cos(2 * np.asarray(x)) * 2.0)
    np.testing.assert_allclose(np.asarray(cotan.jacrev(f)(x)), J, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(cotan.jacfwd(f)(x)), J, rtol=1e-6)
    y, pb = cotan.vjp(f, x)
    np.testing.assert_allclose(np.asarray(cotan.vmap(pb)(jnp.eye(3))[0]), J, rtol=1e-6)
    # the tape really is used around the rule, and the generic path agrees
    g1 = cotan.grad(lambda x: jnp.sum(f(x) ** 2))(x)
    rule_cache.ENABLED = False
    try:
        g2 = cotan.grad(lambda x: jnp.sum(f(x) ** 2))(x)
    finally:
        rule_cache.ENABLED = True
    np.testing.assert_array_equal(np.asarray(g1), np.asarray(g2))


def test_rules_that_need_values_still_fail_under_jit():
    with pytest.raises(cotan.errors.ConcretizationTypeError):
        cotan.jit(cotan.grad(relu_ish))(1.0)
