"""``kaolin.io.import_mesh``: a mesh file read by the importer of its extension (OBJ, USD, glTF/GLB)."""
from __future__ import annotations

import os
from pathlib import Path

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io.polygons import mesh_handler_naive_triangulate
from kaolin_pipeline.kaolin.io import gltf, obj, usd
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh

__all__ = ["import_mesh"]


def import_mesh(filename: str | os.PathLike, triangulate: bool = False) -> SurfaceMesh:
    """Every attribute the file has (materials as :class:`PBRMaterial`, normals), as Kaolin's ``import_mesh``;
    polygons of mixed corner counts are fan-triangulated.

    Raises:
        LoadError: missing file or an extension other than .obj, .usd/.usda/.usdc/.usdz, .gltf/.glb.
    """
    path = Path(filename)
    if not path.is_file():
        raise LoadError(f"{path}: input file does not exist")
    extension = path.suffix.lower()
    settings = dict(with_materials=True, with_normals=True, triangulate=triangulate,
                    heterogeneous_mesh_handler=mesh_handler_naive_triangulate)
    if extension == ".obj":
        return obj.import_mesh(path, raw_materials=False, **settings)
    if extension in (".usd", ".usda", ".usdc", ".usdz"):
        return usd.import_mesh(str(path), **settings)
    if extension in (".gltf", ".glb"):
        return gltf.import_mesh(path)
    raise LoadError(f"{path}: kaolin.io.import_mesh reads .obj, .usd/.usda/.usdc/.usdz, .gltf and .glb files")
