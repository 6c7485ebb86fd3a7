"""USD meshes: a ``UsdGeom.Mesh`` with Kaolin's layout.

``points`` (V, 3), ``faceVertexCounts`` / ``faceVertexIndices`` (triangles on writing; any
polygons on reading, fan-triangulated, winding kept: counter-clockwise = front, USD's
default ``rightHanded`` orientation), face-varying ``primvars:st`` (``uvs[face_uvs_idx]``,
origin at the bottom-left of the texture; on reading, the first texture-coordinate primvar
when there is no ``st``), vertex ``normals``, vertex
``primvars:displayColor``, and UsdPreviewSurface materials bound to the prim or to
per-material face subsets (:mod:`.materials`). Reading
applies the prim's world transform and merges duplicate UVs into ``uvs (T, 2)`` +
``face_uvs_idx (F, 3)``.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Optional, Sequence

import numpy as np
import torch
from pxr import Sdf, Usd, UsdGeom, Vt

from kaolin_pipeline.io._fileutil import PathLike, float_tensor, long_tensor, reading, to_numpy
from kaolin_pipeline.io.textures import shared_diffuse_texture, write_texture_png
from kaolin_pipeline.io.usd.materials import (
    MaterialLibrary,
    bind_material,
    texture_file_name,
    write_material_subsets,
    write_preview_material,
)
from kaolin_pipeline.io.usd.stage import (
    TimeArg,
    authored_times,
    define_parents,
    extend_time_range,
    find_prim,
    is_identity,
    open_stage,
    read_array,
    resolve_time,
    save_layer,
    set_static,
    stage_for_export,
    transform_normals,
    transform_points,
    time_code,
    world_matrix,
    writing,
)
from kaolin_pipeline.io.validate import validate_for_saving, validate_mesh
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import LoadError, SaveError

DEFAULT_MESH_PATH = "/World/Meshes/mesh_0"


def write_mesh(static: Usd.Stage, samples: Usd.Stage, prim_path: str, mesh: Mesh, time: TimeArg,
               earlier_times: Sequence[float] = (), texture_asset: Optional[str] = None,
               material_path: Optional[str] = None, indexed_uvs: bool = False) -> Usd.Prim:
    """Author ``mesh`` at ``prim_path``: topology and UVs into ``static``, per-time values into ``samples``.

    UVs: face-varying ``primvars:st``, one value per face corner (``uvs[face_uvs_idx]``); with
    ``indexed_uvs``, Kaolin's layout instead: ``uvs (T, 2)`` as the values and ``face_uvs_idx (F, 3)``
    as the primvar's indices, so a reader that keeps indexed UVs as stored gets ``uvs`` back unchanged.
    ``texture_asset`` is the (already written) texture's asset path; with it a material is
    defined at ``material_path`` (default ``<prim_path>_material`` beside the mesh) and bound.
    """
    usd_time = time_code(time)
    faces = to_numpy(mesh.faces, "faces", prim_path, np.int32)
    usd_mesh = UsdGeom.Mesh.Define(static, prim_path)
    usd_mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    set_static(usd_mesh.CreateFaceVertexCountsAttr(), Vt.IntArray.FromNumpy(np.full(len(faces), 3, np.int32)),
               time, earlier_times)
    set_static(usd_mesh.CreateFaceVertexIndicesAttr(), Vt.IntArray.FromNumpy(faces.reshape(-1)), time, earlier_times)
    if mesh.uvs is not None and mesh.face_uvs_idx is not None:
        uvs = to_numpy(mesh.uvs, "uvs", prim_path, np.float32)
        uv_indices = to_numpy(mesh.face_uvs_idx, "face_uvs_idx", prim_path, np.int64).reshape(-1)
        st = UsdGeom.PrimvarsAPI(usd_mesh).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray,
                                                         UsdGeom.Tokens.faceVarying)
        set_static(st.GetAttr(), Vt.Vec2fArray.FromNumpy(uvs if indexed_uvs else uvs[uv_indices]), time,
                   earlier_times)
        if indexed_uvs:
            set_static(st.CreateIndicesAttr(), Vt.IntArray.FromNumpy(uv_indices.astype(np.int32)), time,
                       earlier_times)

    sampled = UsdGeom.Mesh.Define(samples, prim_path)
    sampled.CreatePointsAttr().Set(Vt.Vec3fArray.FromNumpy(to_numpy(mesh.vertices, "vertices", prim_path,
                                                                     np.float32)), usd_time)
    extent = UsdGeom.PointBased.ComputeExtent(sampled.GetPointsAttr().Get(usd_time))
    sampled.CreateExtentAttr().Set(extent, usd_time)
    if mesh.vertex_normals is not None:
        usd_mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
        sampled.CreateNormalsAttr().Set(Vt.Vec3fArray.FromNumpy(
            to_numpy(mesh.vertex_normals, "vertex_normals", prim_path, np.float32)), usd_time)
    elif mesh.normals is not None:  # one normal per face corner
        corner_normals = to_numpy(mesh.normals, "normals", prim_path, np.float32)[
            to_numpy(mesh.face_normals_idx, "face_normals_idx", prim_path, np.int64).reshape(-1)]
        usd_mesh.SetNormalsInterpolation(UsdGeom.Tokens.faceVarying)
        sampled.CreateNormalsAttr().Set(Vt.Vec3fArray.FromNumpy(corner_normals), usd_time)
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

    A mesh with ``materials`` gets one UsdPreviewSurface per material under ``<prim_path>_materials/``
    and one ``materialBind`` GeomSubset per material (see :mod:`.materials`); otherwise its texture,
    if any, is written as ``textures/<stem>_<prim name>[_<time>]_diffuse.png`` next to ``path`` and
    bound through one UsdPreviewSurface material. Normals: ``vertex_normals`` as vertex normals, else
    ``normals``/``face_normals_idx`` as face-varying ones (one per face corner).

    Args:
        path: ``.usd`` / ``.usda`` / ``.usdc`` file.
        mesh: :class:`Mesh` with ``vertices (V, 3)``, ``faces (F, 3)`` and optional UVs,
            colours, normals, texture or materials.
        time: time code of the values; ``None`` writes default values into a fresh file.
        prim_path: where the Mesh prim goes (default ``/World/Meshes/mesh_0``).

    Raises:
        SaveError: invalid mesh, bad ``prim_path``, unreadable existing file or a write failure.
    """
    export_meshes(path, [mesh], [prim_path or DEFAULT_MESH_PATH], time)


def export_meshes(path: PathLike, meshes: Sequence[Mesh], prim_paths: Optional[Sequence[str]] = None,
                  time: TimeArg = None) -> None:
    """Write several meshes as prims of one USD file (default paths ``/World/Meshes/mesh_<i>``), each as
    :func:`export_mesh` writes one; with ``time`` into an existing file, as new time samples."""
    for mesh in meshes:
        validate_for_saving(mesh, Mesh, path)
    prim_paths = list(prim_paths) if prim_paths is not None else \
        [f"{DEFAULT_MESH_PATH.rsplit('_', 1)[0]}_{i}" for i in range(len(meshes))]
    if len(prim_paths) != len(meshes):
        raise SaveError(f"{path}: {len(prim_paths)} prim paths for {len(meshes)} meshes")
    layer, stage = stage_for_export(path, time, prim_paths[0])
    for prim_path in prim_paths[1:]:
        define_parents(stage, prim_path, path)
    with writing(path):
        for mesh, prim_path in zip(meshes, prim_paths):
            earlier = authored_times(stage, f"{prim_path}.points")
            texture_asset = None
            appearance = mesh.appearance
            if appearance.single_texture:  # one UsdPreviewSurface bound to the whole prim
                texture_asset = texture_file_name(path, prim_path, time)
                write_texture_png(appearance.texture, Path(path).parent / texture_asset)
            prim = write_mesh(stage, stage, prim_path, mesh, time, earlier, texture_asset)
            if appearance.materials is not None and not appearance.single_texture:
                write_material_subsets(stage, prim, appearance.materials, appearance.material_assignments, path,
                                       time)
        extend_time_range(stage, time)
    save_layer(layer, path)


def import_mesh(path: PathLike, time: TimeArg = None, prim_path: Optional[str] = None) -> Mesh:
    """Read a triangle :class:`Mesh` from a USD file: every Mesh prim merged, as Kaolin's ``import_mesh``,
    or only the one at ``prim_path``.

    Each prim's world transform is applied and its polygons are triangulated as fans; prims are
    appended in stage order (their vertices, UVs and faces offset). Face-varying or vertex ``st``
    UVs become ``uvs (T, 2)`` + ``face_uvs_idx (F, 3)`` (duplicates merged; prims without UVs get
    (0, 0)), vertex ``displayColor`` becomes ``vertex_colors (V, 3)`` and vertex normals
    ``vertex_normals (V, 3)`` (each only when every prim has them), the bound UsdPreviewSurface
    materials (each prim's and its ``materialBind`` subsets', one entry per USD material, in the
    order of their prim paths as Kaolin lists them) become ``materials`` +
    ``material_assignments (F,)``, and a diffuse texture shared by every face also ``texture (3, H, W)``.

    Raises:
        LoadError: missing or non-USD file, no Mesh prim, bad ``prim_path``, no sample at ``time``.
    """
    stage, source = open_stage(path)
    first = find_prim(stage, prim_path, _is_mesh, "Mesh", source)
    prims = [first] if prim_path is not None else [prim for prim in stage.Traverse() if _is_mesh(prim)]
    library = MaterialLibrary(source)
    with reading(source, "USD mesh"):
        parts = [_read_prim(prim, time, source, library)[0] for prim in prims]
    mesh = parts[0] if len(parts) == 1 else _merge(parts)
    if library.materials:
        mesh.materials, mesh.material_assignments = library.sorted_by_path(mesh.material_assignments)
        mesh.texture = shared_diffuse_texture(mesh)
    else:
        mesh.material_assignments = None
    return validate_mesh(mesh, source)


class MeshPrim(NamedTuple):
    """One Mesh prim as :func:`import_mesh_prims` reads it."""

    path: str
    mesh: Mesh
    """in the prim's own coordinates, with its own materials"""
    transform: Optional[torch.Tensor]
    """(4, 4) float32 local-to-world matrix for column vectors (``p_world = M @ [p, 1]``); None for identity"""
    corner_counts: set
    """the corner counts of its polygons before triangulation (``{3}`` for a triangle mesh)"""
    unplaced_uvs: Optional[torch.Tensor] = None
    """(U, 2) UV values as stored (origin bottom-left) when their count fits neither their interpolation nor
    their indices, so ``mesh`` has no UVs; else None"""
    unplaced_normals: Optional[torch.Tensor] = None
    """(N, 3) face-varying normals as stored (not transformed) when their count is not the prim's number of
    polygon corners (e.g. a prim with normals and no faces), so ``mesh`` has none; else None"""


def mesh_prim_paths(path: PathLike | Usd.Stage, under: Optional[str] = None) -> list[str]:
    """Paths of the Mesh prims of a file or stage, in stage order; only those at or below ``under`` if given."""
    stage, _ = open_stage(path)
    prefix = None if under is None else under.rstrip("/")
    return [str(prim.GetPath()) for prim in stage.Traverse() if _is_mesh(prim)
            and (prefix is None or str(prim.GetPath()) == prefix or str(prim.GetPath()).startswith(prefix + "/"))]


def import_mesh_prims(path: PathLike | Usd.Stage, prim_paths: Optional[Sequence[str]] = None,
                      times: Optional[Sequence[TimeArg]] = None, triangulate: bool = True,
                      merge_uvs: bool = True, read_material=None) -> list[MeshPrim]:
    """Each Mesh prim (all, or those at ``prim_paths``) of a USD file or ``Usd.Stage`` as a triangle
    :class:`Mesh` in its own coordinates, with its local-to-world transform kept apart.

    Fields as :func:`import_mesh`, plus ``normals`` with ``face_normals_idx`` for face-varying normals
    (one normal per polygon corner, as the file stores them); each mesh's materials are its own. With
    ``triangulate=False``, a prim whose polygons all have ``K`` corners keeps them: ``faces (F, K)`` (and
    ``face_uvs_idx``, ``face_normals_idx`` alike); prims of mixed polygons are still fan-triangulated.
    With ``merge_uvs=False``, face-varying UVs without indices are kept one per polygon corner, as stored
    (``face_uvs_idx`` then holds corner positions), as Kaolin reads them. ``read_material(usd_material, time,
    source)`` reads each bound material (default :func:`.materials.read_pbr_material`; Kaolin's layer passes
    :func:`.material_files.read_material`).

    Raises:
        LoadError: missing or non-USD file, a path that is not a Mesh prim, no sample at a time.
    """
    stage, source = open_stage(path)
    if prim_paths is None:
        prim_paths = mesh_prim_paths(stage)
    times = [None] * len(prim_paths) if times is None else list(times)
    result = []
    with reading(source, "USD mesh"):
        for prim_path, time in zip(prim_paths, times):
            prim = find_prim(stage, str(prim_path), _is_mesh, "Mesh", source)
            library = MaterialLibrary(source, read_material)
            mesh, counts, unplaced = _read_prim(prim, time, source, library, world=False, triangulate=triangulate,
                                                merge_uvs=merge_uvs)
            if library.materials:
                mesh.materials, mesh.material_assignments = library.sorted_by_path(mesh.material_assignments)
            else:
                mesh.material_assignments = None
            matrix = world_matrix(prim, resolve_time(_timing_attribute(UsdGeom.Mesh(prim)), time, source))
            transform = None if is_identity(matrix) else torch.tensor(matrix.T, dtype=torch.float32)
            result.append(MeshPrim(str(prim_path), mesh, transform, counts, *unplaced))
    return result


def _is_mesh(prim: Usd.Prim) -> bool:
    return prim.IsA(UsdGeom.Mesh)


def _timing_attribute(usd_mesh: UsdGeom.Mesh) -> Usd.Attribute:
    """The attribute whose samples time a prim: its points, else its faces or normals when only those are set."""
    attributes = (usd_mesh.GetPointsAttr(), usd_mesh.GetFaceVertexIndicesAttr(), usd_mesh.GetNormalsAttr())
    return next((attribute for attribute in attributes if attribute.HasValue()), attributes[0])


def _or_empty(values: Optional[np.ndarray], dtype) -> np.ndarray:
    return np.zeros(0, dtype) if values is None else values


class RawGeometry(NamedTuple):
    """A Mesh prim's arrays as the file stores them (numpy; None where an attribute has no value)."""

    points: np.ndarray
    """(V, 3) float32, in the prim's own coordinates"""
    counts: np.ndarray
    """(M,) int64 ``faceVertexCounts``"""
    indices: np.ndarray
    """(sum(counts),) int64 ``faceVertexIndices``"""
    normals: Optional[np.ndarray]
    """(N, 3) float32 ``normals``"""
    normals_interpolation: str
    uvs: Optional[np.ndarray]
    """(U, 2) float32 values of the UV primvar (see :func:`_uv_primvar`)"""
    uv_indices: Optional[np.ndarray]
    """int64 indices of an indexed UV primvar"""
    uv_interpolation: Optional[str]


def _read_raw(usd_mesh: UsdGeom.Mesh, at: Usd.TimeCode) -> RawGeometry:
    """The arrays of ``usd_mesh`` at ``at``; a prim may carry only some of its data (Kaolin writes, e.g., points
    alone): missing points, counts and indices read as empty."""
    normals = read_array(usd_mesh.GetNormalsAttr(), at, np.float32)
    primvar = _uv_primvar(usd_mesh)
    uvs = read_array(primvar.GetAttr(), at, np.float32) if primvar else None
    uv_indices = primvar.GetIndices(at) if primvar and primvar.IsIndexed() else None
    return RawGeometry(
        points=_or_empty(read_array(usd_mesh.GetPointsAttr(), at, np.float32), np.float32).reshape(-1, 3),
        counts=_or_empty(read_array(usd_mesh.GetFaceVertexCountsAttr(), at, np.int64), np.int64),
        indices=_or_empty(read_array(usd_mesh.GetFaceVertexIndicesAttr(), at, np.int64), np.int64),
        normals=None if normals is None else normals.reshape(-1, 3),
        normals_interpolation=str(usd_mesh.GetNormalsInterpolation()),
        uvs=None if uvs is None else uvs.reshape(-1, 2),
        uv_indices=None if uv_indices is None else np.asarray(uv_indices, dtype=np.int64),
        uv_interpolation=str(primvar.GetInterpolation()) if primvar else None)


def get_raw_mesh_prim_geometry(mesh_prim: Usd.Prim, time: TimeArg = None, with_normals: bool = False,
                               with_uvs: bool = False) -> dict:
    """A Mesh prim's geometry as the file stores it, polygons untouched (Kaolin's ``get_raw_mesh_prim_geometry``).

    Args:
        mesh_prim: a ``UsdGeom.Mesh`` prim.
        time: time code to read at; None reads the default values, or the latest time sample of a prim that
            has only samples (as :func:`import_mesh`); a number is read as USD reads it (held or interpolated).
        with_normals: also return ``normals`` and ``normals_interpolation``.
        with_uvs: also return ``uvs``, ``uv_idx`` and ``uv_interpolation``.

    Returns:
        dict with ``vertices (V, 3)`` float32 in the prim's own coordinates, ``transform (4, 4)`` float32
        local-to-world in USD's row-vector convention (``p_world = [p, 1] @ transform``, translation in the
        last row), ``faces (sum(face_sizes),)`` and ``face_sizes (M,)`` int64 as stored; with ``with_normals``,
        ``normals (N, 3)`` (None if none) and ``normals_interpolation`` (e.g. ``'faceVarying'``); with
        ``with_uvs``, ``uvs (U, 2)`` (origin bottom-left, None if none), ``uv_idx`` (the primvar's int64
        indices, None if it has none) and ``uv_interpolation`` (None without a UV primvar).

    Raises:
        LoadError: ``mesh_prim`` is not a Mesh prim.
    """
    source = str(mesh_prim.GetPath())
    if not _is_mesh(mesh_prim):
        raise LoadError(f"get_raw_mesh_prim_geometry: prim {source!r} is not a Mesh (mesh_prim)")
    usd_mesh = UsdGeom.Mesh(mesh_prim)
    timing = _timing_attribute(usd_mesh)
    at = time_code(time) if time is not None or not timing.HasValue() else resolve_time(timing, None, source)
    raw = _read_raw(usd_mesh, at)
    result = {"vertices": float_tensor(raw.points), "transform": float_tensor(world_matrix(mesh_prim, at)),
              "faces": long_tensor(raw.indices), "face_sizes": long_tensor(raw.counts)}
    if with_normals:
        result.update(normals=_tensor_or_none(raw.normals), normals_interpolation=raw.normals_interpolation)
    if with_uvs:
        result.update(uvs=_tensor_or_none(raw.uvs), uv_idx=_tensor_or_none(raw.uv_indices), uv_interpolation=raw.uv_interpolation)
    return result


def _tensor_or_none(values: Optional[np.ndarray]) -> Optional[torch.Tensor]:
    """A copy of ``values`` as a tensor of the same dtype; None stays None."""
    return None if values is None else torch.from_numpy(values.copy())


def _read_prim(prim: Usd.Prim, time: TimeArg, source: str, library: "MaterialLibrary", world: bool = True,
               triangulate: bool = True, merge_uvs: bool = True) -> tuple[Mesh, set, tuple[Optional[torch.Tensor], Optional[torch.Tensor]]]:
    """One Mesh prim, in world space unless ``world`` is False (``material_assignments`` index
    ``library.materials``), the corner counts of its polygons, and its unplaced UVs and normals (see
    :class:`MeshPrim`). Polygons of one size are kept (``faces (F, K)``) when ``triangulate`` is False;
    ``merge_uvs`` as :func:`_place_uvs`."""
    usd_mesh = UsdGeom.Mesh(prim)
    at = resolve_time(_timing_attribute(usd_mesh), time, source)
    raw = _read_raw(usd_mesh, at)
    points, counts, indices = raw.points, raw.counts, raw.indices
    corners = _fan_corners(counts, len(indices), source)
    polygon_of_face = np.repeat(np.arange(len(counts)), counts - 2)
    if not triangulate and len(np.unique(counts)) == 1:
        corners = np.arange(len(indices)).reshape(len(counts), -1)
        polygon_of_face = np.arange(len(counts))
    matrix = world_matrix(prim, at) if world else np.eye(4)
    placed = points if is_identity(matrix) else transform_points(points, matrix)  # keeps -0.0 as the file has it
    mesh = Mesh(vertices=float_tensor(placed), faces=long_tensor(indices[corners]))
    mesh.uvs, mesh.face_uvs_idx = _place_uvs(raw, corners, polygon_of_face, merge_uvs)
    unplaced_uvs = float_tensor(raw.uvs) if mesh.uvs is None and raw.uvs is not None and len(raw.uvs) else None
    mesh.vertex_colors = _read_vertex_colors(usd_mesh, at, len(points))
    normals, interpolation, unplaced_normals = raw.normals, raw.normals_interpolation, None
    if normals is not None:
        placed_normals = normals if is_identity(matrix) else transform_normals(normals, matrix)
        if interpolation in (UsdGeom.Tokens.vertex, UsdGeom.Tokens.varying) and len(normals) == len(points):
            mesh.vertex_normals = float_tensor(placed_normals)
        elif interpolation == UsdGeom.Tokens.faceVarying and len(normals) == len(indices):
            mesh.normals, mesh.face_normals_idx = float_tensor(placed_normals), long_tensor(corners)
        elif interpolation == UsdGeom.Tokens.faceVarying and len(normals):
            unplaced_normals = float_tensor(normals)
    mesh.material_assignments = library.assignments(prim, polygon_of_face, at)
    return mesh, set(np.unique(counts).tolist()), (unplaced_uvs, unplaced_normals)


def _merge(parts: list[Mesh]) -> Mesh:
    """One mesh of several, indices offset; optional per-vertex fields kept only when every part has them."""
    vertex_offsets = np.cumsum([0] + [part.num_vertices for part in parts])[:-1].tolist()
    merged = Mesh(vertices=torch.cat([part.vertices for part in parts]),
                  faces=torch.cat([part.faces + offset for part, offset in zip(parts, vertex_offsets)]),
                  material_assignments=torch.cat([part.material_assignments for part in parts]))
    for name in ("vertex_colors", "vertex_normals"):
        if all(getattr(part, name) is not None for part in parts):
            setattr(merged, name, torch.cat([getattr(part, name) for part in parts]))
    if all(part.normals is not None for part in parts):
        normal_offsets = np.cumsum([0] + [len(part.normals) for part in parts])[:-1].tolist()
        merged.normals = torch.cat([part.normals for part in parts])
        merged.face_normals_idx = torch.cat([p.face_normals_idx + o for p, o in zip(parts, normal_offsets)])
    if any(part.uvs is not None for part in parts):
        uvs, face_uvs, offset = [], [], 0
        for part in parts:
            part_uvs = part.uvs if part.uvs is not None else torch.zeros(1, 2)
            part_faces = part.face_uvs_idx if part.uvs is not None else torch.zeros_like(part.faces)
            uvs.append(part_uvs)
            face_uvs.append(part_faces + offset)
            offset += len(part_uvs)
        merged.uvs, merged.face_uvs_idx = torch.cat(uvs), torch.cat(face_uvs)
    return merged


def _fan_corners(counts: np.ndarray, num_indices: int, source: str) -> np.ndarray:
    """(F, 3) positions in ``faceVertexIndices`` of the fan triangles of polygons with ``counts`` corners."""
    if counts.size and counts.min() < 3:
        raise LoadError(f"{source}: faceVertexCounts has a face with {int(counts.min())} vertices (need >= 3)")
    if int(counts.sum()) != num_indices:
        raise LoadError(f"{source}: faceVertexCounts sum to {int(counts.sum())} but there are {num_indices} indices")
    starts = np.repeat(np.cumsum(counts) - counts, counts - 2)
    offsets = np.arange(len(starts)) - np.repeat(np.cumsum(counts - 2) - (counts - 2), counts - 2) + 1
    return np.stack([starts, starts + offsets, starts + offsets + 1], axis=1)


def _uv_primvar(usd_mesh: UsdGeom.Mesh) -> Optional[UsdGeom.Primvar]:
    """The UV primvar, in Kaolin's order: ``primvars:st``; else the first ``texCoord2f[]`` primvar; else
    ``primvars:UVMap`` (Blender's); else the first ``float2[]`` primvar. None if there is none."""
    primvars = UsdGeom.PrimvarsAPI(usd_mesh)
    if primvars.HasPrimvar("st"):
        return primvars.GetPrimvar("st")
    candidates = primvars.GetPrimvars()
    texcoords = [pv for pv in candidates if pv.GetTypeName() == Sdf.ValueTypeNames.TexCoord2fArray]
    if texcoords:
        return texcoords[0]
    if primvars.HasPrimvar("UVMap"):
        return primvars.GetPrimvar("UVMap")
    return next((pv for pv in candidates if pv.GetTypeName() == Sdf.ValueTypeNames.Float2Array), None)


def _place_uvs(raw: RawGeometry, corners: np.ndarray, polygon_of_face: np.ndarray,
               merge: bool = True) -> tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    """``uvs (T, 2)`` and ``face_uvs_idx (F, K)`` (``K`` = ``corners.shape[1]``) of the UV primvar: an indexed
    primvar keeps its values and indices; a face-varying one without indices has its equal values merged
    (with ``merge``; else one UV per corner, as stored). None, None when there is no primvar or its size does
    not fit its interpolation."""
    values, stored, interpolation, indices = raw.uvs, raw.uv_indices, raw.uv_interpolation, raw.indices
    if values is None:
        return None, None
    if merge and interpolation == UsdGeom.Tokens.faceVarying and stored is None and len(values) == len(indices):
        # One UV per distinct value: each (u, v) float32 pair viewed as one 64-bit key (a 1-D unique is
        # several times faster than np.unique(axis=0)); adding 0 turns -0.0 into 0.0 so equal values share a key.
        corner_uvs = np.ascontiguousarray(values[corners.reshape(-1)] + np.float32(0.0))
        # Kept in the order of their first corner, so UVs without repeats read back as the file lists them.
        _, first, inverse = np.unique(corner_uvs.view(np.uint64).reshape(-1), return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return float_tensor(corner_uvs[first[order]]), long_tensor(rank[inverse.reshape(-1)].reshape(corners.shape))
    # the UV index of each element the interpolation names: polygon corner, vertex or polygon
    elements, of_corner = {UsdGeom.Tokens.faceVarying: (len(indices), corners),
                           UsdGeom.Tokens.vertex: (len(raw.points), indices[corners]),
                           UsdGeom.Tokens.varying: (len(raw.points), indices[corners]),
                           UsdGeom.Tokens.uniform: (int(polygon_of_face.max(initial=-1)) + 1,
                                                    np.repeat(polygon_of_face[:, None], corners.shape[1], axis=1))
                           }.get(interpolation, (-1, None))
    per_element = stored if stored is not None else np.arange(len(values))
    if len(per_element) != elements or (per_element.size and per_element.max() >= len(values)):
        return None, None
    return float_tensor(values), long_tensor(per_element[of_corner])


def _read_vertex_colors(geom: UsdGeom.Gprim, at: Usd.TimeCode, count: int) -> Optional[torch.Tensor]:
    primvar = geom.GetDisplayColorPrimvar()
    values = primvar.ComputeFlattened(at) if primvar and primvar.HasValue() else None
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float32).reshape(-1, 3)
    if primvar.GetInterpolation() == UsdGeom.Tokens.constant and len(values) == 1:
        values = np.repeat(values, count, axis=0)
    return float_tensor(values) if len(values) == count else None
