"""Per-face materials in the renderer: each pixel takes the diffuse colour or texture of its face's material.

Rule (the same for every format; see :class:`kaolin_pipeline.structures.Mesh`): a material with a
``diffuse_texture`` (and a mesh with UVs) is sampled with :func:`~kaolin_pipeline.render.texture.texture_mapping`;
otherwise its ``diffuse_color`` is used; a material with neither, and faces assigned -1, are white.
Textures are sampled outside UV [0, 1] by the material's ``wrap_mode`` (``"repeat"`` when None, the glTF
and OBJ default). Each material is evaluated over the whole image and selected per pixel with
``torch.where``: M texture lookups of the image instead of one of each material's pixels, but no
boolean indexing, so the host never waits for the device however many materials there are.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch

from ..errors import RenderError
from ..structures import PBRMaterial
from .texture import texture_mapping


def material_albedo(uv: Optional[torch.Tensor], face_idx: torch.Tensor, materials: Sequence[PBRMaterial],
                    material_assignments: torch.Tensor, mode: str = "bilinear",
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Albedo of every pixel from the material of the face it shows.

    Args:
        uv: (B, H, W, 2) interpolated UVs (origin bottom-left), or None when the mesh has no UVs.
        face_idx: (B, H, W) long, the face shown at each pixel (-1 on background).
        materials: M materials.
        material_assignments: (F,) long index into ``materials`` per face (-1 for none).
        mode: texture filtering, ``'nearest'`` or ``'bilinear'``.
        dtype: floating dtype of the result when ``uv`` is None.

    Returns:
        (B, H, W, 3) albedo; 1 (white) on background pixels, unassigned faces and materials
        with no diffuse colour or texture. Differentiable w.r.t. ``uv`` and the materials' tensors.
    """
    if material_assignments.dim() != 1:
        raise RenderError(f"DIBRenderer: material_assignments must have shape (F,), got "
                          f"{tuple(material_assignments.shape)}")
    dtype = uv.dtype if uv is not None else dtype
    albedo = torch.ones(*face_idx.shape, 3, dtype=dtype, device=face_idx.device)
    assignments = material_assignments.to(face_idx.device)
    pixel_material = torch.where(face_idx >= 0, assignments[face_idx.clamp(min=0)], -1).unsqueeze(-1)
    for index, material in enumerate(materials):  # whole-image selects: no host read per material
        if material.diffuse_texture is not None and uv is not None:
            texture = material.diffuse_texture.to(device=uv.device, dtype=dtype)
            value = texture_mapping(uv, texture.unsqueeze(0), mode=mode, wrap=material.wrap_mode or "repeat")
        elif material.diffuse_color is not None:
            value = material.diffuse_color.to(device=albedo.device, dtype=dtype)
        else:
            continue
        albedo = torch.where(pixel_material == index, value, albedo)
    return albedo
