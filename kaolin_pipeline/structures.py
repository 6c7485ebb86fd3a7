"""Containers of tensors for the three 3D representations (meshes, point clouds, voxel grids) and materials.

They hold tensors and nothing else; loaders fill them, ops and the renderer read
their fields. Shapes and names follow Kaolin's conventions.
"""
from __future__ import annotations

import dataclasses
from typing import List, Optional

import torch


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


@dataclasses.dataclass(eq=False)
class PBRMaterial:
    """A physically based surface material, with the field names of Kaolin's ``kaolin.render.materials.PBRMaterial``.

    Only what a file gives is set; every other field is None. Colours are linear floats in [0, 1];
    textures are ``(C, H, W)`` float32 (row 0 = top of the image, addressed by the mesh's UVs whose
    origin is the image's bottom-left), the layout Kaolin documents (Kaolin's OBJ importer returns
    ``(H, W, C)``; its ``PBRMaterial.chw()`` converts).

    Attributes:
        diffuse_color: (3,) diffuse / base colour.
        diffuse_texture: (3, H, W) in [0, 1]. Rendering uses it instead of ``diffuse_color`` when both are set.
        specular_color: (3,) specular colour (specular workflow; MTL ``Ks``).
        roughness_value, metallic_value, opacity_value: (1,) in [0, 1].
        specular_texture: (3, H, W); roughness_texture, metallic_texture, opacity_texture: (1, H, W) in [0, 1].
        normals_texture: (3, H, W) tangent-space normal map in [-1, 1].
        is_specular_workflow: True when ``specular_color`` is meant instead of ``metallic_value``.
        material_name: the material's name in the file ('' when it has none).
        wrap_mode: how the textures are sampled outside UV [0, 1]: ``"repeat"``, ``"mirror"`` or
            ``"clamp"``, or a ``(u, v)`` pair of them (glTF's ``wrapS``/``wrapT``); None means
            ``"repeat"``, the default of glTF and OBJ/MTL. :class:`~kaolin_pipeline.render.DIBRenderer`
            applies it; Kaolin's own ``texture_mapping`` (the Kaolin layer) always clamps.
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

    VALUE_SIZES = {"diffuse_color": 3, "specular_color": 3, "roughness_value": 1, "metallic_value": 1,
                   "opacity_value": 1}
    """Value fields and their number of entries."""
    TEXTURE_CHANNELS = {"diffuse_texture": 3, "specular_texture": 3, "roughness_texture": 1,
                        "metallic_texture": 1, "opacity_texture": 1, "normals_texture": 3}
    """Texture fields and their number of channels."""

    def __post_init__(self) -> None:
        for name, size in self.VALUE_SIZES.items():
            setattr(self, name, _vector(getattr(self, name), size))

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

    def to(self, device=None, dtype=None) -> "PBRMaterial":
        """Copy with every tensor on ``device`` (cast to ``dtype`` if given)."""
        return _move(self, device, dtype)

    def cpu(self) -> "PBRMaterial":
        """Copy on the CPU (Kaolin's ``PBRMaterial.cpu``)."""
        return self.to("cpu")

    def cuda(self, device=None) -> "PBRMaterial":
        """Copy on a CUDA device (Kaolin's ``PBRMaterial.cuda``)."""
        return self.to("cuda" if device is None else device)

    def as_dict(self) -> dict:
        """Plain dict of the fields that are set (tensors, name, workflow flag), e.g. for
        ``torch.save`` files read with ``weights_only=True``; :meth:`from_dict` inverts it."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)
                if getattr(self, field.name) is not None}

    @classmethod
    def from_dict(cls, fields: dict) -> "PBRMaterial":
        """The material of a dict written by :meth:`as_dict`."""
        return cls(**fields)


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
        """Copy with ``vertices`` (V, 3) moved, and the normals they invalidate (``vertex_normals``,
        ``normals``/``face_normals_idx``) dropped; faces, UVs, colours and materials are kept."""
        return dataclasses.replace(self, vertices=vertices, vertex_normals=None, normals=None, face_normals_idx=None)

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
