"""A turntable view of any render function in a notebook, as Kaolin's ``IpyTurntableVisualizer``.

The camera orbits ``focus_at`` and always looks at it, its up vector along ``±`` the world axis
``world_up_axis``. Its position is kept in spherical coordinates about the focus point (``azimuth``,
``elevation``, ``distance``, each a (1,) tensor, :func:`kaolin_pipeline.ops.coords.cartesian2spherical`
with the world up axis as ``z`` and the next two axes, cyclically, as ``x`` and ``y``). Dragging with the
left button turns it by ``rotation_sensitivity × π`` per canvas width (azimuth) or height (elevation);
over a pole the camera flips its up sign instead of stopping. Dragging with the right button moves the
camera and the focus point together; the wheel widens or narrows the field of view
(:func:`~kaolin_pipeline.visualize.interactive.safe_zoom`), and with Ctrl it moves the camera towards or
away from the focus point (``distance ← exp(log distance + amount)``).

Front ends, the render function and the canvas: :mod:`kaolin_pipeline.visualize.interactive`.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import torch

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.ops.coords import cartesian2spherical, spherical2cartesian
from kaolin_pipeline.visualize.interactive import BaseVisualizer, Canvas, encode_image, widgets_available

__all__ = ["TurntableVisualizer", "encode_image", "widgets_available"]

_WATCHED = ["wheel", "mousedown", "mouseup", "mousemove", "mouseleave", "mouseenter", "contextmenu"]


class TurntableVisualizer(BaseVisualizer):
    """A turntable view of ``render(camera)``; arguments as Kaolin's ``IpyTurntableVisualizer``.

    Args:
        height, width: canvas size in pixels.
        camera: a single Kaolin ``Camera``; turned at once to look at ``focus_at``, then moved in place.
        render, fast_render: see :class:`~kaolin_pipeline.visualize.interactive.BaseVisualizer`.
        focus_at: (3,) point orbited (default the origin).
        world_up_axis: 0, 1 or 2.
        zoom_sensitivity: fov change (in logit units) per wheel unit.
        forward_sensitivity: log-distance change per wheel unit with Ctrl.
        rotation_sensitivity: half-turns per canvas width (or height) dragged.
        translation_sensitivity: distance moved per canvas width (or height) dragged with the right button.
        max_fps, canvas, img_format, img_quality: see the base class.
        update_only_on_release: draw only when the mouse is released.
        additional_watched_events: more ipyevents events to listen to.
        additional_event_handler: ``handler(visualizer, event)`` called first on every event; returning
            False skips the visualizer's own handling.
    """

    def __init__(self, height: int, width: int, camera, render: Callable, fast_render: Optional[Callable] = None,
                 focus_at: Optional[torch.Tensor] = None, world_up_axis: int = 1, zoom_sensitivity: float = 0.001,
                 forward_sensitivity: float = 0.001, rotation_sensitivity: float = 1.5,
                 translation_sensitivity: float = 1.0, max_fps: Optional[float] = 24.0,
                 update_only_on_release: bool = False, additional_watched_events: Optional[list] = None,
                 additional_event_handler: Optional[Callable] = None, canvas: Optional[Canvas] = None,
                 img_format: str = "PNG", img_quality: Optional[int] = 100):
        if world_up_axis not in (0, 1, 2):
            raise ConfigError(f"IpyTurntableVisualizer: world_up_axis must be 0, 1 or 2, got {world_up_axis!r}")
        super().__init__(height, width, camera, render, fast_render, _WATCHED + list(additional_watched_events or []),
                         max_fps, canvas, img_format, img_quality)
        with torch.no_grad():
            self.focus_at = (torch.zeros(3, dtype=camera.dtype, device=camera.device) if focus_at is None
                             else torch.as_tensor(focus_at, dtype=camera.dtype, device=camera.device).reshape(3).clone())
            self.world_up_axis = world_up_axis
            # spherical (x, y, z) = world axes (up + 1, up + 2, up), cyclically
            self._axes = [(world_up_axis + 1) % 3, (world_up_axis + 2) % 3, world_up_axis]
            offset = self.focus_at - camera.cam_pos().reshape(3)
            self.azimuth, self.elevation, self.distance = cartesian2spherical(
                *(offset[a].reshape(1) for a in self._axes))
            self.up_sign = 1.0 if float(camera.cam_up().reshape(3)[world_up_axis]) >= 0 else -1.0
            self._look_at_focus(camera.cam_pos().reshape(3))
        self.zoom_sensitivity, self.forward_sensitivity = zoom_sensitivity, forward_sensitivity
        self.rotation_sensitivity, self.translation_sensitivity = rotation_sensitivity, translation_sensitivity
        self.update_only_on_release = update_only_on_release
        self.additional_event_handler = additional_event_handler
        self.position: Optional[tuple] = None

    # ------------------------------------------------------------------ camera

    def _look_at_focus(self, eye: torch.Tensor) -> None:
        up = torch.zeros(3, dtype=self.camera.dtype, device=self.camera.device)
        up[self.world_up_axis] = self.up_sign
        self.camera.extrinsics = type(self.camera.extrinsics).from_lookat(
            eye=eye, at=self.focus_at, up=up, dtype=self.camera.dtype, device=self.camera.device)

    def _place_camera(self) -> None:
        offset = torch.empty(3, dtype=self.distance.dtype, device=self.distance.device)
        offset[self._axes] = torch.cat(spherical2cartesian(self.azimuth, self.elevation, self.distance))
        self._look_at_focus(self.focus_at - offset)

    def _move_turntable(self, amount_elevation, amount_azimuth) -> None:
        """Turn about the focus point (radians, signed by the current up sign); crossing a pole flips the
        up sign and turns the azimuth by π."""
        self.elevation = self.elevation - amount_elevation * self.up_sign
        self.azimuth = self.azimuth - amount_azimuth * self.up_sign
        if abs(float(self.elevation)) > math.pi / 2:
            self.elevation = math.copysign(math.pi, float(self.elevation)) - self.elevation
            self.up_sign = -self.up_sign
            self.azimuth = self.azimuth + math.pi
        self._place_camera()

    def _move_translation(self, amount_up, amount_left) -> None:
        """Move the camera and the focus point up and left (world units)."""
        before = self.camera.cam_pos()
        self.camera.move_up(amount_up)
        self.camera.move_right(-amount_left)
        self.focus_at = self.focus_at + (self.camera.cam_pos() - before).reshape(3)

    def _safe_forward(self, amount) -> None:
        """Move towards the focus point: ``distance ← exp(log distance + amount)``."""
        distance = torch.exp(torch.log(self.distance) + amount)
        self.camera.move_forward(distance - self.distance)
        self.distance = distance

    def orbit(self, d_azimuth: float = 0.0, d_elevation: float = 0.0) -> None:
        """Turn the camera about the focus point as a drag by ``rotation_sensitivity × π × (d_azimuth,
        d_elevation)`` would, then draw: with up sign +1, positive ``d_azimuth`` turns it clockwise seen
        from above (dragging right) and positive ``d_elevation`` raises it (dragging down)."""
        with torch.no_grad():
            self._move_turntable(d_elevation, d_azimuth)
        self.render_update()

    # ------------------------------------------------------------------ events

    def _wheel(self, event: dict) -> None:
        """The wheel zooms; with Ctrl it moves the camera towards the focus point."""
        if event.get("ctrlKey"):
            self._safe_forward(event["deltaY"] * self.forward_sensitivity)
        else:
            super()._wheel(event)

    def _drag_rotate(self, dx: float, dy: float) -> None:
        self._move_turntable(dy, dx)

    def _drag_translate(self, dx: float, dy: float) -> None:
        self._move_translation(dy, dx)
