"""OFF meshes (Object File Format), read and written through trimesh.

An OFF file lists ``V`` vertex positions and ``F`` polygons (vertex indices, 0-based);
polygons are fan-triangulated, so the result has ``vertices (V, 3)`` float32 and
``faces (F', 3)`` int64 in the file's order and winding (counter-clockwise seen from
outside for well-formed files). OFF stores no UVs, normals or textures, and no units.
Per-face or per-vertex colours some files carry are not read. Writing stores positions
and triangles only.
"""
from __future__ import annotations

from pathlib import Path

from kaolin_pipeline.io.trimesh_formats import read_with_trimesh, write_with_trimesh
from kaolin_pipeline.structures import Mesh


def read_off(path: Path) -> Mesh:
    """Mesh from an OFF file (geometry only)."""
    return read_with_trimesh(path, ".off")


def write_off(path: Path, mesh: Mesh) -> None:
    """Write the positions and faces of ``mesh`` as OFF, atomically."""
    write_with_trimesh(path, mesh)
