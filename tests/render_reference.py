"""Brute-force NumPy reference of the rasterizer and the DIB-R soft mask, for the tests.

Written from the specification, not from the implementation: float64, every pixel against
every face with plain loops, barycentric coordinates by Cramer's rule on the parametric form
``p = a + s (b - a) + t (c - a)``.
"""
from __future__ import annotations

import math

import numpy as np


def pixel_center(row: int, col: int, height: int, width: int) -> tuple[float, float]:
    """Image-plane centre of pixel (row, col); row 0 at the top, +y up."""
    return (2 * col + 1 - width) / width, (height - 2 * row - 1) / height


def barycentric(triangle: np.ndarray, x: float, y: float):
    """Barycentric weights (w_a, w_b, w_c) of (x, y) in the (3, 2) triangle, or None if it has no area."""
    (ax, ay), (bx, by), (cx, cy) = triangle
    det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
    if det == 0:
        return None
    s = ((x - ax) * (cy - ay) - (cx - ax) * (y - ay)) / det
    t = ((bx - ax) * (y - ay) - (x - ax) * (by - ay)) / det
    return np.array([1.0 - s - t, s, t])


def rasterize_reference(height: int, width: int, face_z: np.ndarray, face_xy: np.ndarray,
                        face_features: np.ndarray, valid=None) -> tuple[np.ndarray, np.ndarray]:
    """Rasterize one mesh.

    Args:
        face_z: (F, 3), face_xy: (F, 3, 2), face_features: (F, 3, D), valid: optional (F,) bool.

    Returns:
        features (H, W, D) (0 on background) and face_idx (H, W) (-1 on background).
    """
    num_faces = face_xy.shape[0]
    features = np.zeros((height, width, face_features.shape[-1]))
    face_idx = np.full((height, width), -1)
    for row in range(height):
        for col in range(width):
            x, y = pixel_center(row, col, height, width)
            best_z = -math.inf
            for f in range(num_faces):
                if valid is not None and not valid[f]:
                    continue
                weights = barycentric(face_xy[f], x, y)
                if weights is None or weights.min() < 0:
                    continue
                z = float(weights @ face_z[f])
                if z > best_z:  # strictly nearer: on a tie the lower index stays
                    best_z = z
                    face_idx[row, col] = f
                    features[row, col] = weights @ face_features[f]
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
    mask = np.zeros((height, width))
    for row in range(height):
        for col in range(width):
            if face_idx[row, col] >= 0:
                mask[row, col] = 1.0
                continue
            x, y = pixel_center(row, col, height, width)
            candidates = []
            for f, triangle in enumerate(face_xy):
                xmin, ymin = triangle.min(axis=0)
                xmax, ymax = triangle.max(axis=0)
                if xmin - boxlen <= x <= xmax + boxlen and ymin - boxlen <= y <= ymax + boxlen:
                    candidates.append(f)
            miss = 1.0
            for f in candidates[:knum]:
                triangle = face_xy[f]
                d2 = min(squared_distance_to_segment(x, y, triangle[i], triangle[(i + 1) % 3]) for i in range(3))
                miss *= 1.0 - math.exp(-sigmainv * d2)
            mask[row, col] = 1.0 - miss
    return mask
