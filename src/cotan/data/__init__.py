"""Small datasets bundled with cotan (no downloads).

``load_digits()`` returns the UCI 8x8 handwritten digits (1797 images, the
copy scikit-learn bundles), stored as ``digits.npz`` inside this package.
"""

import io
from importlib import resources

import numpy as np

__all__ = ["load_digits", "digits_split"]


def load_digits():
  """Returns ``(images, labels)``: uint8 arrays of shape (1797, 64), values
  0..16, and uint8 labels 0..9."""
  data = resources.files(__name__).joinpath("digits.npz").read_bytes()
  with np.load(io.BytesIO(data)) as f:
    return f["images"], f["labels"]


def digits_split(test_fraction=0.2, seed=0):
  """Shuffled train/test split of the digits, images scaled to [0, 1] float32.

  Returns ``(train_images, train_labels, test_images, test_labels)``.
  """
  images, labels = load_digits()
  perm = np.random.RandomState(seed).permutation(len(labels))
  images = images[perm].astype(np.float32) / 16.0
  labels = labels[perm].astype(np.int32)
  n_test = int(round(len(labels) * test_fraction))
  return images[n_test:], labels[n_test:], images[:n_test], labels[:n_test]
