"""Brute-force NumPy reference of the rasterizer and the DIB-R soft mask, for the tests.

Written from the specification, not from the implementation: float64, a plain loop over
pixels testing every face (vectorised over faces with NumPy), barycentric coordinates by
Cramer's rule on the parametric form ``p = a + s (b - a) + t (c - a)``.
"""
from __future__ import annotations

import math

import numpy as np


def pixel_center(row: int, col: int, height: int, width: int) -> tuple[float, float]:
    """Image-plane centre of pixel (row, col); row 0 at the top, +y up."""
    return (2 * col + 1 - width) / width, (height - 2 * row - 1) / height


def barycentric(triangles: np.ndarray, x: float, y: float) -> np.ndarray:
    """Barycentric weights (w_a, w_b, w_c) of (x, y) in each of the (F, 3, 2) triangles, (F, 3).

    Rows of zero-area triangles are NaN.
    """
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    ab, ac = b - a, c - a
    ap = np.array([x, y]) - a
    det = ab[:, 0] * ac[:, 1] - ac[:, 0] * ab[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (ap[:, 0] * ac[:, 1] - ac[:, 0] * ap[:, 1]) / det
        t = (ab[:, 0] * ap[:, 1] - ap[:, 0] * ab[:, 1]) / det
    weights = np.stack([1.0 - s - t, s, t], axis=1)
    weights[det == 0] = np.nan
    return weights


def rasterize_reference(height: int, width: int, face_z: np.ndarray, face_xy: np.ndarray,
                        face_features: np.ndarray, valid=None) -> tuple[np.ndarray, np.ndarray]:
    """Rasterize one mesh.

    Args:
        face_z: (F, 3), face_xy: (F, 3, 2), face_features: (F, 3, D), valid: optional (F,) bool.

    Returns:
        features (H, W, D) (0 on background) and face_idx (H, W) (-1 on background).
    """
    valid = np.ones(face_xy.shape[0], bool) if valid is None else np.asarray(valid)
    features = np.zeros((height, width, face_features.shape[-1]))
    face_idx = np.full((height, width), -1)
    for row in range(height):
        for col in range(width):
            weights = barycentric(face_xy, *pixel_center(row, col, height, width))
            inside = valid & (weights >= 0).all(axis=1)  # NaN rows (no area) compare False
            if not inside.any():
                continue
            depth = np.where(inside, (weights * face_z).sum(axis=1), -np.inf)
            winner = int(np.argmax(depth))  # the first maximum: on a tie the lower index
            face_idx[row, col] = winner
            features[row, col] = weights[winner] @ face_features[winner]
    return features, face_idx


def squared_distance_to_segment(px: float, py: float, a: np.ndarray, b: np.ndarray) -> float:
    """Squared distance from (px, py) to the closed segment [a, b]."""
    direction = b - a
    length2 = float(direction @ direction)
    t = 0.0 if length2 == 0 else min(1.0, max(0.0, float((np.array([px, py]) - a) @ direction) / length2))
    closest = a + t * direction
    return (px - closest[0]) ** 2 + (py - closest[1]) ** 2


def soft_mask_reference(face_xy: np.ndarray, face_idx: np.ndarray, sigmainv: float, boxlen: float,
                        knum: int) -> np.ndarray:
    """DIB-R soft mask of one mesh: face_xy (F, 3, 2), face_idx (H, W) -> (H, W)."""
    height, width = face_idx.shape
    lower, upper = face_xy.min(axis=1) - boxlen, face_xy.max(axis=1) + boxlen
    mask = np.zeros((height, width))
    for row in range(height):
        for col in range(width):
            if face_idx[row, col] >= 0:
                mask[row, col] = 1.0
                continue
            x, y = pixel_center(row, col, height, width)
            in_box = (lower[:, 0] <= x) & (x <= upper[:, 0]) & (lower[:, 1] <= y) & (y <= upper[:, 1])
            miss = 1.0
            for f in np.flatnonzero(in_box)[:knum]:
                triangle = face_xy[f]
                d2 = min(squared_distance_to_segment(x, y, triangle[i], triangle[(i + 1) % 3]) for i in range(3))
                miss *= 1.0 - math.exp(-sigmainv * d2)
            mask[row, col] = 1.0 - miss
    return mask
