"""``kaolin.render.camera.intrinsics``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.intrinsics import (
    CameraFOV,
    CameraIntrinsics,
    down_from_homogeneous,
    up_to_homogeneous,
)

__all__ = ["CameraFOV", "CameraIntrinsics", "down_from_homogeneous", "up_to_homogeneous"]
__getattr__ = missing_names(__name__, __all__)
