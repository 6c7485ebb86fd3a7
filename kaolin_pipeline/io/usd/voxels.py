"""USD voxel grids: Kaolin's ``PointInstancer`` of unit cubes at the occupied indices.

The cube prototype sits at ``<prim>/cube``; instance ``positions`` are integer indices
``(i, j, k)`` (x, y, z); ``primvars:grid_size`` holds the resolution ``R`` and a translate +
scale transform maps indices to voxel centres. The grid's box is also kept exactly in
``kaolin_pipeline:origin`` / ``kaolin_pipeline:size``. Tagged ``primvars:kaolin_type =
"VoxelGrid"``.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
from pxr import Gf, Sdf, Usd, UsdGeom, Vt

from kaolin_pipeline.io._fileutil import PathLike, float_tensor, long_tensor, reading, to_numpy
from kaolin_pipeline.io.usd.points import define_instancer
from kaolin_pipeline.io.usd.stage import (
    TimeArg,
    authored_times,
    extend_time_range,
    find_prim,
    open_stage,
    read_array,
    resolve_time,
    save_layer,
    set_kaolin_type,
    set_static,
    stage_for_export,
    time_code,
    writing,
)
from kaolin_pipeline.io.validate import validate_for_saving, validate_voxelgrid
from kaolin_pipeline.structures import VoxelGrid
from kaolin_pipeline.errors import LoadError

DEFAULT_VOXELGRID_PATH = "/World/VoxelGrids/voxelgrid_0"
ORIGIN_ATTR = "kaolin_pipeline:origin"
SIZE_ATTR = "kaolin_pipeline:size"


def write_voxelgrid(static: Usd.Stage, samples: Usd.Stage, prim_path: str, grid: VoxelGrid, time: TimeArg,
                    earlier_times: Sequence[float] = ()) -> Usd.Prim:
    """Author ``grid`` at ``prim_path`` as Kaolin's PointInstancer of unit cubes at occupied indices.

    The transform ``translate(origin + voxel / 2) * scale(voxel)`` maps index ``(i, j, k)``
    to the voxel's centre; ``primvars:grid_size`` holds ``R`` and
    ``kaolin_pipeline:origin`` / ``kaolin_pipeline:size`` the exact box.
    """
    usd_time = time_code(time)
    resolution = grid.resolution
    origin = to_numpy(grid.origin, "origin", prim_path, np.float32).reshape(3)
    size = float(grid.size)
    voxel = size / resolution
    instancer = define_instancer(static, prim_path, "cube")
    prim = instancer.GetPrim()
    xform = UsdGeom.Xformable(prim)
    translate = prim.GetAttribute("xformOp:translate") or xform.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).GetAttr()
    scale = prim.GetAttribute("xformOp:scale") or xform.AddScaleOp(UsdGeom.XformOp.PrecisionDouble).GetAttr()
    set_static(translate, Gf.Vec3d(*(origin.astype(np.float64) + voxel / 2)), time, earlier_times)
    set_static(scale, Gf.Vec3d(voxel, voxel, voxel), time, earlier_times)
    set_static(prim.CreateAttribute(ORIGIN_ATTR, Sdf.ValueTypeNames.Float3, custom=True), Gf.Vec3f(*origin.tolist()),
               time, earlier_times)
    set_static(prim.CreateAttribute(SIZE_ATTR, Sdf.ValueTypeNames.Double, custom=True), size, time, earlier_times)
    set_static(UsdGeom.PrimvarsAPI(prim).CreatePrimvar("grid_size", Sdf.ValueTypeNames.Int).GetAttr(), resolution,
               time, earlier_times)
    set_kaolin_type(prim, "VoxelGrid")

    occupied = torch.nonzero(grid.occupancy.detach().to("cpu") != 0).numpy().astype(np.float32)
    sampled = UsdGeom.PointInstancer.Define(samples, prim_path)
    sampled.CreatePositionsAttr().Set(Vt.Vec3fArray.FromNumpy(occupied), usd_time)
    sampled.CreateProtoIndicesAttr().Set(Vt.IntArray.FromNumpy(np.zeros(len(occupied), np.int32)), usd_time)
    return prim


def export_voxelgrid(path: PathLike, grid: VoxelGrid, time: TimeArg = None, prim_path: Optional[str] = None) -> None:
    """Write ``grid`` (``occupancy (R, R, R)``, ``origin (3,)``, ``size``) to the USD file ``path``.

    Args: as in :func:`export_mesh` (default prim path ``/World/VoxelGrids/voxelgrid_0``).

    Raises:
        SaveError: invalid grid, bad ``prim_path`` or a write failure.
    """
    validate_for_saving(grid, VoxelGrid, path)
    prim_path = prim_path or DEFAULT_VOXELGRID_PATH
    layer, stage = stage_for_export(path, time, prim_path)
    earlier = authored_times(stage, f"{prim_path}.positions")
    with writing(path):
        write_voxelgrid(stage, stage, prim_path, grid, time, earlier)
        extend_time_range(stage, time)
    save_layer(layer, path)


def import_voxelgrid(path: PathLike, time: TimeArg = None, prim_path: Optional[str] = None) -> VoxelGrid:
    """Read a :class:`VoxelGrid` from the first PointInstancer tagged ``VoxelGrid`` (or ``prim_path``).

    Occupied voxels are the instance positions (integer indices). ``R`` comes from
    ``primvars:grid_size`` (else the largest index + 1); the box from the
    ``kaolin_pipeline:`` attributes, else from the instancer's translate/scale ops.

    Raises:
        LoadError: missing or non-USD file, no voxel grid prim, bad ``prim_path``,
            no sample at ``time``, positions that are not integer indices inside the grid.
    """
    stage, source = open_stage(path)

    def is_voxelgrid(prim: Usd.Prim) -> bool:
        kind = prim.GetAttribute("primvars:kaolin_type")
        return prim.IsA(UsdGeom.PointInstancer) and (prim_path is not None or
                                                      (bool(kind) and kind.Get() == "VoxelGrid"))

    prim = find_prim(stage, prim_path, is_voxelgrid, "voxel grid PointInstancer", source)
    instancer = UsdGeom.PointInstancer(prim)
    with reading(path, "USD voxel grid"):
        at = resolve_time(instancer.GetPositionsAttr(), time, source)
        positions = read_array(instancer.GetPositionsAttr(), at, np.float64).reshape(-1, 3)
        indices = np.rint(positions).astype(np.int64)
        if not np.array_equal(indices, positions):
            raise LoadError(f"{source}: voxel grid {prim.GetPath()} has positions that are not integer indices")
        resolution = _static_value(prim.GetAttribute("primvars:grid_size"), at)
        resolution = int(resolution) if resolution is not None else int(indices.max(initial=-1)) + 1
        if resolution <= 0 or (indices.size and (indices.min() < 0 or indices.max() >= resolution)):
            raise LoadError(f"{source}: voxel indices fall outside a grid of resolution {resolution}")
        occupancy = torch.zeros((resolution,) * 3, dtype=torch.bool)
        occupancy[tuple(long_tensor(indices).T)] = True
        origin, size = _read_box(prim, at, resolution)
    return validate_voxelgrid(VoxelGrid(occupancy=occupancy, origin=origin, size=size), source)


def _static_value(attr: Usd.Attribute, at: Usd.TimeCode):
    """Value of an attribute written with :func:`set_static` (a default, or samples once it changed)."""
    return attr.Get(at) if attr else None


def _read_box(prim: Usd.Prim, at: Usd.TimeCode, resolution: int) -> tuple[torch.Tensor, float]:
    origin = _static_value(prim.GetAttribute(ORIGIN_ATTR), at)
    size = _static_value(prim.GetAttribute(SIZE_ATTR), at)
    if origin is not None and size is not None:
        return float_tensor(np.asarray(origin)), float(size)
    matrix = np.array(UsdGeom.Xformable(prim).GetLocalTransformation(at), dtype=np.float64)
    voxel = float(np.linalg.norm(matrix[0, :3]))
    return float_tensor(matrix[3, :3] - voxel / 2), voxel * resolution
