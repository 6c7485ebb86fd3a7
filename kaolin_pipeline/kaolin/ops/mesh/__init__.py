"""``kaolin.ops.mesh``: per-face and per-vertex geometry, sampling, subdivision (``kaolin_pipeline.ops``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.ops.mesh.mesh import (
    adjacency_matrix,
    average_face_vertex_features,
    compute_vertex_normals,
    index_vertices_by_faces,
    unindex_vertices_by_faces,
    uniform_laplacian,
)
from kaolin_pipeline.kaolin.ops.mesh.trianglemesh import (
    face_areas,
    face_normals,
    packed_face_areas,
    packed_sample_points,
    sample_points,
    subdivide_trianglemesh,
    vertex_tangents,
)

__all__ = [
    "adjacency_matrix", "average_face_vertex_features", "compute_vertex_normals", "face_areas", "face_normals",
    "index_vertices_by_faces", "packed_face_areas", "packed_sample_points", "sample_points",
    "subdivide_trianglemesh", "unindex_vertices_by_faces", "uniform_laplacian", "vertex_tangents",
]
__getattr__ = missing_names(__name__, __all__)
