"""What the notebook camera controllers share, following Kaolin's ``kaolin.visualize.ipython``.

A controller holds a Kaolin ``Camera`` and a ``render(camera)`` function, moves the camera on mouse and
key events (ipyevents' dicts: ``{'type': 'mousemove', 'relativeX': ..., 'relativeY': ..., 'buttons': 1}``)
and shows each new render on a :class:`Canvas`. The render function returns an ``(H, W, 3|4)`` image
(uint8, or float in [0, 1]), or a dict holding it under ``'img'`` (other entries, per-pixel tensors such
as depth or face ids, are printed for the pixel under the cursor when the left button is released).

Front ends: with ``ipywidgets`` and ``ipyevents`` installed the canvas is an ``ipywidgets.Image`` that
follows the mouse; without them (a plain Jupyter, a script, CI) :meth:`BaseVisualizer.show` displays a
still image of the current view, and ``_handle_event`` (or the controllers' own methods) still moves the
camera from code.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import io
import math
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.ops.quaternion import quat_from_angle_axis, quat_rotate

__all__ = ["BaseVisualizer", "Canvas", "camera_drag_delta", "encode_image", "new_canvas", "rotate_around_axis", "safe_zoom",
           "widgets_available"]


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
        raise ConfigError(f"visualizer: render must return an (H, W, 3|4) image, got shape {array.shape}")
    if array.dtype != np.uint8:
        array = (np.clip(array.astype(np.float64), 0.0, 1.0) * 255.0).round().astype(np.uint8)
    kind = img_format.upper().replace("JPG", "JPEG")
    if kind == "JPEG":
        array = array[..., :3]
    buffer = io.BytesIO()
    options = {} if img_quality is None or kind != "JPEG" else {"quality": int(img_quality)}
    Image.fromarray(array).save(buffer, format=kind, **options)
    return buffer.getvalue()


def rotate_around_axis(point: torch.Tensor, angle: Union[float, torch.Tensor], axis: torch.Tensor) -> torch.Tensor:
    """Turn ``point`` (B, 3) by ``angle`` radians (a number, or a (B,) / (1,) tensor) about ``axis`` (B, 3)
    or (1, 3) through the origin, right-hand rule (the axis is normalised). Returns (B, 3)."""
    angle = torch.as_tensor(angle, dtype=point.dtype, device=point.device).reshape(-1, 1)
    return quat_rotate(quat_from_angle_axis(angle, axis.to(point.dtype)), point)


def safe_zoom(camera, amount) -> None:
    """Change a pinhole ``camera``'s field of view in place, keeping its aspect: the vertical fov becomes
    ``180° sigmoid(logit(fov_y / 180°) + amount)``, so it stays within (0°, 180°); positive ``amount``
    widens the view (zooms out)."""
    ratio = camera.fov_x / camera.fov_y
    fraction = camera.fov_y / 180.0
    camera.fov_y = torch.sigmoid(torch.log(fraction / (1 - fraction)) + amount) * 180.0
    camera.fov_x = camera.fov_y * ratio


class Canvas:
    """Where a controller draws without a front end: ``height`` and ``width`` in pixels and ``value``, the last
    encoded image; ``widget`` is None. With ipywidgets, :func:`new_canvas` makes an :class:`ipywidgets.Image`
    with the same interface instead."""

    widget = None

    def __init__(self, height: int, width: int, img_format: str = "PNG"):
        self.height, self.width = int(height), int(width)
        self.value: Optional[bytes] = None

    def draw(self, image: bytes) -> None:
        """Show ``image`` (encoded bytes)."""
        self.value = image


@functools.cache
def _image_canvas_class():
    """:class:`Canvas`'s interface on an ``ipywidgets.Image``, so the canvas goes into the user's own layout
    (``HBox([visualizer.canvas, sliders])``, as Kaolin's notebooks place its ``ipycanvas.Canvas``)."""
    import ipywidgets
    import traitlets

    class ImageCanvas(ipywidgets.Image):
        # pixel sizes as ints (Image's are strings), not synced: the layout gives the shown size, so a
        # fast_render's smaller image is scaled up to the canvas
        height = traitlets.Int()
        width = traitlets.Int()

        def __init__(self, height: int, width: int, img_format: str = "PNG"):
            super().__init__(format=img_format.lower(), layout=ipywidgets.Layout(height=f"{int(height)}px",
                                                                                 width=f"{int(width)}px"))
            self.height, self.width = int(height), int(width)

        @property
        def widget(self):
            return self

        def draw(self, image: bytes) -> None:
            self.value = image

    return ImageCanvas


def new_canvas(height: int, width: int, img_format: str = "PNG"):
    """A canvas of ``height`` × ``width`` pixels: an ``ipywidgets.Image`` where ipywidgets imports, else a
    :class:`Canvas`. Both have ``height``, ``width``, ``value`` (the last image's bytes), ``draw(bytes)`` and
    ``widget`` (the widget, or None)."""
    if widgets_available("ipywidgets"):
        return _image_canvas_class()(height, width, img_format)
    return Canvas(height, width, img_format)


def _as_output(output) -> dict:
    if isinstance(output, dict):
        return output
    if isinstance(output, (tuple, list)):
        return {"img": output[0]}
    if torch.is_tensor(output) or isinstance(output, np.ndarray):
        return {"img": output}
    raise TypeError(f"visualizer: render returned {type(output).__name__}; expected an image tensor or a dict "
                    "with 'img'")


class BaseVisualizer:
    """A camera, a render function and a canvas; subclasses implement ``_handle_event(event)``.

    Args:
        height, width: canvas size in pixels (the render may have another size; it is scaled on display).
        camera: a single Kaolin ``Camera`` (``len(camera) == 1``); moved in place.
        render: ``render(camera)`` → image or dict (see the module docstring).
        fast_render: used while dragging or holding a key (default ``render``).
        watched_events: ipyevents event names the front end listens to.
        max_fps: most events handled per second by the front end (None: every one).
        canvas: a canvas to draw on (default :func:`new_canvas` of ``height`` × ``width``).
        img_format, img_quality: ``'PNG'`` or ``'JPEG'`` (with its quality) for the shown images.

    Attributes:
        out: context the event handlers print into (an ``ipywidgets.Output``, or a no-op without ipywidgets).
        current_output: the last ``render`` output as a dict (None before the first render).
    """

    def __init__(self, height: int, width: int, camera, render: Callable, fast_render: Optional[Callable] = None,
                 watched_events: Sequence[str] = (), max_fps: Optional[float] = None, canvas: Optional[Canvas] = None,
                 img_format: str = "PNG", img_quality: Optional[int] = 100):
        if len(camera) != 1:
            raise ConfigError(f"visualizer: camera must hold a single camera, got {len(camera)}")
        if canvas is not None and (canvas.height, canvas.width) != (height, width):
            raise ConfigError(f"visualizer: canvas is {canvas.height}x{canvas.width}, height and width say "
                              f"{height}x{width}")
        self.height, self.width, self.camera = int(height), int(width), camera
        self.render, self.fast_render = render, fast_render or render
        self.watched_events = list(watched_events)
        self.max_fps = max_fps
        self.img_format, self.img_quality = img_format, img_quality
        self.canvas = canvas or new_canvas(height, width, img_format)
        self.current_output: Optional[dict] = None
        if widgets_available("ipywidgets"):
            import ipywidgets

            self.out = ipywidgets.Output()
        else:
            self.out = contextlib.nullcontext()
        self.event = None
        if widgets_available() and self.canvas.widget is not None:
            # listening from the start, as Kaolin's viewers do: a canvas the user lays out themselves follows the mouse
            import ipyevents

            wait = 0 if max_fps is None else int(1000.0 / max_fps)
            self.event = ipyevents.Event(source=self.canvas.widget, watched_events=self.watched_events,
                                         prevent_default_action=True, wait=wait)
            self.event.on_dom_event(self._handle_event)

    # ------------------------------------------------------------------ drawing

    def _draw(self, image) -> None:
        self.canvas.draw(encode_image(image, self.img_format, self.img_quality))

    def render_update(self) -> None:
        """Render the current view with ``render`` and show it."""
        with torch.no_grad():
            self.current_output = _as_output(self.render(self.camera))
        self._draw(self.current_output["img"])

    def fast_render_update(self) -> None:
        """Render the current view with ``fast_render`` and show it."""
        with torch.no_grad():
            self._draw(_as_output(self.fast_render(self.camera))["img"])

    def _repr_png_(self) -> Optional[bytes]:
        return (self.canvas.value or None) if self.img_format.upper() == "PNG" else None

    def _repr_jpeg_(self) -> Optional[bytes]:
        return (self.canvas.value or None) if self.img_format.upper() in ("JPEG", "JPG") else None

    def show(self):
        """Render and display: the interactive canvas with ipywidgets + ipyevents, else a still image of the
        current view, which is also returned (an ``IPython.display.Image``, or the bytes without IPython)."""
        self.render_update()
        if widgets_available():
            return self._show_widget()
        try:
            from IPython.display import Image, display
        except ImportError:
            return self.canvas.value
        still = Image(data=self.canvas.value, format=self.img_format.lower().replace("jpeg", "jpg"))
        display(still)
        return still

    def _show_widget(self):
        import ipywidgets
        from IPython.display import display

        box = ipywidgets.VBox([self.canvas.widget, self.out])
        display(box)
        return box

    # ------------------------------------------------------------------ pixel queries

    def _get_clamped_coords(self, event: dict) -> tuple[int, int]:
        x = int(event["relativeX"] * self.canvas.width / event.get("boundingRectWidth", self.canvas.width))
        y = int(event["relativeY"] * self.canvas.height / event.get("boundingRectHeight", self.canvas.height))
        return min(max(x, 0), self.canvas.width - 1), min(max(y, 0), self.canvas.height - 1)

    def get_values_under_cursor(self, event: dict) -> dict:
        """``{key: (value, scaled (x, y) or None)}`` of every tensor of the last render output at the event's
        pixel (coordinates scaled when that output's size differs from the canvas's)."""
        x, y = self._get_clamped_coords(event)
        values = {}
        for key, item in (self.current_output or {}).items():
            if torch.is_tensor(item) and item.dim() in (2, 3):
                if tuple(item.shape[:2]) == (self.canvas.height, self.canvas.width):
                    values[key] = (item[y, x], None)
                else:
                    sx, sy = int(x * item.shape[1] / self.canvas.width), int(y * item.shape[0] / self.canvas.height)
                    values[key] = (item[sy, sx], (sx, sy))
        return values

    def _print_pixel_all_infos(self, event: dict) -> None:
        x, y = self._get_clamped_coords(event)
        print(f"pixel coords: {x}, {y}")
        for key, (value, scaled) in self.get_values_under_cursor(event).items():
            print(f"{key}: {value}" + ("" if scaled is None else f" (coords scaled to {scaled})"))

    def _handle_event(self, event: dict) -> None:
        """The mouse and keyboard flow both viewers share (Kaolin's): the ``additional_event_handler`` first
        (returning False stops the viewer's own handling), the wheel, a click's pixel values, a left drag
        that turns and a right drag that moves the camera; each viewer says how (:meth:`_wheel`,
        :meth:`_drag_rotate`, :meth:`_drag_translate`, :meth:`_other_event`)."""
        with torch.no_grad(), self.out:
            if self.additional_event_handler is not None and not self.additional_event_handler(self, event):
                return
            kind = event["type"]
            if kind == "wheel":
                self._wheel(event)
                self.render_update()
            elif kind == "mousedown":
                self.position = (event["relativeX"], event["relativeY"])
            elif kind in ("mouseup", "mouseleave", "mouseenter"):
                self.render_update()
                if kind == "mouseup" and event.get("button") == 0:
                    self._print_pixel_all_infos(event)
            elif kind == "mousemove" and self.position is not None and event.get("buttons") in (1, 2):
                if event["buttons"] == 1:
                    self._drag_rotate(*camera_drag_delta(self, event, self.rotation_sensitivity * math.pi))
                else:
                    self._drag_translate(*camera_drag_delta(self, event, self.translation_sensitivity))
                if not self.update_only_on_release:
                    self.fast_render_update()
            else:
                self._other_event(event)

    def _wheel(self, event: dict) -> None:
        """A wheel event zooms (the field of view, :func:`safe_zoom`)."""
        safe_zoom(self.camera, event["deltaY"] * self.zoom_sensitivity)

    def _drag_rotate(self, dx: float, dy: float) -> None:
        raise NotImplementedError

    def _drag_translate(self, dx: float, dy: float) -> None:
        raise NotImplementedError

    def _other_event(self, event: dict) -> None:
        """Events the shared flow does not handle (keys, for a viewer that moves with them): ignored."""


def camera_drag_delta(visualizer: BaseVisualizer, event: dict, scale: float) -> tuple[float, float]:
    """``scale`` × the cursor's move since the last event, as fractions of the canvas (x, y); records the
    new position."""
    last_x, last_y = visualizer.position
    visualizer.position = (event["relativeX"], event["relativeY"])
    return (scale * (event["relativeX"] - last_x) / visualizer.canvas.width,
            scale * (event["relativeY"] - last_y) / visualizer.canvas.height)

