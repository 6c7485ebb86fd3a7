"""Spherical coordinates (``ops.coords``, Kaolin's z-up convention) against hand-computed points."""
import math

import torch

from kaolin_pipeline.ops.coords import cartesian2spherical, spherical2cartesian


def test_known_points():
    azimuth = torch.tensor([0.0, math.pi / 2, math.pi / 4, 0.0], dtype=torch.float64)
    elevation = torch.tensor([0.0, 0.0, math.pi / 4, -math.pi / 2], dtype=torch.float64)
    x, y, z = spherical2cartesian(azimuth, elevation, 2.0)
    expected = torch.tensor([[2, 0, 0], [0, 2, 0], [1, 1, math.sqrt(2)], [0, 0, -2]], dtype=torch.float64)
    torch.testing.assert_close(torch.stack([x, y, z], -1), expected, atol=1e-15, rtol=0)
    unit = torch.stack(spherical2cartesian(azimuth, elevation), -1)  # distance defaults to 1
    torch.testing.assert_close(unit, expected / 2, atol=1e-15, rtol=0)


def test_round_trip():
    points = torch.randn(100, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    azimuth, elevation, distance = cartesian2spherical(*points.unbind(-1))
    assert (azimuth.abs() <= math.pi).all() and (elevation.abs() <= math.pi / 2).all()
    torch.testing.assert_close(distance, points.norm(dim=-1))
    torch.testing.assert_close(torch.stack(spherical2cartesian(azimuth, elevation, distance), -1), points)
