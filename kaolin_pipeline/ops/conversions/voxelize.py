"""Conversions between meshes, point clouds and voxel grids.

Voxel ``(i, j, k)`` of a grid with ``origin`` and ``size`` covers
``origin + size * [i, i+1] x [j, j+1] x [k, k+1] / R`` (see :class:`VoxelGrid`).
Internally geometry is expressed in voxel units, ``(p - origin) / voxel_size``, so
voxel ``(i, j, k)`` is the unit cube at ``(i, j, k)`` and its centre is ``(i, j, k) + 0.5``.
"""
from __future__ import annotations

import numbers
from typing import Iterator, Optional, Sequence, Union

import numpy as np
import torch
from skimage.measure import marching_cubes

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.mesh import check_faces, check_points
from kaolin_pipeline.structures import Mesh, VoxelGrid

__all__ = ["mesh_to_voxelgrid", "voxelgrid_to_mesh", "pointcloud_to_voxelgrid"]

_PAIRS_PER_CHUNK = 1 << 18  # (face, voxel) candidate pairs tested at once: ~40 MB of temporaries

OriginLike = Union[torch.Tensor, Sequence[float], None]


def _check_resolution(resolution: int) -> None:
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution <= 0:
        raise PipelineError(f"resolution must be a positive int, got {resolution!r}")


def _grid_box(points: torch.Tensor, resolution: int, origin: OriginLike, size: Optional[float]) -> tuple[torch.Tensor, float]:
    """The grid's ``origin`` (3,) and ``size``: given ones are checked, missing ones fitted to ``points`` (N, 3).

    With neither given, the box is the points' bounding cube, centred on their bounding
    box and enlarged by one voxel's worth (``1 + 2 / R``) so the surface stays inside.
    """
    low, high = points.amin(dim=0), points.amax(dim=0)
    if origin is not None:
        origin = torch.as_tensor(origin, dtype=points.dtype, device=points.device)
        if origin.numel() != 3 or not bool(torch.isfinite(origin).all()):
            raise PipelineError(f"origin must be 3 finite numbers, got {origin.tolist()}")
        origin = origin.reshape(3)
    if size is None:
        reach = (high - low) if origin is None else (high - origin)
        size = float(reach.max()) * (1 + 2 / resolution)
        if not size > 0:
            raise PipelineError("vertices/points: cannot fit a grid box around geometry with zero extent; give origin and size")
    elif isinstance(size, bool) or not (isinstance(size, numbers.Real) and np.isfinite(size) and size > 0):
        raise PipelineError(f"size must be a positive finite number, got {size!r}")
    if origin is None:
        origin = (low + high) / 2 - size / 2
    return origin, float(size)


def _to_voxel_units(points: torch.Tensor, origin: torch.Tensor, size: float, resolution: int) -> torch.Tensor:
    return (points - origin) * (resolution / size)


def _enumerate_cells(low: torch.Tensor, high: torch.Tensor) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Every (owner, cell) pair with ``low[owner] <= cell <= high[owner]``, in bounded chunks.

    Args:
        low, high: (F, D) long inclusive cell ranges per owner (empty where any ``high < low``).

    Yields:
        ``owner (P,)`` long and ``cell (P, D)`` long, at most ``_PAIRS_PER_CHUNK`` pairs at a time.
    """
    extent = (high - low + 1).clamp(min=0)
    counts = extent.prod(dim=1)
    ends = counts.cumsum(0)
    total = int(ends[-1]) if counts.numel() else 0
    # Strides to decode a flat offset inside an owner's range into per-axis offsets (row-major).
    strides = torch.ones_like(extent)
    for axis in range(extent.shape[1] - 2, -1, -1):
        strides[:, axis] = strides[:, axis + 1] * extent[:, axis + 1]
    for start in range(0, total, _PAIRS_PER_CHUNK):
        flat = torch.arange(start, min(total, start + _PAIRS_PER_CHUNK), device=low.device)
        owner = torch.searchsorted(ends, flat, right=True)
        local = (flat - (ends - counts)[owner]).unsqueeze(1)
        offsets = (local // strides[owner]) % extent[owner]
        yield owner, low[owner] + offsets


def _triangles_overlap_unit_cubes(triangles: torch.Tensor, corners: torch.Tensor) -> torch.Tensor:
    """Exact overlap test of triangles with unit cubes, by the separating axis theorem.

    Args:
        triangles: (P, 3, 3) corners in voxel units.
        corners: (P, 3) minimum corners of the cubes.

    Returns:
        (P,) bool, True where triangle and (closed) cube intersect.
    """
    local = triangles - (corners.to(triangles.dtype) + 0.5).unsqueeze(1)  # cube centred at 0, half size 0.5
    edges = local.roll(-1, dims=1) - local  # (P, 3, 3)
    unit = torch.eye(3, dtype=local.dtype, device=local.device)
    normal = torch.linalg.cross(edges[:, 0], edges[:, 1], dim=-1).unsqueeze(1)
    # Axes: 3 cube normals, the triangle normal, and the 9 cross products cube axis x triangle edge.
    edge_axes = torch.linalg.cross(unit[None, :, None, :], edges[:, None, :, :], dim=-1).flatten(1, 2)
    axes = torch.cat([unit.expand(local.shape[0], 3, 3), normal, edge_axes], dim=1)  # (P, 13, 3)
    projections = torch.einsum("pvc,pac->pav", local, axes)
    radius = 0.5 * axes.abs().sum(dim=-1)
    separated = (projections.amin(dim=-1) > radius) | (projections.amax(dim=-1) < -radius)
    return ~separated.any(dim=-1)


def _surface_occupancy(triangles: torch.Tensor, resolution: int) -> torch.Tensor:
    """(R, R, R) bool marking every voxel that a triangle (F, 3, 3; voxel units) touches."""
    top = resolution - 1
    low = triangles.amin(dim=1).floor().clamp(0, top).long()
    high = triangles.amax(dim=1).floor().clamp(0, top).long()
    occupancy = torch.zeros(resolution ** 3, dtype=torch.bool, device=triangles.device)
    for owner, cell in _enumerate_cells(low, high):
        hit = _triangles_overlap_unit_cubes(triangles[owner], cell)
        cell = cell[hit]
        occupancy[(cell[:, 0] * resolution + cell[:, 1]) * resolution + cell[:, 2]] = True
    return occupancy.reshape(resolution, resolution, resolution)


def _edge_function(start: torch.Tensor, end: torch.Tensor, point: torch.Tensor) -> torch.Tensor:
    """Signed doubled area of (start, end, point) in the xy plane, computed order-independently.

    The endpoints are put in lexicographic order before the arithmetic and the sign
    restored after, so two faces sharing an edge get exactly opposite values and a
    point on the edge reads exactly 0 in both.
    """
    swap = (start[:, 0] > end[:, 0]) | ((start[:, 0] == end[:, 0]) & (start[:, 1] > end[:, 1]))
    first = torch.where(swap.unsqueeze(1), end, start)
    second = torch.where(swap.unsqueeze(1), start, end)
    value = (second[:, 0] - first[:, 0]) * (point[:, 1] - first[:, 1]) - (second[:, 1] - first[:, 1]) * (point[:, 0] - first[:, 0])
    return torch.where(swap, -value, value)


def _columns_crossing(triangles: torch.Tensor, columns: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`rays_crossing` for the rays through column centres: ``columns (P, 2)`` indices (i, j), the ray
    running through (i + 0.5, j + 0.5) in voxel units."""
    return rays_crossing(triangles, columns.to(triangles.dtype) + 0.5)


def rays_crossing(triangles: torch.Tensor, point: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Where vertical rays through xy points cross triangles.

    Points on a shared edge or vertex belong to exactly one of the faces around it
    (a top-left fill rule on the xy projection), so a ray through an edge counts once.

    Args:
        triangles: (P, 3, 3) corners.
        point: (P, 2) the xy position of each ray.

    Returns:
        ``crosses (P,)`` bool and ``z (P,)`` height of the crossing (valid where ``crosses``).
    """
    flat = triangles[..., :2]
    starts, ends = flat, flat.roll(-1, dims=1)
    edge_values = torch.stack([_edge_function(starts[:, e], ends[:, e], point) for e in range(3)], dim=1)  # (P, 3)
    orientation = _edge_function(flat[:, 0], flat[:, 1], flat[:, 2]).sign().unsqueeze(1)  # +1 counter-clockwise
    edge_values = edge_values * orientation
    direction = (ends - starts) * orientation.unsqueeze(-1)  # edges walked counter-clockwise
    owns_tie = (direction[..., 1] > 0) | ((direction[..., 1] == 0) & (direction[..., 0] < 0))
    inside = ((edge_values > 0) | ((edge_values == 0) & owns_tie)).all(dim=1) & (orientation.squeeze(1) != 0)
    # Barycentric weight of each corner is the edge function of the opposite edge.
    weights = edge_values.roll(-1, dims=1)
    total = weights.sum(dim=1)
    z = (weights * triangles[..., 2]).sum(dim=1) / torch.where(inside, total, torch.ones_like(total))
    return inside, z


def _solid_occupancy(triangles: torch.Tensor, resolution: int) -> torch.Tensor:
    """(R, R, R) bool marking voxels whose centres lie inside the closed surface (F, 3, 3; voxel units).

    Even-odd rule along +z rays through the voxel centres: a centre is inside when
    an odd number of faces cross its column below it.
    """
    top = resolution - 1
    flat = triangles[..., :2]
    # Columns whose centre may fall in the face's xy bounds, one spare on each side against rounding.
    low = (flat.amin(dim=1) - 0.5).ceil().long().sub(1).clamp(0, top)
    high = (flat.amax(dim=1) - 0.5).floor().long().add(1).clamp(0, top)
    slots = resolution + 1  # per column: how many centres lie at or below the crossing, 0..R
    crossings = torch.zeros(resolution * resolution * slots, dtype=torch.long, device=triangles.device)
    for owner, column in _enumerate_cells(low, high):
        crosses, z = _columns_crossing(triangles[owner], column)
        below = ((z[crosses] - 0.5).floor().long() + 1).clamp(0, resolution)
        column = column[crosses]
        index = (column[:, 0] * resolution + column[:, 1]) * slots + below
        crossings += torch.bincount(index, minlength=crossings.numel())
    counts = crossings.reshape(resolution, resolution, slots)[..., :resolution].cumsum(dim=-1)
    return counts % 2 == 1


def mesh_to_voxelgrid(
    vertices: torch.Tensor,
    faces: torch.Tensor,
    resolution: int,
    origin: OriginLike = None,
    size: Optional[float] = None,
    mode: str = "surface",
) -> VoxelGrid:
    """Voxelise a triangle mesh.

    Args:
        vertices: (V, 3) positions.
        faces: (F, 3) long vertex indices.
        resolution: R, voxels per side.
        origin: (3,) minimum corner of the grid box; fitted to the mesh if None.
        size: edge length of the cubic grid box; fitted to the mesh if None (the
            bounding cube enlarged by ``1 + 2 / R``, centred on the bounding box).
        mode: ``"surface"`` marks every voxel a triangle touches (exact
            triangle/cube overlap test, closed cubes); ``"solid"`` marks voxels whose
            centre is inside the mesh (even-odd rule; the mesh must be closed).

    Returns:
        :class:`VoxelGrid` with (R, R, R) bool occupancy on the vertices' device.
    """
    check_points(vertices, "vertices", batched=False)
    check_faces(faces)
    _check_resolution(resolution)
    if mode not in ("surface", "solid"):
        raise PipelineError(f"mode must be 'surface' or 'solid', got {mode!r}")
    if vertices.shape[0] == 0 or faces.shape[0] == 0:
        raise PipelineError("vertices/faces: cannot voxelise an empty mesh")
    origin, size = _grid_box(vertices, resolution, origin, size)
    triangles = _to_voxel_units(vertices, origin, size, resolution)[faces.long()]
    fill = _surface_occupancy if mode == "surface" else _solid_occupancy
    return VoxelGrid(occupancy=fill(triangles, resolution), origin=origin, size=size)


def pointcloud_to_voxelgrid(
    points: torch.Tensor, resolution: int, origin: OriginLike = None, size: Optional[float] = None
) -> VoxelGrid:
    """Mark the voxels that contain at least one point.

    Args:
        points: (N, 3) positions.
        resolution: R, voxels per side.
        origin: (3,) minimum corner of the grid box; fitted to the points if None.
        size: edge length of the cubic grid box; fitted to the points if None (as in
            :func:`mesh_to_voxelgrid`).

    Returns:
        :class:`VoxelGrid` with (R, R, R) bool occupancy. Points outside the box are
        ignored; a point on a shared voxel face goes to the voxel above it, and points
        on the box's upper faces to the last voxel.
    """
    check_points(points, "points", batched=False)
    _check_resolution(resolution)
    if points.shape[0] == 0:
        raise PipelineError("points: cannot voxelise an empty point cloud")
    origin, size = _grid_box(points, resolution, origin, size)
    units = _to_voxel_units(points, origin, size, resolution)
    inside = ((units >= 0) & (units <= resolution)).all(dim=1)
    cells = units[inside].floor().long().clamp(max=resolution - 1)
    occupancy = torch.zeros(resolution, resolution, resolution, dtype=torch.bool, device=points.device)
    occupancy[cells[:, 0], cells[:, 1], cells[:, 2]] = True
    return VoxelGrid(occupancy=occupancy, origin=origin, size=size)


def padded_marching_cubes(values: torch.Tensor, level: float) -> tuple[np.ndarray, np.ndarray]:
    """scikit-image's marching cubes on ``values`` (X, Y, Z) padded with one empty (0) voxel on every side.

    Returns:
        Vertices (V, 3) in padded index units (voxel ``(i, j, k)`` is at ``(i + 1, j + 1, k + 1)``) and faces
        (F, 3), wound counter-clockwise seen from the low-valued side (outside an occupancy grid).
    """
    volume = np.pad(values.detach().to(torch.float32).cpu().numpy(), 1)
    positions, triangles, _, _ = marching_cubes(volume, level=level, gradient_direction="ascent")
    return np.ascontiguousarray(positions), np.ascontiguousarray(triangles)


def voxelgrid_to_mesh(grid: VoxelGrid, level: float = 0.5) -> Mesh:
    """Extract the boundary surface of a voxel grid with marching cubes (scikit-image).

    The occupancy is padded with one empty voxel on every side so the mesh is closed,
    and each voxel's value sits at its centre. Faces wind counter-clockwise seen from
    outside.

    Args:
        grid: :class:`VoxelGrid` with (R, R, R) occupancy (bool, or float in [0, 1]).
        level: iso-value between empty (0) and occupied (1).

    Returns:
        :class:`Mesh` with float32 world-space vertices (V, 3) and int64 faces (F, 3)
        on the grid's device.
    """
    occupancy = grid.occupancy
    if occupancy.dim() != 3 or len(set(occupancy.shape)) != 1:
        raise PipelineError(f"grid.occupancy must have shape (R, R, R), got {tuple(occupancy.shape)}")
    if not 0 < level < 1:
        raise PipelineError(f"level must lie strictly between 0 and 1, got {level!r}")
    if not bool((occupancy.to(torch.float32) > level).any()):
        raise PipelineError(f"grid: no voxel exceeds level {level}, so there is no surface to extract")
    positions, triangles = padded_marching_cubes(occupancy, level)
    device = occupancy.device
    origin = torch.as_tensor(grid.origin, dtype=torch.float32, device=device).reshape(3)
    # Padded index p is voxel p - 1, whose centre is at p - 0.5 in voxel units.
    vertices = origin + (torch.from_numpy(positions).to(device=device, dtype=torch.float32) - 0.5) * grid.voxel_size
    faces = torch.from_numpy(triangles).to(device=device, dtype=torch.int64)
    return Mesh(vertices=vertices, faces=faces)
