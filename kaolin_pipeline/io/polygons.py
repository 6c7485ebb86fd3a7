"""Polygon faces made uniform, in Kaolin's handler form (``kaolin.io.utils``): flat per-corner features
with a count per face, as OBJ and USD store them.

``mesh_handler_naive_triangulate`` splits every face into a fan from its first corner (the triangles
``(c0, c1, c2), (c0, c2, c3), ...``, the file's winding kept), vectorised; ``heterogeneous_mesh_handler_skip``
drops the mesh (returns None). :func:`unfan_polygons` undoes the fan of faces that all had ``K`` corners.
"""
from __future__ import annotations

import warnings
from typing import Optional

import torch

__all__ = ["heterogeneous_mesh_handler_naive_homogenize", "heterogeneous_mesh_handler_skip",
           "mesh_handler_naive_triangulate", "unfan_polygons"]


def heterogeneous_mesh_handler_skip(*args, **kwargs) -> None:
    """Skip a mesh whose faces are not uniform: returns None, so the reader returns None."""
    return None


def _fan_corners(face_vertex_counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(corners (T, 3), first_triangle (M,))``: flat corner positions of each fan triangle, and the
    index of each face's first triangle."""
    counts = face_vertex_counts.long()
    starts = torch.cumsum(counts, 0) - counts
    per_face = (counts - 2).clamp(min=0)
    first_triangle = torch.cumsum(per_face, 0) - per_face
    face = torch.repeat_interleave(torch.arange(len(counts), device=counts.device), per_face)
    local = torch.arange(int(per_face.sum()), device=counts.device) - first_triangle[face]
    base = starts[face].unsqueeze(1)
    corners = torch.cat([base, base + local.unsqueeze(1) + 1, base + local.unsqueeze(1) + 2], dim=1)
    return corners, first_triangle


def unfan_polygons(triangles: torch.Tensor, corners: int) -> torch.Tensor:
    """The ``K = corners``-gons whose fans (``K - 2`` consecutive triangles ``(c0, c_j, c_j+1)`` each, in
    face order) are ``triangles`` (T, 3): returns (T / (K - 2), K), the corners in their original order.

    Raises:
        ValueError: ``T`` is not a multiple of ``K - 2``.
    """
    per_face = corners - 2
    if corners < 3 or triangles.shape[0] % per_face:
        raise ValueError(f"unfan_polygons: {triangles.shape[0]} triangles are not fans of {corners}-gons")
    fans = triangles.reshape(-1, per_face, 3)
    return torch.cat([fans[:, 0, :], fans[:, 1:, 2]], dim=1)


def mesh_handler_naive_triangulate(vertices: torch.Tensor, face_vertex_counts: torch.Tensor, *features,
                                   face_assignments: Optional[dict] = None):
    """Fan-triangulate polygons of any corner counts.

    Args:
        vertices: (V, 3), returned unchanged.
        face_vertex_counts: (M,) corners per face.
        features: flat per-corner values ``(sum(face_vertex_counts),)`` (a tensor or list; None passes
            through), e.g. vertex, uv or normal indices.
        face_assignments: optional dict of face indices to rewrite: a (K,) tensor becomes the triangles of
            those faces; a (K, 2) tensor of ``[start, end)`` face ranges becomes the triangle ranges.

    Returns:
        ``(vertices, counts (T,) all 3, *features as (T, 3)[, face_assignments])``.
    """
    counts = torch.as_tensor(face_vertex_counts).long()
    corners, first_triangle = _fan_corners(counts)
    triangles_per_face = (counts - 2).clamp(min=0)
    new_features = [None if f is None else torch.as_tensor(f)[corners] for f in features]
    new_counts = torch.full((corners.shape[0],), 3, dtype=torch.long)
    if face_assignments is None:
        return (vertices, new_counts, *new_features)
    rewritten = {}
    for key, faces in face_assignments.items():
        faces = torch.as_tensor(faces).long()
        if faces.dim() == 1:
            per = triangles_per_face[faces]
            offsets = torch.arange(int(per.sum())) - torch.repeat_interleave(torch.cumsum(per, 0) - per, per)
            rewritten[key] = torch.repeat_interleave(first_triangle[faces], per) + offsets
        else:
            last = faces[:, 1] - 1
            rewritten[key] = torch.stack([first_triangle[faces[:, 0]],
                                          first_triangle[last] + triangles_per_face[last]], dim=1)
    return (vertices, new_counts, *new_features, rewritten)


def heterogeneous_mesh_handler_naive_homogenize(*args, **kwargs):
    """Kaolin's older name of :func:`mesh_handler_naive_triangulate` (deprecated there: warns)."""
    warnings.warn("heterogeneous_mesh_handler_naive_homogenize is deprecated; use mesh_handler_naive_triangulate",
                  DeprecationWarning, stacklevel=2)
    return mesh_handler_naive_triangulate(*args, **kwargs)
