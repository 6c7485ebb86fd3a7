"""``kaolin.io.dataset``: ``KaolinDatasetItem``, the ``(data, attributes)`` item of Kaolin's file datasets
without ``output_dict``, and the base those datasets share here (``kaolin.io.shapenet``, ``kaolin.io.modelnet``).
Kaolin's caching datasets (``CachedDataset``, ``ProcessedDataset``, ``CombinationDataset``) are not provided;
:class:`kaolin_pipeline.datasets.cache.CachedDataset` is this project's cache."""
from __future__ import annotations

import collections

from torch.utils.data import Dataset

from kaolin_pipeline.kaolin._missing import missing_names

__all__ = ["KaolinDatasetItem"]

#: Kaolin's item of its datasets without ``output_dict``.
KaolinDatasetItem = collections.namedtuple("KaolinDatasetItem", ["data", "attributes"])


class FileDataset(Dataset):
    """Item ``i`` of ``self.paths``: ``{'mesh': get_data(i), **get_attributes(i)}`` with ``output_dict``, else
    ``KaolinDatasetItem(data, attributes)``, passed through ``transform``; subclasses set ``paths``, ``names``,
    ``transform`` and ``output_dict`` and define ``get_data`` and ``get_attributes``."""

    def __len__(self) -> int:
        return len(self.paths)

    def get_cache_key(self, index: int) -> str:
        return self.names[index]

    def __getitem__(self, index: int):
        if self.output_dict:
            item = {"mesh": self.get_data(index), **self.get_attributes(index)}
        else:
            item = KaolinDatasetItem(data=self.get_data(index), attributes=self.get_attributes(index))
        return self.transform(item) if self.transform is not None else item


__getattr__ = missing_names(__name__, __all__)
