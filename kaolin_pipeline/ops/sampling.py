"""Uniform random points on mesh surfaces, following ``kaolin.ops.mesh.sample_points``."""
from __future__ import annotations

from typing import Optional, Union

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.mesh import check_faces, check_points, face_areas

__all__ = ["sample_points"]


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
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
        raise PipelineError(f"num_samples must be a positive int, got {num_samples!r}")
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
