"""Enumerate (pixel, face) candidate pairs from the faces' screen bounding boxes.

Rasterization and the DIB-R soft mask only ever look at a pixel together with the
faces whose (possibly enlarged) 2D bounding box contains the pixel centre. Instead of
a (B, H, W, F) tensor, this module lists exactly those pairs, in chunks of bounded
size, so time and memory grow with the number of (pixel, nearby face) pairs.

Faces are grouped by the size of their pixel box, rounded up to a few bucket sizes,
and each group is handed out as dense (n, R, C) grids: one R x C window of pixels per
face, with a ``valid`` mask for the cells past the face's own box. Per-pixel quantities
then factor into a per-column part (n, 1, C) and a per-row part (n, R, 1), so most of
the work is done per row or column rather than per pair.

Pixel (row h, col w) of an H x W image has its centre at
``x = (2w + 1 - W) / W``, ``y = (H - 2h - 1) / H`` (row 0 at the top, +y up).
Boxes are widened by a tiny tolerance so that a centre lying exactly on a box edge is
never lost to rounding; callers apply their exact test to every pair. Grids come out
grouped by box size, not by face index: callers that need face order must restore it.
"""
from __future__ import annotations

from typing import Iterator, NamedTuple, Optional

import torch

from ..errors import RenderError

#: Default bound on the (pixel, face) cells handled at once; the rasterizer and the soft
#: mask keep roughly 50-100 bytes of temporaries per cell, about 50-100 MB per chunk.
DEFAULT_MAX_PAIRS = 1 << 20

# Widening of enumerated boxes, in pixels, against rounding in the range arithmetic.
_RANGE_TOLERANCE = 1e-2


class FaceGrid(NamedTuple):
    """Windows of R x C pixels for n faces; cells are (face, window row, window column).

    Attributes:
        face: (n,) flattened face indices ``b * F + f``, increasing.
        pixel: (n, R, C) flattened pixel indices ``b * H * W + h * W + w`` (clamped into the
            image on cells that are not ``valid``).
        x: (n, 1, C) image-plane x of the pixel centres of each window column.
        y: (n, R, 1) image-plane y of the pixel centres of each window row.
        valid: (n, R, C) bool, True on the cells inside the face's own pixel box.
    """

    face: torch.Tensor
    pixel: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    valid: torch.Tensor


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


def _bucket_sizes(largest: int) -> list[int]:
    """Window sizes 1, 2, 3, 4, 6, 8, 12, 16, 24, ... up to at least ``largest``: rounding a box up
    to one of them wastes at most a third of a window side."""
    sizes, power = [1], 2
    while sizes[-1] < largest:
        sizes += [power, 3 * power // 2] if power >= 4 else [power, power + 1]
        power *= 2
    return sizes


def _bucket_index(lengths: torch.Tensor) -> torch.Tensor:
    """Index in :func:`_bucket_sizes` of the smallest window size >= each length (>= 1), computed on
    the lengths' device (a size table would be a host-to-device copy, which waits for the device)."""
    lengths = lengths.clamp(min=1).to(torch.float64)
    power = torch.log2(lengths).ceil()  # exact for powers of two; lengths are at most the image size
    three_quarters = lengths <= 3 * torch.exp2(power - 2)
    return torch.where(power <= 1, power, 2 * power - 1 - three_quarters.to(power.dtype)).long()


def host_ints(values: torch.Tensor) -> list[int]:
    """Copy a small integer tensor to the host: the renderer's host reads (each one waits for a GPU).

    The explicit copy dispatches ``aten._to_copy`` to the CPU even for a CPU tensor, so a
    ``TorchDispatchMode`` sees every host read (``tolist`` alone dispatches nothing).
    """
    return values.to("cpu", copy=True).tolist()


class GridLayout(NamedTuple):
    """How :func:`grid_layout` splits the faces into chunks of equal window size.

    Attributes:
        order: (B * F,) long flattened face indices, the drawn faces first, grouped by window size,
            increasing within a group.
        chunks: ``(start, stop, window_rows, window_cols)`` per chunk: ``order[start:stop]`` get
            ``window_rows x window_cols`` windows.
        extra: host copy of the ``extra`` tensor given to :func:`grid_layout` (empty without one).
    """

    order: torch.Tensor
    chunks: list[tuple[int, int, int, int]]
    extra: list[int]


def grid_layout(boxes: PixelBoxes, height: int, width: int, face_mask: Optional[torch.Tensor] = None,
                max_pairs: int = DEFAULT_MAX_PAIRS, extra: Optional[torch.Tensor] = None) -> GridLayout:
    """Group the faces by window size and cut the groups into chunks of at most ``max_pairs`` cells.

    This is the binning's only host read (one synchronisation on a GPU, however many chunks):
    the per-group face counts, plus ``extra`` (a few integers the caller needs on the host, read
    in the same copy).

    Args:
        boxes: :class:`PixelBoxes` of the B * F flattened faces (from :func:`pixel_boxes`).
        height, width: image size in pixels.
        face_mask: optional (B * F,) or (B, F) bool; faces where it is False get no chunk.
        max_pairs: about how many cells one chunk holds (one face's window is never split).
        extra: optional integer tensor read back with the counts.
    """
    present = (boxes.num_rows > 0) & (boxes.num_cols > 0)
    if face_mask is not None:
        present &= face_mask.reshape(-1)
    sizes = _bucket_sizes(max(height, width))
    num_keys = len(sizes) ** 2
    key = torch.where(present, _bucket_index(boxes.num_rows) * len(sizes) + _bucket_index(boxes.num_cols),
                      num_keys)
    order = torch.argsort(key, stable=True)
    counts = torch.zeros(num_keys + 1, dtype=torch.long, device=key.device).scatter_add_(
        0, key, torch.ones_like(key))[:num_keys]
    if extra is not None:
        counts = torch.cat([counts, extra.reshape(-1).to(torch.long)])
    values = host_ints(counts)
    chunks, start = [], 0
    for group_key, count in enumerate(values[:num_keys]):
        if count == 0:
            continue
        window_rows, window_cols = sizes[group_key // len(sizes)], sizes[group_key % len(sizes)]
        faces_per_chunk = max(1, max_pairs // (window_rows * window_cols))
        chunks += [(chunk_start, min(chunk_start + faces_per_chunk, start + count), window_rows, window_cols)
                   for chunk_start in range(start, start + count, faces_per_chunk)]
        start += count
    return GridLayout(order, chunks, values[num_keys:])


def face_grids(boxes: PixelBoxes, num_faces: int, height: int, width: int, dtype: torch.dtype,
               face_mask: Optional[torch.Tensor] = None,
               max_pairs: int = DEFAULT_MAX_PAIRS) -> Iterator[FaceGrid]:
    """Yield every (pixel, face) pair of the faces' pixel boxes, as dense per-face windows.

    Args:
        boxes: :class:`PixelBoxes` of the B * F flattened faces (from :func:`pixel_boxes`).
        num_faces: F, faces per batch item.
        height, width: image size in pixels.
        dtype: floating dtype of the pixel-centre coordinates.
        face_mask: optional (B * F,) or (B, F) bool; faces where it is False produce nothing.
        max_pairs: about how many cells one grid holds (one face's window is never split).

    Yields:
        :class:`FaceGrid` chunks, grouped by window size; faces increase within each chunk. The
        chunk shapes come from one host read (:func:`grid_layout`); nothing else waits for the device.
    """
    layout = grid_layout(boxes, height, width, face_mask=face_mask, max_pairs=max_pairs)
    for start, stop, window_rows, window_cols in layout.chunks:
        yield window_grid(layout.order[start:stop], boxes, window_rows, window_cols, num_faces, height, width, dtype)


def window_grid(faces: torch.Tensor, boxes: PixelBoxes, window_rows: int, window_cols: int, num_faces: int,
                height: int, width: int, dtype: torch.dtype) -> FaceGrid:
    """The R x C windows anchored at the top-left pixel of each face's box (faces (n,) flattened indices)."""
    row_steps = torch.arange(window_rows, device=faces.device)
    col_steps = torch.arange(window_cols, device=faces.device)
    rows = boxes.first_row[faces].unsqueeze(1) + row_steps
    cols = boxes.first_col[faces].unsqueeze(1) + col_steps
    valid = ((row_steps < boxes.num_rows[faces].unsqueeze(1)).unsqueeze(2)
             & (col_steps < boxes.num_cols[faces].unsqueeze(1)).unsqueeze(1))
    x, y = pixel_centers(rows, cols, height, width, dtype)
    batch = torch.div(faces, num_faces, rounding_mode="floor")
    row_start = (batch.unsqueeze(1) * height + rows.clamp(max=height - 1)) * width
    pixel = row_start.unsqueeze(2) + cols.clamp(max=width - 1).unsqueeze(1)
    return FaceGrid(faces, pixel, x.unsqueeze(1), y.unsqueeze(2), valid)
