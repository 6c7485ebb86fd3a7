"""Reductions and scans over packs: consecutive runs of rows (the hits of one ray), marked by ``boundaries``
(True on each pack's first row; the first row always starts a pack).

Scans lay the packs out as rows of a padded ``(num_packs, longest_pack, D)`` tensor and run ``torch.cumsum``
/ ``torch.cumprod`` along them, so each pack's result is exactly what the torch scan of that pack alone gives,
and autograd differentiates them (memory: ``num_packs`` times the longest pack).
"""
from __future__ import annotations

import warnings

import torch

from kaolin_pipeline.errors import RenderError

__all__ = ["cumprod", "cumsum", "diff", "exponential_integration", "mark_first_hit", "mark_pack_boundaries",
           "prod_reduce", "sum_reduce"]


def mark_pack_boundaries(pack_ids: torch.Tensor) -> torch.Tensor:
    """True where a sorted id tensor ``(N,)`` starts a new run (``[1,1,2,2,2] -> [T,F,T,F,F]``)."""
    out = torch.ones_like(pack_ids, dtype=torch.bool)
    out[1:] = pack_ids[1:] != pack_ids[:-1]
    return out


def mark_first_hit(ridx: torch.Tensor) -> torch.Tensor:
    """Deprecated name of :func:`mark_pack_boundaries` (warns)."""
    warnings.warn("mark_first_hit is deprecated, use mark_pack_boundaries", DeprecationWarning, stacklevel=2)
    return mark_pack_boundaries(ridx)


def _pack_ids(feats: torch.Tensor, boundaries: torch.Tensor) -> torch.Tensor:
    """``(N,)`` int64: the pack of each row."""
    if boundaries.ndim != 1 or boundaries.shape[0] != feats.shape[0]:
        raise RenderError(f"boundaries must have shape ({feats.shape[0]},) like feats' rows, "
                          f"got {tuple(boundaries.shape)}")
    starts = boundaries.bool().clone()
    if starts.numel():
        starts[0] = True
    return torch.cumsum(starts.long(), 0) - 1


def diff(feats: torch.Tensor, boundaries: torch.Tensor) -> torch.Tensor:
    """``out[i] = feats[i + 1] - feats[i]`` inside a pack, 0 on each pack's last row; ``(N, D)``."""
    ids = _pack_ids(feats, boundaries)
    out = torch.zeros_like(feats)
    same = ids[1:] == ids[:-1]
    out[:-1] = torch.where(same.reshape(-1, *([1] * (feats.ndim - 1))), feats[1:] - feats[:-1], out[:-1])
    return out


def sum_reduce(feats: torch.Tensor, boundaries: torch.Tensor) -> torch.Tensor:
    """The sum of each pack, ``(num_packs, D)`` from ``(N, D)``; differentiable."""
    ids = _pack_ids(feats, boundaries)
    num = int(ids[-1]) + 1 if ids.numel() else 0
    return feats.new_zeros((num, *feats.shape[1:])).index_add(0, ids, feats)


def prod_reduce(feats: torch.Tensor, boundaries: torch.Tensor) -> torch.Tensor:
    """The product of each pack, ``(num_packs, D)`` from ``(N, D)``."""
    ids = _pack_ids(feats, boundaries)
    num = int(ids[-1]) + 1 if ids.numel() else 0
    index = ids.reshape(-1, *([1] * (feats.ndim - 1))).expand_as(feats)
    return feats.new_ones((num, *feats.shape[1:])).scatter_reduce(0, index, feats, "prod")


def _scan(feats: torch.Tensor, boundaries: torch.Tensor, exclusive: bool, reverse: bool, product: bool):
    ids = _pack_ids(feats, boundaries)
    if ids.numel() == 0:
        return feats.clone()
    num = int(ids[-1]) + 1
    lengths = torch.bincount(ids, minlength=num)
    first = torch.cumsum(lengths, 0) - lengths
    pos = torch.arange(ids.shape[0], device=feats.device) - first[ids]
    if reverse:
        pos = lengths[ids] - 1 - pos
    width = int(lengths.max()) + int(exclusive)
    fill = 1.0 if product else 0.0
    padded = feats.new_full((num, width, *feats.shape[1:]), fill)
    padded = padded.index_put((ids, pos + int(exclusive)), feats)
    scanned = torch.cumprod(padded, 1) if product else torch.cumsum(padded, 1)
    return scanned[ids, pos]


def cumsum(feats: torch.Tensor, boundaries: torch.Tensor, exclusive: bool = False, reverse: bool = False):
    """Cumulative sum inside each pack (``reverse``: from its end; ``exclusive``: without the row itself),
    ``(N, D)``; differentiable."""
    return _scan(feats, boundaries, exclusive, reverse, product=False)


def cumprod(feats: torch.Tensor, boundaries: torch.Tensor, exclusive: bool = False, reverse: bool = False):
    """Cumulative product inside each pack (options as :func:`cumsum`), ``(N, D)``; differentiable (exact
    gradients, also where a factor is zero)."""
    return _scan(feats, boundaries, exclusive, reverse, product=True)


def exponential_integration(feats: torch.Tensor, tau: torch.Tensor, boundaries: torch.Tensor,
                            exclusive: bool = True) -> tuple:
    """Front-to-back volume integration along each pack (ray).

    Each row has optical thickness ``tau`` ``(N, 1)``, opacity ``alpha = 1 - exp(-tau)``; its weight is
    ``exp(-sum of the pack's tau before it (exclusive) or through it) * alpha``.

    Returns:
        (torch.Tensor, torch.Tensor): the weighted sum of ``feats`` ``(N, D)`` per pack ``(num_packs, D)``,
        and the weights ``(N, 1)``.
    """
    alpha = 1.0 - torch.exp(-tau)
    weights = torch.exp(-cumsum(tau, boundaries, exclusive=exclusive)) * alpha
    return sum_reduce(weights * feats, boundaries), weights
