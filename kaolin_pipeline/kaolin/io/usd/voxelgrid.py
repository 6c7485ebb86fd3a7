"""``kaolin.io.usd.voxelgrid``: occupancy grids as Kaolin writes and reads them.

Exports write Kaolin's layout (:func:`kaolin_pipeline.io.usd.authoring.add_voxelgrid`) into a new file;
imports read the occupancy of any voxel grid our reader knows (:func:`kaolin_pipeline.io.usd.import_voxelgrid`).
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from pxr import Usd

from kaolin_pipeline.io import usd
from kaolin_pipeline.io.usd.authoring import add_voxelgrid
from kaolin_pipeline.io.usd.scene import create_stage, get_scene_paths, stage_of
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io.usd._common import check_new_file, per_item

__all__ = ["add_voxelgrid", "export_voxelgrid", "export_voxelgrids", "import_voxelgrid", "import_voxelgrids"]


def import_voxelgrid(file_path_or_stage, scene_path: Optional[str] = None, time=None) -> torch.Tensor:
    """The ``(R, R, R)`` bool occupancy of the voxel grid at ``scene_path`` (default: the first one) of a USD
    file or ``Usd.Stage``."""
    return usd.import_voxelgrid(stage_of(file_path_or_stage), time=time, prim_path=scene_path).occupancy


def import_voxelgrids(file_path_or_stage, scene_paths: Optional[Sequence[str]] = None,
                      times: Optional[Sequence] = None) -> list[torch.Tensor]:
    """The occupancies of the voxel grids at ``scene_paths`` (default: every PointInstancer tagged
    ``kaolin_type = "VoxelGrid"``, in stage order)."""
    stage = stage_of(file_path_or_stage)
    if scene_paths is None:
        scene_paths = get_scene_paths(stage, prim_types="PointInstancer", conditional=lambda prim: (
            prim.GetAttribute("primvars:kaolin_type").Get() == "VoxelGrid"))
    times = per_item(times, len(scene_paths), "kaolin.io.usd.import_voxelgrids")
    return [import_voxelgrid(stage, str(path), time) for path, time in zip(scene_paths, times)]


def export_voxelgrid(file_path, voxelgrid: torch.Tensor, scene_path: str = "/World/VoxelGrids/voxelgrid_0",
                     time=None, overwrite: bool = False) -> Usd.Stage:
    """Write one ``(R, R, R)`` occupancy (non-zero = occupied) to a new USD file; returns the stage."""
    return export_voxelgrids(file_path, [voxelgrid], [scene_path], [time], overwrite)


def export_voxelgrids(file_path, voxelgrids: Sequence[torch.Tensor], scene_paths: Optional[Sequence[str]] = None,
                      times: Optional[Sequence] = None, overwrite: bool = False) -> Usd.Stage:
    """Write ``(R, R, R)`` occupancies to a new USD file (default paths ``/World/VoxelGrids/voxelgrid_<i>``),
    each fitted into the unit cube as Kaolin does; returns the stage.

    Raises:
        FileExistsError: the file exists and ``overwrite`` is False.
    """
    path = check_new_file(file_path, overwrite, "kaolin.io.usd.export_voxelgrids")
    paths = list(scene_paths) if scene_paths is not None else \
        [f"/World/VoxelGrids/voxelgrid_{i}" for i in range(len(voxelgrids))]
    times = per_item(times, len(voxelgrids), "kaolin.io.usd.export_voxelgrids")
    per_item(paths, len(voxelgrids), "kaolin.io.usd.export_voxelgrids", "scene_paths")
    stage = create_stage(path)
    for scene_path, occupancy, time in zip(paths, voxelgrids, times):
        add_voxelgrid(stage, occupancy, scene_path, time)
    stage.Save()
    return stage


__getattr__ = missing_names(__name__, __all__)
