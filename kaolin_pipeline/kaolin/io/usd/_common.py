"""What the ``kaolin.io.usd`` exporters and importers share: Kaolin's file rule, list arguments and the
warnings for its renamed keywords."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional, Sequence

import torch

from kaolin_pipeline.errors import OutputExistsError, PipelineError


def check_new_file(file_path, overwrite: bool, function: str) -> Path:
    """Kaolin's rule: an export writes a whole new file, and replaces an existing one only with ``overwrite``."""
    path = Path(file_path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists; {function} replaces the whole file only with "
                                "overwrite=True (add_* functions add prims to an open stage)")
    return path


def deprecated(function: str, **new_names: str):
    """A check that warns (``DeprecationWarning``) for each old keyword given a value, naming its new name."""
    def check(*values) -> None:
        for (old, new), value in zip(new_names.items(), values):
            if value is not None:
                warnings.warn(f"kaolin.io.usd.{function}: {old} is deprecated; use {new}", DeprecationWarning,
                              stacklevel=3)
    return check


def per_item(times: Optional[Sequence], count: int, function: str, name: str = "times") -> list:
    """A list argument with one entry per item (None: ``[None] * count``; a single value: repeated)."""
    if times is None:
        return [None] * count
    if not isinstance(times, (list, tuple)):
        return [times] * count
    if len(times) != count:
        raise PipelineError(f"{function}: {name} has {len(times)} entries for {count} items")
    return list(times)


def transforms_per_item(local_to_world: Optional[torch.Tensor], count: int, function: str) -> list:
    """One ``(4, 4)`` (or None) per item of a ``(4, 4)`` shared by all or a ``(count, 4, 4)`` batch."""
    if local_to_world is None:
        return [None] * count
    if tuple(local_to_world.shape) == (4, 4):
        return [local_to_world] * count
    if tuple(local_to_world.shape) != (count, 4, 4):
        raise PipelineError(f"{function}: local_to_world must be (4, 4) or ({count}, 4, 4), "
                            f"got {tuple(local_to_world.shape)}")
    return list(local_to_world)
