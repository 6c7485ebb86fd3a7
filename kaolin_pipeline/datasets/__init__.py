"""Datasets: procedural shapes, mesh folders (ShapeNetCore, ModelNet), the shape-source grammar, transforms,
batching, caching (the project's checksummed item cache, and Kaolin's per-field and preprocessing caches).

Items are dicts with ``vertices (V, 3)``, ``faces (F, 3)``, optional ``uvs``, ``face_uvs_idx``,
``vertex_colors``, ``texture``, ``materials`` + ``material_assignments``, plus ``category`` and
``path`` (see :mod:`.collate`).
File readers and writers live in :mod:`kaolin_pipeline.io`; this package holds collections of shapes.
"""
from kaolin_pipeline.datasets.cache import CachedDataset, ItemCache
from kaolin_pipeline.datasets.field_cache import FieldCachedDataset
from kaolin_pipeline.datasets.processed import CombinationDataset, FunctionCache, KaolinDatasetItem, ProcessedDataset
from kaolin_pipeline.datasets.collate import INDEX_PADDING, VERTEX_PADDING, collate_meshes, item_to_mesh, mesh_to_item
from kaolin_pipeline.datasets.folders import MeshFileDataset, MeshFolder, ModelNet, ShapeNetCore, hash_split
from kaolin_pipeline.datasets.sources import ShapeSource, open_source
from kaolin_pipeline.datasets.shapenet_synsets import NAME_TO_SYNSET, SYNSET_TO_NAME, synset_id
from kaolin_pipeline.datasets.synthetic import FAMILIES, SyntheticShapes, make_shape, procedural_texture
from kaolin_pipeline.datasets.transforms import Compose, Normalize, SamplePoints, Transform, Voxelize

__all__ = [
    "CachedDataset", "CombinationDataset", "Compose", "FAMILIES", "FieldCachedDataset", "FunctionCache",
    "INDEX_PADDING", "ItemCache", "KaolinDatasetItem", "MeshFileDataset", "MeshFolder", "ModelNet",
    "NAME_TO_SYNSET", "Normalize", "ProcessedDataset", "SYNSET_TO_NAME", "SamplePoints", "ShapeNetCore",
    "ShapeSource", "SyntheticShapes", "Transform", "VERTEX_PADDING", "Voxelize", "collate_meshes", "hash_split",
    "item_to_mesh", "make_shape", "mesh_to_item", "open_source", "procedural_texture", "synset_id",
]
