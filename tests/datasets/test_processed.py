"""datasets.processed: Kaolin's Cache (FunctionCache), ProcessedDataset and CombinationDataset, and the hash of
a repr."""
import hashlib

import pytest
import torch

from kaolin_pipeline.datasets.processed import (
    CombinationDataset,
    FunctionCache,
    KaolinDatasetItem,
    ProcessedDataset,
    repr_hash,
)
from kaolin_pipeline.errors import LoadError


class Doubler:
    """x -> 2 x, counting calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return x * 2

    def __repr__(self):
        return "Doubler()"


def plus_one(x):
    return x + 1


class Named(torch.utils.data.Dataset):
    def __init__(self):
        self.data = [torch.tensor([1, 2]), torch.tensor([-3, 0])]

    def __len__(self):
        return 2

    def get_data(self, index):
        return self.data[index]

    def get_attributes(self, index):
        return {"name": "ab"[index]}

    def get_cache_key(self, index):
        return "ab"[index]


def test_repr_hash_is_the_md5_of_the_repr():
    assert repr_hash("abc") == hashlib.md5(b"'abc'").hexdigest()
    expected = hashlib.md5(b"(('a', 2), ('b', 1))").hexdigest()
    assert repr_hash({"b": 1, "a": 2}) == repr_hash({"a": 2, "b": 1}) == expected


def test_function_cache_computes_once_then_reads_from_disk(tmp_path):
    double = Doubler()
    cache = FunctionCache(double, tmp_path, "k")
    assert torch.equal(cache("x", torch.tensor([1, -4])), torch.tensor([2, -8]))
    assert torch.equal(cache("x"), torch.tensor([2, -8])) and double.calls == 1
    other = FunctionCache(Doubler(), tmp_path, "k")  # a new object on the same folder finds the result
    assert "x" in other and "y" not in other and torch.equal(other.try_get("x"), torch.tensor([2, -8]))
    assert other.func.calls == 0 and (tmp_path / "k").is_dir()
    with pytest.raises(LoadError, match="'y'"):
        other.try_get("y")


@pytest.mark.parametrize("num_workers", [0, 2])
def test_processed_dataset_preprocesses_once(tmp_path, num_workers):
    double = Doubler()
    processed = ProcessedDataset(Named(), double, cache_dir=tmp_path, num_workers=num_workers,
                                 transform=plus_one)
    calls = double.calls
    assert [item.data.tolist() for item in processed] == [[3, 5], [-5, 1]]
    assert isinstance(processed[1], KaolinDatasetItem) and processed[1].attributes == {"name": "b"}
    assert double.calls == calls
    again = ProcessedDataset(Named(), Doubler(), cache_dir=tmp_path, num_workers=0)
    assert again.cache_convert.func.calls == 0 and again.get_data(0).tolist() == [2, 4]


def test_processed_plain_list_and_no_preprocessing(tmp_path):
    processed = ProcessedDataset([torch.tensor([5])], Doubler(), cache_dir=tmp_path, num_workers=0)
    assert processed[0].data.tolist() == [10] and processed[0].attributes == {}
    assert processed.get_cache_key(0) == "0"
    assert ProcessedDataset([7]).get_data(0) == 7
    with pytest.raises(ValueError, match="cache_dir"):
        ProcessedDataset([7], Doubler())


def test_combination_dataset():
    combined = CombinationDataset((Named(), [10, 20]))
    assert len(combined) == 2 and combined.get_cache_key(1) == "b"
    assert combined[1].attributes == ({"name": "b"}, {}) and combined[1].data[1] == 20
    assert torch.equal(combined[0].data[0], torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"\[2, 3\]"):
        CombinationDataset((Named(), [1, 2, 3]))
    with pytest.raises(ValueError, match="empty"):
        CombinationDataset(())
