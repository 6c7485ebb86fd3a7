"""PLY and STL meshes through trimesh, and the trimesh conversions OFF and glTF share.

Files are read with ``process=False``: vertices keep the file's order and are never
merged or split. PLY gives ``vertices (V, 3)``, ``faces (F, 3)`` (polygons fan-triangulated
by trimesh), and when stored ``vertex_normals (V, 3)``, ``vertex_colors (V, 3)`` in [0, 1]
(from 8-bit or float colours) and per-vertex ``uvs (V, 2)`` with ``face_uvs_idx == faces``
(UV origin at the bottom-left, as stored). STL stores triangles only, each with its own
three corners, so its ``V == 3 F``; it carries no normals, colours or UVs. Winding is the
file's (counter-clockwise seen from outside for well-formed files). No units are stored;
coordinates are returned as written.

Writing: PLY stores positions, faces, vertex colours (8-bit) and vertex normals; STL stores
positions and faces only (binary STL).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch

from kaolin_pipeline.io._fileutil import (
    PathLike,
    atomic_path,
    float_tensor,
    long_tensor,
    reading,
    to_numpy,
    unit_colors,
)
from kaolin_pipeline.io.textures import image_to_texture, texture_to_image
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import LoadError

TRIMESH_MESH_EXTENSIONS = (".off", ".ply", ".stl", ".glb", ".gltf")


def read_with_trimesh(path: Path, ext: str) -> Mesh:
    """Mesh from a PLY / STL / OFF file (``ext``)."""
    import trimesh

    with reading(path, f"{ext[1:].upper()} mesh"):
        loaded = trimesh.load(str(path), file_type=ext[1:], process=False)
        if isinstance(loaded, trimesh.Scene):
            if not loaded.geometry:
                raise LoadError(f"{path}: file contains no geometry (corrupt or truncated?)")
            loaded = loaded.to_geometry()
        if not isinstance(loaded, trimesh.Trimesh):
            raise LoadError(
                f"{path}: file holds a {type(loaded).__name__}, not a triangle mesh "
                "(for a point cloud use load_pointcloud)"
            )
        return _mesh_from_trimesh(loaded, path)


def _mesh_from_trimesh(tm, source: Path) -> Mesh:
    """Convert a ``trimesh.Trimesh`` (any visual kind) into a :class:`Mesh`."""
    faces = long_tensor(tm.faces.reshape(-1, 3))
    mesh = Mesh(vertices=float_tensor(tm.vertices.reshape(-1, 3)), faces=faces)
    if has_stored_normals(tm):
        mesh.vertex_normals = float_tensor(tm.vertex_normals)
    visual = tm.visual
    if visual.kind == "vertex":
        mesh.vertex_colors = torch.from_numpy(unit_colors(visual.vertex_colors, "vertex colors", source))
    elif visual.kind == "texture" and getattr(visual, "uv", None) is not None and len(visual.uv) == len(tm.vertices):
        mesh.uvs = float_tensor(visual.uv)
        mesh.face_uvs_idx = faces.clone()
        image = material_image(visual.material)
        if image is not None:
            mesh.texture = image_to_texture(image)
    return mesh


def has_stored_normals(tm) -> bool:
    """Whether a freshly loaded ``trimesh.Trimesh`` holds vertex normals read from the file.

    trimesh computes normals lazily, so only ones already in its cache came from the file. The
    cache's plain dict is asked (``in tm._cache`` would first hash every array: 0.4 s at 1M faces).
    """
    return "vertex_normals" in tm._cache.cache


def material_image(material):
    """The diffuse / base-colour image of a trimesh material, or None."""
    for name in ("baseColorTexture", "image"):
        image = getattr(material, name, None)
        if image is not None:
            return image
    return None


def split_by_uv(mesh: Mesh, source: PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One vertex per distinct (position, UV) corner pair, for formats that store one UV per vertex.

    Returns:
        ``(vertex_index (V',), vertices (V', 3), uvs (V', 2), faces (F, 3))`` where
        ``vertex_index`` maps each new vertex to the original one.
    """
    faces = to_numpy(mesh.faces, "faces", source, np.int64)
    face_uvs = to_numpy(mesh.face_uvs_idx, "face_uvs_idx", source, np.int64)
    pairs = np.stack([faces.reshape(-1), face_uvs.reshape(-1)], axis=1)
    unique_pairs, inverse = np.unique(pairs, axis=0, return_inverse=True)
    vertices = to_numpy(mesh.vertices, "vertices", source, np.float32)[unique_pairs[:, 0]]
    uvs = to_numpy(mesh.uvs, "uvs", source, np.float32)[unique_pairs[:, 1]]
    return unique_pairs[:, 0], vertices, uvs, inverse.reshape(-1, 3)


def write_with_trimesh(path: Path, ext: str, mesh: Mesh) -> None:
    """Write OFF / PLY / STL / GLB / glTF through trimesh."""
    import trimesh

    tm = _trimesh_from_mesh(mesh, path, keep_texture=ext in (".glb", ".gltf"))
    has_normals = mesh.vertex_normals is not None
    with atomic_path(path) as temp:
        if ext == ".gltf":
            # one self-contained file: buffers and images embedded as base64
            files = trimesh.exchange.gltf.export_gltf(tm, include_normals=has_normals, embed_buffers=True)
            temp.write_bytes(files["model.gltf"])
        elif ext == ".glb":
            tm.export(str(temp), file_type="glb", include_normals=has_normals)
        elif ext == ".ply":
            tm.export(str(temp), file_type="ply", vertex_normal=has_normals)
        else:
            tm.export(str(temp), file_type=ext[1:])


def _trimesh_from_mesh(mesh: Mesh, source: Path, keep_texture: bool):
    """A ``trimesh.Trimesh`` holding ``mesh``; textured meshes are split by UV when ``keep_texture``."""
    import trimesh

    vertices = to_numpy(mesh.vertices, "vertices", source, np.float64)
    faces = to_numpy(mesh.faces, "faces", source, np.int64)
    normals: Optional[np.ndarray] = None
    if mesh.vertex_normals is not None:
        normals = to_numpy(mesh.vertex_normals, "vertex_normals", source, np.float64)
    colors: Optional[np.ndarray] = None
    if mesh.vertex_colors is not None:
        colors = np.round(np.clip(to_numpy(mesh.vertex_colors, "vertex_colors", source, np.float64), 0, 1) * 255)
        colors = colors.astype(np.uint8)
    if keep_texture and mesh.uvs is not None:
        index, split_vertices, uvs, faces = split_by_uv(mesh, source)
        vertices = split_vertices.astype(np.float64)
        normals = None if normals is None else normals[index]
        image = None if mesh.texture is None else texture_to_image(mesh.texture, source)
        visual = trimesh.visual.TextureVisuals(uv=uvs, image=image)
        return trimesh.Trimesh(vertices, faces, vertex_normals=normals, visual=visual, process=False)
    return trimesh.Trimesh(vertices, faces, vertex_normals=normals, vertex_colors=colors, process=False)
