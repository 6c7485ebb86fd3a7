"""File formats: readers and writers of meshes, point clouds and voxel grids.

``load_mesh``/``save_mesh``, ``load_pointcloud``/``save_pointcloud`` and ``load_voxelgrid``/``save_voxelgrid``
dispatch on the file extension. USD lives in :mod:`kaolin_pipeline.io.usd` (imported lazily: ``pxr`` is slow
to load). Every reader validates what it returns and raises :class:`kaolin_pipeline.errors.LoadError` naming the
file; every writer is atomic and raises :class:`kaolin_pipeline.errors.SaveError`.
"""
from kaolin_pipeline.io.mesh import MESH_EXTENSIONS, load_mesh, save_mesh
from kaolin_pipeline.io.pointcloud import POINTCLOUD_EXTENSIONS, load_pointcloud, save_pointcloud
from kaolin_pipeline.io.voxelgrid import VOXELGRID_EXTENSIONS, load_voxelgrid, save_voxelgrid

__all__ = [
    "MESH_EXTENSIONS", "load_mesh", "save_mesh", "POINTCLOUD_EXTENSIONS", "load_pointcloud", "save_pointcloud",
    "VOXELGRID_EXTENSIONS", "load_voxelgrid", "save_voxelgrid",
]
