"""cotan.errors: the exception classes of traced code (as jax.errors)."""
from cotan._src.errors import (ConcretizationTypeError, NonConcreteBooleanIndexError,  # noqa: F401
                               TracerArrayConversionError, TracerBoolConversionError,
                               TracerIntegerConversionError, UnexpectedTracerError)
