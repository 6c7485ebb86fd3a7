"""Camera paths through key cameras, as Kaolin's ``camera_path_generator`` / ``loop_camera_path_generator``.

Between two key cameras the rotation is interpolated on quaternions (slerp, or a centripetal
Catmull-Rom spline of slerps), the translation, field of view (or ``fov_distance``), width and
height with a smoothstep polynomial or a uniform Catmull-Rom spline. Every generated camera is a
single :class:`~.camera.Camera` with the first key camera's device and dtype.
"""
from __future__ import annotations

import math
from typing import Callable, Iterator, List, Optional

import numpy as np
import torch

from ...errors import RenderError
from .camera import Camera

__all__ = ["camera_path_generator", "loop_camera_path_generator"]


# --------------------------------------------------------------------------- quaternions (w, x, y, z)


def _quaternion_from_rotation(rotation: torch.Tensor) -> torch.Tensor:
    """Unit quaternion (4,) (w, x, y, z) of a (3, 3) rotation matrix (largest-component branch, stable)."""
    m = rotation
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    candidates = torch.stack([trace, m[0, 0], m[1, 1], m[2, 2]])
    k = int(torch.argmax(candidates))
    if k == 0:
        s = torch.sqrt(1.0 + trace) * 2.0
        q = torch.stack([0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s])
    elif k == 1:
        s = torch.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2.0
        q = torch.stack([(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s])
    elif k == 2:
        s = torch.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2.0
        q = torch.stack([(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s])
    else:
        s = torch.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2.0
        q = torch.stack([(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s])
    return q / q.norm()


def _rotation_from_quaternion(q: torch.Tensor) -> torch.Tensor:
    """(3, 3) rotation matrix of a quaternion (4,) (w, x, y, z), normalised first."""
    w, x, y, z = q / q.norm()
    return torch.stack([
        torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)]),
        torch.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)]),
        torch.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)])])


def _slerp(a: torch.Tensor, b: torch.Tensor, t, eps: float) -> torch.Tensor:
    """Spherical interpolation from ``a`` (t = 0) to ``b`` (t = 1) along the shorter arc."""
    dot = torch.dot(a, b)
    if dot < 0.0:
        dot, b = -dot, -b
    theta = torch.acos(dot.clamp(-1.0, 1.0))
    if theta < eps:
        return (1.0 - t) * a + t * b
    return (torch.sin((1.0 - t) * theta) * a + torch.sin(t * theta) * b) / torch.sin(theta)


def _angle_between(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Rotation angle between the orientations of unit quaternions ``a`` and ``b``."""
    dot = torch.dot(a, b).clamp(-1.0, 1.0)
    return torch.acos(2.0 * dot * dot - 1.0)


def _catmull_rom_slerp(q0, q1, q2, q3, t: float, eps: float, alpha: float = 0.5) -> torch.Tensor:
    """Centripetal Catmull-Rom spline through q1 (t = 0) and q2 (t = 1), built from slerps (Barry-Goldman)."""
    k0 = 0.0
    k1 = _angle_between(q0, q1) ** alpha + k0
    k2 = _angle_between(q1, q2) ** alpha + k1
    k3 = _angle_between(q2, q3) ** alpha + k2
    u = t * (k2 - k1) + k1

    def ratio(lo, hi, fallback):
        return (u - lo) / (hi - lo) if abs(hi - lo) > eps else fallback

    a1 = _slerp(q0, q1, ratio(k0, k1, k0), eps)
    a2 = _slerp(q1, q2, ratio(k1, k2, k1), eps)
    a3 = _slerp(q2, q3, ratio(k2, k3, k2), eps)
    b1 = _slerp(a1, a2, ratio(k0, k2, k0), eps)
    b2 = _slerp(a2, a3, ratio(k1, k3, k1), eps)
    c = _slerp(b1, b2, ratio(k1, k2, k1), eps)
    return c / c.norm()


# --------------------------------------------------------------------------- scalar curves


def _smoothstep(x, order: int = 3):
    """Smoothstep polynomial of ``order`` on [0, 1] (0 and 1 with ``order`` vanishing derivatives at the ends)."""
    x = np.clip(x, 0.0, 1.0)
    total = sum(math.comb(order + n, n) * math.comb(2 * order + 1, order - n) * (-x) ** n for n in range(order + 1))
    return total * x ** (order + 1)


def _lerp(a, b, t):
    return a * (1 - t) + b * t


def _catmull_rom(p0, p1, p2, p3, t):
    """Uniform Catmull-Rom spline through p1 (t = 0) and p2 (t = 1)."""
    return 0.5 * (2.0 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                  + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3)


def _lens_values(cameras: List[Camera]) -> dict:
    """``{from_args keyword: [value per camera]}`` of the lens parameter that is interpolated."""
    lens = cameras[0].lens_type
    if any(c.lens_type != lens for c in cameras):
        raise RenderError(f"camera path: key cameras mix lens types {[c.lens_type for c in cameras]}")
    if lens == "pinhole":
        return {"fov": [c.fov(in_degrees=False).item() for c in cameras]}
    if lens == "ortho":
        return {"fov_distance": [c.fov_distance.item() for c in cameras]}
    raise RenderError(f"camera path: unsupported lens type {lens!r}")


def _camera(rotation: torch.Tensor, translation: torch.Tensor, width: float, height: float, like: Camera,
            lens: dict) -> Camera:
    view = torch.eye(4, dtype=rotation.dtype, device=rotation.device).unsqueeze(0)
    view[0, :3, :3] = rotation
    view[0, :3, 3] = translation.reshape(3)
    return Camera.from_args(view_matrix=view, width=round(width), height=round(height), device=like.device,
                            dtype=like.dtype, **lens)


# --------------------------------------------------------------------------- interpolators


def _polynomial_step(trajectory: List[Camera], timestep: int, frames_between_cameras: int, order: int = 3) -> Camera:
    index = timestep // frames_between_cameras % len(trajectory)
    first, second = trajectory[index], trajectory[index + 1]
    x = _smoothstep(np.linspace(0.0, 1.0, frames_between_cameras + 1), order)[timestep % frames_between_cameras]
    eps = torch.finfo(first.dtype).eps
    q = _slerp(_quaternion_from_rotation(first.R[0]), _quaternion_from_rotation(second.R[0]), x, eps)
    lens = {k: _lerp(v[0], v[1], x) for k, v in _lens_values([first, second]).items()}
    return _camera(_rotation_from_quaternion(q), _lerp(first.t, second.t, x), _lerp(first.width, second.width, x),
                   _lerp(first.height, second.height, x), first, lens)


def _spline_step(trajectory: List[Camera], timestep: int, frames_between_cameras: int) -> Camera:
    index = min(max(timestep // frames_between_cameras % len(trajectory), 0), len(trajectory) - 3)
    keys = [trajectory[index + k] for k in (-1, 0, 1, 2)]
    x = np.linspace(0.0, 1.0, frames_between_cameras + 1)[timestep % frames_between_cameras]
    eps = torch.finfo(keys[0].dtype).eps
    q = _catmull_rom_slerp(*(_quaternion_from_rotation(c.R[0]) for c in keys), x, eps)
    lens = {k: _catmull_rom(*v, x) for k, v in _lens_values(keys).items()}
    return _camera(_rotation_from_quaternion(q), _catmull_rom(*(c.t for c in keys), x),
                   _catmull_rom(*(c.width for c in keys), x), _catmull_rom(*(c.height for c in keys), x),
                   keys[0], lens)


def _interpolator(interpolation: str, trajectory: List[Camera]) -> Callable:
    needed = {"polynomial": 2, "catmull_rom": 4}
    if interpolation not in needed:
        raise RenderError(f"Unknown interpolation function specified. Valid options: 'polynomial', 'catmull_rom' "
                          f"(got {interpolation!r}).")
    if len(trajectory) < needed[interpolation]:
        raise RenderError(f"For {interpolation} interpolation, cameras trajectory must have at least "
                          f"{needed[interpolation]} cameras (got {len(trajectory)}).")
    return _polynomial_step if interpolation == "polynomial" else _spline_step


def loop_camera_path_generator(trajectory: List[Camera], frames_between_cameras: int = 60,
                               interpolation: str = "polynomial", repeat: Optional[int] = None) -> Iterator[Camera]:
    """Cameras cycling through ``trajectory`` and back to its start, ``frames_between_cameras`` between
    consecutive keys; forever, or ``repeat`` rounds (plus the closing camera)."""
    step = _interpolator(interpolation, trajectory)
    padded = [trajectory[-1]] + list(trajectory) + [trajectory[0], trajectory[1]]
    period = frames_between_cameras + 1
    timestep, produced = period, 0
    while True:
        yield step(padded, timestep, period)
        timestep = max((timestep + 1) % ((len(trajectory) + 1) * period), period)
        produced += 1
        if repeat is not None and produced > len(trajectory) * period * repeat:
            return


def camera_path_generator(trajectory: List[Camera], frames_between_cameras: int = 60,
                          interpolation: str = "catmull_rom") -> Iterator[Camera]:
    """Cameras from the first key camera of ``trajectory`` to the last, ``frames_between_cameras``
    between consecutive keys."""
    step = _interpolator(interpolation, trajectory)
    padded = [trajectory[0]] + list(trajectory) + [trajectory[-1], trajectory[-1]]
    period = frames_between_cameras + 1
    timestep = period
    while True:
        yield step(padded, timestep, period)
        timestep += 1
        if timestep // period % len(padded) == len(padded) - 3:
            break
    yield step(padded, timestep, period)
