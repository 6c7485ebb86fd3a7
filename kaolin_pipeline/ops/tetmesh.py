"""Tetrahedral meshes (Kaolin's ``kaolin.ops.mesh.tetmesh`` and ``kaolin.metrics.tetmesh``): volumes, the
inverse offset matrices, midpoint subdivision into eight, and DefTet's EquiVolume and AMIPS regularisers.

``tet_vertices`` are batched tetrahedra ``(B, T, 4, 3)`` (corners A, B, C, D); a tetrahedral mesh is
``vertices (B, V, 3)`` with ``tetrahedrons (T, 4)`` long, shared by the batch.
"""
from __future__ import annotations

from typing import Optional

import torch

from kaolin_pipeline.errors import PipelineError

__all__ = ["amips", "equivolume", "inverse_vertices_offset", "subdivide_tetmesh", "tetrahedron_volume",
           "validate_tet_vertices"]

#: The six edges of a tetrahedron (a, b, c, d) as corner pairs: ab, ac, ad, bc, bd, cd.
_EDGES = torch.tensor([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
#: The eight children of a subdivided tetrahedron, as indices into (a, b, c, d, ab, ac, ad, bc, bd, cd):
#: the four corner tetrahedra, then the inner octahedron cut along its ac-bd diagonal (Kaolin's order).
_CHILDREN = torch.tensor([[0, 4, 5, 6], [1, 7, 4, 8], [2, 5, 7, 9], [3, 6, 9, 8],
                          [4, 5, 6, 8], [4, 5, 8, 7], [9, 5, 8, 6], [9, 5, 7, 8]])


def validate_tet_vertices(tet_vertices: torch.Tensor) -> None:
    """Raise :class:`PipelineError` unless ``tet_vertices`` is a ``(B, T, 4, 3)`` tensor."""
    shape = tuple(tet_vertices.shape) if isinstance(tet_vertices, torch.Tensor) else type(tet_vertices).__name__
    if not isinstance(tet_vertices, torch.Tensor) or tet_vertices.ndim != 4 or tuple(tet_vertices.shape[2:]) != (4, 3):
        raise PipelineError(f"tet_vertices must be a (B, T, 4, 3) tensor of tetrahedron corners, got {shape}")


def _offsets(tet_vertices: torch.Tensor) -> torch.Tensor:
    """(B, T, 3, 3): rows B - A, C - A, D - A."""
    return tet_vertices[:, :, 1:] - tet_vertices[:, :, :1]


def inverse_vertices_offset(tet_vertices: torch.Tensor) -> torch.Tensor:
    """Inverse of each tetrahedron's offset matrix (rows ``B - A``, ``C - A``, ``D - A``).

    Args:
        tet_vertices: (B, T, 4, 3) corners.

    Returns:
        (B, T, 3, 3).
    """
    validate_tet_vertices(tet_vertices)
    return torch.linalg.inv(_offsets(tet_vertices))


def tetrahedron_volume(tet_vertices: torch.Tensor) -> torch.Tensor:
    """Signed volume ``(A - D) . ((B - D) x (C - D)) / 6`` of each tetrahedron.

    Args:
        tet_vertices: (B, T, 4, 3) corners.

    Returns:
        (B, T).
    """
    validate_tet_vertices(tet_vertices)
    a, b, c, d = tet_vertices.unbind(dim=2)
    return ((a - d) * torch.linalg.cross(b - d, c - d, dim=-1)).sum(-1) / 6


def equivolume(tet_vertices: torch.Tensor, tetrahedrons_mean: Optional[torch.Tensor] = None,
               pow: int = 4) -> torch.Tensor:  # noqa: A002  (Kaolin's argument name)
    """DefTet's EquiVolume loss: mean over tetrahedra of ``|volume - mean volume| ** pow``, per mesh.

    Args:
        tet_vertices: (B, T, 4, 3) corners.
        tetrahedrons_mean: (B,) or (1,) reference volume per mesh; each mesh's mean volume by default.
        pow: the exponent.

    Returns:
        (B, 1).
    """
    volumes = tetrahedron_volume(tet_vertices)
    mean = volumes.mean(dim=-1) if tetrahedrons_mean is None else torch.as_tensor(tetrahedrons_mean).to(volumes)
    return (volumes - mean.reshape(-1, 1)).abs().pow(pow).mean(dim=-1, keepdim=True)


def amips(tet_vertices: torch.Tensor, inverse_offset_matrix: torch.Tensor) -> torch.Tensor:
    """The AMIPS distortion energy (Fu et al. 2015) of each tetrahedron's deformation from its rest shape.

    With ``J = offsets(tet_vertices) @ inverse_offset_matrix``, the energy of a tetrahedron is
    ``trace(J J^T) / (det(J)^2 + 1e-10) ** (1/3)``, counted only where ``det(J) >= 0`` (inverted ones add 0).

    Args:
        tet_vertices: (B, T, 4, 3) deformed corners.
        inverse_offset_matrix: (B, T, 3, 3) from :func:`inverse_vertices_offset` of the rest shape.

    Returns:
        (B, 1) mean energy per mesh.
    """
    validate_tet_vertices(tet_vertices)
    expected = tuple(tet_vertices.shape[:2]) + (3, 3)
    if not isinstance(inverse_offset_matrix, torch.Tensor) or tuple(inverse_offset_matrix.shape) != expected:
        raise PipelineError(f"inverse_offset_matrix must have shape {expected}, got "
                            f"{tuple(getattr(inverse_offset_matrix, 'shape', ()))}")
    jacobian = _offsets(tet_vertices) @ inverse_offset_matrix
    determinant = torch.linalg.det(jacobian)
    trace = jacobian.pow(2).sum(dim=(-2, -1))  # trace(J J^T): the squared Frobenius norm
    energy = trace / (determinant.pow(2) + 1e-10).pow(1 / 3)
    return torch.where(determinant >= 0, energy, 0).mean(dim=1, keepdim=True)


def subdivide_tetmesh(vertices: torch.Tensor, tetrahedrons: torch.Tensor, features: Optional[torch.Tensor] = None):
    """Split every tetrahedron into eight at its edge midpoints (DMTet's subdivision).

    Args:
        vertices: (B, V, 3) positions.
        tetrahedrons: (T, 4) long corner indices, shared by the batch.
        features: optional (B, V, D) per-vertex features (e.g. SDF values), averaged onto the midpoints.

    Returns:
        ``(vertices (B, V + E, 3), tetrahedrons (8 T, 4))``, plus ``features (B, V + E, D)`` when given. The old
        vertices keep their indices; the midpoint of unique edge ``e`` (pairs ``(i < j)`` in lexicographic
        order) is ``V + e``. The children are grouped by kind: all first-corner tetrahedra, then all second,
        and so on (Kaolin's order).
    """
    if not isinstance(vertices, torch.Tensor) or vertices.ndim != 3 or vertices.shape[-1] != 3:
        raise PipelineError(f"vertices must be a (B, V, 3) tensor, got {tuple(getattr(vertices, 'shape', ()))}")
    if not isinstance(tetrahedrons, torch.Tensor) or tetrahedrons.ndim != 2 or tetrahedrons.shape[1] != 4:
        raise PipelineError(f"tetrahedrons must be a (T, 4) tensor, got {tuple(getattr(tetrahedrons, 'shape', ()))}")
    if features is not None and (not isinstance(features, torch.Tensor) or features.ndim != 3
                                 or tuple(features.shape[:2]) != tuple(vertices.shape[:2])):
        raise PipelineError(f"features must be a (B, V, D) tensor with (B, V) = {tuple(vertices.shape[:2])}, got "
                            f"{tuple(getattr(features, 'shape', ()))}")
    tetrahedrons = tetrahedrons.long()
    edges = tetrahedrons[:, _EDGES.to(tetrahedrons.device)].sort(dim=-1).values  # (T, 6, 2), i < j
    unique, edge_of = torch.unique(edges.reshape(-1, 2), dim=0, return_inverse=True)
    values = vertices if features is None else torch.cat([vertices, features.to(vertices.dtype)], dim=-1)
    midpoints = values[:, unique].mean(dim=2)  # (B, E, 3 [+ D])
    values = torch.cat([values, midpoints], dim=1)
    ten = torch.cat([tetrahedrons, edge_of.reshape(-1, 6) + vertices.shape[1]], dim=1)  # (T, 10)
    children = ten[:, _CHILDREN.to(ten.device)].transpose(0, 1).reshape(-1, 4)
    if features is None:
        return values, children
    return values[..., :3], children, values[..., 3:].to(features.dtype)
