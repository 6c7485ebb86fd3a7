"""Sampling texture maps at UV coordinates, with the semantics of ``kaolin.render.mesh.texture_mapping``.

UV coordinates follow OpenGL: ``(0, 0)`` is the bottom-left corner of the texture
image and ``(1, 1)`` its top-right corner, while texture maps are stored with row 0
at the top. Coordinates are clamped to ``[0, 1]``; ``[0, 1]`` spans the full extent
of the texture (texel *edges*, ``align_corners=False``), so UV ``(0, 1)`` falls on the
top-left texel and ``(1, 0)`` on the bottom-right one.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import RenderError

TEXTURE_MODES = ("nearest", "bilinear")


def _check_texture_arguments(texture_coordinates: torch.Tensor, texture_maps: torch.Tensor,
                             mode: str) -> None:
    if mode not in TEXTURE_MODES:
        raise RenderError(f"texture_mapping: mode must be one of {TEXTURE_MODES}, got {mode!r}")
    if not isinstance(texture_coordinates, torch.Tensor) or texture_coordinates.dim() not in (3, 4) \
            or texture_coordinates.shape[-1] != 2:
        shape = tuple(getattr(texture_coordinates, "shape", ()))
        raise RenderError("texture_mapping: texture_coordinates must be a tensor of shape (B, H, W, 2) "
                          f"or (B, N, 2), got shape {shape}")
    if not isinstance(texture_maps, torch.Tensor) or texture_maps.dim() != 4:
        shape = tuple(getattr(texture_maps, "shape", ()))
        raise RenderError(f"texture_mapping: texture_maps must be a tensor of shape (B, C, Ht, Wt), got shape {shape}")
    if texture_maps.shape[0] not in (1, texture_coordinates.shape[0]):
        raise RenderError(f"texture_mapping: texture_maps batch size {texture_maps.shape[0]} must be 1 or "
                          f"match texture_coordinates batch size {texture_coordinates.shape[0]}")
    if not texture_maps.is_floating_point() or texture_coordinates.dtype != texture_maps.dtype:
        raise RenderError("texture_mapping: texture_coordinates and texture_maps must share one floating dtype, "
                          f"got {texture_coordinates.dtype} and {texture_maps.dtype}")


def texture_mapping(texture_coordinates: torch.Tensor, texture_maps: torch.Tensor,
                    mode: str = "nearest") -> torch.Tensor:
    r"""Sample ``texture_maps`` at dense (per-pixel) or sparse (per-point) UV coordinates.

    Args:
        texture_coordinates: UVs in ``[0, 1]`` (values outside are clamped),
            of shape :math:`(B, H, W, 2)` or :math:`(B, N, 2)`; origin at the bottom-left of the texture.
        texture_maps: textures of shape :math:`(B, C, H_t, W_t)` (row 0 = top of the image);
            a batch of 1 is shared by every item of ``texture_coordinates``.
        mode: ``'nearest'`` or ``'bilinear'`` filtering (as ``torch.nn.functional.grid_sample``);
            the border texels are repeated beyond the edges.

    Returns:
        The sampled values, of shape :math:`(B, H, W, C)` or :math:`(B, N, C)`.
        Differentiable w.r.t. ``texture_maps`` and, in bilinear mode, ``texture_coordinates``.
    """
    _check_texture_arguments(texture_coordinates, texture_maps, mode)
    batch_size = texture_coordinates.shape[0]
    num_channels = texture_maps.shape[1]
    uv = texture_coordinates.reshape(batch_size, -1, 1, 2).clamp(0.0, 1.0)
    # grid_sample's grid: x in [-1, 1] left to right, y in [-1, 1] top to bottom.
    grid = torch.stack([uv[..., 0] * 2.0 - 1.0, 1.0 - uv[..., 1] * 2.0], dim=-1)
    maps = texture_maps.expand(batch_size, -1, -1, -1)
    sampled = F.grid_sample(maps, grid, mode=mode, padding_mode="border", align_corners=False)  # (B, C, N, 1)
    return sampled[..., 0].transpose(1, 2).reshape(*texture_coordinates.shape[:-1], num_channels)
