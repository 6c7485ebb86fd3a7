"""What ``fit`` can take as a target besides a mesh: a point cloud or a voxel grid.

Every target becomes a *display mesh* that the renderer draws into the target views:

* a mesh is itself;
* a point cloud is drawn as splats: one small octahedron per point (at most
  :data:`MAX_SPLATS`, a seeded subset), of radius :data:`SPLAT_SPACING` × the median distance
  between neighbouring points, in the point's colour (light grey without colours);
* a voxel grid is drawn as its boundary surface (marching cubes of the occupancy).

The fit is then measured against the target itself, not the display mesh: a point cloud by
chamfer distance and F-score between surface samples of the prediction and the points, a voxel
grid by the 3D IoU of the prediction's solid voxelisation in the grid's own box (and F-score
against the grid's surface).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Union

import torch
from scipy.spatial import cKDTree

from kaolin_pipeline.errors import LoadError, PipelineError
from kaolin_pipeline.io.formats import load_any
from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid, voxelgrid_to_mesh
from kaolin_pipeline.ops.metrics import chamfer_distance, f_score, iou
from kaolin_pipeline.ops.sampling import sample_points
from kaolin_pipeline.structures import Mesh, PointCloud, VoxelGrid

#: Most points drawn as splats.
MAX_SPLATS = 30000
#: Splat radius in units of the median nearest-neighbour distance of the (drawn) points.
SPLAT_SPACING = 1.5
#: Colour of a point cloud without colours, and of a voxel grid.
PLAIN_COLOR = 0.7

_OCTAHEDRON_CORNERS = torch.tensor([[1.0, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]])
_OCTAHEDRON_FACES = torch.tensor([[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4],
                                  [2, 0, 5], [1, 2, 5], [3, 1, 5], [0, 3, 5]])


@dataclasses.dataclass
class TargetShape:
    """A ``fit`` target read from a file.

    Attributes:
        kind: ``"mesh"``, ``"point cloud"`` or ``"voxel grid"``.
        display: the mesh drawn into the target views, in the file's units.
        source: what the file holds (the mesh itself, the :class:`PointCloud` or the :class:`VoxelGrid`).
        inflation: how far the drawn shape reaches past the true surface, in the file's units (the
            splat radius of a point cloud; 0 otherwise): the visual hull of its views is that much too big.
    """

    kind: str
    display: Mesh
    source: Union[Mesh, PointCloud, VoxelGrid]
    inflation: float = 0.0


def splat_mesh(cloud: PointCloud, max_points: int = MAX_SPLATS, seed: int = 0) -> Mesh:
    """Points as small vertex-coloured octahedra (see the module docstring).

    Returns:
        :class:`Mesh` with 6 vertices (V = 6P, 3) and 8 faces (8P, 3) per drawn point, wound outward.
    """
    points = cloud.points
    if points.shape[0] == 0:
        raise PipelineError("point cloud: no points to draw")
    keep = torch.arange(points.shape[0])
    if points.shape[0] > max_points:
        keep = torch.randperm(points.shape[0], generator=torch.Generator().manual_seed(seed))[:max_points]
    drawn = points[keep.to(points.device)]
    if drawn.shape[0] > 1:
        spacing = cKDTree(drawn.detach().cpu().double().numpy()).query(drawn.detach().cpu().double().numpy(), k=2)[0][:, 1]
        radius = SPLAT_SPACING * float(torch.as_tensor(spacing).median())
    else:
        radius = 0.0
    if not radius > 0:
        radius = 1e-3 * float((points.max(dim=0).values - points.min(dim=0).values).norm().clamp(min=1.0))
    corners = _OCTAHEDRON_CORNERS.to(drawn)
    vertices = (drawn[:, None, :] + radius * corners[None]).reshape(-1, 3)
    faces = (_OCTAHEDRON_FACES.to(drawn.device)[None] + 6 * torch.arange(drawn.shape[0], device=drawn.device)[:, None, None])
    if cloud.colors is not None:
        colors = cloud.colors[keep.to(points.device)].to(drawn).clamp(0, 1)
    else:
        colors = torch.full_like(drawn, PLAIN_COLOR)
    return Mesh(vertices, faces.reshape(-1, 3), vertex_colors=colors.repeat_interleave(6, dim=0))


def grid_surface(grid: VoxelGrid) -> Mesh:
    """A voxel grid's boundary surface (marching cubes), plain grey, in the grid's world units."""
    surface = voxelgrid_to_mesh(grid)
    return dataclasses.replace(surface, vertex_colors=torch.full_like(surface.vertices, PLAIN_COLOR))


def read_target_shape(path: Union[str, Path]) -> TargetShape:
    """Read a mesh, point-cloud or voxel-grid file as a ``fit`` target.

    Raises:
        LoadError: naming the file, when it holds none of the three (in words: what ``fit`` needs).
    """
    try:
        kind, data = load_any(path)
    except LoadError as error:
        raise LoadError(f"fit needs a mesh, a point cloud or a voxel grid; {error}") from None
    if kind == "mesh":
        return TargetShape(kind, data, data)
    if kind == "point cloud":
        splats = splat_mesh(data)
        return TargetShape(kind, splats, data, float((splats.vertices[0] - splats.vertices[1]).norm()) / 2)
    return TargetShape(kind, grid_surface(data), data)


def source_metrics(prediction: Mesh, shape: TargetShape, num_points: int = 20000, seed: int = 0) -> dict[str, float]:
    """3D agreement of ``prediction`` (in the file's units) with a point-cloud or voxel-grid target.

    Returns:
        For a point cloud: ``chamfer`` (squared distances, Kaolin's), ``f_score_1`` / ``f_score_2``
        at 1% / 2% of the points' bounding-box diagonal, between ``num_points`` surface samples of
        the prediction and the points. For a voxel grid: the same against ``num_points`` samples of
        the grid's surface, plus ``voxel_iou``, the IoU of the prediction's solid voxelisation in
        the grid's own box and resolution with the grid.
    """
    generator = torch.Generator(device=prediction.vertices.device).manual_seed(seed)
    predicted = sample_points(prediction.vertices.unsqueeze(0), prediction.faces, num_points, generator=generator)[0][0]
    if shape.kind == "point cloud":
        reference = shape.source.points.to(predicted)
    else:
        reference = sample_points(shape.display.vertices.unsqueeze(0).to(predicted), shape.display.faces.to(predicted.device),
                                  num_points, generator=generator)[0][0]
    diagonal = float((reference.max(dim=0).values - reference.min(dim=0).values).norm())
    metrics = {
        "chamfer": float(chamfer_distance(predicted[None], reference[None])[0]),
        "f_score_1": float(f_score(reference[None], predicted[None], radius=0.01 * diagonal)[0]),
        "f_score_2": float(f_score(reference[None], predicted[None], radius=0.02 * diagonal)[0]),
    }
    if shape.kind == "voxel grid":
        grid = shape.source
        solid = mesh_to_voxelgrid(prediction.vertices, prediction.faces, grid.resolution,
                                  origin=grid.origin.to(prediction.vertices), size=grid.size, mode="solid")
        metrics["voxel_iou"] = float(iou(solid.occupancy[None], grid.occupancy.to(solid.occupancy.device)[None] > 0)[0])
    return metrics
