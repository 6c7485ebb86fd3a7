"""``kaolin.io.usd.mesh``: meshes as Kaolin writes and reads them.

Exports write Kaolin's layout (:func:`kaolin_pipeline.io.usd.authoring.add_mesh`: polygons kept, ``st`` with its
indices, face-varying normals, a matrix xform for ``local_to_world``) into a new file (``overwrite=True`` to
replace one). Imports give Kaolin's :class:`SurfaceMesh`: ``import_meshes`` each prim in its own coordinates
with its ``transform``, ``import_mesh`` all merged in world space; ``up_axis`` other than ``'Y'`` and
per-corner ``face_normals`` on import are what differs (see each function).
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from pxr import Usd

from kaolin_pipeline.errors import ArgumentTypeError, NonHomogeneousMeshError, PipelineError
from kaolin_pipeline.io.polygons import (
    heterogeneous_mesh_handler_naive_homogenize,
    heterogeneous_mesh_handler_skip,
    mesh_handler_naive_triangulate,
)
from kaolin_pipeline.io import usd
from kaolin_pipeline.io.usd.authoring import add_mesh as _add_mesh
from kaolin_pipeline.io.usd.material_files import read_material
from kaolin_pipeline.io.usd.mesh import get_raw_mesh_prim_geometry
from kaolin_pipeline.io.usd.scene import create_stage, is_path, stage_of
from kaolin_pipeline.kaolin._convert import flip_v, refuse_unsupported, surface_mesh
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io.usd._common import check_new_file, per_item, transforms_per_item
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh

__all__ = ["add_mesh", "export_mesh", "export_meshes", "get_mesh_scene_paths", "get_raw_mesh_prim_geometry",
           "heterogeneous_mesh_handler_naive_homogenize",
           "heterogeneous_mesh_handler_skip", "import_mesh", "import_meshes", "mesh_handler_naive_triangulate"]

_TRIANGULATING = (mesh_handler_naive_triangulate, heterogeneous_mesh_handler_naive_homogenize)


# ---------------------------------------------------------------------- meshes

def get_mesh_scene_paths(file_path_or_stage, scene_path: Optional[str] = None) -> list[str]:
    """Paths of the Mesh prims of a USD file or ``Usd.Stage``, only those at or below ``scene_path`` if given."""
    return usd.mesh_prim_paths(stage_of(file_path_or_stage), scene_path)


def _kaolin_mesh(prim: "usd.MeshPrim", with_materials: bool, with_normals: bool) -> SurfaceMesh:
    """Kaolin's USD layout: uvs (``v' = 1 - v``), ``face_normals (F, 3, 3)`` for face-varying normals or
    ``vertex_normals`` for vertex ones (``with_normals``), materials sorted by path (``with_materials``), and
    the prim's local-to-world ``transform`` (4, 4) (None for identity).

    Values whose count fits neither their interpolation nor the faces are kept as Kaolin keeps them: UVs as
    ``uvs (U, 2)`` without ``face_uvs_idx``; face-varying normals of a prim without faces as
    ``face_normals (N, 1, 3)``."""
    mesh = prim.mesh
    result = surface_mesh(mesh, with_uvs=True, with_normals=False, with_materials=with_materials)
    if result.uvs is None and prim.unplaced_uvs is not None:
        result.uvs = flip_v(prim.unplaced_uvs)
    if with_normals:
        result.vertex_normals = mesh.vertex_normals
        if mesh.normals is not None:
            result.face_normals = mesh.normals[mesh.face_normals_idx]
        elif prim.unplaced_normals is not None and mesh.num_faces == 0:
            result.face_normals = prim.unplaced_normals.unsqueeze(1)
    result.transform = prim.transform
    return result


def _homogeneous(prim: "usd.MeshPrim", handler, triangulate: bool, source: str) -> bool:
    """Whether to keep the mesh: False when ``heterogeneous_mesh_handler_skip`` skips it."""
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
    return True


def import_meshes(file_path_or_stage, scene_paths: Optional[Sequence[str]] = None, with_materials: bool = False,
                  with_normals: bool = False, heterogeneous_mesh_handler=None, times: Optional[Sequence] = None,
                  triangulate: bool = False, return_list: bool = True):
    """Each Mesh prim (all, or ``scene_paths``) of a USD file or ``Usd.Stage`` as an unbatched
    :class:`SurfaceMesh` in its own coordinates, with its local-to-world ``transform`` stored (not applied).

    Polygons: a mesh of ``K``-gons keeps them (``faces (F, K)``) unless ``triangulate=True``, which splits
    them as fans; a mesh of mixed polygons needs ``triangulate`` or a triangulating
    ``heterogeneous_mesh_handler``, and ``heterogeneous_mesh_handler_skip`` leaves it out.

    Returns:
        a list, or with ``return_list=False`` a dict by scene path.

    Raises:
        NonHomogeneousMeshError: mixed corner counts with neither ``triangulate`` nor a handler.
        LoadError: bad file or prim.
    """
    stage = stage_of(file_path_or_stage)
    name = str(file_path_or_stage) if is_path(file_path_or_stage) else stage.GetRootLayer().identifier
    if scene_paths is not None:
        times = per_item(times, len(scene_paths), "kaolin.io.usd.import_meshes")
    prims = usd.import_mesh_prims(stage, scene_paths, times, triangulate=triangulate, merge_uvs=False,
                                  read_material=read_material)
    meshes = {prim.path: _kaolin_mesh(prim, with_materials, with_normals) for prim in prims
              if _homogeneous(prim, heterogeneous_mesh_handler, triangulate, name)}
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


def add_mesh(stage: Usd.Stage, scene_path: str, vertices=None, faces=None, uvs=None, face_uvs_idx=None,
             face_normals=None, material_assignments=None, materials=None, local_to_world=None, time=None,
             overwrite_textures: bool = False) -> Usd.Prim:
    """:func:`kaolin_pipeline.io.usd.authoring.add_mesh` with ``uvs`` in Kaolin's convention (``v' = 1 - v``);
    the stage is not saved, except by the materials' writer as in Kaolin. Textures are written under
    ``<file stem>_textures/`` beside the file, under new names unless ``overwrite_textures``."""
    return _add_mesh(stage, scene_path, vertices, faces, flip_v(uvs), face_uvs_idx, face_normals,
                     material_assignments, materials, local_to_world, time, overwrite_textures)


def export_mesh(file_path, scene_path: str = "/World/Meshes/mesh_0", vertices: Optional[torch.Tensor] = None,
                faces: Optional[torch.Tensor] = None, uvs: Optional[torch.Tensor] = None,
                face_uvs_idx: Optional[torch.Tensor] = None, face_normals: Optional[torch.Tensor] = None,
                material_assignments: Optional[torch.Tensor] = None, materials: Optional[list] = None,
                local_to_world: Optional[torch.Tensor] = None, up_axis: str = "Y", time=None,
                overwrite_textures: bool = False, overwrite: bool = False) -> Usd.Stage:
    """Write one mesh (every argument optional, as :func:`add_mesh`) to a new USD file; returns the stage.

    Raises:
        FileExistsError: the file exists and ``overwrite`` is False.
    """
    path = check_new_file(file_path, overwrite, "kaolin.io.usd.export_mesh")
    stage = create_stage(path, up_axis)
    add_mesh(stage, scene_path, vertices, faces, uvs, face_uvs_idx, face_normals, material_assignments, materials,
             local_to_world, time, overwrite_textures)
    stage.Save()
    return stage


def export_meshes(file_path, scene_paths: Optional[Sequence[str]] = None, vertices=None, faces=None, uvs=None,
                  face_uvs_idx=None, face_normals=None, material_assignments=None, materials=None,
                  local_to_world=None, up_axis: str = "Y", times: Optional[Sequence] = None,
                  overwrite_textures: bool = False, overwrite: bool = False) -> Usd.Stage:
    """Write meshes to a new USD file (default paths ``/World/Meshes/mesh_<i>``): each argument is a list
    with one entry per mesh (shapes as :func:`add_mesh`); ``local_to_world`` is one ``(4, 4)`` for all or
    ``(N, 4, 4)``. Returns the stage.

    Raises:
        FileExistsError: the file exists and ``overwrite`` is False.
        TypeError: a per-mesh argument that is not a list. ValueError: lists of different lengths.
    """
    function = "kaolin.io.usd.export_meshes"
    path = check_new_file(file_path, overwrite, function)
    lists = {"scene_paths": scene_paths, "vertices": vertices, "faces": faces, "uvs": uvs,
             "face_uvs_idx": face_uvs_idx, "face_normals": face_normals,
             "material_assignments": material_assignments, "materials": materials, "times": times}
    for name, value in lists.items():
        if value is not None and not isinstance(value, list):
            raise ArgumentTypeError(f"{function}: {name} must be a list (one entry per mesh), "
                                    f"got {type(value).__name__}")
    counts = {len(value) for value in lists.values() if value is not None}
    if local_to_world is not None and local_to_world.dim() == 3:
        counts.add(local_to_world.shape[0])
    if len(counts) > 1:
        raise PipelineError(f"{function}: the per-mesh lists have different lengths {sorted(counts)}")
    count = counts.pop() if counts else 0
    transforms = transforms_per_item(local_to_world, count, function)
    stage = create_stage(path, up_axis)
    if scene_paths is None:
        stage.DefinePrim("/World/Meshes", "Xform")
        scene_paths = [f"/World/Meshes/mesh_{i}" for i in range(count)]

    def item(values, i):
        return None if values is None else values[i]

    for i, scene_path in enumerate(scene_paths):
        add_mesh(stage, scene_path, item(vertices, i), item(faces, i), item(uvs, i), item(face_uvs_idx, i),
                 item(face_normals, i), item(material_assignments, i), item(materials, i), transforms[i],
                 item(times, i), overwrite_textures)
    stage.Save()
    return stage


__getattr__ = missing_names(__name__, __all__)
