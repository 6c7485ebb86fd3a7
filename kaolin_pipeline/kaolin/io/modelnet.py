"""``kaolin.io.modelnet``: Kaolin's ``ModelNet`` dataset, items read by ``kaolin.io.off.import_mesh``
(:func:`kaolin_pipeline.io.off.read_off_polygons`)."""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Callable, Optional, Sequence

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.io.off import read_off_polygons
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io.dataset import FileDataset

__all__ = ["ModelNet"]


class ModelNet(FileDataset):
    """ModelNet laid out as ``root/<category>/<split>/<model>.off``: item ``i`` is the OFF file's
    ``(vertices, faces, face_colors)`` with ``name`` (``'<split>/<file>'``), ``path`` and ``label`` (the
    category); a dict with ``output_dict``, else ``KaolinDatasetItem`` (deprecated in Kaolin: warns).

    Args:
        root: the dataset folder (e.g. ``ModelNet40``).
        categories: category folders to read (default every folder of ``root``), in that order.
        split: ``'train'`` or ``'test'``.
        transform: applied to each item.
        output_dict: return dicts.
    """

    def __init__(self, root: str | os.PathLike, categories: Optional[Sequence[str]] = None, split: str = "train",
                 transform: Optional[Callable] = None, output_dict: bool = False):
        if split not in ("train", "test"):
            raise ConfigError(f"ModelNet: split must be 'train' or 'test', got {split!r}")
        self.root = Path(root)
        if not self.root.is_dir():
            raise ConfigError(f"ModelNet: no dataset folder at {self.root}")
        if not output_dict:
            warnings.warn("ModelNet: output_dict=False is deprecated (as in Kaolin); items should be dicts",
                          DeprecationWarning, stacklevel=2)
        available = sorted(entry.name for entry in self.root.iterdir() if entry.is_dir())
        categories = available if categories is None else list(categories)
        unknown = [category for category in categories if category not in available]
        if unknown:
            raise ConfigError(f"ModelNet: categories {unknown} are not folders of {self.root} ({available})")
        per_category = [sorted((self.root / category / split).glob("*")) for category in categories]
        self.paths = [path for paths in per_category for path in paths]
        self.labels = [category for category, paths in zip(categories, per_category) for _ in paths]
        self.names = [os.path.join(path.parent.name, path.name) for path in self.paths]
        self.transform, self.output_dict = transform, output_dict

    def get_data(self, index: int):
        return read_off_polygons(self.paths[index], with_face_colors=True)

    def get_attributes(self, index: int) -> dict:
        return {"name": self.names[index], "path": self.paths[index], "label": self.labels[index]}


__getattr__ = missing_names(__name__, __all__)
