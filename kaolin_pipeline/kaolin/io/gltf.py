"""``kaolin.io.gltf``: ``import_mesh`` (the scene, node transforms applied) and ``import_meshes`` (each mesh in its
own coordinates) over :mod:`kaolin_pipeline.io.gltf`."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import torch

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io import load_mesh
from kaolin_pipeline.io.gltf import read_gltf_meshes
from kaolin_pipeline.kaolin._convert import refuse_unsupported, surface_mesh
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh
from kaolin_pipeline.structures import Mesh

__all__ = ["import_mesh", "import_meshes"]


def _gltf_path(path, function: str) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".gltf", ".glb"):
        raise LoadError(f"{path}: kaolin.io.gltf.{function} reads .gltf and .glb files")
    return path


def _surface_mesh(mesh: Mesh) -> SurfaceMesh:
    """Kaolin's glTF layout: uvs (``v`` down, as glTF stores it) with ``face_uvs_idx``, ``vertex_normals``,
    ``vertex_tangents``, :class:`PBRMaterial` materials in the order the primitives first use them (the file's
    order when all are used; not sorted by name, unlike Kaolin's
    OBJ and USD readers) with textures ``(H, W, C)``, as Kaolin's glTF reader returns them, and
    ``material_assignments (F,)`` int16. Kaolin lists every material of the file; only the used ones are here."""
    result = surface_mesh(mesh, with_uvs=True, with_normals=False, with_materials=False)
    result.vertex_normals = mesh.vertex_normals
    result.vertex_tangents = mesh.vertex_tangents
    if mesh.materials:
        result.materials = [material.hwc() for material in mesh.materials]
        result.material_assignments = mesh.material_assignments.to(torch.int16)
    return result


def import_mesh(path: str | os.PathLike, scene: Optional[int] = None) -> SurfaceMesh:
    """The default scene of a glTF/GLB file as one unbatched :class:`SurfaceMesh`: every primitive of every
    node with the node's world transform applied (normals moved by its inverse transpose).

    Raises:
        PipelineError: for ``scene`` (only the default scene is read).
        LoadError: the file is missing, malformed or holds no triangle mesh.
    """
    refuse_unsupported("kaolin.io.gltf.import_mesh", scene=(scene, None))
    return _surface_mesh(load_mesh(_gltf_path(path, "import_mesh")))


def import_meshes(path: str | os.PathLike) -> list[SurfaceMesh]:
    """Each mesh of a glTF/GLB file as its own unbatched :class:`SurfaceMesh`, without node transforms,
    with only the materials it uses."""
    return [_surface_mesh(mesh) for mesh in read_gltf_meshes(_gltf_path(path, "import_meshes"))]


__getattr__ = missing_names(__name__, __all__)
