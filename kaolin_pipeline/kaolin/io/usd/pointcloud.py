"""``kaolin.io.usd.pointcloud``: point clouds as Kaolin writes and reads them.

Exports write Kaolin's layout (:func:`kaolin_pipeline.io.usd.authoring.add_pointcloud`) into a new file.
``import_pointclouds`` returns each prim in its own coordinates with its local-to-world ``transform``;
``import_pointcloud`` merges the prims under a path in world space.
"""
from __future__ import annotations

import collections
import re
import warnings
from typing import Optional, Sequence

import torch
from pxr import Usd

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.io import usd
from kaolin_pipeline.io.usd.authoring import add_pointcloud as _add_pointcloud
from kaolin_pipeline.io.usd.scene import create_stage, get_scene_paths, stage_of
from kaolin_pipeline.io.usd.transform import get_local_to_world_transform
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io.usd._common import check_new_file, deprecated, per_item, transforms_per_item

__all__ = ["add_pointcloud", "export_pointcloud", "export_pointclouds", "get_pointcloud_scene_paths",
           "import_pointcloud", "import_pointclouds", "pointcloud_return_type"]

#: Kaolin's return type of the point cloud importers.
pointcloud_return_type = collections.namedtuple("pointcloud_return_type", ["points", "colors", "normals", "transform"])


def get_pointcloud_scene_paths(file_path_or_stage, scene_path: Optional[str] = None) -> list[str]:
    """Paths of the ``Points`` prims, then of the ``PointInstancer`` prims, at or below ``scene_path``."""
    regex = None if scene_path is None else f"{re.escape(scene_path.rstrip('/'))}(/|$)"
    stage = stage_of(file_path_or_stage)
    return (get_scene_paths(stage, regex, "Points")
            + get_scene_paths(stage, regex, "PointInstancer", lambda prim: (
                prim.GetAttribute("primvars:kaolin_type").Get() != "VoxelGrid")))


def import_pointclouds(file_path_or_stage, scene_paths: Optional[Sequence[str]] = None, times=None,
                       return_list: bool = True):
    """Each point cloud prim (all, or ``scene_paths``) in its own coordinates: ``pointcloud_return_type``
    ``(points (N, 3), colors (N, 3) or None, normals (N, 3) or None, transform (4, 4) or None)``, the
    transform being the prim's local-to-world matrix (None for the identity). ``times``: one per path, or
    one for all.

    Returns:
        a list, or with ``return_list=False`` a dict by scene path.
    """
    stage = stage_of(file_path_or_stage)
    paths = [str(path) for path in scene_paths] if scene_paths is not None else get_pointcloud_scene_paths(stage)
    clouds = {}
    for path, time in zip(paths, per_item(times, len(paths), "kaolin.io.usd.import_pointclouds")):
        cloud = usd.import_pointcloud(stage, time=time, prim_path=path, world=False)
        transform = get_local_to_world_transform(stage, path, time)
        clouds[path] = pointcloud_return_type(cloud.points, cloud.colors, cloud.normals,
                                              None if transform is None else transform.float())
    return list(clouds.values()) if return_list else clouds


def import_pointcloud(file_path_or_stage, scene_path: Optional[str] = None, time=None):
    """Every point cloud prim at or below ``scene_path`` (default: all) merged in world space, as
    ``pointcloud_return_type`` with ``transform`` None; colours and normals only when every prim has them.
    None when there is no point cloud."""
    paths = get_pointcloud_scene_paths(file_path_or_stage, scene_path)
    if not paths:
        return None
    clouds = import_pointclouds(file_path_or_stage, paths, time)
    points = torch.cat([cloud.points if cloud.transform is None else
                        cloud.points @ cloud.transform[:3, :3].T + cloud.transform[:3, 3] for cloud in clouds])

    def merged(field: str):
        values = [getattr(cloud, field) for cloud in clouds]
        return torch.cat(values) if all(value is not None for value in values) else None

    return pointcloud_return_type(points, merged("colors"), merged("normals"), None)


def add_pointcloud(stage: Usd.Stage, scene_path, points=None, colors=None, local_to_world=None, time=None,
                   overwrite: bool = False, points_type: str = "point_instancer") -> Usd.Prim:
    """:func:`kaolin_pipeline.io.usd.authoring.add_pointcloud`; Kaolin 0.18's order ``(stage, points,
    scene_path)`` still works and warns (``DeprecationWarning``)."""
    if torch.is_tensor(scene_path):
        _warn_positional("add_pointcloud", "(stage, scene_path, points)")
        scene_path, points = points, scene_path
    if points is None:
        raise PipelineError("kaolin.io.usd.add_pointcloud: points must be given")
    return _add_pointcloud(stage, str(scene_path), points, colors, local_to_world, time, overwrite, points_type)


def _warn_positional(function: str, order: str) -> None:
    warnings.warn(f"kaolin.io.usd.{function}: the positional argument order is now {order}; passing the points "
                  "before the scene path (Kaolin 0.18) is deprecated", DeprecationWarning, stacklevel=3)


def export_pointcloud(file_path, scene_path: str = "/World/PointClouds/pointcloud_0",
                      points: Optional[torch.Tensor] = None, colors: Optional[torch.Tensor] = None,
                      local_to_world: Optional[torch.Tensor] = None, up_axis: str = "Y", time=None,
                      points_type: str = "point_instancer", overwrite: bool = False,
                      pointcloud: Optional[torch.Tensor] = None, color: Optional[torch.Tensor] = None) -> Usd.Stage:
    """Write one point cloud ``(N, 3)`` to a new USD file; returns the stage. Kaolin 0.18's forms warn
    (``DeprecationWarning``) and still work: the points given second, ``pointcloud=`` and ``color=``."""
    if torch.is_tensor(scene_path):  # Kaolin 0.18's order (file_path, points, scene_path)
        _warn_positional("export_pointcloud", "(file_path, scene_path, points)")
        scene_path, points = (points, scene_path) if isinstance(points, str) else \
            ("/World/PointClouds/pointcloud_0", scene_path if points is None else points)
    deprecated("export_pointcloud", pointcloud="points", color="colors")(pointcloud, color)
    points = points if points is not None else pointcloud
    colors = colors if colors is not None else color
    return export_pointclouds(file_path, [scene_path], [points], None if colors is None else [colors],
                              local_to_world, up_axis, [time], points_type, overwrite)


def export_pointclouds(file_path, scene_paths: Optional[Sequence[str]] = None,
                       points: Optional[Sequence[torch.Tensor]] = None, colors: Optional[Sequence] = None,
                       local_to_world: Optional[torch.Tensor] = None, up_axis: str = "Y",
                       times: Optional[Sequence] = None, points_type: str = "point_instancer",
                       overwrite: bool = False, pointclouds: Optional[Sequence[torch.Tensor]] = None) -> Usd.Stage:
    """Write point clouds to a new USD file (default paths ``/World/PointClouds/pointcloud_<i>``; Kaolin
    0.18's forms, the clouds given second or as ``pointclouds=``, warn and still work). ``local_to_world``: one ``(4, 4)``
    for all, or ``(N, 4, 4)``. Returns the stage.

    Raises:
        FileExistsError: the file exists and ``overwrite`` is False.
        ValueError: no points, or lists / transforms whose count is not the number of clouds.
    """
    if scene_paths is not None and len(scene_paths) and torch.is_tensor(scene_paths[0]):  # Kaolin 0.18's order
        _warn_positional("export_pointclouds", "(file_path, scene_paths, points)")
        scene_paths, points = None, scene_paths if points is None else points
    deprecated("export_pointclouds", pointclouds="points")(pointclouds)
    clouds = list(points if points is not None else (pointclouds or []))
    if not clouds:
        raise PipelineError("kaolin.io.usd.export_pointclouds: no points given")
    function = "kaolin.io.usd.export_pointclouds"
    paths = per_item(scene_paths, len(clouds), function, "scene_paths") if scene_paths is not None else \
        [f"/World/PointClouds/pointcloud_{i}" for i in range(len(clouds))]
    colors = per_item(colors, len(clouds), function, "colors")
    transforms = transforms_per_item(local_to_world, len(clouds), function)
    path = check_new_file(file_path, overwrite, function)
    stage = create_stage(path, up_axis)
    for scene_path, cloud, colour, transform, time in zip(paths, clouds, colors, transforms,
                                                          per_item(times, len(clouds), function)):
        _add_pointcloud(stage, scene_path, cloud, colour, transform, time, points_type=points_type)
    stage.Save()
    return stage


__getattr__ = missing_names(__name__, __all__)
