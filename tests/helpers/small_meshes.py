"""Small meshes that several test files use, each defined once.

Each function returns new tensors (or lists), so a test that changes its copy in place cannot change
another test's.
"""
from __future__ import annotations

import torch


def tetrahedron_faces() -> torch.Tensor:
    """(4, 3) int64 faces of a closed tetrahedron, counter-clockwise seen from outside with
    :func:`tetrahedron_vertices` (or any other four corners in the same handedness)."""
    return torch.tensor([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])


def tetrahedron_vertices() -> torch.Tensor:
    """(4, 3) float32 corners: the origin and the three unit points on the axes."""
    return torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def tetrahedron() -> tuple[torch.Tensor, torch.Tensor]:
    """``(vertices, faces)`` of the closed corner tetrahedron."""
    return tetrahedron_vertices(), tetrahedron_faces()


def half_screen_triangle() -> list[list[float]]:
    """One triangle in normalised image coordinates, the lower-left half of the screen: (-1, -1), (1, -1),
    (-1, 1). At 4 x 4 its hypotenuse x + y = 0 passes exactly through the centres of the diagonal pixels."""
    return [[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]]
