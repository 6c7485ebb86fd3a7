"""``kaolin.math.quat.quaternion``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.quaternion import (
    quat_abs,
    quat_conjugate,
    quat_from_angle_axis,
    quat_from_rot33,
    quat_identity,
    quat_imaginary,
    quat_inverse,
    quat_mul,
    quat_positive,
    quat_real,
    quat_rotate,
    quat_unit,
    quat_unit_positive,
)

__all__ = ["quat_abs", "quat_conjugate", "quat_from_angle_axis", "quat_from_rot33", "quat_identity", "quat_imaginary",
           "quat_inverse", "quat_mul", "quat_positive", "quat_real", "quat_rotate", "quat_unit", "quat_unit_positive"]
__getattr__ = missing_names(__name__, __all__)
