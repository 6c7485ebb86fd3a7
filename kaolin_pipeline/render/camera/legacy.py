"""Pinhole cameras with the semantics of Kaolin's legacy ``kaolin.render.camera`` functions.

Camera space looks down −z with +y up. A perspective projection is the (3, 1) vector
``[1 / (ratio * tan(fovy / 2)), 1 / tan(fovy / 2), -1]``: a camera-space point
``(x, y, z)`` lands on the image plane at ``(x * p0 / (-z), y * p1 / (-z))``, so the
top of the vertical field of view maps to y = 1 and the image centre to (0, 0).

Two equivalent ways to move world points into camera space:

- ``generate_rotate_translate_matrices`` + ``rotate_translate_points``:
  ``P_cam = R (P_world - T)`` with R (B, 3, 3) and T (B, 3);
- ``generate_transformation_matrix``: ``P_cam = [P_world, 1] @ M`` with M (B, 4, 3).
"""
from __future__ import annotations

import math

import torch

from ...errors import RenderError

_MIN_AXIS_LENGTH = 1e-12


def _check_batched_vectors(name: str, tensor: torch.Tensor) -> None:
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 2 or tensor.shape[1] != 3:
        shape = tuple(getattr(tensor, "shape", ()))
        raise RenderError(f"{name} must be a (B, 3) tensor, got shape {shape}")
    if not tensor.is_floating_point():
        raise RenderError(f"{name} must be a floating-point tensor, got {tensor.dtype}")


def _broadcast_camera_vectors(camera_position: torch.Tensor, look_at: torch.Tensor,
                              camera_up_direction: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Check three (B, 3) or (1, 3) vectors and broadcast them to a common batch size."""
    named = {"camera_position": camera_position, "look_at": look_at,
             "camera_up_direction": camera_up_direction}
    for name, tensor in named.items():
        _check_batched_vectors(name, tensor)
    sizes = {tensor.shape[0] for tensor in named.values()} - {1}
    if len(sizes) > 1:
        raise RenderError("camera_position, look_at and camera_up_direction must have batch size 1 or a "
                          f"common batch size, got {[tuple(t.shape) for t in named.values()]}")
    return torch.broadcast_tensors(camera_position, look_at, camera_up_direction)


def _unit(vectors: torch.Tensor, what: str) -> torch.Tensor:
    """Normalise (B, 3) vectors, raising if one of them is (numerically) zero."""
    lengths = vectors.norm(dim=1, keepdim=True)
    if bool((lengths <= _MIN_AXIS_LENGTH).any()):
        raise RenderError(f"cannot build a camera: {what}")
    return vectors / lengths


def _camera_axes(camera_position: torch.Tensor, look_at: torch.Tensor,
                 camera_up_direction: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Camera right (x), up (y) and backward (z) unit axes in world space, each (B, 3)."""
    camera_position, look_at, camera_up_direction = _broadcast_camera_vectors(
        camera_position, look_at, camera_up_direction)
    backward = _unit(camera_position - look_at, "look_at coincides with camera_position")
    right = _unit(torch.linalg.cross(camera_up_direction, backward, dim=1),
                  "camera_up_direction is zero or parallel to the viewing direction")
    up = torch.linalg.cross(backward, right, dim=1)
    return right, up, backward


def generate_perspective_projection(fovyangle: float | torch.Tensor, ratio: float = 1.0,
                                    dtype: torch.dtype = torch.float) -> torch.Tensor:
    """Perspective projection vector for a vertical field of view, as in Kaolin.

    Args:
        fovyangle: vertical field of view in radians, in (0, pi); a float or a 0-dim tensor
            (a tensor keeps its device and stays differentiable).
        ratio: aspect ratio width / height.
        dtype: dtype of the result when ``fovyangle`` is a float.

    Returns:
        (3, 1) tensor ``[[1 / (ratio * tan(fovy / 2))], [1 / tan(fovy / 2)], [-1]]``.
    """
    if not isinstance(ratio, (int, float)) or not ratio > 0:
        raise RenderError(f"ratio must be a positive number (width / height), got {ratio!r}")
    if isinstance(fovyangle, torch.Tensor):
        if fovyangle.numel() != 1 or not fovyangle.is_floating_point():
            raise RenderError(f"fovyangle must be a float or a one-element floating tensor, got {fovyangle!r}")
        fovy = fovyangle.reshape(())
        if not 0 < float(fovy.detach()) < math.pi:
            raise RenderError(f"fovyangle must be in (0, pi) radians, got {float(fovy.detach())}")
        focal = 1.0 / torch.tan(fovy / 2)
        return torch.stack([focal / ratio, focal, -torch.ones_like(focal)]).reshape(3, 1)
    if not isinstance(fovyangle, (int, float)) or not 0 < fovyangle < math.pi:
        raise RenderError(f"fovyangle must be in (0, pi) radians, got {fovyangle!r}")
    focal = 1.0 / math.tan(fovyangle / 2.0)
    return torch.tensor([[focal / ratio], [focal], [-1.0]], dtype=dtype)


def generate_rotate_translate_matrices(camera_position: torch.Tensor, look_at: torch.Tensor,
                                       camera_up_direction: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotation and translation of look-at cameras, for ``P_cam = R (P_world - T)``.

    Args:
        camera_position: (B, 3) where the cameras are.
        look_at: (B, 3) the points they look at (each argument may also have batch size 1).
        camera_up_direction: (B, 3) the world direction that should appear up, typically (0, 1, 0).

    Returns:
        ``(camera_rot (B, 3, 3), camera_trans (B, 3))``: the rows of ``camera_rot`` are the camera's
        right, up and backward axes; ``camera_trans`` is the camera position.
    """
    right, up, backward = _camera_axes(camera_position, look_at, camera_up_direction)
    camera_rot = torch.stack([right, up, backward], dim=1)
    camera_trans = torch.broadcast_to(camera_position, right.shape)
    return camera_rot, camera_trans


def generate_transformation_matrix(camera_position: torch.Tensor, look_at: torch.Tensor,
                                   camera_up_direction: torch.Tensor) -> torch.Tensor:
    """Look-at camera matrices for ``P_cam = [P_world, 1] @ M``.

    Args:
        camera_position: (B, 3) where the cameras are.
        look_at: (B, 3) the points they look at.
        camera_up_direction: (B, 3) the world direction that should appear up.

    Returns:
        (B, 4, 3) matrices: the top (3, 3) block holds the right, up and backward axes as columns,
        the last row is ``-camera_position @ block``.
    """
    right, up, backward = _camera_axes(camera_position, look_at, camera_up_direction)
    rotation = torch.stack([right, up, backward], dim=2)
    position = torch.broadcast_to(camera_position, right.shape).unsqueeze(1)
    return torch.cat([rotation, -position @ rotation], dim=1)


def rotate_translate_points(points: torch.Tensor, camera_rot: torch.Tensor,
                            camera_trans: torch.Tensor) -> torch.Tensor:
    """Move points into camera space: ``P_cam = R (P - T)``.

    Args:
        points: (B, N, 3) world-space points.
        camera_rot: (B, 3, 3) or (1, 3, 3) rotations.
        camera_trans: (B, 3), (B, 3, 1) or a batch-1 version: camera positions.

    Returns:
        (B, N, 3) camera-space points.
    """
    if not isinstance(points, torch.Tensor) or points.dim() != 3 or points.shape[-1] != 3:
        raise RenderError(f"points must be a (B, N, 3) tensor, got shape {tuple(getattr(points, 'shape', ()))}")
    if not isinstance(camera_rot, torch.Tensor) or camera_rot.dim() != 3 or camera_rot.shape[1:] != (3, 3):
        raise RenderError(f"camera_rot must be a (B, 3, 3) tensor, got shape "
                          f"{tuple(getattr(camera_rot, 'shape', ()))}")
    if not isinstance(camera_trans, torch.Tensor) or camera_trans.numel() != camera_trans.shape[0] * 3:
        raise RenderError(f"camera_trans must be a (B, 3) or (B, 3, 1) tensor, got shape "
                          f"{tuple(getattr(camera_trans, 'shape', ()))}")
    return (points - camera_trans.reshape(-1, 1, 3)) @ camera_rot.transpose(1, 2)


def perspective_camera(points: torch.Tensor, camera_proj: torch.Tensor) -> torch.Tensor:
    """Project camera-space points onto the image plane.

    Args:
        points: (B, N, 3) camera-space points (in front of the camera: z < 0).
        camera_proj: (3, 1) or (B, 3, 1) projection from ``generate_perspective_projection``
            (moved to the device and dtype of ``points``).

    Returns:
        (B, N, 2) image-plane coordinates, [-1, 1] inside the field of view, +y up.
    """
    if not isinstance(points, torch.Tensor) or points.dim() != 3 or points.shape[-1] != 3:
        raise RenderError(f"points must be a (B, N, 3) tensor, got shape {tuple(getattr(points, 'shape', ()))}")
    check_camera_proj(camera_proj, points.shape[0])
    # The (3, 1) projection is tiny: it follows the points' device and dtype.
    projected = points * camera_proj.to(device=points.device, dtype=points.dtype).reshape(-1, 1, 3)
    return projected[..., :2] / projected[..., 2:3]


def check_camera_proj(camera_proj: torch.Tensor, batch_size: int) -> None:
    """Raise RenderError unless ``camera_proj`` is (3, 1), (1, 3, 1) or (batch_size, 3, 1)."""
    shape = tuple(getattr(camera_proj, "shape", ()))
    if not isinstance(camera_proj, torch.Tensor) or shape not in ((3, 1), (1, 3, 1), (batch_size, 3, 1)):
        raise RenderError(f"camera_proj must be a (3, 1) or (B, 3, 1) tensor with B = {batch_size}, got shape {shape}")
