"""Finding cells: octree descent for ``unbatched_query`` and a sorted-code lookup over a packed batch."""
from __future__ import annotations

import functools

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.spc.bits import uint8_bits_sum
from kaolin_pipeline.ops.spc.exsum import ensure_current_exsum
from kaolin_pipeline.ops.spc.morton import points_to_morton

__all__ = ["LevelIndex", "child_index", "node_bytes", "unbatched_get_level_points", "unbatched_query"]


def node_bytes(octree: torch.Tensor, node: torch.Tensor) -> torch.Tensor:
    """The octree byte of each node ``(N,)`` (point-hierarchy indices >= 0) as int64, 0 for leaves (nodes
    past the octree's bytes)."""
    inner = node < octree.shape[0]
    return octree[torch.where(inner, node, torch.zeros_like(node))].long() * inner


def child_index(octree: torch.Tensor, exsum: torch.Tensor, node: torch.Tensor, octant: torch.Tensor) -> torch.Tensor:
    """The point-hierarchy index of child ``octant`` of each node, or -1 where it is empty.

    Node ``n``'s children follow every child of the nodes before it, after the root: child ``i`` is point
    ``1 + exsum[n] - popcount(octree[n] >> i)``. Nodes past the octree's bytes (leaves) have no child.

    Args:
        octree (torch.ByteTensor): of shape ``(num_bytes,)``.
        exsum (torch.IntTensor): of shape ``(num_bytes,)``, current layout.
        node (torch.LongTensor): point-hierarchy indices (>= 0), of shape ``(N,)``.
        octant (torch.LongTensor): child morton index in ``[0, 8)``, of shape ``(N,)``.

    Returns:
        (torch.LongTensor): of shape ``(N,)``.
    """
    byte = node_bytes(octree, node)
    above = uint8_bits_sum(byte >> octant)
    present = ((byte >> octant) & 1) == 1
    safe = node.clamp(max=octree.shape[0] - 1)
    return torch.where(present, 1 + exsum[safe].long() - above, torch.full_like(node, -1))


def unbatched_query(octree: torch.Tensor, exsum: torch.Tensor, query_coords: torch.Tensor, level: int,
                    with_parents: bool = False) -> torch.Tensor:
    """The point-hierarchy index of the level-``level`` cell holding each query, or -1.

    Args:
        octree (torch.ByteTensor): of shape ``(num_bytes,)``.
        exsum (torch.IntTensor): of shape ``(num_bytes,)`` (legacy ``(num_bytes + 1,)`` accepted).
        query_coords (torch.Tensor): of shape ``(N, 3)``: floats in ``[-1, 1]`` (outside gives -1), or
            integer cells of the ``2^level`` grid.
        level (int): the level to query.
        with_parents (bool): return the cell of every level ``0 .. level``.

    Returns:
        (torch.LongTensor): of shape ``(N,)``, or ``(N, level + 1)`` with ``with_parents``.
    """
    exsum = ensure_current_exsum(exsum, torch.tensor([octree.shape[0]]), "unbatched_query")
    if query_coords.ndim != 2 or query_coords.shape[-1] != 3:
        raise PipelineError(f"unbatched_query: query_coords must have shape (N, 3), got {tuple(query_coords.shape)}")
    res = 2 ** level
    if query_coords.is_floating_point():
        inside = ((query_coords >= -1) & (query_coords <= 1)).all(-1)
        cells = torch.floor((query_coords + 1) * (res / 2)).long().clamp(0, res - 1)
    else:
        cells = query_coords.long()
        inside = ((cells >= 0) & (cells < res)).all(-1)
    node = torch.where(inside, torch.zeros_like(cells[:, 0]), torch.full_like(cells[:, 0], -1))
    found = [node]
    for lvl in range(level):
        bit = (cells >> (level - 1 - lvl)) & 1
        octant = bit[:, 0] * 4 + bit[:, 1] * 2 + bit[:, 2]
        child = child_index(octree, exsum, node.clamp(min=0), octant)
        node = torch.where(node >= 0, child, node)
        found.append(node)
    return torch.stack(found, dim=1) if with_parents else node


def unbatched_get_level_points(point_hierarchy: torch.Tensor, pyramid: torch.Tensor, level: int) -> torch.Tensor:
    """The rows of level ``level`` of an (unbatched) point hierarchy, or of anything laid out like it.

    Args:
        point_hierarchy (torch.Tensor): of shape ``(N, *)``.
        pyramid (torch.IntTensor): of shape ``(2, max_level + 2)``.
        level (int): the level.

    Returns:
        (torch.Tensor): of shape ``(pyramid[0, level], *)``.
    """
    return point_hierarchy[int(pyramid[1, level]):int(pyramid[1, level + 1])]


class LevelIndex:
    """The level-``level`` cells of a packed batch, for looking up ``(batch, cell)`` pairs.

    ``points`` ``(N, 3)`` int64 and ``batch`` ``(N,)`` are the cells in their packed order (the order of
    per-cell features at that level); :meth:`find` returns positions in that order.
    """

    def __init__(self, point_hierarchies: torch.Tensor, pyramids: torch.Tensor, level: int):
        if not 0 <= level < pyramids.shape[2] - 1:
            raise PipelineError(f"level {level} is outside the octrees' levels 0..{pyramids.shape[2] - 2}")
        self.level = level
        device = point_hierarchies.device
        counts = pyramids[:, 0, level].long()
        firsts = torch.cumsum(pyramids[:, 1, -1].long(), 0) - pyramids[:, 1, -1].long() + pyramids[:, 1, level].long()
        self.batch = torch.repeat_interleave(torch.arange(len(counts)), counts).to(device)
        within = torch.arange(int(counts.sum())) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
        rows = (within + torch.repeat_interleave(firsts, counts)).to(device)
        self.points = point_hierarchies[rows].long()

    @functools.cached_property
    def keys(self) -> torch.Tensor:
        """``(N,)`` int64, ascending: the batch index above the cells' morton codes."""
        return self._key(self.batch, self.points)

    def _key(self, batch: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        return (batch << (3 * self.level)) | points_to_morton(points)

    def find(self, batch: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """Positions of the cells ``points`` ``(M, 3)`` of octrees ``batch`` ``(M,)``, -1 where absent."""
        res = 2 ** self.level
        valid = ((points >= 0) & (points < res)).all(-1)
        key = self._key(batch, points.clamp(0, res - 1))
        pos = torch.searchsorted(self.keys, key).clamp(max=max(self.keys.shape[0] - 1, 0))
        hit = valid & (self.keys.shape[0] > 0)
        if self.keys.shape[0]:
            hit = hit & (self.keys[pos] == key)
        return torch.where(hit, pos, torch.full_like(pos, -1))
