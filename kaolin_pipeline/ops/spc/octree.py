"""Octrees: built from points, scanned (``pyramids``, ``exsum``) and decoded into point hierarchies.

An octree is a ``uint8`` tensor of its nodes in breadth-first order, each level in morton order; a packed
batch concatenates octrees, ``lengths`` (int32, CPU) giving their byte counts. ``pyramids`` (int32, CPU)
is ``(B, 2, max_level + 2)``: row 0 the points per level, row 1 where each level starts in the octree's
point hierarchy (exclusive sum; the last column is the total). A point hierarchy is int16 ``(N, 3)``:
every level's points (the cells' lowest corners, level ``l`` on a ``2^l`` grid), level after level.
"""
from __future__ import annotations

import warnings

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.spc.bits import uint8_bits_sum, uint8_to_bits
from kaolin_pipeline.ops.spc.exsum import (current_to_legacy, ensure_current_exsum,
                                           octree_byte_lengths_from_pyramid)
from kaolin_pipeline.ops.spc.morton import _corner_offsets, points_to_morton

__all__ = ["SPC_KEYS", "check_spc_kwargs", "create_dense_spc", "generate_points", "octree_from_morton", "scan_octrees",
           "unbatched_points_to_octree"]


def octree_from_morton(morton: torch.Tensor, level: int) -> torch.Tensor:
    """The octree of level-``level`` cells given by sorted, unique morton codes.

    Args:
        morton (torch.LongTensor): of shape ``(N,)``, ascending, no repeats.
        level (int): the cells' level (the octree's depth).

    Returns:
        (torch.ByteTensor): of shape ``(num_bytes,)``; a single ``0`` byte when there is no point.
    """
    if morton.numel() == 0 or level == 0:
        return torch.zeros(1, dtype=torch.uint8, device=morton.device)
    levels = []
    for lvl in range(level):  # the bytes of level lvl describe the cells of level lvl + 1
        child = torch.unique_consecutive(morton >> (3 * (level - 1 - lvl)))
        _, node = torch.unique_consecutive(child >> 3, return_inverse=True)
        byte = torch.zeros(int(node.max()) + 1, dtype=torch.long, device=morton.device)
        levels.append(byte.index_add_(0, node, 1 << (child & 7)))
    return torch.cat(levels).to(torch.uint8)


def unbatched_points_to_octree(points: torch.Tensor, level: int, sorted: bool = False) -> torch.Tensor:
    """The octree whose deepest level holds the cells ``points``.

    Args:
        points (torch.ShortTensor): integer points of a ``2^level`` grid, of shape ``(N, 3)``.
        level (int): the octree's depth.
        sorted (bool): the points are already unique and in morton order.

    Returns:
        (torch.ByteTensor): the octree, of shape ``(num_bytes,)``.
    """
    if points.ndim != 2 or points.shape[-1] != 3:
        raise PipelineError(f"unbatched_points_to_octree: points must have shape (N, 3), got {tuple(points.shape)}")
    morton = points_to_morton(points)
    if not sorted:
        morton = torch.unique(morton)
    return octree_from_morton(morton, level)


def create_dense_spc(level: int, device) -> tuple:
    """A full octree of depth ``level``: every byte 255.

    Returns:
        (torch.ByteTensor, torch.IntTensor): the octree ``((8^level - 1) / 7,)`` and its length ``(1,)``.
    """
    num_bytes = sum(8 ** lvl for lvl in range(level))
    return (torch.full((num_bytes,), 255, dtype=torch.uint8, device=device),
            torch.tensor([num_bytes], dtype=torch.int32))


def _level_ends(cumulative: list, length: int, which: int) -> list:
    """The octree's level boundaries in bytes: ``[0, 1, e2, ...]`` up to ``length``.

    ``cumulative`` is the inclusive running sum of the octree's children per byte. The children of the
    nodes before byte ``e`` are the points ``1 .. cumulative[e - 1]``, so the next level ends at byte
    ``1 + cumulative[e - 1]``.
    """
    ends = [0, 1]
    while ends[-1] < length:
        nxt = 1 + cumulative[ends[-1] - 1]
        if nxt <= ends[-1]:
            break
        ends.append(nxt)
    if ends[-1] != length:
        raise PipelineError(f"octrees: octree {which} is not a valid octree of {length} bytes "
                            f"(its levels end at byte {ends[-1]})")
    return ends


def scan_octrees(octrees: torch.Tensor, lengths: torch.Tensor, legacy_exsum: bool = False) -> tuple:
    """The structure of a packed batch of octrees.

    Args:
        octrees (torch.ByteTensor): packed octrees, of shape ``(num_bytes,)``.
        lengths (torch.IntTensor): bytes per octree, of shape ``(B,)``.
        legacy_exsum (bool): return ``exsum`` in the deprecated layout (with a ``DeprecationWarning``).

    Returns:
        (int, torch.IntTensor, torch.IntTensor):
            - ``max_level``, the depth of the deepest octree;
            - ``pyramids`` of shape ``(B, 2, max_level + 2)`` (CPU);
            - ``exsum`` of shape ``(num_bytes,)``: per octree, the inclusive sum of the children per byte.
    """
    lengths_list = [int(n) for n in lengths.tolist()]
    if octrees.ndim != 1 or sum(lengths_list) != octrees.shape[0] or min(lengths_list, default=1) < 1:
        raise PipelineError(f"scan_octrees: lengths {lengths_list} do not add up to the {octrees.shape[0]} "
                            f"bytes of octrees (1D, at least one byte per octree)")
    children = uint8_bits_sum(octrees)
    batch = torch.repeat_interleave(torch.arange(len(lengths_list), device=octrees.device),
                                    torch.tensor(lengths_list, device=octrees.device))
    total = torch.cumsum(children, 0)
    starts = torch.tensor([0] + lengths_list[:-1], device=octrees.device).cumsum(0)
    before = torch.cat([total.new_zeros(1), total])[starts]
    exsum = (total - before[batch]).int()
    host = exsum.tolist()
    counts = []
    offset = 0
    for b, length in enumerate(lengths_list):
        block = host[offset:offset + length]
        ends = _level_ends(block, length, b)
        per_level = [e1 - e0 for e0, e1 in zip(ends[:-1], ends[1:])]
        per_level.append(1 + block[-1] - length)  # the leaves
        counts.append(per_level)
        offset += length
    max_level = max(len(c) for c in counts) - 1
    count_t = torch.zeros((len(counts), max_level + 2), dtype=torch.int32)
    for b, c in enumerate(counts):
        count_t[b, :len(c)] = torch.tensor(c, dtype=torch.int32)
    start_t = torch.cumsum(count_t, 1, dtype=torch.int32) - count_t
    start_t[:, -1] = count_t.sum(1)
    pyramids = torch.stack([count_t, start_t], dim=1)
    if legacy_exsum:
        warnings.warn("scan_octrees(legacy_exsum=True): the legacy exsum layout is deprecated",
                      DeprecationWarning, stacklevel=2)
        exsum = current_to_legacy(exsum, lengths)
    return max_level, pyramids, exsum


def generate_points(octrees: torch.Tensor, pyramids: torch.Tensor, exsum: torch.Tensor) -> torch.Tensor:
    """Decode packed octrees into their packed point hierarchies.

    Args:
        octrees (torch.ByteTensor): of shape ``(num_bytes,)``.
        pyramids (torch.IntTensor): of shape ``(B, 2, max_level + 2)``.
        exsum (torch.IntTensor): of shape ``(num_bytes,)`` (the legacy layout is accepted, with a warning).

    Returns:
        (torch.ShortTensor): of shape ``(num_points, 3)``: each octree's points, level after level.
    """
    lengths = octree_byte_lengths_from_pyramid(pyramids)
    ensure_current_exsum(exsum, lengths, "generate_points")
    offsets = _corner_offsets(octrees.device).long()
    out = []
    byte0 = 0
    for per_level, length in zip(pyramids[:, 0].tolist(), lengths.tolist()):
        points = torch.zeros((1, 3), dtype=torch.long, device=octrees.device)
        out.append(points)
        end = byte0 + length
        for n in per_level:
            if byte0 >= end:
                break
            bits = uint8_to_bits(octrees[byte0:byte0 + n])  # (n, 8): the children of this level's n nodes
            points = (2 * points.unsqueeze(1) + offsets)[bits]
            out.append(points)
            byte0 += n
    return torch.cat(out).short()


#: The fields ``Spc.to_dict()`` gives: functions taking an SPC as ``**spc.to_dict()`` accept them all.
SPC_KEYS = frozenset({"octrees", "lengths", "max_level", "pyramids", "exsum", "point_hierarchies"})


def check_spc_kwargs(caller: str, kwargs: dict) -> None:
    """Raise Python's usual ``TypeError`` for a keyword that is not one of :data:`SPC_KEYS`."""
    unknown = sorted(set(kwargs) - SPC_KEYS)
    if unknown:
        raise TypeError(f"{caller} got an unexpected keyword argument {unknown[0]}")
