"""Point clouds to SPCs."""
from __future__ import annotations

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.spc.container import Spc
from kaolin_pipeline.ops.spc.morton import points_to_morton, quantize_points
from kaolin_pipeline.ops.spc.octree import octree_from_morton

__all__ = ["unbatched_pointcloud_to_spc"]


def unbatched_pointcloud_to_spc(pointcloud: torch.Tensor, level: int, features: torch.Tensor = None) -> Spc:
    """The SPC of the level-``level`` cells holding the points (points outside ``[-1, 1]^3`` are clamped in).

    Args:
        pointcloud (torch.FloatTensor): of shape ``(N, 3)`` in ``[-1, 1]``.
        level (int): the octree's depth.
        features (torch.Tensor, optional): per point, ``(N, D)``; a cell gets the mean of its points'
            features (rounded for integer dtypes), computed in float64.

    Returns:
        (Spc): a batch of one, with ``features`` ``(num_cells, D)`` in the deepest level's order.
    """
    if pointcloud.ndim != 2 or pointcloud.shape[1] != 3:
        raise PipelineError(f"unbatched_pointcloud_to_spc: pointcloud must be (N, 3), got {tuple(pointcloud.shape)}")
    if features is not None and (features.ndim != 2 or features.shape[0] != pointcloud.shape[0]):
        raise PipelineError(f"unbatched_pointcloud_to_spc: features must be ({pointcloud.shape[0]}, D), "
                            f"got {tuple(features.shape)}")
    codes, cell = torch.unique(points_to_morton(quantize_points(pointcloud, level)), return_inverse=True)
    octree = octree_from_morton(codes, level)
    cell_features = None
    if features is not None:
        sums = torch.zeros((codes.shape[0], features.shape[1]), dtype=torch.float64, device=features.device)
        sums.index_add_(0, cell, features.double())
        counts = torch.bincount(cell, minlength=codes.shape[0]).double().unsqueeze(1)
        mean = sums / counts
        cell_features = (mean if features.is_floating_point() else torch.round(mean)).to(features.dtype)
    return Spc(octrees=octree, lengths=torch.tensor([octree.shape[0]], dtype=torch.int32), features=cell_features)
