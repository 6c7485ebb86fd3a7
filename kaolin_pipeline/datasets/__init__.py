"""Datasets: procedural shapes, mesh folders (ShapeNetCore, ModelNet), transforms, batching, caching."""
from kaolin_pipeline.datasets.collate import INDEX_PADDING, VERTEX_PADDING, collate_meshes, item_to_mesh, mesh_to_item
from kaolin_pipeline.datasets.synthetic import FAMILIES, SyntheticShapes, make_shape, procedural_texture
from kaolin_pipeline.datasets.types import Mesh, PointCloud, VoxelGrid

__all__ = [
    "FAMILIES", "INDEX_PADDING", "Mesh", "PointCloud", "SyntheticShapes", "VERTEX_PADDING", "VoxelGrid",
    "collate_meshes", "item_to_mesh", "make_shape", "mesh_to_item", "procedural_texture",
]
