"""Read and write dense voxel grids: binvox, NPY/NPZ (NumPy), USD.

binvox (https://www.patrickmin.com/binvox/binvox.html): a text header
(``dim``, ``translate``, ``scale``) then run-length encoded bytes with y running
fastest, then z, then x. Voxel (i, j, k) has its centre at
``translate + scale * ((i, j, k) + 0.5) / dim``, so the grid covers the box
``[translate, translate + scale]``: ``origin = translate`` and ``size = scale``.
The header is parsed and the runs are written with trimesh's binvox helpers.

NumPy conventions:
    * ``.npy``: one ``(R, R, R)`` bool or 0/1 array indexed [x, y, z]; the box is the unit
      cube at the origin (``origin = 0``, ``size = 1``).
    * ``.npz``: ``occupancy (R, R, R)``, optional ``origin (3,)`` and ``size`` (scalar).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from kaolin_pipeline.io import formats
from kaolin_pipeline.io._fileutil import PathLike, atomic_path, float_tensor, reading, to_numpy
from kaolin_pipeline.structures import VoxelGrid
from kaolin_pipeline.errors import LoadError, SaveError

VOXELGRID_EXTENSIONS = formats.extensions(formats.VOXEL_GRID)

# binvox stores (x, z, y) with y fastest; this permutation maps it to and from [x, y, z].
_BINVOX_AXES = (0, 2, 1)


def load_voxelgrid(path: PathLike) -> VoxelGrid:
    """Load a voxel grid from ``path``; the format is chosen by the extension (see ``VOXELGRID_EXTENSIONS``).

    Returns:
        A :class:`VoxelGrid` with ``occupancy (R, R, R)`` bool indexed [x, y, z],
        ``origin (3,)`` float32 and ``size`` (edge of the world box).

    Raises:
        LoadError: missing (:class:`~kaolin_pipeline.errors.MissingFileError`), empty, truncated,
            corrupt or unsupported file, a non-cubic grid, values other than 0/1, or a non-finite /
            non-positive box.
    """
    return formats.read(path, formats.VOXEL_GRID)


def save_voxelgrid(path: PathLike, grid: VoxelGrid) -> None:
    """Write ``grid`` to ``path`` atomically; the format is chosen by the extension.

    Raises:
        SaveError: unsupported extension, invalid grid, a ``.npy`` file asked to hold a
            box other than the unit cube at the origin (use ``.npz`` or ``.binvox``), or
            the file cannot be written.
    """
    formats.write(path, formats.VOXEL_GRID, grid)


def _grid_arrays(grid: VoxelGrid, path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """``(occupancy (R, R, R) bool, origin (3,) float64, size)`` of ``grid`` for a writer."""
    occupancy = to_numpy(grid.occupancy != 0, "occupancy", path, bool)
    return occupancy, to_numpy(grid.origin, "origin", path, np.float64).reshape(3), float(grid.size)


def write_binvox(path: Path, grid: VoxelGrid) -> None:
    occupancy, origin, size = _grid_arrays(grid, path)
    with atomic_path(path) as temp:
        temp.write_bytes(_binvox_bytes(occupancy, origin, size))


def write_npy(path: Path, grid: VoxelGrid) -> None:
    occupancy, origin, size = _grid_arrays(grid, path)
    if origin.any() or size != 1.0:
        raise SaveError(
            f"{path}: a .npy voxel grid covers the unit cube at the origin; this grid has origin "
            f"{origin.tolist()} and size {size}, save to .npz or .binvox instead"
        )
    with atomic_path(path) as temp:
        np.save(temp, occupancy, allow_pickle=False)


def write_npz(path: Path, grid: VoxelGrid) -> None:
    occupancy, origin, size = _grid_arrays(grid, path)
    with atomic_path(path) as temp, open(temp, "wb") as handle:
        np.savez(handle, occupancy=occupancy, origin=origin.astype(np.float32), size=np.float64(size))


def read_npy(path: Path) -> VoxelGrid:
    with reading(path, "NPY array"):
        occupancy = np.load(path, allow_pickle=False)
    return VoxelGrid(occupancy=_occupancy_tensor(occupancy, "array", path))


def _occupancy_tensor(array: np.ndarray, name: str, path: Path) -> torch.Tensor:
    """(R, R, R) bool tensor from a bool or 0/1 numeric array; LoadError naming ``name`` otherwise."""
    if array.ndim != 3 or len(set(array.shape)) != 1 or array.shape[0] == 0:
        raise LoadError(f"{path}: {name} must be a cubic (R, R, R) grid with R > 0, got shape {array.shape}")
    if array.dtype != bool:
        if not np.issubdtype(array.dtype, np.number) or not np.isin(array, (0, 1)).all():
            raise LoadError(f"{path}: {name} must hold only 0/1 (or bool) occupancy values")
    return torch.from_numpy(np.ascontiguousarray(array != 0))


def read_npz(path: Path) -> VoxelGrid:
    with reading(path, "NPZ archive"), np.load(path, allow_pickle=False) as archive:
        if "occupancy" not in archive.files:
            raise LoadError(f"{path}: missing key 'occupancy' (keys found: {', '.join(archive.files) or 'none'})")
        grid = VoxelGrid(occupancy=_occupancy_tensor(archive["occupancy"], "occupancy", path))
        if "origin" in archive.files:
            origin = archive["origin"]
            if origin.shape != (3,):
                raise LoadError(f"{path}: origin must have shape (3,), got {origin.shape}")
            grid.origin = float_tensor(origin)
        if "size" in archive.files:
            size = archive["size"]
            if size.size != 1:
                raise LoadError(f"{path}: size must be a single number, got shape {size.shape}")
            grid.size = float(size.reshape(()))
    return grid


def read_binvox(path: Path) -> VoxelGrid:
    from trimesh.exchange.binvox import parse_binvox

    with reading(path, "binvox voxel grid"), open(path, "rb") as handle:
        parsed = parse_binvox(handle)
    shape = tuple(int(d) for d in parsed.shape)
    if len(shape) != 3 or len(set(shape)) != 1 or shape[0] <= 0:
        raise LoadError(f"{path}: binvox dim must be three equal positive numbers, got {shape}")
    runs = parsed.rle_data
    if runs.size % 2:
        raise LoadError(f"{path}: binvox data is truncated (odd number of run-length bytes)")
    values, counts = runs[0::2], runs[1::2].astype(np.int64)
    expected = int(np.prod(shape))
    if int(counts.sum()) != expected:
        raise LoadError(f"{path}: binvox data encodes {int(counts.sum())} voxels, header dim {shape} needs {expected}")
    if not (np.isfinite(parsed.translate).all() and np.isfinite(parsed.scale)):
        raise LoadError(f"{path}: binvox translate/scale must be finite")
    stored = np.repeat(values != 0, counts).reshape(shape)  # (x, z, y), y fastest
    return VoxelGrid(
        occupancy=torch.from_numpy(np.ascontiguousarray(stored.transpose(_BINVOX_AXES))),
        origin=float_tensor(np.asarray(parsed.translate).reshape(3)),
        size=float(parsed.scale),
    )


def _binvox_bytes(occupancy: np.ndarray, origin: np.ndarray, size: float) -> bytes:
    from trimesh.exchange.binvox import binvox_bytes
    from trimesh.voxel.runlength import dense_to_rle

    stored = occupancy.transpose(_BINVOX_AXES).reshape(-1)
    runs = dense_to_rle(stored.astype(np.uint8), dtype=np.uint8)
    return binvox_bytes(runs, shape=occupancy.shape, translate=tuple(origin.tolist()), scale=size)
