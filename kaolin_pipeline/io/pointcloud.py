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

from kaolin_pipeline.io._open3d import import_open3d
from kaolin_pipeline.io._fileutil import (
    USD_EXTENSIONS,
    PathLike,
    atomic_path,
    check_extension,
    check_readable,
    float_tensor,
    reading,
    to_numpy,
    unit_colors,
)
from kaolin_pipeline.structures import PointCloud
from kaolin_pipeline.io.validate import validate_pointcloud, validate_for_saving
from kaolin_pipeline.errors import LoadError, SaveError

OPEN3D_POINTCLOUD_EXTENSIONS = (".pcd", ".xyz", ".xyzn", ".xyzrgb", ".pts")
NUMPY_POINTCLOUD_EXTENSIONS = (".npy", ".npz")
POINTCLOUD_EXTENSIONS = (".ply",) + OPEN3D_POINTCLOUD_EXTENSIONS + NUMPY_POINTCLOUD_EXTENSIONS + USD_EXTENSIONS

_NPY_LAYOUTS = {3: ("points",), 6: ("points", "normals"), 9: ("points", "normals", "colors")}


def load_pointcloud(path: PathLike) -> PointCloud:
    """Load a point cloud from ``path``; the format is chosen by the extension (see ``POINTCLOUD_EXTENSIONS``).

    Returns:
        A :class:`PointCloud` with ``points (N, 3)`` float32 and, when the file has them,
        ``normals (N, 3)`` and ``colors (N, 3)`` float32 in [0, 1].

    Raises:
        LoadError: missing, empty, corrupt or unsupported file, or invalid values
            (NaN/Inf points, colours outside [0, 1], wrong array shapes).
    """
    ext = check_extension(path, POINTCLOUD_EXTENSIONS, LoadError)
    path = check_readable(path)
    if ext in USD_EXTENSIONS:
        from kaolin_pipeline.io import usd

        cloud = usd.import_pointcloud(str(path))
    elif ext == ".npy":
        cloud = _read_npy(path)
    elif ext == ".npz":
        cloud = _read_npz(path)
    elif ext == ".ply":
        cloud = _read_ply(path)
    else:
        cloud = _read_open3d(path, ext)
    return validate_pointcloud(cloud, str(path))


def save_pointcloud(path: PathLike, cloud: PointCloud) -> None:
    """Write ``cloud`` to ``path`` atomically; the format is chosen by the extension.

    Raises:
        SaveError: unsupported extension, invalid cloud, a ``.npy`` file asked to hold
            colours without normals (use ``.npz``), or the file cannot be written.
    """
    ext = check_extension(path, POINTCLOUD_EXTENSIONS, SaveError)
    path = Path(path)
    if ext in USD_EXTENSIONS:  # the USD exporter validates the point cloud itself
        from kaolin_pipeline.io import usd

        usd.export_pointcloud(str(path), cloud)
        return
    validate_for_saving(cloud, PointCloud, path)
    arrays = _cloud_arrays(cloud, path)
    with atomic_path(path) as temp:
        if ext == ".npy":
            np.save(temp, _npy_columns(arrays, path), allow_pickle=False)
        elif ext == ".npz":
            with open(temp, "wb") as handle:
                np.savez(handle, **arrays)
        else:
            _write_open3d(temp, arrays)


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


def _read_npy(path: Path) -> PointCloud:
    with reading(path, "NPY array"):
        array = np.load(path, allow_pickle=False)
    if array.ndim != 2 or array.shape[1] not in _NPY_LAYOUTS:
        raise LoadError(f"{path}: a .npy point cloud must have shape (N, 3), (N, 6) or (N, 9), got {array.shape}")
    layout = _NPY_LAYOUTS[array.shape[1]]
    return _cloud_from_arrays({name: array[:, 3 * i:3 * i + 3] for i, name in enumerate(layout)}, path)


def _read_npz(path: Path) -> PointCloud:
    with reading(path, "NPZ archive"), np.load(path, allow_pickle=False) as archive:
        if "points" not in archive.files:
            raise LoadError(f"{path}: missing key 'points' (keys found: {', '.join(archive.files) or 'none'})")
        arrays = {name: archive[name] for name in ("points", "normals", "colors") if name in archive.files}
    return _cloud_from_arrays(arrays, path)


def _read_ply(path: Path) -> PointCloud:
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


def _read_open3d(path: Path, ext: str) -> PointCloud:
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


def _write_open3d(temp: Path, arrays: dict[str, np.ndarray]) -> None:
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
        raise SaveError(f"{temp}: open3d could not write the point cloud")
