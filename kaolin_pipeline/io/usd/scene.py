"""Live USD stages as Kaolin's ``kaolin.io.usd.utils`` handles them: a new stage, a file path or an open
``Usd.Stage``, prims by path, the scene paths and the authored time samples of a stage.

A file path is opened through USD's layer registry, so a stage that is still open in the program is seen
with its unsaved edits, as Kaolin's functions see it; a layer without unsaved edits is re-read if the file
changed on disk since.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

from pxr import Sdf, Usd, UsdGeom

from kaolin_pipeline.errors import LoadError, MissingFileError, SaveError

StageArg = Union[str, os.PathLike, Usd.Stage]
PrimArg = Union[str, Sdf.Path, Usd.Prim]


def create_stage(file_path: Union[str, os.PathLike], up_axis: str = "Y") -> Usd.Stage:
    """A new, empty stage saved to ``file_path`` on ``stage.Save()``: an Xform ``/World`` as its default prim
    and ``up_axis`` (``'Y'`` or ``'Z'``). A file there is replaced; a layer of that file already open in the
    program is cleared and reused (its stages see the new content).

    Raises:
        SaveError: the folder does not exist, or ``up_axis`` is not ``'Y'`` / ``'Z'``.
    """
    path = Path(file_path)
    if up_axis not in ("Y", "Z"):
        raise SaveError(f"{path}: up_axis must be 'Y' or 'Z', got {up_axis!r}")
    if not path.absolute().parent.is_dir():
        raise SaveError(f"{path}: folder {path.absolute().parent} not found")
    layer = Sdf.Layer.Find(str(path)) or Sdf.Layer.Find(str(path.absolute()))
    if layer:
        layer.Clear()
        stage = Usd.Stage.Open(layer)
    else:
        stage = Usd.Stage.CreateNew(str(path))
    stage.SetDefaultPrim(stage.DefinePrim("/World", "Xform"))
    UsdGeom.SetStageUpAxis(stage, up_axis)
    return stage


def stage_of(file_path_or_stage: StageArg) -> Usd.Stage:
    """``file_path_or_stage`` itself if it is a ``Usd.Stage``, else the stage of that existing file.

    Raises:
        MissingFileError: no file at that path.
        LoadError: USD cannot open it.
    """
    if isinstance(file_path_or_stage, Usd.Stage):
        return file_path_or_stage
    path = Path(file_path_or_stage)
    if not path.is_file():
        raise MissingFileError(f"{path}: file does not exist")
    try:
        layer = Sdf.Layer.FindOrOpen(str(path))
    except Exception as exc:  # pxr raises Tf.ErrorException on a malformed file
        raise LoadError(f"{path}: not a readable USD file ({exc})".strip()) from exc
    if layer is None:
        raise LoadError(f"{path}: not a readable USD file")
    if not layer.dirty:  # nothing unsaved in the program: pick up what was written to the file since
        layer.Reload()
    return Usd.Stage.Open(layer)


def is_path(value) -> bool:
    """Whether ``value`` names a file (a ``str`` or path-like) rather than being a ``Usd.Stage``."""
    return isinstance(value, (str, os.PathLike))


def prim_of(stage: Usd.Stage, prim_or_path: PrimArg) -> Usd.Prim:
    """The prim ``prim_or_path`` (a ``Usd.Prim`` or an absolute scene path) of ``stage``.

    Raises:
        LoadError: no prim at that path (``"No prim found at path ..."``, Kaolin's words).
    """
    if isinstance(prim_or_path, Usd.Prim):
        prim = prim_or_path
    else:
        text = str(prim_or_path)
        prim = stage.GetPrimAtPath(text) if Sdf.Path.IsValidPathString(text) else Usd.Prim()
    if not prim or not prim.IsValid():
        raise LoadError(f"No prim found at path '{prim_or_path}'")
    return prim


def get_scene_paths(file_path_or_stage: StageArg, scene_path_regex: Optional[str] = None,
                    prim_types: Optional[Union[str, Sequence[str]]] = None,
                    conditional: Callable[[Usd.Prim], bool] = lambda prim: True) -> list[str]:
    """Paths of the prims of a file or stage in traversal order, kept when the path matches
    ``scene_path_regex`` (from its start, ``re.match``), the type name is one of ``prim_types`` (a name or a
    list, compared case-insensitively) and ``conditional(prim)`` is true."""
    stage = stage_of(file_path_or_stage)
    pattern = re.compile(scene_path_regex if scene_path_regex is not None else ".*")
    if isinstance(prim_types, str):
        prim_types = [prim_types]
    types = None if prim_types is None else {name.lower() for name in prim_types}
    return [str(prim.GetPath()) for prim in stage.Traverse()
            if (types is None or prim.GetTypeName().lower() in types)
            and pattern.match(str(prim.GetPath())) and conditional(prim)]


def get_authored_time_samples(file_path_or_stage: StageArg) -> list[float]:
    """Every time at which some attribute of some prim of the file or stage has an authored sample, sorted."""
    stage = stage_of(file_path_or_stage)
    return sorted({time for prim in stage.Traverse() for attribute in prim.GetAttributes()
                   for time in attribute.GetTimeSamples()})
