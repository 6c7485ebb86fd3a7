"""Per-face and per-vertex geometry of triangle meshes, following ``kaolin.ops.mesh``.

Batched vertices are ``(B, V, 3)``; faces ``(F, 3)`` long are shared by the batch.
Everything is differentiable with respect to the vertices, and dtype and device
follow the inputs. Shape checks never synchronise with the device; index ranges
are left to PyTorch's own indexing errors.
"""
from __future__ import annotations

import torch

from kaolin_pipeline.errors import PipelineError

__all__ = [
    "index_vertices_by_faces",
    "face_normals",
    "face_areas",
    "vertex_normals",
    "mesh_edges",
    "edge_lengths",
    "edge_adjacent_faces",
    "uniform_laplacian",
    "normalize_vertices",
]

_INDEX_DTYPES = (torch.int64, torch.int32)


def check_faces(faces: torch.Tensor, name: str = "faces") -> None:
    """Raise :class:`PipelineError` unless ``faces`` is an integer ``(F, 3)`` tensor."""
    if not isinstance(faces, torch.Tensor) or faces.dim() != 2 or faces.shape[1] != 3:
        shape = tuple(faces.shape) if isinstance(faces, torch.Tensor) else type(faces).__name__
        raise PipelineError(f"{name} must be a (F, 3) tensor of vertex indices, got {shape}")
    if faces.dtype not in _INDEX_DTYPES:
        raise PipelineError(f"{name} must hold int64 or int32 vertex indices, got {faces.dtype}")


def check_points(points: torch.Tensor, name: str, batched: bool = True, width: int = 3) -> None:
    """Raise :class:`PipelineError` unless ``points`` is a float ``(B, N, width)`` (or ``(N, width)``) tensor."""
    dims = 3 if batched else 2
    expected = "(B, N, %d)" % width if batched else "(N, %d)" % width
    if not isinstance(points, torch.Tensor) or points.dim() != dims or points.shape[-1] != width:
        shape = tuple(points.shape) if isinstance(points, torch.Tensor) else type(points).__name__
        raise PipelineError(f"{name} must be a {expected} tensor, got {shape}")
    if not points.is_floating_point():
        raise PipelineError(f"{name} must be a floating-point tensor, got {points.dtype}")


def index_vertices_by_faces(vertices_features: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Gather per-vertex features at the corners of every face.

    Args:
        vertices_features: (B, V, D) features (positions, colours, UVs...).
        faces: (F, K) long vertex indices (K = 3 for triangles).

    Returns:
        (B, F, K, D) where ``out[b, f, k] = vertices_features[b, faces[f, k]]``.
    """
    if not isinstance(vertices_features, torch.Tensor) or vertices_features.dim() != 3:
        shape = tuple(vertices_features.shape) if isinstance(vertices_features, torch.Tensor) else None
        raise PipelineError(f"vertices_features must be a (B, V, D) tensor, got {shape}")
    if not isinstance(faces, torch.Tensor) or faces.dim() != 2 or faces.dtype not in _INDEX_DTYPES:
        shape = tuple(faces.shape) if isinstance(faces, torch.Tensor) else None
        raise PipelineError(f"faces must be an integer (F, K) tensor, got {shape}")
    batch, _, dim = vertices_features.shape
    gathered = torch.index_select(vertices_features, 1, faces.reshape(-1))
    return gathered.reshape(batch, faces.shape[0], faces.shape[1], dim)


def face_normals(face_vertices: torch.Tensor, unit: bool = False) -> torch.Tensor:
    """Normals of triangles given by their corners, oriented by the right-hand rule.

    Args:
        face_vertices: (B, F, 3, 3) corner positions, as from :func:`index_vertices_by_faces`.
        unit: if True, return unit normals (zero for degenerate faces); otherwise the
            raw cross product ``(v1 - v0) x (v2 - v0)``, whose length is twice the face area.

    Returns:
        (B, F, 3) normals.
    """
    if not isinstance(face_vertices, torch.Tensor) or face_vertices.dim() != 4 or face_vertices.shape[-2:] != (3, 3):
        shape = tuple(face_vertices.shape) if isinstance(face_vertices, torch.Tensor) else None
        raise PipelineError(f"face_vertices must be a (B, F, 3, 3) tensor, got {shape}")
    v0, v1, v2 = face_vertices.unbind(dim=-2)
    normals = torch.linalg.cross(v1 - v0, v2 - v0, dim=-1)
    if unit:
        normals = torch.nn.functional.normalize(normals, dim=-1)
    return normals


def _raw_face_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """(B, F, 3) cross products of the faces of batched ``vertices`` (length = 2 x area)."""
    check_points(vertices, "vertices")
    check_faces(faces)
    return face_normals(index_vertices_by_faces(vertices, faces))


def face_areas(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Areas of the triangles.

    Args:
        vertices: (B, V, 3) positions.
        faces: (F, 3) long vertex indices.

    Returns:
        (B, F) areas.
    """
    return 0.5 * torch.linalg.vector_norm(_raw_face_normals(vertices, faces), dim=-1)


def vertex_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Area-weighted unit vertex normals.

    Each vertex gets the sum of the normals of the faces around it, each weighted by
    its face's area, normalised to unit length (zero for vertices used by no face).

    Args:
        vertices: (B, V, 3) positions.
        faces: (F, 3) long vertex indices.

    Returns:
        (B, V, 3) unit normals.
    """
    weighted = _raw_face_normals(vertices, faces)  # length 2 x area: area weighting for free
    corners = weighted.repeat_interleave(3, dim=1)  # (B, 3F, 3), rows follow faces.reshape(-1)
    summed = torch.zeros_like(vertices).index_add(1, faces.reshape(-1), corners)
    return torch.nn.functional.normalize(summed, dim=-1)


def mesh_edges(faces: torch.Tensor) -> torch.Tensor:
    """Unique undirected edges of a mesh.

    Args:
        faces: (F, 3) long vertex indices.

    Returns:
        (E, 2) long, each row ``(i, j)`` with ``i < j``, rows sorted lexicographically.
    """
    return _sorted_half_edges(faces)[0].unique(dim=0)


def _sorted_half_edges(faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The 3F face sides as ``(i, j)`` with ``i <= j`` (3F, 2) and the face each comes from (3F,)."""
    check_faces(faces)
    sides = torch.stack([faces, faces.roll(-1, dims=1)], dim=-1).reshape(-1, 2)
    owner = torch.arange(faces.shape[0], device=faces.device).repeat_interleave(3)
    return sides.sort(dim=1).values.long(), owner


def edge_lengths(vertices: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """Lengths of edges.

    Args:
        vertices: (B, V, 3) positions.
        edges: (E, 2) long vertex indices, as from :func:`mesh_edges`.

    Returns:
        (B, E) lengths.
    """
    check_points(vertices, "vertices")
    if not isinstance(edges, torch.Tensor) or edges.dim() != 2 or edges.shape[1] != 2 or edges.dtype not in _INDEX_DTYPES:
        shape = tuple(edges.shape) if isinstance(edges, torch.Tensor) else None
        raise PipelineError(f"edges must be an integer (E, 2) tensor, got {shape}")
    ends = index_vertices_by_faces(vertices, edges)  # (B, E, 2, 3)
    return torch.linalg.vector_norm(ends[:, :, 1] - ends[:, :, 0], dim=-1)


def edge_adjacent_faces(faces: torch.Tensor) -> torch.Tensor:
    """Pairs of faces that share an edge (for dihedral / flatten losses).

    Only edges used by exactly two faces count: boundary edges (one face) and
    non-manifold edges (three or more faces) are skipped.

    Args:
        faces: (F, 3) long vertex indices.

    Returns:
        (E_interior, 2) long face indices, the lower face index first, rows in the
        order of the shared edges in :func:`mesh_edges`.
    """
    sides, owner = _sorted_half_edges(faces)
    num_keys = int(faces.max()) + 1 if faces.numel() else 1
    keys = sides[:, 0] * num_keys + sides[:, 1]
    keys, order = keys.sort(stable=True)
    owner = owner[order]
    _, counts = keys.unique_consecutive(return_counts=True)
    first = counts.cumsum(0) - counts
    first = first[counts == 2]
    return torch.stack([owner[first], owner[first + 1]], dim=1)


def uniform_laplacian(num_vertices: int, faces: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Uniform (umbrella) Laplacian, Kaolin's definition.

    ``L[i, j] = 1 / num_neighbours(i)`` if ``i`` and ``j`` share an edge,
    ``L[i, i] = -1``, and 0 elsewhere; so ``L @ vertices`` moves each vertex to the
    mean of its neighbours minus itself. Rows of isolated vertices are ``-1`` on
    the diagonal only.

    Args:
        num_vertices: V.
        faces: (F, 3) long vertex indices.
        dtype: floating dtype of the result.

    Returns:
        (V, V) dense matrix on ``faces.device``.
    """
    if isinstance(num_vertices, bool) or not isinstance(num_vertices, int) or num_vertices <= 0:
        raise PipelineError(f"num_vertices must be a positive int, got {num_vertices!r}")
    edges = mesh_edges(faces)
    adjacency = torch.zeros(num_vertices, num_vertices, dtype=dtype, device=faces.device)
    adjacency[edges[:, 0], edges[:, 1]] = 1
    adjacency[edges[:, 1], edges[:, 0]] = 1
    degree = adjacency.sum(dim=1, keepdim=True).clamp(min=1)
    return adjacency / degree - torch.eye(num_vertices, dtype=dtype, device=faces.device)


def normalization(vertices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Centre and radius of :func:`normalize_vertices`: ``normalized = (vertices - centre) / radius``.

    Args:
        vertices: (V, 3) or (B, V, 3) positions.

    Returns:
        ``centre`` (1, 3) or (B, 1, 3), the bounding-box centre, and ``radius`` (1, 1) or (B, 1, 1),
        the largest distance of a vertex from it.

    Raises:
        PipelineError: on a wrong shape, or if all vertices of an item coincide.
    """
    batched = isinstance(vertices, torch.Tensor) and vertices.dim() == 3
    check_points(vertices, "vertices", batched=batched)
    if vertices.shape[-2] == 0:
        raise PipelineError("vertices must contain at least one vertex")
    centre = (vertices.amax(dim=-2, keepdim=True) + vertices.amin(dim=-2, keepdim=True)) / 2
    radius = torch.linalg.vector_norm(vertices - centre, dim=-1).amax(dim=-1, keepdim=True).unsqueeze(-1)
    if bool((radius <= 0).any()):
        raise PipelineError("vertices: cannot normalise a mesh whose vertices all coincide")
    return centre, radius


def normalize_vertices(vertices: torch.Tensor) -> torch.Tensor:
    """Centre the bounding box at the origin and scale so the farthest vertex is at distance 1.

    Args:
        vertices: (V, 3) or (B, V, 3) positions; batched inputs are normalised per item.

    Returns:
        Same shape and dtype as ``vertices``.

    Raises:
        PipelineError: on a wrong shape, or if all vertices of an item coincide.
    """
    centre, radius = normalization(vertices)
    return (vertices - centre) / radius
