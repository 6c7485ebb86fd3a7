"""Loop subdivision of triangle meshes, following ``kaolin.ops.mesh.subdivide_trianglemesh``."""
from __future__ import annotations

import math
from typing import Optional

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.mesh import check_faces, check_points

__all__ = ["subdivide_trianglemesh", "subdivide_vertices"]

# Corners of the four children of face (a, b, c) with side midpoints m_ab, m_bc, m_ca, as indices into
# (a, b, c, m_ab, m_bc, m_ca): the three corner triangles, then the middle one (Kaolin's order).
_CHILDREN = [[1, 4, 3], [0, 3, 5], [2, 5, 4], [5, 3, 4]]


def _loop_weight(valence: torch.Tensor) -> torch.Tensor:
    """(V,) Loop's total neighbour weight ``n * beta(n)``: ``5/8 - (3/8 + cos(2 pi / n) / 4)^2``, 9/16 at n = 3."""
    n = valence.clamp(min=1)
    weight = 5.0 / 8.0 - (3.0 / 8.0 + 0.25 * torch.cos(2 * math.pi / n)) ** 2
    weight = torch.where(valence == 3, torch.full_like(weight, 9.0 / 16.0), weight)
    return torch.where(valence == 0, torch.zeros_like(weight), weight)


def _subdivide_once(vertices: torch.Tensor, faces: torch.Tensor, alpha: Optional[torch.Tensor]
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One Loop step on (B, V, 3) vertices; returns the new vertices, faces and (B, V', 1) alpha."""
    batch, num_vertices, _ = vertices.shape
    num_faces = faces.shape[0]
    sides = faces[:, [[0, 1], [1, 2], [2, 0]]].reshape(-1, 2).sort(dim=1).values  # (3F, 2)
    edges, side_edge, uses = sides.unique(dim=0, return_inverse=True, return_counts=True)

    neighbours = torch.cat([edges, edges.flip(1)])
    valence = torch.zeros(num_vertices, device=faces.device, dtype=vertices.dtype).index_add(
        0, neighbours[:, 0], torch.ones(neighbours.shape[0], device=faces.device, dtype=vertices.dtype))
    if alpha is None:
        alpha = _loop_weight(valence).reshape(1, -1, 1).expand(batch, -1, -1)
    neighbour_sum = torch.zeros_like(vertices).index_add(1, neighbours[:, 0], vertices[:, neighbours[:, 1]])
    neighbour_mean = neighbour_sum / valence.clamp(min=1).reshape(1, -1, 1)
    moved = (1 - alpha) * vertices + alpha * torch.where(valence.reshape(1, -1, 1) > 0, neighbour_mean, vertices)

    # Edge points: 3/8 of each end plus 1/8 of the two opposite corners on an edge shared by two
    # faces (the mean of both faces' corners and the two ends); the midpoint on any other edge.
    opposite = faces[:, [2, 0, 1]].reshape(-1)  # corner facing each side of each face
    interior = uses == 2

    def edge_values(values: torch.Tensor) -> torch.Tensor:
        ends = values[:, edges[:, 0]] + values[:, edges[:, 1]]  # (B, E, C)
        opposite_sum = torch.zeros_like(ends).index_add(1, side_edge, values[:, opposite])
        smooth = (3 * ends + opposite_sum) / 8
        return torch.where(interior.reshape(1, -1, 1), smooth, ends / 2)

    new_vertices = torch.cat([moved, edge_values(vertices)], dim=1)
    new_alpha = torch.cat([alpha, edge_values(alpha)], dim=1)
    midpoints = side_edge.reshape(num_faces, 3) + num_vertices
    new_faces = torch.cat([faces, midpoints], dim=1)[:, _CHILDREN].reshape(-1, 3)
    return new_vertices, new_faces, new_alpha


def subdivide_trianglemesh(vertices: torch.Tensor, faces: torch.Tensor, iterations: int,
                           alpha: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Loop subdivision: every triangle becomes four, and the surface is smoothed.

    Each iteration adds one vertex per unique edge and moves the old vertices. Without ``alpha``
    it is exactly Loop's scheme: an old vertex with ``n`` neighbours moves to
    ``(1 - a) v + a * mean(neighbours)`` with ``a = 5/8 - (3/8 + cos(2 pi / n) / 4)^2`` (``9/16``
    for ``n = 3``), recomputed at every iteration (boundary vertices use the same rule, as in
    Kaolin). A new vertex on an edge shared by two faces is ``3/8`` of each end plus ``1/8`` of the two
    opposite corners; on any other edge it is the midpoint. With ``alpha`` (B, V), ``a`` is the given
    per-vertex value (differentiable; 0 keeps a vertex in place) and new vertices get the same
    edge average of the ``alpha`` of their neighbours, carried to later iterations.

    Args:
        vertices: (B, V, 3) positions.
        faces: (F, 3) long vertex indices, shared by the batch.
        iterations: number of subdivisions (0 returns the input).
        alpha: optional (B, V) per-vertex smoothing factor.

    Returns:
        ``(vertices (B, V', 3), faces (F * 4**iterations, 3) long)``. The old vertices keep their
        indices; the vertex of edge ``e`` (unique edges ``(i < j)`` in lexicographic order) is ``V + e``;
        face ``f`` becomes faces ``4f .. 4f + 3``.
    """
    check_points(vertices, "vertices")
    check_faces(faces)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise PipelineError(f"iterations must be a non-negative int, got {iterations!r}")
    if alpha is not None:
        if tuple(alpha.shape) != tuple(vertices.shape[:2]):
            raise PipelineError(f"alpha must have shape (B, V) = {tuple(vertices.shape[:2])}, got {tuple(alpha.shape)}")
        alpha = alpha.to(vertices.dtype).unsqueeze(-1)
    faces = faces.long()
    for _ in range(iterations):
        vertices, faces, carried = _subdivide_once(vertices, faces, alpha)
        alpha = carried if alpha is not None else None
    return vertices, faces


def subdivide_vertices(vertices: torch.Tensor, faces: torch.Tensor, resolution: int) -> torch.Tensor:
    """Points on the surface dense enough for a grid of ``resolution`` cells a side (Kaolin's ``_unbatched_subdivide_vertices``).

    Every face whose longest squared edge exceeds ``((resolution - 1) / resolution**2) ** 2`` is split into four
    at its edge midpoints, and the children are split again by the same rule until none exceeds it. Only
    points are produced (no faces): the input vertices plus every midpoint made on the way.

    Args:
        vertices: (V, 3) float positions.
        faces: (F, 3) long vertex indices.
        resolution: the grid resolution, > 1.

    Returns:
        (V', 3) the distinct points in lexicographic order (as ``torch.unique(dim=0)``), or ``vertices``
        unchanged when no face needed splitting.
    """
    check_points(vertices, "vertices", batched=False)
    check_faces(faces)
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise PipelineError(f"resolution must be an int > 1, got {resolution!r}")
    threshold = ((resolution - 1) / resolution ** 2) ** 2
    corners = vertices[faces.long()]  # (F, 3, 3)
    made = [vertices]
    while True:
        longest = (corners - corners.roll(1, dims=1)).pow(2).sum(-1).amax(-1)  # (F,) squared
        corners = corners[longest > threshold]
        if corners.shape[0] == 0:
            break
        # midpoints of sides (0, 1), (1, 2), (2, 0), then the four children as in subdivide_trianglemesh
        mids = (corners + corners.roll(-1, dims=1)) / 2
        made.append(mids.reshape(-1, 3))
        six = torch.cat([corners, mids], dim=1)  # (K, 6, 3): a, b, c, m_ab, m_bc, m_ca
        corners = six[:, torch.tensor(_CHILDREN, device=six.device)].reshape(-1, 3, 3)
    if len(made) == 1:
        return vertices
    return torch.unique(torch.cat(made), dim=0)
