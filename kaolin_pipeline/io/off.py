"""OFF meshes (Object File Format), read and written through trimesh.

An OFF file lists ``V`` vertex positions and ``F`` polygons (vertex indices, 0-based);
polygons are fan-triangulated, so the result has ``vertices (V, 3)`` float32 and
``faces (F', 3)`` int64 in the file's order and winding (counter-clockwise seen from
outside for well-formed files). OFF stores no UVs, normals or textures, and no units.
Per-face or per-vertex colours some files carry are not read. Writing stores positions
and triangles only.

:func:`read_off_polygons` reads the file itself instead, as Kaolin's ``kaolin.io.off.import_mesh``: the
polygons as they are (``faces (F, K)``), and the face colours (``r g b`` integers after each polygon's
indices). It takes ModelNet's header quirk (``OFF6 2`` on one line) and ``#`` comments anywhere.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Optional

import torch

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io.trimesh_formats import read_with_trimesh, write_with_trimesh
from kaolin_pipeline.structures import Mesh


class OffPolygons(NamedTuple):
    """An OFF file as written: ``vertices (V, 3)`` float32, ``faces (F, K)`` int64, ``face_colors (F, 3)`` int64
    in [0, 255] ((F, 0) when the file has none; None unless asked for)."""
    vertices: torch.Tensor
    faces: torch.Tensor
    face_colors: Optional[torch.Tensor]


def _records(path: Path):
    """The whitespace-separated fields of each non-empty line, comments (``#`` to the end) removed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError(f"{path}: cannot read OFF file ({error})") from error
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            yield fields


def read_off_polygons(path: Path, with_face_colors: bool = False) -> OffPolygons:
    """Vertices, polygons (all with the same corner count ``K``) and optionally face colours of an OFF file.

    Raises:
        LoadError: the file is missing, its counts are not integers, it holds fewer vertices or faces than
            its header says, polygons of different corner counts, or (``with_face_colors``) colours on some
            faces only.
    """
    records = _records(path)
    try:
        header = next(records)
        if header[0].upper().startswith("OFF"):
            rest = ([header[0][3:]] if header[0][3:] else []) + header[1:]
            counts = rest if rest else next(records)
        else:
            counts = header
        num_vertices, num_faces = int(counts[0]), int(counts[1])
        vertices = [[float(value) for value in next(records)[:3]] for _ in range(num_vertices)]
        faces, colors = [], []
        for _ in range(num_faces):
            fields = next(records)
            size = int(fields[0])
            faces.append([int(value) for value in fields[1:size + 1]])
            if with_face_colors:
                colors.append([int(float(value)) for value in fields[size + 1:size + 4]])
    except StopIteration:
        raise LoadError(f"{path}: OFF file ends before the vertices and faces its header announces") from None
    except (ValueError, IndexError) as error:
        raise LoadError(f"{path}: malformed OFF file ({error})") from error
    if len({len(face) for face in faces}) > 1:
        raise LoadError(f"{path}: OFF polygons have different corner counts "
                        f"{sorted({len(face) for face in faces})}; read it with read_off to triangulate")
    widths = {len(color) for color in colors}
    if widths - {0, 3} or len(widths) > 1:
        raise LoadError(f"{path}: some faces have an r g b colour after their indices and some do not")
    return OffPolygons(torch.tensor(vertices, dtype=torch.float32).reshape(-1, 3),
                       torch.tensor(faces, dtype=torch.int64).reshape(num_faces, -1),
                       torch.tensor(colors, dtype=torch.int64).reshape(num_faces, -1) if with_face_colors else None)


def read_off(path: Path) -> Mesh:
    """Mesh from an OFF file (geometry only)."""
    return read_with_trimesh(path, ".off")


def write_off(path: Path, mesh: Mesh) -> None:
    """Write the positions and faces of ``mesh`` as OFF, atomically."""
    write_with_trimesh(path, mesh)
