"""Cameras: Kaolin's legacy camera functions (:mod:`.legacy`) and the :class:`Cameras` batch (:mod:`.cameras`)."""
from kaolin_pipeline.render.camera.cameras import DEFAULT_NEAR, Cameras, look_at_cameras
from kaolin_pipeline.render.camera.legacy import (
    check_camera_proj,
    generate_perspective_projection,
    generate_rotate_translate_matrices,
    generate_transformation_matrix,
    perspective_camera,
    rotate_translate_points,
)

__all__ = [
    "DEFAULT_NEAR", "Cameras", "check_camera_proj", "generate_perspective_projection",
    "generate_rotate_translate_matrices", "generate_transformation_matrix", "look_at_cameras", "perspective_camera",
    "rotate_translate_points",
]
