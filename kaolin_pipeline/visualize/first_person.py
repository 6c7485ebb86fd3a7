"""A first-person view of any render function in a notebook, as Kaolin's ``IpyFirstPersonVisualizer``.

The camera turns about its own position: dragging with the left button changes the azimuth (about
``world_up``) and the elevation (about the turned right axis, within ±π/2; dragging up looks down) by ``rotation_sensitivity × π``
per canvas width or height, so the view never rolls. Dragging with the right button, or the movement keys,
move the camera along its own up, right and forward axes; the wheel widens or narrows the field of view
(:func:`~kaolin_pipeline.visualize.interactive.safe_zoom`).

At construction the camera keeps its position and view direction; when ``world_up`` differs from its up
vector it is turned about its view direction to stand upright on ``world_up`` (the elevation is then the
angle between the two ups, negative when the camera looks down).

Front ends, the render function and the canvas: :mod:`kaolin_pipeline.visualize.interactive`.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import torch
import torch.nn.functional as F

from kaolin_pipeline.visualize.interactive import BaseVisualizer, Canvas, rotate_around_axis

__all__ = ["FirstPersonVisualizer"]

_WATCHED = ["wheel", "mousedown", "mouseup", "mousemove", "mouseleave", "mouseenter", "contextmenu", "keydown",
            "keyup"]


class FirstPersonVisualizer(BaseVisualizer):
    """A first-person view of ``render(camera)``; arguments as Kaolin's ``IpyFirstPersonVisualizer``.

    Args:
        height, width: canvas size in pixels.
        camera: a single Kaolin ``Camera``; moved in place.
        render, fast_render: see :class:`~kaolin_pipeline.visualize.interactive.BaseVisualizer`.
        world_up: (3,) world up direction (default the camera's up).
        zoom_sensitivity: fov change (in logit units) per wheel unit.
        rotation_sensitivity: half-turns per canvas width (or height) dragged.
        translation_sensitivity: distance moved per canvas width (or height) dragged with the right button.
        key_move_sensitivity: distance moved per key press.
        up_key, down_key, left_key, right_key, forward_key, backward_key: the movement keys.
        max_fps, canvas, img_format, img_quality: see the base class.
        update_only_on_release: draw only when the mouse is released.
        additional_watched_events, additional_event_handler: as :class:`~kaolin_pipeline.visualize.turntable.TurntableVisualizer`.

    Attributes:
        world_up, world_right: (1, 3) the up axis, and the camera's right axis at azimuth 0.
        azimuth, elevation: (1,) radians turned since construction.
    """

    def __init__(self, height: int, width: int, camera, render: Callable, fast_render: Optional[Callable] = None,
                 world_up: Optional[torch.Tensor] = None, zoom_sensitivity: float = 0.001,
                 rotation_sensitivity: float = 0.4, translation_sensitivity: float = 1.0,
                 key_move_sensitivity: float = 0.05, max_fps: Optional[float] = 24.0, up_key: str = "i",
                 down_key: str = "k", left_key: str = "j", right_key: str = "l", forward_key: str = "o",
                 backward_key: str = "u", update_only_on_release: bool = False,
                 additional_watched_events: Optional[list] = None, additional_event_handler: Optional[Callable] = None,
                 canvas: Optional[Canvas] = None, img_format: str = "PNG", img_quality: Optional[int] = 100):
        super().__init__(height, width, camera, render, fast_render, _WATCHED + list(additional_watched_events or []),
                         max_fps, canvas, img_format, img_quality)
        dtype, device = camera.dtype, camera.device
        with torch.no_grad():
            cam_up = camera.cam_up().reshape(1, 3)
            if world_up is None or torch.allclose((torch.as_tensor(world_up).reshape(1, 3).to(cam_up) * cam_up).sum(),
                                                  torch.ones((), dtype=dtype, device=device)):
                self.world_up = F.normalize(cam_up.clone(), dim=-1)
                self.elevation = torch.zeros(1, dtype=dtype, device=device)
            else:
                self.world_up = F.normalize(torch.as_tensor(world_up, dtype=dtype, device=device).reshape(1, 3), dim=-1)
                eye = camera.cam_pos().reshape(3)
                camera.extrinsics = type(camera.extrinsics).from_lookat(
                    eye=eye, at=eye - camera.cam_forward().reshape(3), up=self.world_up.reshape(3),
                    dtype=dtype, device=device)
                # the angle between the two ups, by atan2 (acos loses float32 precision near 0 and π)
                cam_up = camera.cam_up().reshape(1, 3)
                angle = torch.atan2(torch.linalg.cross(self.world_up, cam_up, dim=-1).norm(dim=-1),
                                    (self.world_up * cam_up).sum(-1))
                looks_up = float((self.world_up * camera.cam_forward().reshape(1, 3)).sum()) >= 0
                self.elevation = -angle if looks_up else angle
            self.world_right = F.normalize(camera.cam_right().reshape(1, 3).clone(), dim=-1)
        self.azimuth = torch.zeros(1, dtype=dtype, device=device)
        self.zoom_sensitivity, self.rotation_sensitivity = zoom_sensitivity, rotation_sensitivity
        self.translation_sensitivity, self.key_move_sensitivity = translation_sensitivity, key_move_sensitivity
        # key → (camera method, sign of key_move_sensitivity); the camera's +z points backwards
        self._keys = {up_key: ("move_up", 1.0), down_key: ("move_up", -1.0), left_key: ("move_right", -1.0),
                      right_key: ("move_right", 1.0), forward_key: ("move_forward", -1.0),
                      backward_key: ("move_forward", 1.0)}
        self.update_only_on_release = update_only_on_release
        self.additional_event_handler = additional_event_handler
        self.position: Optional[tuple] = None

    def _first_person_rotate(self, move_azimuth, move_elevation) -> None:
        """Add to the azimuth (about ``world_up``) and the elevation (clamped to ±π/2) and turn the camera
        in place to them."""
        self.azimuth = (self.azimuth + move_azimuth) % (2 * math.pi)
        self.elevation = torch.clamp(self.elevation + move_elevation, -math.pi / 2, math.pi / 2)
        right = rotate_around_axis(self.world_right, self.azimuth, self.world_up)
        up = rotate_around_axis(self.world_up, self.elevation, right)
        rotation = torch.stack([right, up, torch.linalg.cross(right, up, dim=-1)], dim=1)  # (1, 3, 3) rows
        view = self.camera.view_matrix()
        view[:, :3, 3:] = -rotation @ self.camera.cam_pos()
        view[:, :3, :3] = rotation
        self.camera.extrinsics.update(view)

    def _drag_rotate(self, dx: float, dy: float) -> None:
        self._first_person_rotate(dx, dy)

    def _drag_translate(self, dx: float, dy: float) -> None:
        self.camera.move_up(dy)
        self.camera.move_right(-dx)

    def _other_event(self, event: dict) -> None:
        """Keys move the camera (``_keys``); releasing one draws at full quality."""
        if event["type"] in ("keydown", "keyup") and event.get("key") in self._keys:
            if event["type"] == "keyup":
                self.render_update()
                return
            method, sign = self._keys[event["key"]]
            getattr(self.camera, method)(sign * self.key_move_sensitivity)
            self.fast_render_update()
