"""``load_mesh`` / ``save_mesh``: pick the reader or writer of a mesh file by its extension.

Each format lives in its own module: :mod:`~kaolin_pipeline.io.obj` (OBJ + MTL),
:mod:`~kaolin_pipeline.io.off`, :mod:`~kaolin_pipeline.io.gltf` (glTF / GLB),
:mod:`~kaolin_pipeline.io.trimesh_formats` (PLY, STL) and :mod:`kaolin_pipeline.io.usd`;
:mod:`~kaolin_pipeline.io.formats` says which serves each extension and validates what they return
(``LoadError`` naming the file) and what they are given (``SaveError``). This module adds the
mesh options and the optional normalisation.
"""
from __future__ import annotations

from kaolin_pipeline.io import formats
from kaolin_pipeline.io._fileutil import PathLike
from kaolin_pipeline.ops.mesh import normalize_vertices
from kaolin_pipeline.structures import Mesh

MESH_EXTENSIONS = formats.extensions(formats.MESH)


def load_mesh(path: PathLike, *, normalize: bool = False, merge_vertices: bool = True,
              keep_unused: bool = False) -> Mesh:
    """Load a triangle mesh from ``path``; the format is chosen by the extension (see ``MESH_EXTENSIONS``).

    Polygons are triangulated as fans and a scene of several parts (glTF/GLB) is merged
    into one mesh with every node transform applied.

    Args:
        path: mesh file.
        normalize: if True, centre the bounding box at the origin and scale so the
            farthest vertex is at distance 1 (``kaolin_pipeline.ops.mesh.normalize_vertices``).
        merge_vertices: STL only. STL stores three corners per triangle; True (trimesh's default)
            merges corners at the same position into one vertex, False keeps ``V == 3 F``.
        keep_unused: OBJ only. False (trimesh's default) drops vertices no face uses (their
            colours and normals with them); True keeps every ``v`` line, as Kaolin's ``import_mesh`` does.

    Returns:
        A :class:`Mesh` with ``vertices (V, 3)`` float32 and ``faces (F, 3)`` int64, plus
        when the file has them ``uvs (T, 2)``, ``face_uvs_idx (F, 3)``, ``texture (3, H, W)``
        in [0, 1] (row 0 = top of the image, UV origin at its bottom-left),
        ``vertex_colors (V, 3)`` in [0, 1] and ``vertex_normals (V, 3)``.

    Raises:
        LoadError: the file is missing, empty, corrupt, of an unsupported type, or
            describes an invalid mesh (NaN/Inf vertices, face indices out of range...).
    """
    mesh = formats.read(path, formats.MESH, merge_vertices=merge_vertices, keep_unused=keep_unused)
    if normalize:

        mesh.vertices = normalize_vertices(mesh.vertices)
    return mesh


def save_mesh(path: PathLike, mesh: Mesh) -> None:
    """Write ``mesh`` to ``path`` atomically; the format is chosen by the extension.

    OBJ keeps Kaolin's layout (``v`` / ``vt`` / ``f v/vt``) and, when the mesh has a
    texture, writes ``<stem>.mtl`` and ``<stem>.png`` next to it. GLB/glTF store the
    texture inside the file (vertices are split where one vertex has several UVs). OFF and
    STL store geometry only; PLY also stores vertex colours and normals. ``.usdz`` is read only.

    Raises:
        SaveError: unsupported extension, invalid mesh, or the file cannot be written.
    """
    formats.write(path, formats.MESH, mesh)
