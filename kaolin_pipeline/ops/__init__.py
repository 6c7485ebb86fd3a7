"""Geometry on tensors: mesh gathers and normals, Laplacian, sampling, conversions, metrics."""
from kaolin_pipeline.ops.mesh import (
    edge_adjacent_faces,
    edge_lengths,
    face_areas,
    face_normals,
    index_vertices_by_faces,
    mesh_edges,
    normalize_vertices,
    uniform_laplacian,
    vertex_normals,
)

__all__ = [
    "edge_adjacent_faces",
    "edge_lengths",
    "face_areas",
    "face_normals",
    "index_vertices_by_faces",
    "mesh_edges",
    "normalize_vertices",
    "uniform_laplacian",
    "vertex_normals",
]
