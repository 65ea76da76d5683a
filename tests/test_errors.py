"""Tracer errors: class, and a message naming the traced function, the
argument that made the value abstract, the user's line and the fix; and
traceback filtering."""
import traceback

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan import config
from cotan.errors import (ConcretizationTypeError, NonConcreteBooleanIndexError,
                          TracerArrayConversionError, TracerBoolConversionError,
                          TracerIntegerConversionError, UnexpectedTracerError)


def add_one_or_two(x, add_one):
    if add_one:
        return x + 1
    return x + 2


def test_bool_conversion_jit():
    with pytest.raises(TracerBoolConversionError) as ei:
        cotan.jit(add_one_or_two)(1.0, True)
    msg = str(ei.value)
    assert isinstance(ei.value, ConcretizationTypeError)
    assert "add_one_or_two" in msg and "for jit" in msg
    assert "argument add_one" in msg
    assert "test_errors.py" in msg  # the user's line
    assert "static_argnums=(1,)" in msg and "lax.cond" in msg and "jnp.where" in msg


def test_integer_conversion():
    def stupid_mult(a, b):
        return np.sum(b * np.ones(shape=(a,)))
    with pytest.raises(TracerIntegerConversionError) as ei:
        cotan.jit(stupid_mult)(3, 4)
    msg = str(ei.value)
    assert "stupid_mult" in msg and "argument a" in msg and "static_argnums=(0,)" in msg


def test_array_conversion():
    def f(x):
        return np.asarray(x)
    with pytest.raises(TracerArrayConversionError) as ei:
        cotan.jit(f)(jnp.ones(3))
    msg = str(ei.value)
    assert "__array__" in msg and "function f" in msg and "argument x" in msg
    assert "jnp" in msg


def test_float_conversion_names_pytree_argument_and_keyword():
    def f(x, params, *, k):
        return float(params["w"] * k) + x
    with pytest.raises(ConcretizationTypeError) as ei:
        cotan.jit(f)(1.0, {"w": 2.0}, k=3.0)
    msg = str(ei.value)
    assert "params['w'] and k" in msg
    assert "static_argnums=(1,)" in msg and "static_argnames=('k',)" in msg
    assert "astype" in msg


def test_make_jaxpr_and_jit_of_grad():
    with pytest.raises(TracerBoolConversionError, match="for make_jaxpr.*argument add_one"):
        cotan.make_jaxpr(add_one_or_two)(1.0, True)
    # the abstract primal of grad's tracer comes from jit
    with pytest.raises(TracerBoolConversionError, match="for jit.*argument add_one"):
        cotan.jit(cotan.grad(add_one_or_two))(1.0, 2.0)


def test_derived_value_under_jit_names_its_argument_only():
    def f(x, y):
        z = jnp.sin(y) * 2
        if z > 0:
            return x
        return x + y
    with pytest.raises(TracerBoolConversionError) as ei:
        cotan.jit(f)(1.0, 2.0)
    assert "argument y." in str(ei.value)


def test_vmap_bool():
    with pytest.raises(TracerBoolConversionError) as ei:
        cotan.vmap(add_one_or_two)(jnp.ones(3), jnp.ones(3) > 0)
    msg = str(ei.value)
    assert "for vmap" in msg and "add_one" in msg and "jnp.where" in msg


def test_nonconcrete_boolean_index():
    def f(x):
        return x[x > 0]
    with pytest.raises(NonConcreteBooleanIndexError) as ei:
        cotan.jit(f)(jnp.ones(3))
    msg = str(ei.value)
    assert isinstance(ei.value, IndexError)
    assert "function f" in msg and "argument x" in msg and "size=" in msg


def test_nonzero_needs_size():
    def f(x):
        return jnp.nonzero(x)
    with pytest.raises(ConcretizationTypeError) as ei:
        cotan.jit(f)(jnp.ones(3))
    msg = str(ei.value)
    assert "size=" in msg and "function f" in msg and "argument x" in msg


def test_unexpected_tracer():
    leaked = []

    def leak(x):
        leaked.append(x)
        return x
    cotan.jit(leak)(1.0)
    with pytest.raises(UnexpectedTracerError) as ei:
        jnp.sin(leaked[0])
    msg = str(ei.value)
    assert "leak" in msg and "traced for jit" in msg and "return" in msg
    assert "test_errors.py" in msg


def test_error_classes_like_jax():
    assert issubclass(TracerBoolConversionError, ConcretizationTypeError)
    assert issubclass(ConcretizationTypeError, TypeError)
    assert issubclass(TracerIntegerConversionError, TypeError)
    assert issubclass(TracerArrayConversionError, TypeError)
    assert issubclass(UnexpectedTracerError, TypeError)
    assert issubclass(NonConcreteBooleanIndexError, IndexError)


# --------------------------------------------------------------------------
# traceback filtering

_COTAN_DIR = cotan.__file__.rsplit("/", 1)[0] + "/"


def _frames(e):
    return traceback.extract_tb(e.__traceback__)


def _cotan_frames(e):
    return [f for f in _frames(e) if f.filename.startswith(_COTAN_DIR)]


@pytest.mark.parametrize("transform", ["jit", "grad", "vmap", "make_jaxpr", "jit_grad"])
def test_traceback_hides_cotan_frames(transform):
    def f(x):
        return jnp.ones((2, 3)) @ jnp.ones((4,)) + x
    t = {"jit": cotan.jit, "grad": cotan.grad, "vmap": cotan.vmap,
         "make_jaxpr": cotan.make_jaxpr,
         "jit_grad": lambda g: cotan.jit(cotan.grad(g))}[transform]
    arg = jnp.ones(3) if transform == "vmap" else 1.0
    with pytest.raises((TypeError, ValueError)) as ei:
        t(f)(arg)
    e = ei.value
    # only the raising frame may be cotan's
    internal = _cotan_frames(e)
    assert len(internal) <= 1
    if internal:
        assert _frames(e)[-1] == internal[0]
    names = [fr.name for fr in _frames(e)]
    assert "f" in names
    # the complete traceback is kept on the cause
    assert type(e.__cause__).__name__ == "UnfilteredStackTrace"


def test_traceback_filtering_off():
    def f(x):
        if x > 0:
            return x
        return -x
    old = config.jax_traceback_filtering
    config.update("jax_traceback_filtering", "off")
    try:
        with pytest.raises(TracerBoolConversionError) as ei:
            cotan.jit(f)(1.0)
    finally:
        config.update("jax_traceback_filtering", old)
    assert len(_cotan_frames(ei.value)) > 1


def test_traceback_quiet_mode_and_decorator_factory():
    import functools

    @functools.partial(cotan.jit, static_argnums=(1,))
    def f(x, n):
        if x > n:
            return x
        return -x
    old = config.jax_traceback_filtering
    config.update("jax_traceback_filtering", "quiet_remove_frames")
    try:
        with pytest.raises(TracerBoolConversionError) as ei:
            f(1.0, 2)
    finally:
        config.update("jax_traceback_filtering", old)
    assert len(_cotan_frames(ei.value)) <= 1
    assert any("removed its internal frames" in n for n in ei.value.__notes__)
    assert "argument x" in str(ei.value)
    with pytest.raises(ValueError):
        config.update("jax_traceback_filtering", "bogus")


def test_wrapped_functions_keep_attributes():
    f = cotan.jit(lambda x: x + 1)
    assert float(f(1.0)) == 2.0
    assert hasattr(f, "lower")
    g = cotan.grad(add_one_or_two)
    assert g.__name__ == "add_one_or_two"
