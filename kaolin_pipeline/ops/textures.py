"""Texture size limits: shrink a mesh's textures to what renders of a given size can use."""
from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F

from kaolin_pipeline.structures import Mesh, PBRMaterial


def shrink_texture(texture: torch.Tensor, max_side: int) -> torch.Tensor:
    """``texture (C, H, W)`` area-averaged so its longer side is at most ``max_side`` (aspect kept);
    returned unchanged when it already fits."""
    height, width = texture.shape[-2:]
    factor = max(height, width) / max_side
    if factor <= 1:
        return texture
    size = (max(1, math.floor(height / factor)), max(1, math.floor(width / factor)))
    return F.interpolate(texture.unsqueeze(0), size=size, mode="area")[0]


def limit_texture_size(mesh: Mesh, max_side: int) -> tuple[Mesh, list[str]]:
    """``mesh`` with ``texture`` and every material texture at most ``max_side`` texels on a side.

    A texture shared by several materials (or by ``texture`` and a material) is shrunk once and
    stays shared. Returns the new mesh (the input is not modified) and one note per shrunk texture,
    e.g. ``"diffuse_texture of material 'wood': 12000x12000 -> 1024x1024"``.
    """
    shrunk: dict[int, torch.Tensor] = {}
    notes: list[str] = []

    def fit(texture, label):
        if texture is None:
            return None
        if id(texture) not in shrunk:
            shrunk[id(texture)] = shrink_texture(texture, max_side)
            if shrunk[id(texture)] is not texture:
                (height, width), (new_h, new_w) = texture.shape[-2:], shrunk[id(texture)].shape[-2:]
                notes.append(f"{label}: {width}x{height} -> {new_w}x{new_h}")
        return shrunk[id(texture)]

    materials = None
    if mesh.materials is not None:
        materials = [dataclasses.replace(material, **{
            field: fit(getattr(material, field), f"{field} of material {material.material_name or index!r}")
            for field in PBRMaterial.TEXTURE_CHANNELS}) for index, material in enumerate(mesh.materials)]
    return dataclasses.replace(mesh, texture=fit(mesh.texture, "texture"), materials=materials), notes
