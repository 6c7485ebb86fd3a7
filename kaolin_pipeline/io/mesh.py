"""``load_mesh`` / ``save_mesh``: pick the reader or writer of a mesh file by its extension.

Each format lives in its own module: :mod:`~kaolin_pipeline.io.obj` (OBJ + MTL),
:mod:`~kaolin_pipeline.io.off`, :mod:`~kaolin_pipeline.io.gltf` (glTF / GLB),
:mod:`~kaolin_pipeline.io.trimesh_formats` (PLY, STL) and :mod:`kaolin_pipeline.io.usd`.
This module validates what they return (``LoadError`` naming the file) and what they are
given (``SaveError``), and optionally normalises the loaded vertices.
"""
from __future__ import annotations

from pathlib import Path

from kaolin_pipeline.io._fileutil import USD_EXTENSIONS, PathLike, check_extension, check_readable
from kaolin_pipeline.io.gltf import read_gltf, write_gltf
from kaolin_pipeline.io.obj import read_obj, write_obj
from kaolin_pipeline.io.off import read_off, write_off
from kaolin_pipeline.io.trimesh_formats import TRIMESH_MESH_EXTENSIONS, read_with_trimesh, write_with_trimesh
from kaolin_pipeline.io.validate import validate_for_saving, validate_mesh
from kaolin_pipeline.ops.mesh import normalize_vertices
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import LoadError, SaveError

MESH_EXTENSIONS = (".obj",) + TRIMESH_MESH_EXTENSIONS + USD_EXTENSIONS
GLTF_EXTENSIONS = (".gltf", ".glb")


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
        from kaolin_pipeline.io import usd

        mesh = usd.import_mesh(str(path))
    elif ext == ".obj":
        mesh = read_obj(path)
    elif ext == ".off":
        mesh = read_off(path)
    elif ext in GLTF_EXTENSIONS:
        mesh = read_gltf(path, ext)
    else:
        mesh = read_with_trimesh(path, ext)
    validate_mesh(mesh, str(path))
    if normalize:

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
    if ext in USD_EXTENSIONS:  # the USD exporter validates the mesh itself
        from kaolin_pipeline.io import usd

        usd.export_mesh(str(path), mesh)
        return
    validate_for_saving(mesh, Mesh, path)
    if ext == ".obj":
        write_obj(Path(path), mesh)
    elif ext == ".off":
        write_off(Path(path), mesh)
    elif ext in GLTF_EXTENSIONS:
        write_gltf(Path(path), ext, mesh)
    else:
        write_with_trimesh(Path(path), ext, mesh)
