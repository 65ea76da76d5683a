"""cotan.numpy.fft: discrete Fourier transforms (jax.numpy.fft's API)."""
from cotan._src.numpy.fft import (fft, fft2, fftfreq, fftn, fftshift, hfft, ifft,  # noqa: F401
                                  ifft2, ifftn, ifftshift, ihfft, irfft, irfft2, irfftn, rfft,
                                  rfft2, rfftfreq, rfftn)

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]
