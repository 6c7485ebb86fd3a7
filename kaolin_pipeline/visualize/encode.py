"""Compact, JSON-ready encodings of tensors for the web viewer, and their exact Python inverse.

An encoded array is a dict ``{"dtype", "shape", "data"}`` with ``data`` the base64 of the
little-endian bytes; quantised float arrays add per-column ``"min"`` and ``"max"``:

* ``quantize(x)`` (N, C) float → uint16 codes ``q = round((x - min) / (max - min) * 65535)``
  per column, decoded as ``min + q * (max - min) / 65535``: every value comes back within
  half a quantisation step ``(max - min) / 65535 / 2`` of the original;
* ``pack_indices(i)`` (N, C) integers ≥ 0 → uint16 when they fit, else uint32 (exact);
* ``pack_colors(c)`` (N, 3) in [0, 1] → uint8 (exact to 1/255);
* ``image_uri(texture)`` (3, H, W) in [0, 1] → a PNG or JPEG ``data:`` URI.

The page's JavaScript (``viewer.js``, ``decodeArray``) applies the same formulas.
"""
from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image

from kaolin_pipeline.errors import ConfigError

QUANT_LEVELS = 65535
_DTYPES = {"u8": np.uint8, "u16": np.uint16, "u32": np.uint32}


def _numpy(values, name: str) -> np.ndarray:
    array = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ConfigError(f"{name}: expected a (N, C) array, got shape {tuple(array.shape)}")
    return array


def _packed(array: np.ndarray, dtype: str) -> dict:
    data = np.ascontiguousarray(array.astype(np.dtype(_DTYPES[dtype]).newbyteorder("<")))
    return {"dtype": dtype, "shape": list(array.shape), "data": base64.b64encode(data.tobytes()).decode("ascii")}


def quantize(values, name: str = "values") -> dict:
    """(N, C) floats as uint16 codes with per-column ``min``/``max`` (see the module docstring)."""
    array = _numpy(values, name).astype(np.float64)
    if not np.isfinite(array).all():
        raise ConfigError(f"{name}: NaN or Inf values cannot be shown")
    low = array.min(0) if len(array) else np.zeros(array.shape[1])
    high = array.max(0) if len(array) else np.zeros(array.shape[1])
    span = np.where(high > low, high - low, 1.0)
    codes = np.rint((array - low) / span * QUANT_LEVELS)
    encoded = _packed(codes, "u16")
    encoded.update(min=low.tolist(), max=high.tolist())
    return encoded


def pack_indices(values, name: str = "indices") -> dict:
    """(N, C) non-negative integers, exactly, as uint16 (when all are < 65536) or uint32."""
    array = _numpy(values, name).astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= 2 ** 32):
        raise ConfigError(f"{name}: indices must lie in [0, 2**32), got [{array.min()}, {array.max()}]")
    return _packed(array, "u16" if not array.size or array.max() < 2 ** 16 else "u32")


def pack_colors(values, name: str = "colors") -> dict:
    """(N, 3) colours in [0, 1] as uint8 (values outside are clamped)."""
    array = _numpy(values, name).astype(np.float64)
    return _packed(np.rint(np.clip(array, 0.0, 1.0) * 255), "u8")


def decode(encoded: dict) -> np.ndarray:
    """The (N, C) array an encoding stands for: float64 for quantised ones, integers otherwise."""
    raw = np.frombuffer(base64.b64decode(encoded["data"]), dtype=np.dtype(_DTYPES[encoded["dtype"]]).newbyteorder("<"))
    array = raw.reshape(encoded["shape"])
    if "min" not in encoded:
        return array
    low, high = np.asarray(encoded["min"]), np.asarray(encoded["max"])
    return low + array.astype(np.float64) * ((high - low) / QUANT_LEVELS)


def quantization_step(encoded: dict) -> np.ndarray:
    """Per-column distance (C,) between neighbouring codes of a quantised encoding."""
    return (np.asarray(encoded["max"]) - np.asarray(encoded["min"])) / QUANT_LEVELS


def image_bytes(texture: torch.Tensor, image_format: str = "JPEG", quality: int = 90) -> bytes:
    """A (3, H, W) texture in [0, 1] (row 0 at the top) as PNG or JPEG bytes."""
    pixels = (texture.detach().to("cpu", torch.float32).clamp(0, 1) * 255).round().to(torch.uint8)
    buffer = io.BytesIO()
    options = {"quality": quality} if image_format == "JPEG" else {}
    Image.fromarray(pixels.permute(1, 2, 0).numpy()).save(buffer, format=image_format, **options)
    return buffer.getvalue()


def data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...``."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
