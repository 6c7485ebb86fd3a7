"""Target views of the recipes: rendered from a mesh with a render preset, or read from a folder.

A folder of views has the layout of the Kaolin App's Data Generator, read and written by
:mod:`kaolin_pipeline.io.render` (``kaolin-pipeline render`` makes such folders).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np
import torch

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.io.render import (
    camera_from_transform, export_synthetic_view, load_synthetic_views, transform_from_camera,
)
from kaolin_pipeline.render import Cameras, RenderSettings, load_preset
from kaolin_pipeline.render.renderer import Lights


@dataclasses.dataclass
class Views:
    """Images of one object and the cameras that saw them.

    Attributes:
        images: (N, H, W, 3) RGB in [0, 1].
        masks: (N, H, W) silhouettes in {0, 1}.
        cameras: N cameras.
    """

    images: torch.Tensor
    masks: torch.Tensor
    cameras: Cameras

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def select(self, index: torch.Tensor) -> "Views":
        """The views at ``index`` (a (K,) long tensor)."""
        return Views(self.images[index], self.masks[index], self.cameras[index])

    def to(self, device) -> "Views":
        return Views(self.images.to(device), self.masks.to(device), self.cameras.to(device))


RENDER_KEYS = ("image_size", "sigmainv", "supersample")
"""Keys of a recipe's ``views`` section that override its preset's :class:`RenderSettings` (``null`` keeps)."""


def view_settings(views_cfg: Mapping[str, Any]) -> tuple[dict, RenderSettings]:
    """The render preset named by a recipe's ``views`` section, and its :class:`RenderSettings` with the
    section's :data:`RENDER_KEYS` applied (``null`` keeps the preset's value).

    Raises:
        ConfigError: the preset cannot be read, or an override is invalid (named ``views.<key>``).
    """
    preset = load_preset(views_cfg["preset"])
    overrides = {key: views_cfg[key] for key in RENDER_KEYS if key in views_cfg}
    return preset, RenderSettings.from_preset(preset).replace(overrides, where="views")


@torch.no_grad()
def render_views(settings: RenderSettings, mesh: Mesh, cameras: Cameras, lights: Lights = None) -> Views:
    """Photo-like target views of ``mesh`` (its texture or vertex colours) from every camera.

    The views come from the hard rasteriser at ``settings.supersample``× the resolution per axis,
    box-filtered (:meth:`RenderSettings.render_antialiased`), never from the soft renderer that a
    recipe optimises; ``settings`` give the image size, background, shading and texture mode.

    Returns:
        Views with images (N, H, W, 3) (anti-aliased over the background) and masks (N, H, W)
        in {0, 1}: pixels at least half covered.
    """
    out = settings.render_antialiased(mesh, cameras, lights)
    return Views(out["image"].clamp(0.0, 1.0), (out["alpha"] >= 0.5).to(out["image"].dtype), cameras)


def load_view_folder(folder: Union[str, Path]) -> Views:
    """All views of a Data Generator folder (see :mod:`kaolin_pipeline.io.render`), in index order.

    Colours are over a black background; masks are the silhouettes (``semantic > 0``, or alpha).

    Raises:
        LoadError: naming the folder or file (see :func:`~kaolin_pipeline.io.render.load_synthetic_views`).
    """
    loaded = load_synthetic_views(folder)
    return Views(loaded["images"], loaded["masks"], camera_from_transform(loaded["cam_transform"], loaded["cam_proj"]))


def save_view_folder(folder: Union[str, Path], views: Views) -> Path:
    """Write ``views`` as a Data Generator folder (the inverse of :func:`load_view_folder`): the mask is
    the alpha channel and the semantic map."""
    folder = Path(folder)
    transforms = transform_from_camera(views.cameras)
    for i in range(len(views)):
        mask = views.masks[i] > 0.5
        export_synthetic_view(folder, i, views.images[i], transforms[i], views.cameras.projection,
                              semantic=mask.to(torch.int32))
    return folder


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(H, W, C) float image in [0, 1] -> uint8 NumPy array."""
    return (image.detach().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
