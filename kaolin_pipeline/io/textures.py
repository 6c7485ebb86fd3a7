"""Texture images <-> tensors, shared by every format that stores textures (OBJ/MTL, glTF, USD).

A texture is a ``(C, H, W)`` float32 tensor (C = 3 for colours and normal maps, 1 for
roughness, metallic, opacity) with row 0 at the **top** of the image, as Pillow reads it;
UV ``(0, 0)`` addresses the image's bottom-left corner (see :mod:`kaolin_pipeline.render.texture`).
Colour textures are in [0, 1]; normal maps (``normals_texture``) are in [-1, 1] and stored in
files as ``(n + 1) / 2``. Files are 8-bit PNGs, RGB or greyscale (values clamped to [0, 1]
and rounded); alpha is dropped on reading.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from kaolin_pipeline.io._fileutil import PathLike, atomic_path, reading, to_numpy
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import LoadError, SaveError

NORMAL_MAP = "normals_texture"
"""The material field whose values are in [-1, 1] (stored as ``(n + 1) / 2`` in image files)."""


def image_to_texture(image, channels: int = 3) -> torch.Tensor:
    """PIL image -> (channels, H, W) float32 texture in [0, 1], row 0 = top of the image (``channels`` 1 or 3).

    Values are the 8-bit ones times float32 ``1 / 255``, bit for bit what Kaolin's readers return."""
    pixels = np.asarray(image.convert("RGB" if channels == 3 else "L"), dtype=np.float32) * np.float32(1.0 / 255.0)
    pixels = pixels.reshape(pixels.shape[0], pixels.shape[1], -1)
    return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))


def texture_to_image(texture: torch.Tensor, source: PathLike):
    """(3, H, W) or (1, H, W) texture in [0, 1] -> 8-bit RGB or greyscale PIL image (values clamped to [0, 1])."""
    from PIL import Image

    pixels = to_numpy(texture, "texture", source, np.float32)
    if pixels.ndim != 3 or pixels.shape[0] not in (1, 3):
        raise SaveError(f"{source}: texture must have shape (3, H, W) or (1, H, W), got {tuple(pixels.shape)}")
    values = np.round(np.clip(pixels.transpose(1, 2, 0), 0.0, 1.0) * 255.0).astype(np.uint8)
    return Image.fromarray(values[..., 0], mode="L") if values.shape[2] == 1 else Image.fromarray(values, mode="RGB")


def to_file_values(name: str, texture: torch.Tensor) -> torch.Tensor:
    """The values an image file stores for material field ``name``: ``(n + 1) / 2`` for a normal map, else as is."""
    return (texture + 1.0) / 2.0 if name == NORMAL_MAP else texture


def from_file_values(name: str, texture: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`to_file_values`."""
    return texture * 2.0 - 1.0 if name == NORMAL_MAP else texture


def write_texture_png(texture: torch.Tensor, path: PathLike, atomic: Callable = atomic_path) -> None:
    """Write a (3, H, W) or (1, H, W) texture in [0, 1] (row 0 = top) as an 8-bit PNG, atomically."""
    image = texture_to_image(texture, path)
    folder = Path(path).parent
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with atomic(path) as temporary:
            image.save(temporary, format="PNG")
    except BaseException:
        if created:  # leave no empty textures/ folder behind
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def read_texture_png(path, source: str, channels: int = 3, name: str | None = None) -> torch.Tensor:
    """(channels, H, W) float32 texture in [0, 1] from an image file, or an open binary file named ``name``
    (an image inside a package); ``source`` is the file that uses it."""
    from PIL import Image

    if name is None and not Path(path).is_file():
        raise LoadError(f"{source}: texture file {path} does not exist")
    with reading(name or path, f"texture image used by {source}"), Image.open(path) as image:
        return image_to_texture(image, channels)


def shared_diffuse_texture(mesh: Mesh):
    """The diffuse texture every face of ``mesh`` uses through its materials, or None.

    What loaders put in ``Mesh.texture`` next to ``materials`` (see :class:`~kaolin_pipeline.structures.Mesh`):
    set only when the mesh has UVs, no face is unassigned and all faces' materials share one texture tensor.
    """
    if mesh.materials is None or mesh.uvs is None or not len(mesh.material_assignments):
        return None
    used = mesh.material_assignments.unique().tolist()
    textures = {id(mesh.materials[i].diffuse_texture): mesh.materials[i].diffuse_texture for i in used if i >= 0}
    if -1 in used or len(textures) != 1:
        return None
    return next(iter(textures.values()))
