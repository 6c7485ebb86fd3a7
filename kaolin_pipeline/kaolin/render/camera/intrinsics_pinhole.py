"""``kaolin.render.camera.intrinsics_pinhole``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.pinhole import (
    PinholeIntrinsics,
    PinholeParamsDefEnum,
)

__all__ = ["PinholeIntrinsics", "PinholeParamsDefEnum"]
__getattr__ = missing_names(__name__, __all__)
