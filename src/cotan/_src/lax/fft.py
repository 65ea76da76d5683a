"""The ``fft`` primitive: discrete Fourier transforms over the trailing
``len(fft_lengths)`` axes (XLA's Fft op: FFT, IFFT, RFFT, IRFFT)."""
from __future__ import annotations

import enum
import math

import numpy as np

from .. import dtypes
from ..core import Primitive, ShapedArray
from ..interpreters import ad, batching
from . import elementwise as _el
from . import structural as _st


class FftType(enum.IntEnum):
    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3


def _as_fft_type(t):
    if isinstance(t, str):
        return FftType[t.upper()]
    return FftType(int(t))


def fft(x, fft_type, fft_lengths):
    """DFT of ``x`` over its last ``len(fft_lengths)`` axes."""
    fft_type = _as_fft_type(fft_type)
    fft_lengths = tuple(int(n) for n in fft_lengths)
    return fft_p.bind(x, fft_type=fft_type, fft_lengths=fft_lengths)


def _fft_abstract(x, *, fft_type, fft_lengths):
    k = len(fft_lengths)
    if k < 1 or k > 3:
        raise TypeError(f"fft supports 1 to 3 transformed axes, got fft_lengths={fft_lengths}")
    if x.ndim < k:
        raise TypeError(f"fft over {k} axes needs an operand of rank >= {k}, got shape {x.shape}")
    lead = x.shape[:x.ndim - k]
    trail = x.shape[x.ndim - k:]
    if fft_type == FftType.RFFT:
        if x.dtype.kind != "f":
            raise TypeError(f"RFFT requires a real floating operand, got {x.dtype.name}")
        if trail != fft_lengths:
            raise TypeError(f"RFFT operand trailing shape {trail} must equal fft_lengths {fft_lengths}")
        shape = lead + fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
        return ShapedArray(shape, dtypes.to_complex_dtype(x.dtype), False)
    if x.dtype.kind != "c":
        raise TypeError(f"{fft_type.name} requires a complex operand, got {x.dtype.name}")
    if fft_type == FftType.IRFFT:
        want = fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
        if trail != want:
            raise TypeError(f"IRFFT operand trailing shape {trail} must be {want} "
                            f"for fft_lengths {fft_lengths}")
        return ShapedArray(lead + fft_lengths, dtypes.to_real_dtype(x.dtype), False)
    if trail != fft_lengths:
        raise TypeError(f"{fft_type.name} operand trailing shape {trail} must equal "
                        f"fft_lengths {fft_lengths}")
    return ShapedArray(x.shape, x.dtype, False)


def _fft_impl(x, *, fft_type, fft_lengths):
    x = np.asarray(x)
    k = len(fft_lengths)
    axes = tuple(range(x.ndim - k, x.ndim))
    if fft_type == FftType.FFT:
        out = np.fft.fftn(x, s=fft_lengths, axes=axes)
        dt = x.dtype
    elif fft_type == FftType.IFFT:
        out = np.fft.ifftn(x, s=fft_lengths, axes=axes)
        dt = x.dtype
    elif fft_type == FftType.RFFT:
        out = np.fft.rfftn(x, s=fft_lengths, axes=axes)
        dt = dtypes.to_complex_dtype(x.dtype)
    else:
        out = np.fft.irfftn(x, s=fft_lengths, axes=axes)
        dt = dtypes.to_real_dtype(x.dtype)
    return np.asarray(out).astype(dt, copy=False)


fft_p = Primitive("fft")
fft_p.def_impl(_fft_impl)
fft_p.def_abstract_eval(_fft_abstract)
fft_p.weak_type_rule = lambda args, params: False


def _rfft_transpose(ct, fft_lengths):
    # RFFT = (keep the first n//2+1 bins) . FFT . (real -> complex); its
    # transpose: zero-pad the cotangent to n bins, FFT (symmetric), real part.
    n = fft_lengths[-1]
    m = ct.shape[-1]
    cfg = [(0, 0, 0)] * (ct.ndim - 1) + [(0, n - m, 0)]
    full = _st.pad(ct, _zero_scalar(ct), cfg)
    return _el.real(fft(full, FftType.FFT, fft_lengths))


def _zero_scalar(x):
    from ..core import Array
    return Array(np.zeros((), x.dtype), False)


def _irfft_transpose(ct, fft_lengths):
    # IRFFT's transpose: RFFT of the cotangent, bins that stand for two
    # (conjugate) frequencies doubled, scaled by 1/N, conjugated (the
    # real->complex convention of complex cotangents).
    x = fft(ct, FftType.RFFT, fft_lengths)
    m = x.shape[-1]
    n = fft_lengths[-1]
    mask = np.full((m,), 2.0)
    mask[0] = 1.0
    if n % 2 == 0:
        mask[-1] = 1.0
    mask = mask / math.prod(fft_lengths)
    from ..core import Array
    scale = Array(np.broadcast_to(mask.astype(x.dtype), x.shape).copy(), False)
    return _el.conj(_el.mul(scale, x))


def _fft_transpose(ct, x, *, fft_type, fft_lengths):
    if type(ct) is ad.Zero:
        return [ad.Zero(x.aval)]
    if fft_type == FftType.RFFT:
        res = _rfft_transpose(ct, fft_lengths)
    elif fft_type == FftType.IRFFT:
        res = _irfft_transpose(ct, fft_lengths)
    else:
        # the DFT matrix (and its inverse) is symmetric
        res = fft(ct, fft_type, fft_lengths)
    return [res]


ad.deflinear2(fft_p, _fft_transpose)


def _fft_batch(vals, dims, *, fft_type, fft_lengths):
    (x,), (d,) = vals, dims
    x = batching.moveaxis(x, d, 0)
    return fft(x, fft_type, fft_lengths), 0


batching.primitive_batchers[fft_p] = _fft_batch
