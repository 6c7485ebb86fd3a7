"""Inside/outside tests for closed triangle meshes, following ``kaolin.ops.mesh.check_sign``.

Even-odd rule along a +z ray from each point. Faces are binned by their xy bounding boxes into a grid of
columns, so each point is only tested against the faces over its own column; a ray through a shared edge
or vertex is counted once (the top-left fill rule of :func:`~kaolin_pipeline.ops.conversions.voxelize.rays_crossing`).
"""
from __future__ import annotations

import math

import torch

from kaolin_pipeline.errors import ArgumentTypeError, PipelineError
from kaolin_pipeline.ops.conversions.voxelize import _enumerate_cells, rays_crossing

__all__ = ["check_sign"]


def _unbatched_inside(triangles: torch.Tensor, points: torch.Tensor, resolution: int) -> torch.Tensor:
    """(P,) bool: odd number of faces of ``triangles`` (F, 3, 3) above each of ``points`` (P, 3)."""
    flat = triangles[..., :2]
    low = torch.minimum(flat.amin(dim=(0, 1)), points[:, :2].amin(0))
    size = (torch.maximum(flat.amax(dim=(0, 1)), points[:, :2].amax(0)) - low).clamp(min=1e-12) / resolution
    top = resolution - 1
    first = ((flat.amin(1) - low) / size).floor().long().clamp(0, top)
    last = ((flat.amax(1) - low) / size).floor().long().clamp(0, top)
    owners, cells = zip(*_enumerate_cells(first, last)) if triangles.shape[0] else ((), ())
    owner = torch.cat(owners) if owners else first.new_zeros(0)
    cell = torch.cat(cells) if cells else first.new_zeros(0, 2)
    cell_id = cell[:, 0] * resolution + cell[:, 1]
    order = torch.argsort(cell_id)
    owner = owner[order]
    counts = torch.bincount(cell_id, minlength=resolution * resolution)
    starts = counts.cumsum(0) - counts
    point_cell = ((points[:, :2] - low) / size).floor().long().clamp(0, top)
    point_cell = point_cell[:, 0] * resolution + point_cell[:, 1]
    per_point = counts[point_cell]
    point_id = torch.repeat_interleave(torch.arange(points.shape[0], device=points.device), per_point)
    local = torch.arange(point_id.shape[0], device=points.device) - (per_point.cumsum(0) - per_point)[point_id]
    face = owner[starts[point_cell][point_id] + local]
    crosses, z = rays_crossing(triangles[face], points[point_id, :2])
    above = crosses & (z > points[point_id, 2])
    return torch.bincount(point_id[above], minlength=points.shape[0]) % 2 == 1


def _check_inputs(verts: torch.Tensor, faces: torch.Tensor, points: torch.Tensor, hash_resolution: int) -> None:
    """Kaolin's argument checks, with its messages."""
    for name, tensor, dims in (("verts", verts, 3), ("faces", faces, 2), ("points", points, 3)):
        if not isinstance(tensor, torch.Tensor):
            raise ArgumentTypeError(f"Expected {name} to be a torch.Tensor but got {type(tensor)}.")
        if tensor.dim() != dims:
            raise PipelineError(f"Expected {name} to have {dims} dimensions but got {tensor.dim()} dimensions.")
    if faces.dtype != torch.int64:
        raise ArgumentTypeError(f"Expected faces entries to be torch.int64 but got {faces.dtype}.")
    if isinstance(hash_resolution, bool) or not isinstance(hash_resolution, int):
        raise ArgumentTypeError(f"Expected hash_resolution to be int but got {type(hash_resolution)}.")
    if hash_resolution <= 0:
        raise PipelineError(f"hash_resolution must be positive, got {hash_resolution}")
    for name, tensor in (("verts", verts), ("points", points)):
        if tensor.shape[-1] != 3:
            raise PipelineError(f"Expected {name} to have 3 coordinates but got {tensor.shape[-1]} coordinates.")
    if faces.shape[-1] != 3:
        raise PipelineError(f"Expected faces to have 3 vertices but got {faces.shape[-1]} vertices.")
    if verts.shape[0] != points.shape[0]:
        raise PipelineError(f"Expected verts and points to have the same batch size but got {verts.shape[0]} "
                            f"and {points.shape[0]}.")
    if faces.numel() and (int(faces.min()) < 0 or int(faces.max()) >= verts.shape[1]):
        raise PipelineError(f"faces: indices must lie in [0, {verts.shape[1]}), got [{int(faces.min())}, "
                            f"{int(faces.max())}]")


def check_sign(verts: torch.Tensor, faces: torch.Tensor, points: torch.Tensor, hash_resolution: int = 512
               ) -> torch.Tensor:
    r"""Whether points lie inside closed (watertight) triangle meshes.

    Args:
        verts: :math:`(B, V, 3)` positions.
        faces: :math:`(F, 3)` int64 vertex indices shared by the batch.
        points: :math:`(B, P, 3)` query points.
        hash_resolution: the most columns per side of the xy grid the faces are binned into (the grid
            has about one column per face, up to this).

    Returns:
        :math:`(B, P)` bool. Face orientation does not matter. Memory follows the number of
        (point, face over its column) pairs.
    """
    _check_inputs(verts, faces, points, hash_resolution)
    resolution = max(1, min(hash_resolution, math.isqrt(faces.shape[0])))
    with torch.no_grad():
        return torch.stack([_unbatched_inside(v[faces.long()], p, resolution) for v, p in zip(verts, points)])
