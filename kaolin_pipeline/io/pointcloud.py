"""Read and write point clouds: PLY (trimesh), PCD, XYZ/XYZN/XYZRGB/PTS (open3d), NPY/NPZ (NumPy), USD.

PLY files are read with trimesh because open3d returns uninitialised memory as points
for a truncated binary PLY (it only prints a warning); open3d writes them.

NumPy conventions:
    * ``.npy``: one float array ``(N, 3)`` = xyz, ``(N, 6)`` = xyz + normals, or
      ``(N, 9)`` = xyz + normals + colours (colours in [0, 1]).
    * ``.npz``: arrays under the keys ``points (N, 3)``, optional ``normals (N, 3)`` and
      ``colors (N, 3)`` (float in [0, 1] or uint8 in [0, 255]).

What each text format stores: XYZ positions only, XYZN positions + normals, XYZRGB
positions + colours; PLY and PCD store all three.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from kaolin_pipeline.io import formats
from kaolin_pipeline.io._open3d import import_open3d
from kaolin_pipeline.io._fileutil import PathLike, atomic_path, extension, float_tensor, reading, to_numpy, unit_colors
from kaolin_pipeline.structures import PointCloud
from kaolin_pipeline.errors import LoadError, SaveError

POINTCLOUD_EXTENSIONS = formats.extensions(formats.POINT_CLOUD)

_NPY_LAYOUTS = {3: ("points",), 6: ("points", "normals"), 9: ("points", "normals", "colors")}


def load_pointcloud(path: PathLike) -> PointCloud:
    """Load a point cloud from ``path``; the format is chosen by the extension (see ``POINTCLOUD_EXTENSIONS``).

    Returns:
        A :class:`PointCloud` with ``points (N, 3)`` float32 and, when the file has them,
        ``normals (N, 3)`` and ``colors (N, 3)`` float32 in [0, 1].

    Raises:
        LoadError: missing (:class:`~kaolin_pipeline.errors.MissingFileError`), empty, corrupt or
            unsupported file, or invalid values (NaN/Inf points, colours outside [0, 1], wrong array
            shapes, a line of an ``.xyz`` file that is not numbers).
    """
    return formats.read(path, formats.POINT_CLOUD)


def save_pointcloud(path: PathLike, cloud: PointCloud) -> None:
    """Write ``cloud`` to ``path`` atomically; the format is chosen by the extension.

    Raises:
        SaveError: unsupported extension, invalid cloud, a ``.npy`` file asked to hold
            colours without normals (use ``.npz``), or the file cannot be written.
    """
    formats.write(path, formats.POINT_CLOUD, cloud)


def write_npy(path: Path, cloud: PointCloud) -> None:
    columns = _npy_columns(_cloud_arrays(cloud, path), path)
    with atomic_path(path) as temp:
        np.save(temp, columns, allow_pickle=False)


def write_npz(path: Path, cloud: PointCloud) -> None:
    arrays = _cloud_arrays(cloud, path)
    with atomic_path(path) as temp, open(temp, "wb") as handle:
        np.savez(handle, **arrays)


def _cloud_arrays(cloud: PointCloud, path: Path) -> dict[str, np.ndarray]:
    """The cloud's present fields as float32 NumPy arrays keyed ``points``, ``normals``, ``colors``."""
    arrays = {}
    for name in ("points", "normals", "colors"):
        value = getattr(cloud, name)
        if value is not None:
            arrays[name] = to_numpy(value, name, path, np.float32)
    return arrays


def _cloud_from_arrays(arrays: dict[str, np.ndarray], path: Path) -> PointCloud:
    """PointCloud from ``points`` / optional ``normals`` / ``colors`` arrays, checking each is (N, 3).

    RGBA colours (N, 4) lose their alpha channel.
    """
    fields = {}
    for name, value in arrays.items():
        if name == "colors" and value.ndim == 2 and value.shape[1] == 4:
            value = value[:, :3]
        if value.ndim != 2 or value.shape[1] != 3:
            raise LoadError(f"{path}: {name} must have shape (N, 3), got {value.shape}")
        if name == "colors":
            value = unit_colors(value, "colors", path)
        elif not np.issubdtype(value.dtype, np.number) or np.issubdtype(value.dtype, np.complexfloating):
            raise LoadError(f"{path}: {name} must be a real numeric array, got dtype {value.dtype}")
        fields[name] = float_tensor(value)
    return PointCloud(**fields)


def _npy_columns(arrays: dict[str, np.ndarray], path: Path) -> np.ndarray:
    """Stack fields into the ``.npy`` column layout (xyz[, normals[, colors]])."""
    names = tuple(arrays)
    for width, layout in _NPY_LAYOUTS.items():
        if names == layout:
            return np.concatenate([arrays[name] for name in layout], axis=1)
    raise SaveError(f"{path}: a .npy point cloud holds colours only together with normals; save to .npz instead")


def read_npy(path: Path) -> PointCloud:
    with reading(path, "NPY array"):
        array = np.load(path, allow_pickle=False)
    if array.ndim != 2 or array.shape[1] not in _NPY_LAYOUTS:
        raise LoadError(f"{path}: a .npy point cloud must have shape (N, 3), (N, 6) or (N, 9), got {array.shape}")
    layout = _NPY_LAYOUTS[array.shape[1]]
    return _cloud_from_arrays({name: array[:, 3 * i:3 * i + 3] for i, name in enumerate(layout)}, path)


def read_npz(path: Path) -> PointCloud:
    with reading(path, "NPZ archive"), np.load(path, allow_pickle=False) as archive:
        if "points" not in archive.files:
            raise LoadError(f"{path}: missing key 'points' (keys found: {', '.join(archive.files) or 'none'})")
        arrays = {name: archive[name] for name in ("points", "normals", "colors") if name in archive.files}
    return _cloud_from_arrays(arrays, path)


def read_ply(path: Path) -> PointCloud:
    """Vertices (and their normals / colours) of any PLY file, mesh or point cloud."""
    from trimesh.exchange.ply import load_ply

    with reading(path, "PLY point cloud"), open(path, "rb") as handle:
        fields = load_ply(handle)
    if fields.get("vertices") is None or len(fields["vertices"]) == 0:
        raise LoadError(f"{path}: PLY file has no vertex element with x, y, z")
    arrays = {"points": np.asarray(fields["vertices"])}
    for name, key in (("normals", "vertex_normals"), ("colors", "vertex_colors")):
        if fields.get(key) is not None:
            arrays[name] = np.asarray(fields[key])
    return _cloud_from_arrays(arrays, path)


def read_open3d(path: Path) -> PointCloud:
    ext = extension(path)
    what = f"{ext[1:].upper()} point cloud"
    with reading(path, what):  # open3d failing to import is named with the file
        o3d = import_open3d()
    with reading(path, what), o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        pcd = o3d.io.read_point_cloud(
            str(path), format=ext[1:], remove_nan_points=False, remove_infinite_points=False
        )
        # open3d reports a missing or corrupt file only by returning an empty cloud
        if not pcd.has_points():
            raise LoadError(f"{path}: no points could be read (corrupt file or not a {ext[1:].upper()} point cloud)")
        arrays: dict[str, Optional[np.ndarray]] = {"points": np.asarray(pcd.points)}
        if pcd.has_normals():
            arrays["normals"] = np.asarray(pcd.normals)
        if pcd.has_colors():
            arrays["colors"] = np.asarray(pcd.colors)
    return _cloud_from_arrays(arrays, path)


def write_open3d(path: Path, cloud: PointCloud) -> None:
    arrays = _cloud_arrays(cloud, path)
    with atomic_path(path) as temp:  # open3d failing to import is a SaveError naming the file
        o3d = import_open3d()
        pcd = o3d.geometry.PointCloud()
        pcd.points = o3d.utility.Vector3dVector(arrays["points"].astype(np.float64))
        if "normals" in arrays:
            pcd.normals = o3d.utility.Vector3dVector(arrays["normals"].astype(np.float64))
        if "colors" in arrays:
            pcd.colors = o3d.utility.Vector3dVector(np.clip(arrays["colors"], 0.0, 1.0).astype(np.float64))
        with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
            written = o3d.io.write_point_cloud(str(temp), pcd, write_ascii=False)
        if not written:
            raise SaveError(f"{path}: open3d could not write the point cloud")


def read_xyz(path: Path) -> PointCloud:
    """Point cloud from an ``.xyz`` / ``.xyzrgb`` text file: one point per line, numbers split by spaces.

    Columns: ``x y z`` (3), ``x y z r g b`` (6; for ``.xyz`` these three are read as normals when
    any of them is negative), ``x y z nx ny nz r g b`` (9). Colours are 0-255 when any exceeds 1,
    else 0-1. Blank lines and lines starting with ``#`` are skipped.

    Raises:
        LoadError: a line that is not numbers (its number and text), lines of differing column
            counts, or a column count other than 3, 6 or 9.
    """
    try:
        with open(path, "rb") as handle:  # NumPy's C parser; a file it refuses is scanned for the culprit
            array = np.loadtxt(handle, dtype=np.float64, comments="#", ndmin=2, encoding="utf-8")
    except ValueError:
        raise LoadError(_first_bad_line(path)) from None
    if not array.size:
        raise LoadError(f"{path}: no points in the file")
    if array.shape[1] not in (3, 6, 9):
        raise LoadError(f"{path}: expected 3 (xyz), 6 (xyz + rgb or normals) or 9 (xyz + normals + rgb) "
                        f"columns, got {array.shape[1]}")
    arrays = {"points": array[:, :3]}
    rest = array[:, 3:]
    if rest.shape[1] == 6 or (rest.shape[1] == 3 and extension(path) == ".xyz" and (rest < 0).any()):
        arrays["normals"], rest = rest[:, :3], rest[:, 3:]
    if rest.shape[1]:
        arrays["colors"] = rest / 255.0 if rest.max() > 1.0 else rest
    return _cloud_from_arrays(arrays, path)


def _first_bad_line(path: Path) -> str:
    """Why NumPy refused a text point cloud: the first line that is not numbers or has another column count."""
    width = None
    with reading(path, "point cloud text"), open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.split("#")[0].strip()
            if not text:
                continue
            try:
                count = len([float(value) for value in text.split()])
            except ValueError:
                return f"{path}: line {number} is not numbers: {text[:60]!r}"
            if width is not None and count != width:
                return f"{path}: line {number} has {count} columns, the lines before it {width}"
            width = count
    return f"{path}: not a text point cloud"
