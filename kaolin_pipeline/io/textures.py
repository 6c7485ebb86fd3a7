"""Texture images <-> tensors, shared by every format that stores textures (OBJ/MTL, glTF, USD).

A texture is a ``(3, H, W)`` float32 tensor in [0, 1] with row 0 at the **top** of the image,
as Pillow reads it; UV ``(0, 0)`` addresses the image's bottom-left corner (see
:mod:`kaolin_pipeline.render.texture`). Files are 8-bit RGB PNGs (values clamped to [0, 1]
and rounded); alpha is dropped on reading.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from kaolin_pipeline.io._fileutil import PathLike, atomic_path, reading, to_numpy
from kaolin_pipeline.errors import LoadError, SaveError


def image_to_texture(image) -> torch.Tensor:
    """PIL image -> (3, H, W) float32 texture in [0, 1], row 0 = top of the image."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))


def texture_to_image(texture: torch.Tensor, source: PathLike):
    """(3, H, W) texture in [0, 1] -> 8-bit RGB PIL image (values clamped to [0, 1])."""
    from PIL import Image

    rgb = to_numpy(texture, "texture", source, np.float32).transpose(1, 2, 0)
    return Image.fromarray(np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8), mode="RGB")



def write_texture_png(texture: torch.Tensor, path: PathLike, atomic: Callable = atomic_path) -> None:
    """Write a (3, H, W) texture in [0, 1] (row 0 = top) as an 8-bit RGB PNG, atomically."""
    pixels = to_numpy(texture, "texture", path, np.float32)
    if pixels.ndim != 3 or pixels.shape[0] != 3:
        raise SaveError(f"{path}: texture must have shape (3, H, W), got {tuple(pixels.shape)}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic(path) as temporary:
        texture_to_image(texture, path).save(temporary, format="PNG")


def read_texture_png(path: PathLike, source: str) -> torch.Tensor:
    """(3, H, W) float32 texture in [0, 1] from an image file."""
    from PIL import Image

    if not Path(path).is_file():
        raise LoadError(f"{source}: texture file {path} does not exist")
    with reading(path, "texture image"), Image.open(path) as image:
        return image_to_texture(image)
