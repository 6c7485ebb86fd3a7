"""Shape sources: the one way every command (``fit``, ``render``, ``view``, ``train``) names its shapes.

Grammar of a source string (:func:`open_source`)::

    PATH                   a mesh file: one shape
                           a folder of mesh files: a set (category = first sub-folder)
                           a folder of Data Generator views (``<i>_rgb.png``, see :mod:`kaolin_pipeline.io.render`)
    synthetic:<family>     one procedural shape of that family (one of ``datasets.synthetic.FAMILIES``), drawn from the seed
    synthetic:N            a set of N procedural shapes, the families in turn
    shapenet:ROOT          ShapeNetCore; v1 (``model.obj``) or v2 (``models/model_normalized.obj``) detected from the files
    modelnet:ROOT          ModelNet, both splits; ModelNet40 when ROOT is or holds ``ModelNet40``, else ModelNet10
    modelnet:ROOT#train    one split of it (``#train`` or ``#test``)

Every caller gets the same meaning: :meth:`ShapeSource.mesh` gives the one shape of a single
source, :meth:`ShapeSource.dataset` the items of a set. Bad specs raise :class:`ConfigError`
(syntax) or :class:`LoadError` (missing or unreadable files), each naming the spec.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Callable, Iterable, Optional

import torch
from torch.utils.data import Dataset

from kaolin_pipeline.datasets.folders import SHAPENET_MODEL_FILES, MeshFolder, ModelNet, ShapeNetCore, hash_split
from kaolin_pipeline.datasets.shapenet_synsets import SYNSET_TO_NAME
from kaolin_pipeline.datasets.synthetic import FAMILIES, SyntheticShapes, make_shape
from kaolin_pipeline.errors import ConfigError, LoadError, MissingFileError
from kaolin_pipeline.io.mesh import MESH_EXTENSIONS, load_mesh
from kaolin_pipeline.structures import Mesh

SYNTHETIC, SHAPENET, MODELNET = "synthetic:", "shapenet:", "modelnet:"
PREFIXES = (SYNTHETIC, SHAPENET, MODELNET)
"""The prefixes of the sources that are not paths."""

KINDS = ("file", "folder", "views", "synthetic", "synthetic_set", "shapenet", "modelnet")
"""``ShapeSource.kind`` values; ``file`` and ``synthetic`` name one shape, ``views`` a folder of views."""

GRAMMAR = ("a mesh file, a folder (of meshes or of <i>_rgb.png views), synthetic:<family>, synthetic:N, "
           "shapenet:ROOT or modelnet:ROOT[#train|#test]")
_MODELNET_SPLITS = ("train", "test")
_VIEW_FILE = re.compile(r"\d+_rgb\.png")
_COUNT = re.compile(r"\D*(\d+)\D*")


@dataclasses.dataclass(frozen=True)
class ShapeSource:
    """A parsed source string (see the module docstring).

    Attributes:
        spec: the string as given (messages name it).
        kind: one of :data:`KINDS`.
        path: the file or folder (``file``, ``folder``, ``views``) or dataset root (``shapenet``, ``modelnet``).
        family: the family of ``synthetic``.
        count: the number of shapes of ``synthetic_set``.
        version: ShapeNetCore 1 or 2 (detected).
        variant: ModelNet 10 or 40 (detected).
        split: ModelNet ``'train'`` / ``'test'``, or ``None`` for both.
    """

    spec: str
    kind: str
    path: Optional[Path] = None
    family: Optional[str] = None
    count: Optional[int] = None
    version: Optional[int] = None
    variant: Optional[int] = None
    split: Optional[str] = None

    @property
    def single(self) -> bool:
        """True when the source names one shape (a mesh file or ``synthetic:<family>``)."""
        return self.kind in ("file", "synthetic")

    @property
    def name(self) -> str:
        """A short name for messages and metadata: the file's name, or the spec."""
        return self.path.name if self.kind == "file" else self.spec

    def mesh(self, seed: int = 0) -> Mesh:
        """The one shape of a single source, in its own units and place.

        ``synthetic:<family>`` is :func:`~kaolin_pipeline.datasets.synthetic.make_shape` drawn from ``seed``.

        Raises:
            ConfigError: the source is a set or a folder of views; LoadError: the file cannot be read.
        """
        if self.kind == "synthetic":
            return make_shape(self.family, torch.Generator().manual_seed(seed))
        if self.kind == "file":
            return load_mesh(self.path)
        raise ConfigError(f"{self.spec}: {self.description}, not one shape (one shape is a mesh file or "
                          f"synthetic:<family>)")

    def dataset(self, split: Optional[str] = None, categories: Optional[Iterable[str]] = None,
                families: Optional[Iterable[str]] = None, seed: int = 0,
                transform: Optional[Callable[[dict], dict]] = None, cache_dir=None) -> Dataset:
        """The items of a set (dicts as :mod:`kaolin_pipeline.datasets` yields them).

        Args:
            split: ``None`` (every shape, or the spec's ModelNet split), ``'train'`` or ``'test'``. A folder's
                test split is the models :func:`~kaolin_pipeline.datasets.hash_split` puts in ``test``, its train
                split the others; ShapeNetCore's as :class:`~kaolin_pipeline.datasets.ShapeNetCore` decides.
            categories: ShapeNetCore synsets or ModelNet classes to keep (``None``: all).
            families: synthetic families (``None``: all).
            seed: seed of ``synthetic:N`` (item ``i`` depends on ``(seed, i)`` only).
            transform, cache_dir: as for :class:`~kaolin_pipeline.datasets.MeshFileDataset`.

        Raises:
            ConfigError: the source is one shape or a folder of views, or ``split`` contradicts the spec's.
            LoadError: the folder holds no shape of the expected layout.
        """
        if split not in (None,) + _MODELNET_SPLITS:
            raise ConfigError(f"{self.spec}: split must be train or test, got {split!r}")
        if self.kind == "synthetic_set":
            return SyntheticShapes(self.count, families=None if families is None else list(families) or None,
                                   seed=seed, transform=transform)
        if self.kind == "shapenet":
            return ShapeNetCore(self.path, version=self.version, categories=categories, split=split,
                                transform=transform, cache_dir=cache_dir)
        if self.kind == "modelnet":
            if split is not None and self.split is not None and split != self.split:
                raise ConfigError(f"{self.spec}: the #{self.split} split, but the {split} split is needed here; "
                                  f"write modelnet:{self.path} and the command picks its splits")
            return ModelNet(self.path, variant=self.variant, split=split or self.split, categories=categories,
                            transform=transform, cache_dir=cache_dir)
        if self.kind == "folder":
            folder = MeshFolder(self.path, transform=transform, cache_dir=cache_dir)
            if split is None:
                return folder
            # a broken file is skipped to another file of its own split, never to one of the other split
            return folder.select([i for i, path in enumerate(folder.paths)
                                  if (hash_split(str(path.relative_to(folder.root))) == "test") == (split == "test")])
        raise ConfigError(f"{self.spec}: {self.description}, not a set of shapes (a set is a folder of meshes, "
                          f"synthetic:N, shapenet:ROOT or modelnet:ROOT)")

    @property
    def description(self) -> str:
        """What the source names, in words (``'a folder of meshes'``)."""
        return {"file": "a mesh file", "synthetic": f"one {self.family} shape", "views": "a folder of views",
                "synthetic_set": f"a set of {self.count} synthetic shapes", "folder": "a folder of meshes",
                "shapenet": "the ShapeNetCore dataset", "modelnet": "the ModelNet dataset"}[self.kind]


def _synthetic(spec: str) -> ShapeSource:
    rest = spec[len(SYNTHETIC):]
    if rest.isdigit():
        if int(rest) < 1:
            raise ConfigError(f"{spec}: a synthetic set needs at least one shape")
        return ShapeSource(spec, "synthetic_set", count=int(rest))
    if rest in FAMILIES:
        return ShapeSource(spec, "synthetic", family=rest)
    count = _COUNT.fullmatch(rest)
    if count:
        raise ConfigError(f"{spec}: a set of synthetic shapes is written synthetic:{count.group(1)}")
    problem = f"unknown synthetic family {rest!r}" if rest else "no family or count"
    raise ConfigError(f"{spec}: {problem}; expected synthetic:<family> (one of {', '.join(FAMILIES)}) or "
                      f"synthetic:N (a set of N shapes, e.g. synthetic:64)")


def _root(spec: str, prefix: str, what: str) -> Path:
    root = Path(spec[len(prefix):]).expanduser()
    if not spec[len(prefix):]:
        raise ConfigError(f"{spec}: expected {prefix}ROOT, the {what} folder")
    if not root.is_dir():
        raise LoadError(f"{spec}: {root} is not a folder ({prefix}ROOT names the {what} folder)")
    return root


def shapenet_version(root: Path) -> int:
    """1 or 2: the ShapeNetCore version whose model file the first model folder under ``root`` holds.

    Raises:
        LoadError: naming ``root`` when no model folder holds either file.
    """
    for synset in sorted(p for p in root.iterdir() if p.is_dir() and p.name in SYNSET_TO_NAME):
        for model in sorted(p for p in synset.iterdir() if p.is_dir()):
            for version, model_file in SHAPENET_MODEL_FILES.items():
                if (model / model_file).is_file():
                    return version
    layouts = " or ".join(f"<synset>/<model>/{f.as_posix()}" for f in SHAPENET_MODEL_FILES.values())
    raise LoadError(f"{root}: no ShapeNetCore model found (expected {layouts})")


def modelnet_variant(root: Path) -> int:
    """40 when ``root`` is or holds a ``ModelNet40`` folder, else 10."""
    return 40 if (root / "ModelNet40").is_dir() or root.name == "ModelNet40" else 10


def _modelnet(spec: str) -> ShapeSource:
    body, hash_sign, split = spec.partition("#")
    if hash_sign and split not in _MODELNET_SPLITS:
        raise ConfigError(f"{spec}: the split after '#' must be train or test, got {split!r}")
    root = _root(body, MODELNET, "ModelNet")
    return ShapeSource(spec, "modelnet", path=root, variant=modelnet_variant(root), split=split or None)


def is_view_folder(folder: Path) -> bool:
    """True when ``folder`` holds Data Generator views (``<i>_rgb.png`` files) at its top level."""
    return any(_VIEW_FILE.fullmatch(p.name) for p in folder.iterdir())


def open_source(spec: str) -> ShapeSource:
    """Parse a source string (see the module docstring) and detect what its files hold.

    Raises:
        ConfigError: the spec is malformed (an unknown family, a count written another way, a bad split).
        LoadError: the file or folder does not exist, or is not a mesh file / dataset of the named kind.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"source must be {GRAMMAR}; got {spec!r}")
    if spec.startswith(SYNTHETIC):
        return _synthetic(spec)
    if spec.startswith(SHAPENET):
        root = _root(spec, SHAPENET, "ShapeNetCore")
        return ShapeSource(spec, "shapenet", path=root, version=shapenet_version(root))
    if spec.startswith(MODELNET):
        return _modelnet(spec)
    path = Path(spec).expanduser()
    if path.is_dir():
        return ShapeSource(spec, "views" if is_view_folder(path) else "folder", path=path)
    if path.is_file():
        if path.suffix.lower() not in MESH_EXTENSIONS:
            raise LoadError(f"{path}: not a mesh file (expected one of {', '.join(MESH_EXTENSIONS)})")
        return ShapeSource(spec, "file", path=path)
    if spec.lower().startswith("synthetic"):  # synthetic*500, synthetic500, synthetic
        count = _COUNT.fullmatch(spec[len("synthetic"):])
        written = f"synthetic:{count.group(1)}" if count else "synthetic:<family> or synthetic:N"
        raise ConfigError(f"{spec}: not a source; write {written} (families: {', '.join(FAMILIES)})")
    raise MissingFileError(f"{spec}: no such file or folder (a source is {GRAMMAR})")


__all__ = ["GRAMMAR", "KINDS", "PREFIXES", "ShapeSource", "is_view_folder", "modelnet_variant", "open_source",
           "shapenet_version"]
