"""USD stages, layers and time samples: what the mesh, points and voxel modules share.

Stages carry Kaolin's metadata (an Xform default prim ``/World``, +Y up, 1 unit = 1 metre).
Time: ``time=None`` writes default values and reads the default value, or the latest time
sample when there is none; a given time must be an authored sample (no interpolation).
Matrices are USD's row-vector convention (``p_world = [p, 1] @ M``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
from pxr import Sdf, Usd, UsdGeom

from kaolin_pipeline.io._fileutil import USD_EXTENSIONS, USD_READ_EXTENSIONS, PathLike, atomic_path, check_extension, check_readable, reading
from kaolin_pipeline.errors import LoadError, PipelineError, SaveError

TimeArg = Optional[float]


# --------------------------------------------------------------------------- stages and files


def new_stage_layer(up_axis: str = "Y", default_prim: str = "/World", extension: str = ".usd") -> Sdf.Layer:
    """An anonymous layer with Kaolin's stage metadata: an Xform ``default_prim``, the up axis, metres."""
    layer = Sdf.Layer.CreateAnonymous(extension)
    stage = Usd.Stage.Open(layer)
    stage.SetDefaultPrim(stage.DefinePrim(default_prim, "Xform"))
    UsdGeom.SetStageUpAxis(stage, up_axis)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    return layer


def open_layer(path: PathLike, error: type[PipelineError] = LoadError) -> Sdf.Layer:
    """Open the USD file at ``path`` as a layer (re-read from disk), or raise ``error`` naming it."""
    check_extension(path, USD_READ_EXTENSIONS if error is LoadError else USD_EXTENSIONS, error)
    if error is LoadError:
        check_readable(path)
    with reading(path, "USD file"):
        layer = Sdf.Layer.FindOrOpen(str(path))
        if layer is None:
            raise LoadError(f"{path}: not a readable USD file")
        layer.Reload()
        return layer


def save_layer(layer: Sdf.Layer, path: PathLike, atomic: Callable = atomic_path) -> None:
    """Write ``layer`` to ``path`` through a temporary file in the same folder and an atomic rename."""
    with atomic(path) as temporary:
        if not layer.Export(str(temporary)):
            raise SaveError(f"{path}: USD could not write the layer")


def stage_for_export(path: PathLike, time: TimeArg, prim_path: str) -> tuple[Sdf.Layer, Usd.Stage]:
    """A layer to author ``prim_path`` into (the existing file when adding a time sample, else a fresh
    one) and its stage, with the prim's missing ancestors defined (:func:`define_parents`)."""
    check_extension(path, USD_EXTENSIONS, SaveError)
    if time is not None and Path(path).is_file():
        try:
            layer = open_layer(path)
        except LoadError as exc:
            raise SaveError(f"cannot add a time sample: {exc}") from exc
    else:
        layer = new_stage_layer()
    stage = Usd.Stage.Open(layer)
    define_parents(stage, prim_path, path)
    return layer, stage


def authored_times(stage: Usd.Stage, attribute_path: str) -> list[float]:
    """Time samples already authored on ``attribute_path`` (``/prim.attribute``); empty where it does not exist."""
    attribute = stage.GetAttributeAtPath(attribute_path)
    return sample_times(attribute) if attribute else []


def time_code(time) -> Usd.TimeCode:
    """A time argument as USD's time code: None is the default value; a ``Usd.TimeCode`` is kept."""
    if isinstance(time, Usd.TimeCode):
        return time
    return Usd.TimeCode.Default() if time is None else Usd.TimeCode(float(time))


def define_parents(stage: Usd.Stage, prim_path: str, path: PathLike) -> Sdf.Path:
    """Validate ``prim_path`` and define missing ancestors as Xforms (so geometry sits under Xformables)."""
    sdf_path = Sdf.Path(prim_path) if Sdf.Path.IsValidPathString(prim_path) else Sdf.Path()
    if not sdf_path.IsAbsolutePath() or not sdf_path.IsPrimPath():
        raise SaveError(f"{path}: prim_path {prim_path!r} is not an absolute USD prim path")
    for ancestor in reversed(sdf_path.GetParentPath().GetPrefixes()):
        if not stage.GetPrimAtPath(ancestor):
            stage.DefinePrim(ancestor, "Xform")
    return sdf_path



# --------------------------------------------------------------------------- values that change rarely


def _same_value(current, value: np.ndarray) -> bool:
    return current is not None and np.array_equal(np.asarray(current), np.asarray(value))


def set_static(attr: Usd.Attribute, value, time: TimeArg, earlier_times: Sequence[float] = ()) -> None:
    """Write ``value`` as the default once; turn the attribute into time samples only if it changes.

    When a different value arrives at ``time`` and only a default exists, the old value is
    pinned at the first and last of ``earlier_times`` (so earlier times keep reading it)
    and the default is cleared.
    """
    if time is None:
        attr.Set(value)
        return
    if not attr.HasAuthoredValue():
        attr.Set(value)
        return
    if _same_value(attr.Get(Usd.TimeCode(float(time))), value):
        return
    if attr.GetNumTimeSamples() == 0:
        previous = attr.Get()
        for earlier in {min(earlier_times), max(earlier_times)} if earlier_times else ():
            attr.Set(previous, Usd.TimeCode(earlier))
        attr.ClearDefault()
    attr.Set(value, Usd.TimeCode(float(time)))


def sample_times(attr: Usd.Attribute) -> list[float]:
    """Authored time samples of ``attr`` (through value clips too)."""
    return list(attr.GetTimeSamples())



# --------------------------------------------------------------------------- reading helpers


def resolve_time(attr: Usd.Attribute, time: TimeArg, source: str) -> Usd.TimeCode:
    """The time code to read ``attr`` at: ``None`` is the default value, else the latest sample.

    A given ``time`` must be an authored time sample; anything else raises :class:`LoadError`
    (reading between samples would silently interpolate).
    """
    if time is None:
        if attr.Get(Usd.TimeCode.Default()) is not None:
            return Usd.TimeCode.Default()
        times = sample_times(attr)
        if not times:
            raise LoadError(f"{source}: {attr.GetPath()} has no value")
        return Usd.TimeCode(times[-1])
    found, lower, upper = _bracketing(attr, float(time))
    if not found:
        raise LoadError(f"{source}: {attr.GetPath()} has no time samples (asked for time {time})")
    if lower != float(time) or upper != float(time):
        raise LoadError(
            f"{source}: {attr.GetPath()} has no time sample at time {time} (nearest: {lower:g}, {upper:g})"
        )
    return Usd.TimeCode(float(time))


def _bracketing(attr: Usd.Attribute, time: float) -> tuple[bool, float, float]:
    result = attr.GetBracketingTimeSamples(time)
    if len(result) == 3:
        return bool(result[0]), float(result[1]), float(result[2])
    return (len(result) == 2, *(float(v) for v in result)) if result else (False, 0.0, 0.0)


def read_array(attr: Usd.Attribute, time: Usd.TimeCode, dtype) -> Optional[np.ndarray]:
    value = attr.Get(time) if attr else None
    return None if value is None else np.asarray(value, dtype=dtype)


def find_prim(stage: Usd.Stage, prim_path: Optional[str], accept: Callable[[Usd.Prim], bool], what: str,
               source: str) -> Usd.Prim:
    """The prim at ``prim_path`` (which must be ``what``), or the first such prim in the stage."""
    if prim_path is not None:
        prim = stage.GetPrimAtPath(prim_path) if Sdf.Path.IsValidPathString(prim_path) else None
        if not prim:
            raise LoadError(f"{source}: no prim at prim_path {prim_path!r}")
        if not accept(prim):
            raise LoadError(f"{source}: prim {prim_path} is a {prim.GetTypeName() or 'typeless prim'}, not a {what}")
        return prim
    for prim in stage.Traverse():
        if accept(prim):
            return prim
    raise LoadError(f"{source}: no {what} prim in the file")


def open_stage(path: PathLike | Usd.Stage) -> tuple[Usd.Stage, str]:
    """``(stage, source name)`` of a USD file, or of an open ``Usd.Stage`` (named by its root layer)."""
    if isinstance(path, Usd.Stage):
        return path, path.GetRootLayer().realPath or path.GetRootLayer().identifier
    layer = open_layer(path)
    with reading(path, "USD stage"):
        return Usd.Stage.Open(layer), str(path)


def world_matrix(prim: Usd.Prim, time: Usd.TimeCode) -> np.ndarray:
    """(4, 4) row-vector local-to-world matrix (``p_world = [p, 1] @ M``)."""
    return np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(time), dtype=np.float64)


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return (points.astype(np.float64) @ matrix[:3, :3] + matrix[3, :3]).astype(np.float32)


def transform_normals(normals: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    moved = normals.astype(np.float64) @ np.linalg.inv(matrix[:3, :3]).T
    return (moved / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def is_identity(matrix: np.ndarray) -> bool:
    return bool(np.array_equal(matrix, np.eye(4)))



# --------------------------------------------------------------------------- authoring helpers


def set_kaolin_type(prim: Usd.Prim, kind: str) -> None:
    """Kaolin's ``primvars:kaolin_type`` tag, which its importers use to find point clouds and voxel grids."""
    UsdGeom.PrimvarsAPI(prim).CreatePrimvar("kaolin_type", Sdf.ValueTypeNames.String).Set(kind)


class writing:
    """Context manager turning a pxr failure while authoring into a :class:`SaveError` naming the file."""

    def __init__(self, path: PathLike):
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is not None and not isinstance(exc, PipelineError) and isinstance(exc, Exception):
            raise SaveError(f"{self.path}: could not write USD: {type(exc).__name__}: {exc}") from exc
        return False


def extend_time_range(stage: Usd.Stage, time: TimeArg) -> None:
    """Widen the stage's start/end time codes to include ``time``."""
    if time is None:
        return
    layer = stage.GetRootLayer()
    start = stage.GetStartTimeCode() if layer.HasStartTimeCode() else float(time)
    end = stage.GetEndTimeCode() if layer.HasEndTimeCode() else float(time)
    stage.SetStartTimeCode(min(start, float(time)))
    stage.SetEndTimeCode(max(end, float(time)))
