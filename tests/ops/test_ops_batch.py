"""``ops.batch`` (Kaolin's list / padded / packed helpers) on hand-made batches."""
import pytest
import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops import batch as kb


def _tensors():
    return [torch.arange(12.0).reshape(2, 3, 2), torch.arange(100.0, 104.0).reshape(1, 2, 2)]


def test_packed_round_trip_by_hand():
    packed, shapes = kb.list_to_packed(_tensors())
    assert shapes.tolist() == [[2, 3], [1, 2]]
    assert packed.shape == (8, 2) and packed[6].tolist() == [100.0, 101.0]
    first = kb.get_first_idx(shapes.prod(1))
    assert first.tolist() == [0, 6, 8]
    back = kb.packed_to_list(packed, shapes, first)
    assert all(torch.equal(a, b) for a, b in zip(back, _tensors()))
    assert kb.tile_to_packed(torch.tensor([5.0, 7.0]), torch.tensor([2, 3])).flatten().tolist() == [5, 5, 7, 7, 7]


def test_padded_round_trip_by_hand():
    padded, shapes = kb.list_to_padded(_tensors(), -1.0, max_shape=(-1, 4))
    assert padded.shape == (2, 2, 4, 2)
    assert padded[1, 0, 1].tolist() == [102.0, 103.0] and padded[1, 1].eq(-1).all() and padded[0, :, 3].eq(-1).all()
    assert all(torch.equal(a, b) for a, b in zip(kb.padded_to_list(padded, shapes), _tensors()))
    packed, _ = kb.list_to_packed(_tensors())
    assert torch.equal(kb.padded_to_packed(padded, shapes), packed)
    assert torch.equal(kb.packed_to_padded(packed, shapes, kb.get_first_idx(shapes.prod(1)), -1.0, (-1, 4)), padded)
    with pytest.raises(PipelineError, match="dim 1 of max_shape"):
        kb.fill_max_shape(shapes, (2, 2))
    with pytest.raises(PipelineError, match="last dimension"):
        kb.list_to_packed([torch.zeros(2, 3), torch.zeros(2, 2)])
    message = ("Expected all tensor to have type torch.LongTensor but got torch.FloatTensor at index 1 "
               "(tensor_list must share dtype and device: torch.int64 on cpu, then torch.float32 on cpu)")
    with pytest.raises(ValueError) as caught:  # Kaolin's wording, tensor.type() naming dtype and device
        kb.list_to_packed([torch.zeros(2, 2, dtype=torch.long), torch.zeros(2, 2)])
    assert str(caught.value) == message
