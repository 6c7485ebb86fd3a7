"""Kaolin's USD Timelapse: log meshes, point clouds and voxel grids during training, one time sample per iteration.

Layout (Kaolin's ``kaolin.visualize.Timelapse``, read by the Omniverse Training
Visualizer and Kaolin's ``TimelapseParser``)::

    <log_dir>/<category>/mesh_<i>.usd         default prim /mesh_<i> (a Mesh); materials as
                                             "shadingVariant" variants, prims /mesh_<i>/<name>
    <log_dir>/<category>/pointcloud_<i>.usd   default prim /pointcloud_<i> (Points or PointInstancer)
    <log_dir>/<category>/voxelgrid_<i>.usd    default prim /voxelgrid_<i> (PointInstancer of cubes)
    <log_dir>/<category>/textures/            mesh_<i>_<material>_<iteration>_<kind>.png
                                             (kind: diffuse, specular, roughness, metallic, ...)

UVs as Kaolin writes them: a face-varying ``primvars:st`` holding ``uvs (T, 2)`` with ``face_uvs_idx`` as its
indices, so Kaolin's reader (which keeps stored UVs) gets the logged ``uvs`` back.

Time code = iteration; ``endTimeCode`` follows the latest iteration (``iteration + 1``
for voxel grids, as Kaolin does).

Bounded append cost. Kaolin re-saves the whole file every iteration, so appending
iteration N costs O(N) bytes. Here each ``<kind>_<i>.usd`` is a small root layer holding
the structure and the topology (written once, turned into time samples only if it
changes) plus USD *value clip* metadata; each iteration's values go to their own
layer ``<category>/clips/<kind>_<i>/iteration.<n>.usdc`` (``.usdc`` so Kaolin's
``<kind>*.usd`` file pattern ignores them), declared in a manifest next to them (which lists attributes, not times).
An append writes one clip of constant size and rewrites the root without composing the
existing clips. Evenly spaced iterations are named by a clip *template* (start, stride,
end), so the root keeps a constant size and an append costs the same at any N; other
spacings fall back to listing every clip (a path and two number pairs per iteration,
so the root grows with N). USD composes the clips
transparently: ``Usd.Stage.Open(mesh_0.usd)`` and ``attr.Get(time=n)`` see every
iteration. The trade-off: a log directory holds one file per logged iteration and item.

Crash safety: every file is written to a temporary sibling, fsynced and renamed over
the destination (clip and textures first, root last), so a process killed at any
moment leaves every earlier iteration readable.
"""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch
from pxr import Sdf, Usd, UsdGeom, UsdShade, Vt

from kaolin_pipeline.io import usd
from kaolin_pipeline.io.usd.material_files import write_usd_preview_surface
from kaolin_pipeline.structures import Mesh, PBRMaterial, PointCloud, VoxelGrid
from kaolin_pipeline.io.validate import validate_mesh, validate_pointcloud, validate_voxelgrid
from kaolin_pipeline.errors import LoadError, PipelineError, SaveError
from kaolin_pipeline.atomic import atomic_path

KINDS = ("mesh", "pointcloud", "voxelgrid")
CLIPS_DIR = "clips"
MANIFEST_NAME = "manifest.usda"
SHADING_VARIANT_SET = "shadingVariant"
_CLIP_DIGITS = 8  # iteration.00000042.usdc
_MATERIAL_FIELDS = frozenset(field.name for field in dataclasses.fields(PBRMaterial))
_FILE_PATTERN = re.compile(r"^(mesh|pointcloud|voxelgrid)_([0-9]+)\.usd$")

Author = Callable[[Usd.Stage, Usd.Stage, str, Sequence[float]], None]


class Timelapse:
    """Write Kaolin Timelapse USD files under ``log_dir`` (argument names follow ``kaolin.visualize.Timelapse``)."""

    def __init__(self, log_dir: str | os.PathLike, up_axis: str = "Y"):
        self.logdir = str(log_dir)
        self.up_axis = up_axis

    # ------------------------------------------------------------------ public API (Kaolin's)

    def add_mesh_batch(self, iteration: int = 0, category: str = "", vertices_list: Optional[Sequence] = None,
                       faces_list: Optional[Sequence] = None, uvs_list: Optional[Sequence] = None,
                       face_uvs_idx_list: Optional[Sequence] = None, face_normals_list: Optional[Sequence] = None,
                       materials_list: Optional[Sequence] = None) -> None:
        """Add the meshes of a batch at ``iteration``: item ``i`` goes to ``<category>/mesh_<i>.usd``.

        Args:
            vertices_list: N tensors ``(V_i, 3)``.
            faces_list: N tensors ``(F_i, 3)``; may be omitted after the first iteration
                (the stored topology is kept).
            uvs_list, face_uvs_idx_list: N tensors ``(T_i, 2)`` and ``(F_i, 3)``.
            face_normals_list: N tensors ``(F_i, 3, 3)``: one normal per face corner.
            materials_list: N materials, each a :class:`~kaolin_pipeline.structures.PBRMaterial`
                (values such as ``diffuse_color (3,)``, ``roughness_value (1,)`` and textures
                ``(C, H, W)`` or ``(H, W, C)``), a dict of its fields, an object with those
                attributes, a diffuse texture ``(3, H, W)``, a list of those, or ``{name: material}``;
                every material becomes a ``shadingVariant`` variant of the mesh, its values time
                samples at ``iteration``.

        Raises:
            SaveError: lists of different lengths, an invalid mesh or a write failure.
        """
        items = _batch("add_mesh_batch", vertices_list=vertices_list, faces_list=faces_list, uvs_list=uvs_list,
                       face_uvs_idx_list=face_uvs_idx_list, face_normals_list=face_normals_list,
                       materials_list=materials_list)
        for index, (vertices, faces, uvs, face_uvs_idx, face_normals, materials) in enumerate(items):
            name = f"mesh_{index}"
            root = self._root_path(category, name)

            def author(static, samples, prim_path, earlier, vertices=vertices, faces=faces, uvs=uvs,
                       face_uvs_idx=face_uvs_idx, face_normals=face_normals, materials=materials, root=root):
                mesh = _mesh_item(static, prim_path, vertices, faces, uvs, face_uvs_idx, root)
                prim = usd.write_mesh(static, samples, prim_path, mesh, iteration, earlier, indexed_uvs=True)
                if face_normals is not None:
                    _write_face_normals(static, samples, prim_path, face_normals, iteration, root)
                for material_name, material in _materials(materials, root).items():
                    self._write_material(static, samples, prim, material_name, material, iteration, root)

            self._append(root, name, "Mesh", iteration, author, end_time=iteration)

    def add_pointcloud_batch(self, iteration: int = 0, category: str = "", pointcloud_list: Optional[Sequence] = None,
                             colors: Optional[Sequence] = None, points_type: str = "point_instancer") -> None:
        """Add the point clouds ``(N_i, 3)`` of a batch at ``iteration`` (item ``i`` → ``pointcloud_<i>.usd``).

        Args:
            colors: optional N tensors ``(N_i, 3)`` in [0, 1].
            points_type: ``'point_instancer'`` (Kaolin's default) or ``'usd_geom_points'``.
        """
        if points_type not in usd.POINTS_TYPES:
            raise SaveError(f"add_pointcloud_batch: points_type must be one of {usd.POINTS_TYPES}, got {points_type!r}")
        items = _batch("add_pointcloud_batch", pointcloud_list=pointcloud_list, colors=colors)
        prim_type = "Points" if points_type == "usd_geom_points" else "PointInstancer"
        for index, (points, colour) in enumerate(items):
            name = f"pointcloud_{index}"
            root = self._root_path(category, name)

            def author(static, samples, prim_path, earlier, points=points, colour=colour, root=root):
                cloud = PointCloud(points=_tensor(points, "pointcloud_list", root), colors=colour)
                _check(validate_pointcloud, cloud, root)
                usd.write_pointcloud(static, samples, prim_path, cloud, iteration, points_type)

            self._append(root, name, prim_type, iteration, author, end_time=iteration)

    def add_voxelgrid_batch(self, iteration: int = 0, category: str = "", voxelgrid_list: Optional[Sequence] = None,
                            colors: Optional[Sequence] = None, semantic_ids: Optional[Sequence] = None) -> None:
        """Add the voxel grids of a batch at ``iteration`` (item ``i`` → ``voxelgrid_<i>.usd``).

        Args:
            voxelgrid_list: N :class:`VoxelGrid` or occupancy tensors ``(R, R, R)`` (a bare tensor
                covers the box ``[-0.5, 0.5]^3``).
            colors, semantic_ids: accepted for Kaolin compatibility; like Kaolin, not supported yet.
        """
        if colors is not None or semantic_ids is not None:
            raise SaveError("add_voxelgrid_batch: colors and semantic_ids are not supported (as in Kaolin)")
        items = _batch("add_voxelgrid_batch", voxelgrid_list=voxelgrid_list)
        for index, (voxelgrid,) in enumerate(items):
            name = f"voxelgrid_{index}"
            root = self._root_path(category, name)

            def author(static, samples, prim_path, earlier, voxelgrid=voxelgrid, root=root):
                grid = voxelgrid if isinstance(voxelgrid, VoxelGrid) else VoxelGrid(
                    occupancy=_tensor(voxelgrid, "voxelgrid_list", root), origin=torch.full((3,), -0.5), size=1.0)
                _check(validate_voxelgrid, grid, root)
                usd.write_voxelgrid(static, samples, prim_path, grid, iteration, earlier)

            self._append(root, name, "PointInstancer", iteration, author, end_time=iteration + 1)

    # ------------------------------------------------------------------ one file, one iteration

    def _root_path(self, category: str, name: str) -> Path:
        return Path(self.logdir) / category / f"{name}.usd"

    def _append(self, root: Path, name: str, prim_type: str, iteration: int, author: Author, end_time: float) -> None:
        """Add ``iteration`` to ``root``: write its clip layer, then the updated manifest and root layer."""
        if int(iteration) != iteration or iteration < 0:
            raise SaveError(f"{root}: iteration must be a non-negative integer, got {iteration!r}")
        root.parent.mkdir(parents=True, exist_ok=True)
        prim_path = f"/{name}"
        root_layer = _open_root(root, name, prim_type, self.up_axis)
        prim_spec = root_layer.GetPrimAtPath(prim_path)
        previous = dict(prim_spec.GetInfo("clips").get("default", {})) if prim_spec else {}
        logged = _logged_iterations(previous)
        earlier = [float(logged.min()), float(logged.max())] if len(logged) else []
        if prim_spec:  # the authoring below reads only root values: compose without the (N) clips
            prim_spec.ClearInfo("clips")
        static = Usd.Stage.Open(root_layer)
        prim = static.GetPrimAtPath(prim_path)
        if prim.GetTypeName() != prim_type:
            raise SaveError(f"{root}: prim {prim_path} is a {prim.GetTypeName()}, cannot append a {prim_type}")

        clip_dir = root.parent / CLIPS_DIR / name
        clip_dir.mkdir(parents=True, exist_ok=True)
        samples_layer = usd.new_stage_layer(self.up_axis, prim_path, ".usdc")
        try:
            author(static, Usd.Stage.Open(samples_layer), prim_path, earlier)
        except PipelineError:
            raise
        except Exception as exc:  # a pxr failure while authoring becomes one clear error
            raise SaveError(f"{root}: could not write iteration {iteration}: {type(exc).__name__}: {exc}") from exc
        del static, prim  # edit the clip metadata below without a stage recomposing on each change
        usd.save_layer(samples_layer, clip_dir / _clip_name(iteration), atomic_path)
        _update_manifest(clip_dir / MANIFEST_NAME, samples_layer, prim_path, self.up_axis)

        logged = np.union1d(logged, [int(iteration)])
        clips = _clip_metadata(name, previous, logged, iteration)
        root_layer.GetPrimAtPath(prim_path).SetInfo("clips", {"default": clips})
        root_layer.startTimeCode = float(logged[0])
        root_layer.endTimeCode = max(end_time, root_layer.endTimeCode if root_layer.HasEndTimeCode() else end_time)
        usd.save_layer(root_layer, root, atomic_path)

    def _write_material(self, static: Usd.Stage, samples: Usd.Stage, prim: Usd.Prim, material_name: str,
                        material: PBRMaterial, iteration: int, root: Path) -> None:
        """Material ``material_name`` at ``/<mesh>/<name>`` (Kaolin's layout: the material outside the variants,
        its binding in the ``shadingVariant`` variant ``material_name``). The UsdPreviewSurface and its
        texture shaders are defined in the root layer; values and texture files are time samples in the clip."""
        root_dir = root.parent
        clip_dir = root_dir / CLIPS_DIR / prim.GetName()

        def write_texture(image: torch.Tensor, kind: str) -> str:
            channels = PBRMaterial.TEXTURE_CHANNELS[f"{kind}_texture"]
            if image.shape[0] != channels and image.shape[-1] == channels:  # (H, W, C), as Kaolin allows
                image = image.permute(2, 0, 1)
            texture_file = root_dir / usd.TEXTURE_DIR / f"{prim.GetName()}_{material_name}_{iteration}_{kind}.png"
            usd.write_texture_png(image, texture_file, atomic_path)
            return Path(os.path.relpath(texture_file, clip_dir)).as_posix()

        material_path = f"{prim.GetPath()}/{material_prim_name(material_name)}"
        write_usd_preview_surface(material, samples, material_path, write_texture, time=iteration,
                                  st_primvar="st")
        _copy_without_samples(samples.GetRootLayer(), static.GetRootLayer(), Sdf.Path(material_path))
        variants = prim.GetVariantSets().AddVariantSet(SHADING_VARIANT_SET)
        variants.AddVariant(material_name)
        variants.SetVariantSelection(material_name)
        with variants.GetVariantEditContext():
            usd.bind_material(prim, UsdShade.Material(static.GetPrimAtPath(material_path)))


# ---------------------------------------------------------------------- helpers


def _batch(method: str, **lists: Optional[Sequence]) -> list[tuple]:
    """Zip Kaolin's per-item lists, ``None`` lists becoming ``None`` items; all given lists must match in length."""
    lengths = {name: len(value) for name, value in lists.items() if value is not None}
    if not lengths:
        raise SaveError(f"{method}: no data given (every list is None)")
    if len(set(lengths.values())) != 1:
        raise SaveError(f"{method}: the lists must have the same length, got {lengths}")
    count = next(iter(lengths.values()))
    return list(zip(*[value if value is not None else [None] * count for value in lists.values()]))


def _tensor(value: Any, name: str, root: Path) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise SaveError(f"{root}: {name} items must be torch.Tensor, got {type(value).__name__}")
    return value.detach()


def _check(validate: Callable, item: Any, root: Path) -> None:
    try:
        validate(item, str(root))
    except LoadError as exc:
        raise SaveError(f"cannot log an invalid item: {exc}") from exc


def _mesh_item(static: Usd.Stage, prim_path: str, vertices, faces, uvs, face_uvs_idx, root: Path) -> Mesh:
    """A :class:`Mesh` from one batch item; missing ``faces`` reuse the topology already in the file."""
    vertices = _tensor(vertices, "vertices_list", root)
    if faces is None:
        stored = UsdGeom.Mesh(static.GetPrimAtPath(prim_path)).GetFaceVertexIndicesAttr().Get()
        if stored is None:
            raise SaveError(f"{root}: faces_list is needed the first time a mesh is logged")
        faces = torch.from_numpy(np.asarray(stored, dtype=np.int64).reshape(-1, 3))
    faces = _tensor(faces, "faces_list", root)
    if uvs is not None and face_uvs_idx is None:
        if uvs.shape[0] != vertices.shape[0]:
            raise SaveError(f"{root}: uvs without face_uvs_idx must have one row per vertex")
        face_uvs_idx = faces
    mesh = Mesh(vertices=vertices, faces=faces, uvs=uvs, face_uvs_idx=face_uvs_idx)
    _check(validate_mesh, mesh, root)
    return mesh


def _write_face_normals(static: Usd.Stage, samples: Usd.Stage, prim_path: str, face_normals: torch.Tensor,
                        iteration: int, root: Path) -> None:
    """Kaolin's per-corner normals ``(F, 3, 3)`` as face-varying ``normals``."""
    normals = _tensor(face_normals, "face_normals_list", root).to("cpu", torch.float32).reshape(-1, 3).numpy()
    UsdGeom.Mesh(static.GetPrimAtPath(prim_path)).SetNormalsInterpolation(UsdGeom.Tokens.faceVarying)
    UsdGeom.Mesh(samples.GetPrimAtPath(prim_path)).CreateNormalsAttr().Set(Vt.Vec3fArray.FromNumpy(normals),
                                                                           Usd.TimeCode(iteration))


def _copy_without_samples(source: Sdf.Layer, destination: Sdf.Layer, path: Sdf.Path) -> None:
    """Copy the prim spec at ``path`` (with its children) from ``source`` to ``destination``, leaving out every
    time sample: the root layer keeps types, connections and defaults; the clips keep the values."""
    Sdf.CopySpec(source, path, destination, path)

    def strip(spec_path: Sdf.Path) -> None:
        if spec_path.IsPropertyPath():
            attribute = destination.GetAttributeAtPath(spec_path)
            if attribute is not None and attribute.HasInfo("timeSamples"):
                attribute.ClearInfo("timeSamples")

    destination.Traverse(path, strip)


def _as_material(material: Any, name: str, root: Path) -> PBRMaterial:
    """One ``materials_list`` entry as a :class:`PBRMaterial`: itself, a dict of its fields, an object with
    those attributes (Kaolin's ``PBRMaterial``) or a bare diffuse texture ``(3, H, W)``."""
    if isinstance(material, PBRMaterial):
        return material
    if isinstance(material, torch.Tensor):
        fields = {"diffuse_texture": material}
    elif isinstance(material, dict):
        unknown = sorted(set(material) - _MATERIAL_FIELDS)
        if unknown:
            raise SaveError(f"{root}: material {name!r} has fields PBRMaterial does not know: {unknown}")
        fields = material
    else:
        fields = {field: getattr(material, field) for field in _MATERIAL_FIELDS
                  if getattr(material, field, None) is not None}
        if not fields:
            raise SaveError(f"{root}: material {name!r} is a {type(material).__name__}, not a PBRMaterial, a dict "
                            "of its fields or a (3, H, W) diffuse texture")
    try:
        return PBRMaterial(**{field: value.detach() if torch.is_tensor(value) else value
                              for field, value in fields.items()})
    except PipelineError as exc:
        raise SaveError(f"{root}: material {name!r}: {exc}") from exc


def _materials(materials: Any, root: Path) -> dict[str, PBRMaterial]:
    """Named materials from one ``materials_list`` item (Kaolin's single / list / dict forms)."""
    if materials is None:
        return {}
    if isinstance(materials, dict) and not set(materials) & _MATERIAL_FIELDS:
        named = {str(name): material for name, material in materials.items()}
    elif isinstance(materials, (list, tuple)):
        named = {str(i): material for i, material in enumerate(materials)}
    else:
        named = {"0": materials}
    for name in named:
        if not Sdf.Path.IsValidIdentifier(material_prim_name(name)):
            raise SaveError(f"{root}: material name {name!r} cannot name a USD prim (use letters, digits, _)")
    return {name: _as_material(material, name, root) for name, material in named.items()}


def material_prim_name(material_name: str) -> str:
    """Prim name of a material: its name, prefixed with ``material_`` when it starts with a digit (Kaolin's ``'0'``)."""
    return material_name if Sdf.Path.IsValidIdentifier(material_name) else f"material_{material_name}"


def _clip_name(iteration: int) -> str:
    return f"iteration.{int(iteration):0{_CLIP_DIGITS}d}.usdc"  # <basename>.<number>.usdc: USD's clip template form


def _clip_metadata(name: str, previous: dict, logged: np.ndarray, iteration: int) -> dict:
    """The ``clips`` metadata of ``/<name>`` once ``iteration`` joins the sorted iterations ``logged`` (int64).

    One clip per iteration, clip time = stage time. Evenly spaced iterations (``log every k
    steps``) use a clip *template*, whose size does not depend on their number; otherwise
    (or once ``previous`` lists clips explicitly) every clip is listed in ``assetPaths``/``active``/``times``.
    """
    folder = f"./{CLIPS_DIR}/{name}"
    clips = {"primPath": f"/{name}", "manifestAssetPath": Sdf.AssetPath(f"{folder}/{MANIFEST_NAME}"),
             "interpolateMissingClipValues": True}
    strides = np.unique(np.diff(logged))
    if "assetPaths" not in previous and len(strides) <= 1 and logged[-1] < 10 ** _CLIP_DIGITS:
        clips.update(templateAssetPath=f"{folder}/{_clip_name(0).replace('0' * _CLIP_DIGITS, '#' * _CLIP_DIGITS)}",
                     templateStartTime=float(logged[0]), templateEndTime=float(logged[-1]),
                     templateStride=float(strides[0]) if len(strides) else 1.0)
        return clips
    if "assetPaths" in previous:
        assets = {int(time): previous["assetPaths"][int(index)] for time, index in previous["active"]}
    else:
        assets = {int(time): Sdf.AssetPath(f"{folder}/{_clip_name(time)}") for time in logged}
    assets[int(iteration)] = Sdf.AssetPath(f"{folder}/{_clip_name(iteration)}")
    times = np.repeat(logged.astype(np.float64)[:, None], 2, axis=1)
    active = np.stack([times[:, 0], np.arange(len(logged), dtype=np.float64)], axis=1)
    clips.update(assetPaths=Sdf.AssetPathArray([assets[int(time)] for time in logged]),
                 active=Vt.Vec2dArray.FromNumpy(active), times=Vt.Vec2dArray.FromNumpy(times))
    return clips


def _logged_iterations(clips: dict) -> np.ndarray:
    """Sorted iterations ``(N,)`` int64 named by ``clips`` metadata (a clip template or explicit ``active`` pairs)."""
    if "templateStartTime" in clips:
        start, end, stride = (clips[f"template{key}"] for key in ("StartTime", "EndTime", "Stride"))
        return np.arange(int(start), int(end) + 1, int(stride), dtype=np.int64)
    active = np.asarray(clips.get("active", Vt.Vec2dArray()), dtype=np.float64).reshape(-1, 2)
    return np.unique(active[:, 0].astype(np.int64))


def _open_root(root: Path, name: str, prim_type: str, up_axis: str) -> Sdf.Layer:
    """The root layer of a Timelapse file: the existing one, or a new one with ``/<name>`` as default prim."""
    if root.is_file():
        try:
            return usd.open_layer(root)
        except LoadError as exc:
            raise SaveError(f"cannot append to the timelapse file: {exc}") from exc
    layer = usd.new_stage_layer(up_axis)
    stage = Usd.Stage.Open(layer)
    stage.SetDefaultPrim(stage.DefinePrim(f"/{name}", prim_type))
    return layer


def _update_manifest(manifest_path: Path, samples_layer: Sdf.Layer, prim_path: str, up_axis: str) -> None:
    """Declare in the clips' manifest every attribute ``samples_layer`` has samples for (rewritten only if new)."""
    if manifest_path.is_file():
        manifest = usd.open_layer(manifest_path, SaveError)
    else:
        manifest = usd.new_stage_layer(up_axis, prim_path, ".usda")
    changed = False

    def declare(path: Sdf.Path) -> None:
        nonlocal changed
        spec = samples_layer.GetAttributeAtPath(path) if path.IsPropertyPath() else None
        if spec is None or not samples_layer.GetNumTimeSamplesForPath(path) or manifest.GetAttributeAtPath(path):
            return
        owner = Sdf.CreatePrimInLayer(manifest, path.GetPrimPath())
        Sdf.AttributeSpec(owner, path.name, spec.typeName)
        changed = True

    samples_layer.Traverse(Sdf.Path.absoluteRootPath, declare)
    if changed:
        usd.save_layer(manifest, manifest_path, atomic_path)


# ---------------------------------------------------------------------- reading back


class TimelapseReader:
    """Browse a Timelapse log directory (written by :class:`Timelapse` or by Kaolin).

    Example::

        reader = TimelapseReader(run_dir / "timelapse")
        for iteration in reader.iterations("prediction", "mesh", 0):
            mesh = reader.mesh("prediction", 0, iteration)
    """

    def __init__(self, log_dir: str | os.PathLike):
        self.logdir = Path(log_dir)
        if not self.logdir.is_dir():
            raise LoadError(f"{self.logdir}: timelapse log directory does not exist")

    def _files(self) -> dict[tuple[str, str, int], Path]:
        """``{(category, kind, id): path}`` of every Timelapse file under the log directory."""
        found = {}
        for path in self.logdir.rglob("*.usd"):
            match = _FILE_PATTERN.match(path.name)
            if match and path.parent.name != CLIPS_DIR:
                category = path.parent.relative_to(self.logdir).as_posix()
                found[("" if category == "." else category, match.group(1), int(match.group(2)))] = path
        return found

    @property
    def categories(self) -> list[str]:
        """Sorted category names (``''`` for files directly in the log directory)."""
        return sorted({category for category, _, _ in self._files()})

    def ids(self, category: str, kind: str) -> list[int]:
        """Sorted item ids of ``kind`` (``'mesh'``, ``'pointcloud'``, ``'voxelgrid'``) in ``category``."""
        if kind not in KINDS:
            raise LoadError(f"{self.logdir}: kind must be one of {KINDS}, got {kind!r}")
        return sorted(index for cat, knd, index in self._files() if cat == category and knd == kind)

    def path(self, category: str, kind: str, id: int) -> Path:
        """The USD file of one item."""
        path = self._files().get((category, kind, int(id)))
        if path is None:
            raise LoadError(f"{self.logdir}: no {kind} {id} in category {category!r}")
        return path

    def iterations(self, category: str, kind: str, id: int) -> list[int]:
        """Sorted iterations logged for one item."""
        path = self.path(category, kind, id)
        stage = Usd.Stage.Open(usd.open_layer(path))
        prim = stage.GetPrimAtPath(f"/{kind}_{int(id)}")
        if not prim:
            raise LoadError(f"{path}: no prim /{kind}_{id}")
        logged = _logged_iterations(Usd.ClipsAPI(prim).GetClips().get("default", {}))
        if len(logged):
            return [int(time) for time in logged]
        attribute = prim.GetAttribute("points" if prim.IsA(UsdGeom.PointBased) else "positions")
        return sorted(int(time) for time in usd.sample_times(attribute))

    def mesh(self, category: str, id: int, iteration: int) -> Mesh:
        """The mesh ``id`` of ``category`` as logged at ``iteration``."""
        return usd.import_mesh(self.path(category, "mesh", id), time=iteration, prim_path=f"/mesh_{int(id)}")

    def pointcloud(self, category: str, id: int, iteration: int) -> PointCloud:
        """The point cloud ``id`` of ``category`` as logged at ``iteration``."""
        return usd.import_pointcloud(self.path(category, "pointcloud", id), time=iteration,
                                     prim_path=f"/pointcloud_{int(id)}")

    def voxelgrid(self, category: str, id: int, iteration: int) -> VoxelGrid:
        """The voxel grid ``id`` of ``category`` as logged at ``iteration``."""
        return usd.import_voxelgrid(self.path(category, "voxelgrid", id), time=iteration,
                                    prim_path=f"/voxelgrid_{int(id)}")


__all__ = ["Timelapse", "TimelapseReader"]
