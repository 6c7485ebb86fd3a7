"""``kaolin.io.shapenet``: ``ShapeNetV1`` / ``ShapeNetV2`` over
:func:`kaolin_pipeline.datasets.folders.shapenet_models_by_fraction` and ``kaolin.io.obj.import_mesh``."""
from __future__ import annotations

import os
from typing import Callable, Optional

from kaolin_pipeline.datasets.folders import SHAPENET_MODEL_FILES, shapenet_models_by_fraction
from kaolin_pipeline.datasets.shapenet_synsets import SYNSET_TO_NAME
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io.dataset import FileDataset, KaolinDatasetItem
from kaolin_pipeline.kaolin.io.obj import ignore_error_handler, import_mesh

__all__ = ["KaolinDatasetItem", "ShapeNetV1", "ShapeNetV2"]


class _ShapeNet(FileDataset):
    """Kaolin's ShapeNet dataset: item ``i`` is the :class:`SurfaceMesh` of ``<synset>/<model>/<model file>``
    (materials loaded with ``with_materials``, problems ignored) with ``name`` (``'<synset>/<model>'``),
    ``path``, ``synset`` and ``labels``; a dict with ``output_dict``, else ``KaolinDatasetItem(data,
    attributes)``. ``split`` is the fraction of each synset's sorted models in the training set."""

    VERSION = 1

    def __init__(self, root: str, categories: Optional[list] = None, train: bool = True, split: float = 0.7,
                 with_materials: bool = True, transform: Optional[Callable] = None, output_dict: bool = False):
        models = shapenet_models_by_fraction(root, self.VERSION, categories, train, split)
        self.paths = [folder / SHAPENET_MODEL_FILES[self.VERSION] for folder, _ in models]
        self.synsets = [synset for _, synset in models]
        self.names = [os.path.join(synset, folder.name) for folder, synset in models]
        self.with_materials, self.transform, self.output_dict = with_materials, transform, output_dict

    def get_data(self, index: int):
        return import_mesh(self.paths[index], with_materials=self.with_materials, error_handler=ignore_error_handler,
                           triangulate=True)

    def get_attributes(self, index: int) -> dict:
        synset = self.synsets[index]
        return {"name": self.names[index], "path": self.paths[index], "synset": synset,
                "labels": [SYNSET_TO_NAME[synset]]}


class ShapeNetV1(_ShapeNet):
    """ShapeNetCore v1: ``<synset>/<model>/model.obj``."""

    VERSION = 1


class ShapeNetV2(_ShapeNet):
    """ShapeNetCore v2: ``<synset>/<model>/models/model_normalized.obj``."""

    VERSION = 2


__getattr__ = missing_names(__name__, __all__)
