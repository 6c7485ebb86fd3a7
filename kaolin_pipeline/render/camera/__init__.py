"""Cameras.

- :mod:`.legacy`: Kaolin's legacy camera functions (``generate_perspective_projection``, ...);
- :mod:`.cameras`: :class:`Cameras`, the look-at batch :class:`~kaolin_pipeline.render.DIBRenderer` takes;
- Kaolin's current camera API: :class:`Camera` (:mod:`.camera`) = :class:`CameraExtrinsics`
  (:mod:`.extrinsics`, backends in :mod:`.extrinsics_backends`) + :class:`PinholeIntrinsics` (:mod:`.pinhole`)
  or :class:`OrthographicIntrinsics` (:mod:`.ortho`); rays (:mod:`.raygen`), paths (:mod:`.trajectory`),
  basis changes (:mod:`.coordinates`).
"""
from kaolin_pipeline.render.camera.camera import Camera
from kaolin_pipeline.render.camera.cameras import DEFAULT_NEAR, Cameras, look_at_cameras
from kaolin_pipeline.render.camera.coordinates import blender_coords, opengl_coords
from kaolin_pipeline.render.camera.extrinsics import CameraExtrinsics
from kaolin_pipeline.render.camera.extrinsics_backends import ExtrinsicsParamsDefEnum, ExtrinsicsRep, register_backend
from kaolin_pipeline.render.camera.intrinsics import CameraFOV, CameraIntrinsics, down_from_homogeneous, up_to_homogeneous
from kaolin_pipeline.render.camera.legacy import (
    check_camera_proj,
    generate_perspective_projection,
    generate_rotate_translate_matrices,
    generate_transformation_matrix,
    perspective_camera,
    rotate_translate_points,
)
from kaolin_pipeline.render.camera.ortho import OrthographicIntrinsics
from kaolin_pipeline.render.camera.pinhole import PinholeIntrinsics
from kaolin_pipeline.render.camera.raygen import (
    generate_centered_custom_resolution_pixel_coords,
    generate_centered_pixel_coords,
    generate_default_grid,
    generate_ortho_rays,
    generate_pinhole_rays,
    generate_rays,
)
from kaolin_pipeline.render.camera.trajectory import camera_path_generator, loop_camera_path_generator

__all__ = [
    "DEFAULT_NEAR", "Camera", "CameraExtrinsics", "CameraFOV", "CameraIntrinsics", "Cameras", "ExtrinsicsParamsDefEnum",
    "ExtrinsicsRep", "OrthographicIntrinsics", "PinholeIntrinsics", "blender_coords", "camera_path_generator",
    "check_camera_proj", "down_from_homogeneous", "generate_centered_custom_resolution_pixel_coords",
    "generate_centered_pixel_coords", "generate_default_grid", "generate_ortho_rays", "generate_perspective_projection",
    "generate_pinhole_rays", "generate_rays", "generate_rotate_translate_matrices", "generate_transformation_matrix",
    "look_at_cameras", "loop_camera_path_generator", "opengl_coords", "perspective_camera", "register_backend",
    "rotate_translate_points", "up_to_homogeneous",
]
