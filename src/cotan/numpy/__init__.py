"""cotan.numpy: NumPy's API with JAX's semantics, differentiable and traceable."""
from cotan._src.numpy.namespace import *  # noqa: F401,F403
from cotan._src.numpy.namespace import __all__  # noqa: F401
from cotan._src.numpy import linalg  # noqa: F401
from cotan.numpy import fft  # noqa: F401,E402
