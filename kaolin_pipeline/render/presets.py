"""Render presets: YAML camera rigs, image sizes, lights and renderer settings (shipped ``presets/*.yaml``, package data).

A preset file has these keys (angles in degrees; see ``presets/default.yaml``)::

    image_size: 64 | [H, W]
    fovy: 30.0
    distance: 3.0
    look_at: [0, 0, 0]
    up: [0, 1, 0]
    background: [0, 0, 0]
    views:                      # named view sets, each either explicit or a rule
      <name>: {azimuth: float | [..], elevation: float | [..], distance: float | [..] (optional)}
      <name>: {rule: ring, count: N, elevation: 15.0, azimuth_start: 0.0}
      <name>: {rule: sphere, count: N, min_elevation: -60.0, max_elevation: 75.0, azimuth_start: 0.0}
    lights: {type: none} | {type: lambertian, direction: [x, y, z], ambient: a, diffuse: d}
            | {type: sh, coefficients: [9 floats]}
    renderer: {sigmainv: 7000.0, boxlen: 0.02, knum: 30, shading: flat | smooth}

:func:`load_preset` returns the validated preset with every view set expanded to
``{'azimuth': [...], 'elevation': [...], 'distance': [...]}`` lists of equal length.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import torch
import yaml

from ..errors import ConfigError
from ..resources import shipped_path
from ..yamlfile import load_yaml
from .lighting import DirectionalLight
from .camera import Cameras, look_at_cameras
from .renderer import SHADING_MODES, DIBRenderer
from .settings import RenderSettings

#: Folder of the presets shipped with the package (``presets/`` at the top of a checkout links to it).
PRESETS_DIR = shipped_path("presets")

_DEFAULTS: dict[str, Any] = {
    "image_size": 64, "fovy": 30.0, "distance": 3.0, "look_at": [0.0, 0.0, 0.0], "up": [0.0, 1.0, 0.0],
    "background": [0.0, 0.0, 0.0], "views": None, "lights": {"type": "none"}, "renderer": {},
}
_VIEW_KEYS = {
    None: {"azimuth", "elevation", "distance"},
    "ring": {"rule", "count", "elevation", "azimuth_start", "distance"},
    "sphere": {"rule", "count", "min_elevation", "max_elevation", "azimuth_start", "distance"},
}
_LIGHT_KEYS = {"none": {"type"}, "lambertian": {"type", "direction", "ambient", "diffuse"},
               "sh": {"type", "coefficients"}}
_RENDERER_DEFAULTS = {"sigmainv": 7000.0, "boxlen": 0.02, "knum": 30, "shading": "flat"}
_GOLDEN_ANGLE_DEG = 180.0 * (3.0 - math.sqrt(5.0))


class _Checker:
    """Validation helpers whose errors name the preset file and the dotted key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key or 'top level'}: {problem}")

    def keys(self, key: str, mapping: Any, allowed: set[str]) -> dict:
        if not isinstance(mapping, dict):
            raise self.fail(key, f"must be a mapping, got {type(mapping).__name__}")
        for name in mapping:
            if name not in allowed:
                raise self.fail(f"{key}.{name}" if key else str(name),
                                f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return mapping

    def number(self, key: str, value: Any, low: float = -math.inf, high: float = math.inf,
               open_low: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(key, f"must be a finite number, got {value!r}")
        if value < low or value > high or (open_low and value == low):
            raise self.fail(key, f"must be in {'(' if open_low else '['}{low}, {high}], got {value}")
        return float(value)

    def integer(self, key: str, value: Any, low: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(key, f"must be an integer >= {low}, got {value!r}")
        return value

    def vector(self, key: str, value: Any, length: int, nonzero: bool = False) -> list[float]:
        if not isinstance(value, (list, tuple)) or len(value) != length:
            raise self.fail(key, f"must be a list of {length} numbers, got {value!r}")
        vector = [self.number(f"{key}[{i}]", v) for i, v in enumerate(value)]
        if nonzero and not any(vector):
            raise self.fail(key, "must not be the zero vector")
        return vector

    def numbers(self, key: str, value: Any, **bounds) -> list[float]:
        """A number or a non-empty list of numbers, as a list."""
        if isinstance(value, (list, tuple)):
            if not value:
                raise self.fail(key, "must not be empty")
            return [self.number(f"{key}[{i}]", v, **bounds) for i, v in enumerate(value)]
        return [self.number(key, value, **bounds)]


def _resolve_path(name_or_path: Union[str, Path]) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return PRESETS_DIR / f"{name_or_path}.yaml"


def _expand_views(check: _Checker, key: str, spec: Any, default_distance: float) -> dict[str, list[float]]:
    rule = spec.get("rule") if isinstance(spec, dict) else None
    if rule not in _VIEW_KEYS:
        raise check.fail(f"{key}.rule", f"must be one of ring, sphere (or absent for explicit lists), got {rule!r}")
    check.keys(key, spec, _VIEW_KEYS[rule])
    if rule is None:
        for required in ("azimuth", "elevation"):
            if required not in spec:
                raise check.fail(f"{key}.{required}", "is required for explicit views")
        azimuth = check.numbers(f"{key}.azimuth", spec["azimuth"])
        elevation = check.numbers(f"{key}.elevation", spec["elevation"], low=-90.0, high=90.0)
    else:
        count = check.integer(f"{key}.count", spec.get("count"))
        start = check.number(f"{key}.azimuth_start", spec.get("azimuth_start", 0.0))
        if rule == "ring":
            azimuth = [start + 360.0 * i / count for i in range(count)]
            elevation = check.numbers(f"{key}.elevation", spec.get("elevation", 0.0), low=-90.0, high=90.0)
        else:
            low = check.number(f"{key}.min_elevation", spec.get("min_elevation", -60.0), -90.0, 90.0)
            high = check.number(f"{key}.max_elevation", spec.get("max_elevation", 60.0), low, 90.0)
            # Golden-angle spiral: sin(elevation) uniform between the bounds gives equal-area spacing.
            sin_low, sin_high = math.sin(math.radians(low)), math.sin(math.radians(high))
            elevation = [math.degrees(math.asin(sin_low + (sin_high - sin_low) * (i + 0.5) / count))
                         for i in range(count)]
            azimuth = [(start + _GOLDEN_ANGLE_DEG * i) % 360.0 for i in range(count)]
    distance = check.numbers(f"{key}.distance", spec.get("distance", default_distance), low=0.0, open_low=True)
    count = max(len(azimuth), len(elevation), len(distance))
    for name, values in (("azimuth", azimuth), ("elevation", elevation), ("distance", distance)):
        if len(values) not in (1, count):
            raise check.fail(f"{key}.{name}", f"has {len(values)} values, other lists have {count}")
    return {"azimuth": azimuth * (count // len(azimuth)), "elevation": elevation * (count // len(elevation)),
            "distance": distance * (count // len(distance))}


def _check_lights(check: _Checker, spec: Any) -> dict:
    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind not in _LIGHT_KEYS:
        raise check.fail("lights.type", f"must be one of {', '.join(_LIGHT_KEYS)}, got {kind!r}")
    check.keys("lights", spec, _LIGHT_KEYS[kind])
    if kind == "lambertian":
        return {"type": kind, "direction": check.vector("lights.direction", spec.get("direction", [0, 0, 1]), 3, True),
                "ambient": check.number("lights.ambient", spec.get("ambient", 0.3), 0.0),
                "diffuse": check.number("lights.diffuse", spec.get("diffuse", 0.7), 0.0)}
    if kind == "sh":
        return {"type": kind, "coefficients": check.vector("lights.coefficients", spec.get("coefficients"), 9)}
    return {"type": kind}


def _check_renderer(check: _Checker, spec: Any) -> dict:
    check.keys("renderer", spec, set(_RENDERER_DEFAULTS))
    settings = {**_RENDERER_DEFAULTS, **spec}
    if settings["shading"] not in SHADING_MODES:
        raise check.fail("renderer.shading", f"must be one of {SHADING_MODES}, got {settings['shading']!r}")
    return {"sigmainv": check.number("renderer.sigmainv", settings["sigmainv"], 0.0, open_low=True),
            "boxlen": check.number("renderer.boxlen", settings["boxlen"], 0.0, open_low=True),
            "knum": check.integer("renderer.knum", settings["knum"]),
            "shading": settings["shading"]}


def validate_preset(raw: Any, source: str = "<preset>") -> dict:
    """Validate a preset mapping (as read from YAML) and expand its view sets; see the module docstring.

    Raises:
        ConfigError: naming ``source`` and the offending key.
    """
    check = _Checker(source)
    preset = {**copy.deepcopy(_DEFAULTS), **check.keys("", raw, set(_DEFAULTS))}
    size = preset["image_size"]
    sizes = [size, size] if isinstance(size, int) and not isinstance(size, bool) else size
    if not isinstance(sizes, (list, tuple)) or len(sizes) != 2:
        raise check.fail("image_size", f"must be an integer or [height, width], got {size!r}")
    image_size = [check.integer(f"image_size[{i}]", s) for i, s in enumerate(sizes)]
    distance = check.number("distance", preset["distance"], 0.0, open_low=True)
    views = preset["views"]
    if not isinstance(views, dict) or not views:
        raise check.fail("views", "must be a non-empty mapping of view-set names to view specifications")
    return {
        "image_size": image_size,
        "fovy": check.number("fovy", preset["fovy"], 0.0, 180.0, open_low=True),
        "distance": distance,
        "look_at": check.vector("look_at", preset["look_at"], 3),
        "up": check.vector("up", preset["up"], 3, nonzero=True),
        "background": check.vector("background", preset["background"], 3),
        "views": {str(name): _expand_views(check, f"views.{name}", spec, distance) for name, spec in views.items()},
        "lights": _check_lights(check, preset["lights"]),
        "renderer": _check_renderer(check, preset["renderer"]),
        "source": source,
    }


def load_preset(name_or_path: Union[str, Path]) -> dict:
    """Load and validate a render preset.

    Args:
        name_or_path: a preset name shipped in ``presets/`` (``'default'``, ``'turntable'``) or a YAML path.

    Returns:
        The validated preset (see :func:`validate_preset`), with ``source`` set to the file path.

    Raises:
        ConfigError: the file is missing or not YAML, or a key is unknown or invalid (named with the file).
    """
    path = _resolve_path(name_or_path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        shipped = sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))
        raise ConfigError(f"{path}: render preset not found (shipped presets: {', '.join(shipped)})") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read render preset: {error}") from None
    return validate_preset(raw, str(path))


def preset_cameras(preset: dict, view_set: str, device=None, dtype: torch.dtype = torch.float32,
                   image_size: Optional[Sequence[int]] = None) -> Cameras:
    """The :class:`Cameras` of one named view set of a loaded preset, for images of ``image_size``
    ``(height, width)`` (the preset's when ``None``; it sets the aspect ratio)."""
    if view_set not in preset["views"]:
        raise ConfigError(f"{preset['source']}: views: no view set named {view_set!r} "
                          f"(available: {', '.join(preset['views'])})")
    views = preset["views"][view_set]
    height, width = preset["image_size"] if image_size is None else image_size
    return look_at_cameras(views["azimuth"], views["elevation"], views["distance"], preset["fovy"],
                           look_at=preset["look_at"], up=preset["up"], ratio=width / height,
                           device=device, dtype=dtype)


def preset_lights(preset: dict, device=None, dtype: torch.dtype = torch.float32
                  ) -> Optional[Union[DirectionalLight, torch.Tensor]]:
    """The ``lights`` argument of :meth:`DIBRenderer.forward` described by a loaded preset."""
    lights = preset["lights"]
    if lights["type"] == "lambertian":
        return DirectionalLight(torch.tensor(lights["direction"], device=device, dtype=dtype),
                                lights["ambient"], lights["diffuse"])
    if lights["type"] == "sh":
        return torch.tensor(lights["coefficients"], device=device, dtype=dtype)
    return None


def preset_renderer(preset: dict) -> DIBRenderer:
    """A :class:`DIBRenderer` with the image size, background and settings of a loaded preset
    (:meth:`RenderSettings.from_preset`)."""
    return RenderSettings.from_preset(preset).renderer()
