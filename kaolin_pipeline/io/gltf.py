"""glTF 2.0 meshes (``.gltf`` with embedded buffers, ``.glb``), read and written through trimesh.

Reading merges every primitive of the scene into one mesh with each node's transform
applied; ``vertices (V, 3)``, ``faces (F, 3)`` (counter-clockwise = front, as glTF
specifies), and when stored ``vertex_normals (V, 3)`` (moved with the node transforms),
``vertex_colors (V, 3)``, ``uvs (V, 2)`` with ``face_uvs_idx == faces`` (glTF stores one UV
per vertex) and the base-colour texture as ``texture (3, H, W)``. glTF stores UVs with v
pointing down (origin at the image's top-left); trimesh flips them, so ``uvs`` have their
origin at the bottom-left like every other format here. Units are metres, +Y up.

Writing splits vertices where one vertex has several UVs and embeds the texture in the
file (``.gltf``: base64 buffers, one self-contained file).
"""
from __future__ import annotations

from pathlib import Path

from kaolin_pipeline.io.trimesh_formats import read_with_trimesh, write_with_trimesh
from kaolin_pipeline.structures import Mesh


def read_gltf(path: Path, ext: str) -> Mesh:
    """Mesh from a ``.gltf`` / ``.glb`` file (``ext``), scene parts merged."""
    return read_with_trimesh(path, ext)


def write_gltf(path: Path, ext: str, mesh: Mesh) -> None:
    """Write ``mesh`` as ``.gltf`` / ``.glb`` (``ext``), texture embedded, atomically."""
    write_with_trimesh(path, ext, mesh)
