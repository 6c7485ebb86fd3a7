"""Ray tracing through an SPC: the level-``level`` cells each ray crosses, front to back.

Cells live in ``[-1, 1]^3``: cell ``p`` of level ``l`` spans ``[-1 + p s, -1 + (p + 1) s]`` with
``s = 2 / 2^l``. The traversal descends the octree one level at a time, keeping the (ray, cell) pairs
whose box the ray crosses (slab test; a ray grazing a face or running along it counts as crossing, a
ray touching only an edge or corner does not), so work follows the cells met, not the grid. Rays go in
chunks so memory stays bounded.
"""
from __future__ import annotations

import torch

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.ops.spc.exsum import ensure_current_exsum
from kaolin_pipeline.ops.spc.bits import uint8_to_bits
from kaolin_pipeline.ops.spc.query import child_index, node_bytes
from kaolin_pipeline.render.packed import (cumprod, cumsum, diff, exponential_integration, mark_first_hit,
                                           mark_pack_boundaries, prod_reduce, sum_reduce)

__all__ = ["cumprod", "cumsum", "diff", "exponential_integration", "mark_first_hit", "mark_pack_boundaries",
           "prod_reduce", "sum_reduce", "unbatched_raytrace"]

#: Rays traced together; bounds the (ray, cell) pairs held at once.
RAY_CHUNK = 1 << 15


def _slab(origin: torch.Tensor, direction: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> tuple:
    """Entry and exit distances ``(M,)`` of rays ``(M, 3)`` through boxes ``[lo, hi]`` ``(M, 3)``.

    An axis the ray is parallel to gives ``(-inf, inf)`` when the origin is within the slab (faces
    included), else an empty interval.
    """
    parallel = direction == 0
    safe = torch.where(parallel, torch.ones_like(direction), direction)
    t1, t2 = (lo - origin) / safe, (hi - origin) / safe
    inside = (origin >= lo) & (origin <= hi)
    inf = torch.full_like(t1, float("inf"))
    near = torch.where(parallel, torch.where(inside, -inf, inf), torch.minimum(t1, t2))
    far = torch.where(parallel, torch.where(inside, inf, -inf), torch.maximum(t1, t2))
    return near.amax(-1), far.amin(-1)


def _trace_chunk(octree, point_hierarchy, exsum, origin, direction, level):
    """``(ridx, pidx, entry, exit)`` of the hits of a chunk of rays, unsorted within a ray."""
    device = origin.device
    ridx = torch.arange(origin.shape[0], device=device)
    pidx = torch.zeros_like(ridx)
    for lvl in range(level + 1):
        size = 2.0 / 2 ** lvl
        lo = point_hierarchy[pidx].to(origin.dtype) * size - 1
        near, far = _slab(origin[ridx], direction[ridx], lo, lo + size)
        keep = (far > near) & ((near >= 0) if lvl == level else (far > 0))
        ridx, pidx, near, far = ridx[keep], pidx[keep], near[keep], far[keep]
        if lvl == level:
            return ridx, pidx, near, far
        pair, octant = torch.nonzero(uint8_to_bits(node_bytes(octree, pidx)), as_tuple=True)
        ridx, pidx = ridx[pair], child_index(octree, exsum, pidx[pair], octant)


def unbatched_raytrace(octree, point_hierarchy, pyramid, exsum, origin, direction, level, return_depth=True,
                       with_exit=False):
    """The level-``level`` cells hit by each ray, sorted by ray, then front to back.

    Args:
        octree (torch.ByteTensor): ``(num_bytes,)``.
        point_hierarchy (torch.ShortTensor): ``(num_points, 3)``.
        pyramid (torch.IntTensor): ``(2, max_level + 2)``.
        exsum (torch.IntTensor): ``(num_bytes,)`` (legacy ``(num_bytes + 1,)`` accepted, with a warning).
        origin (torch.FloatTensor): ``(num_rays, 3)``.
        direction (torch.FloatTensor): ``(num_rays, 3)``; distances are in units of its length.
        level (int): the level whose cells are reported.
        return_depth (bool): also return the distances.
        with_exit (bool): the distances hold the exit as well as the entry.

    Returns:
        (torch.IntTensor, torch.IntTensor[, torch.FloatTensor]): ``ridx`` ``(num_hits,)``, ``pidx``
        ``(num_hits,)`` (point-hierarchy indices), and with ``return_depth`` the entry distance
        ``(num_hits, 1)`` (``(num_hits, 2)`` entry and exit with ``with_exit``). A cell containing the
        origin is not reported (its entry is behind the origin).
    """
    exsum = ensure_current_exsum(exsum, torch.tensor([octree.shape[0]]), "unbatched_raytrace")
    if origin.shape != direction.shape or origin.ndim != 2 or origin.shape[1] != 3:
        raise RenderError(f"unbatched_raytrace: origin and direction must both be (num_rays, 3), got "
                          f"{tuple(origin.shape)} and {tuple(direction.shape)}")
    if not 0 <= level <= pyramid.shape[-1] - 2:
        raise RenderError(f"unbatched_raytrace: level {level} is outside the octree's levels "
                          f"0..{pyramid.shape[-1] - 2}")
    parts = []
    for start in range(0, origin.shape[0], RAY_CHUNK):
        r, p, near, far = _trace_chunk(octree, point_hierarchy, exsum, origin[start:start + RAY_CHUNK],
                                       direction[start:start + RAY_CHUNK], level)
        order = torch.argsort(near, stable=True)
        order = order[torch.argsort(r[order], stable=True)]
        parts.append((r[order] + start, p[order], near[order], far[order]))
    ridx, pidx, near, far = (torch.cat(t) for t in zip(*parts)) if parts else (
        torch.zeros(0, dtype=torch.long, device=origin.device),) * 2 + (origin.new_zeros(0),) * 2
    if not return_depth:
        return ridx.int(), pidx.int()
    depth = torch.stack([near, far], -1) if with_exit else near.unsqueeze(-1)
    return ridx.int(), pidx.int(), depth
