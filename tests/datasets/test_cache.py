"""Tests of the on-disk item cache: hits skip the loader, corrupt entries are rebuilt, keys follow params."""
import pytest
import torch
import trimesh

from kaolin_pipeline.datasets import folders
from kaolin_pipeline.datasets.cache import CachedDataset, ItemCache
from kaolin_pipeline.datasets.folders import MeshFolder
from kaolin_pipeline.datasets.synthetic import SyntheticShapes
from kaolin_pipeline.datasets.transforms import Compose, Normalize, SamplePoints
from kaolin_pipeline.errors import ConfigError


def _tree(root):
    for name, size in (("a/one.obj", 1.0), ("a/two.ply", 2.0), ("b/three.off", 3.0)):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        trimesh.creation.box(extents=(size, 1.0, 1.0)).export(path)
    return root


@pytest.fixture
def counted_loads(monkeypatch):
    """Count calls of load_mesh made by the folder datasets."""
    calls = []
    real = folders.load_mesh

    def counting(path, **kwargs):
        calls.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(folders, "load_mesh", counting)
    return calls


def _equal_items(a, b):
    assert a.keys() == b.keys()
    for key, value in a.items():
        assert torch.equal(value, b[key]) if isinstance(value, torch.Tensor) else value == b[key], key


def _entries(cache_dir):
    return sorted(cache_dir.rglob("*.pt"))


def test_second_pass_is_read_from_cache(tmp_path, counted_loads):
    root, cache_dir = _tree(tmp_path / "data"), tmp_path / "cache"
    transform = Compose([Normalize(), SamplePoints(16, seed=0)])
    first = [MeshFolder(root, transform=transform, cache_dir=cache_dir)[i] for i in range(3)]
    assert len(counted_loads) == 3 and len(_entries(cache_dir)) == 3
    fresh = MeshFolder(root, transform=transform, cache_dir=cache_dir)  # a new process would see the same
    second = [fresh[i] for i in range(3)]
    assert len(counted_loads) == 3  # no new loads
    for a, b in zip(first, second):
        _equal_items(a, b)
    uncached = MeshFolder(root, transform=transform)[2]
    _equal_items(uncached, second[2])


def test_changed_transform_params_or_file_content_change_the_key(tmp_path, counted_loads):
    root, cache_dir = _tree(tmp_path / "data"), tmp_path / "cache"
    MeshFolder(root, transform=SamplePoints(16, seed=0), cache_dir=cache_dir)[0]
    MeshFolder(root, transform=SamplePoints(16, seed=0), cache_dir=cache_dir)[0]
    assert len(counted_loads) == 1
    other = MeshFolder(root, transform=SamplePoints(32, seed=0), cache_dir=cache_dir)[0]
    assert len(counted_loads) == 2 and other["points"].shape == (32, 3)
    assert ItemCache.key("x", SamplePoints(16, seed=0)) != ItemCache.key("x", SamplePoints(16, seed=1))
    assert ItemCache.key("x", None) != ItemCache.key("x", Normalize())
    MeshFolder(root, cache_dir=cache_dir)[0]
    assert len(counted_loads) == 3
    trimesh.creation.box(extents=(5.0, 1.0, 1.0)).export(root / "a" / "one.obj")  # new content, same path
    changed = MeshFolder(root, cache_dir=cache_dir)[0]
    assert len(counted_loads) == 4
    assert float(changed["vertices"][:, 0].max()) == pytest.approx(2.5)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip_byte", "empty"])
def test_corrupt_entry_is_detected_warned_and_rebuilt(tmp_path, counted_loads, damage):
    root, cache_dir = _tree(tmp_path / "data"), tmp_path / "cache"
    good = MeshFolder(root, cache_dir=cache_dir)[1]
    (entry,) = _entries(cache_dir)
    blob = entry.read_bytes()
    damaged = {
        "truncate": blob[: len(blob) // 2],
        "garbage": b"\x00garbage" * 50,
        "flip_byte": blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:],
        "empty": b"",
    }[damage]
    entry.write_bytes(damaged)
    with pytest.warns(RuntimeWarning, match="corrupt cache entry"):
        rebuilt = MeshFolder(root, cache_dir=cache_dir)[1]
    assert len(counted_loads) == 2  # loaded again from the mesh file
    _equal_items(good, rebuilt)
    assert entry.read_bytes() == blob  # the entry was rewritten, and is trusted again
    MeshFolder(root, cache_dir=cache_dir)[1]
    assert len(counted_loads) == 2


def test_entry_under_a_foreign_key_is_rejected(tmp_path):
    cache = ItemCache(tmp_path)
    cache.store("a" * 64, {"x": torch.ones(2)})
    cache.path("b" * 64).parent.mkdir(parents=True, exist_ok=True)
    cache.path("b" * 64).write_bytes(cache.path("a" * 64).read_bytes())
    with pytest.warns(RuntimeWarning, match="another key"):
        assert cache.load("b" * 64) is None
    assert torch.equal(cache.load("a" * 64)["x"], torch.ones(2))


class _CountingShapes(SyntheticShapes):
    calls = 0

    def __getitem__(self, index):
        type(self).calls += 1
        return super().__getitem__(index)


def test_cached_synthetic_dataset_builds_each_item_once(tmp_path):
    _CountingShapes.calls = 0
    ds = CachedDataset(_CountingShapes(4, seed=1, transform=SamplePoints(8, seed=0)), tmp_path)
    first = [ds[i] for i in range(4)]
    second = [ds[i] for i in range(4)]
    assert _CountingShapes.calls == 4 and len(ds) == 4
    for a, b in zip(first, second):
        _equal_items(a, b)
    other_seed = CachedDataset(_CountingShapes(4, seed=2, transform=SamplePoints(8, seed=0)), tmp_path)
    other_seed[0]
    assert _CountingShapes.calls == 5


def test_cached_dataset_refuses_what_it_cannot_key(tmp_path):
    with pytest.raises(ConfigError, match="source_key"):
        CachedDataset([1, 2, 3], tmp_path)
    with pytest.raises(ConfigError, match="params"):
        CachedDataset(SyntheticShapes(2, transform=lambda item: item), tmp_path)[0]
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        ItemCache(tmp_path / "file")
