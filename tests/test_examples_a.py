"""Smoke tests for examples/mlp_digits.py, convnet_stax.py and dp_sgd.py.

Each runs ``main(fast=True)`` (a few steps on a subset) and checks that the
returned metrics are sane: the training loss went down and the test accuracy
is well above chance (10%).
"""

import importlib.util
import pathlib

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
  spec = importlib.util.spec_from_file_location(
      f"_cotan_example_{name}", EXAMPLES / f"{name}.py")
  mod = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(mod)
  return mod


def test_digits_data_bundled():
  from cotan.data import load_digits, digits_split
  images, labels = load_digits()
  assert images.shape == (1797, 64) and images.dtype == np.uint8
  assert labels.shape == (1797,) and set(np.unique(labels)) == set(range(10))
  assert images.max() == 16
  xtr, ytr, xte, yte = digits_split()
  assert len(ytr) + len(yte) == 1797 and xtr.max() <= 1.0


@pytest.mark.parametrize("name", ["mlp_digits", "convnet_stax", "dp_sgd"])
def test_example_fast(name, capsys):
  metrics = _load(name).main(fast=True)
  out = capsys.readouterr().out
  assert "accuracy" in out
  assert np.isfinite(metrics["final_loss"])
  assert metrics["final_loss"] < metrics["initial_loss"]
  assert metrics["test_accuracy"] > 0.3, metrics
  assert metrics["steps"] > 0
