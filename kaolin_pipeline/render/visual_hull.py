"""The visual hull of silhouettes: the largest shape whose every view falls inside the masks.

Space carving on a voxel grid: each voxel corner is projected into every view with the
cameras' Kaolin-legacy projection, and its occupancy is the smallest (bilinearly sampled)
mask value over the views. Marching cubes (scikit-image, through
:func:`kaolin_pipeline.ops.conversions.voxelize.padded_marching_cubes`) at level 0.5 turns that field into a closed
triangle mesh with the genus and the thin parts the silhouettes show (a torus seen from enough
sides is a genus-1 hull); the hull always contains the object that cast the silhouettes.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.ops.conversions.voxelize import padded_marching_cubes
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
    _check_views(masks, cameras, depths)
    if resolution < 2:
        raise RenderError(f"carve: resolution must be at least 2, got {resolution}")
    axis = torch.linspace(-radius, radius, resolution, dtype=masks.dtype, device=masks.device)
    spacing = 2.0 * radius / (resolution - 1)
    occupancy = _carve_axes(masks, cameras, (axis, axis, axis), spacing, depths, chunk)
    origin = torch.full((3,), -radius - spacing / 2, dtype=occupancy.dtype, device=occupancy.device)
    return VoxelGrid(occupancy=occupancy, origin=origin, size=spacing * resolution)


_NOTHING_INSIDE = ("visual_hull: no point of the carved cube lies inside every silhouette; "
                   "are the cameras and masks of the same object?")


def _check_views(masks: torch.Tensor, cameras: Cameras, depths: Optional[torch.Tensor]) -> None:
    if masks.dim() != 3 or masks.shape[0] != len(cameras) or masks.shape[0] == 0:
        raise RenderError(f"carve: masks must have shape (N, H, W) with N = {len(cameras)} cameras, "
                          f"got {tuple(masks.shape)}")
    if depths is not None and depths.shape != masks.shape:
        raise RenderError(f"carve: depths must have the masks' shape {tuple(masks.shape)}, got {tuple(depths.shape)}")


def _carve_axes(masks: torch.Tensor, cameras: Cameras, axes: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                spacing: float, depths: Optional[torch.Tensor], chunk: int = 1 << 18,
                basis: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The occupancy of :func:`carve` (X, Y, Z) at the points of the grid ``axes`` (three 1-D tensors of
    coordinates along the rows of ``basis`` (3, 3), the world axes by default); ``spacing`` scales how fast
    it falls in front of a depth."""
    points = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, 3)
    if basis is not None:
        points = points @ basis
    images = masks.to(points.dtype).unsqueeze(1)  # (N, 1, H, W)
    nearest = None
    if depths is not None:
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
    return torch.cat(values).reshape(*(len(axis) for axis in axes))


def seen_points(depths: torch.Tensor, cameras: Cameras) -> torch.Tensor:
    """The world-space surface points that depth maps see, one per pixel with a depth.

    Args:
        depths: (N, H, W) distance along each view axis at the pixel centres, 0 where nothing is seen.
        cameras: the N cameras (Kaolin-legacy: ``P_cam = R (P - T)``, looking down −z).

    Returns:
        (P, 3) points, P the number of pixels with a positive depth.
    """
    n, height, width = depths.shape
    dtype, device = depths.dtype, depths.device
    x = (2 * torch.arange(width, dtype=dtype, device=device) + 1) / width - 1        # pixel centres, +x right
    y = 1 - (2 * torch.arange(height, dtype=dtype, device=device) + 1) / height      # row 0 at the top, +y up
    rows, columns = torch.meshgrid(y, x, indexing="ij")  # (H, W) each
    proj = cameras.projection.to(depths).reshape(3)
    z = -depths  # perspective_camera: image = (x p0, y p1) / (z p2)
    in_camera = torch.stack([columns * z * proj[2] / proj[0], rows * z * proj[2] / proj[1], z], dim=-1)
    world = in_camera.reshape(n, -1, 3) @ cameras.rotation.to(depths) + cameras.translation.to(depths).unsqueeze(1)
    return world.reshape(-1, 3)[(depths > 0).reshape(-1)]


def hull_box(masks: torch.Tensor, cameras: Cameras, resolution: int, radius: float,
             depths: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The box that holds the visual hull: the bounds of the points the depths see or, without depths, of the
    points of a ``resolution``³ carving of the cube of half-side ``radius`` that the silhouettes keep. The box
    is aligned with the world axes or with the points' principal axes, whichever is smaller (compared with
    each side grown by a spacing of that cube grid, so a flat box is not taken for an empty one): a tilted
    plate gets a thin box too.

    Returns:
        basis (3, 3) (rows: the box's axes in world space, a rotation), lower (3,) and upper (3,) corners
        in the box's axes (a world point ``p`` is at ``p @ basis.T``).

    Raises:
        RenderError: when nothing in the cube is seen.
    """
    spacing = 2.0 * radius / (resolution - 1)
    if depths is not None and bool((depths > 0).any()):
        points = seen_points(depths, cameras)
    else:
        grid = carve(masks, cameras, resolution, radius)
        axis = torch.linspace(-radius, radius, resolution, dtype=masks.dtype, device=masks.device)
        points = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), dim=-1)[grid.occupancy > 0]
    if points.shape[0] == 0:
        raise RenderError(_NOTHING_INSIDE)
    centred = (points - points.mean(dim=0)).double()
    principal = torch.linalg.eigh(centred.T @ centred).eigenvectors.T  # rows: principal axes
    principal[2] *= torch.linalg.det(principal).sign()  # a rotation, so marching cubes keeps its winding
    boxes = []
    for basis in (torch.eye(3, dtype=torch.float64, device=points.device), principal):
        local = points.double() @ basis.T
        lower, upper = local.min(dim=0).values, local.max(dim=0).values
        boxes.append((float((upper - lower + spacing).prod()), basis, lower, upper))
    _, basis, lower, upper = min(boxes, key=lambda box: box[0])
    return tuple(t.to(masks.dtype) for t in (basis, lower, upper))


def visual_hull(masks: torch.Tensor, cameras: Cameras, resolution: int = 64, radius: float = 1.0,
                depths: Optional[torch.Tensor] = None, across: int = 6) -> Mesh:
    """The visual hull of ``masks`` seen by ``cameras`` as a closed triangle mesh (see :func:`carve`;
    with ``depths`` (N, H, W), also carved by what each view sees in front of the surface).

    The grid fills the box that holds the hull (:func:`hull_box`) with the spacing of a ``resolution``³ grid
    of the cube of half-side ``radius``, finer along a side shorter than ``across`` such spacings (``across``
    points fall inside it): a plate thinner than a spacing of the cube grid is kept.
    Parts smaller than a grid spacing (specks every silhouette happens to cover) are dropped.

    Returns:
        :class:`Mesh` with vertices (V, 3) and faces (F, 3) wound counter-clockwise from outside;
        several parts if the silhouettes show several.

    Raises:
        RenderError: when no grid point falls inside every silhouette.
    """
    _check_views(masks, cameras, depths)
    if resolution < 2:
        raise RenderError(f"carve: resolution must be at least 2, got {resolution}")
    basis, lower, upper = hull_box(masks, cameras, resolution, radius, depths)
    spacing = 2.0 * radius / (resolution - 1)  # the cube grid's
    steps = [max(min(spacing, float(side) / across), spacing / 16) for side in upper - lower]  # points inside a thin side
    axes = tuple(torch.arange(float(lo) - 1.5 * step, float(hi) + 1.5 * step + step / 2, step, dtype=masks.dtype,
                              device=masks.device) for lo, hi, step in zip(lower, upper, steps))
    occupancy = _carve_axes(masks, cameras, axes, spacing, depths, basis=basis)
    if not bool((occupancy > 0.5).any()):
        raise RenderError(_NOTHING_INSIDE)
    positions, triangles = padded_marching_cubes(occupancy, 0.5)
    # Padded index p is grid point p - 1.
    start = torch.stack([axis[0] for axis in axes])
    local = start + (torch.from_numpy(positions).to(lower) - 1.0) * torch.tensor(steps).to(lower)
    faces = torch.from_numpy(triangles).to(device=lower.device, dtype=torch.int64)
    return _without_specks(Mesh(vertices=(local @ basis).to(torch.float32), faces=faces), spacing)


def _without_specks(mesh: Mesh, spacing: float) -> Mesh:
    """``mesh`` without its parts that fit in a cube of side ``spacing``: specks that carving leaves where every
    silhouette happens to cover a grid point (inside a torus's hole, say), smaller than the grid can show."""
    from trimesh.graph import connected_component_labels, face_adjacency

    faces = mesh.faces.cpu().numpy()
    labels = torch.from_numpy(connected_component_labels(face_adjacency(faces), node_count=len(faces)))
    labels = labels.to(mesh.faces.device)
    corners = mesh.vertices[mesh.faces].reshape(-1, 3)  # (3F, 3)
    part_of_corner = labels.repeat_interleave(3)
    count = int(labels.max()) + 1
    low = torch.full((count, 3), float("inf"), device=corners.device).scatter_reduce(
        0, part_of_corner[:, None].expand(-1, 3), corners, "amin")
    high = torch.full((count, 3), float("-inf"), device=corners.device).scatter_reduce(
        0, part_of_corner[:, None].expand(-1, 3), corners, "amax")
    keep = ((high - low).max(dim=1).values >= spacing)[labels]
    if bool(keep.all()):
        return mesh
    used, faces = torch.unique(mesh.faces[keep], return_inverse=True)
    return Mesh(vertices=mesh.vertices[used], faces=faces)
