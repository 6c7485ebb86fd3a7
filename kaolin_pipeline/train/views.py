"""Target views of the recipes: rendered from a mesh with a render preset, or read from a folder.

A folder of views follows Kaolin's synthetic-view layout: ``<i>_rgb.png`` (RGB or
RGBA), ``<i>_semantic.png`` (non-zero on the object) and ``<i>_metadata.json`` with
``cam_transform`` (4, 3) and ``cam_proj`` (3, 1), as written by Kaolin's data
generator and read by ``kaolin.io.render.import_synthetic_view``.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch
from PIL import Image

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.render import Cameras, DIBRenderer
from kaolin_pipeline.render.antialias import render_antialiased
from kaolin_pipeline.render.renderer import Lights

_VIEW_NAME = re.compile(r"(\d+)_rgb\.png")


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


def camera_from_transform(cam_transform: torch.Tensor, cam_proj: torch.Tensor) -> Cameras:
    """Cameras from Kaolin's ``camera_transform`` (N, 4, 3) and ``cam_proj`` (3, 1).

    ``camera_transform`` maps a padded world point ``[p, 1]`` to camera space as
    ``[p, 1] @ T``; with orthonormal ``T[:3]`` this is ``(p - t) @ R.T`` for
    ``R = T[:3].T`` and camera position ``t = -T[3] @ T[:3].T``.
    """
    rotation = cam_transform[:, :3].transpose(1, 2)
    translation = -(cam_transform[:, 3:] @ cam_transform[:, :3].transpose(1, 2))[:, 0]
    return Cameras(rotation.contiguous(), translation, cam_proj)


def _read_image(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.asarray(image)
    except FileNotFoundError:
        raise LoadError(f"{path}: view file is missing") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read image ({exc})") from None


def _read_metadata(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        data = json.loads(path.read_text())
        transform = torch.tensor(data["cam_transform"], dtype=torch.float32)
        projection = torch.tensor(data["cam_proj"], dtype=torch.float32)
    except FileNotFoundError:
        raise LoadError(f"{path}: view metadata is missing") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(f"{path}: needs 'cam_transform' (4, 3) and 'cam_proj' (3, 1) ({type(exc).__name__}: {exc})") from None
    if transform.shape != (4, 3) or projection.reshape(-1).shape != (3,):
        raise LoadError(f"{path}: cam_transform must be (4, 3) and cam_proj (3, 1), got "
                        f"{tuple(transform.shape)} and {tuple(projection.shape)}")
    return transform, projection.reshape(3, 1)


def load_view_folder(folder: Union[str, Path]) -> Views:
    """All views of a Kaolin synthetic-view folder, in the order of their index.

    Pixels outside the semantic mask are set to black, like the renderer's background.

    Raises:
        LoadError: naming the folder or file when there is no view, a file is missing or
            malformed, image sizes differ, or the views do not share one ``cam_proj``.
    """
    folder = Path(folder)
    indices = sorted(int(m.group(1)) for p in folder.glob("*_rgb.png") if (m := _VIEW_NAME.fullmatch(p.name)))
    if not indices:
        raise LoadError(f"{folder}: no <i>_rgb.png views found")
    images, masks, transforms, projection = [], [], [], None
    for index in indices:
        rgb = _read_image(folder / f"{index}_rgb.png")
        semantic = _read_image(folder / f"{index}_semantic.png")
        if rgb.ndim != 3 or rgb.shape[2] not in (3, 4) or semantic.shape[:2] != rgb.shape[:2]:
            raise LoadError(f"{folder}: view {index} must be an RGB(A) image with a semantic map of the same size, "
                            f"got {rgb.shape} and {semantic.shape}")
        if images and rgb.shape[:2] != images[0].shape[:2]:
            raise LoadError(f"{folder}: view {index} is {rgb.shape[:2]}, view {indices[0]} is {images[0].shape[:2]}")
        transform, proj = _read_metadata(folder / f"{index}_metadata.json")
        if projection is not None and not torch.allclose(proj, projection):
            raise LoadError(f"{folder}: view {index} has a different cam_proj; all views must share one")
        projection = proj
        images.append(rgb[..., :3])
        masks.append(semantic.reshape(*semantic.shape[:2], -1).max(axis=-1) > 0)
        transforms.append(transform)
    image_tensor = torch.from_numpy(np.stack(images).astype(np.float32) / 255.0)
    mask_tensor = torch.from_numpy(np.stack(masks).astype(np.float32))
    return Views(image_tensor * mask_tensor.unsqueeze(-1), mask_tensor,
                 camera_from_transform(torch.stack(transforms), projection))


def save_view_folder(folder: Union[str, Path], views: Views, cam_transform: Optional[torch.Tensor] = None) -> Path:
    """Write ``views`` in the synthetic-view layout (the inverse of :func:`load_view_folder`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cameras = views.cameras
    if cam_transform is None:
        rotation_t = cameras.rotation.transpose(1, 2)
        cam_transform = torch.cat([rotation_t, -(cameras.translation.unsqueeze(1) @ rotation_t)], dim=1)
    for i in range(len(views)):
        Image.fromarray(to_uint8(views.images[i])).save(folder / f"{i}_rgb.png")
        Image.fromarray((views.masks[i] > 0.5).to(torch.uint8).mul(255).cpu().numpy()).save(folder / f"{i}_semantic.png")
        (folder / f"{i}_metadata.json").write_text(json.dumps({
            "cam_transform": cam_transform[i].tolist(), "cam_proj": cameras.projection.tolist()}))
    return folder


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(H, W, C) float image in [0, 1] -> uint8 NumPy array."""
    return (image.detach().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
