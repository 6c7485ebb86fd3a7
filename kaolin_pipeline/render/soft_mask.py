"""DIB-R soft silhouette mask with the semantics of Kaolin's ``dibr_soft_mask``, in pure PyTorch.

Pixels covered by the hard rasterization (``selected_face_idx >= 0``) are exactly 1, with no
gradient. A background pixel looks at the faces whose 2D bounding box, enlarged by ``boxlen``
on every side, contains its centre, and keeps the first ``knum`` of them in face-index order.
With d² the squared image-plane distance from the pixel centre to a kept face's boundary
(nearest point of its three edges), the pixel's value is ``1 - prod(1 - exp(-sigmainv * d²))``.

Candidate pairs come from :mod:`kaolin_pipeline.render.binning` and are selected without
autograd. They are compacted without waiting for the device: every face's number of
background pixels in its box (a summed-area table) bounds its pairs, so each chunk writes
its pairs at offsets known in advance, into one buffer sized by a single host read (shared
with the binning's). One sort of that buffer by (pixel, face) then ranks the faces of every
pixel for ``knum``, and one compaction keeps the first ``knum``, for which d² is computed
differentiably.
"""
from __future__ import annotations

from typing import Optional

import torch

from ..errors import RenderError
from .binning import (DEFAULT_MAX_PAIRS, check_face_vertices_image, count_in_boxes, face_bounding_boxes,
                      grid_layout, pixel_boxes, pixel_centers_of, window_grid)


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


def _first_faces_per_pixel(pair_key: torch.Tensor, knum: int, total_faces: int,
                           num_pixels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep the (pixel, face) pairs whose face is among the pixel's ``knum`` lowest face indices.

    Args:
        pair_key: (K,) long ``pixel * total_faces + face`` of the pairs; pixels past ``num_pixels`` are
            unused entries, dropped.

    Returns the kept ``(pixel, face)``, sorted by pixel then face (one compaction: one host read).
    """
    key = torch.sort(pair_key).values
    pixel, face = torch.div(key, total_faces, rounding_mode="floor"), key % total_faces
    first = torch.ones_like(key, dtype=torch.bool)
    first[1:] = pixel[1:] != pixel[:-1]
    position = torch.arange(key.numel(), device=key.device)
    start_of_run = torch.cummax(torch.where(first, position, 0), dim=0).values
    kept = ((position - start_of_run < knum) & (pixel < num_pixels)).nonzero().squeeze(1)
    return pixel[kept], face[kept]


@torch.no_grad()
def _candidate_pairs(face_vertices_image: torch.Tensor, background: torch.Tensor, height: int, width: int,
                     boxlen: float, valid_faces: Optional[torch.Tensor],
                     max_pairs: int) -> torch.Tensor:
    """Every (background pixel, face) pair whose face's enlarged box holds the pixel's centre.

    Returns (K,) long keys ``pixel * B * F + face`` of flattened indices, in no particular order; K
    is an upper bound of the pairs, the unused entries having ``pixel = B * H * W`` (past the image).
    One int64 key fits while (B * H * W + 1) * B * F < 2**63.
    """
    batch_size, num_faces = face_vertices_image.shape[:2]
    num_pixels = background.numel()
    lower, upper = face_bounding_boxes(face_vertices_image.reshape(-1, 3, 2))
    lower, upper = (lower - boxlen)[..., None, None], (upper + boxlen)[..., None, None]
    boxes = pixel_boxes(face_vertices_image, height, width, margin=boxlen)
    # Background pixels in each face's pixel box: at least its pairs; faces with none are skipped.
    bound = count_in_boxes(background.reshape(batch_size, height, width), boxes)
    if valid_faces is not None:
        bound = torch.where(valid_faces.reshape(-1), bound, 0)
    layout = grid_layout(boxes, height, width, face_mask=bound > 0, max_pairs=max_pairs, extra=bound.sum())
    total, = layout.extra
    sorted_bound = bound[layout.order]
    offsets = sorted_bound.cumsum(0) - sorted_bound
    total_faces = batch_size * num_faces
    # One slot past the end takes the writes of the cells that are not pairs.
    keys = torch.full((total + 1,), num_pixels * total_faces, dtype=torch.long, device=background.device)
    for start, stop, window_rows, window_cols in layout.chunks:
        grid = window_grid(layout.order[start:stop], boxes, window_rows, window_cols, num_faces, height, width,
                           face_vertices_image.dtype)
        low, high = lower[grid.face], upper[grid.face]
        in_box = ((low[:, 0] <= grid.x) & (grid.x <= high[:, 0])) & ((low[:, 1] <= grid.y) & (grid.y <= high[:, 1]))
        on_background = background.index_select(0, grid.pixel.reshape(-1)).reshape(grid.pixel.shape)
        keep = (grid.valid & in_box & on_background).reshape(-1)
        # Cells are face-major and each face keeps at most its bound: pairs land in the chunk's slots.
        slot = torch.where(keep, offsets[start] + keep.cumsum(0) - 1, total)
        keys.scatter_(0, slot, (grid.pixel * total_faces + grid.face[:, None, None]).reshape(-1))
    return keys[:total]


def dibr_soft_mask(face_vertices_image: torch.Tensor, selected_face_idx: torch.Tensor,
                   sigmainv: float = 7000, boxlen: float = 0.02, knum: int = 30,
                   multiplier: float = 1000., *, valid_faces: Optional[torch.Tensor] = None,
                   max_pairs: int = DEFAULT_MAX_PAIRS) -> torch.Tensor:
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
        valid_faces: optional (B, F) bool (not in Kaolin, whose soft mask uses every face); faces
            where it is False take no part (the renderer's near plane drops faces this way).
        max_pairs: about how many (pixel, face) candidate pairs are processed at once (memory bound).

    Returns:
        (B, H, W) soft mask in [0, 1], dtype of ``face_vertices_image``.
    """
    _check_soft_mask_arguments(face_vertices_image, selected_face_idx, sigmainv, boxlen, knum, multiplier)
    batch_size, num_faces = face_vertices_image.shape[:2]
    if valid_faces is not None and (not isinstance(valid_faces, torch.Tensor) or valid_faces.dtype != torch.bool
                                    or tuple(valid_faces.shape) != (batch_size, num_faces)
                                    or valid_faces.device != face_vertices_image.device):
        raise RenderError(f"valid_faces must be a ({batch_size}, {num_faces}) bool tensor on "
                          f"{face_vertices_image.device}, got {getattr(valid_faces, 'dtype', type(valid_faces))} "
                          f"of shape {tuple(getattr(valid_faces, 'shape', ()))}")
    _, height, width = selected_face_idx.shape
    covered = selected_face_idx.reshape(-1) >= 0
    pair_key = _candidate_pairs(face_vertices_image, ~covered, height, width, boxlen, valid_faces, max_pairs)
    pixel, face = _first_faces_per_pixel(pair_key, knum, batch_size * num_faces, covered.numel())
    x, y = pixel_centers_of(pixel, height, width, face_vertices_image.dtype)
    distances2 = squared_distances_to_boundary(face_vertices_image.reshape(-1, 3, 2).index_select(0, face), x, y)
    misses = 1 - torch.exp(-sigmainv * distances2)
    # Product per pixel of the probabilities that no kept face reaches it (1 without faces);
    # scatter_reduce's backward copes with zero factors (a pixel centre on a face boundary).
    all_missed = misses.new_ones(covered.shape).scatter_reduce(0, pixel, misses, "prod")
    soft_mask = torch.where(covered, 1.0, 1 - all_missed)
    return soft_mask.reshape(batch_size, height, width)
