"""Materials that share a name merged into one, as Kaolin's ``kaolin.io.materials.group_materials_by_name``."""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, List, Optional, Sequence, Tuple

import torch

__all__ = ["group_materials_by_name", "material_name"]


def material_name(material: Any) -> Optional[str]:
    """A material's ``material_name`` (attribute, or key of a dict); None when it has none or it is ``''``."""
    if isinstance(material, Mapping):
        name = material.get("material_name")
    elif hasattr(material, "material_name"):
        name = material.material_name
    else:
        warnings.warn(f"a material of type {type(material).__name__} has no material_name", UserWarning)
        name = None
    return name or None


def group_materials_by_name(materials_list: Sequence[Any], material_assignments: Optional[torch.Tensor]
                            ) -> Tuple[List[Any], Optional[torch.Tensor]]:
    """Merge materials of the same name (the first one kept) and put them in canonical order: sorted by
    name, unnamed materials (never merged) last in their original order.

    Args:
        materials_list: materials (objects or dicts with a ``material_name``).
        material_assignments: integer tensor of any shape holding indices into ``materials_list``
            (other values, such as -1 for none, are kept), or None.

    Returns:
        the grouped materials, and a new assignments tensor indexing them (None if none was given).
    """
    names = [material_name(material) for material in materials_list]
    first_of_name: dict = {}
    groups: List[int] = []  # index of the kept material each input maps to (before sorting)
    kept: List[int] = []
    for index, name in enumerate(names):
        if name is not None and name in first_of_name:
            groups.append(first_of_name[name])
            continue
        if name is not None:
            first_of_name[name] = len(kept)
        groups.append(len(kept))
        kept.append(index)
    order = sorted(range(len(kept)), key=lambda k: (names[kept[k]] is None, names[kept[k]] or ""))
    rank = {k: position for position, k in enumerate(order)}
    grouped = [materials_list[kept[k]] for k in order]
    if material_assignments is None:
        return grouped, None
    lookup = torch.tensor([rank[group] for group in groups], dtype=material_assignments.dtype,
                          device=material_assignments.device)
    valid = (material_assignments >= 0) & (material_assignments < len(names))
    remapped = torch.where(valid, lookup[material_assignments.clamp(0, max(len(names) - 1, 0)).long()]
                           if len(names) else material_assignments, material_assignments)
    return grouped, remapped
