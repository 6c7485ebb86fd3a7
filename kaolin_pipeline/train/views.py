"""Target views of the recipes: rendered from a mesh with a render preset, or read from a folder.

A folder of views has the layout of the Kaolin App's Data Generator, read and written by
:mod:`kaolin_pipeline.io.render` (``kaolin-pipeline render`` makes such folders).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.io.render import Views, load_view_folder, save_view_folder  # noqa: F401  (re-exported)
from kaolin_pipeline.render import Cameras, RenderSettings, load_preset
from kaolin_pipeline.render.renderer import Lights


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
def render_views(settings: RenderSettings, mesh: Mesh, cameras: Cameras, lights: Lights = None,
                 two_sided: bool = False) -> Views:
    """Photo-like target views of ``mesh`` (its texture or vertex colours) from every camera.

    The views come from the hard rasteriser at ``settings.supersample``× the resolution per axis,
    box-filtered (:meth:`RenderSettings.render_antialiased`), never from the soft renderer that a
    recipe optimises; ``settings`` give the image size, background, shading and texture mode. Depths,
    normals and textures are interpolated perspective-correctly, whatever ``settings`` say: in screen
    space, the middle of a large face (a CAD part's side, a textured box) would sit deeper than it is
    and its texture would slide.
    ``two_sided`` draws the back of every face too (:meth:`Mesh.two_sided`): an open scan is then
    seen as a viewer shows it, not with holes where its inside faces away from the camera.

    Returns:
        Views with images (N, H, W, 3) (anti-aliased over the background), masks (N, H, W)
        in {0, 1} (pixels at least half covered), depths (N, H, W) and camera-space normals (N, H, W, 3)
        at the pixel centres.
    """
    photo = settings.replace(perspective_correct=True)  # a large face's depth and texture as a camera sees them
    out = photo.render_antialiased(mesh.two_sided() if two_sided else mesh, cameras, lights)
    return Views(out["image"].clamp(0.0, 1.0), (out["alpha"] >= 0.5).to(out["image"].dtype), cameras, out["depth"],
                 out["normals"])


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(H, W, C) float image in [0, 1] -> uint8 NumPy array."""
    return (image.detach().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
