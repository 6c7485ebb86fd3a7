"""Kaolin's per-field dataset cache (``kaolin.io.dataset.CachedDataset``): the fields of each item of a dataset
of dicts, kept in memory or as ``<cache_dir>/<index>/<field>.pt`` files (one ``torch.save`` each).

:class:`FieldCachedDataset` reads every item once, at construction (optionally in ``num_workers`` processes) or
on first access (``cache_at_runtime``), and from then on serves the fields from memory or disk, applying
``transform`` (never cached) on the way out. A folder left by an earlier run is reused when it fits: the same
number of item folders as the dataset has items, and the fields of item 0 equal to the dataset's (fields
missing on disk are written). Otherwise it is refused (:class:`~kaolin_pipeline.errors.StaleCacheError`,
also Kaolin's ``RuntimeError`` and ``AssertionError``) unless ``force_overwrite`` rewrites every field, or
``ignore_diff_error`` trusts the files. When reading the dataset fails, the files this object was writing are
removed (the whole folder if they were all it held), so no half-written cache is left behind.

This is not :class:`kaolin_pipeline.datasets.cache.CachedDataset`, the project's checksummed item cache keyed
by source and transform: here the key is the item's index, as in Kaolin, and files are plain ``torch.save``.
"""
from __future__ import annotations

import copy
import multiprocessing
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Set, Tuple, Union

import torch
from tqdm import tqdm

from kaolin_pipeline.atomic import atomic_path
from kaolin_pipeline.errors import ArgumentTypeError, ConfigError, StaleCacheError
from kaolin_pipeline.io._fileutil import PathLike
from kaolin_pipeline.testing import contained_torch_equal

__all__ = ["FieldCachedDataset", "cache_item_fields"]


def cache_item_fields(cache_dir: Optional[Path], index: int, getitem: Callable[[int], Dict[str, Any]],
                      to_disk: Set[str], already_on_disk: Set[str]) -> Dict[str, Any]:
    """Read item ``index``, write its ``to_disk`` fields to ``<cache_dir>/<index>/<field>.pt`` (atomically) and
    return the fields kept in memory (all but ``to_disk`` and ``already_on_disk``)."""
    with torch.no_grad():
        item = getitem(index)
        if to_disk:
            (cache_dir / str(index)).mkdir(exist_ok=True)
        for field in to_disk:
            with atomic_path(cache_dir / str(index) / f"{field}.pt") as temporary:
                torch.save(item[field], temporary)
        return {field: value for field, value in item.items() if field not in to_disk | already_on_disk}


def _cache_item_in_worker(arguments: Tuple) -> Dict[str, Any]:
    torch.set_num_threads(1)
    return cache_item_fields(*arguments)


def _plan(dataset, cache_dir: Optional[Path], save_on_disk: Union[bool, Sequence[str]], force_overwrite: bool,
          ignore_diff_error: bool) -> Tuple[Set[str], Set[str], Set[str]]:
    """``(fields to write, fields already on disk, fields kept in memory)`` for ``dataset`` (reads item 0), after
    the checks of the module docstring."""
    if not isinstance(save_on_disk, (bool, Sequence)) or isinstance(save_on_disk, str):
        raise ArgumentTypeError(f"save_on_disk must be a bool or a sequence of field names, got {save_on_disk!r}")
    first = dataset[0]
    if not isinstance(first, dict):
        raise ArgumentTypeError(f"dataset[0] must be a dict of fields, got {type(first).__name__}")
    on_disk = (set(first) if save_on_disk else set()) if isinstance(save_on_disk, bool) else set(save_on_disk)
    in_memory = set(first) - on_disk
    if not on_disk:
        return set(), set(), in_memory
    if cache_dir is None:
        raise ConfigError("cache_dir must be given when save_on_disk is set")
    unknown = sorted(on_disk - set(first))
    if unknown:
        raise ConfigError(f"save_on_disk names {unknown}, which dataset[0] does not have (it has {sorted(first)})")
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = len(list(cache_dir.glob("*")))
    if force_overwrite:
        if cached != len(dataset):
            shutil.rmtree(cache_dir)
            cache_dir.mkdir(parents=True)
        return on_disk, set(), in_memory
    if cached and cached != len(dataset):
        raise StaleCacheError(
            f"{cached} files already exist on {cache_dir.resolve().as_posix()} this dataset as {len(dataset)} files "
            "so caching is too ambiguous and error-prone please force rewriting by setting 'force_overwrite'")
    present = {field for field in on_disk if (cache_dir / "0" / f"{field}.pt").exists()}
    for field in sorted(present):
        path = cache_dir / "0" / f"{field}.pt"
        if not ignore_diff_error and not contained_torch_equal(first[field], torch.load(path, weights_only=False)):
            raise StaleCacheError(
                f"file '{path.resolve().as_posix()}' is different than its matching field from the input dataset, "
                "set 'force_overwriting' to True to overwrite the files cached. (The argument is "
                "force_overwrite=True; ignore_diff_error=True keeps the files.)")
    return on_disk - present, present, in_memory


class FieldCachedDataset(torch.utils.data.Dataset):
    """``dataset`` (items are dicts) with its fields cached in memory or on disk; see the module docstring.

    Args:
        dataset: a ``torch.utils.data.Dataset`` or a sequence whose items are dicts.
        cache_dir (str or Path, optional): folder of the ``<index>/<field>.pt`` files; needed with ``save_on_disk``.
        save_on_disk (bool or sequence of str): every field (True), none (False, all in memory) or these fields
            on disk; the others stay in memory.
        num_workers (int): processes reading the dataset at construction (0: this process).
        force_overwrite (bool): rewrite the cached files even when they fit.
        cache_at_runtime (bool): read each item on its first access instead of at construction.
        progress_message (str, optional): shows a progress bar with this text while caching at construction.
        ignore_diff_error (bool): reuse cached files even if item 0 differs from them.
        transform (callable, optional): applied to each item on access; its result is not cached.
    """

    def __init__(self, dataset, cache_dir: Optional[PathLike] = None, save_on_disk: Union[bool, Sequence[str]] = False,
                 num_workers: int = 0, force_overwrite: bool = False, cache_at_runtime: bool = False,
                 progress_message: Optional[str] = None, ignore_diff_error: bool = False,
                 transform: Optional[Callable] = None) -> None:
        self.size = len(dataset)
        self.transform = transform
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.to_save_on_disk, self.to_not_save, in_memory = _plan(dataset, self.cache_dir, save_on_disk,
                                                                  force_overwrite, ignore_diff_error)
        self.on_disk = self.to_save_on_disk | self.to_not_save
        self.dataset = None
        if not self.to_save_on_disk and not in_memory:  # every field is on disk already
            self.data = [{} for _ in range(self.size)]
        elif cache_at_runtime:
            self.data = [None] * self.size
            self.dataset, self.num_not_saved = dataset, self.size
        else:
            self._cache_all(dataset, num_workers, progress_message)

    def _cache_all(self, dataset, num_workers: int, progress_message: Optional[str]) -> None:
        jobs = [(self.cache_dir, index, dataset.__getitem__, self.to_save_on_disk, self.to_not_save)
                for index in range(self.size)]
        progress = dict(total=self.size, desc=progress_message, disable=progress_message is None)
        try:
            if num_workers > 0:
                with multiprocessing.get_context().Pool(num_workers) as pool:
                    self.data = list(tqdm(pool.imap(_cache_item_in_worker, jobs), **progress))
            else:
                self.data = [cache_item_fields(*job) for job in tqdm(jobs, **progress)]
        except Exception:
            self._remove_written_files()
            raise

    def _remove_written_files(self) -> None:
        """Remove the files of the fields this object writes; the whole folder if it holds nothing else."""
        if not self.to_save_on_disk:
            return
        ours = {path for field in self.to_save_on_disk for path in self.cache_dir.glob(f"[0-9]*/{field}.pt")}
        if ours == set(self.cache_dir.glob("[0-9]*/*.pt")):
            shutil.rmtree(self.cache_dir)
        else:
            for path in ours:
                path.unlink()

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> Dict[str, Any]:
        if self.data[index] is None:
            try:
                self.data[index] = cache_item_fields(self.cache_dir, index, self.dataset.__getitem__,
                                                     self.to_save_on_disk, self.to_not_save)
            except Exception:
                self._remove_written_files()
                raise
            self.num_not_saved -= 1
            if self.num_not_saved == 0:
                self.dataset = None  # every item is cached: let the source go
        item = copy.copy(self.data[index])
        for field in self.on_disk:
            item[field] = torch.load(self.cache_dir / str(index) / f"{field}.pt", weights_only=False)
        return self.transform(item) if self.transform is not None else item
