"""``kaolin.render.camera.camera``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.camera import (
    Camera,
)

__all__ = ["Camera"]
__getattr__ = missing_names(__name__, __all__)
