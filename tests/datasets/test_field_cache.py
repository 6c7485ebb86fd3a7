"""datasets.field_cache.FieldCachedDataset (Kaolin's CachedDataset): fields in memory or as
<cache_dir>/<index>/<field>.pt, reuse of a fitting folder, refusal of one that does not fit, cleanup on failure."""
import os

import pytest
import torch

from kaolin_pipeline.datasets.field_cache import FieldCachedDataset
from kaolin_pipeline.errors import StaleCacheError


class Items(torch.utils.data.Dataset):
    """``{'a': tensor([i]), 'b': 10 i + offset}``; counts reads; fails from ``fail_from`` on."""

    def __init__(self, n=4, offset=0, fail_from=None):
        self.n, self.offset, self.fail_from, self.reads = n, offset, fail_from, 0

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index >= self.n:
            raise IndexError(index)
        if self.fail_from is not None and index >= self.fail_from:
            raise OSError(f"cannot read item {index}")
        self.reads += 1
        return {"a": torch.tensor([index]), "b": 10 * index + self.offset}


def _files(folder):
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, _, names in os.walk(folder) for name in names)


def test_in_memory_reads_each_item_once():
    source = Items()
    cached = FieldCachedDataset(source, transform=lambda item: {**item, "b": item["b"] + 1})
    reads = source.reads
    assert [cached[i]["b"] for i in range(4)] == [1, 11, 21, 31]
    assert source.reads == reads  # every item was read at construction, never again


def test_fields_on_disk_are_plain_torch_files_and_reused(tmp_path):
    folder = tmp_path / "cache"
    source = Items()
    cached = FieldCachedDataset(source, cache_dir=folder, save_on_disk=["a"])
    assert _files(folder) == ["0/a.pt", "1/a.pt", "2/a.pt", "3/a.pt"]
    assert torch.equal(torch.load(folder / "2" / "a.pt"), torch.tensor([2]))
    assert torch.equal(cached[3]["a"], torch.tensor([3])) and cached[3]["b"] == 30
    mtime = os.stat(folder / "1" / "a.pt").st_mtime_ns
    source.reads = 0
    FieldCachedDataset(source, cache_dir=folder, save_on_disk=True)  # "b" is new: written, "a" kept
    assert _files(folder) == sorted(f"{i}/{k}.pt" for i in range(4) for k in "ab")
    assert os.stat(folder / "1" / "a.pt").st_mtime_ns == mtime
    source.reads = 0
    again = FieldCachedDataset(source, cache_dir=folder, save_on_disk=True)
    assert source.reads == 1  # only item 0, to compare with the files
    assert again[2]["b"] == 20
    FieldCachedDataset(source, cache_dir=folder, save_on_disk=True, force_overwrite=True)
    assert os.stat(folder / "1" / "a.pt").st_mtime_ns != mtime


def test_cache_at_runtime_writes_on_first_access(tmp_path):
    folder = tmp_path / "cache"
    source = Items()
    cached = FieldCachedDataset(source, cache_dir=folder, save_on_disk=True, cache_at_runtime=True)
    assert _files(folder) == [] and source.reads == 1
    assert cached[2]["b"] == 20 and _files(folder) == ["2/a.pt", "2/b.pt"]
    for i in range(4):
        cached[i]
    assert cached.dataset is None  # every item cached: the source is released


def test_refuses_a_folder_that_does_not_fit(tmp_path):
    folder = tmp_path / "cache"
    FieldCachedDataset(Items(), cache_dir=folder, save_on_disk=True)
    with pytest.raises(RuntimeError, match="4 files already exist on .* this dataset as 5 files") as caught:
        FieldCachedDataset(Items(n=5), cache_dir=folder, save_on_disk=True)
    assert isinstance(caught.value, StaleCacheError)
    with pytest.raises(AssertionError, match=r"0/b\.pt' is different"):
        FieldCachedDataset(Items(offset=1), cache_dir=folder, save_on_disk=True)
    trusted = FieldCachedDataset(Items(offset=1), cache_dir=folder, save_on_disk=True, ignore_diff_error=True)
    assert trusted[1]["b"] == 10  # the files, not the dataset
    FieldCachedDataset(Items(n=5), cache_dir=folder, save_on_disk=True, force_overwrite=True)
    assert len(os.listdir(folder)) == 5


def test_failure_removes_what_it_was_writing(tmp_path):
    folder = tmp_path / "cache"
    with pytest.raises(OSError, match="item 2"):
        FieldCachedDataset(Items(fail_from=2), cache_dir=folder, save_on_disk=True)
    assert not folder.exists()
    FieldCachedDataset(Items(), cache_dir=folder, save_on_disk=["a"])
    failing = FieldCachedDataset(Items(fail_from=3), cache_dir=folder, save_on_disk=True, cache_at_runtime=True)
    failing[0]
    assert (folder / "0" / "b.pt").exists()
    with pytest.raises(OSError):
        failing[3]
    assert _files(folder) == ["0/a.pt", "1/a.pt", "2/a.pt", "3/a.pt"]  # the earlier "a" files stay


def test_workers_give_the_same_files(tmp_path):
    FieldCachedDataset(Items(), cache_dir=tmp_path / "one", save_on_disk=["b"])
    two = FieldCachedDataset(Items(), cache_dir=tmp_path / "two", save_on_disk=["b"], num_workers=2)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert [torch.load(tmp_path / "two" / str(i) / "b.pt") for i in range(4)] == [0, 10, 20, 30]
    assert torch.equal(two[1]["a"], torch.tensor([1]))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="cache_dir"):
        FieldCachedDataset(Items(), save_on_disk=True)
    with pytest.raises(ValueError, match=r"\['c'\]"):
        FieldCachedDataset(Items(), cache_dir=tmp_path, save_on_disk=["c"])
    with pytest.raises(TypeError, match="dict"):
        FieldCachedDataset([1, 2])
