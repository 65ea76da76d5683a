"""stop_gradient and other primitives that only matter to transformations."""
from __future__ import annotations

from ..core import Primitive
from ..interpreters import ad, batching
from ..tree_util import tree_map

stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.def_impl(lambda x: x)
stop_gradient_p.def_abstract_eval(lambda x: x)
ad.defjvp_zero(stop_gradient_p)
batching.defvectorized(stop_gradient_p)


def stop_gradient(x):
    """The identity, with a derivative of zero (for any pytree of arrays)."""
    def stop(v):
        from ..core import Array, Tracer
        if isinstance(v, Tracer):
            return stop_gradient_p.bind(v)
        if isinstance(v, Array):
            return v
        from ..numpy.util import asarray_arg
        return asarray_arg(v)
    return tree_map(stop, x)
