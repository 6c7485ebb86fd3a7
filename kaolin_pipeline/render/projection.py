"""Colours of a mesh read off the images that saw it: the per-texel least-squares albedo.

A rendered pixel is ``albedo(uv) * shading``, and the albedo is sampled from the texture
bilinearly, so a pixel is a linear function of the texels around its UV. For each texel ``t``
this module solves the diagonal of the least-squares problem over every view,
``albedo_t = Σ w_pt s_p I_p / Σ w_pt s_p²`` (``w_pt`` the bilinear weight of texel t at pixel p,
``s_p`` the shading, ``I_p`` the image), with both sums taken from the renderer's own gradient,
so the projection follows its sampling, lighting and rasterisation exactly. Pixels on the edge of
a silhouette (blended with the background), pixels the mesh covers but the image does not and,
with depths, pixels where the mesh is not where the image's surface is, are left out. Texels no
view saw are filled from their neighbours (push-pull), so the texture has no black gaps at UV
seams or in hidden places.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F

from kaolin_pipeline.errors import RenderError

#: Pixels whose depth differs from the image's depth by more than this (in scene units) are not used.
DEPTH_TOLERANCE = 0.02


def projected_colors(render: Callable[[torch.Tensor, torch.Tensor], dict], colors: torch.Tensor,
                     images: torch.Tensor, masks: torch.Tensor, depths: Optional[torch.Tensor] = None,
                     chunk: int = 4, depth_tolerance: float = DEPTH_TOLERANCE) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares colours of a mesh from the views that saw it.

    Args:
        render: ``render(colors, index) -> dict`` renders the mesh coloured by ``colors`` from the
            views ``index`` (a (K,) long tensor) with the lights the images were taken under, and
            returns the renderer's dict (``image`` (K, H, W, 3), ``face_idx``, ``normals``, ``depth``).
        colors: the colour parameter the renderer samples, e.g. a texture (3, R, R) or vertex
            colours (V, 3); only its shape, dtype and device are used.
        images: (N, H, W, 3) the views.
        masks: (N, H, W) their silhouettes in [0, 1].
        depths: optional (N, H, W) their depths (0 where nothing is seen).
        chunk: views rendered at once.
        depth_tolerance: see :data:`DEPTH_TOLERANCE`.

    Returns:
        colours of the shape of ``colors`` (0 where no view saw them) and their weights, the
        denominator ``Σ w s²`` (same shape without the channel axis: (R, R) or (V,)).
    """
    if images.dim() != 4 or images.shape[-1] != 3 or masks.shape != images.shape[:3]:
        raise RenderError(f"projected_colors: images must be (N, H, W, 3) and masks (N, H, W), got "
                          f"{tuple(images.shape)} and {tuple(masks.shape)}")
    channel = 0 if colors.dim() == 3 else -1  # a texture (3, R, R) or per-vertex colours (V, 3)
    numerator = torch.zeros_like(colors)
    denominator = torch.zeros_like(colors)
    inside = -F.max_pool2d(-(masks > 0.5).to(images.dtype).unsqueeze(1), 3, stride=1, padding=1)[:, 0] > 0.5
    for start in range(0, images.shape[0], chunk):
        index = torch.arange(start, min(start + chunk, images.shape[0]), device=images.device)
        white = torch.ones_like(colors, requires_grad=True)
        out = render(white, index)
        shading = out["image"].detach()[..., :1]  # (K, H, W, 1): a white albedo renders as the shading
        used = inside[index] & (out["face_idx"] >= 0)
        if depths is not None:
            used &= (out["depth"].detach() - depths[index]).abs() < depth_tolerance
        facing = out["normals"].detach()[..., 2:].clamp(min=0.0)  # grazing views smear a texel over many pixels
        weight = used.unsqueeze(-1).to(images.dtype) * facing
        numerator += torch.autograd.grad((out["image"] * weight * images[index]).sum(), white, retain_graph=True)[0]
        denominator += torch.autograd.grad((out["image"] * weight * shading).sum(), white)[0]
    weights = denominator.mean(dim=channel)
    seen = (weights > 1e-8).unsqueeze(channel)
    return torch.where(seen, numerator / denominator.clamp(min=1e-8), torch.zeros_like(numerator)), weights


def fill_unseen(texture: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Texels of zero weight filled from their neighbours (push-pull: the weighted mean at the
    coarsest level where a neighbourhood holds a seen texel); seen texels are unchanged.

    Args:
        texture: (C, R, R).
        weights: (R, R), zero where nothing was seen.

    Returns:
        (C, R, R); a texture nobody saw stays as it is.
    """
    seen = (weights > 0).to(texture.dtype)[None, None]
    if not bool(seen.any()):
        return texture
    values = texture.unsqueeze(0) * seen
    levels = [(values, seen)]
    while min(levels[-1][1].shape[-2:]) > 1:
        values, seen = levels[-1]
        levels.append((F.avg_pool2d(values, 2, ceil_mode=True), F.avg_pool2d(seen, 2, ceil_mode=True)))
    filled = levels[-1][0] / levels[-1][1].clamp(min=1e-12)
    for values, seen in reversed(levels[:-1]):
        coarse = F.interpolate(filled, size=values.shape[-2:], mode="bilinear", align_corners=False)
        filled = torch.where(seen > 0, values / seen.clamp(min=1e-12), coarse)
    return filled[0]
