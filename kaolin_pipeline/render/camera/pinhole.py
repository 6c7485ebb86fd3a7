"""Pinhole intrinsics (Kaolin's ``PinholeIntrinsics``): focal lengths in pixels and a principal point offset.

A camera-space point ``(x, y, z)`` (z < 0 in front) lands at pixel offsets ``(focal_x * x / -z + x0,
focal_y * y / -z + y0)`` from the image centre, +y up. The (C, 4, 4) projection matrix is OpenGL's::

    [[2 fx / W, 0,       -2 x0 / W,              0              ],
     [0,        2 fy / H, -2 y0 / H,             0              ],
     [0,        0,       -(far + near) / (far - near), -2 far near / (far - near)],
     [0,        0,       -1,                     0              ]]
"""
from __future__ import annotations

import math
from enum import IntEnum
from typing import Optional, Union

import torch

from ...errors import RenderError
from .intrinsics import CameraFOV, CameraIntrinsics, down_from_homogeneous

__all__ = ["PinholeIntrinsics", "PinholeParamsDefEnum"]


class PinholeParamsDefEnum(IntEnum):
    """Columns of :attr:`PinholeIntrinsics.params`."""

    x0 = 0
    y0 = 1
    focal_x = 2
    focal_y = 3


class PinholeIntrinsics(CameraIntrinsics):
    """``C`` pinhole cameras: ``params`` (C, 4) = ``(x0, y0, focal_x, focal_y)`` in pixels."""

    @classmethod
    def param_types(cls):
        return PinholeParamsDefEnum

    @classmethod
    def registered_name(cls) -> str:
        return "pinhole"

    @property
    def lens_type(self) -> str:
        return "pinhole"

    @classmethod
    def from_focal(cls, width: int, height: int, focal_x: float, focal_y: Optional[float] = None,
                   x0: Optional[float] = None, y0: Optional[float] = None,
                   near: float = CameraIntrinsics.DEFAULT_NEAR, far: float = CameraIntrinsics.DEFAULT_FAR,
                   num_cameras: int = 1, device=None,
                   dtype: torch.dtype = None) -> "PinholeIntrinsics":
        """``num_cameras`` cameras with focal lengths in pixels (``focal_y`` defaults to ``focal_x``)."""
        focal_y = focal_y if focal_y else focal_x
        params = cls._allocate_params(x0 or 0.0, y0 or 0.0, focal_x, focal_y, num_cameras=num_cameras,
                                      device=device, dtype=dtype)
        return cls(width, height, params, near, far)

    @classmethod
    def from_fov(cls, width: int, height: int, fov: float, fov_direction: CameraFOV = CameraFOV.VERTICAL,
                 x0: Optional[float] = 0.0, y0: Optional[float] = 0.0,
                 near: float = CameraIntrinsics.DEFAULT_NEAR, far: float = CameraIntrinsics.DEFAULT_FAR,
                 num_cameras: int = 1, device=None,
                 dtype: torch.dtype = None) -> "PinholeIntrinsics":
        """``num_cameras`` cameras with square pixels and a field of view ``fov`` in radians along
        ``fov_direction`` (horizontal: the image width, vertical: its height)."""
        if fov_direction not in (CameraFOV.HORIZONTAL, CameraFOV.VERTICAL):
            raise RenderError(f"PinholeIntrinsics.from_fov: fov_direction must be HORIZONTAL or VERTICAL, "
                              f"got {fov_direction!r}")
        extent = width if fov_direction == CameraFOV.HORIZONTAL else height
        focal = (extent / 2.0) / math.tan(float(fov) / 2.0)
        params = cls._allocate_params(x0 or 0.0, y0 or 0.0, focal, focal, num_cameras=num_cameras,
                                      device=device, dtype=dtype)
        return cls(width, height, params, near, far)

    @classmethod
    def _from_values(cls, values: dict) -> "PinholeIntrinsics":
        return cls.from_focal(**values)

    def perspective_matrix(self) -> torch.Tensor:
        """(C, 4, 4) pinhole matrix in pixels: ``[[fx, 0, -x0, 0], [0, fy, -y0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]``."""
        zero, one = torch.zeros_like(self.focal_x), torch.ones_like(self.focal_x)
        return torch.stack([torch.stack([self.focal_x, zero, -self.x0, zero], dim=-1),
                            torch.stack([zero, self.focal_y, -self.y0, zero], dim=-1),
                            torch.stack([zero, zero, zero, one], dim=-1),
                            torch.stack([zero, zero, one, zero], dim=-1)], dim=1)

    def projection_matrix(self) -> torch.Tensor:
        """(C, 4, 4) OpenGL projection (see the module docstring), differentiable in ``params``."""
        near, far = self.near, self.far
        zero, one = torch.zeros_like(self.focal_x), torch.ones_like(self.focal_x)
        depth_scale = one * (-(far + near) / (far - near))
        depth_offset = one * (-2.0 * far * near / (far - near))
        return torch.stack([
            torch.stack([2.0 * self.focal_x / self.width, zero, -2.0 * self.x0 / self.width, zero], dim=-1),
            torch.stack([zero, 2.0 * self.focal_y / self.height, -2.0 * self.y0 / self.height, zero], dim=-1),
            torch.stack([zero, zero, depth_scale, depth_offset], dim=-1),
            torch.stack([zero, zero, -one, zero], dim=-1)], dim=1)

    def project(self, vectors: torch.Tensor) -> torch.Tensor:
        """Clip coordinates (C, N, 4) of camera-space points (N, 3) or (C, N, 3)."""
        return self._homogeneous_project(vectors)

    def transform(self, vectors: torch.Tensor) -> torch.Tensor:
        """Normalised device coordinates (C, N, 3) of camera-space points (N, 3) or (C, N, 3)."""
        return down_from_homogeneous(self.project(vectors))

    # ------------------------------------------------------------------ named parameters

    @property
    def x0(self) -> torch.Tensor:
        """(C,) principal point offset from the image centre along x, in pixels."""
        return self.params[:, PinholeParamsDefEnum.x0]

    @x0.setter
    def x0(self, value) -> None:
        self._set_param(value, PinholeParamsDefEnum.x0)

    @property
    def y0(self) -> torch.Tensor:
        """(C,) principal point offset from the image centre along y, in pixels."""
        return self.params[:, PinholeParamsDefEnum.y0]

    @y0.setter
    def y0(self, value) -> None:
        self._set_param(value, PinholeParamsDefEnum.y0)

    @property
    def cx(self) -> torch.Tensor:
        """(C,) principal point x in pixels from the image's left edge."""
        return self.width / 2.0 + self.x0

    @property
    def cy(self) -> torch.Tensor:
        """(C,) principal point y in pixels from the image's bottom edge."""
        return self.height / 2.0 + self.y0

    @property
    def focal_x(self) -> torch.Tensor:
        return self.params[:, PinholeParamsDefEnum.focal_x]

    @focal_x.setter
    def focal_x(self, value) -> None:
        self._set_param(value, PinholeParamsDefEnum.focal_x)

    @property
    def focal_y(self) -> torch.Tensor:
        return self.params[:, PinholeParamsDefEnum.focal_y]

    @focal_y.setter
    def focal_y(self, value) -> None:
        self._set_param(value, PinholeParamsDefEnum.focal_y)

    def _half_extent_and_focal(self, direction: CameraFOV):
        if direction == CameraFOV.HORIZONTAL:
            return self.width / 2.0, self.focal_x
        if direction == CameraFOV.VERTICAL:
            return self.height / 2.0, self.focal_y
        raise RenderError(f"PinholeIntrinsics: fov direction must be HORIZONTAL or VERTICAL, got {direction!r}")

    def tan_half_fov(self, camera_fov_direction: CameraFOV = CameraFOV.VERTICAL) -> torch.Tensor:
        """(C,) tangent of half the field of view along ``camera_fov_direction``."""
        half_extent, focal = self._half_extent_and_focal(camera_fov_direction)
        return half_extent / focal

    def fov(self, camera_fov_direction: CameraFOV = CameraFOV.VERTICAL, in_degrees: bool = True) -> torch.Tensor:
        """(C,) field of view along ``camera_fov_direction``, in degrees (or radians)."""
        half_extent, focal = self._half_extent_and_focal(camera_fov_direction)
        angle = 2.0 * torch.atan2(focal.new_tensor(half_extent), focal)
        return torch.rad2deg(angle) if in_degrees else angle

    def _set_fov(self, angle_degrees, direction: CameraFOV) -> None:
        half_extent, focal = self._half_extent_and_focal(direction)
        angle = torch.as_tensor(angle_degrees, dtype=focal.dtype, device=focal.device)
        value = half_extent / torch.tan(torch.deg2rad(angle) / 2.0)
        if direction == CameraFOV.HORIZONTAL:
            self.focal_x = value
        else:
            self.focal_y = value

    @property
    def fov_x(self) -> torch.Tensor:
        """(C,) horizontal field of view in degrees (setting it changes ``focal_x``)."""
        return self.fov(CameraFOV.HORIZONTAL)

    @fov_x.setter
    def fov_x(self, angle_degrees: Union[float, torch.Tensor]) -> None:
        self._set_fov(angle_degrees, CameraFOV.HORIZONTAL)

    @property
    def fov_y(self) -> torch.Tensor:
        """(C,) vertical field of view in degrees (setting it changes ``focal_y``)."""
        return self.fov(CameraFOV.VERTICAL)

    @fov_y.setter
    def fov_y(self, angle_degrees: Union[float, torch.Tensor]) -> None:
        self._set_fov(angle_degrees, CameraFOV.VERTICAL)

    @CameraIntrinsics.width.setter
    def width(self, value: int) -> None:
        """A new width keeps the horizontal field of view (the focal length in pixels scales)."""
        fov = self.fov_x
        self._shared_fields["width"] = value
        self.fov_x = fov

    @CameraIntrinsics.height.setter
    def height(self, value: int) -> None:
        """A new height keeps the vertical field of view."""
        fov = self.fov_y
        self._shared_fields["height"] = value
        self.fov_y = fov

    def zoom(self, amount) -> None:
        """Narrow the vertical field of view by ``amount`` degrees, keeping the fov_x / fov_y ratio."""
        ratio = self.fov_x / self.fov_y
        self.fov_y = self.fov_y - amount
        self.fov_x = self.fov_y * ratio
