"""Sparse 3D convolution on the cells of one SPC level, through neighbour lookups.

A kernel is a list of integer offsets ``kernel_vectors`` ``(K, 3)`` with one ``(in, out)`` matrix each in
``weight`` ``(K, in_channels, out_channels)``. With ``s = 2^jump``:

* ``conv3d``: output cell ``p`` of level ``level - jump`` gets ``sum_k input[p * s + v_k] @ weight[k]``
  (input cells of ``level``; absent cells count as zero);
* ``conv_transpose3d``: output cell ``o`` of level ``level + jump`` gets ``sum input[i] @ weight[k]`` over
  the input cells ``i`` of ``level`` and offsets with ``i * s + v_k = o``.

On a full grid these are ``torch.nn.functional.conv3d`` / ``conv_transpose3d`` (stride ``s``) at the
occupied cells. One gather and one matrix product per kernel offset; autograd gives the gradients.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.spc.octree import check_spc_kwargs
from kaolin_pipeline.ops.spc.query import LevelIndex

__all__ = ["Conv3d", "ConvTranspose3d", "conv3d", "conv_transpose3d"]


def _check(caller: str, input: torch.Tensor, weight: torch.Tensor, kernel_vectors: torch.Tensor,
           cells: LevelIndex, jump: int) -> None:
    if jump < 0:
        raise PipelineError(f"{caller}: jump must be >= 0, got {jump}")
    if weight.ndim != 3 or weight.shape[0] != kernel_vectors.shape[0] or weight.shape[1] != input.shape[-1]:
        raise PipelineError(f"{caller}: weight must be (K={kernel_vectors.shape[0]}, in={input.shape[-1]}, out), "
                            f"got {tuple(weight.shape)}")
    if input.ndim != 2 or input.shape[0] != cells.points.shape[0]:
        raise PipelineError(f"{caller}: input must be (num_cells, in) with {cells.points.shape[0]} cells at level "
                            f"{cells.level}, got {tuple(input.shape)}")


def _gather_sum(input: torch.Tensor, weight: torch.Tensor, rows: list) -> torch.Tensor:
    """``sum_k input[rows[k]] @ weight[k]``, with row -1 reading zeros."""
    padded = torch.cat([input, input.new_zeros((1, input.shape[1]))])
    out = None
    for k, idx in enumerate(rows):
        term = padded[idx] @ weight[k]
        out = term if out is None else out + term
    return out


def conv3d(octrees, point_hierarchies, level, pyramids, exsum, input, weight, kernel_vectors, jump=0,
           bias=None, **kwargs):
    """Convolution over the cells of an SPC level (see the module docstring).

    Args:
        octrees (torch.ByteTensor): packed octrees ``(num_bytes,)`` (unused: the cells come from the points).
        point_hierarchies (torch.ShortTensor): ``(num_points, 3)``.
        level (int): the input's level.
        pyramids (torch.IntTensor): ``(B, 2, max_level + 2)``.
        exsum (torch.IntTensor): ``(num_bytes,)`` (unused).
        input (torch.FloatTensor): ``(num_cells_at_level, in_channels)``, packed.
        weight (torch.FloatTensor): ``(K, in_channels, out_channels)``.
        kernel_vectors (torch.ShortTensor): ``(K, 3)`` offsets.
        jump (int): output level is ``level - jump`` (downsampling by ``2^jump``).
        bias (torch.FloatTensor, optional): ``(out_channels,)``.
        **kwargs: the other fields of ``Spc.to_dict()`` (ignored).

    Returns:
        (torch.FloatTensor, int): the output ``(num_cells_at_out_level, out_channels)`` and its level.
    """
    check_spc_kwargs("conv3d", kwargs)
    cells_in = LevelIndex(point_hierarchies, pyramids, level)
    _check("conv3d", input, weight, kernel_vectors, cells_in, jump)
    if level - jump < 0:
        raise PipelineError(f"conv3d: jump {jump} goes above the root from level {level}")
    cells_out = LevelIndex(point_hierarchies, pyramids, level - jump)
    base = cells_out.points << jump
    rows = [cells_in.find(cells_out.batch, base + v) for v in kernel_vectors.long()]
    out = _gather_sum(input, weight, rows)
    if bias is not None:
        out = out + bias
    return out, level - jump


def conv_transpose3d(octrees, point_hierarchies, level, pyramids, exsum, input, weight, kernel_vectors,
                     jump=0, bias=None, **kwargs):
    """Transposed convolution over the cells of an SPC level (see the module docstring).

    Arguments as :func:`conv3d`; the output is on level ``level + jump`` (upsampling by ``2^jump``).

    Returns:
        (torch.FloatTensor, int): the output ``(num_cells_at_out_level, out_channels)`` and its level.
    """
    check_spc_kwargs("conv_transpose3d", kwargs)
    cells_in = LevelIndex(point_hierarchies, pyramids, level)
    _check("conv_transpose3d", input, weight, kernel_vectors, cells_in, jump)
    cells_out = LevelIndex(point_hierarchies, pyramids, level + jump)
    rows = []
    for v in kernel_vectors.long():
        source = cells_out.points - v
        aligned = (torch.remainder(source, 2 ** jump) == 0).all(-1)
        idx = cells_in.find(cells_out.batch, torch.div(source, 2 ** jump, rounding_mode="floor"))
        rows.append(torch.where(aligned, idx, torch.full_like(idx, -1)))
    out = _gather_sum(input, weight, rows)
    if bias is not None:
        out = out + bias
    return out, level + jump


class _SpcConv(nn.Module):
    """Parameters shared by :class:`Conv3d` and :class:`ConvTranspose3d`."""

    #: The channel count summed over, with the kernel size, in the initialisation bound.
    _fan_channels = "in_channels"

    def __init__(self, in_channels: int, out_channels: int, kernel_vectors: torch.Tensor, jump: int = 0,
                 bias: bool = True):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_vectors_size = kernel_vectors.shape[0]
        self.jump = jump
        self.register_buffer("kernel_vectors", kernel_vectors)
        self.kernel_shape = (self.kernel_vectors_size, in_channels, out_channels)
        self.weight = nn.Parameter(torch.empty(*self.kernel_shape))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in ``±1/sqrt(fan)`` (fan: channels on the summed side times the kernel size)."""
        bound = 1.0 / math.sqrt(getattr(self, self._fan_channels) * self.kernel_vectors_size)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(in={self.in_channels}, out={self.out_channels}, "
                f"kernel_vector_size={self.kernel_vectors_size})")


class Conv3d(_SpcConv):
    """:func:`conv3d` as a module: ``weight`` ``(K, in_channels, out_channels)``, ``bias`` ``(out_channels,)``,
    ``kernel_vectors`` a buffer."""

    def forward(self, octrees, point_hierarchies, level, pyramids, exsum, input, **kwargs):
        """Returns ``(output (num_cells_at_out_level, out_channels), out_level)``."""
        check_spc_kwargs("Conv3d", kwargs)
        return conv3d(octrees, point_hierarchies, level, pyramids, exsum, input, self.weight,
                      self.kernel_vectors, self.jump, self.bias)


class ConvTranspose3d(_SpcConv):
    """:func:`conv_transpose3d` as a module (same parameters as :class:`Conv3d`)."""

    _fan_channels = "out_channels"

    def forward(self, octrees, point_hierarchies, level, pyramids, exsum, input, **kwargs):
        """Returns ``(output (num_cells_at_out_level, out_channels), out_level)``."""
        check_spc_kwargs("ConvTranspose3d", kwargs)
        return conv_transpose3d(octrees, point_hierarchies, level, pyramids, exsum, input, self.weight,
                                self.kernel_vectors, self.jump, self.bias)
