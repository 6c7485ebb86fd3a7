"""Scenes from what a user points the viewer at: a Timelapse log folder or a single mesh / point-cloud / voxel file.

Timelapse logs (ours or Kaolin's ``<category>/<kind>_<i>.usd`` with time samples) are read with
:class:`kaolin_pipeline.export.timelapse.TimelapseReader`; files with the :mod:`kaolin_pipeline.io` loaders.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np
from tqdm.auto import tqdm

from kaolin_pipeline.errors import ConfigError, LoadError, PipelineError
from kaolin_pipeline.export.timelapse import KINDS, TimelapseReader
from kaolin_pipeline.io.formats import extensions, load_any
from kaolin_pipeline.visualize.scene import TexturePool, make_item, new_scene, scene_of_shapes

PathLike = os.PathLike | str


def _evenly_spaced(values: list, count: Optional[int]) -> list:
    """At most ``count`` items of ``values`` (all when ``None``), evenly spaced, keeping the first and the last."""
    if count is None or len(values) <= count:
        return values
    picks = np.unique(np.round(np.linspace(0, len(values) - 1, count)).astype(int))
    return [values[i] for i in picks]


def timelapse_items(log_dir: PathLike, textures: TexturePool, max_iterations: Optional[int] = None,
                    progress: bool = True) -> list[dict]:
    """Every (category, kind, id) of a Timelapse log as viewer items, each with all its logged iterations.

    Args:
        log_dir: the log folder (``<category>/<kind>_<i>.usd`` below it).
        textures: pool receiving the meshes' textures.
        max_iterations: keep at most this many iterations per item (evenly spaced); all when ``None``.

    Raises:
        LoadError: the folder is missing, holds no Timelapse file, or a file cannot be read.
    """
    if max_iterations is not None and (not isinstance(max_iterations, int) or max_iterations < 1):
        raise ConfigError(f"max_iterations must be a positive int or None, got {max_iterations!r}")
    from kaolin_pipeline.io import usd

    reader = TimelapseReader(log_dir)
    # TimelapseReader.mesh() etc. look the file up by listing the whole log folder; with thousands of
    # clips that listing dominates, so each item's file is looked up once and read with the same importers.
    importers = {"mesh": usd.import_mesh, "pointcloud": usd.import_pointcloud, "voxelgrid": usd.import_voxelgrid}
    keys = [(category, kind, index) for category in reader.categories for kind in KINDS
            for index in reader.ids(category, kind)]
    if not keys:
        raise LoadError(f"{log_dir}: no <category>/mesh_<i>.usd, pointcloud_<i>.usd or voxelgrid_<i>.usd files")
    plan = [(key, _evenly_spaced(reader.iterations(*key), max_iterations)) for key in keys]
    items = []
    with tqdm(total=sum(len(its) for _, its in plan), desc="reading timelapse", unit="frame",
              disable=not progress) as bar:
        for (category, kind, index), iterations in plan:
            path = reader.path(category, kind, index)

            def frames(path=path, kind=kind, index=index, iterations=iterations):
                for iteration in iterations:
                    yield importers[kind](path, time=iteration, prim_path=f"/{kind}_{index}")
                    bar.update()

            if iterations:
                items.append(make_item(frames(), iterations, textures, category=category, id=index,
                                       extra={"path": str(path)}))
    return items


def scene_of_timelapse(log_dir: PathLike, max_iterations: Optional[int] = None, progress: bool = True) -> dict:
    """A training-visualizer scene of a Timelapse log folder."""
    textures = TexturePool()
    scene = new_scene(f"Timelapse: {Path(log_dir).name}", str(log_dir))
    scene["items"] = timelapse_items(log_dir, textures, max_iterations, progress)
    scene["textures"] = textures.uris
    return scene


def load_shape_file(path: PathLike):
    """The mesh, point cloud or voxel grid in ``path``.

    Extensions shared by several kinds (``.ply``, ``.npy``, ``.npz``, ``.usd``) try the loaders in
    the order mesh, point cloud, voxel grid; the first that reads the file wins.

    Raises:
        LoadError: no loader accepts the extension, or none reads the file (the first loader's error).
    """
    suffix = Path(path).suffix.lower()
    if suffix not in extensions():
        raise LoadError(f"{path}: cannot view a {suffix or 'extension-less'} file; "
                        f"expected one of {', '.join(sorted(set(extensions())))}")
    return load_any(path)[1]


def scene_of_file(path: PathLike) -> dict:
    """A scene of one mesh / point-cloud / voxel-grid file."""
    shape = load_shape_file(path)
    scene = scene_of_shapes([shape], title=Path(path).name, names=[Path(path).name])
    scene["subtitle"] = str(path)
    scene["items"][0]["path"] = str(path)
    return scene


def is_timelapse_folder(path: Path) -> bool:
    """Whether ``path`` holds Timelapse files (``<kind>_<i>.usd`` directly or one category folder down)."""
    try:
        reader = TimelapseReader(path)
        return any(reader.ids(category, kind) for category in reader.categories for kind in KINDS)
    except PipelineError:
        return False
