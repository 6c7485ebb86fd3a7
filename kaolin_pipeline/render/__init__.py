"""Differentiable rendering: Kaolin-legacy cameras, DIB-R rasterization and soft masks, textures, lighting,
the :class:`DIBRenderer` module, :class:`RenderSettings` and YAML render presets."""
from kaolin_pipeline.render.camera import (
    Cameras,
    generate_perspective_projection,
    generate_rotate_translate_matrices,
    generate_transformation_matrix,
    look_at_cameras,
    perspective_camera,
    rotate_translate_points,
)
from kaolin_pipeline.render.dibr import dibr_rasterization
from kaolin_pipeline.render.lighting import (
    DirectionalLight,
    lambertian_lighting,
    spherical_harmonic_basis,
    spherical_harmonic_lighting,
)
from kaolin_pipeline.render.presets import (
    load_preset,
    preset_cameras,
    preset_lights,
    preset_renderer,
    validate_preset,
)
from kaolin_pipeline.render.rasterize import prepare_vertices, rasterize
from kaolin_pipeline.render.renderer import DIBRenderer
from kaolin_pipeline.render.settings import RenderSettings
from kaolin_pipeline.render.soft_mask import dibr_soft_mask
from kaolin_pipeline.render.texture import texture_mapping

__all__ = [
    "Cameras",
    "DIBRenderer",
    "DirectionalLight",
    "RenderSettings",
    "dibr_rasterization",
    "dibr_soft_mask",
    "generate_perspective_projection",
    "generate_rotate_translate_matrices",
    "generate_transformation_matrix",
    "lambertian_lighting",
    "load_preset",
    "look_at_cameras",
    "perspective_camera",
    "prepare_vertices",
    "preset_cameras",
    "preset_lights",
    "preset_renderer",
    "rasterize",
    "rotate_translate_points",
    "spherical_harmonic_basis",
    "spherical_harmonic_lighting",
    "texture_mapping",
    "validate_preset",
]
