"""cotan.Array: metadata, operators, methods, conversions, repr, pickling and
the device helpers."""
import operator
import pickle

import numpy as np
import pytest

import cotan
import cotan.numpy as jnp


def test_metadata_and_basic_methods():
    x = jnp.arange(6.0).reshape(2, 3)
    assert isinstance(x, cotan.Array)
    assert x.shape == (2, 3) and x.dtype == np.float32 and x.ndim == 2 and x.size == 6
    assert x.T.shape == (3, 2)
    np.testing.assert_array_equal(np.asarray(x.T), np.arange(6.0).reshape(2, 3).T)
    assert float(x.sum()) == 15.0 and float(x.mean()) == 2.5
    assert float(x.max()) == 5.0 and float(x.min()) == 0.0 and float(x.prod()) == 0.0
    assert int(x.argmax()) == 5 and int(x.argmin()) == 0
    np.testing.assert_array_equal(np.asarray(x.sum(axis=0, keepdims=True)), [[3., 5., 7.]])
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert x.transpose().shape == (3, 2) and x.transpose(1, 0).shape == (3, 2)
    assert x.astype(jnp.int32).dtype == np.int32
    assert jnp.ones((1, 3, 1)).squeeze().shape == (3,)
    assert x.flatten().shape == (6,) and x.ravel().shape == (6,)
    np.testing.assert_array_equal(np.asarray(x.clip(1, 4)), np.clip(np.arange(6.0).reshape(2, 3), 1, 4))
    assert float(jnp.array([1., 2.]).dot(jnp.array([3., 4.]))) == 11.0
    assert jnp.array([1.5]).item() == 1.5
    assert x.tolist() == [[0., 1., 2.], [3., 4., 5.]]
    assert x.copy() is not None
    z = jnp.array([1 + 2j, 3 - 1j])
    np.testing.assert_array_equal(np.asarray(z.conj()), [1 - 2j, 3 + 1j])
    np.testing.assert_array_equal(np.asarray(z.real), [1., 3.])
    np.testing.assert_array_equal(np.asarray(z.imag), [2., -1.])
    np.testing.assert_allclose(np.asarray(jnp.array([1.26, 2.5]).round(1)), [1.3, 2.5], rtol=1e-6)


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.floordiv, operator.mod, operator.pow])
def test_arithmetic_operators_and_reflected(op):
    a = np.array([1.5, 2.0, 3.0], np.float32)
    b = np.array([0.5, 4.0, 2.0], np.float32)
    x, y = jnp.array(a), jnp.array(b)
    np.testing.assert_allclose(np.asarray(op(x, y)), op(a, b), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(op(x, 2.0)), op(a, np.float32(2.0)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(op(2.0, x)), op(np.float32(2.0), a), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(op(b, x)), op(b, a), rtol=1e-6)
    assert op(x, 2.0).dtype == np.float32


@pytest.mark.parametrize("op", [operator.lt, operator.le, operator.gt, operator.ge,
                                operator.eq, operator.ne])
def test_comparisons(op):
    a = np.array([1, 2, 3], np.int32)
    x = jnp.array(a)
    np.testing.assert_array_equal(np.asarray(op(x, 2)), op(a, 2))
    np.testing.assert_array_equal(np.asarray(op(2, x)), op(2, a))
    assert op(x, 2).dtype == np.bool_


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor,
                                operator.lshift, operator.rshift])
def test_bitwise_operators(op):
    a = np.array([1, 6, 12], np.int32)
    b = np.array([3, 1, 2], np.int32)
    np.testing.assert_array_equal(np.asarray(op(jnp.array(a), jnp.array(b))), op(a, b))
    np.testing.assert_array_equal(np.asarray(op(jnp.array(a), 1)), op(a, 1))
    np.testing.assert_array_equal(np.asarray(op(1, jnp.array(b))), op(1, b))


def test_unary_operators_and_matmul():
    a = np.array([[1., -2.], [3., 4.]], np.float32)
    x = jnp.array(a)
    np.testing.assert_array_equal(np.asarray(-x), -a)
    np.testing.assert_array_equal(np.asarray(+x), a)
    np.testing.assert_array_equal(np.asarray(abs(x)), abs(a))
    np.testing.assert_array_equal(np.asarray(~jnp.array([1, 2])), ~np.array([1, 2]))
    np.testing.assert_allclose(np.asarray(x @ x), a @ a)
    np.testing.assert_allclose(np.asarray(a @ x), a @ a)
    assert divmod(jnp.array(7), 2)[0] == 3 and divmod(jnp.array(7), 2)[1] == 1


def test_python_conversions_on_concrete_values():
    x = jnp.array(3.5)
    assert float(x) == 3.5 and int(x) == 3 and complex(x) == 3.5 + 0j and bool(x)
    assert operator.index(jnp.array(4)) == 4
    assert [10, 20, 30, 40, 50][jnp.array(2)] == 30
    with pytest.raises(TypeError):
        operator.index(jnp.array(1.5))
    assert len(jnp.zeros((4, 2))) == 4
    with pytest.raises(TypeError):
        len(jnp.array(1.0))
    assert [float(v) for v in jnp.array([1., 2.])] == [1., 2.]
    assert f"{jnp.array(3.14159):.2f}" == "3.14"


def test_numpy_and_matplotlib_interop():
    x = jnp.array([1., 2.])
    a = np.asarray(x)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    assert not a.flags.writeable  # the Array stays immutable
    assert np.sum(x) == 3.0
    b = np.array(x, dtype=np.float64)
    assert b.dtype == np.float64


def test_repr_and_str():
    assert repr(jnp.array([1., 2.])) == "Array([1., 2.], dtype=float32)"
    assert repr(jnp.array([1, 2])) == "Array([1, 2], dtype=int32)"
    assert repr(jnp.array(True)) == "Array(True, dtype=bool)"
    assert repr(cotan.grad(lambda x: x * 2)(1.0)) == "Array(2., dtype=float32, weak_type=True)"
    assert str(jnp.array([1., 2.])) == "[1. 2.]"


def test_immutable_setitem_message():
    x = jnp.zeros(3)
    with pytest.raises(TypeError, match=r"immutable.*x = x\.at\[1\]\.set\(5\.0\)"):
        x[1] = 5.0


def test_at_methods():
    x = jnp.array([1., 2., 3.])
    np.testing.assert_array_equal(np.asarray(x.at[0].set(9.)), [9., 2., 3.])
    np.testing.assert_array_equal(np.asarray(x.at[1].add(1.)), [1., 3., 3.])
    np.testing.assert_array_equal(np.asarray(x.at[2].multiply(2.)), [1., 2., 6.])
    np.testing.assert_array_equal(np.asarray(x.at[2].divide(2.)), [1., 2., 1.5])
    np.testing.assert_array_equal(np.asarray(x.at[1].power(3.)), [1., 8., 3.])
    np.testing.assert_array_equal(np.asarray(x.at[0].min(0.)), [0., 2., 3.])
    np.testing.assert_array_equal(np.asarray(x.at[0].max(5.)), [5., 2., 3.])
    assert float(x.at[2].get()) == 3.0
    g = cotan.grad(lambda v: jnp.sum(x.at[1].set(v * v) * 2.0))(3.0)
    assert float(g) == 12.0
    g = cotan.grad(lambda a: jnp.sum(a.at[0].multiply(5.)))(x)
    np.testing.assert_array_equal(np.asarray(g), [5., 1., 1.])


def test_pickle_and_copy():
    x = jnp.array([[1., 2.], [3., 4.]])
    y = pickle.loads(pickle.dumps(x))
    assert isinstance(y, cotan.Array) and y.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x))
    w = pickle.loads(pickle.dumps(cotan.grad(lambda v: v * 2)(1.0)))
    assert w.weak_type


def test_unhashable():
    with pytest.raises(TypeError):
        hash(jnp.array(1.0))


def test_devices_and_transfers():
    assert len(cotan.devices()) == 1 and cotan.device_count() == 1
    x = cotan.device_put(np.ones(3, np.float32))
    assert isinstance(x, cotan.Array)
    tree = cotan.device_get({"a": x})
    assert isinstance(tree["a"], np.ndarray)
    assert cotan.block_until_ready(x) is x and x.block_until_ready() is x
    assert cotan.device_put({"b": 1.0})["b"].dtype == np.float32


def test_x64_env_var_subprocess():
    import subprocess
    import sys
    code = "import cotan.numpy as jnp; print(jnp.array(1.0).dtype, jnp.arange(3).dtype)"
    env = dict(__import__("os").environ, JAX_ENABLE_X64="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["float64", "int64"]
    env["JAX_ENABLE_X64"] = "0"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["float32", "int32"]


def test_x64_config_update(x64):
    assert jnp.array(1.0).dtype == np.float64
    assert (jnp.ones(2, jnp.float32) * 2.0).dtype == np.float32  # weak scalar keeps f32
    g = cotan.grad(lambda v: jnp.sin(v))(np.float64(1.0))
    assert g.dtype == np.float64


def test_weak_types():
    x = jnp.ones(3, jnp.float32)
    assert (x * 2.0).dtype == np.float32 and not (x * 2.0).weak_type
    assert (jnp.ones(3, jnp.int32) + 1.5).dtype == np.float32
    assert jnp.sin(3).dtype == np.float32 and jnp.sin(3).weak_type
    assert (jnp.ones(3, jnp.float16) + 1.0).dtype == np.float16
    assert (jnp.ones(3, jnp.int8) + 1).dtype == np.int8


def test_float0_tangents_for_integer_inputs():
    f = lambda x, n: x * n
    g = cotan.grad(f, argnums=(0, 1), allow_int=True)(2.0, 3)
    assert float(g[0]) == 3.0 and g[1].dtype == cotan.float0
    y, t = cotan.jvp(lambda n: n * 2, (jnp.array(3),), (np.zeros((), cotan.float0),))
    assert int(y) == 6 and t.dtype == cotan.float0


def test_signed_zero_constants_keep_their_sign():
    assert str(jnp.array(2.0) * -0.0) == "-0.0"
    assert str(jnp.array(2.0) * 0.0) == "0.0"
    assert "-0.0" in str(cotan.make_jaxpr(lambda x: x * -0.0)(1.0))


def test_import_does_not_load_scipy():
    # scipy.special alone costs ~150 ms to import; cotan loads SciPy lazily
    import subprocess
    import sys
    code = "import sys, cotan, cotan.numpy; print(any(m.startswith('scipy') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
