"""Containers of tensors for the three 3D representations: meshes, point clouds, voxel grids.

They hold tensors and nothing else; loaders fill them, ops and the renderer read
their fields. Shapes follow Kaolin's conventions.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

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
    return dataclasses.replace(obj, **changes)


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
        texture: optional (3, H, W) float32 diffuse texture in [0, 1], row 0 at the top of the image.
    """

    vertices: torch.Tensor
    faces: torch.Tensor
    uvs: Optional[torch.Tensor] = None
    face_uvs_idx: Optional[torch.Tensor] = None
    vertex_colors: Optional[torch.Tensor] = None
    vertex_normals: Optional[torch.Tensor] = None
    texture: Optional[torch.Tensor] = None

    @property
    def num_vertices(self) -> int:
        return int(self.vertices.shape[0])

    @property
    def num_faces(self) -> int:
        return int(self.faces.shape[0])

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
