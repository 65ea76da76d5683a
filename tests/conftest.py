"""Shared fixtures."""
import pytest

import cotan


@pytest.fixture
def x64():
    """Run the test with ``jax_enable_x64`` on; restore the previous value."""
    old = cotan.config.jax_enable_x64
    cotan.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        cotan.config.update("jax_enable_x64", old)
