"""``kaolin.render.camera.extrinsics_backends`` (``_REGISTERED_BACKENDS`` too: Kaolin's tests import it)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.extrinsics_backends import (  # noqa: F401  (_REGISTERED_BACKENDS: private)
    _REGISTERED_BACKENDS,
    ExtrinsicsParamsDefEnum,
    ExtrinsicsRep,
    register_backend,
)

__all__ = ["ExtrinsicsParamsDefEnum", "ExtrinsicsRep", "register_backend"]
__getattr__ = missing_names(__name__, __all__)
