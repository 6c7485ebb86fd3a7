"""``kaolin.render.camera``: the legacy camera functions only (Kaolin's ``Camera`` class is not provided)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render.camera.legacy import (
    generate_perspective_projection,
    generate_rotate_translate_matrices,
    generate_transformation_matrix,
    perspective_camera,
    rotate_translate_points,
)

__all__ = [
    "generate_perspective_projection", "generate_rotate_translate_matrices", "generate_transformation_matrix",
    "perspective_camera", "rotate_translate_points",
]
__getattr__ = missing_names(__name__, __all__)
