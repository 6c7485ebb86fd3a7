"""``kaolin.io.shrec``: Kaolin's ``SHREC16`` dataset (the SHREC'16 ShapeNet Core55 retrieval contest), items read
by ``kaolin.io.obj.import_mesh``, categories named by synset id or ShapeNet name
(:func:`kaolin_pipeline.datasets.shapenet_synsets.synset_id`)."""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Callable, Optional, Sequence

from kaolin_pipeline.datasets.shapenet_synsets import SYNSET_TO_NAME, synset_id
from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io.dataset import FileDataset
from kaolin_pipeline.kaolin.io.obj import ignore_error_handler, import_mesh

__all__ = ["SHREC16"]


class SHREC16(FileDataset):
    """SHREC'16 laid out as ``root/{train,val}/<synset>/<model>`` and ``root/test_allinone/<model>``: item ``i``
    is the model's :class:`SurfaceMesh` (material problems ignored) with ``name`` (``'<folder>/<model>'``),
    ``path``, ``synset`` and ``labels`` (``[name]``; both None in the unlabelled test split); a dict with
    ``output_dict``, else ``KaolinDatasetItem`` (deprecated in Kaolin: warns).

    Args:
        root: the dataset folder.
        categories: synset ids or ShapeNet names (default every synset we know).
        split: ``'train'``, ``'val'`` or ``'test'``.
        transform: applied to each item.
        output_dict: return dicts.
    """

    def __init__(self, root: str | os.PathLike, categories: Optional[Sequence[str]] = None, split: str = "train",
                 transform: Optional[Callable] = None, output_dict: bool = False):
        if split not in ("train", "val", "test"):
            raise ConfigError(f"SHREC16: split must be 'train', 'val' or 'test', got {split!r}")
        self.root = Path(root)
        if not output_dict:
            warnings.warn("SHREC16: output_dict=False is deprecated (as in Kaolin); items should be dicts",
                          DeprecationWarning, stacklevel=2)
        if split == "test":
            self.synsets, self.labels = [None], [None]
            folders = [self.root / "test_allinone"]
        else:
            self.synsets = list(SYNSET_TO_NAME) if categories is None else [synset_id(c) for c in categories]
            self.labels = [[SYNSET_TO_NAME[synset]] for synset in self.synsets]
            folders = [self.root / split / synset for synset in self.synsets]
        missing = [str(folder) for folder in folders if not folder.is_dir()]
        if missing:
            raise ConfigError(f"SHREC16: no folder {', '.join(missing)}")
        per_folder = [sorted(folder.glob("*")) for folder in folders]
        self.paths = [path for paths in per_folder for path in paths]
        self.synset_idxs = [index for index, paths in enumerate(per_folder) for _ in paths]
        self.names = [os.path.join(path.parent.name, path.name) for path in self.paths]
        self.transform, self.output_dict = transform, output_dict

    def get_data(self, index: int):
        return import_mesh(self.paths[index], error_handler=ignore_error_handler)

    def get_attributes(self, index: int) -> dict:
        group = self.synset_idxs[index]
        return {"name": self.names[index], "path": self.paths[index], "synset": self.synsets[group],
                "labels": self.labels[group]}


__getattr__ = missing_names(__name__, __all__)
