"""Read and write triangle meshes: OBJ (+MTL and diffuse texture), OFF, PLY, STL, glTF/GLB, USD.

OBJ is parsed here so that it keeps Kaolin's layout: ``vertices`` are the file's
``v`` lines, unsplit, and texture coordinates come as separate ``uvs`` (the ``vt``
lines) indexed by ``face_uvs_idx``. The other formats go through trimesh with
``process=False`` (no merging or reordering of vertices); formats that store one
UV per vertex (glTF/GLB, PLY) give ``face_uvs_idx == faces``. USD files are handed
to :mod:`kaolin_pipeline.datasets.usd`.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from kaolin_pipeline.datasets._fileutil import (
    USD_EXTENSIONS,
    PathLike,
    atomic_path,
    check_extension,
    check_readable,
    float_tensor,
    long_tensor,
    reading,
    to_numpy,
    unit_colors,
)
from kaolin_pipeline.datasets.types import Mesh
from kaolin_pipeline.datasets.validate import validate_mesh
from kaolin_pipeline.errors import LoadError, SaveError

TRIMESH_MESH_EXTENSIONS = (".off", ".ply", ".stl", ".glb", ".gltf")
MESH_EXTENSIONS = (".obj",) + TRIMESH_MESH_EXTENSIONS + USD_EXTENSIONS


def load_mesh(path: PathLike, *, normalize: bool = False) -> Mesh:
    """Load a triangle mesh from ``path``; the format is chosen by the extension (see ``MESH_EXTENSIONS``).

    Polygons are triangulated as fans and a scene of several parts (glTF/GLB) is merged
    into one mesh with every node transform applied.

    Args:
        path: mesh file.
        normalize: if True, centre the bounding box at the origin and scale so the
            farthest vertex is at distance 1 (``kaolin_pipeline.ops.mesh.normalize_vertices``).

    Returns:
        A :class:`Mesh` with ``vertices (V, 3)`` float32 and ``faces (F, 3)`` int64, plus
        when the file has them ``uvs (T, 2)``, ``face_uvs_idx (F, 3)``, ``texture (3, H, W)``
        in [0, 1] (row 0 = top of the image, UV origin at its bottom-left),
        ``vertex_colors (V, 3)`` in [0, 1] and ``vertex_normals (V, 3)``.

    Raises:
        LoadError: the file is missing, empty, corrupt, of an unsupported type, or
            describes an invalid mesh (NaN/Inf vertices, face indices out of range...).
    """
    ext = check_extension(path, MESH_EXTENSIONS, LoadError)
    path = check_readable(path)
    if ext in USD_EXTENSIONS:
        from kaolin_pipeline.datasets import usd

        mesh = usd.import_mesh(str(path))
    elif ext == ".obj":
        mesh = _read_obj(path)
    else:
        mesh = _read_with_trimesh(path, ext)
    validate_mesh(mesh, str(path))
    if normalize:
        from kaolin_pipeline.ops.mesh import normalize_vertices

        mesh.vertices = normalize_vertices(mesh.vertices)
    return mesh


def save_mesh(path: PathLike, mesh: Mesh) -> None:
    """Write ``mesh`` to ``path`` atomically; the format is chosen by the extension.

    OBJ keeps Kaolin's layout (``v`` / ``vt`` / ``f v/vt``) and, when the mesh has a
    texture, writes ``<stem>.mtl`` and ``<stem>.png`` next to it. GLB/glTF store the
    texture inside the file (vertices are split where one vertex has several UVs). OFF and
    STL store geometry only; PLY also stores vertex colours and normals.

    Raises:
        SaveError: unsupported extension, invalid mesh, or the file cannot be written.
    """
    ext = check_extension(path, MESH_EXTENSIONS, SaveError)
    try:
        validate_mesh(mesh, str(path))
    except LoadError as exc:
        raise SaveError(f"cannot save an invalid mesh: {exc}") from exc
    if ext in USD_EXTENSIONS:
        from kaolin_pipeline.datasets import usd

        usd.export_mesh(str(path), mesh)
    elif ext == ".obj":
        _write_obj(Path(path), mesh)
    else:
        _write_with_trimesh(Path(path), ext, mesh)


def _read_with_trimesh(path: Path, ext: str) -> Mesh:
    """Mesh from a trimesh-readable file, scene parts merged with their transforms applied."""
    import trimesh

    with reading(path, f"{ext[1:].upper()} mesh"):
        loaded = trimesh.load(str(path), file_type=ext[1:], process=False)
        scene_normals = None
        if isinstance(loaded, trimesh.Scene):
            if not loaded.geometry:
                raise LoadError(f"{path}: file contains no geometry (corrupt or truncated?)")
            scene_normals = _scene_vertex_normals(loaded)
            loaded = loaded.to_geometry()
        if not isinstance(loaded, trimesh.Trimesh):
            raise LoadError(
                f"{path}: file holds a {type(loaded).__name__}, not a triangle mesh "
                "(for a point cloud use load_pointcloud)"
            )
        mesh = _mesh_from_trimesh(loaded, path)
        if scene_normals is not None and len(scene_normals) == mesh.num_vertices:
            mesh.vertex_normals = float_tensor(scene_normals)
        return mesh


def _scene_vertex_normals(scene) -> Optional[np.ndarray]:
    """(V, 3) file normals of every scene part, moved by its node transform, in ``Scene.dump`` order.

    trimesh drops stored normals when it bakes transforms, so they are carried over
    here (transformed by the inverse transpose of each node's linear part). None
    unless every part stored normals.
    """
    import trimesh

    parts = []
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        geometry = scene.geometry[name]
        if not isinstance(geometry, trimesh.Trimesh) or "vertex_normals" not in geometry._cache:
            return None
        normals = geometry.vertex_normals @ np.linalg.inv(transform[:3, :3])
        parts.append(normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12))
    return np.concatenate(parts, axis=0) if parts else None


def _mesh_from_trimesh(tm, source: Path) -> Mesh:
    """Convert a ``trimesh.Trimesh`` (any visual kind) into a :class:`Mesh`."""
    faces = long_tensor(tm.faces.reshape(-1, 3))
    mesh = Mesh(vertices=float_tensor(tm.vertices.reshape(-1, 3)), faces=faces)
    # trimesh computes normals lazily; only keep them when the file provided them.
    if "vertex_normals" in tm._cache:
        mesh.vertex_normals = float_tensor(tm.vertex_normals)
    visual = tm.visual
    if visual.kind == "vertex":
        mesh.vertex_colors = torch.from_numpy(unit_colors(visual.vertex_colors, "vertex colors", source))
    elif visual.kind == "texture" and getattr(visual, "uv", None) is not None and len(visual.uv) == len(tm.vertices):
        mesh.uvs = float_tensor(visual.uv)
        mesh.face_uvs_idx = faces.clone()
        image = _material_image(visual.material)
        if image is not None:
            mesh.texture = image_to_texture(image)
    return mesh


def _material_image(material):
    """The diffuse / base-colour image of a trimesh material, or None."""
    for name in ("baseColorTexture", "image"):
        image = getattr(material, name, None)
        if image is not None:
            return image
    return None


def image_to_texture(image) -> torch.Tensor:
    """PIL image -> (3, H, W) float32 texture in [0, 1], row 0 = top of the image."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))


def texture_to_image(texture: torch.Tensor, source: PathLike):
    """(3, H, W) texture in [0, 1] -> 8-bit RGB PIL image (values clamped to [0, 1])."""
    from PIL import Image

    rgb = to_numpy(texture, "texture", source, np.float32).transpose(1, 2, 0)
    return Image.fromarray(np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8), mode="RGB")


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


def _write_with_trimesh(path: Path, ext: str, mesh: Mesh) -> None:
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


# --------------------------------------------------------------------------- OBJ
# Parsed here (not by trimesh, which splits vertices at UV seams) to keep Kaolin's layout.


class _ObjContent:
    """Raw element lists of an OBJ file, indices already 0-based and triangulated."""

    def __init__(self) -> None:
        self.positions: list[list[float]] = []
        self.colors: list[Optional[list[float]]] = []
        self.uvs: list[list[float]] = []
        self.normals: list[list[float]] = []
        self.faces: list[tuple[int, int, int]] = []
        self.face_uvs: list[Optional[tuple[int, int, int]]] = []
        self.face_normals: list[Optional[tuple[int, int, int]]] = []
        self.face_materials: list[Optional[str]] = []
        self.material_libraries: list[str] = []


def _obj_index(token: str, count: int) -> int:
    """0-based index of a 1-based (or negative, relative) OBJ index."""
    value = int(token)
    if value == 0:
        raise ValueError("index 0 is invalid, OBJ indices start at 1")
    return value - 1 if value > 0 else count + value


def _obj_floats(parts: list[str], minimum: int, what: str) -> list[float]:
    values = [float(x) for x in parts]
    if len(values) < minimum:
        raise ValueError(f"{what} needs at least {minimum} numbers, got {len(values)}")
    return values


def _parse_obj_face(parts: list[str], content: _ObjContent, material: Optional[str]) -> None:
    """Append the fan triangulation of one ``f`` line to ``content``."""
    if len(parts) < 3:
        raise ValueError(f"a face needs at least 3 corners, got {len(parts)}")
    corners = []
    for token in parts:
        fields = token.split("/")
        vertex = _obj_index(fields[0], len(content.positions))
        uv = _obj_index(fields[1], len(content.uvs)) if len(fields) > 1 and fields[1] else None
        normal = _obj_index(fields[2], len(content.normals)) if len(fields) > 2 and fields[2] else None
        corners.append((vertex, uv, normal))
    for i in range(1, len(corners) - 1):
        tri = (corners[0], corners[i], corners[i + 1])
        content.faces.append(tuple(c[0] for c in tri))
        content.face_uvs.append(None if any(c[1] is None for c in tri) else tuple(c[1] for c in tri))
        content.face_normals.append(None if any(c[2] is None for c in tri) else tuple(c[2] for c in tri))
        content.face_materials.append(material)


def _parse_obj(path: Path) -> _ObjContent:
    """Read the ``v``, ``vt``, ``vn``, ``f``, ``mtllib`` and ``usemtl`` lines of an OBJ file."""
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\\\r\n", " ").replace("\\\n", " ")
    content = _ObjContent()
    material: Optional[str] = None
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        key, rest = parts[0], parts[1:]
        try:
            if key == "v":
                values = _obj_floats(rest, 3, "a vertex")
                content.positions.append(values[:3])
                content.colors.append(values[3:6] if len(values) >= 6 else None)
            elif key == "vt":
                values = _obj_floats(rest, 1, "a texture coordinate")
                content.uvs.append([values[0], values[1] if len(values) > 1 else 0.0])
            elif key == "vn":
                content.normals.append(_obj_floats(rest, 3, "a normal")[:3])
            elif key == "f":
                _parse_obj_face(rest, content, material)
            elif key == "mtllib" and rest:
                content.material_libraries.append(line.split(None, 1)[1].strip())
            elif key == "usemtl":
                material = line.split(None, 1)[1].strip() if rest else None
        except ValueError as exc:
            raise LoadError(f"{path}: line {number}: malformed {key!r} line ({exc}): {line.strip()[:80]!r}") from exc
    return content


def _obj_vertex_normals(content: _ObjContent, path: Path) -> Optional[np.ndarray]:
    """(V, 3) normals if every vertex is used by faces that all give it the same ``vn``, else None."""
    if not content.normals or any(n is None for n in content.face_normals):
        return None
    normals = np.asarray(content.normals, dtype=np.float64)
    corner_normals = np.asarray(content.face_normals, dtype=np.int64).reshape(-1)
    if corner_normals.min() < 0 or corner_normals.max() >= len(normals):
        raise LoadError(f"{path}: normal index out of range for {len(normals)} normals")
    corner_vertices = np.asarray(content.faces, dtype=np.int64).reshape(-1)
    per_vertex = np.full(len(content.positions), -1, dtype=np.int64)
    per_vertex[corner_vertices] = corner_normals
    if (per_vertex < 0).any() or not np.array_equal(normals[per_vertex[corner_vertices]], normals[corner_normals]):
        return None  # unused vertices or per-corner normals: no single normal per vertex
    return normals[per_vertex]


def _parse_mtl_textures(path: Path) -> dict[str, Path]:
    """Material name -> diffuse texture path (``map_Kd``, options before the file name skipped)."""
    textures: dict[str, Path] = {}
    name: Optional[str] = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        key = parts[0].lower()
        if key == "newmtl":
            name = line.split(None, 1)[1].strip()
        elif key == "map_kd" and name is not None:
            textures[name] = path.parent / parts[-1].replace("\\", "/")
    return textures


def _obj_texture(content: _ObjContent, path: Path) -> Optional[torch.Tensor]:
    """The one diffuse texture used by the OBJ's faces, or None (with a warning when it cannot be had)."""
    textures: dict[str, Path] = {}
    for library in content.material_libraries:
        library_path = path.parent / library.replace("\\", "/")
        if not library_path.is_file():
            warnings.warn(f"{path}: material library {library_path} not found; loading without texture")
            continue
        with reading(library_path, "MTL material library"):
            textures.update(_parse_mtl_textures(library_path))
    used = sorted({str(textures[m]) for m in set(content.face_materials) if m in textures})
    if not used:
        return None
    if len(used) > 1:
        warnings.warn(f"{path}: faces use {len(used)} different textures ({', '.join(used)}); only one "
                      "texture per mesh is supported, loading without texture")
        return None
    texture_path = Path(used[0])
    if not texture_path.is_file():
        warnings.warn(f"{path}: texture image {texture_path} not found; loading without texture")
        return None
    from PIL import Image

    with reading(texture_path, f"texture image used by {path}"), Image.open(texture_path) as image:
        return image_to_texture(image)


def _read_obj(path: Path) -> Mesh:
    """Mesh from an OBJ file in Kaolin's layout (unsplit vertices, separate ``uvs``/``face_uvs_idx``)."""
    with reading(path, "OBJ mesh"):
        content = _parse_obj(path)
    mesh = Mesh(
        vertices=float_tensor(np.asarray(content.positions, dtype=np.float64).reshape(-1, 3)),
        faces=long_tensor(np.asarray(content.faces, dtype=np.int64).reshape(-1, 3)),
    )
    if content.colors and all(c is not None for c in content.colors):
        mesh.vertex_colors = torch.from_numpy(unit_colors(np.asarray(content.colors), "vertex colors", path))
    normals = _obj_vertex_normals(content, path)
    if normals is not None:
        mesh.vertex_normals = float_tensor(normals)
    with_uv = [uv is not None for uv in content.face_uvs]
    if content.uvs and all(with_uv):
        mesh.uvs = float_tensor(np.asarray(content.uvs, dtype=np.float64))
        mesh.face_uvs_idx = long_tensor(np.asarray(content.face_uvs, dtype=np.int64))
        mesh.texture = _obj_texture(content, path)
    elif any(with_uv):
        warnings.warn(f"{path}: only {sum(with_uv)} of {len(with_uv)} faces have texture coordinates; "
                      "loading without uvs and texture")
    return mesh


def _write_obj(path: Path, mesh: Mesh) -> None:
    """Write ``v [r g b]`` / ``vt`` / ``vn`` / ``f v/vt/vn`` lines, plus MTL and PNG when textured."""
    import io

    vertices = to_numpy(mesh.vertices, "vertices", path, np.float64)
    columns = [to_numpy(mesh.faces, "faces", path, np.int64) + 1]
    lines = io.StringIO()
    lines.write("# written by kaolin_pipeline\n")
    textured = mesh.texture is not None and mesh.uvs is not None
    if textured:
        _write_obj_material(path, mesh)
        lines.write(f"mtllib {path.stem}.mtl\n")
    if mesh.vertex_colors is not None:
        colors = to_numpy(mesh.vertex_colors, "vertex_colors", path, np.float64)
        np.savetxt(lines, np.concatenate([vertices, colors], axis=1), fmt="v %.9g %.9g %.9g %.9g %.9g %.9g")
    else:
        np.savetxt(lines, vertices, fmt="v %.9g %.9g %.9g")
    face_format = "%d"
    if mesh.uvs is not None:
        np.savetxt(lines, to_numpy(mesh.uvs, "uvs", path, np.float64), fmt="vt %.9g %.9g")
        columns.append(to_numpy(mesh.face_uvs_idx, "face_uvs_idx", path, np.int64) + 1)
        face_format += "/%d"
    if mesh.vertex_normals is not None:
        np.savetxt(lines, to_numpy(mesh.vertex_normals, "vertex_normals", path, np.float64), fmt="vn %.9g %.9g %.9g")
        columns.append(columns[0])
        face_format += "/%d" if mesh.uvs is not None else "//%d"
    if textured:
        lines.write("usemtl material_0\n")
    corners = np.stack(columns, axis=2).reshape(len(columns[0]), -1)
    np.savetxt(lines, corners, fmt="f " + " ".join([face_format] * 3))
    with atomic_path(path) as temp:
        temp.write_text(lines.getvalue(), encoding="utf-8")


def _write_obj_material(path: Path, mesh: Mesh) -> None:
    """Write ``<stem>.png`` (the texture) and ``<stem>.mtl`` (one material using it) next to ``path``."""
    image = texture_to_image(mesh.texture, path)
    with atomic_path(path.with_suffix(".png")) as temp:
        image.save(temp, format="PNG")
    material = f"newmtl material_0\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nmap_Kd {path.stem}.png\n"
    with atomic_path(path.with_suffix(".mtl")) as temp:
        temp.write_text(material, encoding="utf-8")
