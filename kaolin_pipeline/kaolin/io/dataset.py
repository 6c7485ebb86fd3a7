"""``kaolin.io.dataset``: Kaolin's dataset wrappers. ``CachedDataset`` is
:class:`kaolin_pipeline.datasets.field_cache.FieldCachedDataset` (fields per index in memory or
``<cache_dir>/<index>/<field>.pt``); ``ProcessedDataset``, ``CombinationDataset``, ``Cache``
(:class:`~kaolin_pipeline.datasets.processed.FunctionCache`), ``KaolinDatasetItem`` and the private
``_get_hash`` and ``_preprocess_task`` Kaolin's tests import come from :mod:`kaolin_pipeline.datasets.processed`.
``FileDataset`` is the base the layer's ShapeNet, ModelNet and SHREC16 classes share (not a Kaolin name)."""
from __future__ import annotations

from torch.utils.data import Dataset

from kaolin_pipeline.datasets.field_cache import FieldCachedDataset as CachedDataset
from kaolin_pipeline.datasets.processed import CombinationDataset
from kaolin_pipeline.datasets.processed import FunctionCache as Cache
from kaolin_pipeline.datasets.processed import KaolinDatasetItem, ProcessedDataset
from kaolin_pipeline.datasets.processed import preprocess_task as _preprocess_task
from kaolin_pipeline.datasets.processed import repr_hash as _get_hash
from kaolin_pipeline.kaolin._missing import missing_names

__all__ = ["Cache", "CachedDataset", "CombinationDataset", "KaolinDatasetItem", "ProcessedDataset", "_get_hash",
           "_preprocess_task"]


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
