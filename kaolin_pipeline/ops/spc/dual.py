"""The dual octree (the corners of every cell) and the trinkets that point each cell at its 8 corners."""
from __future__ import annotations

import torch

from kaolin_pipeline.ops.spc.morton import morton_to_points, points_to_corners, points_to_morton
from kaolin_pipeline.ops.spc.query import unbatched_get_level_points

__all__ = ["unbatched_make_dual", "unbatched_make_trinkets"]


def _levels(pyramid: torch.Tensor) -> int:
    """The number of levels of a pyramid ``(2, max_level + 2)``: ``max_level + 1``."""
    return pyramid.shape[1] - 1


def unbatched_make_dual(point_hierarchy: torch.Tensor, pyramid: torch.Tensor) -> tuple:
    """The dual octree: for each level, the distinct corners of its cells, in morton order.

    Args:
        point_hierarchy (torch.ShortTensor): of shape ``(N, 3)``.
        pyramid (torch.IntTensor): of shape ``(2, max_level + 2)``.

    Returns:
        (torch.ShortTensor, torch.IntTensor): the dual point hierarchy ``(num_dual_points, 3)`` (level ``l``
        on the ``2^l + 1`` corner lattice) and its pyramid ``(2, max_level + 2)``.
    """
    levels = []
    for lvl in range(_levels(pyramid)):
        corners = points_to_corners(unbatched_get_level_points(point_hierarchy, pyramid, lvl))
        levels.append(morton_to_points(torch.unique(points_to_morton(corners.reshape(-1, 3)))))
    counts = torch.tensor([p.shape[0] for p in levels] + [0], dtype=torch.int32)
    starts = torch.cumsum(counts, 0, dtype=torch.int32) - counts
    starts[-1] = counts.sum()
    return torch.cat(levels).to(point_hierarchy.dtype), torch.stack([counts, starts]).to(pyramid.device)


def unbatched_make_trinkets(point_hierarchy: torch.Tensor, pyramid: torch.Tensor,
                            point_hierarchy_dual: torch.Tensor, pyramid_dual: torch.Tensor) -> tuple:
    """Each cell's 8 corners as indices into its level of the dual octree, and each cell's parent.

    Args:
        point_hierarchy (torch.ShortTensor): of shape ``(N, 3)``.
        pyramid (torch.IntTensor): of shape ``(2, max_level + 2)``.
        point_hierarchy_dual (torch.ShortTensor): of shape ``(num_dual_points, 3)``.
        pyramid_dual (torch.IntTensor): of shape ``(2, max_level + 2)``.

    Returns:
        (torch.IntTensor, torch.IntTensor):
            - trinkets ``(N, 8)``: corner ``i`` (morton order) of cell ``n`` is dual point
              ``pyramid_dual[1, level(n)] + trinkets[n, i]`` (indices relative to the level's start);
            - parents ``(N,)``: the point-hierarchy index of each cell's parent, -1 for the root.
    """
    trinkets, parents = [], []
    for lvl in range(_levels(pyramid_dual)):
        points = unbatched_get_level_points(point_hierarchy, pyramid, lvl)
        dual_codes = points_to_morton(unbatched_get_level_points(point_hierarchy_dual, pyramid_dual, lvl))
        corner_codes = points_to_morton(points_to_corners(points))
        trinkets.append(torch.searchsorted(dual_codes, corner_codes))
        if lvl == 0:
            parents.append(torch.full((points.shape[0],), -1, dtype=torch.long, device=points.device))
        else:
            parent_codes = points_to_morton(unbatched_get_level_points(point_hierarchy, pyramid, lvl - 1))
            parents.append(torch.searchsorted(parent_codes, points_to_morton(points) >> 3) + int(pyramid[1, lvl - 1]))
    return torch.cat(trinkets).int(), torch.cat(parents).int()
