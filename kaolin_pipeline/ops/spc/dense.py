"""Dense feature grids ⇄ SPC features."""
from __future__ import annotations

import math

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.spc.morton import points_to_morton
from kaolin_pipeline.ops.spc.octree import check_spc_kwargs, octree_from_morton
from kaolin_pipeline.ops.spc.query import LevelIndex

__all__ = ["feature_grids_to_spc", "to_dense"]


def to_dense(point_hierarchies: torch.Tensor, pyramids: torch.Tensor, input: torch.Tensor, level: int = -1,
             **kwargs) -> torch.Tensor:
    """Scatter the features of one level of a packed SPC batch into dense grids (zeros elsewhere).

    Args:
        point_hierarchies (torch.ShortTensor): of shape ``(num_points, 3)``.
        pyramids (torch.IntTensor): of shape ``(B, 2, max_level + 2)``.
        input (torch.Tensor): the features of the level's cells, packed, of shape ``(num_cells, D)``.
        level (int): the level (negative counts from ``max_level``: -1 is the deepest).
        **kwargs: the other fields of ``Spc.to_dict()`` (ignored).

    Returns:
        (torch.Tensor): of shape ``(B, D, 2^level, 2^level, 2^level)``, differentiable in ``input``.
    """
    check_spc_kwargs("to_dense", kwargs)
    if level < 0:
        level = pyramids.shape[2] - 1 + level
    cells = LevelIndex(point_hierarchies, pyramids, level)
    if input.ndim != 2 or input.shape[0] != cells.points.shape[0]:
        raise PipelineError(f"to_dense: input must be (num_cells, D) with {cells.points.shape[0]} cells at level "
                            f"{level}, got {tuple(input.shape)}")
    res = 2 ** level
    grid = input.new_zeros((pyramids.shape[0], res, res, res, input.shape[1]))
    p = cells.points
    grid = grid.index_put((cells.batch, p[:, 0], p[:, 1], p[:, 2]), input)
    return grid.permute(0, 4, 1, 2, 3)


def feature_grids_to_spc(feature_grids: torch.Tensor, masks: torch.Tensor = None) -> tuple:
    """Sparse dense grids to an SPC batch: the occupied cells become the octrees' deepest level.

    Grids are padded with empty cells to the next power-of-two cube.

    Args:
        feature_grids (torch.Tensor): of shape ``(B, D, X, Y, Z)``.
        masks (torch.BoolTensor, optional): occupied cells ``(B, X, Y, Z)``; by default the cells whose
            features are not all zero.

    Returns:
        (torch.ByteTensor, torch.IntTensor, torch.Tensor): the packed octrees ``(num_bytes,)``, their lengths
        ``(B,)`` (CPU) and the occupied cells' features ``(num_cells, D)`` in the octrees' order.
    """
    if feature_grids.ndim != 5:
        raise PipelineError(f"feature_grids_to_spc: feature_grids must be (B, D, X, Y, Z), "
                            f"got {tuple(feature_grids.shape)}")
    batch_size, dim = feature_grids.shape[:2]
    if masks is None:
        masks = (feature_grids != 0).any(1)
    elif masks.shape != (batch_size, *feature_grids.shape[2:]):
        raise PipelineError(f"feature_grids_to_spc: masks must have shape {(batch_size, *feature_grids.shape[2:])}, "
                            f"got {tuple(masks.shape)}")
    level = math.ceil(math.log2(max(feature_grids.shape[2:])))
    cells = masks.nonzero()  # (N, 4): batch, x, y, z, batch-major
    morton = points_to_morton(cells[:, 1:])
    order = torch.argsort((cells[:, 0] << (3 * level)) | morton)
    features = feature_grids.permute(0, 2, 3, 4, 1)[tuple(cells[order].T)]
    sorted_codes = morton[order]
    counts = torch.bincount(cells[:, 0], minlength=batch_size).tolist()
    octrees = [octree_from_morton(codes, level) for codes in torch.split(sorted_codes, counts)]
    lengths = torch.tensor([o.shape[0] for o in octrees], dtype=torch.int32)
    return torch.cat(octrees).to(feature_grids.device), lengths, features.reshape(-1, dim)
