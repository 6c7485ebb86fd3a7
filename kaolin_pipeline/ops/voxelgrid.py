"""Operations on batched dense voxel grids (Kaolin's ``kaolin.ops.voxelgrid``): downsampling, surface shells,
hole filling, and orthographic depth maps (ODMs) out of and back onto a grid.

A batch of grids is a ``(B, X, Y, Z)`` tensor, bool or float (occupancy where nonzero). ODMs follow Kaolin's
layout: ``(B, 6, D, D)`` for a grid of ``D`` cells a side, faces in the order z_neg, z_pos, y_neg, y_pos, x_neg,
x_pos. Each holds, per column, how many empty voxels lie in front of the first occupied one when looking along
that axis in that direction (``D`` for an empty column): ``*_neg`` looks from the high end towards index 0,
``*_pos`` from index 0 upwards. The z faces are indexed ``[x, y]``, the y faces ``[x, z]``, the x faces ``[y, z]``.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

from kaolin_pipeline.errors import ArgumentTypeError, PipelineError

__all__ = ["downsample", "extract_odms", "extract_surface", "fill", "project_odms"]

#: The grid axis each pair of ODM faces looks along, in Kaolin's face order (z, y, x of a (B, X, Y, Z) grid).
_ODM_AXES = (3, 2, 1)


def _check_grids(voxelgrids: torch.Tensor, name: str = "voxelgrids") -> None:
    if not isinstance(voxelgrids, torch.Tensor):
        raise ArgumentTypeError(f"Expected {name} to be a torch.Tensor but got {type(voxelgrids)}.")
    if voxelgrids.ndim != 4:
        raise PipelineError(f"Expected {name} to have 4 dimensions but got {voxelgrids.ndim} dimensions.")


def _as_float(voxelgrids: torch.Tensor) -> torch.Tensor:
    """Float grids unchanged; bool and integer ones as float (half on a GPU for bool, as Kaolin)."""
    if voxelgrids.is_floating_point():
        return voxelgrids
    if voxelgrids.dtype == torch.bool and voxelgrids.device.type != "cpu":
        return voxelgrids.half()
    return voxelgrids.float()


def downsample(voxelgrids: torch.Tensor, scale: Union[int, Sequence[int]]) -> torch.Tensor:
    """Average blocks of ``scale`` voxels (not thresholded).

    Args:
        voxelgrids: (B, X, Y, Z) grids, float or bool.
        scale: one int for every axis, or a list/tuple of three ints, each in ``1..size`` of its axis.

    Returns:
        (B, X // sx, Y // sy, Z // sz) float (the input's float dtype; float for bool, half on a GPU).
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, list, tuple)):
        raise ArgumentTypeError(f"Expected scale to be type list or int but got {type(scale)}.")
    _check_grids(voxelgrids)
    scales = [scale] * 3 if isinstance(scale, int) else list(scale)
    if len(scales) != 3:
        raise PipelineError(f"Expected scale to have 3 dimensions but got {len(scales)} dimensions.")
    for axis, value in enumerate(scales):
        if value < 1:
            raise PipelineError(f"Downsample ratio must be at least 1 along every dimension but got {value} at "
                                f"index {axis}.")
        if value > voxelgrids.shape[axis + 1]:
            raise PipelineError(f"Downsample ratio must be less than voxelgrids shape of "
                                f"{voxelgrids.shape[axis + 1]} at index {axis}, but got {value}.")
    grids = _as_float(voxelgrids)
    if grids.dtype == torch.half and grids.device.type == "cpu":  # no half pooling kernel on the CPU
        return F.avg_pool3d(grids.float().unsqueeze(1), kernel_size=scales, stride=scales).squeeze(1).half()
    return F.avg_pool3d(grids.unsqueeze(1), kernel_size=scales, stride=scales).squeeze(1)


def _empty_nearby(empty: torch.Tensor, kernel: Sequence[int]) -> torch.Tensor:
    """(B, X, Y, Z) bool: an empty voxel (or the outside of the grid) within the centred ``kernel`` window."""
    pad = [k // 2 for k in reversed(kernel) for _ in (0, 1)]  # F.pad lists the last axis first
    padded = F.pad(empty.to(torch.uint8).unsqueeze(1), pad, value=1)
    return F.max_pool3d(padded, kernel_size=tuple(kernel), stride=1).squeeze(1).bool()


def extract_surface(voxelgrids: torch.Tensor, mode: str = "wide") -> torch.Tensor:
    """The occupied voxels that touch empty space (the grid's outside counts as empty).

    Args:
        voxelgrids: (B, X, Y, Z) occupancy.
        mode: ``'wide'`` keeps a voxel sharing at least a corner with an empty one (26 neighbours);
            ``'thin'`` one sharing a face (6 neighbours).

    Returns:
        (B, X, Y, Z) bool.
    """
    _check_grids(voxelgrids)
    occupied = voxelgrids.bool()
    empty = ~occupied
    if mode == "wide":
        touching = _empty_nearby(empty, (3, 3, 3))
    elif mode == "thin":
        touching = (_empty_nearby(empty, (3, 1, 1)) | _empty_nearby(empty, (1, 3, 1))
                    | _empty_nearby(empty, (1, 1, 3)))
    else:
        raise PipelineError(f'mode "{mode}" is not supported.')
    return occupied & touching


def fill(voxelgrids: torch.Tensor) -> torch.Tensor:
    """Fill the cavities: every empty voxel that no face-connected path of empty voxels links to the grid's
    outside becomes occupied (what ``scipy.ndimage.binary_fill_holes`` does per grid; runs on any device).

    Args:
        voxelgrids: (B, X, Y, Z) occupancy.

    Returns:
        (B, X, Y, Z) bool.
    """
    _check_grids(voxelgrids)
    empty = ~voxelgrids.bool()
    # the outside, grown from a one-voxel frame through empty voxels until it stops changing
    outside = F.pad(torch.zeros_like(empty), [1] * 6, value=True)
    passable = F.pad(empty, [1] * 6, value=True)
    cross = torch.zeros(1, 1, 3, 3, 3, dtype=torch.float32, device=empty.device)
    cross[0, 0, 1, 1, :] = cross[0, 0, 1, :, 1] = cross[0, 0, :, 1, 1] = 1
    count = int(outside.sum())
    while True:
        grown = F.conv3d(outside.unsqueeze(1).float(), cross, padding=1).squeeze(1) > 0
        outside = grown & passable
        new_count = int(outside.sum())
        if new_count == count:
            break
        count = new_count
    return ~outside[:, 1:-1, 1:-1, 1:-1]


def extract_odms(voxelgrids: torch.Tensor) -> torch.Tensor:
    """Orthographic depth maps of cubic grids from the six axis directions (see the module docstring).

    Args:
        voxelgrids: (B, D, D, D) occupancy.

    Returns:
        (B, 6, D, D) long: empty voxels in front of the first occupied one, ``D`` for an empty column.
    """
    _check_grids(voxelgrids)
    size = voxelgrids.shape[-1]
    if tuple(voxelgrids.shape[1:]) != (size,) * 3:
        raise PipelineError(f"voxelgrids must be cubic (B, D, D, D), got {tuple(voxelgrids.shape)}")
    occupied = voxelgrids.bool()
    faces = []
    for axis in _ODM_AXES:
        index = torch.arange(size, device=occupied.device).view([size if d == axis else 1 for d in range(4)])
        last = torch.where(occupied, index, -1).amax(dim=axis)
        first = torch.where(occupied, index, size).amin(dim=axis)
        faces += [size - 1 - last, first]
    return torch.stack(faces, dim=1)


def project_odms(odms: torch.Tensor, voxelgrids: Optional[torch.Tensor] = None, votes: int = 1) -> torch.Tensor:
    """Carve grids with depth maps: each ODM face votes against the voxels in front of its depth along its
    column, and a voxel stays occupied while fewer than ``votes`` faces voted against it.

    Args:
        odms: (B, 6, D, D) depths (see the module docstring), any real dtype.
        voxelgrids: optional (B, D, D, D) occupancy to carve; a full grid when omitted.
        votes: how many faces must agree to empty a voxel (0..6; 0 empties everything).

    Returns:
        (B, D, D, D) bool.
    """
    if not isinstance(odms, torch.Tensor) or odms.ndim != 4:
        shape = tuple(odms.shape) if isinstance(odms, torch.Tensor) else type(odms).__name__
        raise PipelineError(f"odms must be a (B, 6, D, D) tensor, got {shape}")
    if odms.shape[1] != 6:
        raise PipelineError(f"Expected odms' second dimension to be 6, but got {odms.shape[1]} instead.")
    batch_size, size = odms.shape[0], odms.shape[-1]
    if voxelgrids is None:
        occupied = torch.ones((batch_size, size, size, size), dtype=torch.bool, device=odms.device)
    else:
        _check_grids(voxelgrids)
        if voxelgrids.shape[0] != batch_size:
            raise PipelineError(f"Expected voxelgrids and odms' batch size to be the same, but got {batch_size} "
                                f"for odms and {voxelgrids.shape[0]} for voxelgrid.")
        for extent in voxelgrids.shape[1:]:
            if extent != size:
                raise PipelineError(f"Expected voxelgrids and odms' dimension size to be the same, but got "
                                    f"{size} for odms and {extent} for voxelgrid.")
        occupied = voxelgrids.bool()
    count = torch.zeros(occupied.shape, dtype=torch.int8, device=odms.device)
    for pair, axis in enumerate(_ODM_AXES):
        shape = [size if d == axis else 1 for d in range(4)]
        index = torch.arange(size, device=odms.device).view(shape)
        from_high, from_low = (odms[:, 2 * pair + side].unsqueeze(axis) for side in (0, 1))
        count += (index >= size - from_high).to(torch.int8) + (index < from_low).to(torch.int8)
    return occupied & (count < votes)
