"""Point cloud operations, following ``kaolin.ops.pointcloud``."""
from __future__ import annotations

import torch

from kaolin_pipeline.errors import PipelineError

__all__ = ["center_points"]


def center_points(points: torch.Tensor, normalize: bool = False, eps: float = 1e-6) -> torch.Tensor:
    """Move each cloud so the centre of its bounding box is at the origin.

    Unlike :func:`kaolin_pipeline.ops.normalize_vertices` (unit radius), the optional scaling
    is Kaolin's: the longest side of each bounding box becomes 1, so points end in [-0.5, 0.5].

    Args:
        points: (B, N, C) clouds (C = 3 for positions; any channel count works).
        normalize: also divide each cloud by its bounding box's longest side (at least ``eps``).
        eps: smallest divisor, for clouds whose points all coincide.

    Returns:
        (B, N, C), same dtype and device; differentiable.
    """
    if not isinstance(points, torch.Tensor) or points.dim() != 3 or not points.is_floating_point():
        shape = tuple(points.shape) if isinstance(points, torch.Tensor) else type(points).__name__
        raise PipelineError(f"points must be a floating (B, N, C) tensor, got {shape}")
    if points.shape[1] == 0:
        raise PipelineError("points: each cloud needs at least one point")
    low, high = points.amin(dim=1, keepdim=True), points.amax(dim=1, keepdim=True)
    centred = points - (low + high) / 2
    if normalize:
        centred = centred / (high - low).amax(dim=-1, keepdim=True).clamp(min=eps)
    return centred
