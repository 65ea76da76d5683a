"""Hiding cotan's internal frames from the tracebacks users see.

Public transformations (and the functions they return) are wrapped with
:func:`api_boundary`.  When an exception propagates out of the outermost
boundary, the frames whose file lies inside the cotan package are removed
from its traceback (the frame that raised it is kept, so the message's
origin stays visible), as JAX does under ``jax_traceback_filtering``.  The
complete traceback is kept on the chained ``UnfilteredStackTrace`` cause
(mode "remove_frames", the default for "auto") or dropped with a note (mode
"quiet_remove_frames").  ``config.update("jax_traceback_filtering", "off")``
(or ``JAX_TRACEBACK_FILTERING=off``) turns filtering off.

No cost on the success path beyond one extra Python call.
"""
from __future__ import annotations

import functools
import sys
import types

from .config import config
from .errors import is_cotan_file

_NOTE = ("--------------------\nFor simplicity, cotan has removed its internal frames from the "
         "traceback of the following exception. Set JAX_TRACEBACK_FILTERING=off to include "
         "these.")


class UnfilteredStackTrace(Exception):
    """Carries the complete traceback (cotan's frames included) of a filtered exception."""


def _keep(tb, is_last):
    return is_last or not is_cotan_file(tb.tb_frame.f_code.co_filename)


def filter_traceback(tb):
    """A new traceback chain without cotan's internal frames (the last,
    raising frame is always kept)."""
    frames = []
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lasti, tb.tb_lineno, tb.tb_next is None))
        tb = tb.tb_next
    out = None
    for frame, lasti, lineno, last in reversed(frames):
        if last or not is_cotan_file(frame.f_code.co_filename):
            out = types.TracebackType(out, frame, lasti, lineno)
    return out


def _under_boundary():
    """Whether an enclosing api_boundary frame is on the stack (only the
    outermost one filters)."""
    f = sys._getframe(2)
    while f is not None:
        if f.f_code is _BOUNDARY_CODE:
            return True
        f = f.f_back
    return False


def api_boundary(fun):
    """Wrap ``fun`` so that exceptions leaving it have cotan's frames removed."""

    @functools.wraps(fun)
    def reraise_with_filtered_traceback(*args, **kwargs):
        __tracebackhide__ = True  # noqa: F841 (pytest hides this frame)
        try:
            return fun(*args, **kwargs)
        except Exception as e:
            mode = config.jax_traceback_filtering
            if mode == "off" or _under_boundary():
                raise
            tb = e.__traceback__
            try:
                filtered = filter_traceback(tb)
                e.with_traceback(filtered)
                if mode == "quiet_remove_frames":
                    e.add_note(_NOTE)
                elif mode != "tracebackhide":
                    full = UnfilteredStackTrace(
                        "The preceding stack trace is the source of the cotan exception below, "
                        "with cotan's internal frames included.")
                    full.with_traceback(tb)
                    full.__cause__ = e.__cause__
                    full.__context__ = e.__context__
                    full.__suppress_context__ = e.__suppress_context__
                    e.__cause__ = full
                    e.__context__ = None
                    del full
            except Exception:  # never let filtering hide the real error
                e.with_traceback(tb)
            raise
            
    return reraise_with_filtered_traceback


_BOUNDARY_CODE = api_boundary(lambda: None).__code__


def wrap_transformation(transform):
    """Wrap a transformation (``jit``, ``grad``, ...): the transformation
    call and the function it returns are both api boundaries."""

    @functools.wraps(transform)
    def wrapped_transform(*args, **kwargs):
        res = transform(*args, **kwargs)
        if isinstance(res, functools.partial) and res.func is transform:
            # decorator-factory use: jit(static_argnums=...)(f)
            return functools.partial(wrapped_transform, *res.args, **res.keywords)
        return boundary_callable(res)

    return api_boundary(wrapped_transform)


def boundary_callable(f):
    if isinstance(f, types.FunctionType):
        return api_boundary(f)
    if callable(f):
        return _BoundaryProxy(f)
    return f


class _BoundaryProxy:
    """An api boundary around a callable object, forwarding its attributes."""

    __slots__ = ("_wrapped", "_call", "__weakref__")

    def __init__(self, f):
        object.__setattr__(self, "_wrapped", f)
        object.__setattr__(self, "_call", api_boundary(f.__call__))

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._wrapped, name)

    def __setattr__(self, name, value):
        setattr(self._wrapped, name, value)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def __repr__(self):
        return repr(self._wrapped)
