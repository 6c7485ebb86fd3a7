"""Geometry on tensors: mesh gathers and normals, Laplacian, sampling, conversions, metrics."""
from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid, pointcloud_to_voxelgrid, voxelgrid_to_mesh
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
from kaolin_pipeline.ops.metrics import (
    chamfer_distance,
    f_score,
    iou,
    mask_iou,
    mask_iou_score,
    nearest_distances,
    sided_distance,
    voxel_iou,
)
from kaolin_pipeline.ops.sampling import sample_points

__all__ = [
    "chamfer_distance",
    "edge_adjacent_faces",
    "edge_lengths",
    "f_score",
    "face_areas",
    "face_normals",
    "index_vertices_by_faces",
    "iou",
    "mask_iou",
    "mask_iou_score",
    "mesh_edges",
    "mesh_to_voxelgrid",
    "nearest_distances",
    "normalize_vertices",
    "pointcloud_to_voxelgrid",
    "sample_points",
    "sided_distance",
    "uniform_laplacian",
    "vertex_normals",
    "voxel_iou",
    "voxelgrid_to_mesh",
]
