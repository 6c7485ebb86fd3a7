"""Mesh regularisers of the recipes (DIB-R paper, Kaolin's DIB-R tutorial): Laplacian, flatten, edge length."""
from __future__ import annotations

import torch

from kaolin_pipeline.ops.mesh import edge_lengths, face_normals, index_vertices_by_faces


def laplacian_loss(offsets: torch.Tensor, laplacian: torch.Tensor) -> torch.Tensor:
    """Smoothness of a deformation: squared norm of its uniform Laplacian, summed over vertices.

    Equals Kaolin's tutorial ``mean((L @ offsets) ** 2) * V * 3`` averaged over the batch.

    Args:
        offsets: (B, V, 3) displacements of the template vertices (or the vertices themselves).
        laplacian: (V, V) from :func:`kaolin_pipeline.ops.uniform_laplacian`, dense or sparse.

    Returns:
        Scalar tensor.
    """
    if laplacian.is_sparse:
        batch, count, channels = offsets.shape
        delta = laplacian @ offsets.transpose(0, 1).reshape(count, batch * channels)  # (V, B * 3)
        return delta.pow(2).sum() / batch
    delta = torch.matmul(laplacian, offsets)
    return delta.pow(2).sum(dim=(1, 2)).mean()


def flatten_loss(vertices: torch.Tensor, faces: torch.Tensor, adjacent_faces: torch.Tensor) -> torch.Tensor:
    """The DIB-R flatten term: ``sum over shared edges of (1 - n_a . n_b) ** 2`` (unit face normals).

    ``1 - n_a . n_b`` is ``cos(theta) + 1`` for the dihedral angle ``theta``, so a flat
    surface costs 0 and a fold back onto itself costs 4 per edge.

    Args:
        vertices: (B, V, 3).
        faces: (F, 3) long.
        adjacent_faces: (E, 2) long face pairs from :func:`kaolin_pipeline.ops.edge_adjacent_faces`.

    Returns:
        Scalar tensor, summed over edges and averaged over the batch.
    """
    normals = face_normals(index_vertices_by_faces(vertices, faces), unit=True)
    cosine = (normals[:, adjacent_faces[:, 0]] * normals[:, adjacent_faces[:, 1]]).sum(dim=-1)
    return (1.0 - cosine).pow(2).sum(dim=1).mean()


def edge_length_loss(vertices: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """Regularity of a mesh: variance of its edge lengths, averaged over the batch.

    Args:
        vertices: (B, V, 3).
        edges: (E, 2) long from :func:`kaolin_pipeline.ops.mesh_edges`.

    Returns:
        Scalar tensor.
    """
    return edge_lengths(vertices, edges).var(dim=1, unbiased=False).mean()
