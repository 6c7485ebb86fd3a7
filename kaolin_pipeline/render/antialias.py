"""Anti-aliased pictures of meshes: the hard raster supersampled and box-filtered, like a photo.

Targets made from a mesh must not come from the soft renderer that is being optimised (an
"inverse crime"); this path uses only the hard rasterization, at ``supersample``× the resolution
per axis, and averages each ``supersample × supersample`` block into one pixel.
"""
from __future__ import annotations

from typing import Sequence, Union

import torch
import torch.nn.functional as F

from ..errors import RenderError
from ..structures import Mesh
from .camera import Cameras
from .renderer import DIBRenderer, Lights

# Supersampled pixels rendered in one pass (about 60 MB of features); views are split into passes of this size.
PIXELS_PER_PASS = 1 << 22


@torch.no_grad()
def render_antialiased(mesh: Mesh, cameras: Cameras, image_size: Union[int, Sequence[int]],
                       supersample: int = 4, lights: Lights = None,
                       background: Sequence[float] = (0.0, 0.0, 0.0), shading: str = "smooth",
                       texture_mode: str = "bilinear", perspective_correct: bool = False) -> dict:
    """Render ``mesh`` from every camera with ``supersample``² samples per pixel.

    Args:
        mesh: the mesh (its texture or vertex colours; white otherwise).
        cameras: N cameras.
        image_size: ``int`` (square) or ``(height, width)`` of the output.
        supersample: samples per pixel along each axis (box filter), ≥ 1.
        lights, background, shading, texture_mode, perspective_correct: as for :class:`DIBRenderer`
            (``perspective_correct=True`` makes textures and ``depth`` exact inside large faces).

    Returns:
        dict of ``image`` (N, H, W, 3) box-filtered colour over ``background``; ``alpha`` (N, H, W)
        the covered fraction of each pixel in [0, 1]; and, sampled once at each pixel centre (not
        filtered: ids and depths do not average), ``face_idx`` (N, H, W) long (−1 on background),
        ``depth`` (N, H, W) distance along the view axis (0 on background), ``normals`` (N, H, W, 3)
        camera-space unit normals.
    """
    if not isinstance(supersample, int) or supersample < 1:
        raise RenderError(f"render_antialiased: supersample must be a positive int, got {supersample!r}")
    height, width = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    options = dict(background=background, shading=shading, texture_mode=texture_mode,
                   perspective_correct=perspective_correct)
    fine = DIBRenderer((height * supersample, width * supersample), **options).to(mesh.vertices.device)
    centre = DIBRenderer((height, width), **options).to(mesh.vertices.device)
    per_pass = max(1, PIXELS_PER_PASS // (height * width * supersample ** 2))
    parts = []
    for start in range(0, len(cameras), per_pass):
        views = cameras[start:start + per_pass]
        view_lights = lights[start:start + per_pass] if isinstance(lights, torch.Tensor) and lights.dim() == 2 else lights
        dense = fine(mesh, cameras=views, lights=view_lights, soft_mask=False)
        covered = (dense["face_idx"] >= 0).to(dense["image"].dtype)
        pooled = F.avg_pool2d(torch.cat([dense["image"], covered.unsqueeze(-1)], -1).permute(0, 3, 1, 2), supersample)
        pooled = pooled.permute(0, 2, 3, 1)
        sampled = centre(mesh, cameras=views, lights=view_lights, soft_mask=False)
        parts.append({"image": pooled[..., :3], "alpha": pooled[..., 3], "face_idx": sampled["face_idx"],
                      "depth": sampled["depth"], "normals": sampled["normals"]})
    return {key: torch.cat([part[key] for part in parts]) for key in parts[0]}
