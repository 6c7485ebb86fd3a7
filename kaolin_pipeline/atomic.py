"""Atomic file writes: readers see the old file or the complete new one, never a torn one.

The new content goes to a hidden temporary file in the destination's folder; once
it is complete it is flushed and fsynced, renamed over the destination with
:func:`os.replace` (atomic on POSIX and Windows), and the folder itself is fsynced
so the rename survives a power loss. A process killed part-way leaves at most a
stray temporary file, whose name starts with ``.`` and contains ``.tmp-``, so no
``*.pt`` / ``step_*.pt`` pattern anchored at the start of the name matches it.

Two forms:

* :func:`atomic_path` yields a temporary *path* for libraries that insist on
  writing a file themselves (``torch.save``, trimesh, pxr). The temporary name
  keeps the destination's suffix, so writers that pick the format from the
  extension still do the right thing.
* :func:`atomic_open` yields an open *file object*.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import IO, Iterator, Union

from kaolin_pipeline.errors import SaveError

PathLike = Union[str, os.PathLike]

TEMP_MARKER = ".tmp-"


def temporary_sibling(path: PathLike) -> Path:
    """A fresh, hidden, not-yet-existing path next to ``path`` with the same suffix.

    ``runs/x/step_000500.pt`` gives for example ``runs/x/.step_000500.tmp-3f9a0c1d2b4e5f60.pt``.
    """
    path = Path(path)
    return path.with_name(f".{path.stem}{TEMP_MARKER}{secrets.token_hex(8)}{path.suffix}")


def is_temporary_name(name: str) -> bool:
    """True for names made by :func:`temporary_sibling` (possibly left behind by a killed writer)."""
    return name.startswith(".") and TEMP_MARKER in name


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    """Make a rename inside ``directory`` durable (POSIX only; Windows cannot open folders)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; on success it atomically becomes ``path``.

    The body must create the file at the yielded path. If the body raises, the
    temporary file is removed and ``path`` is left untouched.

    Raises:
        SaveError: the destination folder does not exist, or the body wrote nothing.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise SaveError(f"{path}: folder {path.parent} does not exist")
    temporary = temporary_sibling(path)
    try:
        yield temporary
        if not temporary.is_file():
            raise SaveError(f"{path}: the writer produced no file")
        _fsync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


@contextlib.contextmanager
def atomic_open(path: PathLike, mode: str = "wb", **open_kwargs) -> Iterator[IO]:
    """Yield an open file (``mode`` ``'wb'`` or ``'w'``); on success it atomically becomes ``path``.

    ``open_kwargs`` go to :func:`open` (for example ``encoding='utf-8'``).
    """
    if mode not in ("w", "wb"):
        raise SaveError(f"{path}: atomic_open mode must be 'w' or 'wb', got {mode!r}")
    with atomic_path(path) as temporary:
        with open(temporary, mode.replace("w", "x"), **open_kwargs) as handle:
            yield handle
            handle.flush()
