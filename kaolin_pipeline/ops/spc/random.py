"""Random octrees (for tests and examples)."""
from __future__ import annotations

import torch

from kaolin_pipeline.ops.spc.bits import uint8_bits_sum

__all__ = ["random_spc_octrees"]


def random_spc_octrees(batch_size: int, max_level: int, device="cpu") -> tuple:
    """``batch_size`` random octrees of depth ``max_level``: every node has a random non-empty byte.

    Returns:
        (torch.ByteTensor, torch.IntTensor): the packed octrees ``(num_bytes,)`` and their lengths ``(B,)``.
    """
    octrees, lengths = [], []
    for _ in range(batch_size):
        nodes, length = 1, 0
        for _ in range(max_level):
            level = torch.randint(1, 256, (nodes,), dtype=torch.uint8, device=device)
            octrees.append(level)
            length += nodes
            nodes = int(uint8_bits_sum(level).sum())
        lengths.append(length)
    return torch.cat(octrees), torch.tensor(lengths, dtype=torch.int32)
