"""cotan.random: counter-based threefry2x32 keys and samplers.

Keys are uint32 arrays of shape (..., 2) (what ``jax.random.PRNGKey`` returns;
``key`` returns the same raw form here).  Each operation is a primitive whose
implementation is the NumPy threefry code in ``prng.py``: eagerly it runs at
once, under ``jit`` it is recorded, under differentiation its outputs have
zero tangents (a key is an integer array).
"""
from __future__ import annotations

import numpy as np

from . import core, dtypes, prng
from .config import config
from .core import Array, Primitive, ShapedArray, Tracer
from .interpreters import ad, batching


def _prim(name, impl, abstract):
    p = Primitive(name)
    p.def_impl(impl)
    p.def_abstract_eval(abstract)
    p.weak_type_rule = lambda args, params: False
    ad.defjvp_zero(p)
    return p


def _check_key(key, fname):
    if isinstance(key, (int, np.integer)):
        raise TypeError(
            f"random.{fname} requires a PRNG key array, got the integer {key}: create "
            "one with random.PRNGKey(seed) or random.key(seed).")
    if not isinstance(key, Array):
        key = core.to_array(np.asarray(key))
    aval = core.get_aval(key)
    if aval.dtype != np.uint32 or not aval.shape or aval.shape[-1] != 2:
        raise TypeError(
            f"random.{fname} requires a PRNG key (uint32 array of shape (..., 2)), got "
            f"{aval.str_short()}. Create keys with random.PRNGKey(seed) and random.split.")
    return key


def _u32(shape):
    return ShapedArray(shape, np.uint32)


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


random_split_p = _prim(
    "random_split",
    lambda key, *, shape: prng.split(key, shape),
    lambda key, *, shape: _u32(key.shape[:-1] + shape + (2,)))

def _fold_in_abstract(key, data):
    # data broadcasts against the key's batch shape (as prng.fold_in does)
    try:
        batch = np.broadcast_shapes(key.shape[:-1], data.shape)
    except ValueError:
        raise TypeError(f"random_fold_in: data of shape {data.shape} does not broadcast "
                        f"against keys of shape {key.shape}") from None
    return _u32(tuple(batch) + (2,))


random_fold_in_p = _prim(
    "random_fold_in",
    lambda key, data: prng.fold_in(key, data),
    _fold_in_abstract)

random_bits_p = _prim(
    "random_bits",
    lambda key, *, bit_width, shape: prng.random_bits(key, bit_width, shape),
    lambda key, *, bit_width, shape: ShapedArray(key.shape[:-1] + shape, np.dtype(f"uint{bit_width}")))

random_uniform_p = _prim(
    "random_uniform",
    lambda key, *, shape, dtype, minval, maxval: np.asarray(
        prng.uniform(key, shape, dtype, minval, maxval), dtype),
    lambda key, *, shape, dtype, minval, maxval: ShapedArray(key.shape[:-1] + shape, dtype))

random_normal_p = _prim(
    "random_normal",
    lambda key, *, shape, dtype: np.asarray(prng.normal(key, shape, dtype), dtype),
    lambda key, *, shape, dtype: ShapedArray(key.shape[:-1] + shape, dtype))


# --- batching: the NumPy prng functions map over leading key dimensions, so a
# batch of keys is moved to the front and the primitive runs once.


def _key_batcher(prim):
    def rule(vals, dims, **params):
        (key,), (d,) = vals, dims
        return prim.bind(batching.moveaxis(key, d, 0), **params), 0
    batching.primitive_batchers[prim] = rule


for _p in (random_split_p, random_bits_p, random_uniform_p, random_normal_p):
    _key_batcher(_p)


def _fold_in_batch(vals, dims):
    # both batched operands get the batch in front, padded with size-1 axes to
    # the output batch rank (NumPy broadcasting aligns trailing axes); an
    # unbatched operand stays as it is and broadcasts
    from .lax.structural import reshape
    (key, data), (kd, dd) = vals, dims
    k_aval, d_aval = core.get_aval(key), core.get_aval(data)
    kb = k_aval.shape[:-1] if kd is None else tuple(
        n for i, n in enumerate(k_aval.shape[:-1]) if i != kd)
    db = d_aval.shape if dd is None else tuple(n for i, n in enumerate(d_aval.shape) if i != dd)
    rank = max(len(kb), len(db))
    if kd is not None:
        key = batching.moveaxis(key, kd, 0)
        s = core.get_aval(key).shape
        key = reshape(key, s[:1] + (1,) * (rank - len(kb)) + s[1:])
    if dd is not None:
        data = batching.moveaxis(data, dd, 0)
        s = core.get_aval(data).shape
        data = reshape(data, s[:1] + (1,) * (rank - len(db)) + s[1:])
    return random_fold_in_p.bind(key, data), 0


batching.primitive_batchers[random_fold_in_p] = _fold_in_batch


def PRNGKey(seed):
    """A raw threefry key (uint32[2]) from an integer seed."""
    if isinstance(seed, Tracer):
        raise TypeError("PRNGKey needs a concrete integer seed when used in cotan today.")
    if isinstance(seed, Array):
        seed = np.asarray(seed._value)
    if isinstance(seed, float) or (isinstance(seed, np.ndarray) and seed.dtype.kind == "f"):
        raise TypeError(f"PRNGKey seed must be an integer, got {seed!r}.")
    return Array(prng.seed(seed, config.jax_enable_x64))


def key(seed, *, impl=None):
    return PRNGKey(seed)


def key_data(keys):
    return keys


def wrap_key_data(key_bits_array, *, impl=None):
    return _check_key(key_bits_array, "wrap_key_data")


def split(key, num=2):
    key = _check_key(key, "split")
    return random_split_p.bind(key, shape=_shape(num))


def fold_in(key, data):
    key = _check_key(key, "fold_in")
    if not isinstance(data, Array):
        data = Array(prng._fold_in_data(data))
    elif core.get_aval(data).dtype != np.uint32:
        from .lax.structural import convert_element_type
        data = convert_element_type(data, np.uint32)
    return random_fold_in_p.bind(key, data)


def bits(key, shape=(), dtype=None):
    key = _check_key(key, "bits")
    dt = np.dtype(dtypes.canonicalize_dtype(dtype or np.uint32))
    if dt.kind != "u":
        raise TypeError(f"random.bits requires an unsigned integer dtype, got {dt}.")
    return random_bits_p.bind(key, bit_width=dt.itemsize * 8, shape=_shape(shape))


def _float_dtype(dtype, fname):
    dt = dtypes.canonicalize_dtype(dtype if dtype is not None else dtypes.default_float_dtype())
    if dt.kind != "f":
        raise TypeError(f"random.{fname} requires a floating dtype, got {dt}.")
    return dt


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    key = _check_key(key, "uniform")
    dt = _float_dtype(dtype, "uniform")
    scalars = (int, float, np.integer, np.floating)
    if not (isinstance(minval, scalars) and isinstance(maxval, scalars)):
        import cotan.numpy as jnp
        u = random_uniform_p.bind(key, shape=_shape(shape), dtype=dt, minval=0.0, maxval=1.0)
        lo, hi = jnp.asarray(minval, dt), jnp.asarray(maxval, dt)
        return jnp.maximum(lo, u * (hi - lo) + lo)
    return random_uniform_p.bind(key, shape=_shape(shape), dtype=dt,
                                 minval=float(minval), maxval=float(maxval))


def normal(key, shape=(), dtype=None):
    key = _check_key(key, "normal")
    dt = _float_dtype(dtype, "normal")
    return random_normal_p.bind(key, shape=_shape(shape), dtype=dt)


# ---------------------------------------------------------------------------
# more samplers.  Bit-exact ones wrap prng.py's threefry kernels as
# primitives (randint, permutation, choice, gumbel) or compose bit-exact
# uniform draws with comparisons (bernoulli, categorical).  Inverse-cdf
# samplers (exponential, laplace, logistic, cauchy, truncated_normal, ...)
# follow JAX's formulas on the exact uniform draws; they agree with JAX to
# float rounding (cotan's log/tan may differ from XLA's by an ulp).
# gamma / loggamma / poisson run JAX's algorithms with JAX's key splitting
# (prng.gamma, prng.poisson): JAX's numbers to float rounding, and gamma is
# differentiable in a (implicit reparameterization, prng.random_gamma_grad),
# which beta, dirichlet, chisquare, f, t inherit.  binomial runs JAX's
# inversion / BTRS algorithms with JAX's key splitting (prng.binomial):
# JAX's numbers, zero derivative.


def _int_dtype(dtype):
    if dtype is None:
        return np.dtype(np.int64 if config.jax_enable_x64 else np.int32)
    return np.dtype(dtypes.canonicalize_dtype(dtype))


random_randint_p = _prim(
    "random_randint",
    lambda key, *, shape, minval, maxval, dtype: prng.randint(key, shape, minval, maxval, dtype),
    lambda key, *, shape, minval, maxval, dtype: ShapedArray(key.shape[:-1] + shape, dtype))

random_gumbel_p = _prim(
    "random_gumbel",
    lambda key, *, shape, dtype, mode: np.asarray(prng.gumbel(key, shape, dtype, mode), dtype),
    lambda key, *, shape, dtype, mode: ShapedArray(key.shape[:-1] + shape, dtype))


def _perm_impl(key, *, shape, axis, independent, dtype):
    if independent and len(shape) > 1:
        idx = np.broadcast_to(
            np.arange(shape[axis], dtype=dtype).reshape(
                tuple(n if i == axis else 1 for i, n in enumerate(shape))), shape).copy()
        return prng.permutation(key, idx, axis, True)
    return prng.permutation(key, shape[axis], dtype=dtype)


random_permutation_p = _prim(
    "random_permutation", _perm_impl,
    lambda key, *, shape, axis, independent, dtype: ShapedArray(
        key.shape[:-1] + (shape if independent and len(shape) > 1 else (shape[axis],)), dtype))


def _choice_impl(key, *p, n, shape, replace, mode, dtype):
    return prng.choice(key, n, shape, replace, p[0] if p else None, mode=mode, dtype=dtype)


random_choice_p = _prim(
    "random_choice", _choice_impl,
    lambda key, *p, n, shape, replace, mode, dtype: ShapedArray(key.shape[:-1] + shape, dtype))


def _choice_batch(vals, dims, **params):
    if any(d is not None for d in dims[1:]):
        raise NotImplementedError("vmap of random.choice over p is not supported in cotan")
    return random_choice_p.bind(batching.moveaxis(vals[0], dims[0], 0), *vals[1:], **params), 0


for _p in (random_randint_p, random_gumbel_p, random_permutation_p):
    _key_batcher(_p)
batching.primitive_batchers[random_choice_p] = _choice_batch


def _static_int(v, what):
    if isinstance(v, Tracer):
        raise NotImplementedError(f"random: traced {what} is not supported in cotan; pass a "
                                  "concrete value")
    if isinstance(v, Array):
        v = v._value
    v = np.asarray(v)
    if v.shape != ():
        raise NotImplementedError(f"random: array-valued {what} is not supported in cotan")
    return int(v)


def randint(key, shape, minval, maxval, dtype=None):
    key = _check_key(key, "randint")
    dt = _int_dtype(dtype)
    if dt.kind not in "iu":
        raise TypeError(f"randint only accepts integer dtypes, got {dt}")
    return random_randint_p.bind(key, shape=_shape(shape), minval=_static_int(minval, "minval"),
                                 maxval=_static_int(maxval, "maxval"), dtype=dt)


def _jnp():
    import cotan.numpy as jnp
    return jnp


def bernoulli(key, p=0.5, shape=None, mode="low"):
    jnp = _jnp()
    key = _check_key(key, "bernoulli")
    p = jnp.asarray(p)
    if p.dtype.kind != "f":
        p = p.astype(dtypes.default_float_dtype())
    shape = p.shape if shape is None else _shape(shape)
    if mode != "low":
        raise NotImplementedError("random.bernoulli: only mode='low' in cotan")
    return uniform(key, shape, p.dtype) < p


def gumbel(key, shape=(), dtype=None, mode="low"):
    key = _check_key(key, "gumbel")
    return random_gumbel_p.bind(key, shape=_shape(shape), dtype=_float_dtype(dtype, "gumbel"),
                                mode=mode)


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None):
    jnp = _jnp()
    key = _check_key(key, "categorical")
    logits = jnp.asarray(logits)
    if not replace:
        raise NotImplementedError("random.categorical(replace=False) is not supported in cotan")
    axis = axis % logits.ndim
    batch_shape = tuple(n for i, n in enumerate(logits.shape) if i != axis)
    shape = batch_shape if shape is None else _shape(shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    lshape = list(shape[len(shape) - len(batch_shape):])
    lshape.insert(axis, logits.shape[axis])
    g = gumbel(key, prefix + tuple(lshape), logits.dtype)
    lg = jnp.reshape(logits, (1,) * len(prefix) + logits.shape)
    return jnp.argmax(g + lg, axis=axis + len(prefix))


def permutation(key, x, axis=0, independent=False):
    jnp = _jnp()
    key = _check_key(key, "permutation")
    if isinstance(x, (int, np.integer)) or (np.ndim(x) == 0 and not isinstance(x, Tracer)):
        n = _static_int(x, "x")
        return random_permutation_p.bind(key, shape=(n,), axis=0, independent=False,
                                         dtype=_int_dtype(None))
    x = jnp.asarray(x)
    axis = axis % x.ndim
    ind = random_permutation_p.bind(key, shape=x.shape, axis=axis, independent=bool(independent),
                                    dtype=np.dtype(np.int32))
    if independent and x.ndim > 1:
        return jnp.take_along_axis(x, ind, axis=axis)
    return jnp.take(x, ind, axis=axis)


def shuffle(key, x, axis=0):
    return permutation(key, x, axis, independent=True)


def choice(key, a, shape=(), replace=True, p=None, axis=0, mode=None):
    jnp = _jnp()
    key = _check_key(key, "choice")
    shape = _shape(shape)
    scalar_a = isinstance(a, (int, np.integer)) or (np.ndim(a) == 0 and not isinstance(a, Tracer))
    if scalar_a:
        n = _static_int(a, "a")
    else:
        a = jnp.asarray(a)
        axis = axis % a.ndim
        n = a.shape[axis]
    extra = ()
    if p is not None:
        p = jnp.asarray(p)
        if p.dtype.kind != "f":
            p = p.astype(dtypes.default_float_dtype())
        extra = (p,)
    ind = random_choice_p.bind(key, *extra, n=n, shape=shape, replace=bool(replace),
                               mode=mode, dtype=_int_dtype(None))
    if scalar_a:
        return ind
    return jnp.take(a, ind, axis=axis)


def _u(key, shape, dtype, fname, minval=0.0, maxval=1.0):
    key = _check_key(key, fname)
    dt = _float_dtype(dtype, fname)
    return uniform(key, shape, dt, minval, maxval), dt


def exponential(key, shape=(), dtype=None):
    u, dt = _u(key, shape, dtype, "exponential")
    return -_jnp().log1p(-u)


def laplace(key, shape=(), dtype=None):
    dt = _float_dtype(dtype, "laplace")
    u, _ = _u(key, shape, dt, "laplace", float(np.nextafter(dt.type(-1), dt.type(0))), 1.0)
    jnp = _jnp()
    return jnp.sign(u) * jnp.log1p(-jnp.abs(u))


def logistic(key, shape=(), dtype=None):
    dt = _float_dtype(dtype, "logistic")
    u, _ = _u(key, shape, dt, "logistic", float(np.finfo(dt).tiny), 1.0)
    jnp = _jnp()
    return jnp.log(u / (1 - u))


def cauchy(key, shape=(), dtype=None):
    dt = _float_dtype(dtype, "cauchy")
    u, _ = _u(key, shape, dt, "cauchy", float(np.finfo(dt).eps), 1.0)
    jnp = _jnp()
    return jnp.tan(np.pi * (u - 0.5)).astype(dt)


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    from . import lax as _lax_pkg  # noqa: F401
    from .lax import elementwise as E
    jnp = _jnp()
    key = _check_key(key, "truncated_normal")
    dt = _float_dtype(dtype, "truncated_normal")
    lower, upper = jnp.asarray(lower, dt), jnp.asarray(upper, dt)
    if shape is None:
        shape = np.broadcast_shapes(lower.shape, upper.shape)
    shape = _shape(shape)
    s2 = np.sqrt(2).astype(dt)
    a = E.erf(lower / s2)
    b = E.erf(upper / s2)
    u = uniform(key, shape, dt, a, b)
    out = s2 * E.erf_inv(u)
    lo = E.nextafter(lower, jnp.asarray(np.inf, dt))
    hi = E.nextafter(upper, jnp.asarray(-np.inf, dt))
    return jnp.clip(out, lo, hi)


def rademacher(key, shape=(), dtype=None):
    dt = _int_dtype(dtype)
    b = bernoulli(key, 0.5, shape)
    return (2 * b.astype(dt) - 1).astype(dt)


random_gamma_p = Primitive("random_gamma")
random_gamma_p.def_impl(lambda key, a, *, log_space: prng.gamma(key, a, log_space))
random_gamma_p.def_abstract_eval(lambda key, a, *, log_space: ShapedArray(a.shape, a.dtype))
random_gamma_p.weak_type_rule = lambda args, params: False


def _random_gamma_grad_impl(a, x):
    return prng.random_gamma_grad(a, x)


def _no_jvp(*args, **kwargs):
    raise NotImplementedError("cotan: random_gamma_grad is not differentiable "
                              "(second derivatives of random.gamma w.r.t. a)")


from .lax.utils import _FLOAT, naryop  # noqa: E402

random_gamma_grad_p = naryop("random_gamma_grad", _random_gamma_grad_impl, _FLOAT)
ad.defjvp(random_gamma_grad_p, _no_jvp, _no_jvp)


def random_gamma_grad(a, x):
    return random_gamma_grad_p.bind(a, x)


def _gamma_jvp(g, ans, key, a, *, log_space):
    from .lax import elementwise as E
    from .lax.utils import const
    if log_space:
        s = E.exp(ans)
        s = E.max(s, const(s, np.finfo(core.get_aval(s).dtype).tiny))
        return E.mul(g, E.div(random_gamma_grad(a, s), s))
    return E.mul(g, random_gamma_grad(a, ans))


ad.defjvp2(random_gamma_p, None, _gamma_jvp)


def _gamma_batch(vals, dims, *, log_space):
    (k, a), (dk, da) = vals, dims
    size = next(core.get_aval(v).shape[d] for v, d in zip(vals, dims) if d is not None)
    k = batching.bdim_at_front(k, dk, size)
    a = batching.bdim_at_front(a, da, size)
    return random_gamma_p.bind(k, a, log_space=log_space), 0


batching.primitive_batchers[random_gamma_p] = _gamma_batch


def _gamma(key, a, shape, dtype, fname, log_space):
    jnp = _jnp()
    key = _check_key(key, fname)
    dt = _float_dtype(dtype, fname)
    a = jnp.asarray(a).astype(dt)
    shape = a.shape if shape is None else _shape(shape)
    try:
        if np.broadcast_shapes(shape, a.shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"random.{fname}: shape {shape} is not broadcast-compatible with "
                         f"the parameter's shape {a.shape}") from None
    if a.shape != shape:
        a = jnp.broadcast_to(a, shape)
    return random_gamma_p.bind(key, a, log_space=log_space)


def gamma(key, a, shape=None, dtype=None):
    return _gamma(key, a, shape, dtype, "gamma", False)


def loggamma(key, a, shape=None, dtype=None):
    return _gamma(key, a, shape, dtype, "loggamma", True)


random_poisson_p = _prim(
    "random_poisson", lambda key, lam, *, dtype: prng.poisson(key, lam, dtype),
    lambda key, lam, *, dtype: ShapedArray(lam.shape, dtype))
batching.primitive_batchers[random_poisson_p] = lambda vals, dims, **params: _gamma_batch_generic(
    random_poisson_p, vals, dims, **params)


def _gamma_batch_generic(prim, vals, dims, **params):
    size = next(core.get_aval(v).shape[d] for v, d in zip(vals, dims) if d is not None)
    vals = [batching.bdim_at_front(v, d, size) for v, d in zip(vals, dims)]
    return prim.bind(*vals, **params), 0


def poisson(key, lam, shape=None, dtype=None):
    jnp = _jnp()
    key = _check_key(key, "poisson")
    dt = _int_dtype(dtype)
    lam = jnp.asarray(lam)
    shape = lam.shape if shape is None else _shape(shape)
    lam = jnp.broadcast_to(lam, shape).astype(np.float32)
    return random_poisson_p.bind(key, lam, dtype=dt)


random_binomial_p = _prim(
    "random_binomial",
    lambda key, n, p, *, dtype: prng.binomial(key, n, p, dtype),
    lambda key, n, p, *, dtype: ShapedArray(p.shape, dtype))
batching.primitive_batchers[random_binomial_p] = lambda vals, dims, **params: (
    _gamma_batch_generic(random_binomial_p, vals, dims, **params))


def binomial(key, n, p, shape=None, dtype=None):
    """JAX's algorithm and key usage (inversion for n*min(p, 1-p) <= 10, BTRS
    rejection otherwise): JAX's numbers for float32 / float64 parameters."""
    jnp = _jnp()
    key = _check_key(key, "binomial")
    dt = _float_dtype(dtype, "binomial")
    p = jnp.asarray(p)
    n = jnp.asarray(n)
    if config.jax_enable_x64 and (p.dtype == np.float64 or p.dtype.kind in "biu"):
        p = p.astype(np.float64)
    else:
        p = p.astype(np.float32)   # float16/bfloat16 p are computed in float32 here
    n = n.astype(p.dtype)
    pshape = np.broadcast_shapes(n.shape, p.shape)
    if shape is None:
        shape = pshape
    else:
        shape = _shape(shape)
        try:
            if np.broadcast_shapes(shape, pshape) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(f"random.binomial: shape {shape} is not broadcast-compatible "
                             f"with the parameters' shape {pshape}") from None
    n = jnp.broadcast_to(n, shape)
    p = jnp.broadcast_to(p, shape)
    return random_binomial_p.bind(key, n, p, dtype=dt)


def beta(key, a, b, shape=None, dtype=None):
    jnp = _jnp()
    dt = _float_dtype(dtype, "beta")
    if shape is None:
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    ka, kb = split(key)
    ga, gb = gamma(ka, a, shape, dt), gamma(kb, b, shape, dt)
    return ga / jnp.maximum(ga + gb, np.finfo(dt).tiny)


def dirichlet(key, alpha, shape=None, dtype=None):
    jnp = _jnp()
    dt = _float_dtype(dtype, "dirichlet")
    alpha = jnp.asarray(alpha, dt)
    if shape is None:
        shape = alpha.shape[:-1]
    g = gamma(key, alpha, _shape(shape) + alpha.shape[-1:], dt)
    return g / jnp.sum(g, axis=-1, keepdims=True)


def chisquare(key, df, shape=None, dtype=None):
    return 2.0 * gamma(key, _jnp().asarray(df) / 2.0, shape, dtype)


def f(key, dfnum, dfden, shape=None, dtype=None):
    k1, k2 = split(key)
    return (chisquare(k1, dfnum, shape, dtype) / dfnum) / (chisquare(k2, dfden, shape, dtype) / dfden)


def t(key, df, shape=(), dtype=None):
    jnp = _jnp()
    dt = _float_dtype(dtype, "t")
    k1, k2 = split(key)
    n = normal(k1, shape, dt)
    half = jnp.asarray(df, dt) / 2
    g = gamma(k2, half, shape, dt)
    return n * jnp.sqrt(half / g)


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    jnp = _jnp()
    dt = _float_dtype(dtype, "multivariate_normal")
    mean, cov = jnp.asarray(mean, dt), jnp.asarray(cov, dt)
    if shape is None:
        shape = np.broadcast_shapes(mean.shape[:-1], cov.shape[:-2])
    shape = _shape(shape)
    n = mean.shape[-1]
    if method == "cholesky":
        factor = jnp.linalg.cholesky(cov)
    elif method == "eigh":
        w, v = jnp.linalg.eigh(cov)
        factor = v * jnp.sqrt(w[..., None, :])
    else:
        u, s, _ = jnp.linalg.svd(cov)
        factor = u * jnp.sqrt(s[..., None, :])
    z = normal(key, shape + (n,), dt)
    return mean + jnp.einsum("...ij,...j->...i", factor, z)


def orthogonal(key, n, shape=(), dtype=None, m=None):
    jnp = _jnp()
    dt = _float_dtype(dtype, "orthogonal")
    m = n if m is None else m
    z = normal(key, _shape(shape) + (max(n, m), min(n, m)), dt)
    q, r = jnp.linalg.qr(z)
    d = jnp.diagonal(r, axis1=-2, axis2=-1)
    q = q * jnp.sign(d)[..., None, :]
    if n < m:
        q = jnp.swapaxes(q, -1, -2)
    return q


def ball(key, d, p=2, shape=(), dtype=None):
    jnp = _jnp()
    dt = _float_dtype(dtype, "ball")
    k1, k2 = split(key)
    g = generalized_normal(k1, p, _shape(shape) + (d,), dt)
    e = exponential(k2, shape, dt)
    return g / (((jnp.abs(g) ** p).sum(-1) + e) ** (1 / p))[..., None]


def generalized_normal(key, p, shape=(), dtype=None):
    jnp = _jnp()
    dt = _float_dtype(dtype, "generalized_normal")
    k1, k2 = split(key)
    g = gamma(k1, 1 / p, shape, dt)
    r = rademacher(k2, shape, dt)
    return r * g ** (1 / p)


def maxwell(key, shape=(), dtype=None):
    jnp = _jnp()
    dt = _float_dtype(dtype, "maxwell")
    z = normal(key, _shape(shape) + (3,), dt)
    return jnp.linalg.norm(z, axis=-1)


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    dt = _float_dtype(dtype, "double_sided_maxwell")
    k1, k2 = split(key)
    return maxwell(k1, shape, dt) * rademacher(k2, shape, dt) * scale + loc


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    jnp = _jnp()
    u, dt = _u(key, shape, dtype, "weibull_min")
    return scale * (-jnp.log1p(-u)) ** (1.0 / concentration)


def rayleigh(key, scale, shape=None, dtype=None):
    jnp = _jnp()
    shape = np.shape(scale) if shape is None else shape
    u, dt = _u(key, shape, dtype, "rayleigh")
    return scale * jnp.sqrt(-2.0 * jnp.log(u))


def wald(key, mean, shape=None, dtype=None):
    jnp = _jnp()
    dt = _float_dtype(dtype, "wald")
    shape = np.shape(mean) if shape is None else _shape(shape)
    k1, k2 = split(key)
    v = normal(k1, shape, dt)
    z = uniform(k2, shape, dt)
    y = v * v
    mean = jnp.asarray(mean, dt)
    x = mean + mean * mean * y / 2 - mean / 2 * jnp.sqrt(4 * mean * y + (mean * y) ** 2)
    return jnp.where(z <= mean / (mean + x), x, mean * mean / x)


def pareto(key, b, shape=None, dtype=None):
    shape = np.shape(b) if shape is None else shape
    return _jnp().exp(exponential(key, shape, dtype) / b)


def lognormal(key, sigma=1.0, shape=None, dtype=None):
    shape = np.shape(sigma) if shape is None else shape
    return _jnp().exp(normal(key, shape, dtype) * sigma)


def geometric(key, p, shape=None, dtype=None):
    jnp = _jnp()
    shape = np.shape(p) if shape is None else shape
    u = uniform(key, shape)
    return jnp.ceil(jnp.log(u) / jnp.log1p(-jnp.asarray(p, u.dtype))).astype(_int_dtype(dtype))


def triangular(key, left, mode, right, shape=None, dtype=None):
    jnp = _jnp()
    dt = _float_dtype(dtype, "triangular")
    if shape is None:
        shape = np.broadcast_shapes(np.shape(left), np.shape(mode), np.shape(right))
    u = uniform(key, shape, dt)
    fc = (mode - left) / (right - left)
    return jnp.where(u < fc, left + jnp.sqrt(u * (right - left) * (mode - left)),
                     right - jnp.sqrt((1 - u) * (right - left) * (right - mode)))


def clone(key):
    return key
