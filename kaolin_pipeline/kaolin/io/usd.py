"""``kaolin.io.usd`` meshes, point clouds and voxel grids over :mod:`kaolin_pipeline.io.usd`.

Signatures are Kaolin 0.18's; what differs is refused with a :class:`PipelineError` naming the argument:
a ``Usd.Stage`` instead of a file path, ``local_to_world`` transforms, an ``up_axis`` other than ``'Y'``,
``heterogeneous_mesh_handler``, and per-corner ``face_normals`` on export. Exporting over an existing file
needs ``overwrite=True`` (Kaolin's rule), unless ``time`` adds a time sample to it. Without times, a file holds
one prim: ``export_pointclouds``/``export_voxelgrids`` of several items refuse rather than keep only the last.
"""
from __future__ import annotations

import collections
import os
import warnings
from pathlib import Path
from typing import Optional, Sequence

import torch
from pxr import Usd

from kaolin_pipeline.errors import LoadError, NonHomogeneousMeshError, OutputExistsError, PipelineError
from kaolin_pipeline.io.polygons import (
    heterogeneous_mesh_handler_naive_homogenize,
    heterogeneous_mesh_handler_skip,
    mesh_handler_naive_triangulate,
)
from kaolin_pipeline.io import usd
from kaolin_pipeline.kaolin._convert import flip_v, refuse_unsupported, surface_mesh
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh
from kaolin_pipeline.structures import Mesh, PointCloud, VoxelGrid

__all__ = ["export_mesh", "export_meshes", "export_pointcloud", "export_pointclouds", "export_voxelgrid", "export_voxelgrids",
           "get_mesh_scene_paths", "heterogeneous_mesh_handler_naive_homogenize", "heterogeneous_mesh_handler_skip",
           "import_mesh", "import_meshes", "import_pointcloud", "import_pointclouds", "import_voxelgrid",
           "import_voxelgrids", "mesh_handler_naive_triangulate"]

_TRIANGULATING = (mesh_handler_naive_triangulate, heterogeneous_mesh_handler_naive_homogenize)

#: Kaolin's return type of the point cloud importers.
pointcloud_return_type = collections.namedtuple("pointcloud_return_type", ["points", "colors", "normals", "transform"])


def _file_path(file_path_or_stage, function: str) -> Path:
    if not isinstance(file_path_or_stage, (str, os.PathLike)):
        raise PipelineError(f"{function}: file_path_or_stage must be a file path here; a "
                            f"{type(file_path_or_stage).__name__} (Usd.Stage) is read only by the mesh importers")
    return Path(file_path_or_stage)


def _source(file_path_or_stage):
    """A ``Usd.Stage`` as it is, else the path."""
    return file_path_or_stage if isinstance(file_path_or_stage, Usd.Stage) else Path(file_path_or_stage)


def _check_new_file(path: Path, overwrite: bool, time, function: str) -> None:
    if path.exists() and not overwrite and time is None:
        raise OutputExistsError(f"{path}: already exists; {function} overwrites it only with overwrite=True "
                        "(or give a time to add a time sample)")


def _deprecated(function: str, **new_names: str):
    """A check that warns (``DeprecationWarning``) for each old keyword given a value, naming its new name."""
    def check(*values) -> None:
        for (old, new), value in zip(new_names.items(), values):
            if value is not None:
                warnings.warn(f"kaolin.io.usd.{function}: {old} is deprecated; use {new}", DeprecationWarning,
                              stacklevel=3)
    return check


def _check_one_per_file(count: int, times: list, function: str) -> None:
    if count > 1 and times[0] is None:
        raise PipelineError(f"{function}: kaolin-pipeline writes one prim per file when no times are given "
                            f"(got {count}); write them to separate files")


def _times(times: Optional[Sequence], count: int, function: str) -> list:
    if times is None:
        return [None] * count
    if len(times) != count:
        raise PipelineError(f"{function}: times has {len(times)} entries for {count} scene paths")
    return list(times)


# ---------------------------------------------------------------------- meshes

def get_mesh_scene_paths(file_path_or_stage, scene_path: Optional[str] = None) -> list[str]:
    """Paths of the Mesh prims of a USD file or ``Usd.Stage``, only those at or below ``scene_path`` if given."""
    return usd.mesh_prim_paths(_source(file_path_or_stage), scene_path)


def _kaolin_mesh(prim: "usd.MeshPrim", with_materials: bool, with_normals: bool) -> SurfaceMesh:
    """Kaolin's USD layout: uvs (``v' = 1 - v``), ``face_normals (F, 3, 3)`` for face-varying normals or
    ``vertex_normals`` for vertex ones (``with_normals``), materials sorted by path (``with_materials``), and
    the prim's local-to-world ``transform`` (4, 4) (None for identity)."""
    mesh = prim.mesh
    result = surface_mesh(mesh, with_uvs=True, with_normals=False, with_materials=with_materials)
    if with_normals:
        result.vertex_normals = mesh.vertex_normals
        if mesh.normals is not None:
            result.face_normals = mesh.normals[mesh.face_normals_idx]
    result.transform = prim.transform
    return result


def _homogeneous(prim: "usd.MeshPrim", handler, triangulate: bool, source) -> bool:
    """Whether to keep the (fan-triangulated) mesh: False when ``heterogeneous_mesh_handler_skip`` skips it."""
    counts = prim.corner_counts
    if counts <= {3}:
        return True
    if len(counts) > 1 and handler is heterogeneous_mesh_handler_skip:
        return False
    if handler is not None and handler not in _TRIANGULATING:
        refuse_unsupported("kaolin.io.usd.import_meshes",
                           heterogeneous_mesh_handler=(handler, mesh_handler_naive_triangulate))
    if len(counts) > 1 and handler is None and not triangulate:
        raise NonHomogeneousMeshError(f"{source}: mesh {prim.path} has faces of {sorted(counts)} corners; pass "
                                      "triangulate=True or heterogeneous_mesh_handler (see kaolin.io.utils)")
    if len(counts) == 1 and not triangulate:
        raise LoadError(f"{source}: mesh {prim.path} has faces of {counts.pop()} corners; pass triangulate=True "
                        "to split them into triangles (kaolin-pipeline does not keep polygons)")
    return True


def import_meshes(file_path_or_stage, scene_paths: Optional[Sequence[str]] = None, with_materials: bool = False,
                  with_normals: bool = False, heterogeneous_mesh_handler=None, times: Optional[Sequence] = None,
                  triangulate: bool = False, return_list: bool = True):
    """Each Mesh prim (all, or ``scene_paths``) of a USD file or ``Usd.Stage`` as an unbatched
    :class:`SurfaceMesh` in its own coordinates, with its local-to-world ``transform`` stored (not applied).

    Polygons: fan-triangulated with ``triangulate=True`` or a triangulating ``heterogeneous_mesh_handler``;
    ``heterogeneous_mesh_handler_skip`` leaves out meshes of mixed corner counts.

    Returns:
        a list, or with ``return_list=False`` a dict by scene path.

    Raises:
        NonHomogeneousMeshError: mixed corner counts with neither ``triangulate`` nor a handler.
        LoadError: bad file or prim; quads (or larger) only and ``triangulate`` False.
    """
    source = _source(file_path_or_stage)
    if scene_paths is not None:
        _times(times, len(scene_paths), "kaolin.io.usd.import_meshes")
    prims = usd.import_mesh_prims(source, scene_paths, times)
    meshes = {prim.path: _kaolin_mesh(prim, with_materials, with_normals) for prim in prims
              if _homogeneous(prim, heterogeneous_mesh_handler, triangulate, source)}
    return list(meshes.values()) if return_list else meshes


def import_mesh(file_path_or_stage, scene_path: Optional[str] = None, with_materials: bool = False,
                with_normals: bool = False, heterogeneous_mesh_handler=None, time=None,
                triangulate: bool = False) -> Optional[SurfaceMesh]:
    """Every Mesh prim at or below ``scene_path`` (default: all) merged into one unbatched
    :class:`SurfaceMesh` in world space (:meth:`SurfaceMesh.flatten`, materials grouped by name); None if
    there is none. Attributes and polygon handling as :func:`import_meshes`."""
    paths = get_mesh_scene_paths(file_path_or_stage, scene_path)
    meshes = import_meshes(file_path_or_stage, paths, with_materials, with_normals, heterogeneous_mesh_handler,
                           None if time is None else [time] * len(paths), triangulate)
    if not meshes:
        return None
    if len(meshes) == 1:
        return meshes[0].as_transformed()
    return SurfaceMesh.flatten(meshes, group_materials_by_name=True)


def _mesh_for_export(vertices, faces, uvs, face_uvs_idx, face_normals, material_assignments, materials) -> Mesh:
    """Our :class:`Mesh` of Kaolin's export arguments (``uvs`` in Kaolin's ``v' = 1 - v``; ``face_normals``
    (F, 3, 3) one normal per face corner)."""
    if vertices is None or faces is None:
        raise PipelineError("kaolin.io.usd.export_mesh(es): vertices and faces are required by kaolin-pipeline")
    if materials is not None and material_assignments is None:
        material_assignments = torch.zeros(faces.shape[0], dtype=torch.long)
    mesh = Mesh(vertices=vertices, faces=faces, uvs=flip_v(uvs), face_uvs_idx=face_uvs_idx, materials=materials,
                material_assignments=None if material_assignments is None else material_assignments.long())
    if face_normals is not None:
        mesh.normals = face_normals.reshape(-1, 3)
        mesh.face_normals_idx = torch.arange(mesh.normals.shape[0], device=faces.device).reshape(faces.shape)
    return mesh


def export_mesh(file_path, scene_path: str = "/World/Meshes/mesh_0", vertices: Optional[torch.Tensor] = None,
                faces: Optional[torch.Tensor] = None, uvs: Optional[torch.Tensor] = None,
                face_uvs_idx: Optional[torch.Tensor] = None, face_normals: Optional[torch.Tensor] = None,
                material_assignments: Optional[torch.Tensor] = None, materials: Optional[list] = None,
                local_to_world: Optional[torch.Tensor] = None, up_axis: str = "Y", time=None,
                overwrite_textures: bool = False, overwrite: bool = False):
    """Write one mesh (``vertices (V, 3)``, ``faces (F, 3)``, optional Kaolin-convention ``uvs``,
    ``face_normals (F, 3, 3)`` and ``materials`` (:class:`PBRMaterial`) with ``material_assignments (F,)``) to USD.

    Returns:
        the written ``Usd.Stage``, as Kaolin does.
    """
    return export_meshes(file_path, [scene_path], [vertices], [faces], [uvs], [face_uvs_idx], [face_normals],
                         [material_assignments], [materials], local_to_world, up_axis,
                         None if time is None else [time], overwrite_textures, overwrite)


def export_meshes(file_path, scene_paths: Optional[Sequence[str]] = None, vertices=None, faces=None, uvs=None,
                  face_uvs_idx=None, face_normals=None, material_assignments=None, materials=None,
                  local_to_world=None, up_axis: str = "Y", times: Optional[Sequence] = None,
                  overwrite_textures: bool = False, overwrite: bool = False):
    """Write meshes as prims of one USD file (default ``/World/Meshes/mesh_<i>``); each argument is a list
    (or a batched tensor) with one entry per mesh, shapes as :func:`export_mesh`. All ``times`` must be equal.

    Returns:
        the written ``Usd.Stage``.

    Raises:
        FileExistsError: the file exists, without ``overwrite=True`` or a time.
    """
    refuse_unsupported("kaolin.io.usd.export_meshes", local_to_world=(local_to_world, None), up_axis=(up_axis, "Y"))
    if vertices is None or faces is None:
        raise PipelineError("kaolin.io.usd.export_meshes: vertices and faces are required by kaolin-pipeline")
    count = len(vertices)
    paths = list(scene_paths) if scene_paths is not None else [f"/World/Meshes/mesh_{i}" for i in range(count)]
    times = _times(times, count, "kaolin.io.usd.export_meshes")
    if len(set(times)) > 1:
        raise PipelineError("kaolin.io.usd.export_meshes: kaolin-pipeline writes all meshes at one time; "
                            f"got times {times}")

    def item(values, i):
        if values is None:
            return None
        return values if (torch.is_tensor(values) and values.dim() == 2 and i >= 0 and values is faces) else values[i]

    meshes = [_mesh_for_export(vertices[i], item(faces, i), item(uvs, i), item(face_uvs_idx, i),
                               item(face_normals, i), item(material_assignments, i), item(materials, i))
              for i in range(count)]
    path = Path(file_path)
    _check_new_file(path, overwrite, times[0], "kaolin.io.usd.export_meshes")
    usd.export_meshes(path, meshes, paths, time=times[0])
    return Usd.Stage.Open(str(path))


# ---------------------------------------------------------------------- point clouds

def import_pointcloud(file_path_or_stage, scene_path: Optional[str] = None, time=None) -> pointcloud_return_type:
    """Read one point cloud prim as Kaolin's ``(points, colors, normals, transform)`` namedtuple."""
    path = _file_path(file_path_or_stage, "kaolin.io.usd.import_pointcloud")
    cloud = usd.import_pointcloud(path, time=time, prim_path=scene_path)
    return pointcloud_return_type(cloud.points, cloud.colors, cloud.normals, None)


def import_pointclouds(file_path_or_stage, scene_paths: Optional[Sequence[str]] = None,
                       times: Optional[Sequence] = None, return_list: bool = True):
    """Read point clouds at ``scene_paths`` (default: the first point cloud prim only)."""
    paths = list(scene_paths) if scene_paths is not None else [None]
    clouds = [import_pointcloud(file_path_or_stage, scene_path, time)
              for scene_path, time in zip(paths, _times(times, len(paths), "kaolin.io.usd.import_pointclouds"))]
    return clouds if return_list else dict(zip(paths, clouds))


def export_pointcloud(file_path, scene_path: str = "/World/PointClouds/pointcloud_0",
                      points: Optional[torch.Tensor] = None, colors: Optional[torch.Tensor] = None,
                      local_to_world: Optional[torch.Tensor] = None, up_axis: str = "Y", time=None,
                      points_type: str = "point_instancer", overwrite: bool = False,
                      pointcloud: Optional[torch.Tensor] = None, color: Optional[torch.Tensor] = None):
    """Write one point cloud ``(N, 3)`` (``points``; ``pointcloud``/``color`` are Kaolin's deprecated names and
    warn) to USD; returns the stage."""
    _deprecated("export_pointcloud", pointcloud="points", color="colors")(pointcloud, color)
    return export_pointclouds(file_path, [scene_path], [points if points is not None else pointcloud],
                              [colors if colors is not None else color], local_to_world, up_axis,
                              None if time is None else [time], points_type, overwrite)


def export_pointclouds(file_path, scene_paths: Optional[Sequence[str]] = None,
                       points: Optional[Sequence[torch.Tensor]] = None, colors: Optional[Sequence] = None,
                       local_to_world=None, up_axis: str = "Y", times: Optional[Sequence] = None,
                       points_type: str = "point_instancer", overwrite: bool = False,
                       pointclouds: Optional[Sequence[torch.Tensor]] = None):
    """Write point clouds to USD (``pointcloud_<i>`` under ``/World/PointClouds`` by default; ``pointclouds`` is
    Kaolin's deprecated name of ``points`` and warns); returns the stage."""
    _deprecated("export_pointclouds", pointclouds="points")(pointclouds)
    refuse_unsupported("kaolin.io.usd.export_pointclouds", local_to_world=(local_to_world, None),
                       up_axis=(up_axis, "Y"))
    clouds = list(points if points is not None else (pointclouds or []))
    if not clouds:
        raise PipelineError("kaolin.io.usd.export_pointclouds: no points given")
    paths = list(scene_paths) if scene_paths is not None else \
        [f"/World/PointClouds/pointcloud_{i}" for i in range(len(clouds))]
    colors = list(colors) if colors is not None else [None] * len(clouds)
    path = Path(file_path)
    times = _times(times, len(clouds), "kaolin.io.usd.export_pointclouds")
    _check_one_per_file(len(clouds), times, "kaolin.io.usd.export_pointclouds")
    _check_new_file(path, overwrite, times[0], "kaolin.io.usd.export_pointclouds")
    if overwrite and times[0] is None and path.exists():
        path.unlink()
    for scene_path, cloud, colour, time in zip(paths, clouds, colors, times):
        usd.export_pointcloud(path, PointCloud(points=cloud, colors=colour), time=time, prim_path=scene_path,
                              points_type=points_type)
    return Usd.Stage.Open(str(path))


# ---------------------------------------------------------------------- voxel grids

def import_voxelgrid(file_path_or_stage, scene_path: Optional[str] = None, time=None) -> torch.Tensor:
    """Read one voxel grid prim as Kaolin does: its ``(R, R, R)`` bool occupancy."""
    path = _file_path(file_path_or_stage, "kaolin.io.usd.import_voxelgrid")
    return usd.import_voxelgrid(path, time=time, prim_path=scene_path).occupancy


def import_voxelgrids(file_path_or_stage, scene_paths: Optional[Sequence[str]] = None,
                      times: Optional[Sequence] = None) -> list[torch.Tensor]:
    """Read voxel grids at ``scene_paths`` (default: the first voxel grid prim only) as occupancies."""
    paths = list(scene_paths) if scene_paths is not None else [None]
    return [import_voxelgrid(file_path_or_stage, scene_path, time)
            for scene_path, time in zip(paths, _times(times, len(paths), "kaolin.io.usd.import_voxelgrids"))]


def export_voxelgrid(file_path, voxelgrid: torch.Tensor, scene_path: str = "/World/VoxelGrids/voxelgrid_0",
                     time=None, overwrite: bool = False):
    """Write one ``(R, R, R)`` occupancy (non-zero = occupied) to USD; returns the stage."""
    return export_voxelgrids(file_path, [voxelgrid], [scene_path], None if time is None else [time], overwrite)


def export_voxelgrids(file_path, voxelgrids: Sequence[torch.Tensor], scene_paths: Optional[Sequence[str]] = None,
                      times: Optional[Sequence] = None, overwrite: bool = False):
    """Write ``(R, R, R)`` occupancies to USD, each scaled into the unit cube as Kaolin does; returns the stage."""
    paths = list(scene_paths) if scene_paths is not None else \
        [f"/World/VoxelGrids/voxelgrid_{i}" for i in range(len(voxelgrids))]
    path = Path(file_path)
    times = _times(times, len(voxelgrids), "kaolin.io.usd.export_voxelgrids")
    _check_one_per_file(len(voxelgrids), times, "kaolin.io.usd.export_voxelgrids")
    _check_new_file(path, overwrite, times[0] if times else None, "kaolin.io.usd.export_voxelgrids")
    if overwrite and (not times or times[0] is None) and path.exists():
        path.unlink()
    for scene_path, occupancy, time in zip(paths, voxelgrids, times):
        grid = VoxelGrid(occupancy=torch.as_tensor(occupancy) != 0, origin=torch.full((3,), -0.5), size=1.0)
        usd.export_voxelgrid(path, grid, time=time, prim_path=scene_path)
    return Usd.Stage.Open(str(path))


__getattr__ = missing_names(__name__, __all__)
