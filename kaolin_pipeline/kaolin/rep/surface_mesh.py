"""``kaolin.rep.SurfaceMesh``: the part of Kaolin's mesh container that its tutorials use.

Attribute names, shapes and batching follow Kaolin's documentation:

==========================  ================  ======================
attribute                   ``Batching.NONE``  ``Batching.FIXED``
==========================  ================  ======================
vertices                    (V, 3)            (B, V, 3)
faces                       (F, K)            (F, K) (shared)
face_vertices *             (F, K, 3)         (B, F, K, 3)
normals                     (VN, 3)           (B, VN, 3)
face_normals_idx            (F, K)            (B, F, K)
face_normals *              (F, K, 3)         (B, F, K, 3)
uvs                         (U, 2)            (B, U, 2)
face_uvs_idx                (F, K)            (B, F, K)
face_uvs *                  (F, K, 2)         (B, F, K, 2)
vertex_normals *            (V, 3)            (B, V, 3)
vertex_tangents *           (V, 3)            (B, V, 3)
material_assignments        (F,)              (B, F)
materials                   list              list of lists
==========================  ================  ======================

Attributes marked * are computed on first access from the others (with ``kaolin_pipeline.ops``) and
kept, unless the result requires grad (so an optimised ``vertices`` is never read stale):
``face_normals`` from ``normals``/``face_normals_idx``, else ``vertex_normals``/``faces``, else
the unit normal of each face repeated at its corners; ``vertex_normals`` is the mean of
``face_normals`` around each vertex. An attribute that is neither set nor computable is ``None``.
``Batching.LIST`` (meshes of different topologies) is not supported.
"""
from __future__ import annotations

from enum import Enum
from typing import Callable, Optional, Sequence

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.mesh import (
    average_face_vertex_features,
    face_normals as unit_face_normals,
    index_vertices_by_faces,
    vertex_tangents,
)

__all__ = ["SurfaceMesh"]

_TENSOR_ATTRIBUTES = ("vertices", "faces", "face_vertices", "normals", "face_normals_idx", "face_normals", "uvs",
                      "face_uvs_idx", "face_uvs", "vertex_normals", "vertex_tangents", "material_assignments")
_SETTINGS = ("allow_auto_compute", "unset_attributes_return_none")


class SurfaceMesh:
    """A triangle (or K-gon) mesh, or a batch of meshes sharing their faces, as in Kaolin.

    Args:
        vertices: (V, 3), or (B, V, 3) for a fixed-topology batch.
        faces: (F, K) long, shared by a batch.
        normals, uvs, face_uvs_idx, face_normals_idx, material_assignments, vertex_normals,
        vertex_tangents, face_vertices, face_normals, face_uvs: optional, shapes in the module docstring.
        materials: optional list of materials (a list of lists for a batch).
        unset_attributes_return_none: return ``None`` for an attribute that is missing (default), or
            raise ``AttributeError``.
        allow_auto_compute: compute the computable attributes on access (default).

    Raises:
        PipelineError: (a ``ValueError``) for lists of tensors (Kaolin's ``LIST`` batching) or bad shapes.
    """

    class Batching(str, Enum):
        """Kaolin's batching strategies; ``LIST`` is not supported here."""

        NONE = "NONE"
        FIXED = "FIXED"
        LIST = "LIST"

    def __init__(self, vertices: torch.Tensor, faces: torch.Tensor, normals: Optional[torch.Tensor] = None,
                 uvs: Optional[torch.Tensor] = None, face_uvs_idx: Optional[torch.Tensor] = None,
                 face_normals_idx: Optional[torch.Tensor] = None, material_assignments: Optional[torch.Tensor] = None,
                 materials: Optional[list] = None, vertex_normals: Optional[torch.Tensor] = None,
                 vertex_tangents: Optional[torch.Tensor] = None, face_vertices: Optional[torch.Tensor] = None,
                 face_normals: Optional[torch.Tensor] = None, face_uvs: Optional[torch.Tensor] = None,
                 unset_attributes_return_none: bool = True, allow_auto_compute: bool = True):
        if isinstance(vertices, (list, tuple)) or isinstance(faces, (list, tuple)):
            raise PipelineError("SurfaceMesh: lists of tensors (Kaolin's Batching.LIST) are not supported by "
                                "kaolin-pipeline; give one mesh or a batch of meshes sharing their faces")
        if not isinstance(vertices, torch.Tensor) or vertices.dim() not in (2, 3) or vertices.shape[-1] != 3:
            raise PipelineError(f"SurfaceMesh: vertices must be a (V, 3) or (B, V, 3) tensor, got "
                                f"{tuple(getattr(vertices, 'shape', ()))}")
        if not isinstance(faces, torch.Tensor) or faces.dim() != 2:
            raise PipelineError(f"SurfaceMesh: faces must be an (F, K) tensor, got {tuple(getattr(faces, 'shape', ()))}")
        values = dict(vertices=vertices, faces=faces, normals=normals, uvs=uvs, face_uvs_idx=face_uvs_idx,
                      face_normals_idx=face_normals_idx, material_assignments=material_assignments,
                      vertex_normals=vertex_normals, vertex_tangents=vertex_tangents, face_vertices=face_vertices,
                      face_normals=face_normals, face_uvs=face_uvs)
        object.__setattr__(self, "_values", {name: value for name, value in values.items() if value is not None})
        self.batching = SurfaceMesh.Batching.FIXED if vertices.dim() == 3 else SurfaceMesh.Batching.NONE
        self.materials = materials
        self.unset_attributes_return_none = unset_attributes_return_none
        self.allow_auto_compute = allow_auto_compute

    # ------------------------------------------------------------------ attributes

    def __getattr__(self, name: str):
        # only called when normal lookup fails: the tensor attributes live in self._values
        if name.startswith("_"):
            raise AttributeError(name)
        values = self.__dict__.get("_values", {})
        if name not in _TENSOR_ATTRIBUTES:
            raise AttributeError(f'SurfaceMesh does not support attribute named "{name}"')
        if name in values:
            return values[name]
        value = self._compute(name) if self.allow_auto_compute else None
        if value is None and not self.unset_attributes_return_none:
            raise AttributeError(f'SurfaceMesh attribute "{name}" is not set and cannot be computed '
                                 "(to get None instead, set mesh.unset_attributes_return_none=True)")
        return value

    def __setattr__(self, name: str, value) -> None:
        if name in _TENSOR_ATTRIBUTES:
            if value is None:
                self._values.pop(name, None)
            else:
                self._values[name] = value
        elif name in ("batching", "materials") + _SETTINGS:
            object.__setattr__(self, name, value)
        else:
            raise AttributeError(f'SurfaceMesh does not support attribute named "{name}"')

    def has_attribute(self, attr: str) -> bool:
        """True if ``attr`` is set (not merely computable)."""
        if attr == "materials":
            return self.materials is not None
        return attr in self._values

    def get_attributes(self, only_tensors: bool = False) -> list[str]:
        """Names of the attributes that are set."""
        names = [name for name in _TENSOR_ATTRIBUTES if name in self._values]
        return names if only_tensors or self.materials is None else names + ["materials"]

    def _cache(self, name: str, value: torch.Tensor) -> torch.Tensor:
        if not value.requires_grad:
            self._values[name] = value
        return value

    def _by_faces(self, values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """``values`` gathered at ``index`` (per-corner), for either batching."""
        if self.batching == SurfaceMesh.Batching.NONE:
            return index_vertices_by_faces(values.unsqueeze(0), index)[0]
        if index.dim() == 2:
            return index_vertices_by_faces(values, index)
        return torch.cat([index_vertices_by_faces(values[i:i + 1], index[i]) for i in range(values.shape[0])])

    def _compute(self, name: str) -> Optional[torch.Tensor]:
        has = self._values.__contains__
        if name == "face_vertices":
            return self._cache(name, self._by_faces(self.vertices, self.faces))
        if name == "face_uvs" and has("uvs") and has("face_uvs_idx"):
            return self._cache(name, self._by_faces(self.uvs, self.face_uvs_idx.clamp(min=0)))
        if name == "face_normals":
            if has("normals") and has("face_normals_idx"):
                return self._cache(name, self._by_faces(self.normals, self.face_normals_idx))
            if has("vertex_normals"):
                return self._cache(name, self._by_faces(self.vertex_normals, self.faces))
            face_vertices = self.face_vertices if self.batching == SurfaceMesh.Batching.FIXED else self.face_vertices[None]
            per_face = unit_face_normals(face_vertices, unit=True)
            per_corner = per_face.unsqueeze(2).expand(-1, -1, self.faces.shape[1], -1).contiguous()
            return self._cache(name, per_corner if self.batching == SurfaceMesh.Batching.FIXED else per_corner[0])
        if name == "vertex_normals":
            return self._cache(name, self._per_vertex(average_face_vertex_features, self.face_normals))
        if name == "vertex_tangents" and (has("uvs") or has("face_uvs")):
            return self._cache(name, self._tangents())
        return None

    def _per_vertex(self, average: Callable, face_values: torch.Tensor) -> torch.Tensor:
        num_vertices = self.vertices.shape[-2]
        if self.batching == SurfaceMesh.Batching.NONE:
            return average(self.faces, face_values.unsqueeze(0), num_vertices=num_vertices)[0]
        return average(self.faces, face_values, num_vertices=num_vertices)

    def _tangents(self) -> torch.Tensor:
        arguments = (self.face_vertices, self.face_uvs, self.vertex_normals)
        if self.batching == SurfaceMesh.Batching.NONE:
            return vertex_tangents(self.faces, *arguments)
        return torch.stack([vertex_tangents(self.faces, *(a[i] for a in arguments)) for i in range(len(self))])

    # ------------------------------------------------------------------ batching and devices

    def __len__(self) -> int:
        return 1 if self.batching == SurfaceMesh.Batching.NONE else int(self.vertices.shape[0])

    def to_batched(self) -> "SurfaceMesh":
        """Turn an unbatched mesh into a batch of one (``Batching.FIXED``), in place; returns ``self``."""
        return self.set_batching(SurfaceMesh.Batching.FIXED)

    def set_batching(self, batching: "SurfaceMesh.Batching") -> "SurfaceMesh":
        """Convert between ``NONE`` and ``FIXED`` (a batch of one) in place; returns ``self``."""
        batching = SurfaceMesh.Batching(batching)
        if batching == SurfaceMesh.Batching.LIST:
            raise PipelineError("SurfaceMesh.set_batching: Batching.LIST is not supported by kaolin-pipeline")
        if batching == self.batching:
            return self
        if batching == SurfaceMesh.Batching.FIXED:
            change, materials = (lambda t: t.unsqueeze(0)), (None if self.materials is None else [self.materials])
        else:
            if len(self) != 1:
                raise PipelineError(f"SurfaceMesh.set_batching: cannot unbatch a batch of {len(self)} meshes")
            change, materials = (lambda t: t.squeeze(0)), (None if self.materials is None else self.materials[0])
        for name, value in list(self._values.items()):
            if name != "faces":
                self._values[name] = change(value)
        self.batching, self.materials = batching, materials
        return self

    def _construct_apply(self, function: Callable[[torch.Tensor], torch.Tensor],
                         attributes: Optional[Sequence[str]]) -> "SurfaceMesh":
        copy = SurfaceMesh.__new__(SurfaceMesh)
        object.__setattr__(copy, "_values", dict(self._values))
        for name in ("batching", "materials") + _SETTINGS:
            object.__setattr__(copy, name, getattr(self, name))
        for name in (attributes if attributes is not None else list(self._values)):
            if name in self._values:
                copy._values[name] = function(self._values[name])
        return copy

    def to(self, device, attributes: Optional[Sequence[str]] = None) -> "SurfaceMesh":
        """Shallow copy with all (or the listed) tensor attributes moved to ``device``."""
        return self._construct_apply(lambda t: t.to(device), attributes)

    def cuda(self, device=None, attributes: Optional[Sequence[str]] = None) -> "SurfaceMesh":
        """Shallow copy with all (or the listed) tensor attributes on CUDA (``torch``'s error without CUDA)."""
        return self._construct_apply(lambda t: t.cuda(device), attributes)

    def cpu(self, attributes: Optional[Sequence[str]] = None) -> "SurfaceMesh":
        """Shallow copy with all (or the listed) tensor attributes on the CPU."""
        return self._construct_apply(lambda t: t.cpu(), attributes)

    # ------------------------------------------------------------------ printing

    def to_string(self) -> str:
        lines = [f"SurfaceMesh object with batching strategy {self.batching.value}"]
        for name in _TENSOR_ATTRIBUTES:
            if name in self._values:
                value = self._values[name]
                lines.append(f"{name:>20}: {list(value.shape)} ({value.dtype})[{value.device}]")
        if self.materials is not None:
            lines.append(f"{'materials':>20}: list of length {len(self.materials)}")
        return "\n".join(lines)

    __str__ = __repr__ = to_string
