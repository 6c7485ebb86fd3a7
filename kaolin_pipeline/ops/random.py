"""Random generation helpers for tests and data, following ``kaolin.ops.random``.

Draws go through torch's global generator (and Python's ``random`` / NumPy's for the seeding helpers),
in the same order as Kaolin's, so a seed gives the same values.
"""
from __future__ import annotations

import math
import random
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch

from kaolin_pipeline.errors import PipelineError

__all__ = ["get_state", "manual_seed", "random_shape_per_tensor", "random_tensor", "sample_spherical_coords",
           "set_state"]

ShapeLike = Union[Sequence[int], torch.Tensor]


def manual_seed(torch_seed: int, random_seed: Optional[int] = None, numpy_seed: Optional[int] = None) -> None:
    """Seed torch, Python's ``random`` and NumPy (the last two default to ``torch_seed``)."""
    random.seed(torch_seed if random_seed is None else random_seed)
    torch.manual_seed(torch_seed)
    np.random.seed(torch_seed if numpy_seed is None else numpy_seed)


def get_state() -> Tuple[torch.Tensor, tuple, tuple]:
    """The generator states of torch, ``random`` and NumPy, for :func:`set_state`."""
    return torch.get_rng_state(), random.getstate(), np.random.get_state()


def set_state(torch_state: torch.Tensor, random_state: tuple, numpy_state: tuple) -> None:
    """Restore states taken by :func:`get_state`."""
    torch.set_rng_state(torch_state)
    random.setstate(random_state)
    np.random.set_state(numpy_state)


def random_shape_per_tensor(batch_size: int, min_shape: Optional[ShapeLike] = None,
                            max_shape: Optional[ShapeLike] = None) -> torch.Tensor:
    """(batch_size, D) long shapes, each dimension uniform in ``[min_shape[d], max_shape[d]]`` (min defaults to 1)."""
    if max_shape is None:
        raise PipelineError("random_shape_per_tensor: max_shape is required")
    low = [1] * len(max_shape) if min_shape is None else [int(v) for v in min_shape]
    if len(low) != len(max_shape):
        raise PipelineError(f"min_shape and max_shape must have the same length, got {len(low)} and {len(max_shape)}")
    columns = [torch.randint(lo, int(hi) + 1, size=(batch_size, 1)) for lo, hi in zip(low, max_shape)]
    return torch.cat(columns, dim=1)


def random_tensor(low: float, high: float, shape: ShapeLike, dtype: torch.dtype = torch.float,
                  device: Union[str, torch.device] = "cpu") -> torch.Tensor:
    """A tensor of ``shape``: uniform in [low, high) for floating dtypes, 0/1 for bool, integers in
    [low, high] otherwise."""
    shape = tuple(int(v) for v in shape)
    if dtype.is_floating_point:
        values = torch.rand(shape, dtype=dtype, device=device)
        return values if (low, high) == (0.0, 1.0) else values * (high - low) + low
    if dtype == torch.bool:
        if low not in (None, 0) or high not in (None, 1):
            raise PipelineError(f"random_tensor: a bool tensor takes low=0 and high=1, got {low}, {high}")
        return torch.randint(0, 2, size=shape, dtype=dtype, device=device)
    return torch.randint(int(low), int(high) + 1, size=shape, dtype=dtype, device=device)


def sample_spherical_coords(shape: Sequence[int], azimuth_low: float = 0.0, azimuth_high: float = math.pi * 2.0,
                            elevation_low: float = 0.0, elevation_high: float = math.pi * 0.5,
                            device: Union[str, torch.device] = "cpu", dtype: torch.dtype = torch.float
                            ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Azimuth and elevation of ``shape`` each, uniform over the sphere's area between the bounds
    (azimuth uniform, sine of the elevation uniform)."""
    draws = torch.rand([2, *shape], dtype=dtype, device=device)
    azimuth = azimuth_low + draws[0] * (azimuth_high - azimuth_low)
    sine_low, sine_high = math.sin(elevation_low), math.sin(elevation_high)
    return azimuth, torch.asin(sine_low + draws[1] * (sine_high - sine_low))
