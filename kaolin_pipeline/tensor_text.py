"""One-line descriptions of tensors (``kal.utils.testing.tensor_info``), at the bottom of the import order so that
the containers of :mod:`kaolin_pipeline.structures` can describe their fields."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch


def _stats(value: Any) -> str:
    if torch.is_tensor(value):
        return (f" - [min {float(value.min()):.4f}, max {float(value.max()):.4f}, "
                f"mean {float(value.to(torch.float32).mean()):.4f}]")
    if isinstance(value, np.ndarray):
        return f" - [min {np.min(value):.4f}, max {np.max(value):.4f}, mean {np.mean(value):.4f}]"
    return f" - cannot compute stats for type {type(value)}"


def tensor_info(t: Any, name: str = "", print_stats: bool = False, detailed: bool = False) -> str:
    """One line: ``name: [shape] (dtype)[device]`` plus min/max/mean with ``print_stats`` and autograd/layout
    with ``detailed``; ``None``, numbers and strings print their value, a dict one line per entry."""
    if t is None:
        return f"{name}: None"
    if isinstance(t, (int, float, str)):
        return f"{name}: {t}"
    if isinstance(t, dict):
        return "\n".join(tensor_info(v, f"{name}[{k}]:", print_stats, detailed) for k, v in t.items())
    shape = f"{list(t.shape)} " if hasattr(t, "shape") else ""
    dtype = str(t.dtype) if hasattr(t, "dtype") else str(type(t))
    device = f"[{t.device}]" if hasattr(t, "device") else ""
    details = (f" - req_grad={t.requires_grad}, is_leaf={t.is_leaf}, layout={t.layout}"
               if detailed and torch.is_tensor(t) else "")
    prefix = f"{name}: " if name else ""
    return f"{prefix}{shape}({dtype}){device} {_stats(t) if print_stats else ''} {details}"
