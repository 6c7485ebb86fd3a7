"""What the Kaolin layer converts, in one place: the UV convention, our ``Mesh`` to ``SurfaceMesh`` (materials
included), and the refusal of Kaolin arguments this project does not support.

UVs: the project stores texture coordinates as files do (origin at the texture's bottom-left, ``v`` up; what
``texture_mapping`` samples). Kaolin's importers (``kaolin.io.obj.import_mesh``, ``kaolin.io.usd.import_mesh``)
return ``v' = 1 - v`` and its USD exporter flips back; :func:`flip_v` is that change, applied here only.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh
from kaolin_pipeline.structures import Mesh, PBRMaterial

# The values Kaolin's PBRMaterial of an MTL keeps (Kd, Ks).
_MTL_VALUES = ("diffuse_color", "specular_color")


def flip_v(uvs: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    """(..., 2) UVs with ``v`` replaced by ``1 - v``: the project's convention to Kaolin's importers' and back."""
    if uvs is None:
        return None
    return torch.stack([uvs[..., 0], 1 - uvs[..., 1]], dim=-1)


def refuse_unsupported(function: str, **arguments: tuple[Any, Any]) -> None:
    """Raise :class:`PipelineError` naming each argument given a value other than the one supported.

    ``arguments`` maps a Kaolin argument name to ``(value given, the only value supported)``.
    """
    def shown(value: Any) -> str:
        return f"<{tuple(value.shape)} tensor>" if isinstance(value, torch.Tensor) else repr(value)

    bad = [f"{name}={shown(value)}" for name, (value, supported) in arguments.items()
           if (value is not None if supported is None else value != supported)]
    if bad:
        raise PipelineError(f"{function}: {', '.join(bad)} not supported by kaolin-pipeline "
                            f"(supported: {', '.join(f'{n}={s!r}' for n, (_, s) in arguments.items())})")


def mtl_pbr_material(material: PBRMaterial) -> PBRMaterial:
    """Kaolin's :class:`PBRMaterial` of an MTL material (``kaolin.io.obj.import_mesh(raw_materials=False)``):
    textures ``(H, W, C)`` and the ``Kd``/``Ks`` colours only; Kaolin reads no other MTL value (``d``, ``Pr``,
    ``Pm``) and no wrap mode, so those are left unset."""
    dropped = {field: None for field in PBRMaterial.VALUE_SIZES if field not in _MTL_VALUES}
    return dataclasses.replace(material, wrap_mode=None, **dropped).hwc()


def kaolin_materials(mesh: Mesh, raw: Optional[dict] = None) -> tuple[Optional[list], Optional[torch.Tensor]]:
    """``(materials, material_assignments)`` as Kaolin's importers return them: materials sorted by name (with
    ``raw``, Kaolin's raw OBJ material dicts by name, those dicts; a name without one: only its name),
    assignments (F,) int16 re-indexed into that order (-1: none)."""
    if not mesh.materials:
        return None, None
    order = sorted(range(len(mesh.materials)), key=lambda i: mesh.materials[i].material_name)
    new_index = torch.empty(len(order), dtype=torch.long)
    new_index[torch.tensor(order)] = torch.arange(len(order))
    assignments = mesh.material_assignments
    if assignments is None:
        assignments = torch.zeros(mesh.num_faces, dtype=torch.long)
    remapped = torch.where(assignments >= 0, new_index[assignments.clamp(min=0)], assignments).to(torch.int16)
    materials = [mesh.materials[i] for i in order]
    if raw is not None:
        materials = [raw.get(m.material_name, {"material_name": m.material_name}) for m in materials]
    return materials, remapped


def surface_mesh(mesh: Mesh, with_uvs: bool, with_normals: bool, with_materials: bool,
                 raw_materials: Optional[dict] = None) -> SurfaceMesh:
    """The unbatched :class:`SurfaceMesh` of a loaded :class:`Mesh`, with Kaolin's UV convention.

    Normals: the file's indexed ``normals``/``face_normals_idx`` where the loader kept them, else
    ``vertex_normals`` with ``face_normals_idx = faces``;
    materials (with ``with_materials``) are sorted by name; ``raw_materials``: Kaolin's raw OBJ material dicts
    by name, returned instead of our materials.
    """
    keep_uvs = with_uvs and mesh.uvs is not None
    indexed_normals = with_normals and mesh.normals is not None
    keep_normals = indexed_normals or (with_normals and mesh.vertex_normals is not None)
    materials, assignments = kaolin_materials(mesh, raw_materials) if with_materials else (None, None)
    return SurfaceMesh(
        vertices=mesh.vertices, faces=mesh.faces,
        uvs=flip_v(mesh.uvs) if keep_uvs else None,
        face_uvs_idx=mesh.face_uvs_idx if keep_uvs else None,
        normals=(mesh.normals if indexed_normals else mesh.vertex_normals) if keep_normals else None,
        face_normals_idx=(mesh.face_normals_idx if indexed_normals else mesh.faces) if keep_normals else None,
        materials=materials, material_assignments=assignments,
    )
