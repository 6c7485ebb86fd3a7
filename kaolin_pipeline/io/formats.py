"""The format table: which module reads and writes each file extension, for each kind of data.

One :class:`Format` row per (kind, extension) serves ``load_mesh`` / ``save_mesh``,
``load_pointcloud`` / ``save_pointcloud``, ``load_voxelgrid`` / ``save_voxelgrid``,
``kaolin-pipeline doctor`` (the backend column) and ``kaolin-pipeline info`` (:func:`load_any`).
Readers and writers are named, not imported: their module is imported on first use, so reading
an OBJ never loads ``pxr`` or ``open3d``.

Protocol of the named functions: ``reader(path: Path, **options) -> Mesh | PointCloud | VoxelGrid``
(``options`` limited to the row's ``options``) and ``writer(path: Path, data) -> None``, both on a
path whose extension the row lists.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable, Optional

from kaolin_pipeline.errors import LoadError, PipelineError, SaveError
from kaolin_pipeline.io._fileutil import PathLike, check_extension, check_readable, extension
from kaolin_pipeline.io.validate import validate_for_saving, validate_mesh, validate_pointcloud, validate_voxelgrid
from kaolin_pipeline.structures import Mesh, PointCloud, VoxelGrid

MESH, POINT_CLOUD, VOXEL_GRID = "mesh", "point cloud", "voxel grid"
KINDS = (MESH, POINT_CLOUD, VOXEL_GRID)
_TYPES = {MESH: Mesh, POINT_CLOUD: PointCloud, VOXEL_GRID: VoxelGrid}
_VALIDATE: dict[str, Callable[[Any, str], Any]] = {
    MESH: validate_mesh, POINT_CLOUD: validate_pointcloud, VOXEL_GRID: validate_voxelgrid}


@dataclass(frozen=True)
class Format:
    """One extension of one kind of data.

    Attributes:
        kind: ``"mesh"``, ``"point cloud"`` or ``"voxel grid"``.
        extension: lower-case, with its dot (``".obj"``).
        module: the ``kaolin_pipeline`` module holding ``reader`` and ``writer``, imported on first use.
        reader: name of the reading function in ``module``.
        writer: name of the writing function in ``module``, or None when the format is read only.
        backend: what does the work, in words (``kaolin-pipeline doctor`` shows it).
        needs: the third-party module the backend imports (``doctor`` probes it), None for none.
        options: keyword options of ``reader`` that the ``load_*`` function passes on.
    """

    kind: str
    extension: str
    module: str
    reader: str
    writer: Optional[str]
    backend: str
    needs: Optional[str] = None
    options: tuple[str, ...] = ()

    def read(self, path, **options) -> Any:
        return getattr(importlib.import_module(self.module), self.reader)(path, **options)

    def write(self, path, data) -> None:
        if self.writer is None:
            raise SaveError(f"{path}: {self.extension} files are read only; no {self.kind} writer")
        getattr(importlib.import_module(self.module), self.writer)(path, data)


def _rows(kind: str, extensions: str, module: str, reader: str, writer: Optional[str], backend: str,
          needs: Optional[str] = None, options: tuple[str, ...] = ()) -> list[Format]:
    return [Format(kind, ext, "kaolin_pipeline.io." + module, reader, writer, backend, needs, options)
            for ext in extensions.split()]


_USD = "pxr (usd-core)"
#: Every format, in the order ``describe`` tries the kinds of a shared extension (mesh first).
FORMATS: tuple[Format, ...] = tuple(
    _rows(MESH, ".obj", "obj", "read_obj", "write_obj", "our OBJ + MTL parser (kaolin_pipeline.io.obj)",
          options=("keep_unused",))
    + _rows(MESH, ".off", "off", "read_off", "write_off", "trimesh", "trimesh")
    + _rows(MESH, ".ply", "trimesh_formats", "read_ply", "write_with_trimesh", "trimesh", "trimesh")
    + _rows(MESH, ".stl", "trimesh_formats", "read_stl", "write_with_trimesh", "trimesh", "trimesh",
            options=("merge_vertices",))
    + _rows(MESH, ".gltf .glb", "gltf", "read_gltf", "write_gltf",
            "trimesh's glTF parser + our materials (kaolin_pipeline.io.gltf)", "trimesh")
    + _rows(MESH, ".usd .usda .usdc", "usd", "import_mesh", "export_mesh", _USD, "pxr.Usd")
    + _rows(MESH, ".usdz", "usd", "import_mesh", None, _USD + ", read only", "pxr.Usd")
    + _rows(POINT_CLOUD, ".ply", "pointcloud", "read_ply", "write_open3d", "trimesh reads, open3d writes", "open3d")
    + _rows(POINT_CLOUD, ".pcd .xyzn .pts", "pointcloud", "read_open3d", "write_open3d", "open3d", "open3d")
    + _rows(POINT_CLOUD, ".xyz .xyzrgb", "pointcloud", "read_xyz", "write_open3d",
            "our text parser reads, open3d writes", "open3d")
    + _rows(POINT_CLOUD, ".npy", "pointcloud", "read_npy", "write_npy", "NumPy")
    + _rows(POINT_CLOUD, ".npz", "pointcloud", "read_npz", "write_npz", "NumPy")
    + _rows(POINT_CLOUD, ".usd .usda .usdc", "usd", "import_pointcloud", "export_pointcloud", _USD, "pxr.Usd")
    + _rows(POINT_CLOUD, ".usdz", "usd", "import_pointcloud", None, _USD + ", read only", "pxr.Usd")
    + _rows(VOXEL_GRID, ".binvox", "voxelgrid", "read_binvox", "write_binvox",
            "our header parser + trimesh's run-length helpers", "trimesh")
    + _rows(VOXEL_GRID, ".npy", "voxelgrid", "read_npy", "write_npy", "NumPy")
    + _rows(VOXEL_GRID, ".npz", "voxelgrid", "read_npz", "write_npz", "NumPy")
    + _rows(VOXEL_GRID, ".usd .usda .usdc", "usd", "import_voxelgrid", "export_voxelgrid", _USD, "pxr.Usd")
    + _rows(VOXEL_GRID, ".usdz", "usd", "import_voxelgrid", None, _USD + ", read only", "pxr.Usd")
)


def extensions(kind: Optional[str] = None) -> tuple[str, ...]:
    """The extensions ``kind`` (any kind when None) can be read from, in table order."""
    return tuple(row.extension for row in FORMATS if kind in (None, row.kind))


def find_format(path: PathLike, kind: str, error: type[PipelineError] = LoadError) -> Format:
    """The row reading ``kind`` from ``path``'s extension; ``error`` listing the supported ones otherwise."""
    ext = check_extension(path, extensions(kind), error)
    return next(row for row in FORMATS if row.kind == kind and row.extension == ext)


def formats_for(path: PathLike) -> list[Format]:
    """Every row for ``path``'s extension (one per kind it can hold, most likely first); LoadError if none."""
    rows = [row for row in FORMATS if row.extension == extension(path)]
    if not rows:
        known = ", ".join(sorted(set(extensions())))
        raise LoadError(f"{path}: unsupported file type {extension(path) or '(none)'!r} (known: {known})")
    return rows


def read(path: PathLike, kind: str, **options) -> Any:
    """``kind`` read from ``path`` by its row's reader, then validated (``io.validate``).

    Options the row's reader does not take are dropped (``merge_vertices`` means nothing to a PLY).

    Raises:
        LoadError: unsupported extension, or the reader's error; :class:`~kaolin_pipeline.errors.MissingFileError`
            (also a ``FileNotFoundError``) for a missing file.
    """
    row = find_format(path, kind)
    path = check_readable(path)
    data = row.read(path, **{name: value for name, value in options.items() if name in row.options})
    return _VALIDATE[kind](data, str(path))


def write(path: PathLike, kind: str, data) -> None:
    """Validate ``data`` (a ``kind``) and write it to ``path`` with its row's writer (atomic).

    Raises:
        SaveError: unsupported or read-only extension, invalid data, or the file cannot be written.
    """
    row = find_format(path, kind, SaveError)
    validate_for_saving(data, _TYPES[kind], path)
    row.write(Path(path), data)


def load_any(path: PathLike) -> tuple[str, Any]:
    """``(kind, data)``: ``path`` read as the first kind its extension allows that loads.

    ``.ply``, ``.npy``, ``.npz`` and USD files can hold several kinds: a PLY with faces is a
    mesh, one without is a point cloud; an ``(R, R, R)`` ``.npy`` is a voxel grid. The loaders are
    tried in table order (mesh, point cloud, voxel grid); the first error is raised if none loads.
    """
    rows = formats_for(path)
    path = check_readable(path)
    errors = []
    for row in rows:
        try:
            return row.kind, read(path, row.kind)
        except PipelineError as exc:
            errors.append(exc)
    raise errors[0]


def kind_of(path: PathLike) -> str:
    """What ``path`` holds: ``"mesh"``, ``"point cloud"`` or ``"voxel grid"`` (see :func:`load_any`).

    Raises:
        LoadError: unknown extension, missing file, or a file no loader can read.
    """
    rows = formats_for(path)
    if len({row.kind for row in rows}) == 1:
        check_readable(path)
        return rows[0].kind
    return load_any(path)[0]
