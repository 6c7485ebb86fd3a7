"""Sampling texture maps at UV coordinates, with the semantics of ``kaolin.render.mesh.texture_mapping``.

UV coordinates follow OpenGL: ``(0, 0)`` is the bottom-left corner of the texture
image and ``(1, 1)`` its top-right corner, while texture maps are stored with row 0
at the top. Coordinates outside ``[0, 1]`` are clamped (Kaolin's behaviour, ``wrap="clamp"``),
or wrapped (``"repeat"``) or mirrored (``"mirror"``) as a material's sampler asks; ``[0, 1]`` spans the full extent
of the texture (texel *edges*, ``align_corners=False``), so UV ``(0, 1)`` falls on the
top-left texel and ``(1, 0)`` on the bottom-right one.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import RenderError

TEXTURE_MODES = ("nearest", "bilinear")
WRAP_MODES = ("clamp", "repeat", "mirror")


def wrap_uv(uv: torch.Tensor, wrap: str | tuple[str, str]) -> torch.Tensor:
    """``uv (..., 2)`` brought into [0, 1] by ``wrap`` (one mode, or one for u and one for v).

    ``"repeat"`` keeps the fractional part, ``"mirror"`` reflects every other copy, ``"clamp"``
    clamps; UVs already in [0, 1] are returned unchanged by all three (1.0 stays 1.0).
    """
    modes = (wrap, wrap) if isinstance(wrap, str) else tuple(wrap)
    if len(modes) != 2 or any(mode not in WRAP_MODES for mode in modes):
        raise RenderError(f"texture_mapping: wrap must be one of {WRAP_MODES} or a (u, v) pair of them, got {wrap!r}")
    if modes[0] == modes[1]:
        return _wrap(uv, modes[0])
    return torch.stack([_wrap(uv[..., axis], mode) for axis, mode in enumerate(modes)], dim=-1)


def _wrap(values: torch.Tensor, mode: str) -> torch.Tensor:
    """``values`` brought into [0, 1] by one wrap mode (only that mode is computed)."""
    if mode == "clamp":
        return values.clamp(0.0, 1.0)
    if mode == "repeat":
        wrapped = values - torch.floor(values)
    else:
        wrapped = 1.0 - (torch.remainder(values, 2.0) - 1.0).abs()
    return torch.where((values < 0) | (values > 1), wrapped, values)


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
                    mode: str = "nearest", wrap: str | tuple[str, str] = "clamp") -> torch.Tensor:
    r"""Sample ``texture_maps`` at dense (per-pixel) or sparse (per-point) UV coordinates.

    Args:
        texture_coordinates: UVs in ``[0, 1]`` (values outside are brought in by ``wrap``),
            of shape :math:`(B, H, W, 2)` or :math:`(B, N, 2)`; origin at the bottom-left of the texture.
        texture_maps: textures of shape :math:`(B, C, H_t, W_t)` (row 0 = top of the image);
            a batch of 1 is shared by every item of ``texture_coordinates``.
        mode: ``'nearest'`` or ``'bilinear'`` filtering (as ``torch.nn.functional.grid_sample``);
            the border texels are repeated beyond the edges.
        wrap: ``'clamp'`` (Kaolin's behaviour), ``'repeat'`` or ``'mirror'``, or a ``(u, v)`` pair
            (see :func:`wrap_uv`).

    Returns:
        The sampled values, of shape :math:`(B, H, W, C)` or :math:`(B, N, C)`.
        Differentiable w.r.t. ``texture_maps`` and, in bilinear mode, ``texture_coordinates``.
    """
    _check_texture_arguments(texture_coordinates, texture_maps, mode)
    batch_size = texture_coordinates.shape[0]
    num_channels = texture_maps.shape[1]
    uv = wrap_uv(texture_coordinates.reshape(batch_size, -1, 1, 2), wrap)
    # grid_sample's grid: x in [-1, 1] left to right, y in [-1, 1] top to bottom.
    grid = torch.stack([uv[..., 0] * 2.0 - 1.0, 1.0 - uv[..., 1] * 2.0], dim=-1)
    maps = texture_maps.expand(batch_size, -1, -1, -1)
    sampled = F.grid_sample(maps, grid, mode=mode, padding_mode="border", align_corners=False)  # (B, C, N, 1)
    return sampled[..., 0].transpose(1, 2).reshape(*texture_coordinates.shape[:-1], num_channels)
