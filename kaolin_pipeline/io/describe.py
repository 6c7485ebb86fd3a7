"""A human-readable summary of a mesh, point cloud or voxel grid file (``kaolin-pipeline info FILE``)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from kaolin_pipeline.io.mesh import MESH_EXTENSIONS, load_mesh
from kaolin_pipeline.io.pointcloud import POINTCLOUD_EXTENSIONS, load_pointcloud
from kaolin_pipeline.io.voxelgrid import VOXELGRID_EXTENSIONS, load_voxelgrid
from kaolin_pipeline.errors import LoadError, PipelineError


def _loaders_for(path: Path) -> list[tuple[str, Callable]]:
    """``(kind, loader)`` candidates for a file, most likely first."""
    suffix = path.suffix.lower()
    candidates = [("mesh", MESH_EXTENSIONS, load_mesh), ("point cloud", POINTCLOUD_EXTENSIONS, load_pointcloud),
                  ("voxel grid", VOXELGRID_EXTENSIONS, load_voxelgrid)]
    found = [(kind, loader) for kind, extensions, loader in candidates if suffix in extensions]
    if not found:
        known = sorted(set(MESH_EXTENSIONS + POINTCLOUD_EXTENSIONS + VOXELGRID_EXTENSIONS))
        raise LoadError(f"{path}: unsupported file type '{suffix}' (known: {', '.join(known)})")
    return found


def _format_point(values) -> str:
    return "[" + ", ".join(f"{x:.4g}" for x in values) + "]"


def _bbox(points: torch.Tensor) -> str:
    """``(N, 3)`` points' axis-aligned bounding box as ``[min] .. [max]``."""
    return f"{_format_point(points.min(dim=0).values.tolist())} .. {_format_point(points.max(dim=0).values.tolist())}"


def load_any(path: str | Path) -> tuple[str, object]:
    """Read a file as a mesh, then a point cloud, then a voxel grid (the candidates its extension
    allows, most likely first); the first that loads wins.

    Returns:
        ``(kind, data)``: ``"mesh"`` and a :class:`Mesh`, ``"point cloud"`` and a :class:`PointCloud`,
        or ``"voxel grid"`` and a :class:`VoxelGrid`.

    Raises:
        LoadError: the file is missing, of an unknown type, or no loader can read it (the first loader's error).
    """
    path = Path(path)
    if not path.exists():
        raise LoadError(f"{path}: no such file")
    errors = []
    for kind, loader in _loaders_for(path):
        try:
            return kind, loader(path)
        except PipelineError as exc:
            errors.append(exc)
    raise errors[0]


def describe_file(path: str | Path) -> str:
    """A few lines describing a mesh, point cloud or voxel grid file: counts, bounding box, fields present.

    Files whose extension several representations share (``.ply``, ``.npz``, USD) are
    read as a mesh, then a point cloud, then a voxel grid; the first that loads wins.

    Raises:
        LoadError: the file is missing, of an unknown type, or no loader can read it.
    """
    path = Path(path)
    kind, data = load_any(path)
    lines = [f"{path}: {kind}"]
    if kind == "mesh":
        lines += [f"  vertices  {data.num_vertices}", f"  faces     {data.num_faces}",
                  f"  bbox      {_bbox(data.vertices)}"]
        fields = ["uvs", "face_uvs_idx", "vertex_colors", "vertex_normals", "texture", "material_assignments"]
        for index, material in enumerate(data.materials or []):
            parts = [name for name in material.as_dict() if name not in ("material_name", "is_specular_workflow")]
            lines.append(f"  material {index} {material.material_name or '(unnamed)'}: "
                         f"{int((data.material_assignments == index).sum())} faces; {', '.join(parts) or 'no values'}")
    elif kind == "point cloud":
        lines += [f"  points    {data.num_points}", f"  bbox      {_bbox(data.points)}"]
        fields = ["normals", "colors"]
    else:
        occupied = int(data.occupancy.sum())
        lines += [f"  resolution {data.resolution}^3", f"  occupied  {occupied} "
                  f"({100.0 * occupied / data.occupancy.numel():.2f}%)",
                  f"  box       origin {[round(v, 4) for v in data.origin.tolist()]}, size {data.size:.4g}"]
        fields = []
    present = [f"{name} {tuple(getattr(data, name).shape)}" for name in fields if getattr(data, name) is not None]
    if fields:
        lines.append(f"  fields    {', '.join(present) if present else 'none'}")
    return "\n".join(lines)
