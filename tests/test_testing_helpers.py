"""``kaolin_pipeline.testing`` (Kaolin's ``kal.utils.testing``): checks, descriptions and nested comparison."""
import collections

import pytest
import torch

from kaolin_pipeline.errors import ArgumentTypeError, PipelineError
from kaolin_pipeline.testing import (
    check_allclose,
    check_padded_tensor,
    check_tensor,
    contained_torch_equal,
    tensor_info,
    with_seed,
)


def test_check_tensor():
    t = torch.zeros(2, 3, dtype=torch.float64)
    assert check_tensor(t, (2, None), torch.float64, "cpu")
    assert not check_tensor(t, (2, 4), throw=False)
    with pytest.raises(PipelineError, match="ndim"):
        check_tensor(t, (2, 3, 1))
    with pytest.raises(ArgumentTypeError, match="dtype"):
        check_tensor(t, dtype=torch.float32)


def test_check_padded_tensor_reads_the_padding():
    padded = torch.full((2, 3, 1), -1.0)
    padded[0, :2] = 5
    padded[1, :3] = 7
    assert check_padded_tensor(padded, -1.0, torch.tensor([[2], [3]]), last_dim=1)
    padded[0, 2] = 0
    assert not check_padded_tensor(padded, -1.0, torch.tensor([[2], [3]]), throw=False)


def test_tensor_info_text():
    text = tensor_info(torch.tensor([0.0, 2.0, 4.0]), "t", print_stats=True, detailed=True)
    assert text.startswith("t: [3] (torch.float32)[cpu]")
    assert "[min 0.0000, max 4.0000, mean 2.0000]" in text and "req_grad=False" in text
    assert tensor_info(None, "x") == "x: None" and tensor_info(3, "n") == "n: 3"


def test_contained_torch_equal(capsys):
    Pair = collections.namedtuple("Pair", "a b")
    left = {"x": [torch.ones(2), Pair(1, torch.zeros(1))], "y": "s"}
    assert contained_torch_equal(left, {"x": [torch.ones(2), Pair(1.0, torch.zeros(1))], "y": "s"})
    right = {"x": [torch.ones(2), Pair(1, torch.full((1,), 1e-9))], "y": "s"}
    assert not contained_torch_equal(left, right, print_error_context="data")
    assert "data[x][1].b" in capsys.readouterr().out
    assert contained_torch_equal(left, right, approximate=True, atol=1e-6)
    with pytest.raises(AssertionError, match="max abs difference 0.5"):
        check_allclose(torch.zeros(3), torch.tensor([0.0, 0.5, 0.0]))


def test_with_seed_repeats_draws():
    draw = with_seed(7)(lambda: torch.rand(3))
    assert torch.equal(draw(), draw())
