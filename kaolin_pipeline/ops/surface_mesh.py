"""``SurfaceMesh``: one mesh, or a batch of meshes, with Kaolin's attribute names, shapes and batching.

=====================  ================  ====================  =======================  ===========
attribute              ``NONE``          ``FIXED``             ``LIST``                 computed
=====================  ================  ====================  =======================  ===========
vertices               (V, 3)            (B, V, 3)             [(V_i, 3)]
faces                  (F, K)            (F, K) shared         [(F_i, K_i)]
face_vertices          (F, K, 3)         (B, F, K, 3)          [(F_i, K_i, 3)]          yes
normals                (VN, 3)           (B, VN, 3)            [(VN_i, 3)]
face_normals_idx       (F, K)            (B, F, K)             [(F_i, K_i)]
face_normals           (F, K, 3)         (B, F, K, 3)          [(F_i, K_i, 3)]          yes
uvs                    (U, 2)            (B, U, 2)             [(U_i, 2)]
face_uvs_idx           (F, K)            (B, F, K)             [(F_i, K_i)]
face_uvs               (F, K, 2)         (B, F, K, 2)          [(F_i, K_i, 2)]          yes
vertex_normals         (V, 3)            (B, V, 3)             [(V_i, 3)]               yes
vertex_tangents        (V, 3)            (B, V, 3)             [(V_i, 3)]               yes
vertex_colors          (V, C)            (B, V, C)             [(V_i, C)]               yes
vertex_features        (V, C)            (B, V, C)             [(V_i, C_i)]             yes
face_tangents          (F, K, 3)         (B, F, K, 3)          [(F_i, K_i, 3)]          yes
face_colors            (F, K, C)         (B, F, K, C)          [(F_i, K_i, C)]          yes
face_features          (F, K, C)         (B, F, K, C)          [(F_i, K_i, C_i)]        yes
material_assignments   (F,)              (B, F)                [(F_i,)]
transform              (4, 4)            (4, 4) or (B, 4, 4)   (4, 4) or (B, 4, 4)
materials              list              list of lists         list of lists
=====================  ================  ====================  =======================  ===========

A missing attribute is computed on access from the others (:meth:`SurfaceMesh.computable_attribute_requirements`
lists the ways, in order of preference) and kept unless a tensor it came from requires grad. ``transform``
(local to world) is stored, never applied, except by :meth:`SurfaceMesh.as_transformed` and
:meth:`SurfaceMesh.flatten`.
"""
from __future__ import annotations

import copy
import logging
from enum import Enum
from itertools import chain
from typing import Callable, Optional, Sequence

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.material_groups import group_materials_by_name as merge_materials_by_name
from kaolin_pipeline.ops.mesh import (
    average_face_vertex_features,
    face_normals as unit_face_normals,
    index_vertices_by_faces,
    unindex_vertices_by_faces,
    vertex_tangents,
)
from kaolin_pipeline.structures import PBRMaterial

__all__ = ["SurfaceMesh", "describe_tensor"]

logger = logging.getLogger(__name__)

_FLOAT = ("vertices", "face_vertices", "normals", "face_normals", "vertex_normals", "uvs", "face_uvs",
          "vertex_tangents", "vertex_colors", "vertex_features", "face_tangents", "face_colors", "face_features",
          "transform")
_INT = ("faces", "face_normals_idx", "face_uvs_idx", "material_assignments")
_ORDERED = ("vertices", "faces", "face_vertices", "normals", "face_normals_idx", "face_normals", "uvs",
            "face_uvs_idx", "face_uvs", "vertex_normals", "vertex_tangents", "vertex_colors", "vertex_features",
            "face_tangents", "face_colors", "face_features", "material_assignments", "transform")
_SETTINGS = ("allow_auto_compute", "unset_attributes_return_none")
_MISC = ("batching",) + _SETTINGS + ("materials",)
_SUPPORTED = _MISC + _FLOAT + _INT
# index attribute -> the attribute it indexes
_INDEXED = {"faces": "vertices", "face_normals_idx": "normals", "face_uvs_idx": "uvs",
            "material_assignments": "materials"}
# ways to compute each attribute, in order of preference
_REQUIREMENTS = {
    "vertex_normals": [["faces", "face_normals"]],
    "vertex_tangents": [["faces", "face_vertices", "face_uvs", "vertex_normals"]],
    "vertex_colors": [["faces", "face_colors"]],
    "vertex_features": [["faces", "face_features"]],
    "face_vertices": [["faces", "vertices"]],
    "face_normals": [["normals", "face_normals_idx"], ["vertex_normals", "faces"], ["vertices", "faces"]],
    "face_uvs": [["uvs", "face_uvs_idx"]],
    "face_tangents": [["faces", "vertex_tangents"]],
    "face_colors": [["faces", "vertex_colors"]],
    "face_features": [["faces", "vertex_features"]],
}
# per-mesh shape of each attribute (symbols filled from the mesh where known; None: any size)
_SHAPES = {"vertices": ("V", 3), "normals": ("VN", 3), "uvs": ("U", 2), "vertex_normals": ("V", 3),
           "vertex_tangents": ("V", 3), "vertex_colors": ("V", None), "vertex_features": ("V", None),
           "face_normals": ("F", "FSz", 3), "face_uvs": ("F", "FSz", 2), "face_vertices": ("F", "FSz", 3),
           "face_tangents": ("F", "FSz", 3), "face_colors": ("F", "FSz", None),
           "face_features": ("F", "FSz", None), "faces": ("F", "FSz"), "material_assignments": ("F",),
           "face_normals_idx": ("F", "FSz"), "face_uvs_idx": ("F", "FSz"), "transform": (4, 4)}
_FIXED_TOPOLOGY = ("faces",)


def describe_tensor(value, name: str = "", print_stats: bool = False, detailed: bool = False) -> str:
    """One line about a tensor: ``name: [shape] (dtype)[device]``, then min/max/mean with ``print_stats``
    and grad/leaf/layout with ``detailed``."""
    if not torch.is_tensor(value):
        return f"{name}: {value!r}"
    line = f"{name}: {list(value.shape)} ({value.dtype})[{value.device}]"
    if print_stats:
        if value.numel() == 0:
            line += " - [empty]"
        else:
            as_float = value.detach().to(torch.float64)
            line += (f" - [min {as_float.min().item():.4f}, max {as_float.max().item():.4f}, "
                     f"mean {as_float.mean().item():.4f}]")
    if detailed:
        line += f" - req_grad={value.requires_grad}, is_leaf={value.is_leaf}, layout={value.layout}"
    return line


def _shape_matches(value: torch.Tensor, shape: Sequence) -> bool:
    return value.dim() == len(shape) and all(want is None or isinstance(want, str) or got == want
                                             for got, want in zip(value.shape, shape))


def _convert_material(material, function: Callable[[torch.Tensor], torch.Tensor]):
    """``material`` with ``function`` applied to its tensors (PBRMaterial), or unchanged with a warning."""
    if not isinstance(material, PBRMaterial):
        logger.warning(f"SurfaceMesh: material of type {type(material).__name__} is not a PBRMaterial; "
                       "kept as it is")
        return material
    return material.map_tensors(function)


class SurfaceMesh:
    """A mesh whose faces all have K corners, or a batch of them, as Kaolin's ``kaolin.rep.SurfaceMesh``.

    Args:
        vertices: (V, 3), (B, V, 3) (a batch sharing ``faces``: ``Batching.FIXED``) or a list of (V_i, 3)
            (``Batching.LIST``); the batching follows from ``vertices`` and ``faces``.
        faces: (F, K) long, or a list of (F_i, K_i).
        normals ... transform: optional attributes, shapes in the module docstring.
        materials: list of materials (a list of lists for a batch).
        strict_checks: raise :class:`PipelineError` (a ``ValueError``) if an attribute's shape does not
            fit the batching (otherwise the problem is only logged).
        unset_attributes_return_none: ``None`` for an attribute neither set nor computable (default), else
            ``AttributeError``.
        allow_auto_compute: compute missing attributes on access (default).
    """

    class Batching(str, Enum):
        """How a batch of meshes is laid out."""

        NONE = "NONE"  #: one mesh
        FIXED = "FIXED"  #: meshes sharing ``faces``; other attributes stacked on a leading batch axis
        LIST = "LIST"  #: meshes of any topology; every attribute a list

        def __str__(self) -> str:
            return self.value

    def __init__(self, vertices, faces, normals=None, uvs=None, face_uvs_idx=None, face_normals_idx=None,
                 material_assignments=None, materials=None, vertex_normals=None, vertex_tangents=None,
                 vertex_colors=None, vertex_features=None, face_normals=None, face_uvs=None, face_vertices=None,
                 face_tangents=None, face_colors=None, face_features=None, transform=None,
                 strict_checks: bool = True, unset_attributes_return_none: bool = True,
                 allow_auto_compute: bool = True):
        for name, value in (("vertices", vertices), ("faces", faces)):
            if not (torch.is_tensor(value) or isinstance(value, list)):
                raise PipelineError(f"SurfaceMesh: {name} must be a tensor or a list of tensors, "
                                    f"got {type(value).__name__}")
        if isinstance(vertices, list) or isinstance(faces, list) or faces.dim() == 3:
            batching = SurfaceMesh.Batching.LIST
        elif vertices.dim() == 3:
            batching = SurfaceMesh.Batching.FIXED
        else:
            batching = SurfaceMesh.Batching.NONE
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "batching", batching)
        self.unset_attributes_return_none = unset_attributes_return_none
        self.allow_auto_compute = allow_auto_compute
        given = dict(vertices=vertices, faces=faces, normals=normals, uvs=uvs, face_uvs_idx=face_uvs_idx,
                     face_normals_idx=face_normals_idx, material_assignments=material_assignments,
                     materials=materials, vertex_normals=vertex_normals, vertex_tangents=vertex_tangents,
                     vertex_colors=vertex_colors, vertex_features=vertex_features, face_normals=face_normals,
                     face_uvs=face_uvs, face_vertices=face_vertices, face_tangents=face_tangents,
                     face_colors=face_colors, face_features=face_features, transform=transform)
        for name, value in given.items():
            setattr(self, name, value)
        bad = self._bad_attributes()
        if bad and strict_checks:
            raise PipelineError(f"SurfaceMesh: the shapes of {', '.join(bad)} do not fit the batching "
                                f"{batching.value} (see the logged errors; strict_checks=False accepts them)")

    # ------------------------------------------------------------------ class information

    @staticmethod
    def supported_tensor_attributes() -> list[str]:
        """Names of the tensor attributes, in display order."""
        return list(_ORDERED)

    @staticmethod
    def computable_attribute_requirements() -> dict[str, list[list[str]]]:
        """For each computable attribute, the lists of attributes it can be computed from, preferred first."""
        return copy.deepcopy(_REQUIREMENTS)

    @staticmethod
    def assert_supported(attr: str) -> None:
        """Raise ``AttributeError`` unless ``attr`` is an attribute name of a ``SurfaceMesh``."""
        if attr not in _SUPPORTED:
            raise AttributeError(f'SurfaceMesh does not support attribute named "{attr}"')

    @staticmethod
    def _expected_shape(name: str, batching: "SurfaceMesh.Batching", sizes: Optional[dict] = None) -> list:
        """Expected shape of attribute ``name`` (per item for LIST); ``sizes`` fills the symbols."""
        sizes = sizes or {}
        shape = [sizes.get(dim) if isinstance(dim, str) else dim for dim in _SHAPES[name]]
        if batching == SurfaceMesh.Batching.FIXED and name not in _FIXED_TOPOLOGY:
            shape = [sizes.get("B")] + shape
        return shape

    @classmethod
    def attribute_info_string(cls, batching: "SurfaceMesh.Batching") -> str:
        """What a mesh of ``batching`` holds: every tensor attribute with its type and symbolic shape."""
        batching = SurfaceMesh.Batching(batching)
        is_list = batching == SurfaceMesh.Batching.LIST
        suffix = "_i" if is_list else ""
        symbols = {"B": "B", **{s: s + suffix for s in ("V", "F", "FSz", "VN", "U")}}
        lines = [f"Expected SurfaceMesh contents for batching strategy {batching.value}"]
        for name in _ORDERED:
            kind = "torch.IntTensor" if name in _INT else "torch.FloatTensor"
            kind = f"[{kind}]" if is_list else f"({kind})"
            shape = cls._expected_shape(name, batching, symbols)
            lines.append(f"{name:>20}: {kind:<19} of {'shapes' if is_list else 'shape'} {shape}")
        lines.append(f"{'materials':>20}: non-tensor attribute")
        return "\n".join(lines)

    # ------------------------------------------------------------------ set, get, delete

    def __setattr__(self, name: str, value) -> None:
        if name == "batching":
            self.set_batching(value)
            return
        SurfaceMesh.assert_supported(name)
        if name in _SETTINGS:
            object.__setattr__(self, name, bool(value))
        elif value is None:
            self._values.pop(name, None)
        else:
            self._values[name] = value

    def __delattr__(self, name: str) -> None:
        self._values.pop(name, None)

    def __getattr__(self, name: str):
        # only reached when ordinary lookup fails: tensor attributes and materials live in self._values
        if name.startswith("__") or name == "_values":
            raise AttributeError(name)
        values = self.__dict__.get("_values", {})
        if name in values:
            return values[name]
        SurfaceMesh.assert_supported(name)
        if not self.allow_auto_compute:
            return self._unset(name, "has not been set and allow_auto_compute is off")
        return self._check_compute_attribute(name)

    def _unset(self, name: str, why: str):
        if self.unset_attributes_return_none:
            return None
        raise AttributeError(f'SurfaceMesh attribute "{name}" {why} (to get None instead, set '
                             "mesh.unset_attributes_return_none=True)")

    def has_attribute(self, attr: str) -> bool:
        """True if ``attr`` is set (nothing is computed)."""
        return attr in self._values or attr in _MISC[:3]

    def get_attributes(self, only_tensors: bool = False) -> list[str]:
        """Names of the attributes that are set (with ``batching``, the settings and ``materials`` unless
        ``only_tensors``)."""
        names = _ORDERED if only_tensors else _MISC + _ORDERED
        return [name for name in names if self.has_attribute(name)]

    def get_attribute(self, attr: str):
        """The attribute if set, never computed; else ``None`` or ``AttributeError`` (see
        ``unset_attributes_return_none``)."""
        if self.has_attribute(attr):
            return getattr(self, attr)
        SurfaceMesh.assert_supported(attr)
        return self._unset(attr, "has not been set")

    def get_or_compute_attribute(self, attr: str, should_cache: Optional[bool] = None):
        """The attribute, computed if missing; ``should_cache`` True/False keeps or drops the result (and the
        intermediate results); by default it is kept unless an input requires grad."""
        if self.has_attribute(attr):
            return getattr(self, attr)
        return self._check_compute_attribute(attr, should_cache=should_cache)

    def as_dict(self, only_tensors: bool = False) -> dict:
        """The attributes that are set, by name (nothing computed)."""
        return {name: getattr(self, name) for name in self.get_attributes(only_tensors=only_tensors)}

    def __len__(self) -> int:
        if self.batching == SurfaceMesh.Batching.NONE:
            return 1
        if self.batching == SurfaceMesh.Batching.LIST:
            return len(self.vertices)
        return int(self.vertices.shape[0])

    def is_triangular(self) -> bool:
        """True if every face of every mesh has 3 corners."""
        faces = self.faces if self.batching == SurfaceMesh.Batching.LIST else [self.faces]
        return all(f.shape[-1] == 3 for f in faces)

    # ------------------------------------------------------------------ checks and printing

    def check_sanity(self) -> bool:
        """True if every attribute's shape fits the batching and the sizes of ``vertices``/``faces``;
        each problem is logged."""
        return not self._bad_attributes()

    def _bad_attributes(self) -> list[str]:
        """Names of the attributes whose shapes do not fit (each logged)."""
        sizes = {"B": len(self)}
        if self.batching != SurfaceMesh.Batching.LIST:
            vertices, faces = self._values.get("vertices"), self._values.get("faces")
            if torch.is_tensor(vertices) and vertices.numel() > 0:
                sizes["V"] = vertices.shape[-2]
            if torch.is_tensor(faces) and faces.numel() > 0 and faces.dim() == 2:
                sizes["F"], sizes["FSz"] = faces.shape
        return [name for name in self.get_attributes(only_tensors=True) if not self._check_attribute(name, sizes)]

    def _check_attribute(self, name: str, sizes: dict) -> bool:
        value = self._values[name]
        if name == "transform":
            ok = torch.is_tensor(value) and (tuple(value.shape) == (4, 4) or (
                self.batching != SurfaceMesh.Batching.NONE and tuple(value.shape) == (len(self), 4, 4)))
            if not ok:
                logger.error(f"SurfaceMesh: transform must be (4, 4)"
                             f"{'' if self.batching == SurfaceMesh.Batching.NONE else f' or ({len(self)}, 4, 4)'}"
                             f", got {describe_tensor(value)}")
            return ok
        shape = SurfaceMesh._expected_shape(name, self.batching, sizes)
        if self.batching == SurfaceMesh.Batching.LIST:
            if not isinstance(value, list) or len(value) != len(self):
                logger.error(f"SurfaceMesh: {name} must be a list of {len(self)} tensors for LIST batching")
                return False
            items = value
        else:
            items = [value]
        for item in items:
            if not torch.is_tensor(item) or not _shape_matches(item, shape):
                logger.error(f"SurfaceMesh: {name} is {describe_tensor(item)}, expected shape {shape} "
                             f"for batching {self.batching.value}")
                return False
        return True

    def describe_attribute(self, attr: str, print_stats: bool = False, detailed: bool = False) -> str:
        """A line (a few for lists) about one attribute that is set: shape, dtype, device (and statistics);
        ``'None'`` if it is not set."""
        SurfaceMesh.assert_supported(attr)
        if not self.has_attribute(attr):
            return "None"
        value = getattr(self, attr)
        if attr in _ORDERED:
            if isinstance(value, list):
                return "\n".join([f"{attr:>20}: ["] + [
                    describe_tensor(item, f"{index:>23}", print_stats, detailed) for index, item in enumerate(value)
                ] + [f"{']':>23}"])
            return describe_tensor(value, f"{attr:>20}", print_stats, detailed)
        if attr == "materials":
            if self.batching == SurfaceMesh.Batching.NONE:
                return f"{'materials':>20}: list of length {len(value)}"
            return "\n".join([f"{'materials':>20}: ["] + [
                f"{index:>23}: list of length {len(item)}" for index, item in enumerate(value)] + [f"{']':>23}"])
        return f"{attr:>20}: {value}"

    def to_string(self, print_stats: bool = False, detailed: bool = False) -> str:
        """Every attribute that is set (:meth:`describe_attribute`), then what could be computed and from what."""
        lines = [f"SurfaceMesh object with batching strategy {self.batching.value}"]
        lines += [self.describe_attribute(name, print_stats, detailed) for name in self.get_attributes(True)]
        if self.has_attribute("materials"):
            lines.append(self.describe_attribute("materials"))
        for name, ways in self._get_computable_attributes().items():
            lines.append(f"{name:>20}: if possible, computed on access from: "
                         + " or ".join("(" + ", ".join(way) + ")" for way in ways))
        return "\n".join(lines)

    __str__ = __repr__ = to_string

    # ------------------------------------------------------------------ copies

    def _constructor_arguments(self, function: Callable) -> dict:
        arguments = {name: function(name, self._values[name]) for name in self._values}
        arguments.update({name: getattr(self, name) for name in _SETTINGS})
        return arguments

    def __copy__(self) -> "SurfaceMesh":
        def shallow(name, value):
            return list(value) if isinstance(value, list) else value
        return SurfaceMesh(**self._constructor_arguments(shallow), strict_checks=False)

    def __deepcopy__(self, memo) -> "SurfaceMesh":
        return SurfaceMesh(**self._constructor_arguments(lambda name, value: copy.deepcopy(value, memo)),
                           strict_checks=False)

    def _construct_apply(self, function: Callable[[torch.Tensor], torch.Tensor],
                         attributes: Optional[Sequence[str]] = None) -> "SurfaceMesh":
        """Shallow copy with ``function`` applied to the listed (default: all) tensor attributes and to
        PBRMaterial materials."""
        if attributes is None:
            attributes = self.get_attributes(only_tensors=True) + (["materials"] if "materials" in self._values
                                                                   else [])
        result = copy.copy(self)
        for name in attributes:
            value = getattr(result, name)
            if name == "materials":
                if self.batching == SurfaceMesh.Batching.NONE:
                    value = [_convert_material(m, function) for m in value]
                else:
                    value = [[_convert_material(m, function) for m in items] for items in value]
            elif isinstance(value, list):
                value = [function(item) for item in value]
            else:
                value = function(value)
            setattr(result, name, value)
        return result

    def to(self, device, attributes: Optional[Sequence[str]] = None) -> "SurfaceMesh":
        """Shallow copy with all (or the listed) tensor attributes moved to ``device``."""
        return self._construct_apply(lambda t: t.to(device), attributes)

    def cuda(self, device=None, attributes: Optional[Sequence[str]] = None) -> "SurfaceMesh":
        """Shallow copy with all (or the listed) tensor attributes on CUDA."""
        return self._construct_apply(lambda t: t.cuda(device), attributes)

    def cpu(self, attributes: Optional[Sequence[str]] = None) -> "SurfaceMesh":
        """Shallow copy with all (or the listed) tensor attributes on the CPU."""
        return self._construct_apply(lambda t: t.cpu(), attributes)

    def detach(self, attributes: Optional[Sequence[str]] = None) -> "SurfaceMesh":
        """Shallow copy with all (or the listed) tensor attributes detached."""
        return self._construct_apply(lambda t: t.detach(), attributes)

    def float_tensors_to(self, float_dtype: torch.dtype) -> "SurfaceMesh":
        """Shallow copy with every floating-point attribute cast to ``float_dtype``."""
        return self._construct_apply(lambda t: t.to(float_dtype),
                                     [n for n in self.get_attributes(only_tensors=True) if n in _FLOAT])

    # ------------------------------------------------------------------ batching

    @staticmethod
    def convert_attribute_batching(val, from_batching: "SurfaceMesh.Batching", to_batching: "SurfaceMesh.Batching",
                                   is_tensor: bool = True, fixed_topology: bool = False,
                                   batch_size: Optional[int] = None):
        """``val`` laid out for ``from_batching`` re-laid for ``to_batching``.

        Tensors: NONE→LIST ``[val]``; NONE→FIXED ``val[None]`` (``val`` if ``fixed_topology``); LIST→NONE
        ``val[0]``; LIST→FIXED ``torch.stack(val)`` (the shared ``val[0]`` if ``fixed_topology``, which must
        then be equal in every item); FIXED→NONE ``val[0]``; FIXED→LIST ``list(val)`` (``[val] * B`` if
        ``fixed_topology``). Non-tensor values (materials) are lists per item in FIXED and LIST.

        Raises:
            ValueError: unbatching more than one mesh, differing shared values, or ``batch_size`` not
                matching ``val``.
        """
        from_batching, to_batching = SurfaceMesh.Batching(from_batching), SurfaceMesh.Batching(to_batching)
        none, fixed, as_list = SurfaceMesh.Batching.NONE, SurfaceMesh.Batching.FIXED, SurfaceMesh.Batching.LIST
        guess = None
        if from_batching == as_list or (from_batching == fixed and not is_tensor):
            guess = len(val)
        elif from_batching == none:
            guess = 1
        elif not fixed_topology:
            guess = int(val.shape[0])
        if batch_size is not None and guess is not None and batch_size != guess:
            raise PipelineError(f"convert_attribute_batching: batch_size={batch_size} but the value holds {guess}")
        batch_size = batch_size if batch_size is not None else (guess if guess is not None else 1)
        if from_batching == to_batching or batch_size == 0:
            return val
        if to_batching == none and batch_size != 1:
            raise PipelineError(f"convert_attribute_batching: cannot unbatch a batch of {batch_size} meshes")
        if not is_tensor:
            if to_batching == none:
                return val[0]
            return [val] if from_batching == none else val
        if to_batching == none:
            return val[0] if from_batching == as_list or not fixed_topology else val
        if to_batching == fixed:
            if from_batching == none:
                return val if fixed_topology else val.unsqueeze(0)
            if fixed_topology:
                if any(v.shape != val[0].shape or not torch.equal(v, val[0]) for v in val[1:]):
                    raise PipelineError("convert_attribute_batching: a FIXED batch needs the same shared "
                                        "attribute (faces) in every mesh")
                return val[0]
            return torch.stack(list(val))
        if from_batching == none:
            return [val]
        return [val] * batch_size if fixed_topology else list(val.unbind(0))

    def getattr_batched(self, attr: str, batching: "SurfaceMesh.Batching"):
        """``getattr(self, attr)`` laid out for ``batching`` (see :meth:`convert_attribute_batching`)."""
        value = getattr(self, attr)
        batching = SurfaceMesh.Batching(batching)
        if batching == self.batching or (attr not in _ORDERED and attr != "materials"):
            return value
        if attr == "transform":  # (4, 4) or (B, 4, 4) in every batching
            if batching != SurfaceMesh.Batching.NONE:
                return value
            if len(self) != 1:
                raise PipelineError(f"SurfaceMesh: cannot unbatch the transform of {len(self)} meshes")
            return value if value.dim() == 2 else value[0]
        return SurfaceMesh.convert_attribute_batching(value, self.batching, batching, is_tensor=attr != "materials",
                                                      fixed_topology=attr in _FIXED_TOPOLOGY,
                                                      batch_size=len(self))

    def to_batched(self) -> "SurfaceMesh":
        """An unbatched mesh becomes a FIXED batch of one, in place; returns ``self``."""
        return self.set_batching(SurfaceMesh.Batching.FIXED)

    def set_batching(self, batching: "SurfaceMesh.Batching", skip_errors: bool = False) -> "SurfaceMesh":
        """Re-lay the mesh for ``batching`` in place; returns ``self``.

        With ``skip_errors``, an attribute other than ``vertices``/``faces`` that cannot be converted (e.g.
        ``normals`` of different lengths to FIXED) is dropped instead of raising.

        Raises:
            ValueError: ``batching`` is not a ``SurfaceMesh.Batching`` value, or the conversion is
                impossible (unbatching several meshes; FIXED from meshes of different ``faces``).
        """
        try:
            batching = SurfaceMesh.Batching(batching)
        except ValueError:
            raise PipelineError(f"SurfaceMesh.set_batching: batching={batching!r} is not one of "
                                f"{[b.value for b in SurfaceMesh.Batching]}") from None
        if batching == self.batching or len(self) == 0:
            return self
        if batching == SurfaceMesh.Batching.NONE and len(self) != 1:
            raise PipelineError(f"SurfaceMesh.set_batching: cannot make an unbatched mesh of {len(self)} meshes")
        converted = {}
        for name in list(self._values):
            try:
                converted[name] = self.getattr_batched(name, batching)
            except Exception as error:  # noqa: BLE001 - any conversion failure is reported the same way
                if not skip_errors or name in ("vertices", "faces"):
                    raise PipelineError(f"SurfaceMesh.set_batching: cannot convert {name} to {batching.value}: "
                                        f"{error}") from error
                logger.error(f"SurfaceMesh.set_batching: dropped {name}: {error}")
                converted[name] = None
        for name, value in converted.items():
            setattr(self, name, value)
        object.__setattr__(self, "batching", batching)
        return self

    def __getitem__(self, index: int) -> "SurfaceMesh":
        if index > len(self) - 1:
            raise IndexError(f"SurfaceMesh: index {index} out of range for a batch of {len(self)}")
        if self.batching == SurfaceMesh.Batching.NONE:
            return self

        def item(name, value):
            if name == "transform":
                return value if value.dim() == 2 else value[index]
            if self.batching == SurfaceMesh.Batching.FIXED and name in _FIXED_TOPOLOGY:
                return value
            return value[index]
        return SurfaceMesh(**self._constructor_arguments(item))

    @classmethod
    def cat(cls, meshes: Sequence["SurfaceMesh"], fixed_topology: bool = True,
            skip_errors: bool = False) -> "SurfaceMesh":
        """The meshes (any batching) as one FIXED (``fixed_topology``) or LIST batch.

        Kept: attributes every mesh has or can compute; a computed per-face attribute (``face_normals``,
        ``face_uvs``, ``face_vertices``) is left to be computed again when all meshes hold its first
        requirements. For FIXED, ``normals``/``uvs`` of different lengths are replaced by ``face_normals``/
        ``face_uvs``. ``transform`` is batched (a (4, 4) repeated per mesh), not applied.
        """
        meshes = list(meshes)
        if not meshes:
            raise PipelineError("SurfaceMesh.cat: meshes is empty; give at least one mesh")
        if len(meshes) == 1:
            result = meshes[0]
        else:
            present = set().union(*(m.get_attributes() for m in meshes))
            everywhere = set.intersection(*(set(m.get_attributes()) for m in meshes))
            keep = {name for name in present if all(m._has_or_can_compute_attr(name) for m in meshes)}
            for name in keep & {"face_normals", "face_uvs", "face_vertices"}:
                first_way = _REQUIREMENTS[name][0]
                if name not in everywhere and all(m._has_or_can_compute_attr(r) for r in first_way for m in meshes):
                    keep.discard(name)

            def gathered(name):
                if name == "transform":
                    return torch.cat([m.transform.expand(len(m), 4, 4) for m in meshes])
                return list(chain.from_iterable(m.getattr_batched(name, SurfaceMesh.Batching.LIST) for m in meshes))

            arguments = {name: gathered(name) for name in keep if name in _ORDERED or name == "materials"}
            arguments.update({name: getattr(meshes[0], name) for name in keep & set(_SETTINGS)})
            if fixed_topology:
                for name in ("normals", "uvs"):
                    if name in arguments and len({tuple(v.shape) for v in arguments[name]}) > 1:
                        logger.warning(f"SurfaceMesh.cat: {name} differ in length; concatenating face_{name}")
                        del arguments[name]
                        arguments.pop(f"face_{name}_idx", None)
                        try:
                            arguments[f"face_{name}"] = gathered(f"face_{name}")
                        except Exception as error:  # noqa: BLE001 - logged, the attribute is left out
                            logger.warning(f"SurfaceMesh.cat: cannot compute face_{name} for every mesh: {error}")
            result = SurfaceMesh(**arguments)
        return result.set_batching(SurfaceMesh.Batching.FIXED if fixed_topology else SurfaceMesh.Batching.LIST,
                                   skip_errors=skip_errors)

    @classmethod
    def flatten(cls, meshes: Sequence["SurfaceMesh"], skip_errors: bool = False,
                group_materials_by_name: bool = False) -> "SurfaceMesh":
        """All meshes (any batching) merged into one unbatched mesh in world space (each ``transform``
        applied); index attributes are offset into the concatenated values they index."""
        mesh = cls.cat([m.as_transformed() for m in meshes], fixed_topology=False, skip_errors=skip_errors)
        if len(mesh) == 1:
            return mesh.set_batching(SurfaceMesh.Batching.NONE)
        names = set(mesh.get_attributes(only_tensors=True)) | ({"materials"} if mesh.has_attribute("materials")
                                                                else set())

        def joined(name, values):
            try:
                return torch.cat(values)
            except RuntimeError as error:
                if not skip_errors:
                    raise PipelineError(f"SurfaceMesh.flatten: cannot concatenate {name}: {error}") from error
                logger.error(f"SurfaceMesh.flatten: dropped {name}: {error}")
                return None

        arguments = {name: getattr(mesh, name) for name in _SETTINGS}
        for index_name, value_name in _INDEXED.items():
            values = getattr(mesh, value_name) if value_name in names else None
            if index_name in names:
                counts = [len(v) for v in values] if values is not None else [0] * len(mesh)
                offsets = torch.tensor([0] + counts[:-1]).cumsum(0).tolist()
                indices = getattr(mesh, index_name)
                arguments[index_name] = joined(index_name, [i + o for i, o in zip(indices, offsets)])
            if values is not None:
                arguments[value_name] = (list(chain.from_iterable(values)) if value_name == "materials"
                                         else joined(value_name, values))
            names -= {index_name, value_name}
        for name in names:
            arguments[name] = joined(name, getattr(mesh, name))
        if group_materials_by_name and arguments.get("materials") is not None:
            arguments["materials"], arguments["material_assignments"] = merge_materials_by_name(
                arguments["materials"], arguments.get("material_assignments"))
        return SurfaceMesh(**{k: v for k, v in arguments.items() if v is not None})

    def as_transformed(self) -> "SurfaceMesh":
        """A copy with ``transform`` applied and unset (``self`` if there is none): positions by the 4×4
        (with the projective divide), ``normals``/``vertex_normals``/``face_normals`` by the inverse transpose
        of its 3×3 part, tangents by the 3×3 part, directions renormalised; ``face_vertices`` dropped."""
        if not self.has_attribute("transform"):
            return self
        result = copy.copy(self)
        result.transform = None
        matrix = self.transform

        def per_item(function, value):
            if self.batching != SurfaceMesh.Batching.LIST:
                return function(value, matrix)
            return [function(v, matrix if matrix.dim() == 2 else matrix[i]) for i, v in enumerate(value)]

        def positions(points, m):
            m = m.to(points)
            homogeneous = torch.nn.functional.pad(points, (0, 1), value=1.0) @ m.transpose(-1, -2)
            return homogeneous[..., :3] / homogeneous[..., 3:]

        def directions(vectors, linear):
            while linear.dim() < vectors.dim():
                linear = linear.unsqueeze(-3)
            return torch.nn.functional.normalize(vectors @ linear, dim=-1)

        def normals(vectors, m):
            return directions(vectors, torch.linalg.inv(m.to(vectors)[..., :3, :3]))

        def tangents(vectors, m):
            return directions(vectors, m.to(vectors)[..., :3, :3].transpose(-1, -2))

        result.vertices = per_item(positions, self.vertices)
        for names, function in ((("normals", "vertex_normals", "face_normals"), normals),
                                (("vertex_tangents", "face_tangents"), tangents)):
            for name in names:
                if self.has_attribute(name):
                    setattr(result, name, per_item(function, getattr(self, name)))
        result.face_vertices = None
        return result

    # ------------------------------------------------------------------ computed attributes

    def _get_computable_attributes(self) -> dict:
        return {name: copy.deepcopy(_REQUIREMENTS[name]) for name in _ORDERED
                if name in _REQUIREMENTS and not self.has_attribute(name)}

    def has_or_can_compute_attribute(self, attr: str) -> bool:
        """True if ``attr`` is set or its requirements are (computation may still fail)."""
        SurfaceMesh.assert_supported(attr)
        return self._has_or_can_compute_attr(attr)

    def probably_can_compute_attribute(self, attr: str) -> bool:
        """True if the attributes ``attr`` is computed from are set or computable."""
        SurfaceMesh.assert_supported(attr)
        return self._can_compute_attr(attr)[0]

    def _has_or_can_compute_attr(self, attr: str, depth: int = 3) -> bool:
        return self.has_attribute(attr) or self._can_compute_attr(attr, depth)[0]

    def _can_compute_attr(self, attr: str, depth: int = 3) -> tuple[bool, str]:
        if depth < 0 or attr not in _REQUIREMENTS or self.has_attribute(attr):
            return False, ""
        for way in _REQUIREMENTS[attr]:
            if attr == "face_normals" and set(way) == {"vertices", "faces"} and not self.is_triangular():
                continue
            if all(self._has_or_can_compute_attr(r, depth - 1) for r in way):
                return True, str(way)
        return False, " or ".join(str(way) for way in _REQUIREMENTS[attr])

    def _check_compute_attribute(self, attr: str, should_cache: Optional[bool] = None):
        SurfaceMesh.assert_supported(attr)
        possible, how = self._can_compute_attr(attr)
        if not possible:
            return self._unset(attr, f"has not been set and cannot be computed from {how or 'anything'}")
        try:
            value, cacheable = self._compute(attr, should_cache)
        except Exception as error:  # noqa: BLE001 - reported as Kaolin does: None or AttributeError
            if self.unset_attributes_return_none:
                logger.warning(f'SurfaceMesh: computing "{attr}" failed: {error}')
                return None
            raise AttributeError(f'SurfaceMesh attribute "{attr}" failed to be computed: {error}') from error
        if should_cache or (should_cache is None and cacheable):
            setattr(self, attr, value)
        return value

    def _requires_grad(self, *values) -> bool:
        flat = chain.from_iterable(v if isinstance(v, list) else [v] for v in values)
        return any(torch.is_tensor(v) and v.requires_grad for v in flat)

    def _per_item(self, function: Callable, *values):
        """``function`` on every mesh of a LIST batch, else once."""
        if self.batching == SurfaceMesh.Batching.LIST:
            return [function(*items) for items in zip(*values)]
        return function(*values)

    def _gather(self, values, index):
        """(…, F, K, C) ``values`` gathered at per-corner ``index``, for the batching."""
        if self.batching == SurfaceMesh.Batching.NONE:
            return index_vertices_by_faces(values.unsqueeze(0), index)[0]
        if self.batching == SurfaceMesh.Batching.LIST:
            return [index_vertices_by_faces(v.unsqueeze(0), i)[0] for v, i in zip(values, index)]
        if index.dim() == 2:
            return index_vertices_by_faces(values, index)
        # per-mesh index (B, F, K): one gather over the flattened batch
        batch, count = values.shape[:2]
        offsets = torch.arange(batch, device=index.device).view(-1, 1, 1) * count
        flat = values.reshape(batch * count, *values.shape[2:])
        return flat[(index + offsets).reshape(-1)].reshape(*index.shape, *values.shape[2:])

    def _average_at_vertices(self, face_values):
        faces, vertices = self.faces, self.vertices
        if self.batching == SurfaceMesh.Batching.NONE:
            return average_face_vertex_features(faces, face_values[None], num_vertices=vertices.shape[0])[0]
        if self.batching == SurfaceMesh.Batching.FIXED:
            return average_face_vertex_features(faces, face_values, num_vertices=vertices.shape[1])
        return [average_face_vertex_features(f, fv[None], num_vertices=v.shape[0])[0]
                for f, fv, v in zip(faces, face_values, vertices)]

    def _compute(self, attr: str, should_cache: Optional[bool]):
        """(value, whether it may be cached) of computable ``attr``."""
        get = self.get_attribute
        need = lambda name: self.get_or_compute_attribute(name, should_cache=should_cache)  # noqa: E731
        if attr in ("face_vertices", "face_colors", "face_features"):
            source = get("vertices" if attr == "face_vertices" else attr.replace("face_", "vertex_"))
            return self._gather(source, self.faces), not self._requires_grad(source)
        if attr in ("vertex_colors", "vertex_features"):
            source = get(attr.replace("vertex_", "face_"))
            return self._average_at_vertices(source), not self._requires_grad(source)
        if attr == "face_uvs":
            index = self._per_item(lambda i: i.clamp(min=0), get("face_uvs_idx"))
            return self._gather(get("uvs"), index), not self._requires_grad(get("uvs"))
        if attr == "face_tangents":
            source = need("vertex_tangents")
            return self._gather(source, self.faces), not self._requires_grad(source)
        if attr == "vertex_normals":
            source = need("face_normals")
            return self._average_at_vertices(source), not self._requires_grad(source)
        if attr == "face_normals":
            if self.has_attribute("normals") and self.has_attribute("face_normals_idx"):
                return self._gather(self.normals, self.face_normals_idx), not self._requires_grad(self.normals)
            if self.has_attribute("vertex_normals"):
                return (self._gather(self.vertex_normals, self.faces),
                        not self._requires_grad(self.vertex_normals))
            corners = need("face_vertices")

            def per_corner(face_vertices):
                normals = unit_face_normals(face_vertices.reshape(-1, *face_vertices.shape[-3:]), unit=True)
                return normals.reshape(*face_vertices.shape[:-2], 1, 3).expand_as(face_vertices).contiguous()
            return self._per_item(per_corner, corners), not self._requires_grad(corners)
        # vertex_tangents
        inputs = (need("face_vertices"), need("face_uvs"), need("vertex_normals"))

        def tangents(faces, face_vertices, face_uvs, normals):
            if face_vertices.dim() == 3:
                return vertex_tangents(faces, face_vertices, face_uvs, normals)
            return torch.stack([vertex_tangents(faces, *items) for items in zip(face_vertices, face_uvs, normals)])
        return (self._per_item(tangents, self.faces, *inputs),
                not self._requires_grad(self.vertices, *inputs))

    def ensure_indexed_attribute(self, attr: str, should_cache: Optional[bool] = None):
        """``(values, index)`` for ``'normals'`` or ``'uvs'``: the set ones, or derived from ``face_normals`` /
        ``face_uvs`` when only those are set (unique values, per-corner index); ``(None, None)`` otherwise."""
        SurfaceMesh.assert_supported(attr)
        if attr not in ("normals", "uvs"):
            raise PipelineError(f"SurfaceMesh.ensure_indexed_attribute: attr={attr!r}; only 'normals' and 'uvs'")
        per_corner, index_name = f"face_{attr}", f"face_{attr}_idx"
        if self.has_attribute(attr) and self.has_attribute(index_name):
            return getattr(self, attr), getattr(self, index_name)
        if not self.has_attribute(per_corner) or self.has_attribute(attr) or self.has_attribute(index_name):
            return None, None
        source = getattr(self, per_corner)
        if self.batching == SurfaceMesh.Batching.LIST:
            pairs = [unindex_vertices_by_faces(v) for v in source]
            values, index = [p[0] for p in pairs], [p[1] for p in pairs]
        else:
            values, index = unindex_vertices_by_faces(source)
            if self.batching == SurfaceMesh.Batching.FIXED:
                index = index.unsqueeze(0).expand(source.shape[0], -1, -1).contiguous()
        if should_cache or (should_cache is None and not self._requires_grad(source)):
            setattr(self, attr, values)
            setattr(self, index_name, index)
        return values, index


# Kaolin's helpers (``kaolin.utils.testing.contained_torch_equal``) compare objects through the attribute
# names in ``__slots__``; set after the class is made, so it names the attributes without creating slots.
SurfaceMesh.__slots__ = _SUPPORTED
