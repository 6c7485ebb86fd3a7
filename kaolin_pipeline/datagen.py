"""The Data Generator (``kaolin-pipeline render``): folders of synthetic views of meshes, as the Kaolin App wrote them.

:func:`render_shape` renders one mesh from N cameras into one folder (layout: :mod:`kaolin_pipeline.io.render`);
:func:`generate_views` walks a SOURCE and renders every shape of it.

Each mesh is centred (bounding box) and scaled so its farthest vertex is at :data:`SCENE_RADIUS`; the
``asset_transforms`` entry of the metadata holds that map from the file's coordinates. Cameras look at the
origin from :data:`CAMERA_DISTANCE` with a :data:`FOVY`° vertical field of view (the whole shape is in
frame from every direction). RGB and alpha are anti-aliased (``render_antialiased``: hard raster,
``supersample``² samples per pixel, box filter), unlit (the albedo: texture, vertex colours or material
colours), over a transparent black background; depth, normals and the semantic / instance maps are taken
at pixel centres. Attributes are interpolated perspective-correctly, so textures and depth are exact
inside large faces (DIB-R's screen-space rule is not).

Output layout (SOURCE as :mod:`kaolin_pipeline.datasets.sources` reads it): a mesh file or
``synthetic:<family>`` is one shape, written straight into ``out``; a folder, ``synthetic:N``,
``shapenet:ROOT`` or ``modelnet:ROOT`` gives one subfolder per shape: the file's path under the folder
without its extension (``chairs/a.obj`` → ``out/chairs/a/``; files that differ only by extension keep it as
a suffix: ``chairs/a_obj/``, ``chairs/a_usd/``), ``<family>/<index>`` for synthetic shapes,
``<synset>/<model_id>`` for ShapeNetCore, ``<class>/<split>/<name>`` for ModelNet. A shape folder is complete once its ``generator.json`` (the
settings it was rendered with, written last) exists; a later run with the same settings skips it.
"""
from __future__ import annotations

import dataclasses
import json
import re
import zlib
from collections import Counter
from pathlib import Path
from typing import Callable, Optional, Union

import torch
from tqdm import tqdm

from kaolin_pipeline import atomic
from kaolin_pipeline.datasets.collate import item_to_mesh
from kaolin_pipeline.datasets.sources import open_source
from kaolin_pipeline.datasets.synthetic import SyntheticShapes
from kaolin_pipeline.errors import ConfigError, LoadError, PipelineError
from kaolin_pipeline.io import load_mesh
from kaolin_pipeline.io.render import VIEW_SUFFIXES, export_synthetic_view, transform_from_camera
from kaolin_pipeline.ops.mesh import fit_in_sphere
from kaolin_pipeline.render.antialias import render_antialiased
from kaolin_pipeline.render.camera import Cameras, look_at_cameras
from kaolin_pipeline.render.renderer import Lights
from kaolin_pipeline.structures import Mesh

RIGS = ("sphere", "hemisphere", "turntable")
"""Camera rigs: ``sphere`` (directions uniform on the sphere), ``hemisphere`` (uniform over the upper half,
+y up), ``turntable`` (evenly spaced azimuths at :data:`TURNTABLE_ELEVATION`°, starting at +z)."""

SCENE_RADIUS = 0.7
CAMERA_DISTANCE = 3.0
FOVY = 30.0
TURNTABLE_ELEVATION = 30.0
MAX_ELEVATION = 89.0
"""Random rigs keep cameras within this elevation (degrees) so the +y up vector is never parallel to the view."""

MANIFEST = "generator.json"
"""Written last into each shape folder: the settings it was rendered with (it marks the folder complete)."""

_VIEW_FILE = re.compile(r"\d+_(" + "|".join(re.escape(s) for s in VIEW_SUFFIXES) + r")")


def rig_cameras(rig: str, num_views: int, seed: int = 0, distance: float = CAMERA_DISTANCE,
                fovy: float = FOVY) -> Cameras:
    """``num_views`` cameras of ``rig`` looking at the origin from ``distance``, drawn from ``seed``.

    Raises:
        ConfigError: unknown rig or ``num_views`` < 1.
    """
    if rig not in RIGS:
        raise ConfigError(f"cameras: rig must be one of {', '.join(RIGS)}, got {rig!r}")
    if not isinstance(num_views, int) or num_views < 1:
        raise ConfigError(f"views: need at least one view, got {num_views!r}")
    generator = torch.Generator().manual_seed(seed)
    if rig == "turntable":
        azimuth = torch.arange(num_views, dtype=torch.float64) * (360.0 / num_views)
        elevation = torch.full((num_views,), TURNTABLE_ELEVATION, dtype=torch.float64)
    else:
        azimuth = torch.rand(num_views, generator=generator, dtype=torch.float64) * 360.0
        height = torch.rand(num_views, generator=generator, dtype=torch.float64)  # sin(elevation), uniform area
        height = height if rig == "hemisphere" else 2.0 * height - 1.0
        elevation = torch.rad2deg(torch.asin(height)).clamp(-MAX_ELEVATION, MAX_ELEVATION)
    return look_at_cameras(azimuth, elevation, distance, fovy)


def normalize_for_views(mesh: Mesh, radius: float = SCENE_RADIUS) -> tuple[Mesh, torch.Tensor]:
    """``mesh`` centred and scaled so its farthest vertex is at ``radius``, and the (4, 4) row-vector
    matrix ``M`` of that map (``[p, 1] @ M``), as the metadata's ``asset_transforms`` stores it."""
    vertices, centre, scale = fit_in_sphere(mesh.vertices.double(), radius)
    scale = scale.reshape(())
    matrix = torch.eye(4, dtype=torch.float64) * scale
    matrix[3, :3], matrix[3, 3] = -centre.reshape(3) * scale, 1.0
    return mesh.with_vertices(vertices.to(mesh.vertices.dtype)), matrix


def render_shape(mesh: Mesh, folder: Union[str, Path], cameras: Cameras, image_size: int = 256,
                 supersample: int = 4, asset_name: str = "asset",
                 asset_transform: Optional[torch.Tensor] = None, lights: Lights = None) -> Path:
    """Render ``mesh`` (already in scene coordinates) from every camera into ``folder``.

    Writes ``<i>_rgb.png``, ``<i>_metadata.json``, ``<i>_depth_linear.npy``, ``<i>_normals.png``,
    ``<i>_semantic.npy`` and ``<i>_instance.npy`` for i = 0..N-1 (see :mod:`kaolin_pipeline.io.render`),
    each view's metadata last; view files of an earlier render (e.g. with more views) and temporary files left
    by a killed one are removed first.

    Args:
        mesh: the mesh, in the coordinates the cameras see.
        folder: where the views go (created if needed).
        cameras: N cameras.
        image_size: side of the square images, in pixels.
        supersample: anti-aliasing samples per pixel along each axis.
        asset_name, asset_transform: written to the metadata (``asset_transforms`` and bounding boxes).
        lights: as for :class:`~kaolin_pipeline.render.DIBRenderer`; None renders the unlit albedo.

    Returns:
        ``folder`` as a :class:`Path`.
    """
    folder = Path(folder)
    if folder.is_dir():
        for stale in [p for p in folder.iterdir() if _VIEW_FILE.fullmatch(p.name) or atomic.is_temporary_name(p.name)]:
            stale.unlink()  # views of an earlier render, and temporary files of a killed one
    out = render_antialiased(mesh, cameras, image_size, supersample=supersample, lights=lights,
                             perspective_correct=True)
    alpha = out["alpha"]
    straight = torch.where(alpha[..., None] > 0, out["image"] / alpha.clamp_min(1e-12)[..., None],
                           torch.zeros_like(out["image"]))
    covered = out["face_idx"] >= 0
    ids = covered.to(torch.int32)
    # n_cam = R n_world, so as row vectors n_world = n_cam @ R (one R per view).
    world_normals = torch.einsum("nhwc,ncd->nhwd", out["normals"], cameras.rotation.to(out["normals"].dtype))
    transforms = transform_from_camera(cameras)
    for i in range(len(cameras)):
        export_synthetic_view(folder, i, straight[i], transforms[i], cameras.projection, alpha=alpha[i],
                              depth_linear=out["depth"][i], normals=world_normals[i] * covered[i, ..., None],
                              semantic=ids[i], instance=ids[i], asset_name=asset_name,
                              asset_transform=asset_transform)
    return folder


# --------------------------------------------------------------------------- sources


@dataclasses.dataclass
class ShapeEntry:
    """One shape of a SOURCE: its output subfolder (``''``: the output folder itself), a name for messages and
    the metadata, and how to load it."""

    subfolder: str
    name: str
    load: Callable[[], Mesh]


def _file_entry(path: Path, subfolder: str) -> ShapeEntry:
    return ShapeEntry(subfolder, path.name, lambda: load_mesh(path))


def _dataset_entries(dataset, name_of: Callable[[Path], str]) -> list[ShapeEntry]:
    return [_file_entry(path, name_of(path)) for path, _ in dataset.entries]


def _synthetic_entries(dataset: SyntheticShapes) -> list[ShapeEntry]:
    """``<family>/<index>`` per shape of a synthetic set (its category is its family)."""
    width = len(str(len(dataset) - 1))
    return [ShapeEntry(f"{dataset.family(i)}/{i:0{width}d}", f"synthetic shape {i}",
                       lambda i=i: item_to_mesh(dataset[i])) for i in range(len(dataset))]


def shape_entries(source: str, seed: int = 0) -> list[ShapeEntry]:
    """The shapes of ``source`` (see :mod:`kaolin_pipeline.datasets.sources`): a mesh file or
    ``synthetic:<family>`` (one shape), a folder of mesh files, ``synthetic:N``, ``shapenet:ROOT`` or
    ``modelnet:ROOT[#split]`` (both splits unless one is named).

    Raises:
        ConfigError / LoadError: the source is not one of these, or names no shape.
    """
    parsed = open_source(source)
    if parsed.single:
        return [ShapeEntry("", parsed.name, lambda: parsed.mesh(seed))]
    dataset = parsed.dataset(seed=seed)
    if parsed.kind == "synthetic_set":
        return _synthetic_entries(dataset)
    if parsed.kind == "shapenet":
        return _dataset_entries(dataset, lambda p: "/".join(p.relative_to(dataset.root).parts[:2]))
    if parsed.kind == "modelnet":
        return _dataset_entries(dataset, lambda p: p.relative_to(dataset.root).with_suffix("").as_posix())
    stems = Counter(p.relative_to(dataset.root).with_suffix("").as_posix() for p in dataset.paths)

    def subfolder(p: Path) -> str:  # 'chairs/a.obj' -> 'chairs/a', or 'chairs/a_obj' when a.usd is there too
        stem = p.relative_to(dataset.root).with_suffix("").as_posix()
        return stem if stems[stem] == 1 else f"{stem}_{p.suffix.lower().lstrip('.')}"

    return _dataset_entries(dataset, subfolder)


def _settings(num_views: int, image_size: int, rig: str, seed: int, supersample: int) -> dict:
    return {"views": num_views, "size": image_size, "cameras": rig, "seed": seed, "supersample": supersample,
            "fovy": FOVY, "distance": CAMERA_DISTANCE, "scene_radius": SCENE_RADIUS}


def is_complete(folder: Union[str, Path], settings: dict) -> bool:
    """True when ``folder`` holds a finished render made with ``settings``."""
    manifest = Path(folder) / MANIFEST
    try:
        return json.loads(manifest.read_text()).get("settings") == settings
    except (OSError, ValueError, AttributeError):
        return False


def _shape_seed(seed: int, subfolder: str) -> int:
    """Camera seed of one shape: depends on the run's seed and the shape's name only, not on the order."""
    return seed * 1_000_003 + zlib.crc32(subfolder.encode())


def generate_views(source: str, out: Union[str, Path], num_views: int = 16, image_size: int = 256,
                   rig: str = "sphere", seed: int = 0, supersample: int = 4, progress: bool = True) -> dict:
    """Render every shape of ``source`` into ``out`` (see the module docstring for the layout).

    Shapes whose folder is complete with the same settings are skipped; a shape that fails to load or
    render is reported (a warning line and the ``failed`` list) and skipped.

    Args:
        source: see :func:`shape_entries`.
        out: the output folder.
        num_views: cameras per shape.
        image_size: side of the square images.
        rig: one of :data:`RIGS`.
        seed: seeds the cameras (each shape's from ``seed`` and its subfolder name) and synthetic shapes.
        supersample: anti-aliasing samples per pixel along each axis.
        progress: show a tqdm bar over the shapes.

    Returns:
        dict of ``rendered``, ``skipped`` (subfolder names) and ``failed`` (``(name, message)`` pairs).

    Raises:
        ConfigError / LoadError: bad settings or source, or every shape failed.
    """
    if not isinstance(image_size, int) or image_size < 1:
        raise ConfigError(f"size: image size must be a positive number of pixels, got {image_size!r}")
    if not isinstance(supersample, int) or supersample < 1:
        raise ConfigError(f"supersample must be a positive int, got {supersample!r}")
    rig_cameras(rig, num_views)  # validates rig and num_views before any work
    entries = shape_entries(source, seed)
    out = Path(out)
    settings = _settings(num_views, image_size, rig, seed, supersample)
    report: dict = {"rendered": [], "skipped": [], "failed": []}
    bar = tqdm(entries, desc="rendering shapes", unit="shape", disable=not progress, dynamic_ncols=True)
    for entry in bar:
        folder = out / entry.subfolder
        if is_complete(folder, settings):
            report["skipped"].append(entry.subfolder)
            continue
        try:
            mesh, asset_transform = normalize_for_views(entry.load())
            cameras = rig_cameras(rig, num_views, _shape_seed(seed, entry.subfolder))
            if (folder / MANIFEST).exists():
                (folder / MANIFEST).unlink()
            render_shape(mesh, folder, cameras, image_size, supersample, entry.name, asset_transform)
        except PipelineError as exc:
            message = " ".join(str(exc).split())
            report["failed"].append((entry.name if not entry.subfolder else entry.subfolder, message))
            tqdm.write(f"skipping {entry.subfolder or entry.name}: {message}")
            continue
        with atomic.atomic_open(folder / MANIFEST, "w", encoding="utf-8") as handle:
            json.dump({"source": source, "shape": entry.name, "settings": settings}, handle, indent=1)
        report["rendered"].append(entry.subfolder)
    if report["failed"] and not report["rendered"] and not report["skipped"]:
        raise LoadError(f"{source}: no shape could be rendered ({report['failed'][0][0]}: {report['failed'][0][1]})")
    return report
