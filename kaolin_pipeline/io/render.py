"""Synthetic views in the layout of the Omniverse Kaolin App's Data Generator.

A folder holds, for each view ``i``:

- ``<i>_rgb.png``: RGBA, 8 bits; straight (not premultiplied) colour, alpha = covered fraction of the pixel;
- ``<i>_metadata.json``: ``camera_properties`` (``resolution`` {width, height}, ``clipping_range`` [near, far],
  ``horizontal_aperture`` and ``focal_length`` in mm, ``tf_mat`` (4, 4) world-to-camera matrix for row
  vectors, ``[p, 1] @ tf_mat``), ``asset_transforms`` (a list of ``[asset name, (4, 4) matrix]``, the
  matrix mapping the asset file's coordinates to the rendered scene, row vectors) and ``bbox_2d_tight`` /
  ``bbox_2d_loose`` (lists of ``{"file", "class", "bbox": {x_min, y_min, x_max, y_max}}``, pixels, inclusive);
- ``<i>_depth_linear.npy``: (H, W) float32 distance along the view axis (0 on background, where
  nothing is hit);
- ``<i>_normals.png``: RGBA, world-space unit normals encoded as ``(n + 1) / 2``, alpha 0 on background;
- ``<i>_semantic.npy``, ``<i>_instance.npy``: (H, W, 1) int32 ids, 0 on background.

:func:`import_synthetic_view` reads one view with the return structure of Kaolin's
``kaolin.io.render.import_synthetic_view``; :func:`export_synthetic_view` writes one (atomically,
metadata last, so a view whose metadata exists is complete); :func:`load_synthetic_views` reads a
whole folder into batched tensors for the recipes.

Camera convention (Kaolin's legacy one): ``cam_transform = tf_mat[:, :3]`` (4, 3) maps ``[p, 1]``
to camera space (looking down −z), and ``cam_proj`` (3, 1) is
``generate_perspective_projection(2 atan(aperture / (2 focal)), width / height)``, i.e. Kaolin
treats the aperture's angle as the vertical field of view.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image

from kaolin_pipeline import atomic
from kaolin_pipeline.errors import LoadError, SaveError
from kaolin_pipeline.render.camera import Cameras, generate_perspective_projection

PathLike = Union[str, Path]

FOCAL_LENGTH = 24.0
"""Focal length (mm) written to the metadata; the aperture is chosen to give the camera's field of view."""

VIEW_SUFFIXES = ("rgb.png", "depth_linear.npy", "normals.png", "semantic.npy", "instance.npy", "metadata.json")
"""Files written per view, in writing order (the metadata, last, marks the view complete)."""

_VIEW_NAME = re.compile(r"(\d+)_rgb\.png")


# --------------------------------------------------------------------------- reading


def _read_png(path: Path) -> Optional[np.ndarray]:
    """(H, W, C) uint8 pixels of ``path``, None when it does not exist."""
    if not path.exists():
        return None
    try:
        with Image.open(path) as image:
            return np.array(image)
    except OSError as exc:
        raise LoadError(f"{path}: cannot read image ({exc})") from None


def _read_npy(path: Path) -> Optional[np.ndarray]:
    if not path.exists():
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise LoadError(f"{path}: cannot read NumPy array ({exc})") from None


def _matrix(path: Path, key: str, value, shape: tuple[int, int]) -> torch.Tensor:
    try:
        matrix = torch.tensor(value, dtype=torch.float32)
    except (TypeError, ValueError) as exc:
        raise LoadError(f"{path}: {key} must be a {shape[0]}x{shape[1]} matrix of numbers ({exc})") from None
    if tuple(matrix.shape) != shape:
        raise LoadError(f"{path}: {key} must be {shape[0]}x{shape[1]}, got shape {tuple(matrix.shape)}")
    return matrix


def read_metadata(path: PathLike) -> tuple[dict, dict]:
    """Parse one ``<i>_metadata.json``.

    Returns:
        ``(metadata, raw)``: ``metadata`` is Kaolin's ``'metadata'`` dict (``cam_transform`` (4, 3),
        ``asset_transforms`` (4, 4) of the first asset (identity when the file lists none), ``cam_proj``
        (3, 1), ``clipping_range`` [near, far]); ``raw`` is the parsed JSON.

    Raises:
        LoadError: naming the file and the key when it is missing or malformed.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise LoadError(f"{path}: view metadata is missing") from None
    except (OSError, ValueError) as exc:
        raise LoadError(f"{path}: cannot read JSON ({exc})") from None
    try:
        camera = raw["camera_properties"]
        width, height = camera["resolution"]["width"], camera["resolution"]["height"]
        focal, aperture = float(camera["focal_length"]), float(camera["horizontal_aperture"])
        transform, clipping = camera["tf_mat"], camera["clipping_range"]
    except (KeyError, TypeError, ValueError) as exc:
        raise LoadError(f"{path}: needs camera_properties with resolution {{width, height}}, focal_length, "
                        f"horizontal_aperture, tf_mat and clipping_range ({type(exc).__name__}: {exc})") from None
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise LoadError(f"{path}: camera_properties.resolution must be positive integers, got {width}x{height}")
    if not (focal > 0 and aperture > 0):
        raise LoadError(f"{path}: focal_length and horizontal_aperture must be positive, got {focal}, {aperture}")
    assets = raw.get("asset_transforms") or []
    if assets:
        try:
            asset_value = assets[0][1]
        except (IndexError, KeyError, TypeError):
            raise LoadError(f"{path}: asset_transforms must be a list of [name, 4x4 matrix]") from None
        asset_transform = _matrix(path, "asset_transforms[0]", asset_value, (4, 4))
    else:
        asset_transform = torch.eye(4)
    fov = 2 * math.atan(aperture / (2 * focal))
    metadata = {
        "cam_transform": _matrix(path, "camera_properties.tf_mat", transform, (4, 4))[:, :3],
        "asset_transforms": asset_transform,
        "cam_proj": generate_perspective_projection(fov, width / height),
        "clipping_range": clipping,
    }
    return metadata, raw


def import_synthetic_view(root_dir: PathLike, idx: int, rgb: bool = True, depth_linear: bool = False,
                          semantic: bool = False, instance: bool = False, normals: bool = False,
                          bbox_2d_tight: bool = False, bbox_2d_loose: bool = False) -> dict:
    """Read view ``idx`` of a Data Generator folder, as Kaolin's ``import_synthetic_view`` does.

    Args:
        root_dir: the folder of views.
        idx: index of the view.
        rgb, depth_linear, semantic, instance, normals, bbox_2d_tight, bbox_2d_loose: what to read.

    Returns:
        dict with, for each requested sensor (``None`` when its file is absent): ``rgb`` (H, W, 3)
        float32 in [0, 1] (alpha dropped); ``depth_linear`` (H, W) float32; ``semantic`` and
        ``instance``, the arrays stored (here (H, W, 1) int32); ``normals`` (H, W, 3) float32, the
        encoded ``(n + 1) / 2`` values in [0, 1]; ``bbox_2d_tight`` / ``bbox_2d_loose``, the JSON lists;
        and always ``metadata`` (see :func:`read_metadata`).

    Raises:
        LoadError: the metadata is missing or malformed, or a requested file is unreadable.
    """
    root = Path(root_dir)
    output: dict = {}
    for name, wanted in (("rgb", rgb), ("depth_linear", depth_linear), ("semantic", semantic),
                         ("instance", instance), ("normals", normals)):
        if not wanted:
            continue
        if name in ("rgb", "normals"):
            pixels = _read_png(root / f"{idx}_{name}.png")
            output[name] = None if pixels is None else torch.from_numpy(pixels)[:, :, :3].float() / 255.0
        else:
            array = _read_npy(root / f"{idx}_{name}.npy")
            output[name] = None if array is None else torch.from_numpy(array)
    output["metadata"], raw = read_metadata(root / f"{idx}_metadata.json")
    for name, wanted in (("bbox_2d_tight", bbox_2d_tight), ("bbox_2d_loose", bbox_2d_loose)):
        if wanted:
            if name not in raw:
                raise LoadError(f"{root / f'{idx}_metadata.json'}: has no {name!r}")
            output[name] = raw[name]
    return output


def view_indices(folder: PathLike) -> list[int]:
    """Sorted indices ``i`` of the ``<i>_rgb.png`` files in ``folder``."""
    return sorted(int(m.group(1)) for p in Path(folder).glob("*_rgb.png") if (m := _VIEW_NAME.fullmatch(p.name)))


def load_synthetic_views(folder: PathLike) -> dict:
    """Every view of a Data Generator folder, batched, in the order of their index.

    The silhouette is ``semantic > 0`` when ``<i>_semantic.npy`` exists, else ``alpha >= 0.5``.
    Colours are composited over black with the alpha channel when the PNG has one that is not fully
    opaque, otherwise masked by the silhouette (black background, like the renderer's default).

    Returns:
        dict of ``indices`` (list of N ints), ``images`` (N, H, W, 3) float32 in [0, 1], ``masks``
        (N, H, W) float32 in {0, 1}, ``cam_transform`` (N, 4, 3) and ``cam_proj`` (3, 1).

    Raises:
        LoadError: naming the folder or file when there is no view, a file is missing or malformed,
            image sizes differ from each other or from the metadata's resolution, or the views do not
            share one ``cam_proj``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: not a folder of views")
    indices = view_indices(folder)
    if not indices:
        raise LoadError(f"{folder}: no <i>_rgb.png views found")
    images, masks, transforms, projection = [], [], [], None
    for index in indices:
        rgb_path = folder / f"{index}_rgb.png"
        pixels = _read_png(rgb_path)
        if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
            raise LoadError(f"{rgb_path}: must be an RGB or RGBA image, got shape {pixels.shape}")
        height, width = pixels.shape[:2]
        metadata, raw = read_metadata(folder / f"{index}_metadata.json")
        resolution = raw["camera_properties"]["resolution"]
        if (resolution["height"], resolution["width"]) != (height, width):
            raise LoadError(f"{rgb_path}: image is {height}x{width} but its metadata's resolution is "
                            f"{resolution['height']}x{resolution['width']} (height x width)")
        if images and (height, width) != images[0].shape[:2]:
            raise LoadError(f"{rgb_path}: image is {height}x{width}, view {indices[0]}'s is "
                            f"{images[0].shape[0]}x{images[0].shape[1]}")
        if projection is not None and not torch.allclose(metadata["cam_proj"], projection):
            raise LoadError(f"{folder}: view {index} has a different camera projection; all views must share one")
        projection = metadata["cam_proj"]
        color = pixels[..., :3].astype(np.float32) / 255.0
        alpha = pixels[..., 3].astype(np.float32) / 255.0 if pixels.shape[2] == 4 else None
        semantic = _read_npy(folder / f"{index}_semantic.npy")
        if semantic is not None:
            if semantic.shape[:2] != (height, width):
                raise LoadError(f"{folder / f'{index}_semantic.npy'}: shape {semantic.shape} does not match "
                                f"the {height}x{width} image")
            mask = semantic.reshape(height, width, -1).max(axis=-1) > 0
        elif alpha is not None:
            mask = alpha >= 0.5
        else:
            raise LoadError(f"{folder}: view {index} needs {index}_semantic.npy or an alpha channel in "
                            f"{rgb_path.name} to give the silhouette")
        opaque = alpha is None or bool((alpha == 1.0).all())
        images.append(color * (mask[..., None] if opaque else alpha[..., None]))
        masks.append(mask.astype(np.float32))
        transforms.append(metadata["cam_transform"])
    return {"indices": indices, "images": torch.from_numpy(np.stack(images)),
            "masks": torch.from_numpy(np.stack(masks)), "cam_transform": torch.stack(transforms),
            "cam_proj": projection}


# --------------------------------------------------------------------------- cameras


def camera_from_transform(cam_transform: torch.Tensor, cam_proj: torch.Tensor) -> Cameras:
    """Cameras from Kaolin's ``cam_transform`` (N, 4, 3) and ``cam_proj`` (3, 1).

    ``cam_transform`` maps a padded world point ``[p, 1]`` to camera space as ``[p, 1] @ T``; with
    orthonormal ``T[:3]`` this is ``(p - t) @ R.T`` for ``R = T[:3].T`` and camera position
    ``t = -T[3] @ T[:3].T``.
    """
    rotation = cam_transform[:, :3].transpose(1, 2)
    translation = -(cam_transform[:, 3:] @ cam_transform[:, :3].transpose(1, 2))[:, 0]
    return Cameras(rotation.contiguous(), translation, cam_proj.reshape(3, 1))


def transform_from_camera(cameras: Cameras) -> torch.Tensor:
    """Kaolin's ``cam_transform`` (N, 4, 3) of ``cameras`` (the inverse of :func:`camera_from_transform`)."""
    rotation_t = cameras.rotation.transpose(1, 2)
    return torch.cat([rotation_t, -(cameras.translation.unsqueeze(1) @ rotation_t)], dim=1)


def _aperture(cam_proj: torch.Tensor, height: int, width: int, where: Path) -> float:
    """The horizontal aperture (mm, with :data:`FOCAL_LENGTH`) that Kaolin's reader turns back into ``cam_proj``."""
    proj = [float(v) for v in cam_proj.reshape(-1)]
    if len(proj) != 3 or proj[2] != -1.0 or not (proj[0] > 0 and proj[1] > 0):
        raise SaveError(f"{where}: cam_proj must be a perspective projection [px, py, -1] with px, py > 0, got {proj}")
    if not math.isclose(proj[0], proj[1] * height / width, rel_tol=1e-4):
        raise SaveError(f"{where}: cam_proj {proj} has non-square pixels for a {height}x{width} image "
                        f"(px must be py * height / width); the Data Generator layout cannot store it")
    return 2.0 * FOCAL_LENGTH / proj[1]


# --------------------------------------------------------------------------- writing


def _save_png(path: Path, pixels: np.ndarray) -> None:
    with atomic.atomic_path(path) as temporary:
        Image.fromarray(pixels).save(temporary, format="PNG")


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic.atomic_path(path) as temporary:
        with open(temporary, "xb") as handle:
            np.save(handle, array, allow_pickle=False)


def _to_uint8(values: torch.Tensor) -> np.ndarray:
    return (values.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()


def _bbox(mask: torch.Tensor, asset: str) -> list:
    """Data Generator bounding box list of the True pixels of ``mask`` (H, W) (empty when none)."""
    rows, cols = torch.nonzero(mask, as_tuple=True)
    if rows.numel() == 0:
        return []
    box = {"x_min": int(cols.min()), "y_min": int(rows.min()), "x_max": int(cols.max()), "y_max": int(rows.max())}
    return [{"file": asset, "class": "asset", "bbox": box}]


def export_synthetic_view(root_dir: PathLike, idx: int, rgb: torch.Tensor, cam_transform: torch.Tensor,
                          cam_proj: torch.Tensor, *, alpha: Optional[torch.Tensor] = None,
                          depth_linear: Optional[torch.Tensor] = None, normals: Optional[torch.Tensor] = None,
                          semantic: Optional[torch.Tensor] = None, instance: Optional[torch.Tensor] = None,
                          clipping_range: Sequence[float] = (0.01, 1000.0),
                          asset_name: str = "asset", asset_transform: Optional[torch.Tensor] = None) -> Path:
    """Write view ``idx`` in the Data Generator layout (every file atomically, the metadata last).

    Args:
        root_dir: the folder of views (created if needed).
        idx: index of the view.
        rgb: (H, W, 3) straight (not premultiplied) colour in [0, 1].
        cam_transform: (4, 3) world-to-camera matrix for row vectors (Kaolin's ``cam_transform``).
        cam_proj: (3, 1) perspective projection ``[py * H / W, py, -1]``.
        alpha: (H, W) coverage in [0, 1]; the silhouette ``semantic > 0`` when None, else opaque.
        depth_linear: (H, W) distance along the view axis, 0 on background.
        normals: (H, W, 3) world-space unit normals, zero on background.
        semantic, instance: (H, W) integer ids, 0 on background.
        clipping_range: ``[near, far]`` of the camera.
        asset_name: name of the rendered asset in ``asset_transforms`` and the bounding boxes.
        asset_transform: (4, 4) map from the asset file's coordinates to the scene, row vectors
            (identity when None).

    Returns:
        The path of the metadata file.

    Raises:
        SaveError: a shape does not match ``rgb``'s or the projection cannot be stored.
    """
    root = Path(root_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SaveError(f"{root}: cannot create the folder: {exc}") from None
    height, width = int(rgb.shape[0]), int(rgb.shape[1])
    metadata_path = root / f"{idx}_metadata.json"
    if tuple(rgb.shape) != (height, width, 3):
        raise SaveError(f"{metadata_path}: rgb must be (H, W, 3), got {tuple(rgb.shape)}")
    for name, value, shape in (("alpha", alpha, (height, width)), ("depth_linear", depth_linear, (height, width)),
                               ("normals", normals, (height, width, 3)), ("semantic", semantic, (height, width)),
                               ("instance", instance, (height, width))):
        if value is not None and tuple(value.shape) != shape:
            raise SaveError(f"{metadata_path}: {name} must have shape {shape}, got {tuple(value.shape)}")
    if tuple(cam_transform.shape) != (4, 3):
        raise SaveError(f"{metadata_path}: cam_transform must be (4, 3), got {tuple(cam_transform.shape)}")
    aperture = _aperture(cam_proj, height, width, metadata_path)
    if alpha is None:
        alpha = (semantic > 0).float() if semantic is not None else torch.ones(height, width)
    alpha = alpha.detach().float().cpu()
    if metadata_path.exists():  # a rewritten view is incomplete until its new metadata lands
        metadata_path.unlink()
    _save_png(root / f"{idx}_rgb.png", np.dstack([_to_uint8(rgb), _to_uint8(alpha)]))
    if depth_linear is not None:
        _save_npy(root / f"{idx}_depth_linear.npy", depth_linear.detach().cpu().numpy().astype(np.float32))
    if normals is not None:
        covered = normals.detach().norm(dim=-1) > 0
        _save_png(root / f"{idx}_normals.png",
                  np.dstack([_to_uint8((normals + 1) / 2 * covered[..., None]), _to_uint8(covered.float())]))
    for name, ids in (("semantic", semantic), ("instance", instance)):
        if ids is not None:
            _save_npy(root / f"{idx}_{name}.npy", ids.detach().cpu().numpy().astype(np.int32)[..., None])
    transform = torch.cat([cam_transform.detach().double().cpu(), torch.tensor([[0.0], [0.0], [0.0], [1.0]],
                                                                              dtype=torch.float64)], dim=1)
    asset = torch.eye(4) if asset_transform is None else asset_transform.detach().cpu()
    silhouette = semantic > 0 if semantic is not None else alpha >= 0.5
    record = {
        "camera_properties": {
            "resolution": {"width": width, "height": height},
            "clipping_range": [float(v) for v in clipping_range],
            "horizontal_aperture": aperture,
            "focal_length": FOCAL_LENGTH,
            "tf_mat": transform.tolist(),
        },
        "bbox_2d_tight": _bbox(silhouette.cpu(), asset_name),
        "bbox_2d_loose": _bbox(alpha > 0, asset_name),
        "asset_transforms": [[asset_name, asset.double().tolist()]],
    }
    with atomic.atomic_open(metadata_path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1)
    return metadata_path


# --------------------------------------------------------------------------- view folders


@dataclasses.dataclass
class Views:
    """Images of one object and the cameras that saw them.

    Attributes:
        images: (N, H, W, 3) RGB in [0, 1].
        masks: (N, H, W) silhouettes in {0, 1}.
        cameras: N cameras.
        depths: optional (N, H, W) distance along each camera's view axis at the pixel centres (0 where
            nothing is seen there), for views rendered from a known shape; None for photographs.
        normals: optional (N, H, W, 3) unit camera-space normals at the pixel centres (zero where nothing
            is seen), as the Kaolin App's synthetic views hold them; None for photographs.
    """

    images: torch.Tensor
    masks: torch.Tensor
    cameras: Cameras
    depths: Optional[torch.Tensor] = None
    normals: Optional[torch.Tensor] = None

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def select(self, index: torch.Tensor) -> "Views":
        """The views at ``index`` (a (K,) long tensor)."""
        return Views(self.images[index], self.masks[index], self.cameras[index],
                     *(None if value is None else value[index] for value in (self.depths, self.normals)))

    def to(self, device) -> "Views":
        return Views(self.images.to(device), self.masks.to(device), self.cameras.to(device),
                     *(None if value is None else value.to(device) for value in (self.depths, self.normals)))


def load_view_folder(folder: Union[str, Path]) -> Views:
    """All views of a Data Generator folder (see this module), in index order.

    Colours are over a black background; masks are the silhouettes (``semantic > 0``, or alpha).

    Raises:
        LoadError: naming the folder or file (see :func:`load_synthetic_views`).
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
