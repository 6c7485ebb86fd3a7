"""The Dataset Visualizer: a paged thumbnail grid per category; click a shape to turn it in 3D.

Datasets are named as every command names a set of shapes (:mod:`kaolin_pipeline.datasets.sources`):
a folder of meshes (category = first sub-folder), ``shapenet:ROOT`` (v1 or v2), ``modelnet:ROOT``
(ModelNet10 or 40, both splits; ``#train`` / ``#test`` for one) or ``synthetic:N`` (N procedural shapes).

Thumbnails are rendered with our own renderer
(:func:`kaolin_pipeline.render.antialias.render_antialiased`), once: each is cached as a JPEG
(with the shape's stats in a JSON sidecar) under ``cache_dir``, keyed by the dataset's
``source_key`` (for files: their content hash and path), so a second page for the same data
reads no mesh to make its grid. The page inlines the 3D data of shapes in index order up to
``inline_mb``, each shape in its own block that is parsed only when the shape is opened; served
pages (``--serve``) load each shape on demand instead.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Callable, Optional

import torch
from tqdm.auto import tqdm

from kaolin_pipeline.atomic import atomic_open
from kaolin_pipeline.datasets.collate import item_to_mesh
from kaolin_pipeline.render import DirectionalLight, look_at_cameras
from kaolin_pipeline.render.antialias import render_antialiased
from kaolin_pipeline.datasets.sources import open_source
from kaolin_pipeline.errors import ConfigError, PipelineError
from kaolin_pipeline.ops.mesh import fit_in_sphere
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.visualize.encode import data_uri, image_bytes
from kaolin_pipeline.visualize.scene import TexturePool, make_item, new_scene, shape_stats

THUMBNAIL_SIZE = 96
THUMBNAIL_VERSION = 1  # bump when the thumbnail's look changes: older cache entries are then ignored
UNREADABLE = "(unreadable)"  # category of shapes whose file could not be read


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/kaolin-pipeline/thumbnails`` (``~/.cache`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kaolin-pipeline" / "thumbnails"


def open_dataset(spec: str):
    """The set of shapes named by ``spec`` (:mod:`kaolin_pipeline.datasets.sources`); raises ``LoadError``/``ConfigError``."""
    return open_source(spec).dataset()


@torch.no_grad()
def render_thumbnail(mesh: Mesh, size: int = THUMBNAIL_SIZE) -> bytes:
    """A JPEG of ``mesh`` seen from azimuth 45°, elevation 20°, framed to fill the picture, on the page's grey."""
    vertices = mesh.vertices.to(torch.float32)
    try:
        vertices = fit_in_sphere(vertices)[0]
    except PipelineError:  # all vertices at one point: nothing to scale
        vertices = vertices - vertices[:1]
    framed = mesh.with_vertices(vertices)
    fovy = 40.0
    cameras = look_at_cameras(torch.tensor([45.0]), 20.0, 1.05 / math.sin(math.radians(fovy) / 2), fovy)
    image = render_antialiased(framed, cameras, size, supersample=2, lights=DirectionalLight(),
                               background=(0.96, 0.96, 0.96))["image"][0]
    return image_bytes(image.permute(2, 0, 1), "JPEG", quality=85)


class ThumbnailCache:
    """Thumbnails (JPEG bytes) and stats of shapes, on disk under ``folder``, keyed by a source key."""

    def __init__(self, folder: Optional[os.PathLike] = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()

    def _paths(self, source_key: str) -> tuple[Path, Path]:
        digest = hashlib.sha256(f"v{THUMBNAIL_VERSION}:{THUMBNAIL_SIZE}:{source_key}".encode()).hexdigest()[:40]
        return self.folder / f"{digest}.jpg", self.folder / f"{digest}.json"

    def get(self, source_key: str) -> Optional[tuple[bytes, dict]]:
        image, stats = self._paths(source_key)
        try:
            return image.read_bytes(), json.loads(stats.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, source_key: str, thumbnail: bytes, stats: dict) -> None:
        image, sidecar = self._paths(source_key)
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_open(image, "wb") as handle:
            handle.write(thumbnail)
        with atomic_open(sidecar, "w", encoding="utf-8") as handle:
            json.dump(stats, handle)


def shape_of(dataset, index: int) -> tuple[Mesh, dict]:
    """Mesh ``index`` of ``dataset`` and its item fields (``path``, ``category``)."""
    item = dataset[index]
    return item_to_mesh(item), {"path": str(item.get("path", index)), "category": str(item.get("category", ""))}


def _part(mesh: Mesh, index: int, fields: dict, stats: dict) -> dict:
    """``{"item", "textures"}``: one shape's 3D data, parsed by the page only when the shape is opened."""
    textures = TexturePool()
    item = make_item([mesh], [0], textures, category=fields["category"], id=index, role="shape",
                     extra={"path": fields["path"], "stats": stats})
    return {"item": item, "textures": textures.uris}


def scene_of_dataset(spec: str, cache_dir: Optional[os.PathLike] = None, inline_mb: float = 40.0,
                     progress: bool = True, thumbnailer: Callable[[Mesh], bytes] = render_thumbnail
                     ) -> tuple[dict, dict[int, dict]]:
    """A Dataset-Visualizer scene of ``spec`` and the 3D data of its shapes, inlined up to ``inline_mb``.

    Returns ``(scene, parts)``. The scene's ``dataset`` entry holds ``categories``
    ``[{"name", "shapes": [index, ...]}]``, ``shapes`` ``[{"name", "path", "category", "thumbnail",
    "inline", "stats"}]`` (``thumbnail`` indexes ``thumbnails``, ``None`` when the shape could not
    be read; ``inline`` says whether ``parts`` holds its 3D data) and ``thumbnails`` (data URIs).
    ``parts`` maps shape indices to :func:`shape_part` dicts; the page keeps each in its own
    block and parses it only when the shape is opened, so opening the grid costs the same
    whatever the budget.
    """
    if not inline_mb >= 0:
        raise ConfigError(f"inline_mb must be >= 0, got {inline_mb!r}")
    dataset = open_dataset(spec)
    cache = ThumbnailCache(cache_dir)
    scene = new_scene(f"Dataset: {spec}", f"{len(dataset)} shapes")
    shapes, thumbnails, categories, parts = [], [], {}, {}
    budget = inline_mb * 2 ** 20
    for index in tqdm(range(len(dataset)), desc="dataset thumbnails", unit="shape", disable=not progress):
        key = dataset.source_key(index)
        cached = cache.get(key)
        entry = {"name": "", "path": "", "category": "", "thumbnail": None, "inline": False, "stats": {}}
        mesh = None
        if cached is None or budget > 0:
            try:
                mesh, fields = shape_of(dataset, index)
            except PipelineError as exc:
                entry.update(name=f"#{index}", stats={"error": str(exc)})
                categories.setdefault(UNREADABLE, []).append(index)
                shapes.append(entry)
                continue
        if cached is None:
            stats = {**shape_stats(mesh), **fields}
            cached = (thumbnailer(mesh), stats)
            cache.put(key, *cached)
        thumbnail, stats = cached
        entry.update(path=stats.get("path", ""), category=stats.get("category", ""), thumbnail=len(thumbnails),
                     stats={k: v for k, v in stats.items() if k not in ("path", "category")})
        entry["name"] = Path(entry["path"]).stem if "/" in entry["path"] else entry["path"]
        thumbnails.append(data_uri(thumbnail, "image/jpeg"))
        if mesh is not None and budget > 0:
            part = _part(mesh, index, {"path": entry["path"], "category": entry["category"]}, entry["stats"])
            budget -= len(json.dumps(part))
            if budget >= 0:
                parts[index] = part
                entry["inline"] = True
        categories.setdefault(entry["category"], []).append(index)
        shapes.append(entry)
    scene["dataset"] = {"categories": [{"name": name, "shapes": members} for name, members in sorted(categories.items())],
                        "shapes": shapes, "thumbnails": thumbnails}
    return scene, parts


def shape_part(dataset, index: int) -> dict:
    """``{"item", "textures"}`` of shape ``index`` of ``dataset``, for a served page that loads shapes on demand."""
    mesh, fields = shape_of(dataset, index)
    return _part(mesh, index, fields, shape_stats(mesh))
