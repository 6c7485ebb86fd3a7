"""The item dict every dataset yields, and batching of such items.

An item is a dict with ``vertices (V, 3)``, ``faces (F, 3)``, optionally ``uvs (T, 2)``,
``face_uvs_idx (F, 3)``, ``vertex_colors (V, 3)``, ``vertex_normals (V, 3)``,
``texture (3, H, W)``, ``materials`` (a list of plain dicts, :meth:`PBRMaterial.as_dict
<kaolin_pipeline.structures.PBRMaterial.as_dict>`, so items stay loadable with ``weights_only=True``) with
``material_assignments (F,)``, plus ``category`` (str) and ``path`` (str); transforms may add
fixed-size fields such as ``points (N, 3)`` or ``voxels (R, R, R)``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

import torch

from kaolin_pipeline.structures import Mesh, PBRMaterial
from kaolin_pipeline.errors import PipelineError

VERTEX_PADDING = 0.0
"""Value of padded rows of per-vertex and per-uv fields in padded batches."""
INDEX_PADDING = -1
"""Value of padded rows of ``faces`` and ``face_uvs_idx`` in padded batches (never a valid index)."""

_MESH_FIELDS = ("vertices", "faces", "uvs", "face_uvs_idx", "vertex_colors", "vertex_normals", "texture", "materials",
                "material_assignments")
# Variable-length fields, by the length they are padded to and counted in.
_PADDED_GROUPS = {
    "num_vertices": (("vertices", "vertex_colors", "vertex_normals"), VERTEX_PADDING),
    "num_faces": (("faces", "face_uvs_idx", "material_assignments"), INDEX_PADDING),
    "num_uvs": (("uvs",), VERTEX_PADDING),
}


def mesh_to_item(mesh: Mesh, category: str, path: str) -> Dict[str, Any]:
    """Item dict of ``mesh``: its tensor fields that are not ``None``, ``category`` and ``path``."""
    item: Dict[str, Any] = {name: getattr(mesh, name) for name in _MESH_FIELDS if getattr(mesh, name) is not None}
    if mesh.materials is not None:
        item["materials"] = [material.as_dict() for material in mesh.materials]
    item["category"], item["path"] = category, path
    return item


def item_to_mesh(item: Dict[str, Any]) -> Mesh:
    """:class:`Mesh` of the mesh fields of an item dict (the inverse of :func:`mesh_to_item`)."""
    fields = {name: item[name] for name in _MESH_FIELDS if name in item}
    if "materials" in fields:
        fields["materials"] = [PBRMaterial.from_dict(material) for material in fields["materials"]]
    return Mesh(**fields)


def _pad(tensors: Sequence[torch.Tensor], value: float) -> torch.Tensor:
    """(B, Nmax, ...) stack of (N_b, ...) tensors, rows past N_b filled with ``value``."""
    longest = max(t.shape[0] for t in tensors)
    out = tensors[0].new_full((len(tensors), longest, *tensors[0].shape[1:]), value)
    for b, t in enumerate(tensors):
        out[b, : t.shape[0]] = t
    return out


def _stack_or_list(values: List[Any]) -> Any:
    """Stack equal-shape tensors into (B, ...); keep anything else as a list."""
    if all(isinstance(v, torch.Tensor) for v in values) and len({tuple(v.shape) for v in values}) == 1:
        return torch.stack(values)
    return values


def collate_meshes(items: Sequence[Dict[str, Any]], padded: bool = False) -> Dict[str, Any]:
    """Batch item dicts for a ``DataLoader`` (``collate_fn=collate_meshes``).

    List batching (``padded=False``): variable-size mesh fields (``vertices``, ``faces``,
    ``uvs``, ``face_uvs_idx``, ``vertex_colors``, ``vertex_normals``, ``material_assignments``) become
    lists of B tensors; ``materials`` is always a list of B lists.
    Padded batching (``padded=True``): they become ``(B, Vmax, 3)``, ``(B, Fmax, 3)``,
    ``(B, Tmax, 2)``... tensors, per-vertex / per-uv rows padded with :data:`VERTEX_PADDING`
    (0.0) and ``faces`` / ``face_uvs_idx`` / ``material_assignments`` rows with
    :data:`INDEX_PADDING` (-1, which is also "no material"), plus
    ``num_vertices (B,)``, ``num_faces (B,)`` and ``num_uvs (B,)`` (when uvs are present) int64 lengths.
    In both modes, any other tensor field of equal shape across items (``texture``,
    ``points``, ``voxels``...) is stacked into ``(B, ...)``; strings and unequal shapes stay
    lists, and a field missing from some items is a list with ``None`` for those items.
    """
    if len(items) == 0:
        raise PipelineError("collate_meshes: got an empty list of items")
    keys = list(dict.fromkeys(key for item in items for key in item))
    batch: Dict[str, Any] = {}
    for key in keys:
        values = [item.get(key) for item in items]
        if any(v is None for v in values):
            batch[key] = values
        elif key in _MESH_FIELDS and key != "texture" and not padded:
            batch[key] = values
        else:
            batch[key] = _stack_or_list(values)
    if padded:
        for count_name, (fields, value) in _PADDED_GROUPS.items():
            present = [f for f in fields if f in batch and not any(v is None for v in batch[f])]
            for name in present:
                batch[name] = _pad([item[name] for item in items], value)
            if present:
                lengths = [item[present[0]].shape[0] for item in items]
                batch[count_name] = torch.tensor(lengths, dtype=torch.int64)
    return batch
