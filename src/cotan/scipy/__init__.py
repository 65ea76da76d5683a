"""cotan.scipy: SciPy functions on cotan arrays (jax.scipy's API)."""
from cotan.scipy import special  # noqa: F401
from cotan.scipy import stats  # noqa: F401
from cotan.scipy import linalg  # noqa: F401,E402
from cotan.scipy import optimize  # noqa: F401,E402
