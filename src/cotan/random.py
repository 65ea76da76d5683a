"""cotan.random: JAX's PRNG API on a counter-based threefry2x32 generator."""
from cotan._src.random import (PRNGKey, ball, bernoulli, beta, binomial, bits,  # noqa: F401
                               categorical, cauchy, chisquare, choice, clone, dirichlet,
                               double_sided_maxwell, exponential, f, fold_in, gamma,
                               generalized_normal, geometric, gumbel, key, key_data, laplace,
                               loggamma, logistic, lognormal, maxwell, multivariate_normal,
                               normal, orthogonal, pareto, permutation, poisson, rademacher,
                               randint, rayleigh, shuffle, split, t, triangular,
                               truncated_normal, uniform, wald, weibull_min, wrap_key_data)
