"""File formats: readers and writers of meshes, point clouds and voxel grids.

``load_mesh``/``save_mesh``, ``load_pointcloud``/``save_pointcloud`` and ``load_voxelgrid``/``save_voxelgrid``
dispatch on the file extension. One module per format family, as Kaolin's ``kaolin.io``: ``obj`` (OBJ + MTL),
``off``, ``gltf`` (glTF / GLB), ``trimesh_formats`` (PLY, STL), ``pointcloud``, ``voxelgrid``, ``textures``
(texture images), and the ``usd`` package (``stage``, ``mesh``, ``points``, ``voxels``, ``materials``; imported
lazily: ``pxr`` is slow to load). Every reader validates what it returns and raises :class:`kaolin_pipeline.errors.LoadError` naming the
file; every writer is atomic and raises :class:`kaolin_pipeline.errors.SaveError`.
"""
from kaolin_pipeline.io.mesh import MESH_EXTENSIONS, load_mesh, save_mesh
from kaolin_pipeline.io.pointcloud import POINTCLOUD_EXTENSIONS, load_pointcloud, save_pointcloud
from kaolin_pipeline.io.voxelgrid import VOXELGRID_EXTENSIONS, load_voxelgrid, save_voxelgrid

__all__ = [
    "MESH_EXTENSIONS", "load_mesh", "save_mesh", "POINTCLOUD_EXTENSIONS", "load_pointcloud", "save_pointcloud",
    "VOXELGRID_EXTENSIONS", "load_voxelgrid", "save_voxelgrid",
]
