"""The two layouts of an octree's ``exsum`` (Kaolin 0.18 changed it; both are accepted).

* current: one entry per octree byte, ``exsum[i]`` = set bits of the octree's bytes ``0..i`` (inclusive
  running sum, restarting at each octree of a packed batch);
* legacy (deprecated): each octree's block is prefixed with a ``0`` (length ``num_bytes + batch_size``).
"""
from __future__ import annotations

import warnings

import torch

from kaolin_pipeline.errors import PipelineError

__all__ = ["current_to_legacy", "ensure_current_exsum", "octree_byte_lengths_from_pyramid"]


def octree_byte_lengths_from_pyramid(pyramids: torch.Tensor) -> torch.Tensor:
    """The number of bytes of each octree, read from its pyramid.

    Args:
        pyramids (torch.IntTensor): of shape ``(B, 2, max_level + 2)``.

    Returns:
        (torch.LongTensor): of shape ``(B,)``, on the CPU: the points above each octree's deepest level
        (at least 1: an octree with no point below the root still has its root byte).
    """
    counts, starts = pyramids[:, 0], pyramids[:, 1]
    deepest = ((counts != 0).sum(1) - 1).clamp(min=0)
    return starts.gather(1, deepest.unsqueeze(1)).squeeze(1).long().clamp(min=1).cpu()


def _block_starts(lengths: torch.Tensor) -> torch.Tensor:
    """``(B,)`` int64: where each octree's legacy block starts (each block is one longer than the octree)."""
    sizes = lengths + 1
    return torch.cumsum(sizes, 0) - sizes


def current_to_legacy(exsum: torch.Tensor, octree_lengths: torch.Tensor) -> torch.Tensor:
    """The legacy layout of a current ``exsum``: a ``0`` before each octree's block.

    Args:
        exsum (torch.IntTensor): of shape ``(num_bytes,)``.
        octree_lengths (torch.Tensor): bytes per octree, of shape ``(B,)``.

    Returns:
        (torch.IntTensor): of shape ``(num_bytes + B,)``, on ``exsum``'s device.
    """
    lengths = octree_lengths.to(exsum.device, torch.long)
    out = exsum.new_zeros(exsum.shape[0] + lengths.shape[0])
    keep = torch.ones(out.shape[0], dtype=torch.bool, device=exsum.device)
    keep[_block_starts(lengths)] = False
    out[keep] = exsum
    return out


def ensure_current_exsum(exsum: torch.Tensor, octree_lengths: torch.Tensor, caller: str) -> torch.Tensor:
    """``exsum`` in the current layout: returned as is, or converted from the legacy one with a
    ``DeprecationWarning``.

    Args:
        exsum (torch.IntTensor): of shape ``(num_bytes,)`` or ``(num_bytes + B,)``.
        octree_lengths (torch.Tensor): bytes per octree, of shape ``(B,)``.
        caller (str): the function name for the messages.

    Raises:
        PipelineError (a ``ValueError``): for any other length.
    """
    num_bytes = int(octree_lengths.sum())
    batch_size = octree_lengths.numel()
    if exsum.shape[0] == num_bytes:
        return exsum
    if exsum.shape[0] == num_bytes + batch_size:
        warnings.warn(f"{caller}: exsum has the deprecated legacy layout (num_bytes + batch_size entries, "
                      "a leading 0 per octree); scan_octrees now returns one entry per byte",
                      DeprecationWarning, stacklevel=3)
        lengths = octree_lengths.to(exsum.device, torch.long)
        keep = torch.ones(exsum.shape[0], dtype=torch.bool, device=exsum.device)
        keep[_block_starts(lengths)] = False
        return exsum[keep]
    raise PipelineError(f"{caller}: exsum has {exsum.shape[0]} entries; expected {num_bytes} (one per octree "
                        f"byte) or {num_bytes + batch_size} (legacy layout) for {batch_size} octree(s)")
