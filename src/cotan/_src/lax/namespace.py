"""Gathers the public names of cotan.lax."""
from .dot import dot, dot_general  # noqa: F401
from .elementwise import *  # noqa: F401,F403
from .elementwise import abs, max, min, pow, round  # noqa: F401
from .structural import (broadcast, broadcast_in_dim, concatenate, convert_element_type,  # noqa: F401
                         pad, reduce_sum, reshape, slice, slice_in_dim, transpose)
from .misc import stop_gradient  # noqa: F401
from .linalg import svd  # noqa: F401
from .reductions import (argmax, argmin, cumlogsumexp, cummax, cummin, cumprod,  # noqa: F401
                         cumsum, reduce_and, reduce_max, reduce_min, reduce_or, reduce_prod,
                         reduce_xor)
from .indexing import (dynamic_index_in_dim, dynamic_slice, dynamic_slice_in_dim,  # noqa: F401
                       dynamic_update_index_in_dim, dynamic_update_slice,
                       dynamic_update_slice_in_dim, gather, index_in_dim, rev, scatter,
                       scatter_add, scatter_max, scatter_min, scatter_mul)
from .parallel import (all_gather, axis_index, axis_size, pmax, pmean, pmin, ppermute,  # noqa: F401
                       psum, psum_scatter)
from .control_flow import (associative_scan, cond, fori_loop, map, scan, switch,  # noqa: F401
                           while_loop)
from .elementwise import select_n  # noqa: F401
from .fft import FftType, fft  # noqa: F401
from .sorting import argsort, sort, sort_key_val, top_k  # noqa: F401
from .special import (bessel_i0e, bessel_i1e, igamma, igamma_grad_a, igammac,  # noqa: F401
                      ndtri, regularized_incomplete_beta, zeta)

from .convolution import (ConvDimensionNumbers, conv, conv_dimension_numbers,  # noqa: F401
                          conv_general_dilated, conv_transpose, conv_with_general_padding,
                          padtype_to_pads)
from .windowed import (reduce_window, reduce_window_max, reduce_window_min,  # noqa: F401
                       reduce_window_sum)
from .precision import reduce_precision  # noqa: F401
import types as _types

__all__ = [n for n, v in dict(globals()).items()
           if not n.startswith("_") and not isinstance(v, _types.ModuleType)
           and n not in ("Primitive", "ShapedArray", "Zero", "annotations", "defjvp", "defjvp2",
                         "deflinear", "deflinear2", "is_undefined_primal", "const", "naryop", "unop")]
