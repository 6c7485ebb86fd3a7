"""Small helpers shared by the mesh, point cloud and voxel grid file readers and writers.

They turn every way a file can be unusable (missing, a directory, empty, an
unknown extension, a library error deep inside a parser) into a
:class:`~kaolin_pipeline.errors.LoadError` or :class:`~kaolin_pipeline.errors.SaveError`
whose message starts with the path, and write files atomically.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch

from kaolin_pipeline import atomic
from kaolin_pipeline.errors import LoadError, MissingFileError, PipelineError, SaveError

PathLike = atomic.PathLike

USD_EXTENSIONS = (".usd", ".usda", ".usdc")
#: USD files that can be read: also ``.usdz`` packages (read only).
USD_READ_EXTENSIONS = USD_EXTENSIONS + (".usdz",)


def extension(path: PathLike) -> str:
    """Lower-case suffix of ``path`` with its dot, e.g. ``'.obj'`` (``''`` when there is none)."""
    return Path(path).suffix.lower()


def check_extension(path: PathLike, supported: Iterable[str], error: type[PipelineError]) -> str:
    """Return the extension of ``path`` if it is in ``supported``, else raise ``error`` listing them."""
    ext = extension(path)
    supported = tuple(supported)
    if ext not in supported:
        raise error(f"{path}: unsupported file extension {ext or '(none)'!r}; expected one of {', '.join(supported)}")
    return ext


def check_readable(path: PathLike) -> Path:
    """Return ``path`` as a :class:`Path` if it names a non-empty regular file, else raise :class:`LoadError`.

    A missing file raises :class:`MissingFileError`, which is also a ``FileNotFoundError``.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: file does not exist")
    if path.is_dir():
        raise LoadError(f"{path}: is a directory, expected a file")
    if path.stat().st_size == 0:
        raise LoadError(f"{path}: file is empty")
    return path


@contextlib.contextmanager
def reading(path: PathLike, what: str) -> Iterator[None]:
    """Turn any exception raised while parsing ``path`` into a :class:`LoadError` (chained with ``from``).

    ``what`` names the parser in the message, e.g. ``"PLY mesh"``. Errors that are
    already :class:`PipelineError` pass through unchanged.
    """
    try:
        yield
    except PipelineError:
        raise
    except Exception as exc:  # any library failure on a corrupt file becomes one clear error
        raise LoadError(f"{path}: could not read {what}: {type(exc).__name__}: {exc}") from exc


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` (same extension) to write to, then move it onto ``path``.

    :func:`kaolin_pipeline.atomic.atomic_path` with what savers of 3D files need on top: the
    destination folder is created if needed, an empty result is refused, and a library failure
    while writing becomes a :class:`SaveError` naming ``path`` (which is left untouched).
    Libraries that pick the format from the extension (trimesh, open3d, pxr) see the right one.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SaveError(f"{path}: cannot create the folder: {exc}") from exc
    try:
        with atomic.atomic_path(path) as temp:
            yield temp
            if temp.is_file() and temp.stat().st_size == 0:
                raise SaveError(f"{path}: writer produced no data")
    except PipelineError:
        raise
    except Exception as exc:  # a library failure while writing becomes one clear error
        raise SaveError(f"{path}: could not write file: {type(exc).__name__}: {exc}") from exc


def to_numpy(value: torch.Tensor, name: str, path: PathLike, dtype: np.dtype) -> np.ndarray:
    """Detached host copy of ``value`` as ``dtype`` for a file writer; :class:`SaveError` if it is not a tensor."""
    if not isinstance(value, torch.Tensor):
        raise SaveError(f"{path}: {name} must be a torch.Tensor, got {type(value).__name__}")
    return value.detach().to("cpu").numpy().astype(dtype, copy=False)


def float_tensor(array: np.ndarray) -> torch.Tensor:
    """Contiguous float32 tensor from a NumPy array (copied, so it owns its memory)."""
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32).copy())


def long_tensor(array: np.ndarray) -> torch.Tensor:
    """Contiguous int64 tensor from a NumPy array (copied, so it owns its memory)."""
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.int64).copy())


def unit_colors(colors: np.ndarray, name: str, source: PathLike) -> np.ndarray:
    """Colours as float in [0, 1]: integer arrays are divided by 255, float arrays must already be in range.

    Only the first three channels (RGB) are kept. Raises :class:`LoadError` naming ``name``
    when float colours fall outside [0, 1].
    """
    colors = np.asarray(colors)[..., :3]
    if np.issubdtype(colors.dtype, np.integer):
        return colors.astype(np.float32) / 255.0
    colors = colors.astype(np.float32)
    finite = colors[np.isfinite(colors)]
    if finite.size and (finite.min() < 0.0 or finite.max() > 1.0):
        raise LoadError(
            f"{source}: {name} must lie in [0, 1], got values in [{finite.min():g}, {finite.max():g}]"
        )
    return colors
