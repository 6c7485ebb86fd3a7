"""``kaolin.math.quat.util``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.quaternion import (
    pad_mat33_to_mat44,
    vector_normalize,
)

__all__ = ["pad_mat33_to_mat44", "vector_normalize"]
__getattr__ = missing_names(__name__, __all__)
