"""``kaolin.ops.mesh.mesh``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.mesh import (
    adjacency_matrix,
    average_face_vertex_features,
    compute_vertex_normals,
    index_vertices_by_faces,
    unindex_vertices_by_faces,
    uniform_laplacian,
)

__all__ = ["adjacency_matrix", "average_face_vertex_features", "compute_vertex_normals", "index_vertices_by_faces",
           "unindex_vertices_by_faces", "uniform_laplacian"]
__getattr__ = missing_names(__name__, __all__)
