"""cotan.numpy.fft: NumPy's FFT functions on the ``fft`` primitive."""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes
from ..core import Array
from ..lax import elementwise as _el
from ..lax import structural as _st
from ..lax.utils import const
from ..lax.fft import FftType, fft as _lax_fft
from .util import asarray_arg, canonicalize_axis, convert

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = (None, "backward", "ortho", "forward")


def _check_norm(norm):
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')


def _complex_dtype(x):
    dt = x.dtype
    if dt.kind == "c":
        return dt
    if dt.kind == "f":
        return dtypes.to_complex_dtype(dt)
    return dtypes.to_complex_dtype(dtypes.canonicalize_dtype(np.float64))


def _real_dtype(x):
    dt = x.dtype
    if dt.kind == "f":
        return dt
    if dt.kind == "c":
        return dtypes.to_real_dtype(dt)
    return dtypes.canonicalize_dtype(np.float64)


def _resize(x, axis, n):
    """Zero-pad or truncate ``x`` along ``axis`` to length ``n``."""
    m = x.shape[axis]
    if m == n:
        return x
    if m > n:
        return _st.slice_in_dim(x, 0, n, axis=axis)
    cfg = [(0, 0, 0)] * x.ndim
    cfg[axis] = (0, n - m, 0)
    return _st.pad(x, Array(np.zeros((), x.dtype), False), cfg)


def _scale(x, factor):
    if factor == 1:
        return x
    return _el.mul(x, const(x, factor))


def _norm_factor(norm, n, inverse):
    # the primitive does backward normalization (1/n on the inverse)
    if norm in (None, "backward"):
        return 1
    if norm == "ortho":
        return math.sqrt(n) if inverse else 1 / math.sqrt(n)
    return n if inverse else 1 / n


def _fftn_core(name, fft_type, a, s, axes, norm):
    _check_norm(norm)
    a = asarray_arg(a)
    if fft_type in (FftType.FFT, FftType.IFFT, FftType.IRFFT):
        a = convert(a, _complex_dtype(a))
    else:
        if a.dtype.kind == "c":
            raise TypeError(f"jnp.fft.{name} does not support complex input")
        a = convert(a, _real_dtype(a))
    nd = a.ndim
    if axes is None:
        if s is None:
            axes = tuple(range(nd))
        else:
            axes = tuple(range(nd - len(s), nd))
    else:
        axes = tuple(canonicalize_axis(ax, nd) for ax in
                     (axes if isinstance(axes, (tuple, list)) else (axes,)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"jnp.fft.{name} does not support repeated axes, got {axes}")
    if s is not None:
        s = tuple(operator.index(n) for n in s)
        if len(s) != len(axes):
            raise ValueError("Shape and axes have different lengths.")
    if len(axes) == 0:
        return a
    if len(axes) > 3:
        # transform in groups of at most three axes (last group first for real FFTs)
        if fft_type in (FftType.RFFT, FftType.IRFFT):
            inner = FftType.FFT if fft_type == FftType.RFFT else FftType.IFFT
            if fft_type == FftType.RFFT:
                a = _fftn_core(name, fft_type, a, None if s is None else s[-3:], axes[-3:], norm)
                return _fftn_core(name, inner, a, None if s is None else s[:-3], axes[:-3], norm)
            a = _fftn_core(name, inner, a, None if s is None else s[:-3], axes[:-3], norm)
            return _fftn_core(name, fft_type, a, None if s is None else s[-3:], axes[-3:], norm)
        a = _fftn_core(name, fft_type, a, None if s is None else s[:3], axes[:3], norm)
        return _fftn_core(name, fft_type, a, None if s is None else s[3:], axes[3:], norm)
    # lengths along the transformed axes
    if s is None:
        lengths = [a.shape[ax] for ax in axes]
        if fft_type == FftType.IRFFT:
            lengths[-1] = 2 * (a.shape[axes[-1]] - 1)
    else:
        lengths = list(s)
    for n in lengths:
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    # resize the input along each axis
    for ax, n in zip(axes, lengths):
        want = n // 2 + 1 if (fft_type == FftType.IRFFT and ax == axes[-1]) else n
        a = _resize(a, ax, want)
    # move the axes to the end, transform, move back
    rest = [i for i in range(nd) if i not in axes]
    perm = tuple(rest) + tuple(axes)
    if perm != tuple(range(nd)):
        a = _st.transpose(a, perm)
    out = _lax_fft(a, fft_type, tuple(lengths))
    if perm != tuple(range(nd)):
        inv = tuple(int(i) for i in np.argsort(perm))
        out = _st.transpose(out, inv)
    inverse = fft_type in (FftType.IFFT, FftType.IRFFT)
    return _scale(out, _norm_factor(norm, math.prod(lengths), inverse))


def _one(name, fft_type, a, n, axis, norm):
    return _fftn_core(name, fft_type, a, None if n is None else (n,), (axis,), norm)


def _two(name, fft_type, a, s, axes, norm):
    if len(axes) != 2:
        raise ValueError(f"jnp.fft.{name} requires two axes, got {axes}")
    return _fftn_core(name, fft_type, a, s, axes, norm)


def fft(a, n=None, axis=-1, norm=None):
    return _one("fft", FftType.FFT, a, n, axis, norm)


def ifft(a, n=None, axis=-1, norm=None):
    return _one("ifft", FftType.IFFT, a, n, axis, norm)


def rfft(a, n=None, axis=-1, norm=None):
    return _one("rfft", FftType.RFFT, a, n, axis, norm)


def irfft(a, n=None, axis=-1, norm=None):
    return _one("irfft", FftType.IRFFT, a, n, axis, norm)


def fft2(a, s=None, axes=(-2, -1), norm=None):
    return _two("fft2", FftType.FFT, a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    return _two("ifft2", FftType.IFFT, a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    return _two("rfft2", FftType.RFFT, a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    return _two("irfft2", FftType.IRFFT, a, s, axes, norm)


def fftn(a, s=None, axes=None, norm=None):
    return _fftn_core("fftn", FftType.FFT, a, s, axes, norm)


def ifftn(a, s=None, axes=None, norm=None):
    return _fftn_core("ifftn", FftType.IFFT, a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm=None):
    return _fftn_core("rfftn", FftType.RFFT, a, s, axes, norm)


def irfftn(a, s=None, axes=None, norm=None):
    return _fftn_core("irfftn", FftType.IRFFT, a, s, axes, norm)


_SWAP = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def hfft(a, n=None, axis=-1, norm=None):
    """FFT of a signal with Hermitian symmetry (real spectrum)."""
    _check_norm(norm)
    a = asarray_arg(a)
    a = convert(a, _complex_dtype(a))
    return irfft(_el.conj(a), n, axis, _SWAP[norm])


def ihfft(a, n=None, axis=-1, norm=None):
    """Inverse of :func:`hfft`."""
    _check_norm(norm)
    return _el.conj(rfft(a, n, axis, _SWAP[norm]))


def _freq_dtype(dtype):
    if dtype is None:
        return dtypes.canonicalize_dtype(np.float64)
    dt = np.dtype(dtype)
    return dtypes.canonicalize_dtype(dt)


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """Sample frequencies of the DFT: ``[0, 1, ..., n/2-1, -n/2, ..., -1] / (d*n)``."""
    n = operator.index(n)
    dt = _freq_dtype(dtype)
    k = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)]).astype(dt)
    k = Array(k, False)
    return _el.div(k, _st.broadcast_in_dim(_el.mul(convert(d, dt), Array(np.asarray(n, dt), False)),
                                           k.shape, ()))


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """Sample frequencies of :func:`rfft`: ``[0, 1, ..., n//2] / (d*n)``."""
    n = operator.index(n)
    dt = _freq_dtype(dtype)
    k = Array(np.arange(0, n // 2 + 1).astype(dt), False)
    return _el.div(k, _st.broadcast_in_dim(_el.mul(convert(d, dt), Array(np.asarray(n, dt), False)),
                                           k.shape, ()))


def _roll(x, shift, axis):
    n = x.shape[axis]
    if n == 0:
        return x
    shift = shift % n
    if shift == 0:
        return x
    a = _st.slice_in_dim(x, n - shift, n, axis=axis)
    b = _st.slice_in_dim(x, 0, n - shift, axis=axis)
    return _st.concatenate([a, b], axis)


def _shift(x, axes, sign):
    x = asarray_arg(x)
    if axes is None:
        axes = tuple(range(x.ndim))
    elif not isinstance(axes, (tuple, list)):
        axes = (axes,)
    for ax in axes:
        ax = canonicalize_axis(ax, x.ndim)
        n = x.shape[ax]
        x = _roll(x, n // 2 if sign > 0 else -(n // 2), ax)
    return x


def fftshift(x, axes=None):
    """Shift the zero-frequency term to the centre of the spectrum."""
    return _shift(x, axes, 1)


def ifftshift(x, axes=None):
    """Inverse of :func:`fftshift`."""
    return _shift(x, axes, -1)

