"""Reductions of cotan.numpy (sum, mean, max, prod, var, cumsum, ...) as lax
reductions, with JAX's dtype rules, ``where``/``initial`` handling and errors."""
from __future__ import annotations

import builtins as _builtins

import numpy as np

from .. import dtypes
from ..core import Array
from ..lax import elementwise as lx
from ..lax import reductions as _lr
from ..lax import structural as st
from .util import asarray_arg, canonicalize_axes, convert, broadcast_to_shape
from .util import canonicalize_axis as _canon_axis


def _keepdims(out, shape, axes):
    return st.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shape)))


def _sum_dtype(dt):
    if dt == np.bool_ or (dt.kind in "iu" and dt.itemsize < np.dtype(dtypes.default_int_dtype()).itemsize):
        return dtypes.default_int_dtype() if dt.kind != "u" else dtypes.default_uint_dtype()
    return dt


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None, promote_integers=True):
    a = asarray_arg(a)
    axes = canonicalize_axes(axis, a.ndim)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else (
        _sum_dtype(a.dtype) if promote_integers else a.dtype)
    if a.dtype != dt:
        a = convert(a, dt, a.weak_type)
    if where is not None:
        from .lax_numpy import where as _where
        a = _where(where, a, Array(np.zeros((), dt)))
    out = st.reduce_sum(a, axes)
    if initial is not None:
        out = lx.add(out, broadcast_to_shape(convert(initial, dt), out.shape))
    return _keepdims(out, a.shape, axes) if keepdims else out


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    a = asarray_arg(a)
    axes = canonicalize_axes(axis, a.ndim)
    if where is not None:
        from .lax_numpy import where as _where
        w = asarray_arg(where)
        num = sum(broadcast_to_shape(_where(w, 1, 0), a.shape) if w.shape != a.shape
                  else _where(w, 1, 0), axis, keepdims=keepdims)
        s = sum(a, axis, dtype=dtype, keepdims=keepdims, where=where)
        dt = dtypes.to_inexact_dtype(s.dtype)
        return lx.div(convert(s, dt), broadcast_to_shape(convert(num, dt), s.shape))
    n = int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.to_inexact_dtype(a.dtype)
    s = sum(convert(a, dt, a.weak_type) if a.dtype != dt else a, axis, keepdims=keepdims)
    return lx.div(s, broadcast_to_shape(Array(np.asarray(n, dt), s.weak_type), s.shape))


# ----------------------------------------------------------------------------
# The other reductions (JAX's semantics).  sum and mean above keep their behaviour
# (mean's `where` may now also be a broadcastable mask, as in JAX).

def _no_out(name, out):
    if out is not None:
        raise NotImplementedError(f"The 'out' argument to jnp.{name} is not supported.")


def _where_bool(where):
    w = asarray_arg(where)
    if w.dtype != np.bool_:
        w = lx.ne(w, broadcast_to_shape(Array(np.zeros((), w.dtype)), w.shape))
    return w


def _select(cond, x, y):
    from .lax_numpy import where as _where
    return _where(cond, x, y)


def _scalar(value, dt):
    return Array(np.asarray(value, dt))


def _init_val(dt, value):
    """``value`` (0, 1, +-inf, True/False) as ``dt``; infinities saturate for ints."""
    dt = np.dtype(dt)
    if dt == np.bool_:
        return np.asarray(value > 0, dt)
    if dt.kind in "iu" and np.isinf(value):
        info = np.iinfo(dt)
        return np.asarray(info.min if value < 0 else info.max, dt)
    return np.asarray(value, dt)


def _promote_integer_dtype(dt):
    return _sum_dtype(np.dtype(dt))


def _upcast_f16(dt):
    dt = np.dtype(dt)
    if dt == np.float16 or dt.name == "bfloat16":
        return np.dtype(np.float32)
    return dt


def _to_numeric(a):
    return convert(a, dtypes.default_int_dtype(), a.weak_type) if a.dtype == np.bool_ else a


def _to_bool(a):
    if a.dtype == np.bool_:
        return a
    return lx.ne(a, broadcast_to_shape(Array(np.zeros((), a.dtype)), a.shape))


def _reduction(a, name, lax_fn, init, *, combine, has_identity=True, bool_fn=None,
               preproc=None, axis=None, dtype=None, out=None, keepdims=False, initial=None,
               where=None, promote_integers=False, upcast_f16=False):
    _no_out(name, out)
    dtypes.check_user_dtype_supported(dtype, name)
    a = asarray_arg(a)
    if preproc is not None:
        a = preproc(a)
    axes = canonicalize_axes(axis, a.ndim)
    if initial is None and not has_identity:
        if where is not None:
            raise ValueError(f"reduction operation {name} does not have an identity, so to use a "
                             "where mask one has to specify 'initial'")
        if _builtins.any(a.shape[d] == 0 for d in axes):
            raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
    result_dtype = dtypes.canonicalize_dtype(dtype) if dtype is not None else a.dtype
    if dtype is None and promote_integers:
        result_dtype = _promote_integer_dtype(result_dtype)
    comp_dtype = _upcast_f16(result_dtype) if upcast_f16 and result_dtype.kind in "fc" else result_dtype
    if a.dtype != comp_dtype:
        a = convert(a, comp_dtype, a.weak_type)
    fn = bool_fn if (comp_dtype == np.bool_ and bool_fn is not None) else lax_fn
    if where is not None:
        a = _select(_where_bool(where), a, _scalar(_init_val(comp_dtype, init), comp_dtype))
    result = fn(a, axes)
    if initial is not None:
        init_arr = convert(initial, comp_dtype)
        if init_arr.shape != ():
            raise ValueError(f"initial value must be a scalar. Got array of shape {init_arr.shape}")
        result = combine(broadcast_to_shape(init_arr, result.shape), result)
    if keepdims:
        result = _keepdims(result, a.shape, axes)
    if result.dtype != result_dtype:
        result = convert(result, result_dtype, result.weak_type)
    return result


def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _reduction(a, "max", _lr.reduce_max, -np.inf, combine=lx.max, has_identity=False,
                      axis=axis, out=out, keepdims=keepdims, initial=initial, where=where)


def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _reduction(a, "min", _lr.reduce_min, np.inf, combine=lx.min, has_identity=False,
                      axis=axis, out=out, keepdims=keepdims, initial=initial, where=where)


def amax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return max(a, axis=axis, out=out, keepdims=keepdims, initial=initial, where=where)


def amin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return min(a, axis=axis, out=out, keepdims=keepdims, initial=initial, where=where)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
         promote_integers=True):
    return _reduction(a, "prod", _lr.reduce_prod, 1, combine=lx.mul, bool_fn=_lr.reduce_and,
                      preproc=_to_numeric if dtype is None else None, axis=axis, dtype=dtype,
                      out=out, keepdims=keepdims, initial=initial, where=where,
                      promote_integers=promote_integers, upcast_f16=True)


def all(a, axis=None, out=None, keepdims=False, *, where=None):
    return _reduction(a, "all", _lr.reduce_and, True, combine=lx.and_, preproc=_to_bool,
                      axis=axis, out=out, keepdims=keepdims, where=where)


def any(a, axis=None, out=None, keepdims=False, *, where=None):
    return _reduction(a, "any", _lr.reduce_or, False, combine=lx.or_, preproc=_to_bool,
                      axis=axis, out=out, keepdims=keepdims, where=where)


def _argminmax(name, lax_fn, a, axis, out, keepdims):
    _no_out(name, out)
    a = asarray_arg(a)
    shape = a.shape
    if axis is None:
        dims = tuple(range(a.ndim))
        from .lax_numpy import ravel
        a = ravel(a)
        axis = 0
    else:
        axis = _canon_axis(axis, a.ndim)
        dims = (axis,)
    if a.shape[axis] == 0:
        raise ValueError(f"attempt to get {name} of an empty sequence")
    result = lax_fn(a, axis, dtypes.default_int_dtype())
    if keepdims:
        result = st.reshape(result, tuple(1 if i in dims else d for i, d in enumerate(shape)))
    return result


def argmax(a, axis=None, out=None, keepdims=None):
    return _argminmax("argmax", _lr.argmax, a, axis, out, keepdims)


def argmin(a, axis=None, out=None, keepdims=None):
    return _argminmax("argmin", _lr.argmin, a, axis, out, keepdims)


def _isnan(a):
    return lx.ne(a, a)


def nanargmax(a, axis=None, out=None, keepdims=None):
    _no_out("nanargmax", out)
    a = asarray_arg(a)
    if a.dtype.kind not in "fc":
        return argmax(a, axis=axis, keepdims=keepdims)
    nan_mask = _isnan(a)
    res = argmax(_select(nan_mask, _scalar(-np.inf, a.dtype), a), axis=axis, keepdims=keepdims)
    return _select(all(nan_mask, axis=axis, keepdims=keepdims), _scalar(-1, res.dtype), res)


def nanargmin(a, axis=None, out=None, keepdims=None):
    _no_out("nanargmin", out)
    a = asarray_arg(a)
    if a.dtype.kind not in "fc":
        return argmin(a, axis=axis, keepdims=keepdims)
    nan_mask = _isnan(a)
    res = argmin(_select(nan_mask, _scalar(np.inf, a.dtype), a), axis=axis, keepdims=keepdims)
    return _select(all(nan_mask, axis=axis, keepdims=keepdims), _scalar(-1, res.dtype), res)


# --- var / std ----------------------------------------------------------------------


def _var_promote_types(a_dtype, dtype):
    if dtype is not None:
        dt = dtypes.canonicalize_dtype(dtype)
        if dt.kind != "c" and np.dtype(a_dtype).kind == "c":
            raise ValueError(
                "jax.numpy.var does not yet support real dtype parameters when computing the "
                "variance of an array of complex values.")
        computation = dt
        out_dtype = dt
    elif np.dtype(a_dtype).kind not in "fc":
        out_dtype = computation = dtypes.to_inexact_dtype(a_dtype)
    else:
        out_dtype = dtypes.to_real_dtype(a_dtype)
        computation = np.dtype(a_dtype)
    return _upcast_f16(computation), np.dtype(out_dtype)


def _correction(ddof, correction):
    if correction is None:
        return ddof
    if not isinstance(ddof, int) or ddof != 0:
        raise ValueError("ddof and correction can't be provided simultaneously.")
    return correction


def _abs2(centered):
    if centered.dtype.kind == "c":
        return lx.real(lx.mul(centered, lx.conj(centered)))
    return lx.mul(centered, centered)


def _axis_size(shape, axes):
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    _no_out("var", out)
    corr = _correction(ddof, correction)
    dtypes.check_user_dtype_supported(dtype, "var")
    a = asarray_arg(a)
    comp, out_dtype = _var_promote_types(a.dtype, dtype)
    a = convert(a, comp) if a.dtype != comp else a
    axes = canonicalize_axes(axis, a.ndim)
    a_mean = mean(a, axis, dtype=comp, keepdims=True, where=where)
    centered = _abs2(lx.sub(a, broadcast_to_shape(a_mean, a.shape)))
    cdt = centered.dtype
    if where is None and isinstance(corr, (int, float, np.integer, np.floating)):
        # static normalizer: no select needed
        d = _axis_size(a.shape, axes) - corr
        result = sum(centered, axis, dtype=cdt, keepdims=keepdims)
        if d > 0:
            result = lx.div(result, broadcast_to_shape(_scalar(d, cdt), result.shape))
        else:
            result = lx.mul(result, broadcast_to_shape(_scalar(np.nan, cdt), result.shape))
        return convert(result, out_dtype) if result.dtype != out_dtype else result
    if where is None:
        normalizer = _scalar(_axis_size(a.shape, axes), cdt)
    else:
        from .lax_numpy import broadcast_to
        normalizer = sum(broadcast_to(_where_bool(where), a.shape), axis, dtype=cdt,
                         keepdims=keepdims)
    normalizer = lx.sub(normalizer, broadcast_to_shape(convert(corr, cdt), normalizer.shape))
    result = sum(centered, axis, dtype=cdt, keepdims=keepdims, where=where)
    result = lx.div(result, broadcast_to_shape(normalizer, result.shape))
    if result.dtype != out_dtype:
        result = convert(result, out_dtype)
    positive = lx.gt(normalizer, broadcast_to_shape(_scalar(0, cdt), normalizer.shape))
    return _select(positive, result, _scalar(np.nan, out_dtype))


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    _no_out("std", out)
    corr = _correction(ddof, correction)
    if dtype is not None and dtypes.canonicalize_dtype(dtype).kind not in "fc":
        raise ValueError(f"dtype argument to jnp.std must be inexact; got {dtype}")
    return lx.sqrt(var(a, axis=axis, dtype=dtype, correction=corr, keepdims=keepdims,
                       where=where))


# --- ptp / count_nonzero / average ---------------------------------------------------------


def ptp(a, axis=None, out=None, keepdims=False):
    _no_out("ptp", out)
    return lx.sub(max(a, axis=axis, keepdims=keepdims), min(a, axis=axis, keepdims=keepdims))


def count_nonzero(a, axis=None, keepdims=False):
    a = asarray_arg(a)
    return sum(_to_bool(a), axis=axis, dtype=dtypes.default_int_dtype(), keepdims=keepdims)


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    from .lax_numpy import broadcast_to, moveaxis
    from .util import promote_dtypes_inexact
    if weights is None:
        (a,) = promote_dtypes_inexact(a)
        axes = canonicalize_axes(axis, a.ndim)
        avg = mean(a, axis=axis, keepdims=keepdims)
        weights_sum = broadcast_to_shape(_scalar(_axis_size(a.shape, axes), avg.dtype), avg.shape)
    else:
        a, weights = promote_dtypes_inexact(a, weights)
        if a.shape != weights.shape:
            if weights.ndim != 1:
                raise ValueError("1D weights expected when shapes of a and weights differ.")
            if axis is None:
                raise ValueError("Axis must be specified when shapes of a and weights differ.")
            if isinstance(axis, (tuple, list)):
                raise ValueError("Single axis expected when shapes of a and weights differ")
            ax = _canon_axis(axis, a.ndim)
            if weights.shape[0] != a.shape[ax]:
                raise ValueError("Length of weights not compatible with specified axis.")
            weights = broadcast_to(weights, (a.ndim - 1) * (1,) + weights.shape)
            weights = moveaxis(weights, -1, ax)
        from .ufuncs import multiply, true_divide
        weights_sum = sum(weights, axis=axis, keepdims=keepdims)
        avg = true_divide(sum(multiply(a, weights), axis=axis, keepdims=keepdims), weights_sum)
    if returned:
        if avg.shape != weights_sum.shape:
            weights_sum = broadcast_to_shape(weights_sum, avg.shape)
        return avg, weights_sum
    return avg


# --- NaN-ignoring reductions ----------------------------------------------------------------


def _nan_reduction(a, name, reduction, init, nan_if_all_nan, axis=None, keepdims=False,
                   where=None, **kwargs):
    a = asarray_arg(a)
    if a.dtype.kind not in "fc":
        return reduction(a, axis=axis, keepdims=keepdims, where=where, **kwargs)
    filled = _select(_isnan(a), _scalar(_init_val(a.dtype, init), a.dtype), a)
    out = reduction(filled, axis=axis, keepdims=keepdims, where=where, **kwargs)
    if nan_if_all_nan:
        return _select(all(_isnan(a), axis=axis, keepdims=keepdims),
                       _scalar(np.nan, out.dtype), out)
    return out


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _nan_reduction(a, "nanmax", max, -np.inf, initial is None, axis=axis, out=out,
                          keepdims=keepdims, initial=initial, where=where)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _nan_reduction(a, "nanmin", min, np.inf, initial is None, axis=axis, out=out,
                          keepdims=keepdims, initial=initial, where=where)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_out("nansum", out)
    return _nan_reduction(a, "nansum", sum, 0, False, axis=axis, dtype=dtype,
                          keepdims=keepdims, initial=initial, where=where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return _nan_reduction(a, "nanprod", prod, 1, False, axis=axis, dtype=dtype, out=out,
                          keepdims=keepdims, initial=initial, where=where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    _no_out("nanmean", out)
    a = asarray_arg(a)
    if a.dtype.kind not in "fc":
        return mean(a, axis, dtype, None, keepdims, where=where)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.to_inexact_dtype(a.dtype)
    normalizer = sum(lx.not_(_isnan(a)), axis=axis, dtype=dt, keepdims=keepdims, where=where)
    td = nansum(a, axis, dtype=dt, keepdims=keepdims, where=where)
    return lx.div(td, normalizer)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    _no_out("nanvar", out)
    dtypes.check_user_dtype_supported(dtype, "nanvar")
    a = asarray_arg(a)
    comp, out_dtype = _var_promote_types(a.dtype, dtype)
    a = convert(a, comp) if a.dtype != comp else a
    a_mean = nanmean(a, axis, dtype=comp, keepdims=True, where=where)
    isnan = _isnan(a)
    # double-where: NaN entries never reach the arithmetic that is differentiated
    centered = _select(isnan, _scalar(0, comp), lx.sub(a, broadcast_to_shape(a_mean, a.shape)))
    centered = _abs2(centered)
    normalizer = sum(lx.not_(isnan), axis=axis, keepdims=keepdims, where=where)
    normalizer = lx.sub(normalizer, broadcast_to_shape(convert(ddof, normalizer.dtype),
                                                       normalizer.shape))
    mask = lx.le(normalizer, broadcast_to_shape(_scalar(0, normalizer.dtype), normalizer.shape))
    result = sum(centered, axis, keepdims=keepdims, where=where)
    result = _select(mask, _scalar(np.nan, result.dtype), result)
    divisor = _select(mask, _scalar(1, normalizer.dtype), normalizer)
    result = lx.div(result, convert(divisor, result.dtype))
    return convert(result, out_dtype) if result.dtype != out_dtype else result


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    _no_out("nanstd", out)
    return lx.sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where))


# --- cumulative reductions ------------------------------------------------------------------


def _cumulative_reduction(name, lax_fn, a, axis, dtype, out=None, fill_nan=False, fill_value=0,
                          promote_integers=False):
    _no_out(name, out)
    dtypes.check_user_dtype_supported(dtype, name)
    a = asarray_arg(a)
    if axis is None or a.ndim == 0:
        a = st.reshape(a, (a.size,))
    if axis is None:
        axis = 0
    axis = _canon_axis(axis, a.ndim)
    if fill_nan and a.dtype.kind in "fc":
        a = _select(_isnan(a), _scalar(fill_value, a.dtype), a)
    result_type = dtypes.canonicalize_dtype(dtype) if dtype is not None else a.dtype
    if (dtype is None and promote_integers) or result_type == np.bool_:
        result_type = _promote_integer_dtype(result_type)
    if a.dtype != np.bool_ and dtype is not None and np.dtype(dtype) == np.bool_:
        a = _to_bool(a)
    if a.dtype != result_type:
        a = convert(a, result_type, a.weak_type)
    result = lax_fn(a, axis)
    if dtype is not None and np.dtype(dtype) == np.bool_:
        result = convert(result, np.dtype(np.bool_))
    return result


def cumsum(a, axis=None, dtype=None, out=None):
    return _cumulative_reduction("cumsum", _lr.cumsum, a, axis, dtype, out)


def cumprod(a, axis=None, dtype=None, out=None):
    return _cumulative_reduction("cumprod", _lr.cumprod, a, axis, dtype, out)


def nancumsum(a, axis=None, dtype=None, out=None):
    return _cumulative_reduction("nancumsum", _lr.cumsum, a, axis, dtype, out,
                                 fill_nan=True, fill_value=0)


def nancumprod(a, axis=None, dtype=None, out=None):
    return _cumulative_reduction("nancumprod", _lr.cumprod, a, axis, dtype, out,
                                 fill_nan=True, fill_value=1)


def _cumulative_api(name, lax_fn, fill, x, axis, dtype, include_initial):
    x = asarray_arg(x)
    if x.ndim == 0:
        raise ValueError(f"The input must be non-scalar to take a {name}, however a scalar "
                         "value or scalar array was given.")
    if axis is None:
        axis = 0
        if x.ndim > 1:
            raise ValueError(
                f"The input array has rank {x.ndim}, however axis was not set to an explicit "
                "value. The axis argument is only optional for one-dimensional arrays.")
    axis = _canon_axis(axis, x.ndim)
    out = _cumulative_reduction(name, lax_fn, x, axis, dtype,
                                promote_integers=(lax_fn is _lr.cumsum))
    if include_initial:
        shape = list(x.shape)
        shape[axis] = 1
        first = Array(np.full(shape, fill, out.dtype))
        out = st.concatenate([first, out], axis)
    return out


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative_api("cumulative sum", _lr.cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative_api("cumulative product", _lr.cumprod, 1, x, axis, dtype, include_initial)
