"""On-disk cache of preprocessed items.

An entry is keyed by a SHA-256 of the item's source (a mesh file's content hash and
path, or a synthetic item's ``(family, seed, index, params)``) and the ``params()`` of
the transform applied to it, so changing a file or a transform parameter never
returns a stale item. Entries live at ``<cache_dir>/<key[:2]>/<key>.pt`` and hold::

    b"KPCACHE1" | SHA-256 of the payload (32 bytes) | payload = torch.save({"key": key, "item": item})

They are written atomically and read with ``torch.load(weights_only=True)`` after the
checksum and key are verified; an entry that fails any check is reported with a
warning and rebuilt, never trusted.
"""
from __future__ import annotations

import hashlib
import io
import json
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import torch
from torch.utils.data import Dataset

from kaolin_pipeline.io._fileutil import PathLike, atomic_path
from kaolin_pipeline.datasets.transforms import transform_params
from kaolin_pipeline.errors import ConfigError, LoadError

CACHE_FORMAT = 1
_MAGIC = b"KPCACHE1"
_DIGEST_BYTES = 32


def file_digest(path: PathLike) -> str:
    """SHA-256 hex digest of a file's content (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise LoadError(f"{path}: cannot read file to hash it: {exc}") from exc
    return digest.hexdigest()


class ItemCache:
    """Folder of cached item dicts (tensors, strings, numbers), see the module docstring."""

    def __init__(self, cache_dir: PathLike) -> None:
        self.cache_dir = Path(cache_dir)
        if self.cache_dir.exists() and not self.cache_dir.is_dir():
            raise ConfigError(f"cache_dir {self.cache_dir} exists and is not a folder")

    @staticmethod
    def key(source_key: str, transform: Optional[Callable]) -> str:
        """SHA-256 hex key of an item source and the transform's ``params()``."""
        text = json.dumps([CACHE_FORMAT, source_key, transform_params(transform)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.pt"

    def load(self, key: str) -> Optional[Dict[str, Any]]:
        """The cached item of ``key``; ``None`` if absent or (with a warning naming the file) corrupt."""
        path = self.path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._reject(path, f"cannot read it: {exc}")
        header = len(_MAGIC) + _DIGEST_BYTES
        if len(blob) < header or not blob.startswith(_MAGIC):
            return self._reject(path, "bad header (truncated or not a cache entry)")
        payload = blob[header:]
        if hashlib.sha256(payload).digest() != blob[len(_MAGIC):header]:
            return self._reject(path, "checksum mismatch (truncated or overwritten)")
        try:
            entry = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
        except Exception as exc:  # any unpickling failure means the entry cannot be used
            return self._reject(path, f"torch.load failed: {type(exc).__name__}: {exc}")
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("item"), dict):
            return self._reject(path, "entry belongs to another key")
        return entry["item"]

    def store(self, key: str, item: Dict[str, Any]) -> None:
        """Write ``item`` under ``key`` atomically (readers never see a partial entry)."""
        buffer = io.BytesIO()
        torch.save({"key": key, "item": item}, buffer)
        payload = buffer.getvalue()
        path = self.path(key)
        with atomic_path(path) as temporary:
            temporary.write_bytes(_MAGIC + hashlib.sha256(payload).digest() + payload)

    def get_or_build(self, source_key: str, transform: Optional[Callable], build: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
        """Cached item for ``(source_key, transform)``, else ``build()`` it and store it."""
        key = self.key(source_key, transform)
        item = self.load(key)
        if item is None:
            item = build()
            self.store(key, item)
        return item

    @staticmethod
    def _reject(path: Path, reason: str) -> None:
        warnings.warn(f"{path}: corrupt cache entry, rebuilding it: {reason}", RuntimeWarning, stacklevel=3)
        return None


class CachedDataset(Dataset):
    """Wrap a dataset so its (transformed) items are built once and then read from ``cache_dir``.

    ``dataset`` must provide ``source_key(index) -> str`` (as :class:`SyntheticShapes`
    and the folder datasets do) and may have a ``transform`` attribute whose
    ``params()`` enter the key. Items are computed by ``dataset[index]`` on a miss.
    """

    def __init__(self, dataset: Dataset, cache_dir: PathLike) -> None:
        if not callable(getattr(dataset, "source_key", None)):
            raise ConfigError(f"CachedDataset: dataset {type(dataset).__name__} has no source_key(index) method")
        self.dataset, self.cache = dataset, ItemCache(cache_dir)

    def __len__(self) -> int:
        return len(self.dataset)

    def source_key(self, index: int) -> str:
        return self.dataset.source_key(index)

    def __getitem__(self, index: int) -> Dict[str, Any]:
        transform = getattr(self.dataset, "transform", None)
        return self.cache.get_or_build(self.dataset.source_key(index), transform, lambda: self.dataset[index])
