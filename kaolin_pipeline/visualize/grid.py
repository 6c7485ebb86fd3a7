"""A batch of images as one matplotlib figure, as Kaolin's ``kaolin.visualize.ipython.quick_viz``."""
from __future__ import annotations

import math
import warnings
from typing import Optional

import torch

__all__ = ["image_grid", "quick_viz"]


def image_grid(imgs: torch.Tensor, nrow: int) -> torch.Tensor:
    """Tile ``imgs`` (B, C, H, W), C in 1, 3 or 4, into ``ceil(B / nrow)`` rows of ``nrow`` images, row-major,
    empty cells black; one channel is repeated to three. Returns (rows H, nrow W, C') with C' = 3 or 4."""
    if imgs.shape[1] == 1:
        imgs = imgs.expand(-1, 3, -1, -1)
    count, channels, height, width = imgs.shape
    rows = math.ceil(count / nrow)
    cells = torch.zeros(rows * nrow, channels, height, width, dtype=imgs.dtype, device=imgs.device)
    cells[:count] = imgs
    return cells.reshape(rows, nrow, channels, height, width).permute(0, 3, 1, 4, 2).reshape(
        rows * height, nrow * width, channels)


def quick_viz(imgs: torch.Tensor, nrow: Optional[int] = None, inches: float = 15):
    """Show ``imgs`` (B, C, H, W) or (C, H, W), C in 1, 3 or 4, values in [0, 1], as a grid of ``nrow``
    images per row (default all in one row) in a new matplotlib figure ``inches × nrow`` wide, its height
    following the grid's aspect. Returns the axes; another shape warns (``UserWarning``) and returns None."""
    import matplotlib.pyplot as plt

    if imgs.dim() == 3:
        imgs = imgs.unsqueeze(0)
    if imgs.dim() != 4 or imgs.shape[1] not in (1, 3, 4):
        warnings.warn(f"quick_viz: imgs must be (B, C, H, W) or (C, H, W) with C in 1, 3 or 4 and values in "
                      f"[0, 1], got shape {tuple(imgs.shape)}", UserWarning, stacklevel=2)
        return None
    nrow = min(nrow or imgs.shape[0], imgs.shape[0])
    grid = image_grid(imgs.detach(), nrow)
    pixels = (grid.float() * 255).clamp(0, 255).to(torch.uint8).cpu().numpy()
    figure = plt.figure()
    width = inches * nrow
    figure.set_size_inches(width, int(width * pixels.shape[0] / pixels.shape[1]), forward=True)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.imshow(pixels)
    axes.axis("off")
    return axes
