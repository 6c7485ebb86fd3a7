"""``kaolin.math.quat.transform``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.rigid import (
    transform_apply,
    transform_from_euclidean,
    transform_from_rotation_translation,
    transform_identity,
    transform_inverse,
    transform_mul,
    transform_rotation,
    transform_translation,
)

__all__ = ["transform_apply", "transform_from_euclidean", "transform_from_rotation_translation", "transform_identity",
           "transform_inverse", "transform_mul", "transform_rotation", "transform_translation"]
__getattr__ = missing_names(__name__, __all__)
