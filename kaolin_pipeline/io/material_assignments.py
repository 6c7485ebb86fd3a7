"""Per-name materials and face assignments (as OBJ and USD readers collect them) to Kaolin's lists, as
Kaolin's ``kaolin.io.materials.process_materials_and_assignments``."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Tuple

import torch

from kaolin_pipeline.errors import LoadError, MaterialNotFoundError

__all__ = ["process_materials_and_assignments"]


def _face_indices(name: str, values: torch.Tensor, context: str) -> torch.Tensor:
    """(K,) face indices, or (K, 2) ``[start, end)`` ranges expanded to the faces they hold."""
    if values.dim() == 1:
        return values.long()
    if values.dim() != 2 or values.shape[-1] != 2:
        raise LoadError(f"{context}: assignments of material {name!r} must be (K,) face indices or (K, 2) "
                        f"[start, end) ranges, got shape {tuple(values.shape)}")
    starts, ends = values[:, 0].long(), values[:, 1].long()
    lengths = (ends - starts).clamp(min=0)
    offsets = torch.arange(int(lengths.sum())) - torch.repeat_interleave(lengths.cumsum(0) - lengths, lengths)
    return torch.repeat_interleave(starts, lengths) + offsets


def process_materials_and_assignments(materials_dict: Dict[str, Any], material_assignments_dict: Dict[str, torch.Tensor],
                                      error_handler: Callable, num_faces: int, error_context_str: str = ""
                                      ) -> Tuple[List[Any], torch.Tensor]:
    """Materials sorted by name and an ``(num_faces,)`` int16 tensor of each face's material index (-1: none).

    Args:
        materials_dict: ``{name: material}`` (dicts or objects).
        material_assignments_dict: ``{name: faces}``, faces as (K,) indices or (K, 2) ``[start, end)`` ranges.
        error_handler: called with a :class:`MaterialNotFoundError` for each assigned name missing from
            ``materials_dict``; a material it returns is added under that name (its ``material_name`` set),
            otherwise those faces stay unassigned. It may raise.
        num_faces: number of faces.
        error_context_str: appended to error messages (e.g. the file).

    ``materials_dict`` gains the materials the handler creates.
    """
    for name in [name for name in material_assignments_dict if name not in materials_dict]:
        created = error_handler(MaterialNotFoundError(
            f"material {name!r} is assigned to faces but not defined {error_context_str}".rstrip()))
        if created is not None:
            if isinstance(created, Mapping):
                created["material_name"] = name
            else:
                created.material_name = name
            materials_dict[name] = created
    names = sorted(materials_dict)
    assignments = torch.full((num_faces,), -1, dtype=torch.int16)
    for name, values in material_assignments_dict.items():
        if name in materials_dict:
            assignments[_face_indices(name, values, error_context_str)] = names.index(name)
    return [materials_dict[name] for name in names], assignments
