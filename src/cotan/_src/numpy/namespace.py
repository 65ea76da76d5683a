"""Gathers the public names of cotan.numpy."""
from __future__ import annotations

import numpy as _np

from .. import dtypes as _dtypes
from ..core import Array as ndarray  # noqa: F401
from .creation import (arange, array, asarray, empty, empty_like, eye, full, full_like,  # noqa: F401
                       identity, linspace, ones, ones_like, zeros, zeros_like)
from .lax_numpy import allclose, array_equal, isclose  # noqa: F401
from .lax_numpy import (astype, atleast_1d, atleast_2d, atleast_3d, broadcast_arrays,  # noqa: F401
                        broadcast_to, column_stack, concat, concatenate, dstack, expand_dims,
                        hstack, matrix_transpose, moveaxis, ndim, permute_dims, ravel, reshape,
                        row_stack, select, shape, size, squeeze, stack, swapaxes, transpose,
                        vstack, where)
from .linalg_basic import dot, inner, matmul, outer, tensordot, vdot  # noqa: F401
from .reductions import mean, sum  # noqa: F401
from .ufuncs import *  # noqa: F401,F403
from .ufuncs import abs, divmod, pow, round  # noqa: F401
from .util import broadcast_shapes  # noqa: F401
from .indexing import argwhere, flatnonzero, nonzero, take, take_along_axis  # noqa: F401

pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
euler_gamma = _np.euler_gamma
newaxis = None

float16 = _np.float16
float32 = _np.float32
float64 = _np.float64
int8 = _np.int8
int16 = _np.int16
int32 = _np.int32
int64 = _np.int64
uint8 = _np.uint8
uint16 = _np.uint16
uint32 = _np.uint32
uint64 = _np.uint64
bool_ = _np.bool_
complex64 = _np.complex64
complex128 = _np.complex128
float_ = _np.float64
int_ = _np.int64
complex_ = _np.complex128
generic = _np.generic
number = _np.number
inexact = _np.inexact
floating = _np.floating
complexfloating = _np.complexfloating
integer = _np.integer
signedinteger = _np.signedinteger
unsignedinteger = _np.unsignedinteger
dtype = _np.dtype
finfo = _dtypes.finfo
iinfo = _dtypes.iinfo
issubdtype = _dtypes.issubdtype
promote_types = _dtypes.promote_types
result_type = _dtypes.result_type
float0 = _dtypes.float0

__all__ = [n for n in dir() if not n.startswith("_")]
from .reductions import (all, amax, amin, any, argmax, argmin, average,  # noqa: F401,E402
                         count_nonzero, cumprod, cumsum, cumulative_prod, cumulative_sum, max,
                         min, nanargmax, nanargmin, nancumprod, nancumsum, nanmax, nanmean,
                         nanmin, nanprod, nanstd, nansum, nanvar, prod, ptp, std, var)
from .einsum import einsum, einsum_path  # noqa: F401,E402
from .sorting import (argpartition, argsort, intersect1d, isin, lexsort,  # noqa: F401,E402
                      partition, searchsorted, setdiff1d, setxor1d, sort, sort_complex,
                      union1d, unique, unique_all, unique_counts, unique_inverse,
                      unique_values)
from .manipulation import (append, apply_along_axis, apply_over_axes, array_split,  # noqa: F401,E402
                           bincount, convolve, copy, corrcoef, correlate, cov, cross, delete,
                           diag, diag_indices, diag_indices_from, diagflat, diagonal, diff,
                           digitize, dsplit, ediff1d, fill_diagonal, flip, fliplr, flipud,
                           gradient, histogram, histogram2d, histogram_bin_edges, histogramdd,
                           hsplit, indices, insert, interp, ix_, kron, median, meshgrid,
                           nanmedian, nanpercentile, nanquantile, pad, percentile, piecewise,
                           polyadd, polyder, polyint, polymul, polysub, polyval, quantile,
                           ravel_multi_index, repeat, resize, roll, rot90, split, tile, trace,
                           tri, tril, tril_indices, tril_indices_from, trim_zeros, triu,
                           triu_indices, triu_indices_from, unravel_index, vander, vectorize,
                           vsplit)
from .math_extra import (fmax, fmin, frexp, gcd, iscomplex, iscomplexobj, isreal,  # noqa: F401,E402
                         isrealobj, lcm, ldexp, modf, nan_to_num, real_if_close, unwrap)
from .extras import (ComplexWarning, array_equiv, array_repr, array_str, bartlett,  # noqa: F401,E501
                     bitwise_count, blackman, block, bool, c_, can_cast, cdouble, character,
                     choose, compress, csingle, double, extract, flexible, frombuffer,
                     fromfile, fromfunction, fromiter, fromstring, geomspace, get_printoptions,
                     hamming, hanning, index_exp, isdtype, isscalar, iterable, kaiser, load,
                     logspace, matvec, mgrid, object_, ogrid, printoptions, r_, rollaxis, s_,
                     save, savez, set_printoptions, single, spacing, trapezoid, uint,
                     unstack, vecdot, vecmat)

from .polynomial import poly, polydiv, polyfit, roots  # noqa: F401,E402
from .misc_names import (frompyfunc, mask_indices, packbits, place, put,  # noqa: F401,E402
                         put_along_axis, ufunc, unpackbits)
__all__ = [n for n in dir() if not n.startswith("_")]
