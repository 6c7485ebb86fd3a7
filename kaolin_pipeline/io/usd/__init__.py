"""Read and write meshes, point clouds and voxel grids as USD (usd-core / ``pxr``).

Modules: :mod:`.stage` (layers, stages, time samples), :mod:`.mesh`, :mod:`.points`, :mod:`.voxels`,
:mod:`.materials` (UsdPreviewSurface); for working on open stages as Kaolin does, :mod:`.scene` (a new stage,
a file or ``Usd.Stage`` argument, scene paths, authored times), :mod:`.transform` (a prim's local-to-world
matrix), :mod:`.subset` (GeomSubsets) and :mod:`.authoring` (Kaolin's ``add_mesh`` / ``add_pointcloud`` /
``add_voxelgrid`` layout, byte for byte). Everything public is re-exported here.

Layouts follow Kaolin's ``kaolin.io.usd`` so files move between the two:

* a mesh is a ``UsdGeom.Mesh`` with ``points``, ``faceVertexCounts``,
  ``faceVertexIndices``, face-varying ``primvars:st`` (``uvs[face_uvs_idx]``),
  vertex ``normals``, vertex ``primvars:displayColor`` and a bound
  ``UsdPreviewSurface`` material whose diffuse colour is a ``UsdUVTexture`` (a PNG
  under ``textures/`` next to the USD file) read through ``st`` by a
  ``UsdPrimvarReader_float2``;
* a point cloud is a ``UsdGeom.Points`` (widths, normals, displayColor) or a
  ``UsdGeom.PointInstancer`` of a radius-0.5 sphere at ``<prim>/sphere``;
* a voxel grid is a ``PointInstancer`` of a unit cube at ``<prim>/cube`` placed at the
  integer indices of occupied voxels, with ``primvars:grid_size`` and a
  translate + scale transform mapping indices to voxel centres; the grid's box is also
  kept exactly in ``kaolin_pipeline:origin`` / ``kaolin_pipeline:size``.

Time: ``time=None`` writes default values (a fresh file) and reads the default value,
or the latest time sample when there is none. Exporting with a ``time`` to an
existing file adds time samples to it; topology-like data (faces, UVs, grid box) is
written once as a default value and only turned into time samples if it changes.

Each ``write_*`` authoring function takes two stages: ``static`` receives the
structure and topology, ``samples`` the per-time values. Plain exports pass the same
stage twice; :mod:`kaolin_pipeline.export.timelapse` passes a small per-iteration
layer as ``samples`` (a USD value clip) so appending stays cheap.
"""
from kaolin_pipeline.io.textures import read_texture_png, write_texture_png
from kaolin_pipeline.io.usd.authoring import add_mesh, add_pointcloud, add_voxelgrid
from kaolin_pipeline.io.usd.materials import TEXTURE_DIR, bind_material, texture_file_name, write_preview_material
from kaolin_pipeline.io.usd.mesh import (
    DEFAULT_MESH_PATH,
    MeshPrim,
    export_mesh,
    export_meshes,
    get_raw_mesh_prim_geometry,
    import_mesh,
    import_mesh_prims,
    mesh_prim_paths,
    write_mesh,
)
from kaolin_pipeline.io.usd.points import (
    DEFAULT_POINTCLOUD_PATH,
    POINTS_TYPES,
    export_pointcloud,
    import_pointcloud,
    write_pointcloud,
)
from kaolin_pipeline.io.usd.scene import create_stage, get_authored_time_samples, get_scene_paths, prim_of, stage_of
from kaolin_pipeline.io.usd.subset import add_subset, import_subsets
from kaolin_pipeline.io.usd.transform import get_local_to_world_transform, set_local_to_world_transform
from kaolin_pipeline.io.usd.stage import (
    TimeArg,
    new_stage_layer,
    open_layer,
    resolve_time,
    sample_times,
    save_layer,
    set_static,
)
from kaolin_pipeline.io.usd.voxels import (
    DEFAULT_VOXELGRID_PATH,
    ORIGIN_ATTR,
    SIZE_ATTR,
    export_voxelgrid,
    import_voxelgrid,
    write_voxelgrid,
)

__all__ = [
    "export_mesh", "import_mesh", "export_pointcloud", "import_pointcloud", "export_voxelgrid", "import_voxelgrid",
    "write_mesh", "write_pointcloud", "write_voxelgrid", "write_preview_material", "bind_material",
    "MeshPrim", "export_meshes", "import_mesh_prims", "mesh_prim_paths", "get_raw_mesh_prim_geometry",
    "texture_file_name", "read_texture_png", "write_texture_png", "new_stage_layer", "open_layer", "save_layer",
    "resolve_time", "sample_times", "set_static", "TimeArg", "POINTS_TYPES", "DEFAULT_MESH_PATH",
    "DEFAULT_POINTCLOUD_PATH", "DEFAULT_VOXELGRID_PATH", "TEXTURE_DIR", "ORIGIN_ATTR", "SIZE_ATTR",
    "create_stage", "stage_of", "prim_of", "get_scene_paths", "get_authored_time_samples",
    "get_local_to_world_transform", "set_local_to_world_transform", "add_subset", "import_subsets",
    "add_mesh", "add_pointcloud", "add_voxelgrid",
]
