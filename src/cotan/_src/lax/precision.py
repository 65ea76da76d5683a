"""reduce_precision: round a float array to a narrower float format.

``reduce_precision(x, exponent_bits, mantissa_bits)`` keeps ``x``'s dtype but
rounds each value as if it were stored with the given exponent and mantissa
widths (XLA's ReducePrecision): the mantissa is rounded to nearest, ties to
even, then values beyond the reduced exponent range become +-inf and values
below its normal range flush to +-0 (no subnormals).  NaNs stay NaN.  The
operation is linear for differentiation purposes, as in JAX: its JVP (and
transpose) apply ``reduce_precision`` to the tangent (cotangent).
"""
from __future__ import annotations

import numpy as np

from ..interpreters import ad
from .utils import _FLOAT, unop

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _reduce_precision_impl(x, *, exponent_bits, mantissa_bits):
    x = np.asarray(x)
    dt = x.dtype
    fi = np.finfo(dt)
    nmant, nexp = int(fi.nmant), int(fi.nexp)
    ut = _UINT[dt.itemsize]
    bits = x.view(ut).copy()
    one = ut(1)
    if mantissa_bits < nmant:
        shift = ut(nmant - mantissa_bits)
        last_bit_mask = one << shift
        base_bias = (last_bit_mask >> one) - one
        last_bit = (bits & last_bit_mask) >> shift
        trunc_mask = ~(last_bit_mask - one)
        bits = (bits + (last_bit + base_bias)) & trunc_mask
    if exponent_bits < nexp:
        width = dt.itemsize * 8
        sign_mask = one << ut(width - 1)
        exp_mask = ((one << ut(nexp)) - one) << ut(nmant)
        bias = (1 << (nexp - 1)) - 1
        red_bias = (1 << (exponent_bits - 1)) - 1
        max_exp = ut(bias + red_bias) << ut(nmant)
        min_exp = ut(bias - red_bias) << ut(nmant)
        exponent = bits & exp_mask
        signed_zero = bits & sign_mask
        signed_inf = signed_zero | exp_mask
        bits = np.where(exponent > max_exp, signed_inf,
                        np.where(exponent <= min_exp, signed_zero, bits)).astype(ut)
    out = bits.view(dt)
    out = np.where(np.isnan(x), x, out)
    return np.asarray(out, dt)


reduce_precision_p = unop("reduce_precision", _reduce_precision_impl, _FLOAT)
ad.deflinear(reduce_precision_p,
             lambda ct, x, **params: [reduce_precision_p.bind(ct, **params)])


def reduce_precision(operand, exponent_bits, mantissa_bits):
    """Round ``operand`` to ``exponent_bits``/``mantissa_bits`` (same dtype)."""
    exponent_bits, mantissa_bits = int(exponent_bits), int(mantissa_bits)
    if exponent_bits < 1 or mantissa_bits < 0:
        raise ValueError(f"reduce_precision: exponent_bits must be >= 1 and mantissa_bits >= 0, "
                         f"got {exponent_bits}, {mantissa_bits}")
    return reduce_precision_p.bind(operand, exponent_bits=exponent_bits,
                                   mantissa_bits=mantissa_bits)
