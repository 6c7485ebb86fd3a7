"""Wavefront OBJ meshes with their MTL material library, parsed and written here.

Layout (Kaolin's ``kaolin.io.obj``): ``vertices (V, 3)`` are the file's ``v`` lines, in
order and never split; texture coordinates are the ``vt`` lines as ``uvs (T, 2)``, **as
stored** (origin at the bottom-left of the image, v up; Kaolin's importer returns ``1 - v``),
indexed per corner by ``face_uvs_idx (F, 3)``. Polygons are fan-triangulated from their first corner, keeping
the file's winding (counter-clockwise seen from outside). ``v x y z r g b`` lines give
``vertex_colors (V, 3)``; ``vn`` normals are kept as the file indexes them, ``normals (N, 3)`` with
``face_normals_idx (F, 3)``, when every corner has one, and also become ``vertex_normals (V, 3)`` when
every vertex has one normal throughout. Materials (when faces use ``usemtl``): every material of the ``mtllib``
files (read by :mod:`.mtl`; texture maps only when the faces have UVs) sorted by name, as Kaolin
lists them, and ``material_assignments (F,)`` (-1 before any ``usemtl``); when
every face uses one diffuse texture it is also ``texture (3, H, W)`` (row 0 = top of the image).
A missing library, material or image is a warning, not an error. OBJ has no units.

Writing: ``v [r g b]`` / ``vt`` / ``vn`` / ``f v/vt/vn`` lines in face order, a ``usemtl`` line
where the material changes, and ``<stem>.mtl`` with one PNG per material texture next to the
file; a mesh with only ``texture`` gets one material using ``<stem>.png``.

Parsed here (not by trimesh, which splits vertices at UV seams) to keep Kaolin's layout.
Files whose element lines are all in plain form and whose faces all share one corner
layout are read in bulk with NumPy (``_parse_obj_uniform``); any other file is read line by
line (``_parse_obj_lines``), which is also the path that reports every malformed line.
"""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np
import torch

from kaolin_pipeline.io._fileutil import atomic_path, float_tensor, long_tensor, reading, to_numpy, unit_colors
from kaolin_pipeline.io.mtl import material_names, read_mtl, read_raw_mtl, to_pbr_material, write_mtl
from kaolin_pipeline.io.textures import shared_diffuse_texture, write_texture_png
from kaolin_pipeline.structures import Mesh, PBRMaterial
from kaolin_pipeline.errors import LoadError, MaterialError, MaterialFileError, MaterialNotFoundError



_ELEMENT_KEYS = ("v", "vt", "vn", "f")

# Line breaks and continuations that ``str.splitlines`` honours beyond ``\n`` (``\r\n`` is
# normalised first): a file containing one is read line by line.
_IRREGULAR_BREAKS = (b"\\\n", b"\r", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e",
                     b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")

_BLANK = (ord(" "), ord("\t"))



@dataclass
class _ObjContent:
    """The elements of an OBJ file as arrays, indices 0-based and polygons fan-triangulated.

    ``positions (V, 3)``, ``colors (V, 3)`` (None unless every ``v`` line has r g b),
    ``uvs (T, 2)``, ``normals (N, 3)``, ``faces (F, 3)``, ``face_uvs (F, 3)`` and
    ``face_normals (F, 3)`` (None unless every triangle has them), ``faces_with_uvs``
    (how many triangles have uv indices), ``face_materials (F,)`` (per triangle, the
    ``usemtl`` name in force, None before any ``usemtl``) and ``material_libraries`` (``mtllib`` paths).
    """

    positions: np.ndarray
    colors: Optional[np.ndarray]
    uvs: np.ndarray
    normals: np.ndarray
    faces: np.ndarray
    face_uvs: Optional[np.ndarray]
    faces_with_uvs: int
    face_normals: Optional[np.ndarray]
    face_materials: list[Optional[str]]
    material_libraries: list[str]


def _parse_obj(path: Path) -> _ObjContent:
    """Read the ``v``, ``vt``, ``vn``, ``f``, ``mtllib`` and ``usemtl`` lines of an OBJ file."""
    raw = path.read_bytes()
    content = _parse_obj_uniform(raw)
    if content is None:
        text = raw.decode("utf-8", errors="replace").replace("\\\r\n", " ").replace("\\\n", " ")
        content = _parse_obj_lines(text, path)
    return content


def _statement_argument(line: str) -> str:
    """The rest of an ``mtllib`` / ``usemtl`` line after its key (names may hold spaces)."""
    return line.split(None, 1)[1].strip()



# --------------------------------------------------------------------------- line by line


class _ObjLists:
    """Element lists gathered line by line by :func:`_parse_obj_lines`."""

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

    def to_content(self) -> _ObjContent:
        with_colors = bool(self.colors) and all(c is not None for c in self.colors)
        with_uvs = sum(uv is not None for uv in self.face_uvs)
        with_normals = all(n is not None for n in self.face_normals)
        return _ObjContent(
            positions=np.asarray(self.positions, dtype=np.float64).reshape(-1, 3),
            colors=np.asarray(self.colors, dtype=np.float64).reshape(-1, 3) if with_colors else None,
            uvs=np.asarray(self.uvs, dtype=np.float64).reshape(-1, 2),
            normals=np.asarray(self.normals, dtype=np.float64).reshape(-1, 3),
            faces=np.asarray(self.faces, dtype=np.int64).reshape(-1, 3),
            face_uvs=np.asarray(self.face_uvs, dtype=np.int64).reshape(-1, 3) if with_uvs == len(self.faces) else None,
            faces_with_uvs=with_uvs,
            face_normals=np.asarray(self.face_normals, dtype=np.int64).reshape(-1, 3) if with_normals else None,
            face_materials=self.face_materials,
            material_libraries=self.material_libraries,
        )


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


def _parse_obj_face(parts: list[str], lists: _ObjLists, material: Optional[str]) -> None:
    """Append the fan triangulation of one ``f`` line to ``lists``."""
    if len(parts) < 3:
        raise ValueError(f"a face needs at least 3 corners, got {len(parts)}")
    corners = []
    for token in parts:
        fields = token.split("/")
        vertex = _obj_index(fields[0], len(lists.positions))
        uv = _obj_index(fields[1], len(lists.uvs)) if len(fields) > 1 and fields[1] else None
        normal = _obj_index(fields[2], len(lists.normals)) if len(fields) > 2 and fields[2] else None
        corners.append((vertex, uv, normal))
    for i in range(1, len(corners) - 1):
        tri = (corners[0], corners[i], corners[i + 1])
        lists.faces.append(tuple(c[0] for c in tri))
        lists.face_uvs.append(None if any(c[1] is None for c in tri) else tuple(c[1] for c in tri))
        lists.face_normals.append(None if any(c[2] is None for c in tri) else tuple(c[2] for c in tri))
        lists.face_materials.append(material)


def _parse_obj_lines(text: str, path: Path) -> _ObjContent:
    """Parse OBJ ``text`` one line at a time; a malformed element line raises LoadError naming it."""
    lists = _ObjLists()
    material: Optional[str] = None
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        key, rest = parts[0], parts[1:]
        try:
            if key == "v":
                values = _obj_floats(rest, 3, "a vertex")
                lists.positions.append(values[:3])
                lists.colors.append(values[3:6] if len(values) >= 6 else None)
            elif key == "vt":
                values = _obj_floats(rest, 1, "a texture coordinate")
                lists.uvs.append([values[0], values[1] if len(values) > 1 else 0.0])
            elif key == "vn":
                lists.normals.append(_obj_floats(rest, 3, "a normal")[:3])
            elif key == "f":
                _parse_obj_face(rest, lists, material)
            elif key == "mtllib" and rest:
                lists.material_libraries.append(_statement_argument(line))
            elif key == "usemtl":
                material = _statement_argument(line) if rest else None
        except ValueError as exc:
            raise LoadError(f"{path}: line {number}: malformed {key!r} line ({exc}): {line.strip()[:80]!r}") from exc
    return lists.to_content()



# --------------------------------------------------------------------------- in bulk


def _parse_obj_uniform(raw: bytes) -> Optional[_ObjContent]:
    """Parse OBJ bytes with NumPy, or None when the file needs the line-by-line reader.

    Handled here: element lines that start with their key and one blank, each kind with
    the same number of values on every line, and faces that all have the same number of
    corners written the same way (``v``, ``v/vt``, ``v/vt/vn`` or ``v//vn``). Anything
    else, including every malformed line, returns None; the result then equals what
    :func:`_parse_obj_lines` gives.
    """
    raw = raw.replace(b"\r\n", b"\n")
    if any(mark in raw for mark in _IRREGULAR_BREAKS):
        return None
    lines = raw.split(b"\n")
    heads = np.array([line[:3] for line in lines], dtype="S3").view(np.uint8).reshape(-1, 3)
    starts_v = heads[:, 0] == ord("v")
    two_letter = starts_v & np.isin(heads[:, 2], _BLANK)
    rows = {
        "v": np.flatnonzero(starts_v & np.isin(heads[:, 1], _BLANK)),
        "vt": np.flatnonzero(two_letter & (heads[:, 1] == ord("t"))),
        "vn": np.flatnonzero(two_letter & (heads[:, 1] == ord("n"))),
        "f": np.flatnonzero((heads[:, 0] == ord("f")) & np.isin(heads[:, 1], _BLANK)),
    }
    other = np.ones(len(lines), dtype=bool)
    for element_rows in rows.values():
        other[element_rows] = False
    statements = _material_statements(lines, np.flatnonzero(other))
    if statements is None:
        return None
    libraries, material_rows, material_names = statements

    positions = _uniform_floats(lines, rows["v"], b"v", 3)
    uvs = _uniform_floats(lines, rows["vt"], b"vt", 1)
    normals = _uniform_floats(lines, rows["vn"], b"vn", 3)
    corners = _uniform_corners(lines, rows["f"])
    if positions is None or uvs is None or normals is None or corners is None:
        return None
    counts = [len(rows[key]) and np.searchsorted(rows[key], rows["f"]) for key in ("v", "vt", "vn")]
    resolved = []
    for field, count in zip(corners, counts):
        if field is not None and (field == 0).any():
            return None  # index 0: the line-by-line reader names the line
        resolved.append(None if field is None else np.where(field > 0, field - 1, np.reshape(count, (-1, 1)) + field))
    fan = _fan_triangles(corners[0].shape[1]) if len(rows["f"]) else np.zeros((0, 3), dtype=np.int64)
    triangles = [None if field is None else field[:, fan].reshape(-1, 3) for field in resolved]
    line_materials = np.searchsorted(material_rows, rows["f"]) - 1
    names = [None if index < 0 else material_names[index] for index in line_materials.tolist()]
    if uvs.shape[1] == 1:
        uvs = np.concatenate([uvs, np.zeros_like(uvs)], axis=1)
    return _ObjContent(
        positions=positions[:, :3],
        colors=positions[:, 3:6] if positions.shape[1] >= 6 and len(positions) else None,
        uvs=uvs[:, :2],
        normals=normals[:, :3],
        faces=triangles[0],
        face_uvs=triangles[1],
        faces_with_uvs=0 if triangles[1] is None else len(triangles[0]),
        face_normals=triangles[2],
        face_materials=[name for name in names for _ in range(len(fan))],
        material_libraries=libraries,
    )


def _material_statements(lines: list[bytes], rows: np.ndarray):
    """``(mtllib paths, usemtl line numbers (M,), usemtl names)`` from the non-element ``rows``.

    None when one of them is an element line in unusual form (indented, key without values...).
    """
    libraries: list[str] = []
    material_rows: list[int] = []
    material_names: list[Optional[str]] = []
    for row in rows.tolist():
        line = lines[row].decode("utf-8", errors="replace")
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if parts[0] in _ELEMENT_KEYS:
            return None
        if parts[0] == "mtllib" and len(parts) > 1:
            libraries.append(_statement_argument(line))
        elif parts[0] == "usemtl":
            material_rows.append(row)
            material_names.append(_statement_argument(line) if len(parts) > 1 else None)
    return libraries, np.asarray(material_rows, dtype=np.int64), material_names


def _uniform_tokens(lines: list[bytes], rows: np.ndarray, key: bytes) -> Optional[tuple[list[bytes], int]]:
    """``(tokens, width)``: the whitespace-separated values of lines ``rows`` without their key,
    ``width`` per line, or None unless every line has the same number."""
    tokens = b" ".join([lines[row] for row in rows.tolist()]).split()
    width = len(tokens) // max(len(rows), 1)
    if width * len(rows) != len(tokens) or tokens.count(key) != len(rows) or tokens[::width].count(key) != len(rows):
        return None
    del tokens[::width]
    return tokens, width - 1


def _uniform_floats(lines: list[bytes], rows: np.ndarray, key: bytes, minimum: int) -> Optional[np.ndarray]:
    """``(len(rows), width)`` float64 values of lines ``rows``; None unless uniform, numeric and wide enough."""
    if not len(rows):
        return np.zeros((0, minimum))
    split = _uniform_tokens(lines, rows, key)
    if split is None or split[1] < minimum:
        return None
    try:
        values = np.array(list(map(float, split[0])), dtype=np.float64)
    except ValueError:
        return None
    return values.reshape(len(rows), split[1])


def _uniform_corners(lines: list[bytes], rows: np.ndarray) -> Optional[list[Optional[np.ndarray]]]:
    """``[vertex, uv, normal]`` 1-based indices ``(P, C)`` of the ``f`` lines ``rows`` (uv / normal
    None when not written); None unless every face has the same C >= 3 corners in one layout."""
    if not len(rows):
        return [np.zeros((0, 3), dtype=np.int64), None, None]
    split = _uniform_tokens(lines, rows, b"f")
    if split is None or split[1] < 3:
        return None
    tokens, corners = split
    template = tokens[0].split(b"/")
    layout = [True] + [bool(field) for field in template[1:]]
    if len(template) > 3 or (len(template) > 1 and not template[-1]):
        return None
    array = np.array(tokens)
    slashes = len(template) - 1
    if ((np.strings.count(array, b"/") != slashes).any() or np.strings.startswith(array, b"/").any()
            or np.strings.endswith(array, b"/").any()
            or ((np.strings.find(array, b"//") >= 0) != (not all(layout))).any()):
        return None
    try:
        values = np.array(list(map(int, b" ".join(tokens).replace(b"/", b" ").split())), dtype=np.int64)
    except ValueError:
        return None
    values = values.reshape(len(rows), corners, sum(layout))
    columns = iter(range(sum(layout)))
    fields = [values[:, :, next(columns)] if present else None for present in layout]
    return fields + [None] * (3 - len(fields))


def _fan_triangles(corners: int) -> np.ndarray:
    """``(corners - 2, 3)`` corner numbers of the fan triangulation from the first corner."""
    second = np.arange(1, corners - 1)
    return np.stack([np.zeros_like(second), second, second + 1], axis=1)



# --------------------------------------------------------------------------- to and from a Mesh


def _obj_vertex_normals(content: _ObjContent, path: Path) -> Optional[np.ndarray]:
    """(V, 3) normals if every vertex is used by faces that all give it the same ``vn``, else None."""
    if not len(content.normals) or content.face_normals is None or not len(content.faces):
        return None
    normals = content.normals
    corner_normals = content.face_normals.reshape(-1)
    if corner_normals.min() < 0 or corner_normals.max() >= len(normals):
        raise LoadError(f"{path}: normal index out of range for {len(normals)} normals")
    corner_vertices = content.faces.reshape(-1)
    per_vertex = np.full(len(content.positions), -1, dtype=np.int64)
    per_vertex[corner_vertices] = corner_normals
    if (per_vertex < 0).any() or not np.array_equal(normals[per_vertex[corner_vertices]], normals[corner_normals]):
        return None  # unused vertices or per-corner normals: no single normal per vertex
    return normals[per_vertex]


def _obj_materials(content: _ObjContent, path: Path, with_textures: bool
                   ) -> tuple[Optional[list[PBRMaterial]], Optional[torch.Tensor]]:
    """``(materials, material_assignments (F,))`` of the OBJ's faces, or ``(None, None)`` without ``usemtl``.

    As Kaolin's ``import_mesh(with_materials=True)``: every material of the libraries, plus any
    name used but not defined (a warning; the material keeps its name only), sorted by name;
    faces before any ``usemtl`` get -1. Texture maps are read only ``with_textures``.
    """
    used = list(dict.fromkeys(name for name in content.face_materials if name is not None))
    if not used:
        return None, None
    library: dict[str, dict[str, object]] = {}
    for name in content.material_libraries:
        library_path = path.parent / name.replace("\\", "/")
        if not library_path.is_file():
            warnings.warn(f"{path}: material library {library_path} not found; loading without its materials",
                          MaterialFileError)
            continue
        library.update(read_mtl(library_path))
    missing = [name for name in used if name not in library]
    if missing and library:
        warnings.warn(f"{path}: material(s) {', '.join(missing)} not defined in its material libraries",
                      MaterialNotFoundError)
    elif missing and not content.material_libraries:
        warnings.warn(f"{path}: faces use material(s) {', '.join(missing)} but the file names no mtllib",
                      MaterialNotFoundError)
    names = sorted(set(library) | set(used))
    images: dict = {}
    materials = [to_pbr_material(name, library.get(name, {}), path, with_textures, images) for name in names]
    index = {name: i for i, name in enumerate(names)}
    assignments = torch.tensor([-1 if name is None else index[name] for name in content.face_materials],
                               dtype=torch.int64)
    return materials, assignments


def read_obj(path: Path, keep_unused: bool = False) -> Mesh:
    """Mesh from an OBJ file in Kaolin's layout (unsplit vertices, separate ``uvs``/``face_uvs_idx``).

    ``keep_unused=False`` (trimesh's default) drops the ``v`` lines no face uses, with their colours and
    normals, keeping the others in file order; True keeps every vertex (Kaolin's ``import_mesh``).
    """
    with reading(path, "OBJ mesh"):
        content = _parse_obj(path)
    mesh = Mesh(
        vertices=float_tensor(content.positions),
        faces=long_tensor(content.faces),
    )
    if content.colors is not None:
        mesh.vertex_colors = torch.from_numpy(unit_colors(content.colors, "vertex colors", path))
    normals = _obj_vertex_normals(content, path)
    if normals is not None:
        mesh.vertex_normals = float_tensor(normals)
    if len(content.normals) and content.face_normals is not None and len(content.faces):
        mesh.normals = float_tensor(content.normals)
        mesh.face_normals_idx = long_tensor(content.face_normals)
    if len(content.uvs) and content.face_uvs is not None:
        mesh.uvs = float_tensor(content.uvs)
        mesh.face_uvs_idx = long_tensor(content.face_uvs)
    elif content.faces_with_uvs:
        warnings.warn(f"{path}: only {content.faces_with_uvs} of {len(content.faces)} faces have texture "
                      "coordinates; loading without uvs and textures")
    mesh.materials, mesh.material_assignments = _obj_materials(content, path, with_textures=mesh.uvs is not None)
    mesh.texture = shared_diffuse_texture(mesh)
    if not keep_unused:
        _drop_unused_vertices(mesh)
    return mesh


def read_raw_materials(path: Path) -> dict[str, dict[str, object]]:
    """Kaolin's raw material dicts (:func:`~kaolin_pipeline.io.mtl.read_raw_mtl`) of every material library the
    OBJ file names, by material name (a later library wins); a library that is not a file is skipped (reading
    the mesh warns about it)."""
    with reading(path, "OBJ mesh"):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    raw: dict[str, dict[str, object]] = {}
    for line in lines:
        parts = line.split()
        if len(parts) > 1 and parts[0] == "mtllib":
            library_path = path.parent / _statement_argument(line).replace("\\", "/")
            if library_path.is_file():
                raw.update(read_raw_mtl(library_path, source=path))
    return raw


def _drop_unused_vertices(mesh: Mesh) -> None:
    """Keep only the vertices ``mesh.faces`` uses (in their order), with their colours and normals; faces renumbered."""
    count = len(mesh.vertices)
    if not len(mesh.faces) or int(mesh.faces.min()) < 0 or int(mesh.faces.max()) >= count:
        return  # nothing to keep, or bad indices the validator reports
    used = torch.zeros(count, dtype=torch.bool)
    used[mesh.faces.reshape(-1)] = True
    if bool(used.all()):
        return
    new_index = torch.cumsum(used.long(), 0) - 1
    mesh.faces = new_index[mesh.faces]
    for name in ("vertices", "vertex_colors", "vertex_normals"):
        if getattr(mesh, name) is not None:
            setattr(mesh, name, getattr(mesh, name)[used].contiguous())


def write_obj(path: Path, mesh: Mesh) -> None:
    """Write ``v [r g b]`` / ``vt`` / ``vn`` / ``f v/vt/vn`` lines, plus the MTL and PNGs of its materials.

    A mesh with ``materials`` gets ``<stem>.mtl`` (every material, see :func:`~kaolin_pipeline.io.mtl.write_mtl`)
    and a ``usemtl`` line wherever the material changes along the faces (faces keep their order;
    a run of unassigned faces after a material is introduced by a bare ``usemtl``). A mesh with
    only ``texture`` (and UVs) gets one material ``material_0`` using ``<stem>.png``.
    """
    import io

    vertices = to_numpy(mesh.vertices, "vertices", path, np.float64)
    faces = to_numpy(mesh.faces, "faces", path, np.int64) + 1
    columns = [faces]
    lines = io.StringIO()
    lines.write("# written by kaolin_pipeline\n")
    names: Optional[list[str]] = None
    appearance = mesh.appearance
    if appearance.single_texture:
        _write_texture_material(path, appearance.texture)
        lines.write(f"mtllib {path.stem}.mtl\n")
        names = ["material_0"]
    elif appearance.materials is not None:
        names = material_names(appearance.materials)
        write_mtl(path.with_suffix(".mtl"), appearance.materials, names)
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
        columns.append(faces)
        face_format += "/%d" if mesh.uvs is not None else "//%d"
    corners = np.stack(columns, axis=2).reshape(len(faces), -1)
    assignments = np.full(len(faces), -1, dtype=np.int64) if names is None else \
        to_numpy(appearance.material_assignments, "material_assignments", path, np.int64)
    starts = [0] + (np.flatnonzero(assignments[1:] != assignments[:-1]) + 1).tolist()
    for start, end in zip(starts, starts[1:] + [len(faces)]):
        material = int(assignments[start])
        if material >= 0:
            lines.write(f"usemtl {names[material]}\n")
        elif start > 0:  # unassigned faces after a material
            lines.write("usemtl\n")
        np.savetxt(lines, corners[start:end], fmt="f " + " ".join([face_format] * 3))
    with atomic_path(path) as temp:
        temp.write_text(lines.getvalue(), encoding="utf-8")


def _write_texture_material(path: Path, texture: torch.Tensor) -> None:
    """Write ``<stem>.png`` (the texture) and ``<stem>.mtl`` (one material using it) next to ``path``."""
    write_texture_png(texture.detach(), path.with_suffix(".png"))
    material = f"newmtl material_0\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nmap_Kd {path.stem}.png\n"
    with atomic_path(path.with_suffix(".mtl")) as temp:
        temp.write_text(material, encoding="utf-8")


# ---------------------------------------------------------------------- material problems (Kaolin's handlers)

def default_error_handler(error: MaterialError, **kwargs) -> None:
    """Raise the material error (Kaolin's default)."""
    raise error


def skip_error_handler(error: MaterialError, **kwargs) -> None:
    """Warn (``UserWarning``) and load without the material."""
    warnings.warn(str(error), UserWarning)


def ignore_error_handler(error: MaterialError, **kwargs) -> None:
    """Load without the material, silently."""


def create_missing_materials_error_handler(error: MaterialError, **kwargs) -> Optional[dict]:
    """Warn about every material problem; an undefined material is kept as a material with only its name
    (what the reader does anyway), so faces keep their assignment. For a :class:`MaterialNotFoundError`
    returns that stand-in, ``{'error': message}`` (its ``material_name`` is set by the caller, as in
    :func:`kaolin_pipeline.io.material_assignments.process_materials_and_assignments`)."""
    if isinstance(error, MaterialNotFoundError):
        warnings.warn(f"{error}, creating a material with only its name", UserWarning)
        return {"error": f"stand-in for a missing material: {error}"}
    warnings.warn(str(error), UserWarning)
    return None


@contextlib.contextmanager
def material_errors_to(error_handler: Callable[..., None]) -> Iterator[None]:
    """Within the block, each material problem a loader would warn about (:class:`MaterialError`) is passed
    to ``error_handler(error)`` instead (once, however many readers in the block met it), after the block ends;
    other warnings are re-emitted unchanged."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    handled = set()
    for record in caught:
        if issubclass(record.category, MaterialError):
            if (record.category, str(record.message)) not in handled:
                handled.add((record.category, str(record.message)))
                error_handler(record.category(str(record.message)))
        else:
            warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
