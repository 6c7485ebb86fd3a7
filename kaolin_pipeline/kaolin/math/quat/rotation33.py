"""``kaolin.math.quat.rotation33``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.quaternion import (
    is_rot33_valid,
    rot33_from_angle_axis,
    rot33_from_quat,
    rot33_identity,
    rot33_inverse,
    rot33_rotate,
    translation_identity,
)

__all__ = ["is_rot33_valid", "rot33_from_angle_axis", "rot33_from_quat", "rot33_identity", "rot33_inverse",
           "rot33_rotate", "translation_identity"]
__getattr__ = missing_names(__name__, __all__)
