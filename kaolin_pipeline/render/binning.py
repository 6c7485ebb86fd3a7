"""Enumerate (pixel, face) candidate pairs from the faces' screen bounding boxes.

Rasterization and the DIB-R soft mask only ever look at a pixel together with the
faces whose (possibly enlarged) 2D bounding box contains the pixel centre. Instead of
a (B, H, W, F) tensor, this module lists exactly those pairs, in chunks of bounded
size, so time and memory grow with the number of (pixel, nearby face) pairs.

Pixel (row h, col w) of an H x W image has its centre at
``x = (2w + 1 - W) / W``, ``y = (H - 2h - 1) / H`` (row 0 at the top, +y up).
Pairs are generated face-major: by increasing flattened face index ``b * F + f``,
then row-major over the face's box. Enumerated boxes are widened by a tiny tolerance,
so a centre lying exactly on a box edge is never lost to rounding; callers apply their
exact test to every pair.
"""
from __future__ import annotations

import math
from typing import Iterator, NamedTuple, Optional

import torch

from ..errors import RenderError

#: Default bound on the pairs handled at once; with the temporaries of one pair
#: (~100-150 bytes) this keeps a chunk around 100-200 MB.
DEFAULT_MAX_PAIRS = 1 << 20

# Widening of enumerated boxes, in pixels, against rounding in the range arithmetic.
_RANGE_TOLERANCE = 1e-3


class PixelFacePairs(NamedTuple):
    """One chunk of candidate pairs, all (N,) tensors.

    Attributes:
        pixel: flattened pixel index ``b * H * W + h * W + w`` (int64).
        face: flattened face index ``b * F + f`` (int64), non-decreasing.
        x: image-plane x of the pixel centre (dtype of the face vertices).
        y: image-plane y of the pixel centre.
    """

    pixel: torch.Tensor
    face: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor


def check_image_size(height: int, width: int) -> None:
    """Raise RenderError unless height and width are positive ints."""
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise RenderError(f"{name} must be a positive int, got {value!r}")


def check_face_vertices_image(face_vertices_image: torch.Tensor) -> None:
    """Raise RenderError unless ``face_vertices_image`` is a floating (B, F, 3, 2) tensor."""
    shape = tuple(getattr(face_vertices_image, "shape", ()))
    if not isinstance(face_vertices_image, torch.Tensor) or len(shape) != 4 or shape[2:] != (3, 2):
        raise RenderError(f"face_vertices_image must be a (B, F, 3, 2) tensor, got shape {shape}")
    if not face_vertices_image.is_floating_point():
        raise RenderError(f"face_vertices_image must be a floating-point tensor, got {face_vertices_image.dtype}")


def face_bounding_boxes(face_vertices_image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Corners of the faces' 2D bounding boxes.

    Args:
        face_vertices_image: (..., 3, 2) triangle corners.

    Returns:
        ``(lower, upper)``, each (..., 2): per-face minimum and maximum of x and y.
    """
    return face_vertices_image.amin(dim=-2), face_vertices_image.amax(dim=-2)


def pixel_centers(rows: torch.Tensor, cols: torch.Tensor, height: int, width: int,
                  dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Image-plane centres ``(x, y)`` of pixels given by integer row and column tensors."""
    x = (2 * cols + 1 - width).to(dtype) / width
    y = (height - 2 * rows - 1).to(dtype) / height
    return x, y


def pixel_centers_of(pixel: torch.Tensor, height: int, width: int,
                     dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Image-plane centres ``(x, y)`` of flattened pixel indices ``b * H * W + h * W + w``."""
    within_image = pixel % (height * width)
    return pixel_centers(torch.div(within_image, width, rounding_mode="floor"), within_image % width,
                         height, width, dtype)


class PixelBoxes(NamedTuple):
    """Per-face rectangles of pixels, all (B * F,) int64 over flattened faces ``b * F + f``.

    Attributes:
        first_row, first_col: top-left pixel of the rectangle.
        num_rows, num_cols: its size; 0 for a box off the image or with non-finite corners.
    """

    first_row: torch.Tensor
    first_col: torch.Tensor
    num_rows: torch.Tensor
    num_cols: torch.Tensor


def pixel_boxes(face_vertices_image: torch.Tensor, height: int, width: int, margin: float = 0.0) -> PixelBoxes:
    """The pixels whose centres may lie in each face's bounding box enlarged by ``margin``.

    Args:
        face_vertices_image: (B, F, 3, 2) image-plane face corners (not differentiated through).
        height, width: image size in pixels.
        margin: enlargement of every box on every side, in image-plane units.

    Returns:
        :class:`PixelBoxes` over the B * F flattened faces.
    """
    lower, upper = face_bounding_boxes(face_vertices_image.detach().reshape(-1, 3, 2))
    lower, upper = lower - margin, upper + margin
    # x_w >= lo  <=>  w >= (lo * W + W - 1) / 2 ; y_h <= hi  <=>  h >= (H - 1 - hi * H) / 2.
    col_lo = (lower[:, 0] * width + (width - 1)) / 2 - _RANGE_TOLERANCE
    col_hi = (upper[:, 0] * width + (width - 1)) / 2 + _RANGE_TOLERANCE
    row_lo = ((height - 1) - upper[:, 1] * height) / 2 - _RANGE_TOLERANCE
    row_hi = ((height - 1) - lower[:, 1] * height) / 2 + _RANGE_TOLERANCE
    first_col = col_lo.ceil().clamp(0, width)
    last_col = col_hi.floor().clamp(-1, width - 1)
    first_row = row_lo.ceil().clamp(0, height)
    last_row = row_hi.floor().clamp(-1, height - 1)
    finite = torch.isfinite(lower).all(dim=1) & torch.isfinite(upper).all(dim=1)
    num_cols = torch.where(finite, (last_col - first_col + 1).clamp(min=0), 0).long()
    num_rows = torch.where(finite, (last_row - first_row + 1).clamp(min=0), 0).long()
    return PixelBoxes(torch.nan_to_num(first_row).long(), torch.nan_to_num(first_col).long(), num_rows, num_cols)


def count_in_boxes(pixel_mask: torch.Tensor, boxes: PixelBoxes) -> torch.Tensor:
    """How many pixels of ``pixel_mask`` fall in each box, via a summed-area table.

    Args:
        pixel_mask: (B, H, W) bool.
        boxes: :class:`PixelBoxes` of B * F faces.

    Returns:
        (B * F,) int64 counts.
    """
    batch_size, height, width = pixel_mask.shape
    table = torch.nn.functional.pad(pixel_mask.long().cumsum(1).cumsum(2), (1, 0, 1, 0))
    num_faces = boxes.first_row.numel() // batch_size
    image = torch.arange(batch_size, device=pixel_mask.device).repeat_interleave(num_faces)
    top, left = boxes.first_row, boxes.first_col
    bottom, right = top + boxes.num_rows, left + boxes.num_cols
    return (table[image, bottom, right] - table[image, top, right]
            - table[image, bottom, left] + table[image, top, left])


def candidate_pairs(boxes: PixelBoxes, num_faces: int, height: int, width: int, dtype: torch.dtype,
                    face_mask: Optional[torch.Tensor] = None,
                    max_pairs: int = DEFAULT_MAX_PAIRS) -> Iterator[PixelFacePairs]:
    """Yield every (pixel, face) pair of the faces' pixel boxes.

    Args:
        boxes: :class:`PixelBoxes` of the B * F flattened faces (from :func:`pixel_boxes`).
        num_faces: F, faces per batch item.
        height, width: image size in pixels.
        dtype: floating dtype of the pixel-centre coordinates.
        face_mask: optional (B * F,) or (B, F) bool; faces where it is False produce no pair.
        max_pairs: about how many pairs one chunk holds (a single face's pairs are never split).

    Yields:
        :class:`PixelFacePairs` chunks, face-major (increasing flattened face index).
    """
    counts = boxes.num_rows * boxes.num_cols
    if face_mask is not None:
        counts = counts * face_mask.reshape(-1)
    faces = counts.nonzero().squeeze(1)
    if faces.numel() == 0:
        return
    counts = counts[faces]
    ends = counts.cumsum(0)
    total = int(ends[-1])
    num_chunks = math.ceil(total / max_pairs)
    splits = torch.searchsorted(ends, torch.arange(1, num_chunks, device=ends.device) * max_pairs, right=True)
    bounds = [0] + splits.tolist() + [faces.numel()]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        if start < stop:
            yield _enumerate_chunk(faces[start:stop], counts[start:stop], boxes, num_faces, height, width, dtype)


def _enumerate_chunk(faces: torch.Tensor, counts: torch.Tensor, boxes: PixelBoxes, num_faces: int,
                     height: int, width: int, dtype: torch.dtype) -> PixelFacePairs:
    """All pairs of the given faces: each face's box, row-major."""
    ends = counts.cumsum(0)
    total = int(ends[-1])
    pair_face = torch.repeat_interleave(faces, counts, output_size=total)
    offset_in_face = torch.arange(total, device=faces.device) - torch.repeat_interleave(
        ends - counts, counts, output_size=total)
    cols_of_face = boxes.num_cols[pair_face]
    rows = boxes.first_row[pair_face] + torch.div(offset_in_face, cols_of_face, rounding_mode="floor")
    cols = boxes.first_col[pair_face] + offset_in_face % cols_of_face
    batch = torch.div(pair_face, num_faces, rounding_mode="floor")
    pixel = (batch * height + rows) * width + cols
    x, y = pixel_centers(rows, cols, height, width, dtype)
    return PixelFacePairs(pixel, pair_face, x, y)
