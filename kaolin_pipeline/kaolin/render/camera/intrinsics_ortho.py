"""``kaolin.render.camera.intrinsics_ortho``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.ortho import (
    OrthographicIntrinsics,
    OrthoParamsDefEnum,
)

__all__ = ["OrthographicIntrinsics", "OrthoParamsDefEnum"]
__getattr__ = missing_names(__name__, __all__)
