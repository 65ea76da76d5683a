"""cotan.scipy.stats: probability distributions (jax.scipy.stats' API)."""
from cotan._src.scipy.stats import (bernoulli, beta, cauchy, dirichlet, expon, gamma,  # noqa: F401
                                    laplace, logistic, multivariate_normal, norm, poisson, t,
                                    uniform)
