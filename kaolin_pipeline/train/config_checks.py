"""Range checks of a resolved recipe config, before any work starts.

A config key's type is checked by :mod:`.config` against the recipe defaults; this module checks
its value: the range of every numeric key both recipes share by name, and the memory the reconstruction
template's dense smoothing matrix and the texture would take. A value out of range raises one
:class:`ConfigError` naming the key, the value and what it must be.
"""
from __future__ import annotations

import math
import os
from typing import Any, Mapping, Optional

from kaolin_pipeline.errors import ConfigError

INF = math.inf

#: dotted key -> (lowest, whether the lowest itself is allowed, highest). Keys a recipe lacks are skipped.
RANGES: dict[str, tuple[float, bool, float]] = {
    "steps": (1, True, INF),
    "seed": (0, True, 2 ** 63 - 1),
    "views.image_size": (1, True, 4096),
    "views.sigmainv": (0, False, INF),
    "views.num_views": (1, True, INF),
    "views.target_scale": (0, False, INF),
    "views.folder_heldout_every": (2, True, INF),
    "views.supersample": (1, True, 16),
    "views.crease_angle": (0, False, 180),
    "views.supervise": (1, True, INF),
    "template.subdivisions": (0, True, 8),
    "template.scale": (0, False, INF),
    "template.texture_resolution": (1, True, 8192),
    "model.hidden": (1, True, INF),
    "model.smoothing": (0, True, INF),
    "optim.batch_size": (1, True, INF),
    "optim.lr": (0, False, INF),
    "optim.lr_vertices": (0, True, INF),
    "optim.lr_texture": (0, True, INF),
    "optim.scheduler_step": (1, True, INF),
    "optim.scheduler_gamma": (0, False, 1),
    "optim.smoothing": (0, True, INF),
    "log.every": (1, True, INF),
    "log.checkpoint_every": (0, True, INF),
    "log.timelapse_every": (0, True, INF),
    "eval.num_points": (1, True, INF),
    "eval.voxel_resolution": (1, True, 1024),
    "eval.input_view": (0, True, INF),
    "data.num_test": (1, True, INF),
    "data.num_workers": (0, True, 256),
}

#: Sections whose every numeric key is a non-negative weight.
WEIGHT_SECTIONS = ("loss",)

#: Keys where ``null`` keeps the render preset's value.
NULLABLE = ("views.image_size", "views.sigmainv", "views.num_views")
#: Keys where ``null`` turns the feature off.
OPTIONAL = ("views.crease_angle",)

#: Keys whose recipe builds the dense (V, V) matrix: reconstruction's decoder. ``fit``'s ``optim.smoothing``
#: solves the same system sparsely (``ops.large_steps``), so its memory follows the edges.
SMOOTHING_KEYS = ("model.smoothing",)
#: Bytes per entry of the dense (V, V) smoothing matrix at its peak: the float64 system, its
#: inverse and the LU workspace, plus the float32 result.
SMOOTHING_BYTES_PER_ENTRY = 28


def _flat(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _range_text(low: float, inclusive: bool, high: float) -> str:
    low_text = f">= {low:g}" if inclusive else f"> {low:g}"
    return low_text if high == INF else f"{low_text} and <= {high:g}"


def icosphere_vertices(subdivisions: int) -> int:
    """Vertices of the icosphere after ``subdivisions`` Loop steps: ``10 * 4**s + 2``."""
    return 10 * 4 ** subdivisions + 2


def physical_memory() -> Optional[int]:
    """Bytes of RAM of this machine, or ``None`` where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_values(config: Mapping[str, Any], memory: Optional[int] = None) -> None:
    """Raise :class:`ConfigError` for the first value of ``config`` out of its range.

    Args:
        config: a resolved config (nested dict).
        memory: bytes the template's dense smoothing matrix may take (default: this machine's RAM).
    """
    flat = _flat(config)
    for key, value in flat.items():
        limits = RANGES.get(key)
        weight = key.split(".")[0] in WEIGHT_SECTIONS and isinstance(value, (int, float)) and not isinstance(value, bool)
        if limits is None and not weight:
            continue
        low, inclusive, high = limits or (0, True, INF)
        if value is None and (key in NULLABLE or key in OPTIONAL):
            continue
        keep = " or null to keep the preset's" if key in NULLABLE else ""
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ConfigError(f"config key '{key}' must be a number{keep}, got {value!r}")
        if value < low or (value == low and not inclusive) or value > high:
            raise ConfigError(f"config key '{key}' must be {_range_text(low, inclusive, high)}{keep}, got {value!r}")
    _check_view_indices(flat)
    _check_smoothing_memory(flat, memory if memory is not None else physical_memory())


def _check_view_indices(flat: Mapping[str, Any]) -> None:
    """``train``: the supervising views and the eval input view are among the ``views.num_views`` rendered."""
    if "views.supervise" not in flat:
        return  # fit: its views come from the preset's view set
    num_views = flat.get("views.num_views")
    if num_views is None:
        raise ConfigError("config key 'views.num_views' must be a number: train renders that many views of each shape")
    if "views.supervise" in flat and flat["views.supervise"] >= num_views:
        raise ConfigError(f"config key 'views.supervise' must be at most views.num_views - 1 = {num_views - 1} "
                          f"(supervising views differ from the input view), got {flat['views.supervise']}")
    if "eval.input_view" in flat and flat["eval.input_view"] >= num_views:
        raise ConfigError(f"config key 'eval.input_view' must be below views.num_views = {num_views}, "
                          f"got {flat['eval.input_view']}")


def _check_smoothing_memory(flat: Mapping[str, Any], memory: Optional[int]) -> None:
    subdivisions = flat.get("template.subdivisions")
    smoothing = next((key for key in SMOOTHING_KEYS if flat.get(key)), None)
    if subdivisions is None or smoothing is None or memory is None:
        return
    vertices = icosphere_vertices(int(subdivisions))
    needed = SMOOTHING_BYTES_PER_ENTRY * vertices ** 2
    if needed > memory:
        raise ConfigError(f"config key 'template.subdivisions' = {subdivisions} gives {vertices} vertices, whose dense "
                          f"smoothing matrix ({smoothing} > 0) needs about {needed / 2 ** 30:.1f} GiB, more than the "
                          f"{memory / 2 ** 30:.1f} GiB of memory here; lower it or set {smoothing}=0")
