"""The viewer's data model: items (one logged object through its iterations), each frame encoded compactly.

A *scene* is the JSON-ready dict the page reads::

    {"title": str, "subtitle": str,
     "items": [item, ...],                 # what the 3D view can show
     "textures": [data URI, ...],          # shared, deduplicated (identical textures are stored once)
     "curves": {"steps": [...], "columns": {name: [...]}} | None,   # loss curves under the view
     "camera": {"azimuth": degrees} (optional: the view the page opens with)}

    item = {"category": str, "kind": "mesh" | "pointcloud" | "voxelgrid", "id": int, "role": str,
            "iterations": [int, ...], "frames": [frame, ...], "center": [3], "radius": float,
            "faces", "uvs", "face_uvs": encodings shared by every frame (when the topology is fixed)}

A mesh frame holds ``positions`` (quantised), optionally ``faces``/``uvs``/``face_uvs`` (only
when they differ from the item's), ``colors`` (uint8), ``texture`` (an index into
``textures``) and, for meshes with several materials, ``materials`` (``{"texture": index}`` or
``{"color": [r, g, b]}`` each) with ``material_assignments`` (F, 1) = material index + 1 (0: none); a point cloud frame ``positions`` and ``colors``; a voxel grid frame the
occupied ``indices`` (uint16, exact), ``origin`` and ``voxel_size``. See :mod:`.encode`.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Optional, Sequence, Union

import torch

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.structures import Mesh, PointCloud, VoxelGrid
from kaolin_pipeline.visualize.encode import data_uri, image_bytes, pack_colors, pack_indices, quantize

Shape = Union[Mesh, PointCloud, VoxelGrid]
KIND_OF = {Mesh: "mesh", PointCloud: "pointcloud", VoxelGrid: "voxelgrid"}
PNG_MAX_PIXELS = 128 * 128  # textures up to this size stay lossless PNG; larger ones become JPEG


class TexturePool:
    """Deduplicated texture data URIs; ``add`` returns the index of a texture in :attr:`uris`."""

    def __init__(self):
        self.uris: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, texture: torch.Tensor) -> int:
        lossless = texture.shape[-1] * texture.shape[-2] <= PNG_MAX_PIXELS
        data = image_bytes(texture, "PNG" if lossless else "JPEG")
        key = hashlib.sha1(data).hexdigest()
        if key not in self._index:
            self._index[key] = len(self.uris)
            self.uris.append(data_uri(data, "image/png" if lossless else "image/jpeg"))
        return self._index[key]


def kind_of(shape: Shape) -> str:
    """``'mesh'``, ``'pointcloud'`` or ``'voxelgrid'``; raises ``ConfigError`` for anything else."""
    for cls, kind in KIND_OF.items():
        if isinstance(shape, cls):
            return kind
    raise ConfigError(f"cannot show a {type(shape).__name__}: expected a Mesh, PointCloud or VoxelGrid")


def voxel_centers(grid: VoxelGrid) -> torch.Tensor:
    """World positions (M, 3) of the occupied voxels' centres."""
    indices = grid.occupancy.nonzero().to(torch.float64)
    return grid.origin.to(torch.float64) + (indices + 0.5) * grid.voxel_size


def shape_points(shape: Shape) -> torch.Tensor:
    """(N, 3) positions that bound ``shape`` (vertices, points or voxel corners)."""
    if isinstance(shape, Mesh):
        return shape.vertices.detach().to(torch.float64)
    if isinstance(shape, PointCloud):
        return shape.points.detach().to(torch.float64)
    centers = voxel_centers(shape)
    half = shape.voxel_size / 2
    return torch.cat([centers - half, centers + half]) if len(centers) else shape.origin.to(torch.float64)[None]


def framing(shape: Shape) -> tuple[list[float], float]:
    """Centre of the bounding box of ``shape`` and the distance from it to the farthest point (> 0)."""
    points = shape_points(shape).cpu()
    if not len(points):
        return [0.0, 0.0, 0.0], 1.0
    center = (points.min(0).values + points.max(0).values) / 2
    radius = float((points - center).norm(dim=1).max())
    return center.tolist(), radius if radius > 0 else 1.0


def _material(material, textures: TexturePool) -> dict:
    """One material as the page draws it: its diffuse texture (an index into the pool) or its diffuse colour."""
    if material.diffuse_texture is not None:
        return {"texture": textures.add(material.diffuse_texture)}
    if material.diffuse_color is not None:
        return {"color": [float(v) for v in material.diffuse_color.clamp(0, 1).tolist()]}
    return {}


def encode_frame(shape: Shape, textures: TexturePool) -> dict:
    """One frame of an item (see the module docstring)."""
    if isinstance(shape, Mesh):
        frame = {"positions": quantize(shape.vertices, "vertices"), "faces": pack_indices(shape.faces, "faces")}
        appearance = shape.appearance
        if shape.uvs is not None and shape.face_uvs_idx is not None:
            frame["uvs"] = quantize(shape.uvs, "uvs")
            frame["face_uvs"] = pack_indices(shape.face_uvs_idx, "face_uvs_idx")
        if appearance.single_texture:  # the page's plain one-texture form
            frame["texture"] = textures.add(appearance.texture)
        if appearance.vertex_colors is not None:
            frame["colors"] = pack_colors(appearance.vertex_colors, "vertex_colors")
        if appearance.materials and not appearance.single_texture:
            frame["materials"] = [_material(material, textures) for material in appearance.materials]
            assignments = appearance.material_assignments
            frame["material_assignments"] = pack_indices(assignments + 1, "material_assignments")  # -1 (none) → 0
        return frame
    if isinstance(shape, PointCloud):
        frame = {"positions": quantize(shape.points, "points")}
        if shape.colors is not None:
            frame["colors"] = pack_colors(shape.colors, "colors")
        return frame
    kind_of(shape)
    return {"indices": pack_indices(shape.occupancy.nonzero(), "occupancy"),
            "origin": shape.origin.detach().to(torch.float64).cpu().tolist(), "voxel_size": float(shape.voxel_size)}


SHARED_KEYS = ("faces", "uvs", "face_uvs", "material_assignments")


def make_item(shapes: Iterable[Shape], iterations: Sequence[int], textures: TexturePool, category: str = "",
              id: int = 0, role: str = "prediction", extra: Optional[dict] = None) -> dict:
    """An item from the same object's ``shapes`` at ``iterations`` (one shape per iteration, all of one kind).

    ``shapes`` may be a generator: each shape is encoded as it comes and only the last one is
    kept (for the framing), so a long log never sits in memory as tensors. Topology (faces,
    UVs, material assignments) equal in every frame is stored once on the item.
    """
    frames, kinds, last = [], set(), None
    for shape in shapes:
        kinds.add(kind_of(shape))
        frames.append(encode_frame(shape, textures))
        last = shape
    if not frames or len(frames) != len(iterations):
        raise ConfigError(f"make_item: need one shape per iteration, got {len(frames)} shapes, {len(iterations)} iterations")
    if len(kinds) != 1:
        raise ConfigError(f"make_item: the frames of one item must be of one kind, got {sorted(kinds)}")
    item = {"category": category, "kind": kinds.pop(), "id": int(id), "role": role,
            "iterations": [int(i) for i in iterations]}
    for key in SHARED_KEYS:
        values = [frame.get(key) for frame in frames]
        if values[0] is not None and all(value == values[0] for value in values):
            item[key] = values[0]
            for frame in frames:
                del frame[key]
    item["frames"] = frames
    item["center"], item["radius"] = framing(last)
    item.update(extra or {})
    return item


def shape_stats(shape: Shape) -> dict:
    """Counts and bounding box of ``shape`` for the viewer's info panel."""
    points = shape_points(shape).cpu()
    stats: dict = {}
    if isinstance(shape, Mesh):
        stats.update(vertices=shape.num_vertices, faces=shape.num_faces, textured=shape.texture is not None,
                     vertex_colors=shape.vertex_colors is not None)
    elif isinstance(shape, PointCloud):
        stats.update(points=shape.num_points, colors=shape.colors is not None)
    else:
        stats.update(resolution=shape.resolution, occupied=int(shape.occupancy.sum()))
    if len(points):
        stats["bbox_min"] = [round(v, 6) for v in points.min(0).values.tolist()]
        stats["bbox_max"] = [round(v, 6) for v in points.max(0).values.tolist()]
    return stats


def new_scene(title: str, subtitle: str = "") -> dict:
    """An empty scene (see the module docstring)."""
    return {"title": title, "subtitle": subtitle, "items": [], "textures": [], "curves": None}


def scene_of_shapes(shapes: Sequence[Shape], title: str = "shapes", names: Optional[Sequence[str]] = None) -> dict:
    """A scene showing each of ``shapes`` as its own item (category = its name, one iteration)."""
    textures = TexturePool()
    scene = new_scene(title)
    for index, shape in enumerate(shapes):
        name = names[index] if names else f"{kind_of(shape)}_{index}"
        scene["items"].append(make_item([shape], [0], textures, category=name, id=0,
                                        extra={"stats": shape_stats(shape)}))
    scene["textures"] = textures.uris
    return scene


def is_shape(value) -> bool:
    return isinstance(value, (Mesh, PointCloud, VoxelGrid))

