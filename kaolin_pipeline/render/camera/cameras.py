"""``Cameras``: a batch of look-at pinhole cameras in Kaolin's legacy convention, and ``look_at_cameras``.

The container :class:`~kaolin_pipeline.render.DIBRenderer`, the Data Generator (``io.render``,
``datagen``) and the recipes pass around; only camera math, no rendering.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence, Union

import torch

from ...errors import RenderError
from .legacy import generate_perspective_projection, generate_rotate_translate_matrices

#: Default near plane of :class:`Cameras`, in camera-space units (world units).
DEFAULT_NEAR = 1e-2


@dataclasses.dataclass
class Cameras:
    """``N`` pinhole cameras in Kaolin's legacy convention.

    A world point ``p`` maps to camera space as ``(p - translation) @ rotation.T``
    (the camera looks down −z, +y up), then to the image plane with ``projection``
    as in ``perspective_camera``.

    Attributes:
        rotation: (N, 3, 3) world-to-camera rotations (rows: camera x, y, z axes in world space).
        translation: (N, 3) camera positions in world space.
        projection: (3, 1) perspective projection from ``generate_perspective_projection``.
        near: near-plane distance along the view axis: :class:`DIBRenderer` drops every face with a
            corner nearer than that (behind the camera included), from the raster and the soft mask.
    """

    rotation: torch.Tensor
    translation: torch.Tensor
    projection: torch.Tensor
    near: float = DEFAULT_NEAR

    def __post_init__(self) -> None:
        if isinstance(self.near, bool) or not isinstance(self.near, (int, float)) or not self.near > 0:
            raise RenderError(f"Cameras: near must be a positive number, got {self.near!r}")
        count = self.rotation.shape[0] if self.rotation.dim() == 3 else -1
        if self.rotation.shape[1:] != (3, 3) or self.rotation.dim() != 3:
            raise RenderError(f"Cameras: rotation must have shape (N, 3, 3), got {tuple(self.rotation.shape)}")
        if tuple(self.translation.shape) != (count, 3):
            raise RenderError(f"Cameras: translation must have shape ({count}, 3), got {tuple(self.translation.shape)}")
        if tuple(self.projection.shape) != (3, 1):
            raise RenderError(f"Cameras: projection must have shape (3, 1), got {tuple(self.projection.shape)}")

    def __len__(self) -> int:
        return int(self.rotation.shape[0])

    def __getitem__(self, index: Union[int, slice, Sequence[int], torch.Tensor]) -> "Cameras":
        """The cameras selected by ``index`` (an int keeps the batch dimension)."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        elif not isinstance(index, slice):
            index = torch.as_tensor(index, dtype=torch.long, device=self.rotation.device)
        return Cameras(self.rotation[index], self.translation[index], self.projection, self.near)

    def to(self, device=None, dtype=None) -> "Cameras":
        """Copy on ``device`` with floating tensors cast to ``dtype`` if given."""
        return Cameras(*(t.to(device=device, dtype=dtype) for t in (self.rotation, self.translation, self.projection)),
                       near=self.near)


def look_at_cameras(azimuth, elevation, distance, fovy: float,
                    look_at: Sequence[float] = (0.0, 0.0, 0.0), up: Sequence[float] = (0.0, 1.0, 0.0),
                    ratio: float = 1.0, device=None, dtype: torch.dtype = torch.float32,
                    near: float = DEFAULT_NEAR) -> Cameras:
    """Cameras on a sphere around ``look_at``, all angles in **degrees**.

    The camera sits at ``look_at + distance * (cos(el) sin(az), sin(el), cos(el) cos(az))``:
    azimuth 0, elevation 0 puts it on +z looking down −z (camera frame = world frame).
    Azimuth turns towards +x; elevation lifts towards +y.

    Args:
        azimuth, elevation, distance: floats or 1-D sequences/tensors, broadcast to a common length N.
        fovy: vertical field of view in degrees (converted to radians for ``generate_perspective_projection``).
        look_at: (3,) point the cameras look at.
        up: (3,) world up direction.
        ratio: aspect ratio width / height.
        near: near-plane distance (see :class:`Cameras`).

    Returns:
        :class:`Cameras` with N cameras.
    """
    if not 0.0 < float(fovy) < 180.0:
        raise RenderError(f"look_at_cameras: fovy must be in (0, 180) degrees, got {fovy}")
    as_1d = [torch.as_tensor(v, dtype=dtype, device=device).reshape(-1) for v in (azimuth, elevation, distance)]
    try:
        azimuth, elevation, distance = torch.broadcast_tensors(*as_1d)
    except RuntimeError as error:
        raise RenderError(f"look_at_cameras: azimuth, elevation and distance lengths do not broadcast: {error}") from None
    if not bool((distance > 0).all()):
        raise RenderError("look_at_cameras: distance must be positive")
    az, el = torch.deg2rad(azimuth), torch.deg2rad(elevation)
    target = torch.as_tensor(look_at, dtype=dtype, device=device).reshape(1, 3)
    offset = torch.stack([torch.cos(el) * torch.sin(az), torch.sin(el), torch.cos(el) * torch.cos(az)], dim=-1)
    position = target + distance[:, None] * offset
    up_direction = torch.as_tensor(up, dtype=dtype, device=device).reshape(1, 3).expand_as(position)
    rotation, translation = generate_rotate_translate_matrices(position, target.expand_as(position), up_direction)
    projection = generate_perspective_projection(math.radians(float(fovy)), ratio).to(device=device, dtype=dtype)
    return Cameras(rotation, translation, projection, near)
