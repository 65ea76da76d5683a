"""Generate ``jax_numpy_names.txt``: the public names of ``jax.numpy``.

Needs ``jax`` installed; cotan itself never imports JAX and the test suite
does not run this script (``tests/test_jnp_coverage.py`` only reads the text
file).  Run it once per JAX version to refresh the list:

    python tests/data/gen_jax_numpy_names.py

A name is public when it does not start with an underscore and is not a
submodule (``jax.numpy.linalg``/``fft`` are compared separately).  The list
is sorted, one name per line.
"""

import os
import types

import jax.numpy as jnp

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "jax_numpy_names.txt")


def main():
    names = sorted(n for n in dir(jnp)
                   if not n.startswith("_")
                   and not isinstance(getattr(jnp, n), types.ModuleType))
    with open(OUT, "w") as f:
        f.write("".join(n + "\n" for n in names))
    print(f"wrote {len(names)} names to {OUT}")


if __name__ == "__main__":
    main()
