"""cotan.tree_util: pytrees (JAX's jax.tree_util API)."""
from cotan._src.tree_util import *  # noqa: F401,F403
from cotan._src.tree_util import (Partial, register_dataclass, register_pytree_node,  # noqa: F401
                                  register_pytree_node_class, tree_all, tree_flatten,
                                  tree_leaves, tree_map, tree_reduce, tree_structure,
                                  tree_unflatten)
