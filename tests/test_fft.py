"""cotan.numpy.fft against numpy.fft: values, gradients, vmap and jit."""
import numpy as np
import pytest

import cotan
import cotan.numpy as jnp
from cotan.test_util import check_grads

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6, 5))
XC = X + 1j * RNG.standard_normal(X.shape)

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_D = ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"]
NORMS = [None, "backward", "ortho", "forward"]


def _input(name):
    return X if name in ("rfft", "ihfft", "rfft2", "rfftn") else XC


@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n,axis", [(None, -1), (4, 0), (8, 1), (3, -1)])
def test_1d_values(name, norm, n, axis, x64):
    a = _input(name)
    got = np.asarray(getattr(jnp.fft, name)(a, n=n, axis=axis, norm=norm))
    want = getattr(np.fft, name)(a, n=n, axis=axis, norm=norm)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", N_D)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("s,axes", [(None, None), ((4, 6), (0, 2)), ((3, 3), None),
                                     (None, (1, 0))])
def test_nd_values(name, norm, s, axes, x64):
    if name.endswith("2") and axes is None:
        axes = (-2, -1)
    a = _input(name)
    got = np.asarray(getattr(jnp.fft, name)(a, s, axes, norm))
    want = getattr(np.fft, name)(a, s, axes, norm)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_more_than_three_axes(x64):
    y = RNG.standard_normal((2, 2, 2, 3, 4))
    np.testing.assert_allclose(np.asarray(jnp.fft.rfftn(y)), np.fft.rfftn(y), atol=1e-10)
    np.testing.assert_allclose(np.asarray(jnp.fft.fftn(y + 0j)), np.fft.fftn(y), atol=1e-10)
    np.testing.assert_allclose(np.asarray(jnp.fft.irfftn(np.fft.rfftn(y), y.shape)), y,
                               atol=1e-10)


def test_dtypes():
    assert jnp.fft.fft(np.arange(4)).dtype == np.complex64
    assert jnp.fft.rfft(np.ones(4, np.float32)).dtype == np.complex64
    assert jnp.fft.irfft(np.ones(3, np.complex64)).dtype == np.float32
    assert jnp.fft.fftfreq(5).dtype == np.float32


def test_freqs_and_shifts(x64):
    np.testing.assert_allclose(np.asarray(jnp.fft.fftfreq(7, 0.3)), np.fft.fftfreq(7, 0.3))
    np.testing.assert_allclose(np.asarray(jnp.fft.fftfreq(8)), np.fft.fftfreq(8))
    np.testing.assert_allclose(np.asarray(jnp.fft.rfftfreq(8, 0.3)), np.fft.rfftfreq(8, 0.3))
    np.testing.assert_allclose(np.asarray(jnp.fft.rfftfreq(7)), np.fft.rfftfreq(7))
    for axes in [None, 1, (0, 2)]:
        np.testing.assert_array_equal(np.asarray(jnp.fft.fftshift(X, axes)),
                                      np.fft.fftshift(X, axes))
        np.testing.assert_array_equal(np.asarray(jnp.fft.ifftshift(X, axes)),
                                      np.fft.ifftshift(X, axes))


def test_bad_norm():
    with pytest.raises(ValueError):
        jnp.fft.fft(XC, norm="bogus")


@pytest.mark.parametrize("name", ONE_D + N_D)
@pytest.mark.parametrize("norm", [None, "ortho"])
def test_grads(name, norm, x64):
    a = _input(name)[:2, :3, :4]
    if name in ONE_D:
        f = lambda v: getattr(jnp.fft, name)(v, n=5, axis=1, norm=norm)  # noqa: E731
    else:
        f = lambda v: getattr(jnp.fft, name)(v, axes=(0, 2), norm=norm)  # noqa: E731
    check_grads(f, (a,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "rfft2", "irfftn"])
def test_vmap_and_jit(name, x64):
    a = _input(name)
    f = getattr(jnp.fft, name)
    want = np.stack([np.asarray(f(a[i])) for i in range(a.shape[0])])
    np.testing.assert_allclose(np.asarray(cotan.vmap(f)(a)), want, atol=1e-12)
    np.testing.assert_allclose(np.asarray(cotan.vmap(f, in_axes=1, out_axes=1)(a)),
                               np.stack([np.asarray(f(a[:, i])) for i in range(a.shape[1])], 1),
                               atol=1e-12)
    np.testing.assert_allclose(np.asarray(cotan.jit(f)(a)), np.asarray(f(a)), atol=1e-12)


def test_grad_of_real_loss(x64):
    # d/dx sum |rfft(x)|^2 -- compare with a finite-difference-free closed form
    x = RNG.standard_normal(6)
    g = cotan.grad(lambda v: jnp.sum(jnp.abs(jnp.fft.fft(v)) ** 2))(x)
    np.testing.assert_allclose(np.asarray(g), 2 * 6 * x, rtol=1e-10)
