"""Smoke tests for examples/gp_regression.py, newton_hessian_free.py and
neural_ode.py.

Each runs ``main(fast=True)`` (few iterations, small data) and checks that the
returned metrics are sane: the loss went down, the gradient got small, and the
learned parameters moved toward the truth.
"""

import importlib.util
import pathlib

import numpy as np

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(
        f"_cotan_example_{name}", EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gp_regression_fast(capsys):
    m = _load("gp_regression").main(fast=True)
    out = capsys.readouterr().out
    assert "lengthscale" in out and "RMSE" in out
    assert np.isfinite(m["final_loss"]) and m["final_loss"] < m["init_loss"] - 10.0
    # the learned noise level moved from the 0.5 guess toward the true 0.1
    assert abs(m["noise"] - m["true_noise"]) < abs(0.5 - m["true_noise"]) / 2
    # the posterior mean fits the underlying function better than the initial guess
    assert m["rmse"] < m["init_rmse"] / 2 and m["rmse"] < m["true_noise"]


def test_newton_hessian_free_fast(capsys):
    m = _load("newton_hessian_free").main(fast=True)
    out = capsys.readouterr().out
    assert "Newton" in out and "Hessian-free" in out
    # full Newton: quadratic convergence in a handful of steps
    assert m["newton_iters"] <= 6
    assert m["newton_grad_norm"] < 1e-5
    assert m["newton_loss"] < m["newton_init_loss"]
    g = m["newton_grad_norms"]
    assert all(b < a for a, b in zip(g, g[1:]))
    # Hessian-free Newton-CG with forward-over-reverse HVPs
    assert m["hf_grad_norm"] < 1e-4
    assert m["hf_loss"] < m["hf_init_loss"]
    assert m["hf_hvps"] > 0


def test_neural_ode_fast(capsys):
    m = _load("neural_ode").main(fast=True)
    out = capsys.readouterr().out
    assert "omega" in out and "zeta" in out
    assert np.isfinite(m["final_loss"]) and m["final_loss"] < m["init_loss"] / 10
    for k in ("omega", "zeta", "v0"):
        before = abs(m["initial"][k] - m["truth"][k])
        after = abs(m["learned"][k] - m["truth"][k])
        assert after < before / 2, (k, m["initial"][k], m["learned"][k], m["truth"][k])
