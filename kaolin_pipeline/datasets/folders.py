"""Datasets of mesh files on disk: any folder, ShapeNetCore v1/v2, ModelNet10/40.

All three list their files once, at construction, and load one per item through
:func:`kaolin_pipeline.io.mesh.load_mesh`. Items are dicts (see
:mod:`~kaolin_pipeline.datasets.collate`) with ``category`` and ``path``.

A file that fails to load (or to transform) is reported with a ``warnings.warn``
naming the file and the error, remembered, and skipped: its index yields the next
loadable file (wrapping around). With ``strict=True`` the :class:`LoadError` is raised
instead. With ``cache_dir`` the transformed items are cached on disk, keyed by the
file's content hash, path and the transform's ``params()`` (see :mod:`.cache`).
"""
from __future__ import annotations

import copy
import csv
import hashlib
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from torch.utils.data import Dataset

from kaolin_pipeline.io._fileutil import PathLike
from kaolin_pipeline.datasets.cache import ItemCache, file_digest
from kaolin_pipeline.datasets.collate import mesh_to_item
from kaolin_pipeline.io.mesh import MESH_EXTENSIONS, load_mesh
from kaolin_pipeline.datasets.shapenet_synsets import SYNSET_TO_NAME, synset_id
from kaolin_pipeline.errors import ConfigError, LoadError, PipelineError

Transform = Optional[Callable[[Dict[str, Any]], Dict[str, Any]]]

SPLITS = ("train", "val", "test")
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)
"""Hash-based ShapeNet split: fractions of train, val and test models."""

SHAPENET_MODEL_FILES = {1: Path("model.obj"), 2: Path("models") / "model_normalized.obj"}
"""Mesh file inside ``<synset>/<model_id>/`` for each ShapeNetCore version."""

MODELNET10_CLASSES = ("bathtub", "bed", "chair", "desk", "dresser", "monitor", "night_stand", "sofa", "table", "toilet")
MODELNET40_CLASSES = (
    "airplane", "bathtub", "bed", "bench", "bookshelf", "bottle", "bowl", "car", "chair", "cone", "cup", "curtain",
    "desk", "door", "dresser", "flower_pot", "glass_box", "guitar", "keyboard", "lamp", "laptop", "mantel", "monitor",
    "night_stand", "person", "piano", "plant", "radio", "range_hood", "sink", "sofa", "stairs", "stool", "table",
    "tent", "toilet", "tv_stand", "vase", "wardrobe", "xbox",
)


class MeshFileDataset(Dataset):
    """Base of the folder datasets: a fixed list of ``(file, extra item fields)`` entries.

    Args:
        entries: one ``(path, fields)`` per item; ``fields`` holds at least ``category``.
        transform: callable applied to each item dict.
        strict: raise instead of skipping files that fail to load.
        cache_dir: folder of the on-disk item cache (no caching when ``None``).
    """

    def __init__(self, entries: Sequence[Tuple[Path, Dict[str, str]]], transform: Transform = None,
                 strict: bool = False, cache_dir: Optional[PathLike] = None) -> None:
        self.entries = list(entries)
        self.transform, self.strict = transform, strict
        self.cache = None if cache_dir is None else ItemCache(cache_dir)
        self._bad: Dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def paths(self) -> List[Path]:
        return [path for path, _ in self.entries]

    @property
    def categories(self) -> List[str]:
        """Category of each item, in index order."""
        return [fields["category"] for _, fields in self.entries]

    def select(self, indices: Sequence[int]) -> "MeshFileDataset":
        """A dataset of the files ``indices`` only (a split): a broken file among them is skipped to the
        next file of the selection, never to one outside it."""
        subset = copy.copy(self)
        subset.entries, subset._bad = [self.entries[i] for i in indices], {}
        return subset

    def source_key(self, index: int) -> str:
        """Content hash, path and fields of file ``index`` (what the cache keys items by, with the transform)."""
        path, fields = self.entries[index]
        return f"mesh-file:{file_digest(path)}:{path.resolve()}:{sorted(fields.items())}"

    def _build(self, index: int) -> Dict[str, Any]:
        path, fields = self.entries[index]
        item = mesh_to_item(load_mesh(path), category=fields["category"], path=str(path))
        item.update(fields)
        return self.transform(item) if self.transform is not None else item

    def _load(self, index: int) -> Dict[str, Any]:
        if self.cache is None:
            return self._build(index)
        return self.cache.get_or_build(self.source_key(index), self.transform, lambda: self._build(index))

    def __getitem__(self, index: int) -> Dict[str, Any]:
        count = len(self.entries)
        if not -count <= index < count:
            raise IndexError(f"{type(self).__name__} index {index} out of range for {count} items")
        for offset in range(count):
            current = (index + offset) % count
            if current in self._bad:
                continue
            try:
                return self._load(current)
            except PipelineError as exc:
                path = self.entries[current][0]
                error = exc if isinstance(exc, LoadError) else LoadError(f"{path}: {exc}")
                if self.strict:
                    raise error from exc
                self._bad[current] = str(error)
                warnings.warn(f"skipping unreadable file: {error}", RuntimeWarning, stacklevel=2)
        raise LoadError(f"{type(self).__name__}: none of its {count} files could be loaded")


def _existing_folder(root: PathLike, what: str) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise LoadError(f"{root}: {what} folder does not exist")
    return root


def _require_entries(entries: list, root: Path, layout: str) -> list:
    if not entries:
        raise LoadError(f"{root}: no mesh files found; expected the layout {layout}")
    return entries


def _first_folder(path: Path, root: Path) -> str:
    """Name of the sub-folder of ``root`` that holds ``path`` ('' for a file directly in ``root``)."""
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else ""


class MeshFolder(MeshFileDataset):
    """Every mesh file under ``root`` (recursively, sorted); category = first sub-folder name ('' at the root).

    Args:
        root: folder to scan.
        extensions: file extensions to take (``'.obj'`` or ``'obj'``); all of
            :data:`~kaolin_pipeline.io.mesh.MESH_EXTENSIONS` when ``None``.
        transform, strict, cache_dir: see :class:`MeshFileDataset`.
    """

    def __init__(self, root: PathLike, extensions: Optional[Iterable[str]] = None, transform: Transform = None,
                 strict: bool = False, cache_dir: Optional[PathLike] = None) -> None:
        self.root = _existing_folder(root, "dataset")
        wanted = MESH_EXTENSIONS if extensions is None else tuple("." + e.lower().lstrip(".") for e in extensions)
        unsupported = [e for e in wanted if e not in MESH_EXTENSIONS]
        if unsupported:
            raise ConfigError(f"extensions: unsupported {unsupported}; expected some of {', '.join(MESH_EXTENSIONS)}")
        files = sorted(p for p in self.root.rglob("*") if p.is_file() and p.suffix.lower() in wanted)
        entries = [(p, {"category": _first_folder(p, self.root)}) for p in files]
        super().__init__(_require_entries(entries, self.root, f"<category>/**/*{{{','.join(wanted)}}}"),
                         transform, strict, cache_dir)


def hash_split(model_key: str, fractions: Sequence[float] = SPLIT_FRACTIONS) -> str:
    """Deterministic split (``'train'``, ``'val'`` or ``'test'``) of a model from a SHA-256 of ``model_key``."""
    position = int(hashlib.sha256(model_key.encode()).hexdigest()[:12], 16) / float(1 << 48)
    bound = 0.0
    for name, fraction in zip(SPLITS, fractions):
        bound += fraction
        if position < bound:
            return name
    return SPLITS[-1]


def read_split_csv(path: PathLike) -> Dict[Tuple[str, str], str]:
    """ShapeNet split CSV (columns ``synsetId``, ``modelId``, ``split``, as in ShapeNet's ``all.csv``) as a dict.

    Returns ``{(synset_id, model_id): split}``; split values are ``train``, ``val`` or ``test``.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(f"{path}: cannot read split CSV: {exc}") from exc
    table = {}
    for line, row in enumerate(rows, start=2):
        try:
            synset, model, split = row["synsetId"].strip().zfill(8), row["modelId"].strip(), row["split"].strip()
        except (KeyError, AttributeError) as exc:
            raise LoadError(f"{path}: line {line}: expected columns synsetId, modelId, split") from exc
        if split not in SPLITS:
            raise LoadError(f"{path}: line {line}: split {split!r} is not one of {', '.join(SPLITS)}")
        table[(synset, model)] = split
    return table


def _check_split(split: Optional[str], allowed: Sequence[Optional[str]]) -> None:
    if split not in allowed:
        raise ConfigError(f"split must be one of {list(allowed)}, got {split!r}")


def shapenet_models_by_fraction(root: PathLike, version: int, categories: Optional[Iterable[str]], train: bool,
                                fraction: float) -> List[Tuple[Path, str]]:
    """``(model folder, synset id)`` of a ShapeNetCore folder split as Kaolin's ``ShapeNetV1``/``V2`` split it:
    per synset, the model folders sorted by name, the first ``int(n * fraction)`` for ``train`` and the rest
    otherwise; synsets in ``categories`` order (names or ids), or every known synset folder sorted by id.

    Raises:
        ConfigError: bad ``version`` or ``fraction``. LoadError: missing root or synset folder.
    """
    root = _existing_folder(root, "ShapeNet")
    if version not in SHAPENET_MODEL_FILES:
        raise ConfigError(f"ShapeNet version must be 1 or 2, got {version!r}")
    if not 0.0 <= fraction <= 1.0:
        raise ConfigError(f"ShapeNet split must be a fraction in [0, 1], got {fraction!r}")
    if categories is None:
        synsets = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name in SYNSET_TO_NAME)
    else:
        synsets = [synset_id(c) for c in ([categories] if isinstance(categories, str) else categories)]
    models = []
    for synset in synsets:
        folder = root / synset
        if not folder.is_dir():
            raise LoadError(f"{root}: no folder for synset {synset} ({SYNSET_TO_NAME[synset]})")
        found = sorted(p for p in folder.iterdir() if (p / SHAPENET_MODEL_FILES[version]).is_file())
        stop = int(len(found) * fraction)
        models += [(p, synset) for p in (found[:stop] if train else found[stop:])]
    return models


class ShapeNetCore(MeshFileDataset):
    """ShapeNetCore v1 (``<synset>/<model>/model.obj``) or v2 (``<synset>/<model>/models/model_normalized.obj``).

    Items carry ``category`` (the synset's name, e.g. ``'chair'``), ``synset`` (its id)
    and ``path``. Splits: if a split CSV is given (``split_file``) or ``root/all.csv``
    exists, it decides (models it does not list are in no split); otherwise
    :func:`hash_split` assigns each ``<synset>/<model>`` deterministically to
    train / val / test with 70 / 10 / 20 % probability.

    Args:
        root: folder holding the synset folders.
        version: 1 or 2.
        categories: synset names or ids to keep; every known synset folder present when ``None``.
        split: ``None`` (all models), ``'train'``, ``'val'`` or ``'test'``.
        split_file: optional split CSV path.
        transform, strict, cache_dir: see :class:`MeshFileDataset`.
    """

    def __init__(self, root: PathLike, version: int = 1, categories: Optional[Iterable[str]] = None,
                 split: Optional[str] = None, split_file: Optional[PathLike] = None, transform: Transform = None,
                 strict: bool = False, cache_dir: Optional[PathLike] = None) -> None:
        self.root = _existing_folder(root, "ShapeNetCore")
        if version not in SHAPENET_MODEL_FILES:
            raise ConfigError(f"ShapeNetCore version must be 1 or 2, got {version!r}")
        _check_split(split, (None,) + SPLITS)
        if categories is None:
            synsets = sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name in SYNSET_TO_NAME)
        else:
            synsets = [synset_id(c) for c in ([categories] if isinstance(categories, str) else categories)]
            missing = [s for s in synsets if not (self.root / s).is_dir()]
            if missing:
                raise LoadError(f"{self.root}: no folder for synset(s) {missing} "
                                f"({', '.join(SYNSET_TO_NAME[s] for s in missing)})")
        if split_file is None and (self.root / "all.csv").is_file():
            split_file = self.root / "all.csv"
        split_table = None if split_file is None else read_split_csv(split_file)
        self.version, self.split, self.split_file = version, split, split_file

        model_file = SHAPENET_MODEL_FILES[version]
        entries = []
        for synset in synsets:
            for model_dir in sorted(p for p in (self.root / synset).iterdir() if p.is_dir()):
                path = model_dir / model_file
                if not path.is_file():
                    continue
                if split is not None:
                    model_split = (hash_split(f"{synset}/{model_dir.name}") if split_table is None
                                   else split_table.get((synset, model_dir.name)))
                    if model_split != split:
                        continue
                entries.append((path, {"category": SYNSET_TO_NAME[synset], "synset": synset}))
        super().__init__(_require_entries(entries, self.root, f"<synset>/<model>/{model_file.as_posix()}"),
                         transform, strict, cache_dir)


class ModelNet(MeshFileDataset):
    """ModelNet10 or ModelNet40: ``<class>/<split>/<class>_0001.off``.

    ``root`` is the ``ModelNet10`` / ``ModelNet40`` folder or a folder containing it.
    Only the variant's classes are read (so ``variant=10`` on a ModelNet40 folder gives
    its 10-class subset); category = class name.

    Args:
        root: dataset folder.
        variant: 10 or 40.
        split: ``'train'``, ``'test'`` or ``None`` (both: every train shape, then every test shape).
        categories: class names to keep; all of the variant's present classes when ``None``.
        transform, strict, cache_dir: see :class:`MeshFileDataset`.
    """

    def __init__(self, root: PathLike, variant: int = 10, split: Optional[str] = "train",
                 categories: Optional[Iterable[str]] = None, transform: Transform = None,
                 strict: bool = False, cache_dir: Optional[PathLike] = None) -> None:
        classes_of = {10: MODELNET10_CLASSES, 40: MODELNET40_CLASSES}
        if variant not in classes_of:
            raise ConfigError(f"ModelNet variant must be 10 or 40, got {variant!r}")
        _check_split(split, (None, "train", "test"))
        root = _existing_folder(root, "ModelNet")
        self.root = root / f"ModelNet{variant}" if (root / f"ModelNet{variant}").is_dir() else root
        known = classes_of[variant]
        if categories is None:
            classes = [c for c in known if (self.root / c).is_dir()]
        else:
            classes = [categories] if isinstance(categories, str) else list(categories)
            unknown = [c for c in classes if c not in known]
            if unknown:
                raise ConfigError(f"categories: {unknown} are not ModelNet{variant} classes ({', '.join(known)})")
        self.variant, self.split = variant, split
        splits = ("train", "test") if split is None else (split,)
        entries = [(path, {"category": c}) for s in splits for c in classes
                   for path in sorted((self.root / c / s).glob("*.off")) if path.is_file()]
        super().__init__(_require_entries(entries, self.root, f"<class>/{split or '<split>'}/<class>_0001.off"),
                         transform, strict, cache_dir)
