"""Spherical coordinates, following ``kaolin.ops.coords``: z up, azimuth measured from +x towards +y.

``(azimuth, elevation, distance)`` is the point
``distance * (cos(elevation) cos(azimuth), cos(elevation) sin(azimuth), sin(elevation))``.
"""
from __future__ import annotations

from typing import Optional, Tuple, Union

import torch

__all__ = ["cartesian2spherical", "spherical2cartesian"]


def spherical2cartesian(azimuth: torch.Tensor, elevation: torch.Tensor,
                        distance: Optional[Union[torch.Tensor, float]] = None
                        ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``x, y, z`` (each of the broadcast shape of the inputs) from angles in radians; ``distance`` defaults to 1."""
    radius = 1.0 if distance is None else distance
    horizontal = torch.cos(elevation) * radius
    return torch.cos(azimuth) * horizontal, torch.sin(azimuth) * horizontal, torch.sin(elevation) * radius


def cartesian2spherical(x: torch.Tensor, y: torch.Tensor, z: torch.Tensor
                        ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``azimuth`` in (-pi, pi], ``elevation`` in [-pi/2, pi/2] and ``distance``, each of the inputs' shape."""
    distance = torch.sqrt(x * x + y * y + z * z)
    return torch.atan2(y, x), torch.asin(z / distance), distance
