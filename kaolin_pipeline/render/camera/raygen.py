"""Rays through pixels, as Kaolin's ``kaolin.render.camera.raygen``.

Pixel coordinates are ``(pixel_y, pixel_x)`` grids of shape (H, W) in pixels from the image's top-left
corner; :func:`generate_centered_pixel_coords` gives the pixel centres (``x + 0.5``). A camera's rays are
returned flattened row-major: origins and unit directions, each (H * W, 3), in world coordinates.
Only single cameras (``len(camera) == 1``) make rays.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch

from ...errors import RenderError
from .intrinsics import CameraFOV

__all__ = ["generate_centered_custom_resolution_pixel_coords", "generate_centered_pixel_coords",
           "generate_default_grid", "generate_ortho_rays", "generate_pinhole_rays", "generate_rays"]

PixelGrid = Tuple[torch.Tensor, torch.Tensor]


class BatchedCameraError(RenderError, AssertionError):
    """Rays asked of a batch of cameras; an ``AssertionError`` too, which is what Kaolin raises."""


def generate_default_grid(width: int, height: int, device=None) -> PixelGrid:
    """``(pixel_y, pixel_x)``, each (height, width) float: the integer row and column of every pixel."""
    rows = torch.arange(height, device=device, dtype=torch.float)
    cols = torch.arange(width, device=device, dtype=torch.float)
    return torch.meshgrid(rows, cols, indexing="ij")


def generate_centered_pixel_coords(img_width: int, img_height: int, device=None) -> PixelGrid:
    """``(pixel_y, pixel_x)``, each (img_height, img_width): the pixel centres."""
    pixel_y, pixel_x = generate_default_grid(img_width, img_height, device)
    return pixel_y + 0.5, pixel_x + 0.5


def generate_centered_custom_resolution_pixel_coords(img_width: int, img_height: int, res_x: int = None,
                                                     res_y: int = None, device=None) -> PixelGrid:
    """``(pixel_y, pixel_x)``, each (res_y, res_x): centres of a ``res_x`` x ``res_y`` grid of cells
    spread over the ``img_width`` x ``img_height`` image plane, in the image's pixel units."""
    res_x = img_width if res_x is None else res_x
    res_y = img_height if res_y is None else res_y
    step_x, step_y = img_width / res_x, img_height / res_y
    pixel_y, pixel_x = generate_default_grid(res_x, res_y, device)
    return step_y * (pixel_y + 0.5), step_x * (pixel_x + 0.5)


def _grid(camera, coords_grid: Optional[PixelGrid]) -> PixelGrid:
    if len(camera) != 1:
        raise BatchedCameraError(f"ray generation needs a single camera, got a batch of {len(camera)}")
    if coords_grid is None:
        coords_grid = generate_centered_pixel_coords(camera.width, camera.height, device=camera.device)
    elif any(c.device != camera.device for c in coords_grid):
        raise RenderError(f"coords_grid is on {coords_grid[0].device}, the camera on {camera.device}")
    pixel_y, pixel_x = coords_grid
    return pixel_y.to(camera.dtype), pixel_x.to(camera.dtype)


def _to_world(camera, origins: torch.Tensor, directions: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    origins, directions = camera.extrinsics.inv_transform_rays(origins.reshape(-1, 3), directions.reshape(-1, 3))
    return origins[0], torch.nn.functional.normalize(directions[0], dim=-1)


def generate_pinhole_rays(camera, coords_grid: Optional[PixelGrid] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Rays from a pinhole camera's centre through ``coords_grid`` (default: every pixel centre).

    Returns:
        ``(ray_orig, ray_dir)``, each (N, 3) in world coordinates: origins at the camera position,
        unit directions; pixel x grows right, pixel y down.
    """
    pixel_y, pixel_x = _grid(camera, coords_grid)
    ndc_x = 2.0 * (pixel_x - camera.x0) / camera.width - 1.0
    ndc_y = 2.0 * (pixel_y + camera.y0) / camera.height - 1.0
    directions = torch.stack([ndc_x * camera.tan_half_fov(CameraFOV.HORIZONTAL),
                              -ndc_y * camera.tan_half_fov(CameraFOV.VERTICAL),
                              -torch.ones_like(ndc_x)], dim=-1)
    return _to_world(camera, torch.zeros_like(directions), directions)


def generate_ortho_rays(camera, coords_grid: Optional[PixelGrid] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Parallel rays of an orthographic camera, one per point of ``coords_grid`` (default: pixel centres).

    Returns:
        ``(ray_orig, ray_dir)``, each (N, 3): origins on the camera's image plane (spanning
        ``fov_distance * W / H`` by ``fov_distance`` either side of the centre), directions the view axis.
    """
    pixel_y, pixel_x = _grid(camera, coords_grid)
    half_height = camera.fov_distance
    ndc_x = (2.0 * pixel_x / camera.width - 1.0) * half_height * (camera.width / camera.height)
    ndc_y = (2.0 * pixel_y / camera.height - 1.0) * half_height
    zeros = torch.zeros_like(ndc_x)
    origins = torch.stack([ndc_x, -ndc_y, zeros], dim=-1)
    directions = torch.stack([zeros, zeros, -torch.ones_like(ndc_x)], dim=-1)
    return _to_world(camera, origins, directions)


def generate_rays(camera, coords_grid: Optional[PixelGrid] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Rays of a pinhole or orthographic camera (see :func:`generate_pinhole_rays`, :func:`generate_ortho_rays`)."""
    generators = {"pinhole": generate_pinhole_rays, "ortho": generate_ortho_rays}
    if camera.lens_type not in generators:
        raise RenderError(f"generate_rays: no ray generator for lens type {camera.lens_type!r}")
    return generators[camera.lens_type](camera, coords_grid)
