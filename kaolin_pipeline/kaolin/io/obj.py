"""``kaolin.io.obj.import_mesh`` over :func:`kaolin_pipeline.io.load_mesh`."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io import load_mesh
from kaolin_pipeline.kaolin._convert import refuse_unsupported, surface_mesh
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh

__all__ = ["import_mesh"]


def _face_lines(path: Path) -> int:
    """Number of ``f`` statements in the file (to tell whether our loader triangulated polygons)."""
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.lstrip().startswith(b"f ") or line.strip() == b"f")


def import_mesh(path: str | os.PathLike, with_materials: bool = False, with_normals: bool = False,
                error_handler: Optional[Callable] = None, heterogeneous_mesh_handler: Optional[Callable] = None,
                triangulate: bool = False, raw_materials: bool = True) -> SurfaceMesh:
    """Load an OBJ file as Kaolin 0.18 does: an unbatched :class:`SurfaceMesh` of CPU tensors.

    ``uvs``, ``face_uvs_idx``, ``materials`` (sorted by name) and ``material_assignments`` ((F,) int16,
    -1 for none) are filled only with ``with_materials`` (as in Kaolin), UVs with Kaolin's ``v' = 1 - v``;
    materials are Kaolin's raw dicts (``Kd``, ``map_Kd`` (H, W, 3) uint8, ``Ks``, ``map_Ks``,
    ``material_name``) by default, :class:`PBRMaterial` objects with ``raw_materials=False``.
    ``normals`` and ``face_normals_idx`` are filled only with ``with_normals``. Polygons are split into
    triangles (fans), which Kaolin does only with ``triangulate=True``: without it, a file holding
    polygons is refused rather than returned with different faces.

    Raises:
        PipelineError: for ``error_handler`` and ``heterogeneous_mesh_handler`` (not supported: our
            loader warns and goes on where Kaolin's handlers would be called).
        LoadError: the file is missing or malformed, or holds polygons and ``triangulate`` is False.
    """
    refuse_unsupported("kaolin.io.obj.import_mesh", error_handler=(error_handler, None),
                       heterogeneous_mesh_handler=(heterogeneous_mesh_handler, None))
    path = Path(path)
    if path.suffix.lower() != ".obj":
        raise LoadError(f"{path}: kaolin.io.obj.import_mesh reads .obj files")
    mesh = load_mesh(path, keep_unused=True)  # Kaolin keeps every v line
    if not triangulate and mesh.num_faces != _face_lines(path):
        raise LoadError(f"{path}: holds faces with more than 3 corners; pass triangulate=True to split them "
                        "into triangles (kaolin-pipeline does not keep polygons)")
    return surface_mesh(mesh, with_uvs=with_materials, with_normals=with_normals, with_materials=with_materials,
                        raw_materials=raw_materials)


__getattr__ = missing_names(__name__, __all__)
