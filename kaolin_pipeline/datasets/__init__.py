"""Datasets: procedural shapes, mesh folders (ShapeNetCore, ModelNet), transforms, batching, caching.

Items are dicts with ``vertices (V, 3)``, ``faces (F, 3)``, optional ``uvs``, ``face_uvs_idx``,
``vertex_colors``, ``texture``, plus ``category`` and ``path`` (see :mod:`.collate`).
USD import/export lives in :mod:`kaolin_pipeline.datasets.usd` (not imported here: ``pxr`` is slow to load).
"""
from kaolin_pipeline.datasets.cache import CachedDataset, ItemCache
from kaolin_pipeline.datasets.collate import INDEX_PADDING, VERTEX_PADDING, collate_meshes, item_to_mesh, mesh_to_item
from kaolin_pipeline.datasets.folders import MeshFileDataset, MeshFolder, ModelNet, ShapeNetCore, hash_split
from kaolin_pipeline.datasets.mesh_io import MESH_EXTENSIONS, load_mesh, save_mesh
from kaolin_pipeline.datasets.pointcloud_io import POINTCLOUD_EXTENSIONS, load_pointcloud, save_pointcloud
from kaolin_pipeline.datasets.shapenet_synsets import NAME_TO_SYNSET, SYNSET_TO_NAME, synset_id
from kaolin_pipeline.datasets.synthetic import FAMILIES, SyntheticShapes, make_shape, procedural_texture
from kaolin_pipeline.datasets.transforms import Compose, Normalize, SamplePoints, Transform, Voxelize
from kaolin_pipeline.structures import Mesh, PointCloud, VoxelGrid
from kaolin_pipeline.datasets.voxelgrid_io import VOXELGRID_EXTENSIONS, load_voxelgrid, save_voxelgrid

__all__ = [
    "CachedDataset", "Compose", "FAMILIES", "INDEX_PADDING", "ItemCache", "MESH_EXTENSIONS", "Mesh", "MeshFileDataset",
    "MeshFolder", "ModelNet", "NAME_TO_SYNSET", "Normalize", "PointCloud", "SYNSET_TO_NAME", "SamplePoints",
    "ShapeNetCore", "SyntheticShapes", "Transform", "VERTEX_PADDING", "VoxelGrid", "Voxelize", "collate_meshes",
    "hash_split", "item_to_mesh", "load_mesh", "make_shape", "mesh_to_item", "procedural_texture", "save_mesh",
    "synset_id", "POINTCLOUD_EXTENSIONS", "load_pointcloud", "save_pointcloud", "VOXELGRID_EXTENSIONS",
    "load_voxelgrid", "save_voxelgrid",
]
