"""cotan.lax: the primitive operations (strict shapes and dtypes)."""
from cotan._src.lax.namespace import *  # noqa: F401,F403
