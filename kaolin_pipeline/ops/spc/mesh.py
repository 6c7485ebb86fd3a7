"""Triangle meshes to SPCs: conservative voxelisation in ``[-1, 1]^3``, refined level by level."""
from __future__ import annotations

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.conversions.voxelize import _triangles_overlap_unit_cubes
from kaolin_pipeline.ops.mesh_distance import closest_points_on_triangles
from kaolin_pipeline.ops.spc.morton import morton_to_points
from kaolin_pipeline.ops.spc.octree import octree_from_morton

__all__ = ["unbatched_mesh_to_spc"]


def _area_weights(points: torch.Tensor, triangles: torch.Tensor) -> torch.Tensor:
    """Barycentric weights ``(P, 3)`` of points ``(P, 3)`` lying on triangles ``(P, 3, 3)``: each corner's weight
    is the area of the sub-triangle opposite it over the triangle's area, normalised to sum to 1."""
    to_corners = points.unsqueeze(1) - triangles  # (P, 3, 3)
    opposite = torch.linalg.cross(to_corners.roll(-1, dims=1), to_corners.roll(-2, dims=1), dim=-1).norm(dim=-1)
    total = opposite.sum(dim=1, keepdim=True)
    return opposite / torch.where(total == 0, torch.ones_like(total), total)


def unbatched_mesh_to_spc(face_vertices: torch.Tensor, level: int) -> tuple:
    r"""The SPC of the level-``level`` cells of ``[-1, 1]^3`` that a triangle touches, with a face per cell.

    A cell is kept when a triangle intersects it, boundary contact included (exact separating-axis test), so
    the cells wrap the surface. Cells are refined from the root: only the children of a kept (cell, face)
    pair are tested at the next level. Each deepest cell is given the lowest index among the faces touching
    it, and the barycentric weights of the point of that face nearest to the cell's centre.

    Args:
        face_vertices (torch.FloatTensor): of shape :math:`(\text{num_faces}, 3, 3)` (see
            :func:`~kaolin_pipeline.ops.mesh.index_vertices_by_faces`).
        level (int): the octree's depth.

    Returns:
        (torch.ByteTensor, torch.LongTensor, torch.FloatTensor):
            - the octree, of shape :math:`(\text{num_bytes},)` (empty when no cell is touched);
            - the face of each deepest cell, in morton order, of shape :math:`(\text{num_cells},)`;
            - that face's weights of its first two corners at the point nearest to the cell's centre,
              of shape :math:`(\text{num_cells}, 2)` (the third is one minus their sum).
    """
    if not isinstance(face_vertices, torch.Tensor) or face_vertices.ndim != 3 or face_vertices.shape[1:] != (3, 3):
        raise PipelineError(f"unbatched_mesh_to_spc: face_vertices must be (num_faces, 3, 3), "
                            f"got {tuple(getattr(face_vertices, 'shape', ()))}")
    if isinstance(level, bool) or not isinstance(level, int) or level < 0:
        raise PipelineError(f"unbatched_mesh_to_spc: level must be a non-negative int, got {level!r}")
    device = face_vertices.device
    triangles = face_vertices.double()
    children = torch.arange(8, device=device)
    face = torch.arange(face_vertices.shape[0], device=device)  # (P,) candidate pairs: face and cell code
    code = torch.zeros_like(face)
    for lvl in range(level + 1):
        if lvl > 0:  # the 8 children of every kept pair, grouped by face as the pairs are
            face = face.repeat_interleave(8)
            code = ((code << 3).unsqueeze(1) | children).reshape(-1)
        # In level-lvl cell units, [-1, 1] is [0, 2^lvl] and cell c is the unit cube at c.
        units = (triangles[face] + 1) * (2 ** (lvl - 1))
        keep = _triangles_overlap_unit_cubes(units, morton_to_points(code).long())
        face, code = face[keep], code[keep]
    if code.numel() == 0:
        return (torch.zeros(0, dtype=torch.uint8, device=device), torch.zeros(0, dtype=torch.long, device=device),
                torch.zeros(0, 2, dtype=face_vertices.dtype, device=device))
    # Pairs are ordered by face; a stable sort by cell puts each cell's lowest face first.
    code, order = torch.sort(code, stable=True)
    face = face[order]
    first = torch.ones_like(code, dtype=torch.bool)
    first[1:] = code[1:] != code[:-1]
    code, face = code[first], face[first]
    centres = (morton_to_points(code).double() + 0.5) * (2.0 / 2 ** level) - 1
    tri = triangles[face]
    nearest, _ = closest_points_on_triangles(centres, tri[:, 0], tri[:, 1], tri[:, 2])
    weights = _area_weights(nearest, tri)[:, :2].to(face_vertices.dtype)
    return octree_from_morton(code, level), face, weights

