"""Image files <-> tensors the way Kaolin's ``kaolin.io.utils`` hands them out, and a texture writer that
never overwrites by accident.

:func:`read_image` returns ``(H, W, C)`` float32 in [0, 1] with the file's own channels (1 grey, 2 grey +
alpha, 3 RGB, 4 RGBA; row 0 at the top). :func:`write_image` takes uint8 (0..255), float (0..1, rounded to 8
bits) or bool images, channels first ``(C, H, W)`` or last ``(H, W, C)`` with C in 1, 3, 4, a batch of one
``(1, ...)`` or no channel axis ``(H, W)``; the format follows the extension. :class:`TextureExporter` writes
``{relative_dir}/{file_prefix}{name}{_index}{extension}`` under a base folder, adding the first free
``_index`` unless told to overwrite.
"""
from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from kaolin_pipeline.errors import ConfigError, SaveError
from kaolin_pipeline.io._fileutil import PathLike, atomic_path, check_readable, reading

__all__ = ["TextureExporter", "read_image", "write_image"]


def read_image(path: PathLike) -> torch.Tensor:
    """(H, W, C) float32 in [0, 1] from an image file (8-bit or 1-bit; C as stored)."""
    from PIL import Image

    path = check_readable(path)
    with reading(path, "image"), Image.open(path) as image:
        pixels = np.asarray(image)
    values = torch.from_numpy(pixels.reshape(pixels.shape[0], pixels.shape[1], -1).copy())
    return values.float() if values.dtype == torch.bool else values.float() / 255.0


def _hwc_uint8(image: torch.Tensor, path: PathLike) -> np.ndarray:
    if not torch.is_tensor(image):
        raise SaveError(f"{path}: image must be a torch.Tensor, got {type(image).__name__}")
    image = image.detach()
    if image.dim() == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dim() == 2:
        image = image.unsqueeze(-1)
    if image.dim() != 3:
        raise SaveError(f"{path}: image must be (H, W), (C, H, W) or (H, W, C), got shape {tuple(image.shape)}")
    if image.shape[0] in (1, 3, 4) and image.shape[-1] not in (1, 3, 4):
        image = image.permute(1, 2, 0)
    if image.dtype == torch.bool:
        image = image.to(torch.uint8) * 255
    elif image.is_floating_point():
        image = (image.float() * 255.0).round().clamp(0, 255).to(torch.uint8)
    elif image.dtype != torch.uint8:
        raise SaveError(f"{path}: image must be uint8, float or bool, got {image.dtype}")
    return image.cpu().numpy()


def write_image(img_tensor: torch.Tensor, path: PathLike) -> None:
    """Write an image tensor (see the module docstring) to ``path``, creating its folder, atomically."""
    from PIL import Image

    pixels = _hwc_uint8(img_tensor, path)
    image = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    with atomic_path(path) as temporary:
        image.save(temporary, format=Image.registered_extensions().get(Path(path).suffix.lower()))


class TextureExporter:
    """``exporter(image, basename, extension=None)`` writes ``image`` under ``base_dir`` and returns its path
    relative to ``base_dir`` (posix separators).

    Args:
        base_dir: folder written into; must exist when an image is written.
        relative_dir: subfolder of ``base_dir`` for the images (created on the first write).
        file_prefix: prefix of every file name.
        image_extension: default extension, ``'.png'``.
        overwrite_files: replace a file of the same name; otherwise the first free ``_0``, ``_1``, ... is
            appended to the name.
    """

    def __init__(self, base_dir: PathLike, relative_dir: str = "", file_prefix: str = "",
                 image_extension: str = ".png", overwrite_files: bool = False):
        self.base_dir = os.fspath(base_dir)
        self.relative_dir = Path(relative_dir).as_posix() if relative_dir else ""
        self.file_prefix, self.image_extension, self.overwrite_files = file_prefix, image_extension, overwrite_files

    def _relative_path(self, basename: str, extension: str) -> str:
        def name(index: Optional[int]) -> str:
            suffix = "" if index is None else f"_{index}"
            return posixpath.join(self.relative_dir, f"{self.file_prefix}{basename}{suffix}{extension}")

        candidate, index = name(None), 0
        while not self.overwrite_files and os.path.exists(os.path.join(self.base_dir, candidate)):
            candidate, index = name(index), index + 1
        return candidate

    def __call__(self, image: torch.Tensor, texture_file_basename: str, extension: Optional[str] = None) -> str:
        if not os.path.isdir(self.base_dir):
            raise ConfigError(f"TextureExporter: base_dir {self.base_dir} does not exist")
        relative = self._relative_path(texture_file_basename, extension or self.image_extension)
        write_image(image, os.path.join(self.base_dir, relative))
        return relative
