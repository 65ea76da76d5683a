"""cotan.lax: the primitive operations (strict shapes and dtypes)."""
from cotan._src.lax.namespace import *  # noqa: F401,F403
from cotan.lax import linalg  # noqa: F401,E402
