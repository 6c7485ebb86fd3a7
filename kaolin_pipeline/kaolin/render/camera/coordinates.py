"""``kaolin.render.camera.coordinates``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.coordinates import (
    blender_coords,
    opengl_coords,
)

__all__ = ["blender_coords", "opengl_coords"]
__getattr__ = missing_names(__name__, __all__)
