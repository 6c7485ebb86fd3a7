"""USD point clouds: a ``UsdGeom.Points`` or Kaolin's ``PointInstancer`` of spheres.

``Points``: ``points (N, 3)``, vertex ``widths`` (Kaolin's default size: smallest
bounding-box side over the cube root of N), vertex ``normals`` and ``primvars:displayColor``.
``PointInstancer``: ``positions (N, 3)`` of a radius-0.5 sphere prototype at ``<prim>/sphere``,
normals and colours as per-instance primvars. Both are tagged ``primvars:kaolin_type =
"PointCloud"``. Reading applies the prim's world transform.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from pxr import Sdf, Usd, UsdGeom, Vt

from kaolin_pipeline.io._fileutil import PathLike, float_tensor, reading, to_numpy
from kaolin_pipeline.io.usd.stage import (
    TimeArg,
    extend_time_range,
    find_prim,
    is_identity,
    open_stage,
    read_array,
    resolve_time,
    save_layer,
    set_kaolin_type,
    stage_for_export,
    transform_normals,
    transform_points,
    time_code,
    world_matrix,
    writing,
)
from kaolin_pipeline.io.validate import validate_for_saving, validate_pointcloud
from kaolin_pipeline.structures import PointCloud
from kaolin_pipeline.errors import SaveError

DEFAULT_POINTCLOUD_PATH = "/World/PointClouds/pointcloud_0"
POINTS_TYPES = ("usd_geom_points", "point_instancer")


def _default_width(points: np.ndarray) -> float:
    """Kaolin's point size: smallest bounding-box side over the cube root of the point count."""
    sides = points.max(axis=0) - points.min(axis=0)
    positive = sides[sides > 0]
    return float(positive.min() / len(points) ** (1 / 3)) if positive.size else 1.0


def write_pointcloud(static: Usd.Stage, samples: Usd.Stage, prim_path: str, cloud: PointCloud, time: TimeArg,
                     points_type: str = "usd_geom_points") -> Usd.Prim:
    """Author ``cloud`` at ``prim_path`` as a ``Points`` prim or a ``PointInstancer`` of spheres."""
    if points_type not in POINTS_TYPES:
        raise SaveError(f"{prim_path}: points_type must be one of {POINTS_TYPES}, got {points_type!r}")
    usd_time = time_code(time)
    points = to_numpy(cloud.points, "points", prim_path, np.float32)
    width = _default_width(points)
    if points_type == "usd_geom_points":
        prim = UsdGeom.Points.Define(static, prim_path).GetPrim()
        sampled = UsdGeom.Points.Define(samples, prim_path)
        sampled.CreatePointsAttr().Set(Vt.Vec3fArray.FromNumpy(points), usd_time)
        sampled.CreateWidthsAttr().Set(Vt.FloatArray.FromNumpy(np.full(len(points), width, np.float32)), usd_time)
        UsdGeom.Points(prim).SetWidthsInterpolation(UsdGeom.Tokens.vertex)
        extent = UsdGeom.Points.ComputeExtent(sampled.GetPointsAttr().Get(usd_time),
                                              sampled.GetWidthsAttr().Get(usd_time))
        sampled.CreateExtentAttr().Set(extent, usd_time)
        normals_attr = sampled.CreateNormalsAttr() if cloud.normals is not None else None
        if normals_attr:
            UsdGeom.Points(prim).SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    else:
        prim = define_instancer(static, prim_path, "sphere").GetPrim()
        sampled = UsdGeom.PointInstancer.Define(samples, prim_path)
        sampled.CreatePositionsAttr().Set(Vt.Vec3fArray.FromNumpy(points), usd_time)
        sampled.CreateProtoIndicesAttr().Set(Vt.IntArray.FromNumpy(np.zeros(len(points), np.int32)), usd_time)
        sampled.CreateScalesAttr().Set(Vt.Vec3fArray.FromNumpy(np.full((len(points), 3), width, np.float32)),
                                       usd_time)
        normals_attr = None
        if cloud.normals is not None:
            UsdGeom.PrimvarsAPI(prim).CreatePrimvar("normals", Sdf.ValueTypeNames.Normal3fArray,
                                                    UsdGeom.Tokens.vertex)
            normals_attr = UsdGeom.PrimvarsAPI(sampled).CreatePrimvar(
                "normals", Sdf.ValueTypeNames.Normal3fArray).GetAttr()
    if normals_attr:
        normals_attr.Set(Vt.Vec3fArray.FromNumpy(to_numpy(cloud.normals, "normals", prim_path, np.float32)),
                         usd_time)
    if cloud.colors is not None:
        UsdGeom.PrimvarsAPI(prim).CreatePrimvar("displayColor", Sdf.ValueTypeNames.Color3fArray,
                                                UsdGeom.Tokens.vertex)
        UsdGeom.PrimvarsAPI(sampled).CreatePrimvar("displayColor", Sdf.ValueTypeNames.Color3fArray).Set(
            Vt.Vec3fArray.FromNumpy(to_numpy(cloud.colors, "colors", prim_path, np.float32)), usd_time)
    set_kaolin_type(prim, "PointCloud")
    return prim


def define_instancer(stage: Usd.Stage, prim_path: str, prototype: str) -> UsdGeom.PointInstancer:
    """A PointInstancer with Kaolin's single prototype child: a radius-0.5 ``sphere`` or a size-1 ``cube``."""
    instancer = UsdGeom.PointInstancer.Define(stage, prim_path)
    if prototype == "sphere":
        shape = UsdGeom.Sphere.Define(stage, f"{prim_path}/sphere")
        shape.CreateRadiusAttr().Set(0.5)
    else:
        shape = UsdGeom.Cube.Define(stage, f"{prim_path}/cube")
        shape.CreateSizeAttr().Set(1.0)
    instancer.CreatePrototypesRel().SetTargets([shape.GetPath()])
    return instancer


def export_pointcloud(path: PathLike, cloud: PointCloud, time: TimeArg = None, prim_path: Optional[str] = None,
                      points_type: str = "usd_geom_points") -> None:
    """Write ``cloud`` (``points (N, 3)``, optional ``normals``/``colors (N, 3)``) to the USD file ``path``.

    Args:
        points_type: ``'usd_geom_points'`` (a ``UsdGeom.Points``) or ``'point_instancer'``
            (Kaolin's ``PointInstancer`` of spheres; colours and normals become per-instance primvars).
        time, prim_path: as in :func:`export_mesh` (default prim path ``/World/PointClouds/pointcloud_0``).

    Raises:
        SaveError: invalid cloud, bad arguments or a write failure.
    """
    validate_for_saving(cloud, PointCloud, path)
    if points_type not in POINTS_TYPES:
        raise SaveError(f"{path}: points_type must be one of {POINTS_TYPES}, got {points_type!r}")
    prim_path = prim_path or DEFAULT_POINTCLOUD_PATH
    layer, stage = stage_for_export(path, time, prim_path)
    existing = stage.GetPrimAtPath(prim_path)
    wanted = "Points" if points_type == "usd_geom_points" else "PointInstancer"
    if existing and existing.GetTypeName() != wanted:
        raise SaveError(f"{path}: prim {prim_path} is a {existing.GetTypeName()}, cannot add {points_type} samples")
    with writing(path):
        write_pointcloud(stage, stage, prim_path, cloud, time, points_type)
        extend_time_range(stage, time)
    save_layer(layer, path)


def import_pointcloud(path: PathLike, time: TimeArg = None, prim_path: Optional[str] = None,
                      world: bool = True) -> PointCloud:
    """Read a :class:`PointCloud` from the first ``Points`` or ``PointInstancer`` prim (or ``prim_path``).

    Points give ``points (N, 3)`` (world transform applied unless ``world`` is False), ``normals`` and
    ``colors`` from vertex ``displayColor``; a PointInstancer gives its ``positions``
    and per-instance ``displayColor`` / ``normals`` primvars.

    Raises:
        LoadError: missing or non-USD file, no point prim, bad ``prim_path``, no sample at ``time``.
    """
    stage, source = open_stage(path)
    prim = find_prim(stage, prim_path, lambda p: p.IsA(UsdGeom.Points) or p.IsA(UsdGeom.PointInstancer),
                      "Points or PointInstancer", source)
    with reading(path, "USD point cloud"):
        if prim.IsA(UsdGeom.Points):
            geom = UsdGeom.Points(prim)
            at = resolve_time(geom.GetPointsAttr(), time, source)
            points = read_array(geom.GetPointsAttr(), at, np.float32)
            normals = read_array(geom.GetNormalsAttr(), at, np.float32)
        else:
            geom = UsdGeom.PointInstancer(prim)
            at = resolve_time(geom.GetPositionsAttr(), time, source)
            points = read_array(geom.GetPositionsAttr(), at, np.float32)
            normals_pv = UsdGeom.PrimvarsAPI(prim).GetPrimvar("normals")
            normals = read_array(normals_pv.GetAttr(), at, np.float32) if normals_pv else None
        points = points.reshape(-1, 3)
        matrix = world_matrix(prim, at) if world else np.eye(4)
        cloud = PointCloud(points=float_tensor(transform_points(points, matrix)))
        if normals is not None and len(normals) == len(points):
            normals = normals.reshape(-1, 3)
            cloud.normals = float_tensor(normals if is_identity(matrix) else transform_normals(normals, matrix))
        color_pv = UsdGeom.PrimvarsAPI(prim).GetPrimvar("displayColor")
        colors = read_array(color_pv.GetAttr(), at, np.float32) if color_pv else None
        if colors is not None and colors.reshape(-1, 3).shape[0] == len(points):
            cloud.colors = float_tensor(colors.reshape(-1, 3))
    return validate_pointcloud(cloud, source)
