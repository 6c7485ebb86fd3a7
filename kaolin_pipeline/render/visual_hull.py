"""The visual hull of silhouettes: the largest shape whose every view falls inside the masks.

Space carving on a voxel grid: each voxel corner is projected into every view with the
cameras' Kaolin-legacy projection, and its occupancy is the smallest (bilinearly sampled)
mask value over the views. Marching cubes (scikit-image, through
:func:`kaolin_pipeline.ops.voxelgrid_to_mesh`) at level 0.5 turns that field into a closed
triangle mesh with the genus and the thin parts the silhouettes show (a torus seen from enough
sides is a genus-1 hull); the hull always contains the object that cast the silhouettes.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.ops.conversions import voxelgrid_to_mesh
from kaolin_pipeline.render.camera import perspective_camera, rotate_translate_points
from kaolin_pipeline.render.renderer import Cameras
from kaolin_pipeline.structures import Mesh, VoxelGrid


def close_masks(masks: torch.Tensor, pixels: int = 1) -> torch.Tensor:
    """Morphological closing of silhouettes (a dilation then an erosion by a (2p+1)² square):
    fills gaps up to ``2 * pixels`` wide, such as those between the splats of a point cloud, which
    carving would otherwise drill through the object.

    Args:
        masks: (N, H, W) in [0, 1].

    Returns:
        (N, H, W) of the same dtype; unchanged where no gap is that narrow.
    """
    size = 2 * pixels + 1
    grown = F.max_pool2d(masks.unsqueeze(1), size, stride=1, padding=pixels)
    return -F.max_pool2d(-grown, size, stride=1, padding=pixels)[:, 0]


def carve(masks: torch.Tensor, cameras: Cameras, resolution: int = 64, radius: float = 1.0,
          chunk: int = 1 << 18, depths: Optional[torch.Tensor] = None) -> VoxelGrid:
    """Soft occupancy of the visual hull on a grid of ``resolution``³ points in ``[-radius, radius]³``.

    With ``depths`` the carving also removes the space each view sees in front of the surface
    (space carving with depth): a grid point nearer to a camera than the nearest depth among its
    pixel and the 8 around it is empty. Concavities and holes that some view looks into are then
    carved too; the result still contains the surface (the 3 × 3 minimum keeps it on the near side).

    Args:
        masks: (N, H, W) silhouettes in [0, 1], row 0 at the top of the image.
        cameras: the N cameras that saw them.
        resolution: R, grid points per axis.
        radius: half the side of the carved cube, centred on the origin.
        chunk: grid points projected at once.
        depths: optional (N, H, W) distance along each view axis at the pixel centres, 0 where
            nothing is seen (:attr:`Views.depths`).

    Returns:
        :class:`VoxelGrid` whose float occupancy (R, R, R) in [0, 1] is, at each point, the
        smallest mask value over the views (0 where a view does not see the point), and with
        ``depths`` at most ``0.5 + (distance - depth) / spacing`` of every view; the grid's
        voxel ``(i, j, k)`` has its centre at the sample point.
    """
    if masks.dim() != 3 or masks.shape[0] != len(cameras) or masks.shape[0] == 0:
        raise RenderError(f"carve: masks must have shape (N, H, W) with N = {len(cameras)} cameras, "
                          f"got {tuple(masks.shape)}")
    if resolution < 2:
        raise RenderError(f"carve: resolution must be at least 2, got {resolution}")
    axis = torch.linspace(-radius, radius, resolution, dtype=masks.dtype, device=masks.device)
    points = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), dim=-1).reshape(-1, 3)
    images = masks.to(points.dtype).unsqueeze(1)  # (N, 1, H, W)
    spacing = 2.0 * radius / (resolution - 1)
    nearest = None
    if depths is not None:
        if depths.shape != masks.shape:
            raise RenderError(f"carve: depths must have the masks' shape {tuple(masks.shape)}, got {tuple(depths.shape)}")
        far = torch.finfo(points.dtype).max
        seen = torch.where(depths > 0, depths.to(points.dtype), torch.full_like(depths, far, dtype=points.dtype))
        nearest = -F.max_pool2d(-seen.unsqueeze(1), 3, stride=1, padding=1)  # (N, 1, H, W); `far`: no surface near
    rotation, translation = cameras.rotation.to(points), cameras.translation.to(points)
    projection = cameras.projection.to(points)
    values = []
    for start in range(0, points.shape[0], chunk):
        batch = points[start:start + chunk].unsqueeze(0).expand(len(cameras), -1, -1)
        in_camera = rotate_translate_points(batch, rotation, translation)  # (N, P, 3)
        on_image = perspective_camera(in_camera, projection)  # (N, P, 2), +y up
        grid = torch.stack([on_image[..., 0], -on_image[..., 1]], dim=-1).unsqueeze(1)  # grid_sample: +y down
        seen = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)[:, 0, 0]
        seen = torch.where(in_camera[..., 2] < -cameras.near, seen, torch.zeros_like(seen))
        if nearest is not None:
            surface = F.grid_sample(nearest, grid, mode="nearest", padding_mode="border", align_corners=False)[:, 0, 0]
            in_front = (0.5 + (-in_camera[..., 2] - surface) / spacing).clamp(0.0, 1.0)
            seen = torch.minimum(seen, torch.where(surface < far, in_front, torch.ones_like(in_front)))
        values.append(seen.min(dim=0).values)
    occupancy = torch.cat(values).reshape(resolution, resolution, resolution)
    origin = torch.full((3,), -radius - spacing / 2, dtype=points.dtype, device=points.device)
    return VoxelGrid(occupancy=occupancy, origin=origin, size=spacing * resolution)


def visual_hull(masks: torch.Tensor, cameras: Cameras, resolution: int = 64, radius: float = 1.0,
                depths: Optional[torch.Tensor] = None) -> Mesh:
    """The visual hull of ``masks`` seen by ``cameras`` as a closed triangle mesh (see :func:`carve`;
    with ``depths`` (N, H, W), also carved by what each view sees in front of the surface).

    Returns:
        :class:`Mesh` with vertices (V, 3) and faces (F, 3) wound counter-clockwise from outside;
        several parts if the silhouettes show several.

    Raises:
        RenderError: when no grid point falls inside every silhouette.
    """
    grid = carve(masks, cameras, resolution, radius, depths=depths)
    if not bool((grid.occupancy > 0.5).any()):
        raise RenderError("visual_hull: no point of the carved cube lies inside every silhouette; "
                          "are the cameras and masks of the same object?")
    return voxelgrid_to_mesh(grid, level=0.5)
