"""The exception classes users see, named as JAX names them (``jax.errors``).

Each message says what went wrong and what to do about it.
"""


class JAXTypeError(TypeError):
    pass


class ConcretizationTypeError(JAXTypeError):
    """A traced (abstract) value was used where a concrete Python value is needed."""


class TracerBoolConversionError(ConcretizationTypeError):
    """``bool()`` (an ``if``, ``while``, ``and``/``or``) was applied to a traced value."""


class TracerIntegerConversionError(JAXTypeError):
    """``__index__``/``int()`` was applied to a traced value."""


class TracerArrayConversionError(JAXTypeError):
    """``numpy.asarray`` was applied to a traced value."""


class UnexpectedTracerError(Exception):
    """A traced value escaped the transformation that created it."""


class NonConcreteBooleanIndexError(IndexError):
    """Boolean-mask indexing of a traced value, whose result shape is unknown."""


def _describe(tracer):
    return f"Traced<{tracer.aval.str_short()}>"


def concretization_message(tracer, what):
    return (
        f"Abstract tracer value encountered where concrete value is expected: "
        f"{_describe(tracer)}\n"
        f"The problem arose with the `{what}` function. "
        "A value computed from an argument being traced (by jit, vmap, grad, ...) "
        "has no concrete value while the function is traced.\n"
        "If it is a jit argument, mark it static with `static_argnums`/"
        "`static_argnames`; for value-dependent control flow use `lax.cond`, "
        "`lax.while_loop` or `jnp.where` instead of Python `if`/`while`."
    )
