"""Orthographic intrinsics (Kaolin's ``OrthographicIntrinsics``).

The view volume is ``x in [-fov_distance * W / H, fov_distance * W / H]``, ``y in [-fov_distance,
fov_distance]`` in camera space and depth in ``[near, far]``; the (C, 4, 4) projection matrix is::

    [[1 / (fov_distance * W / H), 0, 0, 0],
     [0, 1 / fov_distance, 0, 0],
     [0, 0, -2 / (far - near), -(far + near) / (far - near)],
     [0, 0, 0, 1]]
"""
from __future__ import annotations

from enum import IntEnum

import torch

from .intrinsics import CameraIntrinsics, down_from_homogeneous

__all__ = ["OrthographicIntrinsics", "OrthoParamsDefEnum"]


class OrthoParamsDefEnum(IntEnum):
    """Columns of :attr:`OrthographicIntrinsics.params`."""

    fov_distance = 0


class OrthographicIntrinsics(CameraIntrinsics):
    """``C`` orthographic cameras: ``params`` (C, 1) = ``fov_distance``, half the visible height."""

    @classmethod
    def param_types(cls):
        return OrthoParamsDefEnum

    @classmethod
    def registered_name(cls) -> str:
        return "orthographic"

    @property
    def lens_type(self) -> str:
        return "ortho"

    @classmethod
    def from_frustum(cls, width: int, height: int, fov_distance: float = 1.0,
                     near: float = CameraIntrinsics.DEFAULT_NEAR, far: float = CameraIntrinsics.DEFAULT_FAR,
                     num_cameras: int = 1, device=None,
                     dtype: torch.dtype = None) -> "OrthographicIntrinsics":
        """``num_cameras`` orthographic cameras seeing ``2 * fov_distance`` world units vertically."""
        params = cls._allocate_params(fov_distance, num_cameras=num_cameras, device=device, dtype=dtype)
        return cls(width, height, params, near, far)

    @classmethod
    def _from_values(cls, values: dict) -> "OrthographicIntrinsics":
        return cls.from_frustum(**values)

    def projection_matrix(self) -> torch.Tensor:
        """(C, 4, 4) orthographic projection (see the module docstring), differentiable in ``fov_distance``."""
        near, far = self.near, self.far
        zero, one = torch.zeros_like(self.fov_distance), torch.ones_like(self.fov_distance)
        return torch.stack([
            torch.stack([1.0 / (self.fov_distance * self.aspect_ratio()), zero, zero, zero], dim=-1),
            torch.stack([zero, 1.0 / self.fov_distance, zero, zero], dim=-1),
            torch.stack([zero, zero, one * (-2.0 / (far - near)), one * (-(far + near) / (far - near))], dim=-1),
            torch.stack([zero, zero, zero, one], dim=-1)], dim=1)

    def transform(self, vectors: torch.Tensor) -> torch.Tensor:
        """Normalised device coordinates (C, N, 3) of camera-space points (N, 3) or (C, N, 3)."""
        return down_from_homogeneous(self._homogeneous_project(vectors))

    @property
    def fov_distance(self) -> torch.Tensor:
        """(C,) half the visible height in world units."""
        return self.params[:, OrthoParamsDefEnum.fov_distance]

    @fov_distance.setter
    def fov_distance(self, value) -> None:
        self._set_param(value, OrthoParamsDefEnum.fov_distance)

    def zoom(self, amount) -> None:
        """Widen the view by ``amount`` world units (``fov_distance`` stays at least 1e-5)."""
        self.fov_distance = torch.clamp(self.fov_distance + amount, min=1e-5)
