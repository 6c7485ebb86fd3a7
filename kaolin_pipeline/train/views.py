"""Target views of the recipes: rendered from a mesh with a render preset, or read from a folder.

A folder of views has the layout of the Kaolin App's Data Generator, read and written by
:mod:`kaolin_pipeline.io.render` (``kaolin-pipeline render`` makes such folders).
"""
from __future__ import annotations

import numpy as np
import torch

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.io.render import Views, load_view_folder, save_view_folder  # noqa: F401  (re-exported)
from kaolin_pipeline.render import Cameras, DIBRenderer
from kaolin_pipeline.render.antialias import render_antialiased
from kaolin_pipeline.render.renderer import Lights


#: Samples per pixel along each axis of target views rendered from a mesh.
TARGET_SUPERSAMPLE = 4


@torch.no_grad()
def render_views(renderer: DIBRenderer, mesh: Mesh, cameras: Cameras, lights: Lights = None,
                 supersample: int = TARGET_SUPERSAMPLE) -> Views:
    """Photo-like target views of ``mesh`` (its texture or vertex colours) from every camera.

    The views come from the hard rasteriser at ``supersample``× the resolution per axis,
    box-filtered (:func:`kaolin_pipeline.render.antialias.render_antialiased`), never from the
    soft renderer that a recipe optimises. ``renderer`` gives the image size, background,
    shading and texture mode.

    Returns:
        Views with images (N, H, W, 3) (anti-aliased over the background) and masks (N, H, W)
        in {0, 1}: pixels at least half covered.
    """
    out = render_antialiased(mesh, cameras, (renderer.height, renderer.width), supersample=supersample,
                             lights=lights, background=renderer.background.tolist(), shading=renderer.shading,
                             texture_mode=renderer.texture_mode)
    return Views(out["image"].clamp(0.0, 1.0), (out["alpha"] >= 0.5).to(out["image"].dtype), cameras)


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(H, W, C) float image in [0, 1] -> uint8 NumPy array."""
    return (image.detach().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
