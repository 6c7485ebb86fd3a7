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
    "fit_in_sphere",
    "unindex_vertices_by_faces",
    "adjacency_matrix",
    "average_face_vertex_features",
    "compute_vertex_normals",
    "uniform_laplacian_smoothing",
    "average_edge_length",
    "packed_face_areas",
    "vertex_tangents",
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


def interior_side_pairs(faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The two face sides of every edge that exactly two faces share.

    Side ``3 f + k`` of face ``f`` runs from its corner ``k`` to corner ``(k + 1) % 3``. Boundary edges
    (one face) and non-manifold edges (three or more faces) are skipped.

    Args:
        faces: (F, 3) long vertex indices.

    Returns:
        Two (E_interior,) long side indices, the lower first, in the order of the shared edges in
        :func:`mesh_edges`.
    """
    sides, _ = _sorted_half_edges(faces)
    num_keys = int(faces.max()) + 1 if faces.numel() else 1
    keys, order = (sides[:, 0] * num_keys + sides[:, 1]).sort(stable=True)
    _, counts = keys.unique_consecutive(return_counts=True)
    first = (counts.cumsum(0) - counts)[counts == 2]
    return order[first], order[first + 1]


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
    first, second = interior_side_pairs(faces)
    return torch.stack([first // 3, second // 3], dim=1)


def uniform_laplacian(num_vertices: int, faces: torch.Tensor, dtype: torch.dtype = torch.float32,
                      sparse: bool = False) -> torch.Tensor:
    """Uniform (umbrella) Laplacian, Kaolin's definition.

    ``L[i, j] = 1 / num_neighbours(i)`` if ``i`` and ``j`` share an edge,
    ``L[i, i] = -1``, and 0 elsewhere; so ``L @ vertices`` moves each vertex to the
    mean of its neighbours minus itself. Rows of isolated vertices are ``-1`` on
    the diagonal only.

    Args:
        num_vertices: V.
        faces: (F, 3) long vertex indices.
        dtype: floating dtype of the result.
        sparse: return a coalesced sparse COO matrix (memory in proportion to the edges, not V²).

    Returns:
        (V, V) matrix on ``faces.device``, dense unless ``sparse``.
    """
    check_faces(faces)
    if sparse:
        adjacency = adjacency_matrix(num_vertices, faces).coalesce()
        rows, cols = adjacency.indices()
        degree = torch.bincount(rows, minlength=num_vertices).clamp(min=1).to(dtype)
        diagonal = torch.arange(num_vertices, device=faces.device).expand(2, -1)
        values = torch.cat([1.0 / degree[rows], torch.full((num_vertices,), -1.0, dtype=dtype, device=faces.device)])
        return torch.sparse_coo_tensor(torch.cat([adjacency.indices(), diagonal], dim=1), values,
                                       (num_vertices, num_vertices), check_invariants=True).coalesce()
    adjacency = adjacency_matrix(num_vertices, faces, sparse=False).to(dtype)
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
    return fit_in_sphere(vertices)[0]


def fit_in_sphere(vertices: torch.Tensor, radius: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Centre the bounding box at the origin and scale so the farthest vertex is at distance ``radius``.

    The one "normalise into a sphere" of the project (recipes, data generator, viewer, transforms).

    Args:
        vertices: (V, 3) or (B, V, 3) positions; batched inputs are fitted per item.
        radius: the distance of the farthest vertex afterwards.

    Returns:
        ``(fitted, centre, scale)``: ``fitted`` of the shape and dtype of ``vertices``, ``centre`` (1, 3)
        or (B, 1, 3) the bounding-box centre and ``scale`` (1, 1) or (B, 1, 1), with
        ``fitted = (vertices - centre) * scale`` (up to rounding) and ``vertices = centre + fitted / scale``.

    Raises:
        PipelineError: on a wrong shape, or if all vertices of an item coincide.
    """
    centre, extent = normalization(vertices)
    return (vertices - centre) / extent * radius, centre, radius / extent


def _check_num_vertices(num_vertices) -> None:
    if isinstance(num_vertices, bool) or not isinstance(num_vertices, int) or num_vertices <= 0:
        raise PipelineError(f"num_vertices must be a positive int, got {num_vertices!r}")


def _check_polygons(faces: torch.Tensor, name: str = "faces") -> None:
    """Raise :class:`PipelineError` unless ``faces`` is an integer ``(F, K)`` tensor."""
    if not isinstance(faces, torch.Tensor) or faces.dim() != 2 or faces.dtype not in _INDEX_DTYPES:
        shape = tuple(faces.shape) if isinstance(faces, torch.Tensor) else type(faces).__name__
        raise PipelineError(f"{name} must be an integer (F, K) tensor of vertex indices, got {shape}")


def unindex_vertices_by_faces(face_vertex_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The inverse of :func:`index_vertices_by_faces`: one vertex per face corner.

    Args:
        face_vertex_features: (..., F, K, D) per-corner features, any leading batch dimensions.

    Returns:
        ``(vertex_features (..., F * K, D), faces (F, K) long)`` with ``faces[f, k] = f * K + k``, so
        ``index_vertices_by_faces`` of the result gives the input back.
    """
    if not isinstance(face_vertex_features, torch.Tensor) or face_vertex_features.dim() < 3:
        shape = tuple(face_vertex_features.shape) if isinstance(face_vertex_features, torch.Tensor) else None
        raise PipelineError(f"face_vertex_features must be a (..., F, K, D) tensor, got {shape}")
    *batch, num_faces, face_size, dim = face_vertex_features.shape
    faces = torch.arange(num_faces * face_size, device=face_vertex_features.device).reshape(num_faces, face_size)
    return face_vertex_features.reshape(*batch, num_faces * face_size, dim), faces


def adjacency_matrix(num_vertices: int, faces: torch.Tensor, sparse: bool = True) -> torch.Tensor:
    """Vertex adjacency of a mesh: ``A[i, j] = 1`` where a face side joins ``i`` and ``j``.

    Args:
        num_vertices: V.
        faces: (F, K) long vertex indices (any polygon size K; consecutive corners, and the
            last and first, are joined).
        sparse: return a coalesced sparse COO tensor (default) or a dense one.

    Returns:
        (V, V) float32, symmetric, on ``faces.device``.
    """
    _check_num_vertices(num_vertices)
    _check_polygons(faces)
    sides = torch.stack([faces, faces.roll(1, dims=1)], dim=-1).reshape(-1, 2).long()
    pairs = torch.cat([sides, sides.flip(1)]).unique(dim=0)
    if not sparse:
        dense = torch.zeros(num_vertices, num_vertices, device=faces.device)
        dense[pairs[:, 0], pairs[:, 1]] = 1
        return dense
    ones = torch.ones(pairs.shape[0], device=faces.device)
    return torch.sparse_coo_tensor(pairs.t(), ones, (num_vertices, num_vertices), check_invariants=False, is_coalesced=True)


def average_face_vertex_features(faces: torch.Tensor, face_features: torch.Tensor,
                                 num_vertices: int | None = None) -> torch.Tensor:
    """Per-vertex mean of per-face-corner features over the faces around each vertex.

    Args:
        faces: (F, K) long vertex indices, shared by the batch.
        face_features: (B, F, K, D) one feature per face corner.
        num_vertices: V; ``faces.max() + 1`` if not given.

    Returns:
        (B, V, D) means; zero for vertices used by no face.
    """
    _check_polygons(faces)
    if not isinstance(face_features, torch.Tensor) or face_features.dim() != 4 or face_features.shape[1:3] != faces.shape:
        shape = tuple(face_features.shape) if isinstance(face_features, torch.Tensor) else None
        raise PipelineError(f"face_features must be a (B, F, K, D) tensor with (F, K) = {tuple(faces.shape)}, got {shape}")
    if num_vertices is None:
        num_vertices = int(faces.max()) + 1 if faces.numel() else 0
    batch, _, _, dim = face_features.shape
    corners = faces.reshape(-1).long()
    summed = face_features.new_zeros(batch, num_vertices, dim).index_add(1, corners, face_features.reshape(batch, -1, dim))
    counts = face_features.new_zeros(num_vertices).index_add(0, corners, face_features.new_ones(corners.shape[0]))
    return summed / counts.clamp(min=1).reshape(1, -1, 1)


def compute_vertex_normals(faces: torch.Tensor, face_normals: torch.Tensor, num_vertices: int | None = None) -> torch.Tensor:
    """Vertex normals as the plain (unweighted, unnormalised) mean of the normals given at each face corner.

    Kaolin's ``compute_vertex_normals``; :func:`vertex_normals` is the area-weighted unit version
    computed from positions.

    Args:
        faces: (F, K) long vertex indices.
        face_normals: (B, F, K, 3) a normal per face corner.
        num_vertices: V; ``faces.max() + 1`` if not given.

    Returns:
        (B, V, 3).
    """
    return average_face_vertex_features(faces, face_normals, num_vertices=num_vertices)


def uniform_laplacian_smoothing(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """One step of uniform Laplacian smoothing: each vertex moves to the mean of its neighbours.

    Args:
        vertices: (B, V, 3) positions.
        faces: (F, 3) long vertex indices.

    Returns:
        (B, V, 3) smoothed positions ``L @ vertices + vertices`` with :func:`uniform_laplacian`'s ``L``
        (so, as in Kaolin, a vertex used by no face lands on the origin).
    """
    check_points(vertices, "vertices")
    laplacian = uniform_laplacian(vertices.shape[1], faces, dtype=vertices.dtype)
    return torch.matmul(laplacian, vertices) + vertices


def average_edge_length(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Mean length of the three sides of each face.

    Args:
        vertices: (B, V, 3) positions.
        faces: (F, 3) long vertex indices.

    Returns:
        (B, F) mean side lengths.
    """
    check_points(vertices, "vertices")
    check_faces(faces)
    corners = index_vertices_by_faces(vertices, faces)  # (B, F, 3, 3)
    sides = corners.roll(-1, dims=2) - corners
    return torch.linalg.vector_norm(sides, dim=-1).mean(dim=-1)


def packed_face_areas(vertices: torch.Tensor, first_idx_vertices: torch.Tensor, faces: torch.Tensor,
                      num_faces_per_mesh: torch.Tensor) -> torch.Tensor:
    """Face areas of meshes stored packed (Kaolin's packed layout).

    Args:
        vertices: (sum V_i, 3) positions of all meshes, one after the other.
        first_idx_vertices: (B + 1,) long, where each mesh's vertices start (last entry: the total).
        faces: (sum F_i, 3) long, each mesh's faces indexing its own vertices from 0.
        num_faces_per_mesh: (B,) long face counts.

    Returns:
        (sum F_i,) areas.
    """
    merged = packed_to_global_faces(first_idx_vertices, faces, num_faces_per_mesh)
    check_points(vertices, "vertices", batched=False)
    return face_areas(vertices.unsqueeze(0), merged)[0]


def packed_to_global_faces(first_idx_vertices: torch.Tensor, faces: torch.Tensor,
                           num_faces_per_mesh: torch.Tensor) -> torch.Tensor:
    """(sum F_i, 3) packed faces re-indexed into the packed vertex list (mesh ``i`` shifted by its first vertex)."""
    check_faces(faces)
    counts = torch.as_tensor(num_faces_per_mesh, device=faces.device).long().reshape(-1)
    starts = torch.as_tensor(first_idx_vertices, device=faces.device).long().reshape(-1)
    if starts.shape[0] != counts.shape[0] + 1:
        raise PipelineError(f"first_idx_vertices must have B + 1 = {counts.shape[0] + 1} entries, got {starts.shape[0]}")
    if faces.shape[0] != int(counts.sum()):
        raise PipelineError(f"faces has {faces.shape[0]} rows but num_faces_per_mesh sums to {int(counts.sum())}")
    return faces.long() + starts[:-1].repeat_interleave(counts).unsqueeze(1)


def vertex_tangents(faces: torch.Tensor, face_vertices: torch.Tensor, face_uvs: torch.Tensor,
                    vertex_normals: torch.Tensor) -> torch.Tensor:
    """Unit tangents along the texture's u direction, orthogonal to the normals (for normal maps).

    Each face's tangent solves ``e1 = du1 T + dv1 B``, ``e2 = du2 T + dv2 B`` for ``T``; every vertex
    sums the tangents of its faces, then is made orthogonal to its normal and unit length. A face
    whose UV triangle is degenerate has its UV determinant clamped to ±1e-6, as Kaolin does.

    Args:
        faces: (F, 3) long vertex indices.
        face_vertices: (F, 3, 3) corner positions.
        face_uvs: (F, 3, 2) corner UVs.
        vertex_normals: (V, 3) unit normals.

    Returns:
        (V, 3) unit tangents.
    """
    check_faces(faces)
    num_faces = faces.shape[0]
    if tuple(face_vertices.shape) != (num_faces, 3, 3) or tuple(face_uvs.shape) != (num_faces, 3, 2):
        raise PipelineError(f"face_vertices must be (F, 3, 3) and face_uvs (F, 3, 2) with F = {num_faces}, "
                            f"got {tuple(face_vertices.shape)} and {tuple(face_uvs.shape)}")
    check_points(vertex_normals, "vertex_normals", batched=False)
    uv1, uv2 = face_uvs[:, 1] - face_uvs[:, 0], face_uvs[:, 2] - face_uvs[:, 0]
    e1, e2 = face_vertices[:, 1] - face_vertices[:, 0], face_vertices[:, 2] - face_vertices[:, 0]
    det = uv1[:, 0] * uv2[:, 1] - uv1[:, 1] * uv2[:, 0]
    det = torch.where(det > 0, det.clamp(min=1e-6), det.clamp(max=-1e-6)).unsqueeze(1)
    face_tangents = (e1 * uv2[:, 1:] - e2 * uv1[:, 1:]) / det  # (F, 3)
    summed = torch.zeros_like(vertex_normals).index_add(0, faces.reshape(-1).long(), face_tangents.repeat_interleave(3, dim=0))
    tangents = torch.nn.functional.normalize(summed, dim=1)
    along_normal = (tangents * vertex_normals).sum(dim=-1, keepdim=True) * vertex_normals
    return torch.nn.functional.normalize(tangents - along_normal, dim=1)
