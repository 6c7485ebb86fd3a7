"""Squared distance from points to the nearest triangle of a mesh, following
``kaolin.metrics.trianglemesh.point_to_mesh_distance``."""
from __future__ import annotations

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.mesh import check_points

__all__ = ["point_to_mesh_distance", "unbatched_point_to_mesh_distance"]

_PAIR_BUDGET = 2 * 1024 * 1024  # (point, face) pairs evaluated at once


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a * b).sum(dim=-1)


def _safe_ratio(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    return numerator / torch.where(denominator == 0, torch.ones_like(denominator), denominator)


def closest_points_on_triangles(points: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor
                                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Closest point of each triangle ``abc`` to each point, and which part of the triangle it lies on.

    The Voronoi regions of the triangle's corners (open: a point on a corner region's border
    belongs to the side), sides (ab, bc, ca) and interior are tested in that order, as Kaolin's
    kernel does: the first region that holds the point decides. All arguments broadcast
    against each other, shape (..., 3).

    Returns:
        ``(closest (..., 3), kind (...) int32)`` with Kaolin's codes: 0 interior, 1/2/3 corner a/b/c,
        4 side ab, 5 side bc, 6 side ca.
    """
    ab, ac = b - a, c - a
    ap, bp, cp = points - a, points - b, points - c
    d1, d2 = _dot(ab, ap), _dot(ac, ap)
    d3, d4 = _dot(ab, bp), _dot(ac, bp)
    d5, d6 = _dot(ab, cp), _dot(ac, cp)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2

    total = va + vb + vc
    v, w = _safe_ratio(vb, total), _safe_ratio(vc, total)
    closest = a + v.unsqueeze(-1) * ab + w.unsqueeze(-1) * ac
    kind = torch.zeros(closest.shape[:-1], dtype=torch.int32, device=closest.device)
    # Assign in reverse order of precedence so earlier regions overwrite later ones.
    regions = [
        ((d1 < 0) & (d2 < 0), 1, a),
        ((d3 > 0) & (d4 < d3), 2, b),
        ((d6 > 0) & (d5 < d6), 3, c),
        ((vc <= 0) & (d1 >= 0) & (d3 <= 0), 4, a + _safe_ratio(d1, d1 - d3).unsqueeze(-1) * ab),
        ((va <= 0) & (d4 >= d3) & (d5 >= d6), 5,
         b + _safe_ratio(d4 - d3, (d4 - d3) + (d5 - d6)).unsqueeze(-1) * (c - b)),
        ((vb <= 0) & (d2 >= 0) & (d6 <= 0), 6, a + _safe_ratio(d2, d2 - d6).unsqueeze(-1) * ac),
    ]
    for inside, code, point in reversed(regions):
        closest = torch.where(inside.unsqueeze(-1), point.expand_as(closest), closest)
        kind = torch.where(inside, torch.full_like(kind, code), kind)
    return closest, kind


def point_to_mesh_distance(pointclouds: torch.Tensor, face_vertices: torch.Tensor
                           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Squared distance from every point to its nearest triangle.

    The nearest face is found without autograd, in chunks of (point, face) pairs; the distances
    are then recomputed for the winners only, so they are differentiable with respect to both
    ``pointclouds`` and ``face_vertices`` and the backward pass costs O(points). On ties the
    lowest face index wins.

    Args:
        pointclouds: (B, P, 3) points.
        face_vertices: (B, F, 3, 3) triangle corners, as from ``index_vertices_by_faces``.

    Returns:
        ``(distance (B, P), face_idx (B, P) long, dist_type (B, P) int32)``: the squared
        distance, the nearest face, and where on it the nearest point lies (0 inside the face,
        1/2/3 at corner 0/1/2, 4/5/6 on side 0-1/1-2/2-0).
    """
    check_points(pointclouds, "pointclouds")
    if not isinstance(face_vertices, torch.Tensor) or face_vertices.dim() != 4 or face_vertices.shape[-2:] != (3, 3):
        shape = tuple(face_vertices.shape) if isinstance(face_vertices, torch.Tensor) else None
        raise PipelineError(f"face_vertices must be a (B, F, 3, 3) tensor, got {shape}")
    batch, num_points, _ = pointclouds.shape
    if face_vertices.shape[0] != batch:
        raise PipelineError(f"pointclouds and face_vertices must have the same batch size, got {batch} and {face_vertices.shape[0]}")
    num_faces = face_vertices.shape[1]
    if num_faces == 0:
        raise PipelineError("face_vertices: the meshes have no faces")
    chunk = max(1, _PAIR_BUDGET // num_faces)
    with torch.no_grad():
        corners = [corner.unsqueeze(1) for corner in face_vertices.to(pointclouds.dtype).unbind(dim=2)]  # (B, 1, F, 3)
        nearest = []
        for start in range(0, num_points, chunk):
            part = pointclouds[:, start:start + chunk].unsqueeze(2)  # (B, n, 1, 3)
            closest, _ = closest_points_on_triangles(part, *corners)
            nearest.append(((closest - part) ** 2).sum(dim=-1).argmin(dim=-1))
        face_idx = torch.cat(nearest, dim=1)  # (B, P)
    chosen = torch.gather(face_vertices, 1, face_idx[:, :, None, None].expand(-1, -1, 3, 3))  # (B, P, 3, 3)
    closest, dist_type = closest_points_on_triangles(pointclouds, *chosen.to(pointclouds.dtype).unbind(dim=2))
    distance = ((closest - pointclouds) ** 2).sum(dim=-1)
    return distance, face_idx, dist_type


def unbatched_point_to_mesh_distance(points: torch.Tensor, face_vertices: torch.Tensor
                                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`point_to_mesh_distance` for one cloud: points (P, 3), face_vertices (F, 3, 3) ->
    ``(distance (P,), face_idx (P,) long, dist_type (P,) int32)`` (Kaolin's ``_unbatched_naive_*`` reference)."""
    distance, face_idx, dist_type = point_to_mesh_distance(points.unsqueeze(0), face_vertices.unsqueeze(0))
    return distance[0], face_idx[0], dist_type[0]
