"""Kaolin's batched voxel-grid conversions (``kaolin.ops.conversions``), on plain ``(B, X, Y, Z)`` tensors.

Kaolin's conventions, which differ from :mod:`~kaolin_pipeline.ops.conversions.voxelize`'s :class:`VoxelGrid`:
a point cloud is normalised to ``(p - origin) / scale`` and voxel ``i`` along an axis holds the points that
*round* to ``i * (R - 1)`` (voxel centres at ``i / (R - 1)``); a voxel grid's cube ``(i, j, k)`` spans
``[i, i + 1] x [j, j + 1] x [k, k + 1]`` when turned into a mesh.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch

from kaolin_pipeline.errors import ArgumentTypeError, PipelineError
from kaolin_pipeline.ops.conversions.voxelize import padded_marching_cubes
from kaolin_pipeline.ops.mesh import check_faces
from kaolin_pipeline.ops.subdivide import subdivide_vertices

__all__ = ["pointclouds_to_voxelgrids", "trianglemeshes_to_voxelgrids", "voxelgrids_to_cubic_meshes",
           "voxelgrids_to_trianglemeshes"]


def _check_resolution(resolution: int) -> None:
    if isinstance(resolution, bool) or not isinstance(resolution, int):
        raise ArgumentTypeError(f"Expected resolution to be int but got {type(resolution)}.")
    if resolution <= 0:
        raise PipelineError(f"resolution must be positive, got {resolution}")


def _check_voxelgrids(voxelgrids: torch.Tensor) -> None:
    if not isinstance(voxelgrids, torch.Tensor) or voxelgrids.dim() != 4:
        raise PipelineError(f"voxelgrids must be a (B, X, Y, Z) tensor, got "
                            f"{tuple(getattr(voxelgrids, 'shape', ()))}")


def _normalise(points: torch.Tensor, origin: Optional[torch.Tensor], scale: Optional[torch.Tensor]) -> torch.Tensor:
    """``(points - origin) / scale`` for (B, N, 3) points; origin defaults to the per-item minimum (B, 3),
    scale (B,) to the longest side of the per-item bounding box."""
    if origin is None:
        origin = points.amin(dim=1)
    if scale is None:
        scale = (points.amax(dim=1) - origin).amax(dim=1)
    return (points - origin.unsqueeze(1)) / scale.reshape(-1, 1, 1)


def _voxelise_points(points: torch.Tensor, item: torch.Tensor, batch_size: int, resolution: int) -> torch.Tensor:
    """``(B, R, R, R)`` grids, 1 at the voxels that normalised points (N, 3) of batch items ``item`` (N,) round
    to; points rounding outside ``[0, R - 1]`` are dropped."""
    index = torch.round(points * (resolution - 1)).long()
    keep = ((index >= 0) & (index < resolution)).all(-1)
    index, item = index[keep], item[keep]
    grid = points.new_zeros(batch_size, resolution, resolution, resolution)
    grid[item, index[:, 0], index[:, 1], index[:, 2]] = 1
    return grid


def pointclouds_to_voxelgrids(pointclouds: torch.Tensor, resolution: int, origin: Optional[torch.Tensor] = None,
                              scale: Optional[torch.Tensor] = None, return_sparse: bool = False) -> torch.Tensor:
    r"""Occupancy grids of point clouds: a voxel is 1 when a point rounds to it.

    Args:
        pointclouds: :math:`(B, N, 3)`.
        resolution: :math:`R`, voxels per side.
        origin: :math:`(B, 3)`, default the per-cloud minimum.
        scale: :math:`(B,)`, default the longest side of each cloud's bounding box.
        return_sparse: return a sparse COO tensor.

    Returns:
        :math:`(B, R, R, R)` of the points' dtype, 1 at ``round((p - origin) / scale * (R - 1))``; points
        falling outside ``[0, R - 1]`` are dropped.
    """
    _check_resolution(resolution)
    if not isinstance(pointclouds, torch.Tensor) or pointclouds.dim() != 3 or pointclouds.shape[-1] != 3:
        raise PipelineError(f"pointclouds must be a (B, N, 3) tensor, got {tuple(getattr(pointclouds, 'shape', ()))}")
    batch_size, num_points = pointclouds.shape[:2]
    item = torch.arange(batch_size, device=pointclouds.device).repeat_interleave(num_points)
    grid = _voxelise_points(_normalise(pointclouds, origin, scale).reshape(-1, 3), item, batch_size, resolution)
    return grid.to_sparse() if return_sparse else grid


def trianglemeshes_to_voxelgrids(vertices: torch.Tensor, faces: torch.Tensor, resolution: int,
                                 origin: Optional[torch.Tensor] = None, scale: Optional[torch.Tensor] = None,
                                 return_sparse: bool = False) -> torch.Tensor:
    r"""Surface grids of triangle meshes by Kaolin's rule: the voxels that the surface's sample points round to.

    The normalised mesh ``(vertices - origin) / scale`` is split at edge midpoints until no edge is longer
    than :math:`(R - 1) / R^2` (:func:`~kaolin_pipeline.ops.subdivide.subdivide_vertices`), and its vertices
    and midpoints are voxelised as :func:`pointclouds_to_voxelgrids` does. This can miss a voxel that a
    triangle only crosses near a corner; :func:`~kaolin_pipeline.ops.conversions.voxelize.mesh_to_voxelgrid`
    marks exactly the voxels a triangle touches.

    Args:
        vertices: :math:`(B, V, 3)`.
        faces: :math:`(F, 3)` long, shared by the batch.
        resolution: :math:`R`.
        origin, scale: :math:`(B, 3)` and :math:`(B,)`, defaults as :func:`pointclouds_to_voxelgrids`.
        return_sparse: return a sparse COO tensor.

    Returns:
        :math:`(B, R, R, R)` of the vertices' dtype.
    """
    _check_resolution(resolution)
    if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[-1] != 3:
        raise PipelineError(f"vertices must be a (B, V, 3) tensor, got {tuple(getattr(vertices, 'shape', ()))}")
    check_faces(faces)
    points = list(_normalise(vertices, origin, scale))
    if resolution > 1:  # at R = 1 every point rounds to the one voxel
        points = [subdivide_vertices(item, faces, resolution) for item in points]
    item = torch.repeat_interleave(torch.tensor([p.shape[0] for p in points], device=vertices.device))
    grid = _voxelise_points(torch.cat(points), item, vertices.shape[0], resolution)
    return grid.to_sparse() if return_sparse else grid


# The square face at plane ``c`` of an axis (between cells c - 1 and c), as offsets from the grid corner
# (c, j + 1, k + 1) (the other two axes' upper corner of cell (j, k)): its 4 corners, going first along the
# next axis, then the one after (Kaolin's order). (axis, 4, 3).
_FACE_CORNERS = torch.tensor([
    [[0, -1, -1], [0, 0, -1], [0, 0, 0], [0, -1, 0]],
    [[-1, 0, -1], [-1, 0, 0], [0, 0, 0], [0, 0, -1]],
    [[-1, -1, 0], [0, -1, 0], [0, 0, 0], [-1, 0, 0]],
], dtype=torch.long)


def voxelgrids_to_cubic_meshes(voxelgrids: torch.Tensor, is_trimesh: bool = True
                               ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
    r"""Each occupied voxel as a unit cube, keeping only the faces between occupied and empty voxels
    (Mesh R-CNN's "cubify"), in Kaolin's order.

    Args:
        voxelgrids: :math:`(B, X, Y, Z)` occupancy (non-zero is occupied).
        is_trimesh: two triangles per square if True, else quads.

    Returns:
        Per batch item: vertices :math:`(V_i, 3)` float at integer corners (cube ``(i, j, k)`` spans
        ``[i, i+1]`` etc.), sorted lexicographically, and faces. Squares are listed by the axis they are normal
        to (x, y, z), then by position (lexicographic). Quads :math:`(F_i, 4)` go round clockwise seen from
        outside (Kaolin's order); triangles :math:`(2 F_i, 3)` are counter-clockwise seen from outside: first
        ``(q0, q3, q1)`` of every quad, then ``(q2, q1, q3)`` of every quad.
    """
    _check_voxelgrids(voxelgrids)
    occupied = torch.nn.functional.pad((voxelgrids != 0).to(torch.int8), (1, 1, 1, 1, 1, 1))  # (B, X+2, Y+2, Z+2)
    vertices_list, faces_list = [], []
    offsets = _FACE_CORNERS.to(voxelgrids.device)
    dtype = voxelgrids.dtype if voxelgrids.is_floating_point() else torch.get_default_dtype()
    for grid in occupied:
        squares = []
        for axis in range(3):
            # step[c] = occupied[c] - occupied[c - 1] along axis, in the padded grid: +1 where the plane c (of
            # the unpadded grid) has an occupied cell above it, -1 below. The other axes' padded index j is the
            # upper corner of the unpadded cell j - 1.
            step = grid.narrow(axis, 1, grid.shape[axis] - 1) - grid.narrow(axis, 0, grid.shape[axis] - 1)
            cells = torch.nonzero(step)
            quads = cells.unsqueeze(1) + offsets[axis]  # (N, 4, 3)
            below = step[cells[:, 0], cells[:, 1], cells[:, 2]] < 0
            quads[below] = quads[below].flip(1)
            squares.append(quads)
        quads = torch.cat(squares)
        vertices, index = torch.unique(quads.reshape(-1, 3), dim=0, return_inverse=True)
        faces = index.reshape(-1, 4)
        if is_trimesh:
            faces = torch.cat([faces[:, [0, 3, 1]], faces[:, [2, 1, 3]]])
        vertices_list.append(vertices.to(dtype))
        faces_list.append(faces)
    return vertices_list, faces_list


def voxelgrids_to_trianglemeshes(voxelgrids: torch.Tensor, iso_value: float = 0.5
                                 ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
    r"""Marching cubes (scikit-image) on voxel grids padded with one empty voxel on every side.

    Args:
        voxelgrids: :math:`(B, X, Y, Z)` values; voxel values sit at integer positions.
        iso_value: the level in :math:`(0, 1)` separating inside from outside.

    Returns:
        Per batch item: vertices :math:`(V_i, 3)` float32 in the padded grid's coordinates (voxel
        ``(i, j, k)`` at ``(i + 1, j + 1, k + 1)``, as Kaolin) and faces :math:`(F_i, 3)` long, wound
        counter-clockwise seen from outside. An empty grid gives empty tensors. Not differentiable.
    """
    _check_voxelgrids(voxelgrids)
    vertices_list, faces_list = [], []
    for grid in voxelgrids:
        if not bool((grid.to(torch.float32) > iso_value).any()):
            vertices_list.append(torch.zeros(0, 3, device=grid.device))
            faces_list.append(torch.zeros(0, 3, dtype=torch.long, device=grid.device))
            continue
        positions, triangles = padded_marching_cubes(grid, iso_value)
        vertices_list.append(torch.from_numpy(positions).to(device=grid.device, dtype=torch.float32))
        faces_list.append(torch.from_numpy(triangles).to(device=grid.device, dtype=torch.long))
    return vertices_list, faces_list
