"""A turntable view of any render function in a notebook, as Kaolin's ``IpyTurntableVisualizer``.

The camera orbits a focus point: dragging the image (or :meth:`TurntableVisualizer.orbit`) changes the
azimuth about the world up axis and the elevation above the horizontal plane at a fixed distance; the
wheel (or :meth:`TurntableVisualizer.zoom`) changes the distance. After each move the render function
draws the new view (``fast_render`` while the mouse is down).

Front ends: with ``ipywidgets`` and ``ipyevents`` installed the view is an ``ipywidgets.Image`` that
follows the mouse; without them (a plain Jupyter, a script, CI) :meth:`~TurntableVisualizer.show` displays
a still image of the current view, and :meth:`~TurntableVisualizer.orbit` / :meth:`~TurntableVisualizer.render_update`
still work from code (each shows a new still).

The camera is Kaolin's ``Camera`` (``cam_pos()``, ``cam_up()``, ``extrinsics`` with ``from_lookat``); the
render function takes it and returns an ``(H, W, 3|4)`` image (uint8, or float in [0, 1]) or a dict with that
image under ``"img"``.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import math
import time
from typing import Callable, Optional

import numpy as np
import torch

from kaolin_pipeline.errors import ConfigError

__all__ = ["TurntableVisualizer", "widgets_available"]


def widgets_available(*modules: str) -> bool:
    """True when ``modules`` (default: ``ipywidgets`` and ``ipyevents``, the interactive front end) import."""
    try:
        for module in modules or ("ipywidgets", "ipyevents"):
            importlib.import_module(module)
    except ImportError:
        return False
    return True


def encode_image(image, img_format: str = "PNG", img_quality: Optional[int] = None) -> bytes:
    """``image`` (``(H, W, 3|4)`` uint8 or float in [0, 1], a tensor or array; or a dict with ``"img"``) as
    PNG or JPEG bytes."""
    from PIL import Image

    if isinstance(image, dict):
        image = image["img"]
    array = image.detach().cpu().numpy() if torch.is_tensor(image) else np.asarray(image)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3 or array.shape[-1] not in (3, 4):
        raise ConfigError(f"turntable: render must return an (H, W, 3|4) image, got shape {array.shape}")
    if array.dtype != np.uint8:
        array = (np.clip(array.astype(np.float64), 0.0, 1.0) * 255.0).round().astype(np.uint8)
    kind = img_format.upper().replace("JPG", "JPEG")
    if kind == "JPEG":
        array = array[..., :3]
    buffer = io.BytesIO()
    options = {} if img_quality is None or kind != "JPEG" else {"quality": int(img_quality)}
    Image.fromarray(array).save(buffer, format=kind, **options)
    return buffer.getvalue()


class TurntableVisualizer:
    """A turntable view of ``render(camera)``; arguments as Kaolin's ``IpyTurntableVisualizer``.

    Args:
        height, width: size of the shown image in pixels.
        camera: Kaolin ``Camera``; moved in place.
        render: ``render(camera)`` → image (see the module docstring).
        fast_render: used while dragging (default ``render``).
        focus_at: (3,) point orbited (default the origin).
        world_up_axis: 0, 1 or 2.
        zoom_sensitivity: relative distance change per wheel unit.
        rotation_sensitivity: radians per image width dragged.
        max_fps: most updates per second while dragging.
        update_only_on_release: draw only when the mouse is released.
        img_format, img_quality: ``'PNG'`` or ``'JPEG'`` (with its quality) for the shown images.

    The remaining Kaolin arguments (``forward_sensitivity``, ``translation_sensitivity``,
    ``additional_watched_events``, ``additional_event_handler``, ``canvas``) are accepted; the extra events
    are watched and passed to the handler when the front end exists.
    """

    def __init__(self, height: int, width: int, camera, render: Callable, fast_render: Optional[Callable] = None,
                 focus_at: Optional[torch.Tensor] = None, world_up_axis: int = 0, zoom_sensitivity: float = 0.001,
                 forward_sensitivity: float = 0.001, rotation_sensitivity: float = 1.5,
                 translation_sensitivity: float = 1.0, max_fps: Optional[float] = None,
                 update_only_on_release: bool = False, additional_watched_events: Optional[list] = None,
                 additional_event_handler: Optional[Callable] = None, canvas=None, img_format: str = "PNG",
                 img_quality: Optional[int] = None):
        if world_up_axis not in (0, 1, 2):
            raise ConfigError(f"IpyTurntableVisualizer: world_up_axis must be 0, 1 or 2, got {world_up_axis!r}")
        self.height, self.width, self.camera = int(height), int(width), camera
        self.render, self.fast_render = render, fast_render or render
        self.world_up_axis = world_up_axis
        self.zoom_sensitivity, self.rotation_sensitivity = zoom_sensitivity, rotation_sensitivity
        self.forward_sensitivity, self.translation_sensitivity = forward_sensitivity, translation_sensitivity
        self.max_fps, self.update_only_on_release = max_fps, update_only_on_release
        self.additional_watched_events = list(additional_watched_events or [])
        self.additional_event_handler = additional_event_handler
        self.img_format, self.img_quality = img_format, img_quality
        position = camera.cam_pos().reshape(-1)[:3].detach().to(torch.float64).cpu()
        self.focus_at = (torch.zeros(3, dtype=torch.float64) if focus_at is None
                         else torch.as_tensor(focus_at, dtype=torch.float64).reshape(3).cpu())
        offset = position - self.focus_at
        self.distance = float(offset.norm()) or 1.0
        horizontal = [a for a in range(3) if a != world_up_axis]
        self.elevation = math.asin(max(-1.0, min(1.0, float(offset[world_up_axis]) / self.distance)))
        self.azimuth = math.atan2(float(offset[horizontal[0]]), float(offset[horizontal[1]]))
        self.image: Optional[bytes] = None
        self.interactive = widgets_available()
        self.canvas = canvas
        self._last_update = 0.0
        self._dragging_from: Optional[tuple[float, float]] = None
        if self.interactive or widgets_available("ipywidgets"):  # without ipyevents: widgets, no mouse
            import ipywidgets

            self.out = ipywidgets.Output()
            if self.canvas is None:
                self.canvas = ipywidgets.Image(format=img_format.lower(), width=self.width, height=self.height)
        else:
            self.out = contextlib.nullcontext()

    # ------------------------------------------------------------------ camera

    def eye(self) -> torch.Tensor:
        """(3,) float64 camera position for the current azimuth, elevation and distance."""
        first, second = [a for a in range(3) if a != self.world_up_axis]
        eye = torch.zeros(3, dtype=torch.float64)
        eye[self.world_up_axis] = math.sin(self.elevation)
        eye[first] = math.cos(self.elevation) * math.sin(self.azimuth)
        eye[second] = math.cos(self.elevation) * math.cos(self.azimuth)
        return self.focus_at + self.distance * eye

    def _place_camera(self) -> None:
        extrinsics = self.camera.extrinsics
        up = torch.zeros(3, dtype=torch.float64)
        up[self.world_up_axis] = 1.0
        device, dtype = self.camera.device, self.camera.dtype
        self.camera.extrinsics = type(extrinsics).from_lookat(
            eye=self.eye().to(device=device, dtype=dtype), at=self.focus_at.to(device=device, dtype=dtype),
            up=up.to(device=device, dtype=dtype), dtype=dtype, device=device)

    def orbit(self, d_azimuth: float = 0.0, d_elevation: float = 0.0, fast: bool = False) -> None:
        """Turn the camera by ``d_azimuth`` about the up axis and ``d_elevation`` (radians, kept within
        ±89.9°) at the same distance, then draw."""
        limit = math.radians(89.9)
        self.azimuth += d_azimuth
        self.elevation = max(-limit, min(limit, self.elevation + d_elevation))
        self._place_camera()
        self.render_update(fast=fast)

    def zoom(self, amount: float) -> None:
        """Scale the distance to the focus point by ``exp(-amount * zoom_sensitivity)``, then draw."""
        self.distance *= math.exp(-amount * self.zoom_sensitivity)
        self._place_camera()
        self.render_update()

    # ------------------------------------------------------------------ drawing

    def render_update(self, fast: bool = False) -> bytes:
        """Render the current view and show it (the widget, or a new still without a front end);
        returns the encoded image."""
        self.image = encode_image((self.fast_render if fast else self.render)(self.camera), self.img_format,
                                  self.img_quality)
        if isinstance(self.out, contextlib.nullcontext):
            return self.image
        self.canvas.value = self.image
        return self.image

    def _repr_png_(self) -> Optional[bytes]:
        return self.image if self.img_format.upper() == "PNG" else None

    def _repr_jpeg_(self) -> Optional[bytes]:
        return self.image if self.img_format.upper() in ("JPEG", "JPG") else None

    def show(self):
        """Display the view: the interactive widget, or (no front end) a still image of the current view,
        which is also returned (an ``IPython.display.Image``, or the encoded bytes without IPython)."""
        if self.image is None:
            self.render_update()
        if self.interactive:
            return self._show_widget()
        try:
            from IPython.display import Image, display
        except ImportError:
            return self.image
        still = Image(data=self.image, format=self.img_format.lower().replace("jpeg", "jpg"))
        display(still)
        return still

    def _show_widget(self):
        import ipyevents
        import ipywidgets
        from IPython.display import display

        events = ipyevents.Event(source=self.canvas, watched_events=[
            "mousedown", "mouseup", "mousemove", "mouseleave", "wheel"] + self.additional_watched_events,
            prevent_default_action=True)
        events.on_dom_event(self._handle_event)
        box = ipywidgets.VBox([self.canvas, self.out])
        display(box)
        return box

    def _handle_event(self, event: dict) -> None:
        with self.out:
            kind = event.get("type")
            if kind == "mousedown":
                self._dragging_from = (event["relativeX"], event["relativeY"])
            elif kind in ("mouseup", "mouseleave"):
                if self._dragging_from is not None:
                    self._dragging_from = None
                    self.render_update()
            elif kind == "mousemove" and self._dragging_from is not None:
                x, y = event["relativeX"], event["relativeY"]
                dx, dy = x - self._dragging_from[0], y - self._dragging_from[1]
                now = time.monotonic()
                if self.max_fps and now - self._last_update < 1.0 / self.max_fps:
                    return
                self._dragging_from, self._last_update = (x, y), now
                scale = self.rotation_sensitivity / self.width
                self.azimuth -= dx * scale
                self.elevation = max(-math.radians(89.9), min(math.radians(89.9), self.elevation + dy * scale))
                self._place_camera()
                if not self.update_only_on_release:
                    self.render_update(fast=True)
            elif kind == "wheel":
                self.zoom(-event.get("deltaY", 0.0))
            if kind in self.additional_watched_events and self.additional_event_handler is not None:
                self.additional_event_handler(self, event)
