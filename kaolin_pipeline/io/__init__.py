"""File formats: readers and writers of meshes, point clouds and voxel grids.

``load_mesh``/``save_mesh``, ``load_pointcloud``/``save_pointcloud`` and ``load_voxelgrid``/``save_voxelgrid``
dispatch on the file extension through one table, :data:`.formats.FORMATS` (kind, extension, reader,
writer, backend, module imported on first use), which also serves ``doctor`` and ``info``;
``kind_of(path)`` says whether a file holds a mesh, a point cloud or a voxel grid. One module per format family, as Kaolin's ``kaolin.io``: ``obj`` (OBJ + MTL),
``off``, ``gltf`` (glTF / GLB), ``trimesh_formats`` (PLY, STL), ``pointcloud``, ``voxelgrid``, ``textures``
(texture images), and the ``usd`` package (``stage``, ``mesh``, ``points``, ``voxels``, ``materials``; imported
lazily: ``pxr`` is slow to load). Every reader validates what it returns and raises :class:`kaolin_pipeline.errors.LoadError` naming the
file; every writer is atomic and raises :class:`kaolin_pipeline.errors.SaveError`.

Conventions shared by every format:

* UVs have their origin at the **bottom-left** of the texture (v up): the values OBJ and USD store,
  unchanged; glTF stores v downward and is converted in :mod:`.gltf` only. (Kaolin 0.18's OBJ and
  USD importers return ``1 - v``; :mod:`kaolin_pipeline.kaolin` converts at its boundary.)
* Textures are ``(C, H, W)`` float32 with row 0 the **top** of the image, colours in [0, 1],
  normal maps in [-1, 1] (:mod:`.textures`).
* Faces are counter-clockwise seen from outside; polygons are fan-triangulated from their first corner.
* Materials: ``Mesh.materials`` (list of :class:`~kaolin_pipeline.structures.PBRMaterial`) and
  ``Mesh.material_assignments (F,)`` (-1: none), read and written by OBJ+MTL, glTF/GLB and USD;
  PLY, STL and OFF hold none. See :class:`~kaolin_pipeline.structures.Mesh` for how ``texture``
  relates to them.
* No unit conversion: coordinates come as written.
"""
from kaolin_pipeline.io.formats import kind_of
from kaolin_pipeline.io.mesh import MESH_EXTENSIONS, load_mesh, save_mesh
from kaolin_pipeline.io.pointcloud import POINTCLOUD_EXTENSIONS, load_pointcloud, save_pointcloud
from kaolin_pipeline.io.voxelgrid import VOXELGRID_EXTENSIONS, load_voxelgrid, save_voxelgrid

__all__ = [
    "MESH_EXTENSIONS", "load_mesh", "save_mesh", "POINTCLOUD_EXTENSIONS", "load_pointcloud", "save_pointcloud",
    "VOXELGRID_EXTENSIONS", "load_voxelgrid", "save_voxelgrid", "kind_of",
]
