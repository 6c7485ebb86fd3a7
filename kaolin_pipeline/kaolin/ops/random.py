"""``kaolin.ops.random``: seeding and random test data (``kaolin_pipeline.ops.random``, ``ops.spc.random``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.random import (
    get_state,
    manual_seed,
    random_shape_per_tensor,
    random_tensor,
    sample_spherical_coords,
    set_state,
)
from kaolin_pipeline.ops.spc.random import random_spc_octrees

__all__ = ["get_state", "manual_seed", "random_shape_per_tensor", "random_spc_octrees", "random_tensor",
           "sample_spherical_coords", "set_state"]
__getattr__ = missing_names(__name__, __all__)
