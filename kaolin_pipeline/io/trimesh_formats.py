"""PLY and STL meshes through trimesh, and the trimesh conversions OFF and glTF share.

Files are read with ``process=False``: vertices keep the file's order and are never
split. PLY gives ``vertices (V, 3)``, ``faces (F, 3)`` (polygons fan-triangulated
by trimesh), and when stored ``vertex_normals (V, 3)``, ``vertex_colors (V, 3)`` in [0, 1]
(from 8-bit or float colours) and per-vertex ``uvs (V, 2)`` with ``face_uvs_idx == faces``
(UV origin at the bottom-left, as stored); a PLY of triangle strips (``element tristrips``,
``-1`` restarting a strip) is unrolled into triangles with alternating winding, degenerate ones
dropped. STL stores triangles only, each with its own three corners: :func:`read_stl` merges corners
at exactly the same position into one vertex (trimesh's default), or keeps ``V == 3 F`` with
``merge_vertices=False``; it carries no normals, colours or UVs. Winding is the
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
    extension,
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


def read_ply(path: Path) -> Mesh:
    """Mesh from a PLY file of faces or of triangle strips."""
    strips = _ply_triangle_strips(path)
    if strips is None:
        return read_with_trimesh(path, ".ply")
    with reading(path, "PLY mesh"):
        from trimesh.exchange.ply import load_ply

        with open(path, "rb") as handle:
            fields = load_ply(handle)
        faces = strip_triangles(strips)
        mesh = Mesh(vertices=float_tensor(np.asarray(fields["vertices"]).reshape(-1, 3)), faces=long_tensor(faces))
        if fields.get("vertex_colors") is not None:
            mesh.vertex_colors = torch.from_numpy(unit_colors(fields["vertex_colors"], "vertex colors", path))
    return mesh


def _ply_triangle_strips(path: Path) -> Optional[np.ndarray]:
    """The ``tristrips`` element's vertex indices as one sequence (``-1`` between strips), or None."""
    with open(path, "rb") as handle:
        header = handle.read(4096).split(b"end_header")[0]
    if b"element tristrips" not in header:
        return None
    from trimesh.exchange.ply import load_ply

    with reading(path, "PLY triangle strips"), open(path, "rb") as handle:
        raw = load_ply(handle)["metadata"]["_ply_raw"]
        rows = next(iter(raw["tristrips"]["data"].values()))
        sequence = [np.append(np.asarray(row, dtype=np.int64).reshape(-1), -1) for row in rows]
    return np.concatenate(sequence) if sequence else np.zeros(0, dtype=np.int64)


def strip_triangles(sequence: np.ndarray) -> np.ndarray:
    """``(F, 3)`` triangles of triangle strips: ``sequence (N,)`` vertex indices, ``-1`` restarting a strip.

    Triangle ``k`` of a strip ``v0 v1 v2 ...`` is ``(v_k, v_k+1, v_k+2)`` for even ``k`` and
    ``(v_k+1, v_k, v_k+2)`` for odd ``k``, so every triangle keeps the first one's winding;
    triangles repeating a vertex (the swaps strips use) are dropped.
    """
    sequence = np.asarray(sequence, dtype=np.int64)
    if len(sequence) < 3:
        return np.zeros((0, 3), dtype=np.int64)
    positions = np.arange(len(sequence))
    strip_start = np.maximum.accumulate(np.where(sequence < 0, positions + 1, 0))
    first = positions[:-2]
    corners = np.stack([sequence[first], sequence[first + 1], sequence[first + 2]], axis=1)
    odd = (first - strip_start[first]) % 2 == 1
    corners[odd] = corners[odd][:, [1, 0, 2]]
    keep = (corners >= 0).all(axis=1)
    keep &= (corners[:, 0] != corners[:, 1]) & (corners[:, 1] != corners[:, 2]) & (corners[:, 0] != corners[:, 2])
    return corners[keep]


def read_stl(path: Path, merge_vertices: bool = True) -> Mesh:
    """Mesh from an STL file; corners at the same position become one vertex when ``merge_vertices``."""
    mesh = read_with_trimesh(path, ".stl")
    if merge_vertices:
        unique, inverse = torch.unique(mesh.vertices, dim=0, return_inverse=True)
        first = torch.full((len(unique),), len(inverse), dtype=torch.long).scatter_reduce(
            0, inverse, torch.arange(len(inverse)), "amin")
        order = torch.argsort(first)  # merged vertices in the order of their first corner in the file
        rank = torch.empty_like(order)
        rank[order] = torch.arange(len(order))
        mesh.vertices = unique[order].contiguous()
        mesh.faces = rank[inverse][mesh.faces]
    return mesh


def read_with_trimesh(path: Path, ext: str) -> Mesh:
    """Mesh from a PLY / STL / OFF file (``ext``), as stored."""
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


def write_with_trimesh(path: Path, mesh: Mesh) -> None:
    """Write OFF / PLY / STL / GLB / glTF through trimesh (the format of ``path``'s extension)."""
    import trimesh

    ext = extension(path)
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
