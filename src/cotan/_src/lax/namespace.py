"""Gathers the public names of cotan.lax."""
from .dot import dot, dot_general  # noqa: F401
from .elementwise import *  # noqa: F401,F403
from .elementwise import abs, max, min, pow, round  # noqa: F401
from .structural import (broadcast, broadcast_in_dim, concatenate, convert_element_type,  # noqa: F401
                         pad, reduce_sum, reshape, slice, slice_in_dim, transpose)
from .misc import stop_gradient  # noqa: F401
from .linalg import svd  # noqa: F401
