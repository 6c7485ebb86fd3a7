"""Octree bytes ⇄ bits: each byte of an octree is the occupancy of a node's 8 children, bit ``i`` (least
significant first) for the child of morton index ``i`` (``4 x + 2 y + z``)."""
from __future__ import annotations

import torch

__all__ = ["bits_to_uint8", "uint8_bits_sum", "uint8_to_bits"]


def _bit_weights(device: torch.device) -> torch.Tensor:
    """``(8,)`` int64: ``1, 2, 4, ..., 128``."""
    return torch.tensor([1 << i for i in range(8)], dtype=torch.long, device=device)


def uint8_to_bits(uint8_t: torch.Tensor) -> torch.Tensor:
    """The bits of each byte, least significant first.

    Args:
        uint8_t (torch.ByteTensor): bytes of any shape ``(*)``.

    Returns:
        (torch.BoolTensor): of shape ``(*, 8)``; ``[..., i]`` is bit ``i`` of the byte.
    """
    return (uint8_t.long().unsqueeze(-1) & _bit_weights(uint8_t.device)) != 0


def uint8_bits_sum(uint8_t: torch.Tensor) -> torch.Tensor:
    """The number of set bits of each byte (its number of children in an octree).

    Args:
        uint8_t (torch.ByteTensor): bytes of any shape ``(*)``.

    Returns:
        (torch.LongTensor): of shape ``(*)``.
    """
    return uint8_to_bits(uint8_t).sum(-1)


def bits_to_uint8(bool_t: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`uint8_to_bits`.

    Args:
        bool_t (torch.Tensor): bits (bool or 0/1 numbers) of shape ``(*, 8)``, least significant first.

    Returns:
        (torch.ByteTensor): of shape ``(*)``.
    """
    return ((bool_t != 0).long() * _bit_weights(bool_t.device)).sum(-1).to(torch.uint8)
