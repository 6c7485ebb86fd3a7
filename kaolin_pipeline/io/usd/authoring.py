"""Kaolin's ``add_*`` functions: plain tensors authored onto a live ``Usd.Stage`` in Kaolin's minimal layout,
not saved (the caller saves), so files written here read byte for byte as Kaolin's.

Every field is optional as in Kaolin (a time sample may carry new points only). Meshes keep their polygons
(``faces (F, K)``: ``K`` corners each); UVs are the ``st`` primvar with ``face_uvs_idx`` as its indices, in the
file's convention (origin at the bottom left). Point clouds are a ``PointInstancer`` of radius-0.5 spheres or a
``Points`` prim, each point sized by Kaolin's rule (smallest bounding-box side over the cube root of the count).
A voxel grid is a ``PointInstancer`` of unit cubes at the occupied ``(i, j, k)``, scaled by ``1 / (R - 1)`` after
a ``-0.5`` shift, tagged ``primvars:kaolin_type = "VoxelGrid"`` with ``primvars:grid_size = R``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from pxr import Sdf, Usd, UsdGeom, Vt

from kaolin_pipeline.errors import SaveError
from kaolin_pipeline.io.usd.material_files import export_material
from kaolin_pipeline.io.usd.stage import time_code
from kaolin_pipeline.io.usd.subset import add_subset
from kaolin_pipeline.io.usd.transform import set_local_to_world_transform

POINTS_PRIM_TYPES = {"point_instancer": "PointInstancer", "usd_geom_points": "Points"}


def _array(tensor: torch.Tensor, dtype) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().to("cpu").numpy(), dtype=dtype)


def add_mesh(stage: Usd.Stage, scene_path: str, vertices: Optional[torch.Tensor] = None,
             faces: Optional[torch.Tensor] = None, uvs: Optional[torch.Tensor] = None,
             face_uvs_idx: Optional[torch.Tensor] = None, face_normals: Optional[torch.Tensor] = None,
             material_assignments: Optional[torch.Tensor] = None, materials: Optional[Sequence] = None,
             local_to_world: Optional[torch.Tensor] = None, time=None, overwrite_textures: bool = False) -> Usd.Prim:
    """Author a ``UsdGeom.Mesh`` at ``scene_path`` (defined, or updated at ``time``); returns its prim.

    Args:
        vertices: ``(V, 3)`` points.
        faces: ``(F, K)`` vertex indices, ``K`` corners per face.
        uvs: ``(T, 2)`` in USD's convention. Without ``face_uvs_idx``, Kaolin's rule picks the
            interpolation: ``vertex`` when ``T == V``, ``uniform`` when ``T == F``, else ``faceVarying``.
        face_uvs_idx: ``(F, K)`` indices into ``uvs``, written as the primvar's indices with ``faceVarying``
            interpolation (one per face corner; Kaolin applies its size rule here too, which can mislabel
            them); needs ``uvs``.
        face_normals: ``(F, K, 3)`` one normal per face corner (``faceVarying``).
        materials: :class:`PBRMaterial` list, with ``material_assignments (F,)`` (and ``faces``), in Kaolin's
            layout: a ``Looks`` scope under the mesh, material ``i`` at ``Looks/material_<i>`` written by
            :func:`.material_files.export_material` (textures under ``<file stem>_textures/``; with materials
            the stage is saved, as Kaolin's ``export_material`` saves it) and bound to the ``materialBind``
            subset ``subset_<i>`` of its faces.
        overwrite_textures: replace texture files of the same name instead of numbering new ones.
        local_to_world: ``(4, 4)`` written as the prim's matrix xform (column vectors).

    Raises:
        SaveError: ``face_uvs_idx`` without ``uvs``.
    """
    at = time_code(time)
    mesh = UsdGeom.Mesh.Define(stage, scene_path)
    if faces is not None:
        mesh.GetFaceVertexCountsAttr().Set(Vt.IntArray([int(faces.shape[1])] * int(faces.shape[0])), at)
        mesh.GetFaceVertexIndicesAttr().Set(Vt.IntArray.FromNumpy(_array(faces, np.int32).reshape(-1)), at)
    if vertices is not None:
        mesh.GetPointsAttr().Set(Vt.Vec3fArray.FromNumpy(_array(vertices, np.float32).reshape(-1, 3)), at)
    if face_uvs_idx is not None and uvs is None:
        raise SaveError(f"{scene_path}: face_uvs_idx given without uvs")
    if uvs is not None:
        values = _array(uvs, np.float32).reshape(-1, 2)
        primvar = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("st", Sdf.ValueTypeNames.Float2Array)
        primvar.Set(Vt.Vec2fArray.FromNumpy(values), at)
        if face_uvs_idx is not None:
            primvar.SetInterpolation(UsdGeom.Tokens.faceVarying)
            primvar.SetIndices(Vt.IntArray.FromNumpy(_array(face_uvs_idx, np.int32).reshape(-1)), at)
        elif vertices is not None and len(values) == vertices.shape[0]:
            primvar.SetInterpolation(UsdGeom.Tokens.vertex)
        elif faces is not None and len(values) == faces.shape[0]:
            primvar.SetInterpolation(UsdGeom.Tokens.uniform)
        else:
            primvar.SetInterpolation(UsdGeom.Tokens.faceVarying)
    if face_normals is not None:
        mesh.GetNormalsAttr().Set(Vt.Vec3fArray.FromNumpy(_array(face_normals, np.float32).reshape(-1, 3)), at)
        mesh.SetNormalsInterpolation(UsdGeom.Tokens.faceVarying)
    if faces is not None and materials is not None and material_assignments is not None:
        _add_materials(stage, mesh.GetPrim(), list(materials), material_assignments, time, overwrite_textures)
    if local_to_world is not None:
        set_local_to_world_transform(stage, mesh.GetPrim(), local_to_world, at)
    return mesh.GetPrim()


def _add_materials(stage: Usd.Stage, prim: Usd.Prim, materials: list, material_assignments: torch.Tensor, time,
                   overwrite_textures: bool) -> None:
    """Kaolin's per-material subsets and ``Looks/material_<i>`` materials of a mesh prim (see :func:`add_mesh`)."""
    scene_path = str(prim.GetPath())
    stage.DefinePrim(f"{scene_path}/Looks", "Scope")
    texture_dir = f"{Path(stage.GetRootLayer().realPath or 'stage.usda').stem}_textures"
    assignments = material_assignments.detach().to("cpu")
    for i, material in enumerate(materials):
        subset = add_subset(stage, prim, f"subset_{i}", torch.nonzero(assignments == i).reshape(-1),
                            family_name="materialBind")
        export_material(material, stage, scene_path=f"{scene_path}/Looks/material_{i}", texture_path=texture_dir,
                        bound_prims=[subset], time=time, overwrite_textures=overwrite_textures)


def point_size(points: torch.Tensor) -> float:
    """Kaolin's size of each point of ``points (N, 3)``: the smallest bounding-box side over ``N ** (1/3)``."""
    sides = points.max(dim=0)[0] - points.min(dim=0)[0]
    return float(sides.min() / points.shape[0] ** (1 / 3))


def add_pointcloud(stage: Usd.Stage, scene_path: str, points: torch.Tensor, colors: Optional[torch.Tensor] = None,
                   local_to_world: Optional[torch.Tensor] = None, time=None, overwrite: bool = False,
                   points_type: str = "point_instancer") -> Usd.Prim:
    """Author a point cloud ``points (N, 3)`` at ``scene_path``: a ``PointInstancer`` of spheres
    (``'point_instancer'``) or a ``Points`` prim (``'usd_geom_points'``, which also takes ``colors (N, 3)`` as
    ``displayColor``); returns its prim. A prim of the other type there is replaced only with ``overwrite``.

    Raises:
        SaveError: unknown ``points_type``, a prim of another type without ``overwrite``, colours whose shape
            is not the points'.
    """
    if points_type not in POINTS_PRIM_TYPES:
        raise SaveError(f"{scene_path}: points_type must be one of {sorted(POINTS_PRIM_TYPES)}, got {points_type!r}")
    wanted = POINTS_PRIM_TYPES[points_type]
    existing = stage.GetPrimAtPath(scene_path)
    if existing and existing.GetTypeName() != wanted:
        if not overwrite:
            raise SaveError(f"{scene_path}: a {existing.GetTypeName()} prim is already there; "
                            "use overwrite=True to replace it")
        stage.RemovePrim(scene_path)
    if colors is not None and points_type == "usd_geom_points" and tuple(colors.shape) != tuple(points.shape):
        raise SaveError(f"{scene_path}: colors shape {tuple(colors.shape)} does not match points shape "
                        f"{tuple(points.shape)}")
    prim = stage.DefinePrim(scene_path, wanted)
    at = time_code(time)
    size = point_size(points)
    count = int(points.shape[0])
    positions = Vt.Vec3fArray.FromNumpy(_array(points, np.float32).reshape(-1, 3))
    if points_type == "point_instancer":
        instancer = UsdGeom.PointInstancer(prim)
        sphere = UsdGeom.Sphere.Define(stage, f"{scene_path}/sphere")
        sphere.GetRadiusAttr().Set(0.5)
        instancer.CreatePrototypesRel().SetTargets([sphere.GetPath()])
        instancer.GetProtoIndicesAttr().Set(Vt.IntArray(count, 0), at)
        instancer.GetPositionsAttr().Set(positions, at)
        instancer.GetScalesAttr().Set(Vt.Vec3fArray.FromNumpy(np.full((count, 3), size, np.float32)), at)
    else:
        geom = UsdGeom.Points(prim)
        geom.GetPointsAttr().Set(positions, at)
        geom.GetWidthsAttr().Set(Vt.FloatArray.FromNumpy(np.full(count, size, np.float32)), at)
        if colors is not None:
            geom.GetDisplayColorAttr().Set(Vt.Vec3fArray.FromNumpy(_array(colors, np.float32)), at)
    if local_to_world is not None:
        set_local_to_world_transform(stage, prim, local_to_world, at)
    return prim


def add_voxelgrid(stage: Usd.Stage, voxelgrid: torch.Tensor, scene_path: str, time=None) -> Usd.Prim:
    """Author the occupancy ``voxelgrid (R, R, R)`` (non-zero = occupied) at ``scene_path`` in Kaolin's layout
    (see the module docstring); returns the instancer's prim."""
    at = time_code(time)
    prim = stage.GetPrimAtPath(scene_path) or stage.DefinePrim(scene_path, "PointInstancer")
    instancer = UsdGeom.PointInstancer(prim)
    cube = UsdGeom.Cube.Define(stage, f"{scene_path}/cube")
    cube.GetSizeAttr().Set(1.0)
    instancer.CreatePrototypesRel().SetTargets([cube.GetPath()])
    occupied = _array(torch.nonzero(torch.as_tensor(voxelgrid)), np.float32).reshape(-1, 3)
    instancer.GetProtoIndicesAttr().Set(Vt.IntArray(len(occupied), 0), at)
    instancer.GetPositionsAttr().Set(Vt.Vec3fArray.FromNumpy(occupied), at)
    instancer.GetScalesAttr().Set(Vt.Vec3fArray.FromNumpy(np.ones_like(occupied)), at)
    resolution = int(voxelgrid.shape[0])
    xformable = UsdGeom.Xformable(prim)
    scale = prim.GetAttribute("xformOp:scale") or xformable.AddScaleOp().GetAttr()
    scale.Set((1.0 / (resolution - 1),) * 3, at)
    translate = prim.GetAttribute("xformOp:translate") or xformable.AddTranslateOp().GetAttr()
    translate.Set((-0.5,) * 3, at)
    primvars = UsdGeom.PrimvarsAPI(prim)
    primvars.CreatePrimvar("grid_size", Sdf.ValueTypeNames.Int).Set(resolution)
    primvars.CreatePrimvar("kaolin_type", Sdf.ValueTypeNames.String).Set("VoxelGrid")
    return prim
