"""Batches of tensors with different sizes as lists, padded or packed tensors, following ``kaolin.ops.batch``.

A *list* holds tensors ``(*shape_i, C)`` sharing ``C`` and dtype. *Packed*: every tensor flattened to
``(numel_i, C)`` and concatenated, with ``shape_per_tensor (B, D)`` and ``first_idx (B + 1,)`` (the
start of each tensor and the total). *Padded*: ``(B, *max_shape, C)`` filled with a padding value.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple, Union

import torch

from kaolin_pipeline.errors import PipelineError

__all__ = ["fill_max_shape", "get_first_idx", "get_shape_per_tensor", "list_to_packed", "list_to_padded",
           "packed_simple_sum", "packed_to_list", "packed_to_padded", "padded_to_list", "padded_to_packed",
           "tile_to_packed"]

ShapeLike = Union[Sequence[int], torch.Tensor, None]


def get_shape_per_tensor(tensor_list: Sequence[torch.Tensor]) -> torch.Tensor:
    """(B, D) long: each tensor's shape without its last dimension; all must have D + 1 dimensions."""
    if len(tensor_list) == 0:
        raise PipelineError("tensor_list must hold at least one tensor")
    ndim = tensor_list[0].dim()
    for i, tensor in enumerate(tensor_list):
        if tensor.dim() != ndim:
            raise PipelineError(f"Expected all tensors to have {ndim} dimensions but got {tensor.dim()} at index {i}")
    return torch.tensor([list(t.shape[:-1]) for t in tensor_list], dtype=torch.long).reshape(len(tensor_list), ndim - 1)


def _check_same_kind(tensor_list: Sequence[torch.Tensor]) -> None:
    """Same last dimension, dtype and device (Kaolin's wording: ``tensor.type()``, e.g. ``torch.cuda.FloatTensor``)."""
    last, kind = tensor_list[0].shape[-1], tensor_list[0].type()
    for i, tensor in enumerate(tensor_list):
        if tensor.shape[-1] != last:
            raise PipelineError(f"Expected all tensor to have last dimension {last} but got {tensor.shape[-1]} "
                                f"at index {i}")
        if tensor.type() != kind:
            raise PipelineError(f"Expected all tensor to have type {kind} but got {tensor.type()} at index {i} "
                                f"(tensor_list must share dtype and device: {tensor_list[0].dtype} on "
                                f"{tensor_list[0].device}, then {tensor.dtype} on {tensor.device})")


def list_to_packed(tensor_list: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Packed ``(sum numel_i, C)`` tensor and ``shape_per_tensor (B, D)``."""
    shape_per_tensor = get_shape_per_tensor(tensor_list)
    _check_same_kind(tensor_list)
    return torch.cat([t.reshape(-1, t.shape[-1]) for t in tensor_list]), shape_per_tensor


def get_first_idx(numel_per_tensor: torch.Tensor) -> torch.Tensor:
    """(B + 1,) long: ``[0, n_0, n_0 + n_1, ...]`` from the (B,) element counts."""
    return torch.nn.functional.pad(torch.cumsum(numel_per_tensor.long(), 0), (1, 0))


def tile_to_packed(values: torch.Tensor, numel_per_tensor: torch.Tensor) -> torch.Tensor:
    """(sum n_i, 1): ``values[i]`` repeated ``numel_per_tensor[i]`` times."""
    return torch.repeat_interleave(values, numel_per_tensor.to(values.device)).unsqueeze(-1)


def packed_simple_sum(tensor: torch.Tensor, numel_per_tensor: torch.Tensor) -> torch.Tensor:
    """(B,) the sum of each sub-tensor of a packed ``(sum n_i, 1)`` tensor (Kaolin's ``packed_simple_sum``).

    The dtype is ``torch.sum``'s: floats keep theirs (accumulated in float64, as long segments would drift in
    a running float32 sum), bool and integers sum as int64. Differentiable.
    """
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 2 or tensor.shape[-1] != 1:
        raise PipelineError(f"tensor must be a packed (N, 1) tensor, got {tuple(getattr(tensor, 'shape', ()))}")
    counts = numel_per_tensor.to(device=tensor.device, dtype=torch.long)
    segment = torch.repeat_interleave(torch.arange(counts.shape[0], device=tensor.device), counts)
    if segment.shape[0] != tensor.shape[0]:
        raise PipelineError(f"numel_per_tensor sums to {segment.shape[0]} but tensor has {tensor.shape[0]} rows")
    dtype = tensor.dtype if tensor.is_floating_point() else torch.long
    accumulate = torch.float64 if tensor.is_floating_point() else torch.long
    sums = tensor.new_zeros(counts.shape[0], dtype=accumulate).index_add(0, segment, tensor[:, 0].to(accumulate))
    return sums.to(dtype)


def packed_to_list(packed_tensor: torch.Tensor, shape_per_tensor: torch.Tensor,
                   first_idx: torch.Tensor) -> List[torch.Tensor]:
    """The tensors ``(*shape_i, C)`` of a packed tensor (views)."""
    last = packed_tensor.shape[-1]
    bounds = first_idx.tolist()
    return [packed_tensor[start:end].reshape(*shape, last)
            for start, end, shape in zip(bounds[:-1], bounds[1:], shape_per_tensor.tolist())]


def fill_max_shape(shape_per_tensor: torch.Tensor, partial_max_shape: ShapeLike = None) -> torch.Tensor:
    """(D,) long: ``partial_max_shape`` with each -1 replaced by the largest size in that dimension.

    Raises:
        PipelineError: a given size is smaller than one of the tensors'.
    """
    largest, which = shape_per_tensor.max(dim=0)
    if partial_max_shape is None:
        return largest
    max_shape = torch.as_tensor(partial_max_shape, dtype=torch.long).clone()
    max_shape = torch.where(max_shape == -1, largest, max_shape)
    too_small = (max_shape < largest).nonzero().flatten().tolist()
    if too_small:
        i = too_small[0]
        raise PipelineError(f"dim {i} of max_shape ({int(max_shape[i])}) is smaller than for tensor "
                            f"{int(which[i])} ({int(largest[i])})")
    return max_shape


def _region(index: int, shape: Sequence[int]) -> tuple:
    return (index, *[slice(0, int(size)) for size in shape])


def list_to_padded(tensor_list: Sequence[torch.Tensor], padding_value: float,
                   max_shape: ShapeLike = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Padded ``(B, *max_shape, C)`` tensor and ``shape_per_tensor (B, D)``."""
    shape_per_tensor = get_shape_per_tensor(tensor_list)
    _check_same_kind(tensor_list)
    size = fill_max_shape(shape_per_tensor, max_shape).tolist()
    first = tensor_list[0]
    output = torch.full((len(tensor_list), *size, first.shape[-1]), padding_value, dtype=first.dtype,
                        device=first.device)
    for i, tensor in enumerate(tensor_list):
        output[_region(i, tensor.shape[:-1])] = tensor
    return output, shape_per_tensor


def padded_to_list(padded_tensor: torch.Tensor, shape_per_tensor: torch.Tensor) -> List[torch.Tensor]:
    """The unpadded tensors ``(*shape_i, C)`` of a padded tensor (views)."""
    return [padded_tensor[_region(i, shape)] for i, shape in enumerate(shape_per_tensor.tolist())]


def packed_to_padded(packed_tensor: torch.Tensor, shape_per_tensor: torch.Tensor, first_idx: torch.Tensor,
                     padding_value: float, max_shape: ShapeLike = None) -> torch.Tensor:
    """Padded ``(B, *max_shape, C)`` tensor of a packed one."""
    return list_to_padded(packed_to_list(packed_tensor, shape_per_tensor, first_idx), padding_value, max_shape)[0]


def padded_to_packed(padded_tensor: torch.Tensor, shape_per_tensor: torch.Tensor) -> torch.Tensor:
    """Packed ``(sum numel_i, C)`` tensor of a padded one."""
    return torch.cat([t.reshape(-1, padded_tensor.shape[-1]) for t in padded_to_list(padded_tensor, shape_per_tensor)])
