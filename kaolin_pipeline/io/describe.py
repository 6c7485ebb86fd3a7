"""A human-readable summary of a mesh, point cloud or voxel grid file (``kaolin-pipeline info FILE``)."""
from __future__ import annotations

from pathlib import Path

import torch

from kaolin_pipeline.io.formats import MESH, POINT_CLOUD, load_any


def _format_point(values) -> str:
    return "[" + ", ".join(f"{x:.4g}" for x in values) + "]"


def _bbox(points: torch.Tensor) -> str:
    """``(N, 3)`` points' axis-aligned bounding box as ``[min] .. [max]``."""
    return f"{_format_point(points.min(dim=0).values.tolist())} .. {_format_point(points.max(dim=0).values.tolist())}"


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
    if kind == MESH:
        lines += [f"  vertices  {data.num_vertices}", f"  faces     {data.num_faces}",
                  f"  bbox      {_bbox(data.vertices)}"]
        fields = ["uvs", "face_uvs_idx", "vertex_colors", "vertex_normals", "texture", "material_assignments"]
        for index, material in enumerate(data.materials or []):
            parts = material.get_attributes(only_tensors=True)
            lines.append(f"  material {index} {material.material_name or '(unnamed)'}: "
                         f"{int((data.material_assignments == index).sum())} faces; {', '.join(parts) or 'no values'}")
    elif kind == POINT_CLOUD:
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
