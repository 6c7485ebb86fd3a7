"""``kaolin.render.camera.extrinsics_backends``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.extrinsics_backends import (
    ExtrinsicsParamsDefEnum,
    ExtrinsicsRep,
    register_backend,
)

__all__ = ["ExtrinsicsParamsDefEnum", "ExtrinsicsRep", "register_backend"]
__getattr__ = missing_names(__name__, __all__)
