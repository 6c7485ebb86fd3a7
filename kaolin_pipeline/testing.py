"""Checks and descriptions of tensors for tests and debugging, following ``kaolin.utils.testing`` (above ``ops``:
it seeds through ``ops.random``).

``check_*`` return True, or raise (``throw=True``) / return False when a criterion fails; ``tensor_info``
formats one line per tensor; ``contained_torch_equal`` compares nested containers of tensors.
"""
from __future__ import annotations

import collections.abc
import functools
import numbers
import random
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch

from kaolin_pipeline.errors import ArgumentTypeError, PipelineError
from kaolin_pipeline.ops.random import manual_seed
from kaolin_pipeline.structures import PBRMaterial
from kaolin_pipeline.tensor_text import tensor_info

__all__ = ["ALL_DTYPES", "BOOL_DTYPES", "FLOAT_DTYPES", "INT_DTYPES", "NUM_DTYPES", "check_allclose",
           "check_packed_tensor", "check_padded_tensor", "check_tensor", "contained_torch_equal",
           "random_material_colorspaces", "random_material_textures", "random_material_values", "tensor_info",
           "with_seed"]

BOOL_DTYPES = [torch.bool]
INT_DTYPES = [torch.uint8, torch.short, torch.int, torch.long]
FLOAT_DTYPES = [torch.half, torch.float, torch.double]
NUM_DTYPES = INT_DTYPES + FLOAT_DTYPES
ALL_DTYPES = NUM_DTYPES + BOOL_DTYPES


def with_seed(torch_seed: int = 0, numpy_seed: Optional[int] = None, random_seed: Optional[int] = None) -> Callable:
    """Decorator: seed torch, NumPy and ``random`` before each call
    (see :func:`~kaolin_pipeline.ops.random.manual_seed`)."""
    def decorator(function: Callable) -> Callable:
        @functools.wraps(function)
        def seeded(*args, **kwargs):
            manual_seed(torch_seed, random_seed, numpy_seed)
            return function(*args, **kwargs)
        return seeded
    return decorator


def _fail(throw: bool, error: Exception) -> bool:
    if throw:
        raise error
    return False


def check_tensor(tensor: torch.Tensor, shape: Optional[Sequence[Optional[int]]] = None,
                 dtype: Optional[torch.dtype] = None, device=None, throw: bool = True) -> bool:
    """Whether ``tensor`` has ``shape`` (``None`` entries match any size), ``dtype`` and ``device``.

    Raises (with ``throw``): :class:`PipelineError` (a ``ValueError``) for the shape,
    :class:`ArgumentTypeError` (a ``TypeError``) for the dtype or device.
    """
    if shape is not None:
        if len(shape) != tensor.dim():
            return _fail(throw, PipelineError(f"tensor have {tensor.dim()} ndim, should have {len(shape)}"))
        if any(size is not None and size != actual for size, actual in zip(shape, tensor.shape)):
            return _fail(throw, PipelineError(f"tensor shape is {tensor.shape}, should be {shape}"))
    if dtype is not None and dtype != tensor.dtype:
        return _fail(throw, ArgumentTypeError(f"tensor dtype is {tensor.dtype}, should be {dtype}"))
    if device is not None:
        expected = torch.device(device)
        index_differs = expected.index is not None and expected.index != tensor.device.index
        if expected.type != tensor.device.type or index_differs:
            return _fail(throw, ArgumentTypeError(f"tensor device is {tensor.device}, should be {expected}"))
    return True


def check_packed_tensor(tensor: torch.Tensor, total_numel: Optional[int] = None, last_dim: Optional[int] = None,
                        dtype: Optional[torch.dtype] = None, device=None, throw: bool = True) -> bool:
    """Whether ``tensor`` is a packed tensor ``(total_numel, last_dim)`` of ``dtype`` on ``device``."""
    return check_tensor(tensor, (total_numel, last_dim), dtype, device, throw)


def check_padded_tensor(tensor: torch.Tensor, padding_value=None, shape_per_tensor: Optional[torch.Tensor] = None,
                        batch_size: Optional[int] = None, max_shape: Optional[Sequence[int]] = None,
                        last_dim: Optional[int] = None, dtype: Optional[torch.dtype] = None, device=None,
                        throw: bool = True) -> bool:
    """Whether ``tensor`` is a padded tensor ``(batch_size, *max_shape, last_dim)`` whose entries outside
    each item's ``shape_per_tensor`` region all equal ``padding_value``."""
    if shape_per_tensor is not None:
        batch_size = shape_per_tensor.shape[0] if batch_size is None else batch_size
        if batch_size != shape_per_tensor.shape[0]:
            return _fail(throw, PipelineError(f"batch_size is {batch_size}, but there are "
                                              f"{shape_per_tensor.shape[0]} shapes in shape_per_tensor"))
    ndim = tensor.dim() - 2 if max_shape is None else len(max_shape)
    if not check_tensor(tensor, (batch_size, *(max_shape or [None] * ndim), last_dim), dtype, device, throw):
        return False
    if padding_value is not None and shape_per_tensor is not None:
        pad = torch.ones(tensor.shape[:-1], dtype=torch.bool, device=tensor.device)
        for i, shape in enumerate(shape_per_tensor.tolist()):
            pad[(i, *[slice(0, size) for size in shape])] = False
        if not bool((tensor[pad] == padding_value).all()):
            return _fail(throw, PipelineError(f"tensor padding values are not all {padding_value}"))
    return True


def check_allclose(tensor: torch.Tensor, other: torch.Tensor, rtol: float = 1e-5, atol: float = 1e-8,
                   equal_nan: bool = False) -> None:
    """Raise an ``AssertionError`` with the largest differences when ``tensor`` and ``other`` are not allclose."""
    if not torch.allclose(tensor, other, rtol=rtol, atol=atol, equal_nan=equal_nan):
        difference = (tensor - other).abs()
        raise AssertionError(f"tensors differ: max abs difference {float(difference.max()):.6g} at index "
                             f"{np.unravel_index(int(difference.argmax()), tuple(difference.shape))} "
                             f"(rtol={rtol}, atol={atol})")


def contained_torch_equal(elem: Any, other: Any, approximate: bool = False, print_error_context: Optional[str] = None,
                          ignore_device: bool = False, **allclose_args) -> bool:
    """Equality of nested mappings, named tuples, sequences, ``__slots__`` objects, tensors (``torch.equal``, or
    ``torch.allclose(**allclose_args)`` with ``approximate``) and numbers. With ``print_error_context``, the path
    of the first mismatch is printed."""
    def report(ok: bool, detail: str = "") -> bool:
        if not ok and print_error_context is not None:
            print(f"Failed match for {print_error_context}{detail}")
        return ok

    def child(a: Any, b: Any, suffix: str) -> bool:
        context = None if print_error_context is None else f"{print_error_context}{suffix}"
        return contained_torch_equal(a, b, approximate, context, ignore_device, **allclose_args)

    def tensors(a: torch.Tensor, b: torch.Tensor) -> bool:
        if a.shape != b.shape:
            return False
        b = b.to(a.device) if ignore_device else b
        return torch.allclose(a, b, **allclose_args) if approximate else torch.equal(a, b)

    numbers_pair = isinstance(elem, numbers.Number) and isinstance(other, numbers.Number)
    if not numbers_pair and type(elem) is not type(other):
        return report(False, f" type {type(elem)} vs {type(other)}")
    if torch.is_tensor(elem):
        return report(tensors(elem, other), f": {tensor_info(elem)} vs. {tensor_info(other)}")
    if isinstance(elem, str):
        return report(elem == other, f": {elem} vs {other}")
    if numbers_pair:
        return report(tensors(torch.tensor([float(elem)]), torch.tensor([float(other)])), f": {elem} vs {other}")
    if isinstance(elem, collections.abc.Mapping):
        if elem.keys() != other.keys():
            return report(False, f": keys {list(elem.keys())} vs {list(other.keys())}")
        return all(child(elem[k], other[k], f"[{k}]") for k in elem.keys())
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        if set(elem._fields) != set(other._fields):
            return report(False, f": fields {elem._fields} vs {other._fields}")
        return all(child(getattr(elem, f), getattr(other, f), f".{f}") for f in elem._fields)
    if isinstance(elem, collections.abc.Sequence):
        if len(elem) != len(other):
            return report(False, f": length {len(elem)} vs {len(other)}")
        return all(child(a, b, f"[{i}]") for i, (a, b) in enumerate(zip(elem, other)))
    if hasattr(elem, "__slots__"):
        return all(child(getattr(elem, s, None), getattr(other, s, None), f".{s}") for s in elem.__slots__)
    return report(bool(elem == other), f": {elem} vs {other}")


def random_material_values(device=None) -> dict:
    """Keyword arguments of a :class:`~kaolin_pipeline.structures.PBRMaterial` with every value field drawn
    uniformly in [0, 1) (Python's ``random``) and the specular workflow on; with ``device``, the values are
    tensors there (Kaolin's ``random_material_values``)."""
    values = {name: tuple(random.random() for _ in range(size)) if size > 1 else random.random()
              for name, size in PBRMaterial.VALUE_SIZES.items()}
    if device is not None:
        values = {name: torch.tensor(value, dtype=torch.float32, device=device).reshape(-1)
                  for name, value in values.items()}
    return {**values, "is_specular_workflow": True}


def random_material_textures(device=None, size: int = 256) -> dict:
    """Keyword arguments of a :class:`~kaolin_pipeline.structures.PBRMaterial` with every texture field a
    ``(size, size, C)`` uniform random image, channels last as Kaolin's ``random_material_textures``."""
    return {name: torch.rand((size, size, channels), device=device)
            for name, channels in PBRMaterial.TEXTURE_CHANNELS.items()}


def random_material_colorspaces() -> dict:
    """Keyword arguments with every ``*_colorspace`` field drawn from ``'auto'`` and ``'raw'``."""
    return {name: random.choice(("auto", "raw")) for name in PBRMaterial.COLORSPACE_FIELDS}
