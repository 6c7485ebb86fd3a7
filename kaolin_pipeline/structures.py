"""Containers of tensors for the three 3D representations (meshes, point clouds, voxel grids) and materials.

They hold tensors and nothing else; loaders fill them, ops and the renderer read
their fields. Shapes and names follow Kaolin's conventions.
"""
from __future__ import annotations

import dataclasses
from typing import List, Optional

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.tensor_text import tensor_info


def _move(obj, device=None, dtype=None):
    """Return a copy of a tensor dataclass with every tensor field moved to ``device``.

    Floating-point fields are also cast to ``dtype`` when it is given; integer and
    boolean fields keep their dtype.
    """
    changes = {}
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if isinstance(value, torch.Tensor):
            cast = dtype if (dtype is not None and value.is_floating_point()) else None
            changes[field.name] = value.to(device=device, dtype=cast)
        elif isinstance(value, list) and value and all(dataclasses.is_dataclass(item) for item in value):
            changes[field.name] = [item.to(device, dtype) for item in value]
    return dataclasses.replace(obj, **changes)


def _vector(value, size: int) -> Optional[torch.Tensor]:
    """``value`` (a number, a sequence or a tensor) as a float tensor of ``size`` values; a single number is repeated."""
    if value is None:
        return None
    tensor = value if isinstance(value, torch.Tensor) else torch.tensor(value, dtype=torch.float32)
    tensor = tensor.reshape(-1)
    return tensor.expand(size).clone() if tensor.numel() == 1 and size > 1 else tensor


class Material:
    """Base of the material classes (Kaolin's ``kaolin.render.materials.Material``): :meth:`from_dict` rebuilds
    a material from the dict its ``as_dict`` wrote, picking the class by the dict's ``classname``."""

    __slots__ = ()

    @staticmethod
    def from_dict(in_dict: dict) -> "Material":
        """The material of ``in_dict`` (``classname`` ``'pbr'``: a :class:`PBRMaterial`)."""
        if in_dict.get("classname") != "pbr":
            raise PipelineError(f"Material.from_dict: classname {in_dict.get('classname')!r} is not supported, "
                                "expected 'pbr'")
        return PBRMaterial.from_dict(in_dict)


COLORSPACES = ("auto", "raw", "sRGB")
"""What a material's ``*_colorspace`` may say: ``'auto'`` (the reader of the file decides), ``'raw'`` (values
as stored) or ``'sRGB'`` (colour textures only: the file's values are sRGB-encoded)."""


@dataclasses.dataclass(eq=False, slots=True)
class PBRMaterial(Material):
    """A physically based surface material, with the fields of Kaolin's ``kaolin.render.materials.PBRMaterial``
    (the UsdPreviewSurface inputs).

    Only what a file gives is set; every other value and texture is None. Colours are linear floats in [0, 1];
    textures are ``(C, H, W)`` float32 (row 0 = top of the image, addressed by the mesh's UVs whose
    origin is the image's bottom-left), the layout Kaolin documents (Kaolin's OBJ importer returns
    ``(H, W, C)``; :meth:`chw` and :meth:`hwc` convert).

    Attributes:
        diffuse_color: (3,) diffuse / base colour.
        diffuse_texture: (3, H, W) in [0, 1]. Rendering uses it instead of ``diffuse_color`` when both are set.
        specular_color: (3,) specular colour (specular workflow; MTL ``Ks``); a single number is repeated.
        roughness_value, metallic_value, opacity_value: (1,) in [0, 1].
        clearcoat_value, clearcoat_roughness_value: (1,) second specular lobe amount and roughness.
        opacity_threshold: (1,) cut-out threshold: opacity below it is fully transparent.
        ior_value: (1,) index of refraction. displacement_value: (1,) along the normal.
        transmittance_value: (1,) fraction of light transmitted (another shader convention than opacity).
        specular_texture: (3, H, W); roughness_texture, metallic_texture, opacity_texture,
            clearcoat_texture, clearcoat_roughness_texture, ior_texture, displacement_texture,
            transmittance_texture: (1, H, W).
        normals_texture: (3, H, W) tangent-space normal map in [-1, 1].
        is_specular_workflow: True when ``specular_color`` is meant instead of ``metallic_value``.
        material_name: the material's name in the file ('' when it has none).
        wrap_mode: how the textures are sampled outside UV [0, 1]: ``"repeat"``, ``"mirror"`` or
            ``"clamp"``, or a ``(u, v)`` pair of them (glTF's ``wrapS``/``wrapT``); None means
            ``"repeat"``, the default of glTF and OBJ/MTL. :class:`~kaolin_pipeline.render.DIBRenderer`
            applies it; Kaolin's own ``texture_mapping`` (the Kaolin layer) always clamps.
        diffuse_colorspace, ..., transmittance_colorspace: one per texture, one of :data:`COLORSPACES`
            (``'sRGB'`` only for diffuse, specular and normals), ``'auto'`` by default: the colour space a
            file declares for that texture (USD's ``sourceColorSpace``). Textures are stored as read.
        shader_name: the shader the material came from or is written as (``'UsdPreviewSurface'``).
    """

    diffuse_color: Optional[torch.Tensor] = None
    diffuse_texture: Optional[torch.Tensor] = None
    specular_color: Optional[torch.Tensor] = None
    specular_texture: Optional[torch.Tensor] = None
    roughness_value: Optional[torch.Tensor] = None
    roughness_texture: Optional[torch.Tensor] = None
    metallic_value: Optional[torch.Tensor] = None
    metallic_texture: Optional[torch.Tensor] = None
    opacity_value: Optional[torch.Tensor] = None
    opacity_texture: Optional[torch.Tensor] = None
    normals_texture: Optional[torch.Tensor] = None
    is_specular_workflow: bool = False
    material_name: str = ""
    wrap_mode: Optional[str | tuple[str, str]] = None
    clearcoat_value: Optional[torch.Tensor] = None
    clearcoat_texture: Optional[torch.Tensor] = None
    clearcoat_roughness_value: Optional[torch.Tensor] = None
    clearcoat_roughness_texture: Optional[torch.Tensor] = None
    opacity_threshold: Optional[torch.Tensor] = None
    ior_value: Optional[torch.Tensor] = None
    ior_texture: Optional[torch.Tensor] = None
    displacement_value: Optional[torch.Tensor] = None
    displacement_texture: Optional[torch.Tensor] = None
    transmittance_value: Optional[torch.Tensor] = None
    transmittance_texture: Optional[torch.Tensor] = None
    diffuse_colorspace: str = "auto"
    roughness_colorspace: str = "auto"
    metallic_colorspace: str = "auto"
    clearcoat_colorspace: str = "auto"
    clearcoat_roughness_colorspace: str = "auto"
    opacity_colorspace: str = "auto"
    ior_colorspace: str = "auto"
    specular_colorspace: str = "auto"
    normals_colorspace: str = "auto"
    displacement_colorspace: str = "auto"
    transmittance_colorspace: str = "auto"
    shader_name: str = "UsdPreviewSurface"

    VALUE_SIZES = {"diffuse_color": 3, "roughness_value": 1, "metallic_value": 1, "clearcoat_value": 1,
                   "clearcoat_roughness_value": 1, "opacity_value": 1, "opacity_threshold": 1, "ior_value": 1,
                   "specular_color": 3, "displacement_value": 1, "transmittance_value": 1}
    """Value fields and their number of entries (Kaolin's order)."""
    TEXTURE_CHANNELS = {"diffuse_texture": 3, "roughness_texture": 1, "metallic_texture": 1,
                        "clearcoat_texture": 1, "clearcoat_roughness_texture": 1, "opacity_texture": 1,
                        "ior_texture": 1, "specular_texture": 3, "normals_texture": 3, "displacement_texture": 1,
                        "transmittance_texture": 1}
    """Texture fields and their number of channels (Kaolin's order)."""
    COLORSPACE_FIELDS = tuple(name.replace("_texture", "_colorspace") for name in TEXTURE_CHANNELS)
    """The ``*_colorspace`` fields, one per texture."""
    _SRGB_ALLOWED = ("diffuse_colorspace", "specular_colorspace", "normals_colorspace", "displacement_colorspace")

    def __post_init__(self) -> None:
        for name, size in self.VALUE_SIZES.items():
            value = _vector(getattr(self, name), size)
            if value is not None and value.shape != (size,):
                raise PipelineError(f"PBRMaterial: {name} must have {size} value(s), got shape {tuple(value.shape)}")
            setattr(self, name, value)
        for name in self.TEXTURE_CHANNELS:
            texture = getattr(self, name)
            if texture is not None and texture.dim() != 3:
                raise PipelineError(f"PBRMaterial: {name} must be a 3-dimensional image, got shape "
                                    f"{tuple(texture.shape)}")
        for name in self.COLORSPACE_FIELDS:
            allowed = COLORSPACES if name in self._SRGB_ALLOWED else COLORSPACES[:2]
            if getattr(self, name) not in allowed:
                raise PipelineError(f"PBRMaterial: {name} must be one of {allowed}, got {getattr(self, name)!r}")

    @classmethod
    def supported_texture_attributes(cls) -> list[str]:
        """Names of the texture fields (Kaolin's)."""
        return list(cls.TEXTURE_CHANNELS)

    @classmethod
    def supported_tensor_attributes(cls) -> list[str]:
        """Names of the texture and value fields (Kaolin's)."""
        return list(cls.TEXTURE_CHANNELS) + list(cls.VALUE_SIZES)

    def __eq__(self, other) -> bool:
        """Same type and every field equal (tensors by value, shape and dtype included)."""
        if type(other) is not type(self):
            return NotImplemented
        def same(a, b):
            if torch.is_tensor(a) or torch.is_tensor(b):
                return torch.is_tensor(a) and torch.is_tensor(b) and a.dtype == b.dtype and torch.equal(a, b.to(a.device))
            return a == b
        return all(same(getattr(self, f.name), getattr(other, f.name)) for f in dataclasses.fields(self))

    def get_attributes(self, only_tensors: bool = False) -> list[str]:
        """Names of the fields that are set (only the tensor ones with ``only_tensors``), as Kaolin's."""
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None
                and (not only_tensors or torch.is_tensor(getattr(self, f.name)))]

    def map_tensors(self, function, fields=None) -> "PBRMaterial":
        """Copy with ``function`` applied to the set tensor fields (or to those of ``fields`` that are set)."""
        names = self.get_attributes(only_tensors=True) if fields is None else fields
        return dataclasses.replace(self, **{name: function(getattr(self, name)) for name in names
                                            if getattr(self, name) is not None})

    def to(self, device=None, dtype=None) -> "PBRMaterial":
        """Copy with every tensor on ``device`` (cast to ``dtype`` if given)."""
        return _move(self, device, dtype)

    def cpu(self, memory_format=torch.preserve_format) -> "PBRMaterial":
        """Copy on the CPU (Kaolin's ``PBRMaterial.cpu``)."""
        return self.map_tensors(lambda tensor: tensor.cpu(memory_format=memory_format))

    def cuda(self, device=None, non_blocking: bool = False, memory_format=torch.preserve_format) -> "PBRMaterial":
        """Copy on a CUDA device (Kaolin's ``PBRMaterial.cuda``)."""
        return self.map_tensors(lambda tensor: tensor.cuda(device=device, non_blocking=non_blocking,
                                                      memory_format=memory_format))

    def contiguous(self, memory_format=torch.contiguous_format) -> "PBRMaterial":
        """Copy with every tensor contiguous in memory."""
        return self.map_tensors(lambda tensor: tensor.contiguous(memory_format=memory_format))

    def hwc(self) -> "PBRMaterial":
        """Copy with the textures ``(H, W, C)``; as Kaolin, a texture whose first size is not 1, 3 or 4 is taken
        to be ``(H, W, C)`` already and kept."""
        return self.map_tensors(lambda tensor: tensor.permute(1, 2, 0) if tensor.shape[0] in (1, 3, 4) else tensor,
                           self.TEXTURE_CHANNELS)

    def chw(self) -> "PBRMaterial":
        """Copy with the textures ``(C, H, W)``; as Kaolin, a texture whose last size is not 1, 3 or 4 is taken to
        be ``(C, H, W)`` already and kept."""
        return self.map_tensors(lambda tensor: tensor.permute(2, 0, 1) if tensor.shape[2] in (1, 3, 4) else tensor,
                           self.TEXTURE_CHANNELS)

    def describe_attribute(self, attr: str, print_stats: bool = False, detailed: bool = False) -> str:
        """One line on field ``attr`` (empty for an unset field, a colour space left ``'auto'`` and a false
        flag); values print their numbers after the tensor description."""
        if attr not in self.__slots__:
            raise PipelineError(f"PBRMaterial.describe_attribute: no field {attr!r}")
        value = getattr(self, attr)
        label = f"{attr: >33}"
        if torch.is_tensor(value):
            line = tensor_info(value, name=label, print_stats=print_stats, detailed=detailed)
            return f"{line} {value}" if attr in self.VALUE_SIZES else line
        if attr in self.COLORSPACE_FIELDS:
            return f"{label}: {value}" if value != "auto" else ""
        return f"{label}: {value}" if value else ""

    def to_string(self, print_stats: bool = False, detailed: bool = False) -> str:
        """The set fields, one line each (Kaolin's layout: name, flags, tensors, colour spaces)."""
        lines = ["PBRMaterial object with", self.describe_attribute("material_name"),
                 self.describe_attribute("is_specular_workflow"), self.describe_attribute("shader_name")]
        lines += [self.describe_attribute(name, print_stats, detailed)
                  for name in self.get_attributes(only_tensors=True)]
        lines += [self.describe_attribute(name) for name in self.COLORSPACE_FIELDS]
        return "\n".join(line for line in lines if line)

    def __str__(self) -> str:
        return self.to_string()

    def as_dict(self) -> dict:
        """Plain dict of the fields that are set and ``classname: 'pbr'`` (Kaolin's), e.g. for ``torch.save``
        files read with ``weights_only=True``; :meth:`from_dict` and :meth:`Material.from_dict` invert it."""
        return {"classname": "pbr", **{field.name: getattr(self, field.name) for field in dataclasses.fields(self)
                                       if getattr(self, field.name) is not None}}

    @classmethod
    def from_dict(cls, in_dict: dict) -> "PBRMaterial":
        """The material of a dict written by :meth:`as_dict` (with or without its ``classname``)."""
        return cls(**{name: value for name, value in in_dict.items() if name != "classname"})


@dataclasses.dataclass(frozen=True)
class Appearance:
    """How a mesh's surface is coloured, in one normal form (:attr:`Mesh.appearance`).

    Either ``materials`` with ``material_assignments`` colour the faces (a mesh's single ``texture`` is one
    material with that diffuse texture, assigned to every face), or ``vertex_colors`` do, or nothing does
    (white). ``kind`` names the case, so renderers, writers and viewers ask one question.

    Attributes:
        materials: M :class:`PBRMaterial`, or None.
        material_assignments: (F,) long index into ``materials`` per face (-1: none), with ``materials``.
        vertex_colors: (V, 3) in [0, 1], or None; they colour the surface when ``materials`` is None
            (writers that store both keep them next to materials).
        single_texture: True when ``materials`` is the one material made of the mesh's ``texture``
            (no ``materials`` of its own): formats with a plain "one texture" form write that form.
    """

    materials: Optional[List[PBRMaterial]] = None
    material_assignments: Optional[torch.Tensor] = None
    vertex_colors: Optional[torch.Tensor] = None
    single_texture: bool = False

    @property
    def kind(self) -> str:
        """``'materials'``, ``'vertex_colors'`` or ``'none'``."""
        if self.materials is not None:
            return "materials"
        return "vertex_colors" if self.vertex_colors is not None else "none"

    @property
    def texture(self) -> Optional[torch.Tensor]:
        """The (3, H, W) texture of the single-texture case, else None."""
        return self.materials[0].diffuse_texture if self.single_texture else None


@dataclasses.dataclass
class Mesh:
    """A triangle mesh.

    Attributes:
        vertices: (V, 3) float32 positions.
        faces: (F, 3) int64 vertex indices, counter-clockwise seen from outside.
        uvs: optional (T, 2) float32 texture coordinates, origin at the bottom-left of the texture.
        face_uvs_idx: optional (F, 3) int64 indices into ``uvs``.
        vertex_colors: optional (V, 3) float32 in [0, 1].
        vertex_normals: optional (V, 3) float32 unit normals.
        normals: optional (N, 3) float32 normals as a file indexes them per corner (OBJ ``vn``), with
        face_normals_idx: (F, 3) int64 index into ``normals`` per face corner (Kaolin's layout). Loaders fill
            both only from files that give every corner a normal; code that moves vertices drops them.
        vertex_tangents: optional (V, 3) float32 unit tangents (the direction of increasing ``u``, times the
            bitangent's handedness), as glTF files store them; code that moves vertices drops them.
        texture: optional (3, H, W) float32 diffuse texture in [0, 1], row 0 at the top of the image:
            the single-texture case (one texture over the whole mesh).
        materials: optional list of M :class:`PBRMaterial` (Kaolin's ``SurfaceMesh.materials``).
        material_assignments: optional (F,) int64 index into ``materials`` per face, -1 for none.

    Materials: when ``materials`` is set, rendering and the writers use it (each face with its
    material; faces assigned -1 render white) and ignore ``texture``. Loaders give a file's
    materials this way and, when every face uses one material that has a diffuse texture, also
    set ``texture`` to that same tensor, so code written for one texture keeps working. A mesh
    without ``materials`` is the single-texture case: ``texture`` (or ``vertex_colors``) colours
    every face, and writers store it as one material. :attr:`appearance` gives this rule's answer in one
    normal form; the renderer, the writers and the viewer ask it rather than the fields.
    """

    vertices: torch.Tensor
    faces: torch.Tensor
    uvs: Optional[torch.Tensor] = None
    face_uvs_idx: Optional[torch.Tensor] = None
    vertex_colors: Optional[torch.Tensor] = None
    vertex_normals: Optional[torch.Tensor] = None
    texture: Optional[torch.Tensor] = None
    materials: Optional[List[PBRMaterial]] = None
    material_assignments: Optional[torch.Tensor] = None
    normals: Optional[torch.Tensor] = None
    face_normals_idx: Optional[torch.Tensor] = None
    vertex_tangents: Optional[torch.Tensor] = None

    @property
    def num_vertices(self) -> int:
        return int(self.vertices.shape[0])

    @property
    def num_faces(self) -> int:
        return int(self.faces.shape[0])

    @property
    def appearance(self) -> Appearance:
        """The mesh's colouring in its normal form (see :class:`Appearance`): its ``materials`` when set;
        else its ``texture`` (with ``uvs`` and ``face_uvs_idx``) as one material over every face; else its
        ``vertex_colors``; else none."""
        if self.materials is not None:
            assignments = self.material_assignments
            if assignments is None:
                assignments = torch.zeros(self.num_faces, dtype=torch.long, device=self.faces.device)
            return Appearance(list(self.materials), assignments, self.vertex_colors)
        if self.texture is not None and self.uvs is not None and self.face_uvs_idx is not None:
            return Appearance([PBRMaterial(diffuse_texture=self.texture)],
                              torch.zeros(self.num_faces, dtype=torch.long, device=self.faces.device),
                              self.vertex_colors, single_texture=True)
        return Appearance(vertex_colors=self.vertex_colors)

    def with_vertices(self, vertices: torch.Tensor) -> "Mesh":
        """Copy with ``vertices`` (V, 3) moved, and the normals and tangents they invalidate (``vertex_normals``,
        ``normals``/``face_normals_idx``, ``vertex_tangents``) dropped; faces, UVs, colours and materials are kept."""
        return dataclasses.replace(self, vertices=vertices, vertex_normals=None, normals=None, face_normals_idx=None,
                                   vertex_tangents=None)

    def two_sided(self) -> "Mesh":
        """Copy that shows every face from both sides, as most viewers draw open surfaces (scans, shells)
        and faces wound inwards: each face gets a twin wound the other way on a second copy of the
        vertices, so each side has its own vertex normals. UVs, colours and materials follow their faces.

        Returns:
            :class:`Mesh` with vertices (2V, 3) and faces (2F, 3); the first F faces are this mesh's.
        """
        def doubled(values):
            return None if values is None else torch.cat([values, values])

        def twin(index: Optional[torch.Tensor], count: int) -> Optional[torch.Tensor]:
            return None if index is None else torch.cat([index, index.flip(-1) + count])

        return dataclasses.replace(
            self, vertices=doubled(self.vertices), faces=twin(self.faces, self.num_vertices),
            face_uvs_idx=twin(self.face_uvs_idx, 0),
            vertex_colors=doubled(self.vertex_colors),
            vertex_normals=None if self.vertex_normals is None else torch.cat([self.vertex_normals, -self.vertex_normals]),
            vertex_tangents=doubled(self.vertex_tangents),
            material_assignments=doubled(self.material_assignments),
            normals=None if self.normals is None else torch.cat([self.normals, -self.normals]),
            face_normals_idx=twin(self.face_normals_idx, 0 if self.normals is None else int(self.normals.shape[0])))

    def to(self, device=None, dtype=None) -> "Mesh":
        """Copy with every tensor on ``device`` (floating fields cast to ``dtype`` if given)."""
        return _move(self, device, dtype)


@dataclasses.dataclass
class PointCloud:
    """A point cloud.

    Attributes:
        points: (N, 3) float32 positions.
        normals: optional (N, 3) float32 unit normals.
        colors: optional (N, 3) float32 in [0, 1].
    """

    points: torch.Tensor
    normals: Optional[torch.Tensor] = None
    colors: Optional[torch.Tensor] = None

    @property
    def num_points(self) -> int:
        return int(self.points.shape[0])

    def to(self, device=None, dtype=None) -> "PointCloud":
        """Copy with every tensor on ``device`` (floating fields cast to ``dtype`` if given)."""
        return _move(self, device, dtype)


@dataclasses.dataclass
class VoxelGrid:
    """A dense occupancy grid and the axis-aligned world box it covers.

    Voxel ``(i, j, k)`` covers ``origin + size * [i, i+1] x [j, j+1] x [k, k+1] / R``
    along x, y, z respectively.

    Attributes:
        occupancy: (R, R, R) bool, indexed [x, y, z].
        origin: (3,) float32 world position of the grid's minimum corner.
        size: edge length of the (cubic) world box covered by the grid.
    """

    occupancy: torch.Tensor
    origin: torch.Tensor = dataclasses.field(default_factory=lambda: torch.zeros(3))
    size: float = 1.0

    @property
    def resolution(self) -> int:
        return int(self.occupancy.shape[0])

    @property
    def voxel_size(self) -> float:
        return self.size / self.resolution

    def to(self, device=None, dtype=None) -> "VoxelGrid":
        """Copy with every tensor on ``device`` (floating fields cast to ``dtype`` if given)."""
        return _move(self, device, dtype)
