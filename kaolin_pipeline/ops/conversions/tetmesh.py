"""Marching tetrahedra: the zero level set of an SDF sampled at the vertices of a tetrahedral grid,
following ``kaolin.ops.conversions.marching_tetrahedra`` (DMTet).

A vertex with ``sdf > 0`` is on the positive side. Every tet edge whose two ends lie on different sides
crosses the surface at the zero of the linear interpolation of the SDF along it; a tet with one vertex
apart from the other three gives one triangle, a tet with two and two gives a quad (two triangles).
Faces are wound so that, for a positively oriented tet (``det[v1 - v0, v2 - v0, v3 - v0] > 0``), their
normal points towards the positive side. Positions are differentiable in ``vertices`` and ``sdf``.
"""
from __future__ import annotations

import itertools
from typing import List, Tuple

import torch

from kaolin_pipeline.errors import PipelineError

__all__ = ["marching_tetrahedra"]

#: The 6 edges of a tet as pairs of local corners, in order.
TET_EDGES = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))


def _edge(a: int, b: int) -> int:
    return TET_EDGES.index((min(a, b), max(a, b)))


def _wind(edges: List[int], positive: set) -> List[int]:
    """The crossing ``edges`` of a triangle ordered so that, on the unit reference tet, its normal points
    towards the ``positive`` corners."""
    corners = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=torch.float64)
    points = [corners[list(TET_EDGES[e])].mean(0) for e in edges]
    normal = torch.linalg.cross(points[1] - points[0], points[2] - points[0], dim=0)
    towards = corners[sorted(positive)].mean(0) - points[0]
    return edges if float(normal @ towards) > 0 else [edges[0], edges[2], edges[1]]


def _triangle_table() -> Tuple[torch.Tensor, torch.Tensor]:
    """For each of the 16 sign cases (bit ``i`` set when corner ``i`` is positive): up to two triangles
    as crossing-edge ids, ``(16, 6)`` long padded with -1, and the triangle count ``(16,)``."""
    table = torch.full((16, 6), -1, dtype=torch.long)
    counts = torch.zeros(16, dtype=torch.long)
    for case in range(1, 15):
        positive = {i for i in range(4) if case >> i & 1}
        negative = set(range(4)) - positive
        if len(positive) in (1, 3):
            apex = next(iter(positive if len(positive) == 1 else negative))
            triangles = [_wind([_edge(apex, other) for other in range(4) if other != apex], positive)]
        else:
            (p0, p1), (n0, n1) = sorted(positive), sorted(negative)
            # Quad corners in cyclic order; split along the diagonal through edge (0, 2), or (0, 3) when
            # (0, 2) does not cross (the split Kaolin's table makes).
            ring = [_edge(p0, n0), _edge(p0, n1), _edge(p1, n1), _edge(p1, n0)]
            start = ring.index(_edge(0, 2)) if _edge(0, 2) in ring else ring.index(_edge(0, 3))
            ring = ring[start:] + ring[:start]
            triangles = [_wind([ring[0], ring[1], ring[2]], positive), _wind([ring[0], ring[2], ring[3]], positive)]
        counts[case] = len(triangles)
        table[case, :3 * len(triangles)] = torch.tensor(list(itertools.chain(*triangles)))
    return table, counts


_TABLE, _COUNTS = _triangle_table()
_EDGES = torch.tensor(TET_EDGES, dtype=torch.long)


def _unbatched(vertices: torch.Tensor, tets: torch.Tensor, sdf: torch.Tensor, return_tet_idx: bool):
    device = vertices.device
    with torch.no_grad():
        positive = sdf > 0
        corner_sides = positive[tets]  # (T, 4)
        case = (corner_sides.long() << torch.arange(4, device=device)).sum(-1)
        crossing_tets = (case > 0) & (case < 15)
        case = case[crossing_tets]
        edges = tets[crossing_tets][:, _EDGES.to(device)].sort(dim=-1).values  # (T', 6, 2), (low, high)
        # one long key per edge (low * V + high) sorts as the pairs do; unique on it is far faster than dim=0
        keys, tet_edge = torch.unique(edges[..., 0] * sdf.shape[0] + edges[..., 1], return_inverse=True)
        unique = torch.stack([keys // sdf.shape[0], keys % sdf.shape[0]], dim=-1)
        tet_edge = tet_edge.reshape(-1)
        crosses = positive[unique[:, 0]] != positive[unique[:, 1]]
        new_id = torch.cumsum(crosses.long(), 0) - 1  # surface vertex id of each crossing edge
        tet_edge = torch.where(crosses[tet_edge], new_id[tet_edge], -1).reshape(-1, 6)
        ends = unique[crosses]  # (V', 2)
        counts = _COUNTS.to(device)[case]
        table = _TABLE.to(device)[case]
        # Faces of one-triangle tets first, then those of two-triangle tets (Kaolin's order).
        order = torch.argsort(counts, stable=True)
        slots = table[order].reshape(-1, 2, 3)
        keep = torch.arange(2, device=device) < counts[order].unsqueeze(1)  # (T', 2)
        faces = torch.gather(tet_edge[order], 1, slots.clamp(min=0).reshape(-1, 6)).reshape(-1, 2, 3)[keep]
    start, end = vertices[ends[:, 0]], vertices[ends[:, 1]]
    value_start, value_end = sdf[ends[:, 0]].unsqueeze(-1), sdf[ends[:, 1]].unsqueeze(-1)
    points = (start * value_end - end * value_start) / (value_end - value_start)
    if not return_tet_idx:
        return points, faces
    tet_ids = torch.nonzero(crossing_tets).squeeze(1)[order].unsqueeze(1).expand(-1, 2)[keep]
    return points, faces, tet_ids


def marching_tetrahedra(vertices: torch.Tensor, tets: torch.Tensor, sdf: torch.Tensor,
                        return_tet_idx: bool = False) -> List[Tuple[torch.Tensor, ...]]:
    r"""Triangle meshes of the zero level sets of SDFs on a tetrahedral grid.

    Args:
        vertices: grid vertex positions, of shape :math:`(B, V, 3)`.
        tets: the grid's tetrahedra, of shape :math:`(T, 4)` (long), shared by the batch.
        sdf: SDF values at the vertices, of shape :math:`(B, V)`.
        return_tet_idx: also return, for each face, the tet it comes from.

    Returns:
        A list of two (three with ``return_tet_idx``) tuples, each with one tensor per batch item:
        vertices :math:`(V_i, 3)` (one per crossing grid edge, in
        the order of the edges' sorted vertex-index pairs), faces :math:`(F_i, 3)` long, and with
        ``return_tet_idx`` the tet ids :math:`(F_i,)` long.
    """
    if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[-1] != 3:
        raise PipelineError(f"vertices must be a (B, V, 3) tensor, got {tuple(getattr(vertices, 'shape', ()))}")
    if not isinstance(tets, torch.Tensor) or tets.dim() != 2 or tets.shape[-1] != 4 or tets.is_floating_point():
        raise PipelineError(f"tets must be a (T, 4) integer tensor, got {tuple(getattr(tets, 'shape', ()))}")
    if not isinstance(sdf, torch.Tensor) or tuple(sdf.shape) != tuple(vertices.shape[:2]):
        raise PipelineError(f"sdf must have shape (B, V) = {tuple(vertices.shape[:2])}, "
                            f"got {tuple(getattr(sdf, 'shape', ()))}")
    tets = tets.long()
    outputs = [_unbatched(vertices[b], tets, sdf[b], return_tet_idx) for b in range(vertices.shape[0])]
    return list(zip(*outputs))
