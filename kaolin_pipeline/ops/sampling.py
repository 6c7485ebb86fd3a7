"""Uniform random points on mesh surfaces, following ``kaolin.ops.mesh.sample_points`` and ``packed_sample_points``."""
from __future__ import annotations

from typing import Optional, Union

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.mesh import check_faces, check_points, face_areas, packed_to_global_faces

__all__ = ["sample_points", "packed_sample_points"]


def _choose_faces(areas: torch.Tensor, num_samples: int, generator: Optional[torch.Generator]) -> torch.Tensor:
    """(B, N) face indices drawn with probability proportional to ``areas`` (B, F)."""
    try:
        return torch.multinomial(areas, num_samples, replacement=True, generator=generator)
    except RuntimeError as error:
        raise PipelineError(
            f"areas: cannot draw faces from face areas (need finite, non-negative values with a positive sum per mesh): {error}"
        ) from error


def _uniform_barycentrics(shape: tuple[int, int], like: torch.Tensor, generator: Optional[torch.Generator]) -> torch.Tensor:
    """(B, N, 3) barycentric weights uniformly distributed over a triangle.

    With ``r1, r2 ~ U(0, 1)`` and ``s = sqrt(r1)``, the point ``(1 - s) a + s (1 - r2) b + s r2 c``
    is uniform on triangle ``abc``: ``s`` has density ``2s``, matching the length of the
    segment at that distance from ``a``.
    """
    r1, r2 = torch.rand((2, *shape), generator=generator, device=like.device, dtype=like.dtype)
    s = r1.sqrt()
    return torch.stack([1 - s, s * (1 - r2), s * r2], dim=-1)


def _check_num_samples(num_samples) -> None:
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
        raise PipelineError(f"num_samples must be a positive int, got {num_samples!r}")


def sample_points(
    vertices: torch.Tensor,
    faces: torch.Tensor,
    num_samples: int,
    areas: Optional[torch.Tensor] = None,
    face_features: Optional[torch.Tensor] = None,
    *,
    generator: Optional[torch.Generator] = None,
) -> Union[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Sample points uniformly over the surface of triangle meshes.

    Each point picks a face with probability proportional to its area, then a
    uniformly distributed position on that face. Given the random draws, the points
    are differentiable with respect to ``vertices`` and the features with respect
    to ``face_features``.

    Args:
        vertices: (B, V, 3) positions.
        faces: (F, 3) long vertex indices.
        num_samples: N, points per mesh.
        areas: optional (B, F) precomputed face areas (any non-negative weights).
        face_features: optional (B, F, 3, D) per-face-corner features (for example
            UVs from :func:`index_vertices_by_faces`), interpolated at the points.
        generator: optional ``torch.Generator`` on the vertices' device for reproducible
            draws; torch's global RNG otherwise.

    Returns:
        ``(points (B, N, 3), face_choices (B, N) long)``, plus the interpolated
        ``point_features (B, N, D)`` when ``face_features`` is given.
    """
    check_points(vertices, "vertices")
    check_faces(faces)
    _check_num_samples(num_samples)
    batch, num_faces = vertices.shape[0], faces.shape[0]
    if num_faces == 0:
        raise PipelineError("faces: cannot sample points from a mesh with no faces")
    if areas is None:
        with torch.no_grad():
            areas = face_areas(vertices, faces)
    elif tuple(areas.shape) != (batch, num_faces):
        raise PipelineError(f"areas must have shape (B, F) = {(batch, num_faces)}, got {tuple(areas.shape)}")
    if face_features is not None and (face_features.dim() != 4 or tuple(face_features.shape[:3]) != (batch, num_faces, 3)):
        raise PipelineError(
            f"face_features must have shape (B, F, 3, D) with (B, F) = {(batch, num_faces)}, got {tuple(face_features.shape)}"
        )

    face_choices = _choose_faces(areas.detach(), num_samples, generator)
    weights = _uniform_barycentrics((batch, num_samples), vertices, generator)  # (B, N, 3)

    corner_ids = faces.long()[face_choices]  # (B, N, 3)
    corners = torch.gather(vertices, 1, corner_ids.reshape(batch, -1, 1).expand(-1, -1, 3))
    points = (weights.unsqueeze(-1) * corners.reshape(batch, num_samples, 3, 3)).sum(dim=-2)
    if face_features is None:
        return points, face_choices

    dim = face_features.shape[-1]
    chosen = torch.gather(face_features, 1, face_choices[:, :, None, None].expand(-1, -1, 3, dim))
    point_features = (weights.to(face_features.dtype).unsqueeze(-1) * chosen).sum(dim=-2)
    return points, face_choices, point_features


def packed_sample_points(
    vertices: torch.Tensor,
    first_idx_vertices: torch.Tensor,
    faces: torch.Tensor,
    num_faces_per_mesh: torch.Tensor,
    num_samples: int,
    areas: Optional[torch.Tensor] = None,
    *,
    generator: Optional[torch.Generator] = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`sample_points` for meshes stored packed (Kaolin's packed layout), N points per mesh.

    Args:
        vertices: (sum V_i, 3) positions of all meshes, one after the other.
        first_idx_vertices: (B + 1,) long, where each mesh's vertices start (last entry: the total).
        faces: (sum F_i, 3) long, each mesh's faces indexing its own vertices from 0.
        num_faces_per_mesh: (B,) long face counts (each at least 1).
        num_samples: N, points per mesh.
        areas: optional (sum F_i,) precomputed face areas (any non-negative weights).
        generator: optional ``torch.Generator`` for reproducible draws.

    Returns:
        ``(points (B, N, 3), face_choices (B, N) long)``, the faces as indices into the packed ``faces``.
    """
    check_points(vertices, "vertices", batched=False)
    _check_num_samples(num_samples)
    merged = packed_to_global_faces(first_idx_vertices, faces, num_faces_per_mesh)
    counts = torch.as_tensor(num_faces_per_mesh, device=faces.device).long().reshape(-1)
    if bool((counts <= 0).any()):
        raise PipelineError("num_faces_per_mesh: cannot sample points from a mesh with no faces")
    if areas is None:
        with torch.no_grad():
            areas = face_areas(vertices.unsqueeze(0), merged)[0]
    elif tuple(areas.shape) != (merged.shape[0],):
        raise PipelineError(f"areas must have shape (sum F_i,) = ({merged.shape[0]},), got {tuple(areas.shape)}")
    batch, widest = counts.shape[0], int(counts.max())
    first_face = counts.cumsum(0) - counts  # (B,)
    mesh_of_face = torch.arange(batch, device=faces.device).repeat_interleave(counts)
    slot = torch.arange(merged.shape[0], device=faces.device) - first_face[mesh_of_face]
    padded = areas.detach().new_zeros(batch, widest)
    padded[mesh_of_face, slot] = areas.detach()  # zero padding: never drawn
    face_choices = _choose_faces(padded, num_samples, generator) + first_face.unsqueeze(1)  # (B, N) packed ids
    weights = _uniform_barycentrics((batch, num_samples), vertices, generator)
    corners = vertices[merged[face_choices]]  # (B, N, 3, 3)
    points = (weights.unsqueeze(-1) * corners).sum(dim=-2)
    return points, face_choices
