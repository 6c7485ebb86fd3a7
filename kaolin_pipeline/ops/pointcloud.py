"""Point cloud operations, following ``kaolin.ops.pointcloud``."""
from __future__ import annotations

import torch

from kaolin_pipeline.errors import ArgumentRangeError, PipelineError

__all__ = ["center_points", "farthest_point_sampling"]


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


def farthest_point_sampling(points: torch.Tensor, k: int) -> torch.Tensor:
    """Greedy farthest point sampling, as ``kaolin.ops.pointcloud.farthest_point_sampling``.

    The first pick is the point farthest from the mean of the finite points; each next pick is the point
    whose distance to the picks so far is largest (ties: lowest index). Points with non-finite
    coordinates are picked last, so exactly ``k`` distinct indices come back.

    Args:
        points: (B, N, 3) clouds.
        k: number of picks, ``0 <= k <= N``.

    Returns:
        (B, k) long indices into ``points``. Runs ``k`` vectorised steps of O(B N) each.
    """
    if not isinstance(points, torch.Tensor) or points.dim() != 3 or points.shape[-1] != 3:
        shape = tuple(points.shape) if isinstance(points, torch.Tensor) else type(points).__name__
        raise PipelineError(f"points must be a (B, N, 3) tensor, got {shape}")
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= points.shape[1]:
        raise ArgumentRangeError(f"k must be an int with 0 <= k <= num_points = {points.shape[1]}, got {k!r}")
    batch = points.shape[0]
    picks = torch.zeros(batch, k, dtype=torch.long, device=points.device)
    with torch.no_grad():
        finite = torch.isfinite(points).all(-1)  # (B, N)
        safe = torch.where(finite.unsqueeze(-1), points, torch.zeros_like(points))
        centre = safe.sum(1, keepdim=True) / finite.sum(1, keepdim=True).clamp(min=1).unsqueeze(-1)
        # Scores: squared distance to the centre for the first pick, then to the nearest pick so far;
        # non-finite points score -1 (below every finite point), picked points -2.
        unset = torch.full(finite.shape, -1.0, dtype=points.dtype, device=points.device)
        score = torch.where(finite, ((safe - centre) ** 2).sum(-1), unset)
        nearest = torch.where(finite, torch.full_like(score, float("inf")), unset)
        rows = torch.arange(batch, device=points.device)
        for step in range(k):
            pick = score.argmax(dim=1)
            picks[:, step] = pick
            gap = ((safe - safe[rows, pick].unsqueeze(1)) ** 2).sum(-1)
            nearest = torch.where(nearest >= 0, torch.minimum(nearest, gap), nearest)
            nearest[rows, pick] = -2
            score = nearest
    return picks
