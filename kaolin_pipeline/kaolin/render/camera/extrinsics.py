"""``kaolin.render.camera.extrinsics``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.extrinsics import (
    CameraExtrinsics,
    ExtrinsicsRep,
    register_backend,
)

__all__ = ["CameraExtrinsics", "ExtrinsicsRep", "register_backend"]
__getattr__ = missing_names(__name__, __all__)
