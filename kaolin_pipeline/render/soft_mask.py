"""DIB-R soft silhouette mask with the semantics of Kaolin's ``dibr_soft_mask``, in pure PyTorch.

Pixels covered by the hard rasterization (``selected_face_idx >= 0``) are exactly 1, with no
gradient. A background pixel looks at the faces whose 2D bounding box, enlarged by ``boxlen``
on every side, contains its centre, and keeps the first ``knum`` of them in face-index order.
With d² the squared image-plane distance from the pixel centre to a kept face's boundary
(nearest point of its three edges), the pixel's value is ``1 - prod(1 - exp(-sigmainv * d²))``.

Candidate pairs come from :mod:`kaolin_pipeline.render.binning` and are selected without
autograd; d² is then computed differentiably for the kept pairs only.
"""
from __future__ import annotations

import torch

from ..errors import RenderError
from .binning import (DEFAULT_MAX_PAIRS, check_face_vertices_image, count_in_boxes, face_bounding_boxes,
                      face_grids, pixel_boxes, pixel_centers_of)


def squared_distances_to_boundary(vertices: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared distance from points to the boundary of triangles.

    Args:
        vertices: (N, 3, 2) triangle corners.
        x, y: (N,) point coordinates.

    Returns:
        (N,) squared distance to the nearest point of the three edges (corners included).
    """
    start_x, start_y = vertices[..., 0], vertices[..., 1]
    next_corner = [1, 2, 0]
    edge_x, edge_y = start_x[:, next_corner] - start_x, start_y[:, next_corner] - start_y
    to_point_x, to_point_y = x.unsqueeze(1) - start_x, y.unsqueeze(1) - start_y
    length2 = edge_x * edge_x + edge_y * edge_y
    # A zero-length edge has a zero dot product too, so its parameter is 0 (its single point).
    along = (to_point_x * edge_x + to_point_y * edge_y) / length2.clamp_min(torch.finfo(length2.dtype).tiny)
    along = along.clamp(0, 1)
    offset_x, offset_y = to_point_x - along * edge_x, to_point_y - along * edge_y
    return (offset_x * offset_x + offset_y * offset_y).amin(dim=1)


def _check_soft_mask_arguments(face_vertices_image: torch.Tensor, selected_face_idx: torch.Tensor,
                               sigmainv: float, boxlen: float, knum: int, multiplier: float) -> None:
    check_face_vertices_image(face_vertices_image)
    shape = tuple(getattr(selected_face_idx, "shape", ()))
    if not isinstance(selected_face_idx, torch.Tensor) or len(shape) != 3 \
            or shape[0] != face_vertices_image.shape[0]:
        raise RenderError(f"selected_face_idx must be a (B, H, W) tensor with B = {face_vertices_image.shape[0]}, "
                          f"got shape {shape}")
    if selected_face_idx.is_floating_point() or selected_face_idx.dtype == torch.bool:
        raise RenderError(f"selected_face_idx must be an integer tensor, got {selected_face_idx.dtype}")
    if selected_face_idx.device != face_vertices_image.device:
        raise RenderError(f"selected_face_idx is on {selected_face_idx.device} but face_vertices_image is on "
                          f"{face_vertices_image.device}")
    if min(shape[1:]) <= 0:
        raise RenderError(f"selected_face_idx must have a positive height and width, got shape {shape}")
    for name, value, allow_zero in (("sigmainv", sigmainv, False), ("boxlen", boxlen, True),
                                    ("multiplier", multiplier, False)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not (value >= 0 if allow_zero else value > 0):
            raise RenderError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} number, got {value!r}")
    if isinstance(knum, bool) or not isinstance(knum, int) or knum <= 0:
        raise RenderError(f"knum must be a positive int, got {knum!r}")


def _first_faces_per_pixel(pixel: torch.Tensor, face: torch.Tensor, knum: int,
                           total_faces: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep the (pixel, face) pairs whose face is among the pixel's ``knum`` lowest face indices.

    Returns the kept ``(pixel, face)``, sorted by pixel then face.
    """
    # One int64 key orders by (pixel, face); it fits while B*H*W * B*F < 2**63.
    key, order = torch.sort(pixel * total_faces + face)
    pixel, face = pixel[order], face[order]
    first = torch.ones_like(key, dtype=torch.bool)
    first[1:] = pixel[1:] != pixel[:-1]
    position = torch.arange(key.numel(), device=key.device)
    start_of_run = torch.cummax(torch.where(first, position, 0), dim=0).values
    kept = position - start_of_run < knum
    return pixel[kept], face[kept]


@torch.no_grad()
def _nearby_faces(face_vertices_image: torch.Tensor, background: torch.Tensor, height: int, width: int,
                  boxlen: float, knum: int, max_pairs: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``knum`` faces (by index) whose enlarged box holds each background pixel's centre.

    Returns (K,) long tensors ``(pixel, face)`` of flattened indices, sorted by pixel then face.
    """
    batch_size, num_faces = face_vertices_image.shape[:2]
    lower, upper = face_bounding_boxes(face_vertices_image.reshape(-1, 3, 2))
    lower, upper = (lower - boxlen)[..., None, None], (upper + boxlen)[..., None, None]
    boxes = pixel_boxes(face_vertices_image, height, width, margin=boxlen)
    # Faces whose box holds no background pixel (inside the silhouette) are skipped outright.
    near_background = count_in_boxes(background.reshape(batch_size, height, width), boxes) > 0
    pending, pending_size = [], 0
    for grid in face_grids(boxes, num_faces, height, width, face_vertices_image.dtype,
                           face_mask=near_background, max_pairs=max_pairs):
        low, high = lower[grid.face], upper[grid.face]
        in_box = ((low[:, 0] <= grid.x) & (grid.x <= high[:, 0])) & ((low[:, 1] <= grid.y) & (grid.y <= high[:, 1]))
        on_background = background.index_select(0, grid.pixel.reshape(-1)).reshape(grid.pixel.shape)
        keep = grid.valid & in_box & on_background
        cells = keep.reshape(-1).nonzero().squeeze(1)
        pending.append((grid.pixel.reshape(-1)[cells],
                        grid.face[torch.div(cells, keep[0].numel(), rounding_mode="floor")]))
        pending_size += cells.numel()
        if pending_size >= max_pairs:
            # A face ranked knum or later among a subset of the candidates is ranked so among all.
            pending = [_first_faces_per_pixel(*map(torch.cat, zip(*pending)), knum, batch_size * num_faces)]
            pending_size = 0
    if not pending:
        empty = torch.empty(0, dtype=torch.long, device=background.device)
        return empty, empty
    return _first_faces_per_pixel(*map(torch.cat, zip(*pending)), knum, batch_size * num_faces)


def dibr_soft_mask(face_vertices_image: torch.Tensor, selected_face_idx: torch.Tensor,
                   sigmainv: float = 7000, boxlen: float = 0.02, knum: int = 30,
                   multiplier: float = 1000., max_pairs: int = DEFAULT_MAX_PAIRS) -> torch.Tensor:
    """Soft silhouette of the faces, differentiable w.r.t. ``face_vertices_image``.

    Args:
        face_vertices_image: (B, F, 3, 2) image-plane face corners, [-1, 1] on screen, +y up.
        selected_face_idx: (B, H, W) long face index of the hard rasterization, -1 on background.
        sigmainv: sharpness; a face at squared distance d² contributes ``exp(-sigmainv * d²)``.
        boxlen: enlargement of the faces' bounding boxes, in image-plane units, limiting which
            faces influence a pixel.
        knum: at most this many faces (the lowest indices) influence one pixel.
        multiplier: accepted for Kaolin compatibility; Kaolin scales coordinates by it for
            numerical precision, which changes nothing in floating point here (distances are
            computed in image-plane units).
        max_pairs: about how many (pixel, face) candidate pairs are processed at once (memory bound).

    Returns:
        (B, H, W) soft mask in [0, 1], dtype of ``face_vertices_image``.
    """
    _check_soft_mask_arguments(face_vertices_image, selected_face_idx, sigmainv, boxlen, knum, multiplier)
    batch_size, height, width = selected_face_idx.shape
    covered = selected_face_idx.reshape(-1) >= 0
    pixel, face = _nearby_faces(face_vertices_image, ~covered, height, width, boxlen, knum, max_pairs)
    x, y = pixel_centers_of(pixel, height, width, face_vertices_image.dtype)
    distances2 = squared_distances_to_boundary(face_vertices_image.reshape(-1, 3, 2).index_select(0, face), x, y)
    misses = 1 - torch.exp(-sigmainv * distances2)
    # Product per pixel of the probabilities that no kept face reaches it (1 without faces);
    # scatter_reduce's backward copes with zero factors (a pixel centre on a face boundary).
    all_missed = misses.new_ones(covered.shape).scatter_reduce(0, pixel, misses, "prod")
    soft_mask = torch.where(covered, 1.0, 1 - all_missed)
    return soft_mask.reshape(batch_size, height, width)
