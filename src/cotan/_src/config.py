"""Global configuration for cotan, mirroring the ``jax.config`` API.

Options are stored as plain instance attributes so that hot-path reads such as
``config.jax_enable_x64`` cost a single attribute lookup.  All writes go
through :meth:`Config.update` (attribute assignment is routed there too), which
validates the value and runs any hooks registered for the option.
"""

from __future__ import annotations

import contextlib
import os
import threading
from types import MappingProxyType
from typing import Any, Callable

__all__ = ["Config", "config", "enable_x64", "disable_x64"]

_TRUTHY = ("1", "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON")


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip() in _TRUTHY


def _check_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    # Accept numpy bools / 0 / 1 like JAX's bool flags do, reject anything else.
    if value in (0, 1) and not isinstance(value, str):
        return bool(value)
    raise TypeError(f"Option {name!r} expects a bool, got {value!r}.")


def _check_choice(*choices):
    def check(name: str, value: Any):
        if value not in choices:
            raise ValueError(
                    f"Invalid value {value!r} for option {name!r}; expected one of "
                    f"{list(choices)}.")
        return value
    return check


def _check_precision(name: str, value: Any):
    allowed = (None, "default", "high", "highest", "bfloat16", "tensorfloat32",
                          "float32", "fastest", "bfloat16_3x", "tensorfloat32_3x",
                          "ANY_F8_ANY_F8_F32", "F32_F32_F32", "F64_F64_F64")
    if value in allowed:
        return value
    raise ValueError(
            f"Invalid value {value!r} for option {name!r}; expected None or one of "
            f"{list(allowed[1:])}.")


def _check_any(name: str, value: Any):
    return value


# name -> (default factory, validator).  Defaults are computed at Config()
# construction time so that environment variables are honoured.
_OPTIONS: dict[str, tuple[Callable[[], Any], Callable[[str, Any], Any]]] = {
        "jax_enable_x64": (lambda: _env_flag("JAX_ENABLE_X64"), _check_bool),
        "jax_disable_jit": (lambda: _env_flag("JAX_DISABLE_JIT"), _check_bool),
        "jax_log_compiles": (lambda: _env_flag("JAX_LOG_COMPILES"), _check_bool),
        "jax_debug_nans": (lambda: _env_flag("JAX_DEBUG_NANS"), _check_bool),
        "jax_traceback_filtering": (
                lambda: os.environ.get("JAX_TRACEBACK_FILTERING", "auto"),
                _check_choice("off", "tracebackhide", "remove_frames",
                              "quiet_remove_frames", "auto")),
        "jax_numpy_rank_promotion": (
                lambda: os.environ.get("JAX_NUMPY_RANK_PROMOTION", "allow"),
                _check_choice("allow", "warn", "raise")),
        "jax_default_matmul_precision": (lambda: None, _check_precision),
        # Accepted for compatibility; cotan always runs on NumPy.
        "jax_platform_name": (lambda: os.environ.get("JAX_PLATFORM_NAME", ""),
                                                    _check_any),
        "jax_platforms": (lambda: os.environ.get("JAX_PLATFORMS", None), _check_any),
}


class Config:
    """Holds option values as plain attributes; see module docstring."""

    def __init__(self):
        d = object.__getattribute__(self, "__dict__")
        d["_values"] = {}
        d["_hooks"] = {name: [] for name in _OPTIONS}
        d["_lock"] = threading.RLock()
        for name, (default, check) in _OPTIONS.items():
            value = default()
            if value is not None:
                value = check(name, value)
            d[name] = value
            d["_values"][name] = value
        d["values"] = MappingProxyType(d["_values"])

    # -- writing ---------------------------------------------------------------
    def update(self, name: str, value: Any) -> None:
        """Set option ``name`` to ``value`` (validating it) and run its hooks."""
        if name not in _OPTIONS:
            raise AttributeError(f"Unrecognized config option: {name!r}")
        _, check = _OPTIONS[name]
        value = check(name, value)
        with self._lock:
            old = self.__dict__[name]
            self.__dict__[name] = value
            self._values[name] = value
            hooks = list(self._hooks[name])
        if old != value or type(old) is not type(value):
            for hook in hooks:
                hook(value)

    def __setattr__(self, name, value):
        if name in _OPTIONS:
            self.update(name, value)
        else:
            raise AttributeError(
                    f"Unrecognized config option: {name!r}; use config.update(name, value)")

    def __getattr__(self, name):
        # Only reached when normal lookup fails (options are instance attributes).
        raise AttributeError(f"Unrecognized config option: {name!r}")

    # -- reading ---------------------------------------------------------------
    def read(self, name: str) -> Any:
        if name not in _OPTIONS:
            raise AttributeError(f"Unrecognized config option: {name!r}")
        return self.__dict__[name]

    @property
    def x64_enabled(self) -> bool:
        return self.__dict__["jax_enable_x64"]

    # -- hooks -----------------------------------------------------------------
    def _add_hook(self, name: str, fn: Callable[[Any], None]) -> None:
        """Register ``fn(new_value)`` to run whenever option ``name`` changes."""
        if name not in _OPTIONS:
            raise AttributeError(f"Unrecognized config option: {name!r}")
        with self._lock:
            self._hooks[name].append(fn)

    def _remove_hook(self, name: str, fn: Callable[[Any], None]) -> None:
        with self._lock:
            self._hooks[name].remove(fn)

    def __repr__(self):
        items = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Config({items})"


config = Config()


@contextlib.contextmanager
def _option_context(name: str, value: Any):
    old = config.read(name)
    config.update(name, value)
    try:
        yield
    finally:
        config.update(name, old)


def enable_x64(new_val: bool = True):
    """Context manager that sets ``jax_enable_x64`` and restores it on exit."""
    return _option_context("jax_enable_x64", bool(new_val))


def disable_x64():
    """Context manager that turns ``jax_enable_x64`` off, restoring it on exit."""
    return _option_context("jax_enable_x64", False)
