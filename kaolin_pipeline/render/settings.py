"""``RenderSettings``: how a view is rendered, as one frozen value (in the spirit of PyTorch3D's
``RasterizationSettings``).

A render preset (:mod:`.presets`) gives the settings (:meth:`RenderSettings.from_preset`); a recipe's config
overrides some of them, ``None`` keeping the preset's value (:meth:`RenderSettings.replace`). The settings
then build the soft renderer a recipe optimises (:meth:`RenderSettings.renderer`, a :class:`DIBRenderer`)
and render anti-aliased views (:meth:`RenderSettings.render_antialiased`), so both see the same image size,
background, shading and texture filtering.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, Optional

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.render.antialias import render_antialiased
from kaolin_pipeline.render.renderer import SHADING_MODES, DIBRenderer, Lights

TEXTURE_MODES = ("nearest", "bilinear")


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return value


def _positive_number(name: str, value: Any, optional: bool = False) -> Optional[float]:
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _choice(name: str, value: Any, choices: tuple) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class RenderSettings:
    """Everything that says how a view is rendered, except the cameras and lights.

    Attributes:
        image_size: ``(height, width)`` in pixels (an ``int`` is read as a square).
        background: RGB of pixels covered by no face.
        sigmainv: DIB-R soft-mask sharpness (1/σ; larger is sharper).
        boxlen: DIB-R soft-mask search radius, in image-plane units.
        knum: DIB-R soft-mask nearest faces per pixel.
        multiplier, eps: DIB-R rasterisation constants (``None``: :class:`DIBRenderer`'s defaults).
        shading: ``'flat'`` or ``'smooth'``.
        texture_mode: ``'nearest'`` or ``'bilinear'``.
        perspective_correct: interpolate attributes linearly in 3D rather than in screen space.
        supersample: samples per pixel along each axis of anti-aliased views.
    """

    image_size: tuple[int, int] = (64, 64)
    background: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sigmainv: float = 7000.0
    boxlen: float = 0.02
    knum: int = 30
    multiplier: Optional[float] = None
    eps: Optional[float] = None
    shading: str = "flat"
    texture_mode: str = "bilinear"
    perspective_correct: bool = False
    supersample: int = 4

    def __post_init__(self) -> None:
        size = self.image_size
        sizes = (size, size) if isinstance(size, int) and not isinstance(size, bool) else size
        if not isinstance(sizes, (list, tuple)) or len(sizes) != 2:
            raise ConfigError(f"image_size must be an integer or (height, width), got {size!r}")
        background = self.background
        if not isinstance(background, (list, tuple)) or len(background) != 3 or not all(
                isinstance(c, (int, float)) and not isinstance(c, bool) for c in background):
            raise ConfigError(f"background must be three numbers (RGB), got {background!r}")
        if not isinstance(self.perspective_correct, bool):
            raise ConfigError(f"perspective_correct must be true or false, got {self.perspective_correct!r}")
        checked = {
            "image_size": tuple(_positive_int(f"image_size[{i}]", s) for i, s in enumerate(sizes)),
            "background": tuple(float(c) for c in background),
            "sigmainv": _positive_number("sigmainv", self.sigmainv),
            "boxlen": _positive_number("boxlen", self.boxlen),
            "knum": _positive_int("knum", self.knum),
            "multiplier": _positive_number("multiplier", self.multiplier, optional=True),
            "eps": _positive_number("eps", self.eps, optional=True),
            "shading": _choice("shading", self.shading, SHADING_MODES),
            "texture_mode": _choice("texture_mode", self.texture_mode, TEXTURE_MODES),
            "supersample": _positive_int("supersample", self.supersample),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @property
    def height(self) -> int:
        return self.image_size[0]

    @property
    def width(self) -> int:
        return self.image_size[1]

    @classmethod
    def from_preset(cls, preset: Mapping[str, Any]) -> "RenderSettings":
        """The settings of a loaded render preset (:func:`~kaolin_pipeline.render.presets.load_preset`):
        its ``image_size``, ``background`` and ``renderer`` section; the other fields keep their defaults."""
        return cls(image_size=tuple(preset["image_size"]), background=tuple(preset["background"]),
                   **preset["renderer"])

    def replace(self, overrides: Optional[Mapping[str, Any]] = None, where: str = "", **changes) -> "RenderSettings":
        """A copy with ``overrides`` (and ``changes``) applied; a ``None`` value keeps the current one.

        Args:
            overrides: field name -> new value (``None``: keep).
            where: prefix of error messages, e.g. ``'views'`` for keys of a config's ``views`` section.

        Raises:
            ConfigError: an unknown field or an invalid value, named as ``<where>.<field>``.
        """
        updates = {**(overrides or {}), **changes}
        fields = {f.name for f in dataclasses.fields(self)}
        prefix = f"{where}." if where else ""
        for name in updates:
            if name not in fields:
                raise ConfigError(f"{prefix}{name}: not a render setting (settings: {', '.join(sorted(fields))})")
        kept = {name: value for name, value in updates.items() if value is not None}
        try:
            return dataclasses.replace(self, **kept)
        except ConfigError as error:
            raise ConfigError(f"{prefix}{error}") from None

    def renderer(self) -> DIBRenderer:
        """The :class:`DIBRenderer` (soft rasteriser) with these settings."""
        return DIBRenderer(self.image_size, background=self.background, sigmainv=self.sigmainv, boxlen=self.boxlen,
                           knum=self.knum, multiplier=self.multiplier, eps=self.eps, shading=self.shading,
                           texture_mode=self.texture_mode, perspective_correct=self.perspective_correct)

    def render_antialiased(self, mesh, cameras, lights: Lights = None) -> dict:
        """Anti-aliased views of ``mesh`` with these settings
        (:func:`~kaolin_pipeline.render.antialias.render_antialiased`, ``supersample``² samples per pixel).

        Returns:
            dict of ``image`` (N, H, W, 3), ``alpha`` (N, H, W), ``face_idx`` (N, H, W), ``depth`` (N, H, W)
            and ``normals`` (N, H, W, 3), as :func:`~kaolin_pipeline.render.antialias.render_antialiased`.
        """
        return render_antialiased(mesh, cameras, self.image_size, supersample=self.supersample, lights=lights,
                                  background=self.background, shading=self.shading, texture_mode=self.texture_mode,
                                  perspective_correct=self.perspective_correct)
