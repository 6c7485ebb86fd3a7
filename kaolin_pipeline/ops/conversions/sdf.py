"""Signed distance functions to voxel grids, coarse to fine (Kaolin's ``sdf_to_voxelgrids``, after the
multiresolution isosurface extraction of Occupancy Networks): the SDF is evaluated on a coarse lattice, and at
each doubling only near cells whose corners disagree, or their neighbours; elsewhere a cell's value is copied."""
from __future__ import annotations

from typing import Callable, List

import torch
import torch.nn.functional as F

from kaolin_pipeline.errors import ArgumentTypeError

__all__ = ["sdf_to_voxelgrids"]


def _lattice(resolution: int) -> torch.Tensor:
    """(R + 1, R + 1, R + 1, 3) long lattice indices."""
    axis = torch.arange(resolution + 1)
    return torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), dim=-1)


def _evaluate(sdf: Callable, indices: torch.Tensor, resolution: int, center: float, dim: float) -> torch.Tensor:
    """(N,) bool: ``sdf <= 0`` at (N, 3) lattice indices of a ``resolution`` grid spanning the box."""
    points = (indices.float() / resolution - 0.5) * dim + center
    return (sdf(points) <= 0).reshape(-1).cpu()


def _upsample(grid: torch.Tensor, size: int) -> torch.Tensor:
    """``grid[min(f // 2, n - 1)]`` along every axis, for ``f < size`` (``n``: the grid's size on that axis)."""
    for axis in range(3):
        index = torch.arange(size, device=grid.device).div(2, rounding_mode="floor").clamp(max=grid.shape[axis] - 1)
        grid = grid.index_select(axis, index)
    return grid


def _one(sdf: Callable, center: float, dim: float, init_res: int, steps: int) -> torch.Tensor:
    resolution = init_res
    inside = _evaluate(sdf, _lattice(resolution).reshape(-1, 3), resolution, center, dim).reshape(
        (resolution + 1,) * 3)
    for _ in range(steps):
        grid = inside.float()[None, None]
        mixed = F.max_pool3d(grid, 2, stride=1) != -F.max_pool3d(-grid, 2, stride=1)  # (1, 1, R, R, R) cells
        near = F.max_pool3d(mixed.float(), 3, stride=1, padding=1)[0, 0].bool()     # and their neighbours
        size = 2 * resolution + 1
        # Fine lattice point f lies in coarse cell min(f // 2, R - 1); where that cell is not near the surface
        # it takes the value of the coarse corner f // 2.
        refine = _upsample(near, size)
        values = _upsample(inside, size)
        values[refine] = _evaluate(sdf, torch.nonzero(refine), 2 * resolution, center, dim)
        inside, resolution = values, 2 * resolution
    return inside.float()


def sdf_to_voxelgrids(sdf: List[Callable], bbox_center: float = 0.0, bbox_dim: float = 1.0, init_res: int = 32,
                      upsampling_steps: int = 0) -> torch.Tensor:
    """Sample SDFs on a lattice: 1 where the SDF is <= 0.

    Args:
        sdf: a list of callables, each mapping (N, 3) float points to (N,) signed distances (negative inside).
        bbox_center: the centre of the cube sampled (the same on every axis).
        bbox_dim: its side length.
        init_res: cells a side of the first lattice.
        upsampling_steps: how many times the lattice is refined by two near the surface.

    Returns:
        (B, R + 1, R + 1, R + 1) float32 of 0 and 1 on the CPU, ``R = init_res * 2 ** upsampling_steps``; lattice
        point ``(i, j, k)`` is at ``((i, j, k) / R - 0.5) * bbox_dim + bbox_center``.
    """
    for name, value in (("bbox_center", bbox_center), ("bbox_dim", bbox_dim)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArgumentTypeError(f"Expected {name} to be int or float but got {type(value)}.")
    for name, value in (("init_res", init_res), ("upsampling_steps", upsampling_steps)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentTypeError(f"Expected {name} to be int but got {type(value)}.")
    if not isinstance(sdf, list):
        raise ArgumentTypeError(f"Expected sdf to be list but got {type(sdf)}.")
    for i, function in enumerate(sdf):
        if not callable(function):
            raise ArgumentTypeError(f"Expected sdf[{i}] to be callable but got {type(function)}.")
    return torch.stack([_one(function, bbox_center, bbox_dim, init_res, upsampling_steps) for function in sdf])
