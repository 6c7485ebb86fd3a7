"""Read and write meshes, point clouds and voxel grids as USD (usd-core / ``pxr``).

Layouts follow Kaolin's ``kaolin.io.usd`` so files move between the two:

* a mesh is a ``UsdGeom.Mesh`` with ``points``, ``faceVertexCounts``,
  ``faceVertexIndices``, face-varying ``primvars:st`` (``uvs[face_uvs_idx]``),
  vertex ``normals``, vertex ``primvars:displayColor`` and a bound
  ``UsdPreviewSurface`` material whose diffuse colour is a ``UsdUVTexture`` (a PNG
  under ``textures/`` next to the USD file) read through ``st`` by a
  ``UsdPrimvarReader_float2``;
* a point cloud is a ``UsdGeom.Points`` (widths, normals, displayColor) or a
  ``UsdGeom.PointInstancer`` of a radius-0.5 sphere at ``<prim>/sphere``;
* a voxel grid is a ``PointInstancer`` of a unit cube at ``<prim>/cube`` placed at the
  integer indices of occupied voxels, with ``primvars:grid_size`` and a
  translate + scale transform mapping indices to voxel centres; the grid's box is also
  kept exactly in ``kaolin_pipeline:origin`` / ``kaolin_pipeline:size``.

Time: ``time=None`` writes default values (a fresh file) and reads the default value,
or the latest time sample when there is none. Exporting with a ``time`` to an
existing file adds time samples to it; topology-like data (faces, UVs, grid box) is
written once as a default value and only turned into time samples if it changes.

Each ``write_*`` authoring function takes two stages: ``static`` receives the
structure and topology, ``samples`` the per-time values. Plain exports pass the same
stage twice; :mod:`kaolin_pipeline.export.timelapse` passes a small per-iteration
layer as ``samples`` (a USD value clip) so appending stays cheap.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from PIL import Image
from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade, Vt

from kaolin_pipeline.io._fileutil import (
    USD_EXTENSIONS,
    PathLike,
    atomic_path,
    check_extension,
    check_readable,
    float_tensor,
    long_tensor,
    reading,
    to_numpy,
)
from kaolin_pipeline.structures import Mesh, PointCloud, VoxelGrid
from kaolin_pipeline.io.validate import validate_for_saving, validate_mesh, validate_pointcloud, validate_voxelgrid
from kaolin_pipeline.errors import LoadError, PipelineError, SaveError

TimeArg = Optional[float]

DEFAULT_MESH_PATH = "/World/Meshes/mesh_0"
DEFAULT_POINTCLOUD_PATH = "/World/PointClouds/pointcloud_0"
DEFAULT_VOXELGRID_PATH = "/World/VoxelGrids/voxelgrid_0"
POINTS_TYPES = ("usd_geom_points", "point_instancer")
TEXTURE_DIR = "textures"
ORIGIN_ATTR = "kaolin_pipeline:origin"
SIZE_ATTR = "kaolin_pipeline:size"


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
    check_extension(path, USD_EXTENSIONS, error)
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


def _stage_for_export(path: PathLike, time: TimeArg) -> tuple[Sdf.Layer, Usd.Stage]:
    """A layer to author into: the existing file when adding a time sample, else a fresh one."""
    check_extension(path, USD_EXTENSIONS, SaveError)
    if time is not None and Path(path).is_file():
        try:
            layer = open_layer(path)
        except LoadError as exc:
            raise SaveError(f"cannot add a time sample: {exc}") from exc
    else:
        layer = new_stage_layer()
    return layer, Usd.Stage.Open(layer)


def _usd_time(time: TimeArg) -> Usd.TimeCode:
    return Usd.TimeCode.Default() if time is None else Usd.TimeCode(float(time))


def _define_parents(stage: Usd.Stage, prim_path: str, path: PathLike) -> Sdf.Path:
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


def _array(attr: Usd.Attribute, time: Usd.TimeCode, dtype) -> Optional[np.ndarray]:
    value = attr.Get(time) if attr else None
    return None if value is None else np.asarray(value, dtype=dtype)


def _find_prim(stage: Usd.Stage, prim_path: Optional[str], accept: Callable[[Usd.Prim], bool], what: str,
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


def _open_stage(path: PathLike) -> tuple[Usd.Stage, str]:
    layer = open_layer(path)
    with reading(path, "USD stage"):
        return Usd.Stage.Open(layer), str(path)


def _world_matrix(prim: Usd.Prim, time: Usd.TimeCode) -> np.ndarray:
    """(4, 4) row-vector local-to-world matrix (``p_world = [p, 1] @ M``)."""
    return np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(time), dtype=np.float64)


def _transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return (points.astype(np.float64) @ matrix[:3, :3] + matrix[3, :3]).astype(np.float32)


def _transform_normals(normals: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    moved = normals.astype(np.float64) @ np.linalg.inv(matrix[:3, :3]).T
    return (moved / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _is_identity(matrix: np.ndarray) -> bool:
    return bool(np.array_equal(matrix, np.eye(4)))


# --------------------------------------------------------------------------- textures and materials


def write_texture_png(texture: torch.Tensor, path: PathLike, atomic: Callable = atomic_path) -> None:
    """Write a (3, H, W) texture in [0, 1] (row 0 = top) as an 8-bit RGB PNG, atomically."""
    pixels = to_numpy(texture, "texture", path, np.float32)
    if pixels.ndim != 3 or pixels.shape[0] != 3:
        raise SaveError(f"{path}: texture must have shape (3, H, W), got {tuple(pixels.shape)}")
    rgb = np.clip(np.rint(pixels.transpose(1, 2, 0) * 255.0), 0, 255).astype(np.uint8)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic(path) as temporary:
        Image.fromarray(rgb, "RGB").save(temporary, format="PNG")


def read_texture_png(path: PathLike, source: str) -> torch.Tensor:
    """(3, H, W) float32 texture in [0, 1] from an image file."""
    if not Path(path).is_file():
        raise LoadError(f"{source}: texture file {path} does not exist")
    with reading(path, "texture image"):
        rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    return float_tensor(rgb.transpose(2, 0, 1))


def write_preview_material(static: Usd.Stage, samples: Usd.Stage, material_path: str, texture_asset: str,
                           time: TimeArg) -> UsdShade.Material:
    """A ``UsdPreviewSurface`` material whose diffuse colour samples ``texture_asset`` through ``st``.

    Layout (Kaolin's names): ``<material>/Shader`` (UsdPreviewSurface),
    ``<material>/diffuse_texture`` (UsdUVTexture, its ``inputs:file`` written to
    ``samples`` at ``time``) and ``<material>/st_reader`` (UsdPrimvarReader_float2).
    """
    material = UsdShade.Material.Define(static, material_path)
    surface = UsdShade.Shader.Define(static, f"{material_path}/Shader")
    surface.CreateIdAttr("UsdPreviewSurface")
    texture = UsdShade.Shader.Define(static, f"{material_path}/diffuse_texture")
    texture.CreateIdAttr("UsdUVTexture")
    texture.CreateInput("file", Sdf.ValueTypeNames.Asset)
    reader = UsdShade.Shader.Define(static, f"{material_path}/st_reader")
    reader.CreateIdAttr("UsdPrimvarReader_float2")
    reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
    st_output = reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
    texture.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(st_output)
    texture.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
    rgb_output = texture.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
    surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(rgb_output)
    material.CreateSurfaceOutput().ConnectToSource(surface.CreateOutput("surface", Sdf.ValueTypeNames.Token))
    sampled_texture = UsdShade.Shader.Define(samples, f"{material_path}/diffuse_texture")
    sampled_texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(texture_asset), _usd_time(time))
    return material


def bind_material(prim: Usd.Prim, material: UsdShade.Material) -> None:
    UsdShade.MaterialBindingAPI.Apply(prim).Bind(material)


def texture_file_name(usd_path: PathLike, prim_path: str, time: TimeArg) -> str:
    """Relative asset path ``textures/<file stem>_<prim name>[_<time>]_diffuse.png`` of a mesh's texture."""
    stamp = "" if time is None else f"_{int(time) if float(time).is_integer() else float(time)}"
    return f"{TEXTURE_DIR}/{Path(usd_path).stem}_{Sdf.Path(prim_path).name}{stamp}_diffuse.png"


def _read_bound_texture(prim: Usd.Prim, time: Usd.TimeCode, source: str) -> Optional[torch.Tensor]:
    """The diffuse texture of the UsdPreviewSurface bound to ``prim``, if it has one."""
    material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
    if not material:
        return None
    surface = material.ComputeSurfaceSource()[0]
    diffuse = surface.GetInput("diffuseColor") if surface else None
    if not diffuse or not diffuse.HasConnectedSource():
        return None
    texture = UsdShade.Shader(diffuse.GetConnectedSource()[0].GetPrim())
    file_input = texture.GetInput("file")
    asset = file_input.Get(time) if file_input else None
    if asset is None and not time.IsDefault():
        asset = file_input.Get(Usd.TimeCode.Default())
    if asset is None:
        return None
    resolved = asset.resolvedPath or str(Path(source).parent / asset.path)
    return read_texture_png(resolved, source)


# --------------------------------------------------------------------------- meshes


def write_mesh(static: Usd.Stage, samples: Usd.Stage, prim_path: str, mesh: Mesh, time: TimeArg,
               earlier_times: Sequence[float] = (), texture_asset: Optional[str] = None,
               material_path: Optional[str] = None) -> Usd.Prim:
    """Author ``mesh`` at ``prim_path``: topology and UVs into ``static``, per-time values into ``samples``.

    ``texture_asset`` is the (already written) texture's asset path; with it a material is
    defined at ``material_path`` (default ``<prim_path>_material`` beside the mesh) and bound.
    """
    usd_time = _usd_time(time)
    faces = to_numpy(mesh.faces, "faces", prim_path, np.int32)
    usd_mesh = UsdGeom.Mesh.Define(static, prim_path)
    usd_mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    set_static(usd_mesh.CreateFaceVertexCountsAttr(), Vt.IntArray.FromNumpy(np.full(len(faces), 3, np.int32)),
               time, earlier_times)
    set_static(usd_mesh.CreateFaceVertexIndicesAttr(), Vt.IntArray.FromNumpy(faces.reshape(-1)), time, earlier_times)
    if mesh.uvs is not None and mesh.face_uvs_idx is not None:
        corner_uvs = to_numpy(mesh.uvs, "uvs", prim_path, np.float32)[
            to_numpy(mesh.face_uvs_idx, "face_uvs_idx", prim_path, np.int64).reshape(-1)]
        st = UsdGeom.PrimvarsAPI(usd_mesh).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray,
                                                         UsdGeom.Tokens.faceVarying)
        set_static(st.GetAttr(), Vt.Vec2fArray.FromNumpy(corner_uvs), time, earlier_times)

    sampled = UsdGeom.Mesh.Define(samples, prim_path)
    sampled.CreatePointsAttr().Set(Vt.Vec3fArray.FromNumpy(to_numpy(mesh.vertices, "vertices", prim_path,
                                                                     np.float32)), usd_time)
    extent = UsdGeom.PointBased.ComputeExtent(sampled.GetPointsAttr().Get(usd_time))
    sampled.CreateExtentAttr().Set(extent, usd_time)
    if mesh.vertex_normals is not None:
        usd_mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
        sampled.CreateNormalsAttr().Set(Vt.Vec3fArray.FromNumpy(
            to_numpy(mesh.vertex_normals, "vertex_normals", prim_path, np.float32)), usd_time)
    if mesh.vertex_colors is not None:
        usd_mesh.CreateDisplayColorPrimvar(UsdGeom.Tokens.vertex)
        sampled.CreateDisplayColorAttr().Set(Vt.Vec3fArray.FromNumpy(
            to_numpy(mesh.vertex_colors, "vertex_colors", prim_path, np.float32)), usd_time)
    if texture_asset is not None:
        material = write_preview_material(static, samples, material_path or f"{prim_path}_material",
                                          texture_asset, time)
        bind_material(usd_mesh.GetPrim(), material)
    return usd_mesh.GetPrim()


def export_mesh(path: PathLike, mesh: Mesh, time: TimeArg = None, prim_path: Optional[str] = None) -> None:
    """Write ``mesh`` to the USD file ``path`` (a new file, or a new time sample of an existing one).

    The texture, if any, is written as ``textures/<stem>_<prim name>[_<time>]_diffuse.png``
    next to ``path`` and bound through a UsdPreviewSurface material.

    Args:
        path: ``.usd`` / ``.usda`` / ``.usdc`` file.
        mesh: :class:`Mesh` with ``vertices (V, 3)``, ``faces (F, 3)`` and optional UVs,
            colours, normals and texture.
        time: time code of the values; ``None`` writes default values into a fresh file.
        prim_path: where the Mesh prim goes (default ``/World/Meshes/mesh_0``).

    Raises:
        SaveError: invalid mesh, bad ``prim_path``, unreadable existing file or a write failure.
    """
    validate_for_saving(mesh, Mesh, path)
    prim_path = prim_path or DEFAULT_MESH_PATH
    layer, stage = _stage_for_export(path, time)
    _define_parents(stage, prim_path, path)
    points_attr = stage.GetAttributeAtPath(f"{prim_path}.points")
    earlier = sample_times(points_attr) if points_attr else []
    texture_asset = None
    if mesh.texture is not None:
        texture_asset = texture_file_name(path, prim_path, time)
        write_texture_png(mesh.texture, Path(path).parent / texture_asset)
    with _writing(path):
        write_mesh(stage, stage, prim_path, mesh, time, earlier, texture_asset)
        _extend_time_range(stage, time)
    save_layer(layer, path)


def import_mesh(path: PathLike, time: TimeArg = None, prim_path: Optional[str] = None) -> Mesh:
    """Read a triangle :class:`Mesh` from the first Mesh prim of a USD file (or the one at ``prim_path``).

    Polygons are triangulated as fans, the prim's world transform is applied, face-varying
    or vertex ``st`` UVs become ``uvs (T, 2)`` + ``face_uvs_idx (F, 3)`` (duplicates
    merged), vertex ``displayColor`` becomes ``vertex_colors (V, 3)``, vertex normals
    become ``vertex_normals (V, 3)`` and the bound UsdPreviewSurface's diffuse texture
    becomes ``texture (3, H, W)``.

    Raises:
        LoadError: missing or non-USD file, no Mesh prim, bad ``prim_path``, no sample at ``time``.
    """
    stage, source = _open_stage(path)
    prim = _find_prim(stage, prim_path, lambda p: p.IsA(UsdGeom.Mesh), "Mesh", source)
    usd_mesh = UsdGeom.Mesh(prim)
    with reading(path, "USD mesh"):
        at = resolve_time(usd_mesh.GetPointsAttr(), time, source)
        points = _array(usd_mesh.GetPointsAttr(), at, np.float32).reshape(-1, 3)
        counts = _array(usd_mesh.GetFaceVertexCountsAttr(), at, np.int64)
        indices = _array(usd_mesh.GetFaceVertexIndicesAttr(), at, np.int64)
        if counts is None or indices is None:
            raise LoadError(f"{source}: mesh {prim.GetPath()} has no faceVertexCounts/faceVertexIndices")
        corners = _fan_corners(counts, len(indices), source)
        matrix = _world_matrix(prim, at)
        mesh = Mesh(vertices=float_tensor(_transform_points(points, matrix)),
                    faces=long_tensor(indices[corners]))
        mesh.uvs, mesh.face_uvs_idx = _read_uvs(usd_mesh, at, corners, indices, len(points))
        mesh.vertex_colors = _read_vertex_colors(usd_mesh, at, len(points))
        normals = _array(usd_mesh.GetNormalsAttr(), at, np.float32)
        if normals is not None and usd_mesh.GetNormalsInterpolation() in (UsdGeom.Tokens.vertex,
                                                                          UsdGeom.Tokens.varying):
            normals = normals.reshape(-1, 3)
            mesh.vertex_normals = float_tensor(normals if _is_identity(matrix) else
                                               _transform_normals(normals, matrix))
        mesh.texture = _read_bound_texture(prim, at, source)
    return validate_mesh(mesh, source)


def _fan_corners(counts: np.ndarray, num_indices: int, source: str) -> np.ndarray:
    """(F, 3) positions in ``faceVertexIndices`` of the fan triangles of polygons with ``counts`` corners."""
    if counts.size and counts.min() < 3:
        raise LoadError(f"{source}: faceVertexCounts has a face with {int(counts.min())} vertices (need >= 3)")
    if int(counts.sum()) != num_indices:
        raise LoadError(f"{source}: faceVertexCounts sum to {int(counts.sum())} but there are {num_indices} indices")
    starts = np.repeat(np.cumsum(counts) - counts, counts - 2)
    offsets = np.arange(len(starts)) - np.repeat(np.cumsum(counts - 2) - (counts - 2), counts - 2) + 1
    return np.stack([starts, starts + offsets, starts + offsets + 1], axis=1)


def _read_uvs(usd_mesh: UsdGeom.Mesh, at: Usd.TimeCode, corners: np.ndarray, indices: np.ndarray,
              num_vertices: int) -> tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    primvar = UsdGeom.PrimvarsAPI(usd_mesh).GetPrimvar("st")
    values = primvar.ComputeFlattened(at) if primvar and primvar.HasValue() else None
    if values is None:
        return None, None
    values = np.asarray(values, dtype=np.float32).reshape(-1, 2)
    interpolation = primvar.GetInterpolation()
    if interpolation == UsdGeom.Tokens.faceVarying and len(values) == len(indices):
        uvs, inverse = np.unique(values[corners.reshape(-1)], axis=0, return_inverse=True)
        return float_tensor(uvs), long_tensor(inverse.reshape(-1, 3))
    if interpolation in (UsdGeom.Tokens.vertex, UsdGeom.Tokens.varying) and len(values) == num_vertices:
        return float_tensor(values), long_tensor(indices[corners])
    return None, None


def _read_vertex_colors(geom: UsdGeom.Gprim, at: Usd.TimeCode, count: int) -> Optional[torch.Tensor]:
    primvar = geom.GetDisplayColorPrimvar()
    values = primvar.ComputeFlattened(at) if primvar and primvar.HasValue() else None
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float32).reshape(-1, 3)
    if primvar.GetInterpolation() == UsdGeom.Tokens.constant and len(values) == 1:
        values = np.repeat(values, count, axis=0)
    return float_tensor(values) if len(values) == count else None


# --------------------------------------------------------------------------- point clouds


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
    usd_time = _usd_time(time)
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
        prim = _define_instancer(static, prim_path, "sphere").GetPrim()
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
    _set_kaolin_type(prim, "PointCloud")
    return prim


def _define_instancer(stage: Usd.Stage, prim_path: str, prototype: str) -> UsdGeom.PointInstancer:
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


def _set_kaolin_type(prim: Usd.Prim, kind: str) -> None:
    """Kaolin's ``primvars:kaolin_type`` tag, which its importers use to find point clouds and voxel grids."""
    UsdGeom.PrimvarsAPI(prim).CreatePrimvar("kaolin_type", Sdf.ValueTypeNames.String).Set(kind)


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
    layer, stage = _stage_for_export(path, time)
    _define_parents(stage, prim_path, path)
    existing = stage.GetPrimAtPath(prim_path)
    wanted = "Points" if points_type == "usd_geom_points" else "PointInstancer"
    if existing and existing.GetTypeName() != wanted:
        raise SaveError(f"{path}: prim {prim_path} is a {existing.GetTypeName()}, cannot add {points_type} samples")
    with _writing(path):
        write_pointcloud(stage, stage, prim_path, cloud, time, points_type)
        _extend_time_range(stage, time)
    save_layer(layer, path)


def import_pointcloud(path: PathLike, time: TimeArg = None, prim_path: Optional[str] = None) -> PointCloud:
    """Read a :class:`PointCloud` from the first ``Points`` or ``PointInstancer`` prim (or ``prim_path``).

    Points give ``points (N, 3)`` (world transform applied), ``normals`` and
    ``colors`` from vertex ``displayColor``; a PointInstancer gives its ``positions``
    and per-instance ``displayColor`` / ``normals`` primvars.

    Raises:
        LoadError: missing or non-USD file, no point prim, bad ``prim_path``, no sample at ``time``.
    """
    stage, source = _open_stage(path)
    prim = _find_prim(stage, prim_path, lambda p: p.IsA(UsdGeom.Points) or p.IsA(UsdGeom.PointInstancer),
                      "Points or PointInstancer", source)
    with reading(path, "USD point cloud"):
        if prim.IsA(UsdGeom.Points):
            geom = UsdGeom.Points(prim)
            at = resolve_time(geom.GetPointsAttr(), time, source)
            points = _array(geom.GetPointsAttr(), at, np.float32)
            normals = _array(geom.GetNormalsAttr(), at, np.float32)
        else:
            geom = UsdGeom.PointInstancer(prim)
            at = resolve_time(geom.GetPositionsAttr(), time, source)
            points = _array(geom.GetPositionsAttr(), at, np.float32)
            normals_pv = UsdGeom.PrimvarsAPI(prim).GetPrimvar("normals")
            normals = _array(normals_pv.GetAttr(), at, np.float32) if normals_pv else None
        points = points.reshape(-1, 3)
        matrix = _world_matrix(prim, at)
        cloud = PointCloud(points=float_tensor(_transform_points(points, matrix)))
        if normals is not None and len(normals) == len(points):
            normals = normals.reshape(-1, 3)
            cloud.normals = float_tensor(normals if _is_identity(matrix) else _transform_normals(normals, matrix))
        color_pv = UsdGeom.PrimvarsAPI(prim).GetPrimvar("displayColor")
        colors = _array(color_pv.GetAttr(), at, np.float32) if color_pv else None
        if colors is not None and colors.reshape(-1, 3).shape[0] == len(points):
            cloud.colors = float_tensor(colors.reshape(-1, 3))
    return validate_pointcloud(cloud, source)


# --------------------------------------------------------------------------- voxel grids


def write_voxelgrid(static: Usd.Stage, samples: Usd.Stage, prim_path: str, grid: VoxelGrid, time: TimeArg,
                    earlier_times: Sequence[float] = ()) -> Usd.Prim:
    """Author ``grid`` at ``prim_path`` as Kaolin's PointInstancer of unit cubes at occupied indices.

    The transform ``translate(origin + voxel / 2) * scale(voxel)`` maps index ``(i, j, k)``
    to the voxel's centre; ``primvars:grid_size`` holds ``R`` and
    ``kaolin_pipeline:origin`` / ``kaolin_pipeline:size`` the exact box.
    """
    usd_time = _usd_time(time)
    resolution = grid.resolution
    origin = to_numpy(grid.origin, "origin", prim_path, np.float32).reshape(3)
    size = float(grid.size)
    voxel = size / resolution
    instancer = _define_instancer(static, prim_path, "cube")
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
    _set_kaolin_type(prim, "VoxelGrid")

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
    layer, stage = _stage_for_export(path, time)
    _define_parents(stage, prim_path, path)
    positions = stage.GetAttributeAtPath(f"{prim_path}.positions")
    earlier = sample_times(positions) if positions else []
    with _writing(path):
        write_voxelgrid(stage, stage, prim_path, grid, time, earlier)
        _extend_time_range(stage, time)
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
    stage, source = _open_stage(path)

    def is_voxelgrid(prim: Usd.Prim) -> bool:
        kind = prim.GetAttribute("primvars:kaolin_type")
        return prim.IsA(UsdGeom.PointInstancer) and (prim_path is not None or
                                                      (bool(kind) and kind.Get() == "VoxelGrid"))

    prim = _find_prim(stage, prim_path, is_voxelgrid, "voxel grid PointInstancer", source)
    instancer = UsdGeom.PointInstancer(prim)
    with reading(path, "USD voxel grid"):
        at = resolve_time(instancer.GetPositionsAttr(), time, source)
        positions = _array(instancer.GetPositionsAttr(), at, np.float64).reshape(-1, 3)
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


# --------------------------------------------------------------------------- shared


class _writing:
    """Context manager turning a pxr failure while authoring into a :class:`SaveError` naming the file."""

    def __init__(self, path: PathLike):
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is not None and not isinstance(exc, PipelineError) and isinstance(exc, Exception):
            raise SaveError(f"{self.path}: could not write USD: {type(exc).__name__}: {exc}") from exc
        return False


def _extend_time_range(stage: Usd.Stage, time: TimeArg) -> None:
    """Widen the stage's start/end time codes to include ``time``."""
    if time is None:
        return
    layer = stage.GetRootLayer()
    start = stage.GetStartTimeCode() if layer.HasStartTimeCode() else float(time)
    end = stage.GetEndTimeCode() if layer.HasEndTimeCode() else float(time)
    stage.SetStartTimeCode(min(start, float(time)))
    stage.SetEndTimeCode(max(end, float(time)))


__all__ = [
    "export_mesh", "import_mesh", "export_pointcloud", "import_pointcloud", "export_voxelgrid", "import_voxelgrid",
    "POINTS_TYPES", "DEFAULT_MESH_PATH", "DEFAULT_POINTCLOUD_PATH", "DEFAULT_VOXELGRID_PATH",
]
