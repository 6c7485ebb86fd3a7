"""Kaolin's older dataset wrappers (``kaolin.io.dataset``): items as ``KaolinDatasetItem(data, attributes)``,
a preprocessing step whose results are cached on disk (:class:`ProcessedDataset` over :class:`FunctionCache`),
and several datasets read side by side (:class:`CombinationDataset`).

A wrapped dataset may provide ``get_data(i)`` (else ``dataset[i]`` is the data), ``get_attributes(i)`` (else
``{}``) and ``get_cache_key(i)`` (else ``str(i)``). Cached results go through the project's checksummed
:class:`~kaolin_pipeline.datasets.cache.ItemCache` (one entry per ``(function key, item key)``), so they must be
what ``torch.load(weights_only=True)`` reads back: tensors, numbers, strings and lists, tuples or dicts of them.
"""
from __future__ import annotations

import collections
import hashlib
import os
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from kaolin_pipeline.datasets.cache import ItemCache
from kaolin_pipeline.errors import ConfigError, LoadError
from kaolin_pipeline.io._fileutil import PathLike

__all__ = ["CombinationDataset", "FunctionCache", "KaolinDatasetItem", "ProcessedDataset", "preprocess_task",
           "repr_hash"]

#: An item of Kaolin's datasets without ``output_dict``: the data and attributes that are never transformed.
KaolinDatasetItem = collections.namedtuple("KaolinDatasetItem", ["data", "attributes"])


def repr_hash(value: Any) -> str:
    """MD5 hex digest of ``repr(value)`` (a dict's items sorted first, so key order does not matter)."""
    if isinstance(value, dict):
        value = tuple(sorted(value.items()))
    return hashlib.md5(repr(value).encode("utf-8")).hexdigest()


class FunctionCache:
    """The results of ``func``, one per unique id, kept on disk under ``<cache_dir>/<cache_key>/`` (Kaolin's
    ``Cache``); read back on the CPU."""

    def __init__(self, func: Callable, cache_dir: PathLike, cache_key: str) -> None:
        self.func = func
        self.cache_dir = Path(cache_dir) / str(cache_key)
        self.items = ItemCache(self.cache_dir)

    def _key(self, unique_id: str) -> str:
        return ItemCache.key(str(unique_id), None)

    def __contains__(self, unique_id: str) -> bool:
        return self.items.path(self._key(unique_id)).is_file()

    def __call__(self, unique_id: str, *args, **kwargs) -> Any:
        """``func(*args, **kwargs)`` computed and stored the first time ``unique_id`` is asked for, read from disk
        afterwards (the arguments are then ignored)."""
        if unique_id not in self:
            self.items.store(self._key(unique_id), {"value": self.func(*args, **kwargs)})
        return self.try_get(unique_id)

    def try_get(self, unique_id: str) -> Any:
        """The stored result of ``unique_id``; :class:`LoadError` if there is none (or it is corrupt)."""
        item = self.items.load(self._key(unique_id))
        if item is None:
            raise LoadError(f"{self.cache_dir}: nothing cached for key {unique_id!r}")
        return item["value"]


def _get_data(dataset, index: int) -> Any:
    return dataset.get_data(index) if hasattr(dataset, "get_data") else dataset[index]


def _get_attributes(dataset, index: int) -> Dict[str, Any]:
    return dataset.get_attributes(index) if hasattr(dataset, "get_attributes") else {}


def _get_cache_key(dataset, index: int) -> str:
    return dataset.get_cache_key(index) if hasattr(dataset, "get_cache_key") else str(index)


def preprocess_task(arguments: Tuple[int, Callable, Callable, FunctionCache]) -> None:
    """Worker job: cache ``cache(get_cache_key(index), get_data(index))`` for ``(index, get_data, get_cache_key,
    cache)``, on one thread and without autograd."""
    torch.set_num_threads(1)
    index, get_data, get_cache_key, cache = arguments
    with torch.no_grad():
        cache(get_cache_key(index), get_data(index))


class _DataAndAttributes(Dataset):
    """``self[i]`` is ``KaolinDatasetItem(get_data(i), get_attributes(i))``."""

    def __getitem__(self, index: int) -> KaolinDatasetItem:
        return KaolinDatasetItem(data=self.get_data(index), attributes=self.get_attributes(index))


class ProcessedDataset(_DataAndAttributes):
    """``dataset`` with ``preprocessing_transform`` applied to each item's data once and cached in ``cache_dir``,
    then ``transform`` (not cached) on every access; attributes pass through untouched.

    Args:
        dataset: the base dataset (see the module docstring for what it may provide).
        preprocessing_transform (callable, optional): applied to every item's data at construction, for the items
            not cached yet; results keyed by ``repr_hash(repr(preprocessing_transform))`` and the item's cache key.
        cache_dir (str or Path): folder of the cached results; needed with ``preprocessing_transform``.
        num_workers (int, optional): processes that preprocess (None: one per CPU; 0: this process).
        transform (callable, optional): applied to the (preprocessed) data on access.
        no_progress (bool): hide the progress bar.
    """

    def __init__(self, dataset, preprocessing_transform: Optional[Callable] = None,
                 cache_dir: Optional[PathLike] = None, num_workers: Optional[int] = None,
                 transform: Optional[Callable] = None, no_progress: bool = False) -> None:
        self.dataset, self.transform, self.cache_convert = dataset, transform, None
        if preprocessing_transform is None:
            return
        if cache_dir is None:
            raise ConfigError("ProcessedDataset: cache_dir must be given with a preprocessing_transform")
        self.cache_convert = FunctionCache(preprocessing_transform, cache_dir, repr_hash(repr(preprocessing_transform)))
        uncached = [index for index in range(len(self)) if self.get_cache_key(index) not in self.cache_convert]
        jobs = [(index, self._get_base_data, self.get_cache_key, self.cache_convert) for index in uncached]
        progress = dict(total=len(jobs), desc="Applying preprocessing", disable=no_progress)
        if num_workers == 0:
            for job in tqdm(jobs, **progress):
                preprocess_task(job)
        elif jobs:
            with torch.multiprocessing.get_context().Pool(num_workers or os.cpu_count()) as pool:
                for _ in tqdm(pool.imap_unordered(preprocess_task, jobs), **progress):
                    pass

    def __len__(self) -> int:
        return len(self.dataset)

    def _get_base_data(self, index: int) -> Any:
        return _get_data(self.dataset, index)

    def get_data(self, index: int) -> Any:
        """The preprocessed (cached) data of item ``index``, through ``transform``."""
        data = (self._get_base_data(index) if self.cache_convert is None
                else self.cache_convert.try_get(self.get_cache_key(index)))
        return self.transform(data) if self.transform is not None else data

    def get_attributes(self, index: int) -> Dict[str, Any]:
        return _get_attributes(self.dataset, index)

    def get_cache_key(self, index: int) -> str:
        return _get_cache_key(self.dataset, index)


class CombinationDataset(_DataAndAttributes):
    """Datasets of the same length read side by side: item ``i``'s data and attributes are tuples with one entry
    per dataset; the cache key is the first dataset's."""

    def __init__(self, datasets: Sequence) -> None:
        if len(datasets) == 0:
            raise ConfigError("CombinationDataset: datasets is empty")
        lengths = [len(dataset) for dataset in datasets]
        if len(set(lengths)) != 1:
            raise ConfigError(f"CombinationDataset: the datasets have different lengths {lengths}")
        self.datasets, self.len = datasets, lengths[0]

    def __len__(self) -> int:
        return self.len

    def get_data(self, index: int) -> tuple:
        return tuple(_get_data(dataset, index) for dataset in self.datasets)

    def get_attributes(self, index: int) -> tuple:
        return tuple(_get_attributes(dataset, index) for dataset in self.datasets)

    def get_cache_key(self, index: int) -> str:
        return _get_cache_key(self.datasets[0], index)
