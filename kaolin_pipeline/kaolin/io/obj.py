"""``kaolin.io.obj`` over :mod:`kaolin_pipeline.io.obj` (``import_mesh``, the material error handlers and errors)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional

from kaolin_pipeline.errors import (
    LoadError,
    MaterialError,
    MaterialFileError,
    MaterialLoadError,
    MaterialNotFoundError,
    NonHomogeneousMeshError,
)
from kaolin_pipeline.io import load_mesh
from kaolin_pipeline.io.obj import (
    create_missing_materials_error_handler,
    default_error_handler,
    ignore_error_handler,
    material_errors_to,
    read_raw_materials,
    skip_error_handler,
)
from kaolin_pipeline.io.polygons import (
    heterogeneous_mesh_handler_naive_homogenize,
    heterogeneous_mesh_handler_skip,
    mesh_handler_naive_triangulate,
    unfan_polygons,
)
from kaolin_pipeline.kaolin._convert import mtl_pbr_material, refuse_unsupported, surface_mesh
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh

__all__ = ["MaterialError", "MaterialFileError", "MaterialLoadError", "MaterialNotFoundError",
           "create_missing_materials_error_handler", "default_error_handler", "ignore_error_handler", "import_mesh",
           "skip_error_handler"]

_TRIANGULATING = (mesh_handler_naive_triangulate, heterogeneous_mesh_handler_naive_homogenize)


def _corner_counts(path: Path) -> list[int]:
    """Corners of each ``f`` statement (to tell whether our loader triangulated polygons)."""
    with open(path, "rb") as handle:
        return [len(line.split()) - 1 for line in handle if line.lstrip().startswith(b"f ")]


def import_mesh(path: str | os.PathLike, with_materials: bool = False, with_normals: bool = False,
                error_handler: Optional[Callable] = None, heterogeneous_mesh_handler: Optional[Callable] = None,
                triangulate: bool = False, raw_materials: bool = True) -> Optional[SurfaceMesh]:
    """Load an OBJ file as Kaolin 0.18 does: an unbatched :class:`SurfaceMesh` of CPU tensors.

    ``uvs``, ``face_uvs_idx``, ``materials`` (sorted by name) and ``material_assignments`` ((F,) int16,
    -1 for none) are filled only with ``with_materials``, UVs with Kaolin's ``v' = 1 - v``; materials are
    Kaolin's raw dicts (``Kd``, ``Ka``, ``Ks`` (3,), ``map_Kd``, ``map_Ka``, ``map_Ks``... (H, W, 3) uint8,
    ``map_Ns``/``map_refl`` with ``-imfchan`` (H, W, 1), ``material_name``: :func:`read_raw_materials`) by default,
    :class:`PBRMaterial` objects with ``raw_materials=False``. ``normals (N, 3)`` and ``face_normals_idx
    (F, 3)`` as the file indexes them, only with ``with_normals``. A material problem (missing library,
    material or image) goes to ``error_handler(error)`` (default: raised).

    Polygons: kept when every face has the same corner count ``K`` (``faces``, ``face_uvs_idx`` and
    ``face_normals_idx`` (F, K)); fan-triangulated with ``triangulate=True`` or ``heterogeneous_mesh_handler=
    mesh_handler_naive_triangulate`` (mixed corner counts); ``heterogeneous_mesh_handler_skip`` returns None.

    Raises:
        NonHomogeneousMeshError: mixed corner counts and neither ``triangulate`` nor a handler.
        LoadError: the file is missing or malformed; a handler other than Kaolin's is given.
        MaterialError: from the default ``error_handler``.
    """
    path = Path(path)
    if path.suffix.lower() != ".obj":
        raise LoadError(f"{path}: kaolin.io.obj.import_mesh reads .obj files")
    with material_errors_to((error_handler or default_error_handler) if with_materials else ignore_error_handler):
        mesh = load_mesh(path, keep_unused=True)  # Kaolin keeps every v line
        raw = read_raw_materials(path) if with_materials and raw_materials else None
    counts = set(_corner_counts(path))
    if counts - {3}:
        if len(counts) > 1 and heterogeneous_mesh_handler is not None:
            if heterogeneous_mesh_handler is heterogeneous_mesh_handler_skip:
                return None
            refuse_unsupported("kaolin.io.obj.import_mesh",
                               heterogeneous_mesh_handler=(heterogeneous_mesh_handler, mesh_handler_naive_triangulate)
                               ) if heterogeneous_mesh_handler not in _TRIANGULATING else None
        elif len(counts) > 1 and not triangulate:
            raise NonHomogeneousMeshError(f"{path}: faces have {sorted(counts)} corners; pass triangulate=True or "
                                          "heterogeneous_mesh_handler (see kaolin.io.utils)")
    result = surface_mesh(mesh, with_uvs=with_materials, with_normals=with_normals, with_materials=with_materials,
                          raw_materials=raw)
    if result.materials and not raw_materials:  # Kaolin's PBRMaterial from an MTL: textures (H, W, C)
        result.materials = [mtl_pbr_material(material) for material in result.materials]
    if len(counts) == 1 and counts != {3} and not triangulate:  # every face a K-gon: Kaolin keeps them
        corners = counts.pop()
        fields = result.as_dict(only_tensors=True)
        fields["materials"] = result.materials
        for name in ("faces", "face_uvs_idx", "face_normals_idx"):
            if fields.get(name) is not None:
                fields[name] = unfan_polygons(fields[name], corners)
        if fields.get("material_assignments") is not None:
            fields["material_assignments"] = fields["material_assignments"][::corners - 2]
        result = SurfaceMesh(**fields)
    return result


__getattr__ = missing_names(__name__, __all__)
