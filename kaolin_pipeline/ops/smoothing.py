"""The large-steps smoothing matrix ``(I - λL)⁻¹`` of a uniform Laplacian."""
from __future__ import annotations

import torch


def smoothing_matrix(laplacian: torch.Tensor, weight: float) -> torch.Tensor:
    """``(I - weight * L)⁻¹`` for a uniform Laplacian ``L`` (negative diagonal): the large-steps
    reparametrisation (Nicolet et al. 2021, with the umbrella Laplacian) of vertex offsets.

    Multiplying a per-vertex field by it diffuses the field over about ``sqrt(weight)`` rings of
    neighbours; each row sums to 1, so a uniform translation passes unchanged. ``weight = 0`` is
    the identity.

    Args:
        laplacian: (V, V) from :func:`kaolin_pipeline.ops.uniform_laplacian`.
        weight: λ ≥ 0.

    Returns:
        (V, V) float matrix of ``laplacian``'s dtype and device.
    """
    identity = torch.eye(laplacian.shape[0], dtype=torch.float64, device=laplacian.device)
    return torch.linalg.inv(identity - weight * laplacian.to(torch.float64)).to(laplacian.dtype)
