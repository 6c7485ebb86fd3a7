"""The reconstruction recipe's data path: every shape rendered once into the on-disk cache, read a batch at a time.

* :class:`RenderViews` centres and scales a shape and renders its ``K`` views with
  :func:`~kaolin_pipeline.render.antialias.render_antialiased` (the function the data
  generator uses), stored as 8-bit RGBA in the item cache.
* :func:`preprocess` renders this process's share of a split (``DistributedSampler``
  without shuffling) in ``DataLoader`` workers. A shape already in the cache is read back
  instead of rendered, so a killed run continues where it stopped.
* :class:`StepSampler` and :func:`batch_loader` read the shapes of each step: every epoch
  is a ``DistributedSampler`` shuffle, this process reads its share, ``batch / world_size``
  shapes per step. Only the current batch is in memory or on the device, and the indices of
  step ``s`` depend on ``(seed, s)`` alone, so a resumed run reads what an uninterrupted one would.
"""
from __future__ import annotations

import dataclasses
import signal
import time
from pathlib import Path
from typing import Any, Iterator

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler
from tqdm import tqdm

from kaolin_pipeline.datasets import CachedDataset
from kaolin_pipeline.datasets.sources import open_source
from kaolin_pipeline.datasets.collate import item_to_mesh
from kaolin_pipeline.datasets.transforms import Transform
from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.ops.mesh import fit_in_sphere
from kaolin_pipeline.render import preset_cameras, preset_lights
from kaolin_pipeline.train.distributed import DistContext
from kaolin_pipeline.train.views import view_settings


def view_cameras(config: dict, device=None):
    """The ``views.num_views`` first cameras of the configured view set."""
    views_cfg = config["views"]
    preset, settings = view_settings(views_cfg)
    cameras = preset_cameras(preset, views_cfg["train_set"], device=device, image_size=settings.image_size)
    if views_cfg["num_views"] > len(cameras):
        raise ConfigError(f"views.num_views = {views_cfg['num_views']} but view set '{views_cfg['train_set']}' of "
                          f"preset '{views_cfg['preset']}' has {len(cameras)} cameras")
    return cameras[list(range(views_cfg["num_views"]))]


def render_pictures(mesh, cameras, config: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Anti-aliased images (N, S, S, 3) and coverage (N, S, S) of ``mesh`` as the ``views`` section renders them."""
    preset, settings = view_settings(config["views"])
    out = settings.render_antialiased(mesh, cameras, preset_lights(preset, device=mesh.vertices.device))
    return out["image"].clamp(0, 1), out["alpha"].clamp(0, 1)


def pack_views(images: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """(K, S, S, 4) uint8 RGBA of images (K, S, S, 3) and coverage (K, S, S) in [0, 1]."""
    return (torch.cat([images, alpha.unsqueeze(-1)], dim=-1) * 255).round().to(torch.uint8)


def unpack_views(views: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Float images (..., S, S, 3) and coverage (..., S, S) in [0, 1] of uint8 RGBA views (..., S, S, 4)."""
    rgba = views.float() / 255
    return rgba[..., :3], rgba[..., 3]


def rgba_input(views: torch.Tensor) -> torch.Tensor:
    """(B, 4, S, S) float network input of uint8 RGBA views (B, S, S, 4)."""
    return (views.float() / 255).permute(0, 3, 1, 2)


class RenderViews(Transform):
    """Centre and scale an item's mesh, then add its views.

    Adds ``views`` (K, S, S, 4) uint8: RGB and coverage of the K cameras of the ``views``
    section of ``config``, rendered anti-aliased (``views.supersample``² samples per pixel).
    """

    def __init__(self, config: dict):
        self.config = {"views": dict(config["views"])}
        self.scale = config["views"]["target_scale"]
        self.cameras = view_cameras(config)

    def params(self) -> dict[str, Any]:
        views_cfg = self.config["views"]
        # the cache key keeps the name the view set had when caches were first written
        return {"name": "RenderViews", "renderer": "antialiased", "scale": self.scale, "view_set": views_cfg["train_set"],
                **{k: views_cfg[k] for k in ("preset", "num_views", "image_size", "supersample")}}

    @torch.no_grad()
    def __call__(self, item: dict) -> dict:
        item = {**item, "vertices": fit_in_sphere(item["vertices"], self.scale)[0]}
        item["views"] = pack_views(*render_pictures(item_to_mesh(item), self.cameras, self.config))
        return item


def build_dataset(config: dict, split: str, cache_dir: Path) -> Dataset:
    """The ``train`` or ``test`` split of the configured dataset; items carry their cached ``views``."""
    data = config["data"]
    transform = RenderViews(config)
    source = open_source(data["source"])
    if source.kind == "synthetic_set":  # synthetic:N trains on N shapes and holds out data.num_test others
        test = split != "train"
        held_out = dataclasses.replace(source, count=data["num_test"]) if test else source
        dataset = held_out.dataset(families=data["families"] or None, seed=config["seed"] * 2 + test,
                                   transform=transform)
        return CachedDataset(dataset, cache_dir)
    if source.single or source.kind == "views":
        raise ConfigError(f"data.source: {source.spec} is {source.description}; train needs a set of shapes "
                          f"(synthetic:N, a folder of meshes, shapenet:ROOT or modelnet:ROOT)")
    return source.dataset(split=split, categories=data["categories"] or None, transform=transform,
                          cache_dir=cache_dir)


def ignore_stop_signal(worker_id: int) -> None:
    """``worker_init_fn``: a worker ignores SIGTERM, which a launcher (``timeout``, a job scheduler) sends to
    the whole process group; otherwise the dead worker makes the main process raise while it saves its
    checkpoint. The main process stops the workers itself."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class _CacheOnly(Dataset):
    """Builds (or reads back) an item of ``dataset`` and returns only its category (workers send nothing big)."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> str:
        return self.dataset[index]["category"]


def share_sampler(num_items: int, context: DistContext, shuffle: bool = False, seed: int = 0) -> DistributedSampler:
    """``DistributedSampler`` of this process's share of ``num_items`` items (all of them in a single process)."""
    return DistributedSampler(range(num_items), num_replicas=context.world_size, rank=context.rank,
                              shuffle=shuffle, seed=seed, drop_last=False)


def preprocess(dataset: Dataset, context: DistContext, num_workers: int = 0, progress: bool = True,
               desc: str = "rendering views") -> dict[str, float]:
    """Render (or find in the cache) this process's share of ``dataset``; wait for the other processes.

    Returns:
        ``{"shapes": items handled by this process, "seconds": wall time}``.

    Raises:
        ConfigError: the dataset is empty or ``num_workers`` is negative.
    """
    if len(dataset) == 0:
        raise ConfigError("the dataset split is empty")
    if num_workers < 0:
        raise ConfigError(f"data.num_workers must be >= 0, got {num_workers}")
    start = time.perf_counter()
    sampler = share_sampler(len(dataset), context)
    loader = DataLoader(_CacheOnly(dataset), batch_size=None, sampler=sampler, num_workers=num_workers,
                        worker_init_fn=ignore_stop_signal)
    count = sum(1 for _ in tqdm(loader, total=len(sampler), desc=desc, disable=not progress, leave=False))
    if context.distributed and dist.is_initialized():
        dist.barrier()
    return {"shapes": count, "seconds": time.perf_counter() - start}


class StepSampler(Sampler[int]):
    """Endless indices of the shapes this process reads, from step ``start_step + 1`` on.

    The stream is the concatenation of epochs; epoch ``e`` is this process's share of a
    ``DistributedSampler`` shuffle (``seed``, ``set_epoch(e)``), and step ``s`` reads stream
    positions ``[(s - 1) * local_batch, s * local_batch)``. With ``num_items`` a multiple of the
    number of processes, the processes' shares of step ``s`` together are exactly the
    ``world_size * local_batch`` shapes a single process reads at step ``s``.
    """

    def __init__(self, num_items: int, context: DistContext, seed: int, local_batch: int, start_step: int = 0):
        self.sampler = share_sampler(num_items, context, shuffle=True, seed=seed)
        self.local_batch, self.start_step = local_batch, start_step

    def __iter__(self) -> Iterator[int]:
        epoch, offset = divmod(self.start_step * self.local_batch, len(self.sampler))
        while True:
            self.sampler.set_epoch(epoch)
            yield from list(self.sampler)[offset:]
            epoch, offset = epoch + 1, 0


class ShapeViews(Dataset):
    """The ``views`` (K, S, S, 4) uint8 of each item of a cached dataset (what a training step reads)."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.dataset[index]["views"]


def local_batch_size(batch_size: int, context: DistContext) -> int:
    """``batch_size / world_size``; raises :class:`ConfigError` when it does not divide evenly."""
    if batch_size % context.world_size:
        raise ConfigError(f"optim.batch_size {batch_size} must be a multiple of the number of processes "
                          f"({context.world_size})")
    return batch_size // context.world_size


def batch_loader(dataset: Dataset, config: dict, context: DistContext, start_step: int = 0) -> DataLoader:
    """Endless ``DataLoader`` of (b, K, S, S, 4) uint8 view batches of this process, from step ``start_step + 1``."""
    local = local_batch_size(config["optim"]["batch_size"], context)
    sampler = StepSampler(len(dataset), context, config["seed"], local, start_step)
    return DataLoader(ShapeViews(dataset), batch_size=local, sampler=sampler,
                      num_workers=config["data"]["num_workers"], pin_memory=context.device.type == "cuda",
                      worker_init_fn=ignore_stop_signal)


def _as_list(items: list) -> list:
    return items


def item_batches(dataset: Dataset, batch_size: int, num_workers: int = 0) -> DataLoader:
    """The items of ``dataset`` in order, ``batch_size`` at a time, as lists of item dicts."""
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers, collate_fn=_as_list)
