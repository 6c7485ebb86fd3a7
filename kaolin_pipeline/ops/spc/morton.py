"""Quantised points ⇄ morton codes, point quantisation and the corners of cells.

A point ``(x, y, z)`` of a level-``L`` grid has integer coordinates in ``[0, 2^L)``. Its morton code
interleaves the bits as ``... x1 y1 z1 x0 y0 z0`` (``z`` least significant), so sorting by code is the
octree's depth-first (Z-curve) order, and ``code >> 3`` is the parent's code.
"""
from __future__ import annotations

import torch

__all__ = ["morton_to_points", "points_to_corners", "points_to_morton", "quantize_points"]

# Spread the low 21 bits of a value to every third bit of an int64 (and back).
_SPREAD = ((32, 0x1F00000000FFFF), (16, 0x1F0000FF0000FF), (8, 0x100F00F00F00F00F),
           (4, 0x10C30C30C30C30C3), (2, 0x1249249249249249))


def _spread3_bits(v: torch.Tensor) -> torch.Tensor:
    v = v & 0x1FFFFF
    for shift, mask in _SPREAD:
        v = (v | (v << shift)) & mask
    return v


_SPREAD_LUT = {}


def _spread3(v: torch.Tensor) -> torch.Tensor:
    """Bit ``i`` of ``v`` (21 bits) moved to bit ``3 i``: one 256-entry table lookup per byte."""
    lut = _SPREAD_LUT.get(v.device)
    if lut is None:
        lut = _SPREAD_LUT[v.device] = _spread3_bits(torch.arange(256, device=v.device))
    return lut[v & 0xFF] | (lut[(v >> 8) & 0xFF] << 24) | (lut[(v >> 16) & 0x1F] << 48)


def _compact3(v: torch.Tensor) -> torch.Tensor:
    v = v & 0x1249249249249249
    masks = [mask for _, mask in reversed(_SPREAD[:-1])] + [0x1FFFFF]
    for (shift, _), mask in zip(reversed(_SPREAD), masks):
        v = (v | (v >> shift)) & mask
    return v


def points_to_morton(points: torch.Tensor) -> torch.Tensor:
    """Morton codes of quantised points.

    Args:
        points (torch.ShortTensor): non-negative integer points of shape ``(*, 3)`` (up to 21 bits each).

    Returns:
        (torch.LongTensor): of shape ``(*)``.
    """
    p = points.long()
    return (_spread3(p[..., 0]) << 2) | (_spread3(p[..., 1]) << 1) | _spread3(p[..., 2])


def morton_to_points(morton: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`points_to_morton`.

    Args:
        morton (torch.LongTensor): codes of shape ``(*)``.

    Returns:
        (torch.ShortTensor): points of shape ``(*, 3)``.
    """
    m = morton.long()
    return torch.stack([_compact3(m >> 2), _compact3(m >> 1), _compact3(m)], dim=-1).short()


def quantize_points(x: torch.Tensor, level: int) -> torch.Tensor:
    """The level-``level`` cell of points of ``[-1, 1]^3`` (points outside are clamped into it).

    Args:
        x (torch.FloatTensor): points of shape ``(*, 3)``.
        level (int): grid level (resolution ``2^level``).

    Returns:
        (torch.ShortTensor): integer points in ``[0, 2^level)``, of shape ``(*, 3)``.
    """
    res = 2 ** level
    return torch.floor(torch.clamp(res * (x + 1.0) / 2.0, 0, res - 1)).short()


def _corner_offsets(device: torch.device) -> torch.Tensor:
    """``(8, 3)`` int16: the corner offsets in morton order (``0,0,0``, ``0,0,1``, ... ``1,1,1``)."""
    i = torch.arange(8, device=device)
    return torch.stack([(i >> 2) & 1, (i >> 1) & 1, i & 1], dim=-1).short()


def points_to_corners(points: torch.Tensor) -> torch.Tensor:
    """The 8 corners of the cells whose lowest corner is ``points``, in morton order.

    Args:
        points (torch.ShortTensor): of shape ``(*, 3)``.

    Returns:
        (torch.ShortTensor): of shape ``(*, 8, 3)``.
    """
    return (points.unsqueeze(-2) + _corner_offsets(points.device)).to(points.dtype)
