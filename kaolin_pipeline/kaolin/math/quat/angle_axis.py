"""``kaolin.math.quat.angle_axis``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.quaternion import (
    angle_axis_from_quat,
    angle_axis_from_rot33,
)

__all__ = ["angle_axis_from_quat", "angle_axis_from_rot33"]
__getattr__ = missing_names(__name__, __all__)
