"""Trilinear interpolation of values stored on the corners of SPC cells (the dual octree)."""
from __future__ import annotations

import warnings

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.spc.morton import _corner_offsets

__all__ = ["coords_to_trilinear", "coords_to_trilinear_coeffs", "unbatched_interpolate_trilinear"]


def coords_to_trilinear_coeffs(coords: torch.Tensor, points: torch.Tensor, level: int) -> torch.Tensor:
    """Trilinear weights of the 8 corners (morton order) of cells ``points`` at ``coords``.

    With ``w = 2^level (coords + 1) / 2 - points`` (the position inside the cell, in ``[0, 1]^3``), corner
    ``(i, j, k)`` weighs ``(i ? w_x : 1 - w_x) (j ? w_y : 1 - w_y) (k ? w_z : 1 - w_z)``.

    Args:
        coords (torch.FloatTensor): points of ``[-1, 1]^3``, of shape ``(*, 3)``.
        points (torch.ShortTensor): their cells at ``level``, of shape ``(*, 3)``.
        level (int): the cells' level.

    Returns:
        (torch.FloatTensor): of shape ``(*, 8)``, differentiable in ``coords``.

    Raises:
        PipelineError: ``coords`` and ``points`` of shapes that do not broadcast (Kaolin's kernel reads
            ``points`` past its end when it has fewer rows than ``coords``).
    """
    try:
        torch.broadcast_shapes(coords.shape, points.shape)
    except RuntimeError:
        raise PipelineError(f"coords_to_trilinear_coeffs: coords {tuple(coords.shape)} and points "
                            f"{tuple(points.shape)} must have the same (or broadcastable) shapes: one cell per "
                            "coordinate") from None
    w = (2 ** level) * (coords * 0.5 + 0.5) - points.to(coords.dtype)
    corner = _corner_offsets(coords.device).to(coords.dtype)  # (8, 3)
    w = w.unsqueeze(-2)
    return torch.where(corner == 1, w, 1 - w).prod(-1)


def coords_to_trilinear(coords: torch.Tensor, points: torch.Tensor, level: int) -> torch.Tensor:
    """Deprecated name of :func:`coords_to_trilinear_coeffs` (warns)."""
    warnings.warn("coords_to_trilinear is deprecated, use coords_to_trilinear_coeffs", DeprecationWarning,
                  stacklevel=2)
    return coords_to_trilinear_coeffs(coords, points, level)


def unbatched_interpolate_trilinear(coords: torch.Tensor, pidx: torch.Tensor, point_hierarchy: torch.Tensor,
                                    trinkets: torch.Tensor, feats: torch.Tensor, level: int) -> torch.Tensor:
    """Interpolate corner features at points inside SPC cells.

    Args:
        coords (torch.FloatTensor): of shape ``(N, S, 3)`` in ``[-1, 1]``: ``S`` samples inside each cell.
        pidx (torch.IntTensor): the cell (point-hierarchy index) of each row, -1 for none, of shape ``(N,)``
            (as :func:`unbatched_query` gives).
        point_hierarchy (torch.ShortTensor): of shape ``(num_points, 3)``.
        trinkets (torch.IntTensor): of shape ``(num_points, 8)`` (:func:`unbatched_make_trinkets`).
        feats (torch.Tensor): the corner features of ``level``'s dual points, of shape ``(num_dual, D)``.
        level (int): the cells' level.

    Returns:
        (torch.Tensor): of shape ``(N, S, D)``, ``feats``' dtype; zero where ``pidx`` is -1.
        Differentiable in ``feats`` and ``coords``.
    """
    if coords.ndim != 3 or coords.shape[-1] != 3 or pidx.shape != coords.shape[:1]:
        raise PipelineError(f"unbatched_interpolate_trilinear: coords must be (N, S, 3) and pidx (N,), got "
                            f"{tuple(coords.shape)} and {tuple(pidx.shape)}")
    valid = pidx >= 0
    safe = torch.where(valid, pidx.long(), torch.zeros_like(pidx, dtype=torch.long))
    cells = point_hierarchy[safe].unsqueeze(1)  # (N, 1, 3)
    dtype = torch.promote_types(coords.dtype, feats.dtype)
    coeffs = coords_to_trilinear_coeffs(coords.to(dtype), cells, level)  # (N, S, 8)
    corner_feats = feats[trinkets[safe].long()].to(dtype)  # (N, 8, D)
    out = torch.einsum("nsc,ncd->nsd", coeffs, corner_feats) * valid.to(dtype)[:, None, None]
    return out.to(feats.dtype)
