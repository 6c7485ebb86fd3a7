"""``kaolin.math.quat.matrix44``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.quaternion import (
    rot44_from_quat,
    scale_to_mat44,
    translation_to_mat44,
)

__all__ = ["rot44_from_quat", "scale_to_mat44", "translation_to_mat44"]
__getattr__ = missing_names(__name__, __all__)
