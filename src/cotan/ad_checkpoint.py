"""``cotan.ad_checkpoint``: like ``jax.ad_checkpoint``."""
from cotan._src.checkpoint import (checkpoint, checkpoint_name, checkpoint_policies,  # noqa: F401
                                   remat)
