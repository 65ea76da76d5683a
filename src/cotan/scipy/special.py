"""cotan.scipy.special: special functions (jax.scipy.special's API)."""
from cotan._src.scipy.special import (beta, betainc, betaln, digamma, entr, erf, erfc,  # noqa: F401
                                      erfinv, expit, factorial, gamma, gammainc, gammaincc,
                                      gammaln, i0, i0e, i1, i1e, log_ndtr, log_softmax, logit,
                                      logsumexp, multigammaln, ndtr, ndtri, polygamma, softmax,
                                      xlog1py, xlogy, zeta)
