"""The ``train`` / ``eval`` recipe: single-image mesh reconstruction as in the DIB-R paper.

Every shape of the dataset is centred, scaled and rendered once from ``num_views``
cameras of a render preset into the on-disk cache (:mod:`.view_data`: DataLoader
workers, each process its share). A step reads a batch of shapes, feeds one random RGBA
view of each to :class:`ReconstructionNet`, which predicts the shape in the frame of that
view's camera, turns it to world space with the camera's known rotation, renders it from
``supervise`` other random views of the same shape and minimises
``mask * mask_iou + image * L1 + laplacian * Laplacian(offsets) + flatten * flatten``.
Under ``torchrun`` each process reads and renders its share of the global batch (DDP).
"""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from kaolin_pipeline.datasets.collate import item_to_mesh
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import ConfigError, TrainingError
from kaolin_pipeline.export.checkpoint import latest_checkpoint, load_checkpoint
from kaolin_pipeline.export.rundir import RunDir
from kaolin_pipeline.ops.mesh import edge_adjacent_faces, uniform_laplacian
from kaolin_pipeline.ops.metrics import mask_iou
from kaolin_pipeline.render import preset_lights
from kaolin_pipeline.train.distributed import DistContext, init_distributed, wrap_model
from kaolin_pipeline.train.evaluate import image_metrics, mesh_metrics
from kaolin_pipeline.ops.regularizers import flatten_loss, laplacian_loss
from kaolin_pipeline.train.models import ReconstructionNet
from kaolin_pipeline.train.recipe import run_recipe
from kaolin_pipeline.ops.icosphere import icosphere
from kaolin_pipeline.ops.smoothing import smoothing_matrix
from kaolin_pipeline.train.views import view_settings
from kaolin_pipeline.train.view_data import (batch_loader, build_dataset, item_batches, local_batch_size, preprocess,
                                             render_pictures, rgba_input, unpack_views, view_cameras)

EVAL_BATCH = 16
FINAL_SHAPES = 4  # test shapes whose views a finished run shows


def draw_views(generator: torch.Generator, batch: int, num_views: int,
               supervise: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random input views and ``supervise`` distinct other views of each of ``batch`` shapes.

    Returns:
        inputs (B,) and targets (B, supervise) long tensors; no target equals its input.

    Raises:
        ConfigError: ``supervise`` is not between 1 and ``num_views - 1``.
    """
    if not 1 <= supervise < num_views:
        raise ConfigError(f"views.supervise must be between 1 and views.num_views - 1 = {num_views - 1} "
                          f"(supervising views differ from the input view), got {supervise}")
    inputs = torch.randint(num_views, (batch,), generator=generator)
    # the input view moved 1 .. K-1 steps around the rig: distinct, never the input itself
    offsets = torch.argsort(torch.rand(batch, num_views - 1, generator=generator), dim=1)[:, :supervise] + 1
    return inputs, (inputs.unsqueeze(1) + offsets) % num_views


class ReconstructionProblem:
    """Network, template, renderer, batches and loss of a ``train`` run (a
    :class:`~kaolin_pipeline.train.recipe.Problem`; ``train_set`` and ``test_set`` are set by
    :func:`train` once the views are rendered)."""

    category = "reconstruct"

    def __init__(self, config: dict, context: DistContext):
        model_cfg, self.config, self.context = config["model"], config, context
        device = context.device
        vertices, faces = icosphere(config["template"]["subdivisions"])
        self.faces = faces.to(device)
        self.laplacian = uniform_laplacian(vertices.shape[0], self.faces)
        smoothing = model_cfg["smoothing"]
        preset, settings = view_settings(config["views"])
        self.net = ReconstructionNet(vertices * config["template"]["scale"], image_size=settings.height,
                                     channels=tuple(model_cfg["channels"]), hidden=model_cfg["hidden"],
                                     norm=model_cfg["norm"],
                                     smoothing=smoothing_matrix(self.laplacian, smoothing) if smoothing > 0 else None
                                     ).to(device)
        self.model = wrap_model(self.net, context)
        self.adjacent_faces = edge_adjacent_faces(self.faces)
        self.renderer, self.lights = settings.renderer().to(device), preset_lights(preset, device=device)
        self.cameras = view_cameras(config, device)
        self.train_set: Optional[Dataset] = None
        self.test_set: Optional[Dataset] = None
        self._batches, self._next_step = None, None

    def predict(self, images: torch.Tensor, views: torch.Tensor, model=None) -> tuple[torch.Tensor, torch.Tensor]:
        """World-space vertices (B, V, 3) and colours (B, V, 3) from (B, 4, S, S) images seen by cameras ``views``.

        The network predicts in the frame of the input camera (a single view does not tell
        how the object is turned in the world); the known camera rotation brings the
        prediction to world space (``world = camera @ R`` for world-to-camera ``R``).
        """
        vertices, colors = (model or self.model)(images)
        return vertices @ self.cameras.rotation[views], colors

    def batch(self, step: int) -> torch.Tensor:
        """This process's (b, K, S, S, 4) uint8 views of step ``step``, on the device."""
        if self._batches is None or step != self._next_step:
            self.close()
            self._batches = iter(batch_loader(self.train_set, self.config, self.context, start_step=step - 1))
        self._next_step = step + 1
        return next(self._batches).to(self.context.device, non_blocking=True)

    def close(self) -> None:
        """Stop the batch loader's workers."""
        self._batches = None

    def losses(self, step: int) -> dict[str, torch.Tensor]:
        """Loss on this process's share of the global batch of ``step``."""
        cfg, context = self.config, self.context
        views = self.batch(step)
        local, num_views = views.shape[:2]
        supervise = cfg["views"]["supervise"]
        generator = torch.Generator().manual_seed(cfg["seed"] * 1_000_003 + step)
        inputs, targets = draw_views(generator, cfg["optim"]["batch_size"], num_views, supervise)
        # local shape t is shape world_size * t + rank of the global batch (see view_data.StepSampler)
        rows = torch.arange(local) * context.world_size + context.rank
        inputs, targets = inputs[rows].to(context.device), targets[rows].to(context.device)
        shapes = torch.arange(local, device=context.device)
        vertices, colors = self.predict(rgba_input(views[shapes, inputs]), inputs)
        repeat = lambda t: t.repeat_interleave(supervise, dim=0)
        out = self.renderer(repeat(vertices), self.faces, self.cameras[targets.reshape(-1)],
                            vertex_colors=repeat(colors), lights=self.lights, pairwise=True)
        target_images, target_masks = unpack_views(views[repeat(shapes), targets.reshape(-1)])
        weights = cfg["loss"]
        terms = {
            "mask": mask_iou(out["soft_mask"], target_masks),
            "image": F.l1_loss(out["image"], target_images),
            "laplacian": laplacian_loss(vertices - self.net.template @ self.cameras.rotation[inputs], self.laplacian),
            "flatten": flatten_loss(vertices, self.faces, self.adjacent_faces),
        }
        return {"loss": sum(weights[name] * value for name, value in terms.items()), **terms}

    @torch.no_grad()
    def predict_meshes(self, items: list[dict], view: int) -> list[Mesh]:
        """Predicted meshes (with vertex colours) of cached items (with ``views``) from their view ``view``."""
        self.net.eval()
        views = torch.stack([item["views"][view] for item in items]).to(self.context.device)
        cameras = torch.full((len(items),), view, device=self.context.device)
        vertices, colors = self.predict(rgba_input(views), cameras, model=self.net)
        return [Mesh(v, self.faces, vertex_colors=c) for v, c in zip(vertices, colors)]

    def mesh(self) -> Mesh:
        """The prediction for the first test shape from view ``eval.input_view`` (Timelapse, checkpoints, ``final/``)."""
        return self.predict_meshes([self.test_set[0]], self.config["eval"]["input_view"])[0]

    def target_mesh(self) -> None:
        """No single target: the run learns from a set of shapes."""
        return None

    @torch.no_grad()
    def evaluate(self) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
        """No metrics (``eval`` scores a run); the first test shapes seen from the camera after the
        input view: their cached views and renders of their predictions, (N, S, S, 3)."""
        view, config = self.config["eval"]["input_view"], self.config
        items = [self.test_set[i] for i in range(min(FINAL_SHAPES, len(self.test_set)))]
        other = (view + 1) % len(self.cameras)
        predictions = torch.cat([render_pictures(m, self.cameras[other], config)[0]
                                 for m in self.predict_meshes(items, view)])
        targets = torch.stack([unpack_views(item["views"][other])[0] for item in items])
        return {}, targets, predictions

    def optimizer(self):
        optim_cfg = self.config["optim"]
        optimizer = torch.optim.Adam(self.net.parameters(), lr=optim_cfg["lr"])
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, optim_cfg["scheduler_step"], optim_cfg["scheduler_gamma"])
        return optimizer, scheduler


def _cache_dir(config: dict, run_dir: Path) -> Path:
    return Path(config["data"]["cache_dir"]) if config["data"]["cache_dir"] else RunDir(run_dir).cache


def prepare_splits(config: dict, run_dir: Path, context: DistContext,
                   progress: bool = True) -> tuple[Dataset, Dataset, dict[str, dict[str, float]]]:
    """The train and test splits, each process's share rendered into the cache (resumable).

    Returns:
        train and test datasets, and per split ``{"shapes", "seconds"}`` of this process.
    """
    cache_dir, workers = _cache_dir(config, run_dir), config["data"]["num_workers"]
    splits, stats = {}, {}
    for split in ("train", "test"):
        splits[split] = build_dataset(config, split, cache_dir)
        stats[split] = preprocess(splits[split], context, workers, progress and context.is_main,
                                  desc=f"rendering {split} views")
    return splits["train"], splits["test"], stats


def train(config: dict, run_dir: str | Path, *, resume: bool = False, overwrite: bool = False,
          max_steps: Optional[int] = None, progress: bool = True, finish: bool = True) -> list[dict[str, float]]:
    """Run the reconstruction ``train`` recipe in ``run_dir`` (launch under ``torchrun`` for DDP;
    see :func:`~kaolin_pipeline.train.recipe.run_recipe`).

    Writes ``config.yaml``, ``cache/`` (rendered views), ``checkpoints/``, ``metrics.csv``,
    ``timelapse/`` (the prediction for the first held-out shape), ``views/`` from held-out
    predictions at the end and, with ``finish``, ``final/`` and ``report.html``.

    Returns:
        The losses of every step run by this call.
    """
    run_dir = Path(run_dir)

    def build(context: DistContext) -> ReconstructionProblem:
        local_batch_size(config["optim"]["batch_size"], context)
        problem = ReconstructionProblem(config, context)
        problem.train_set, problem.test_set, _ = prepare_splits(config, run_dir, context, progress)
        return problem

    trainer, _ = run_recipe("reconstruct", config, run_dir, build, resume=resume, overwrite=overwrite,
                            max_steps=max_steps, progress=progress, finish=finish)
    return trainer.history


def _heldout_image_metrics(problem: ReconstructionProblem, mesh: Mesh, item: dict, view: int,
                           config: dict) -> dict[str, float]:
    """Mask IoU, PSNR and foreground PSNR of ``mesh`` against ``item``'s cached views other than ``view``."""
    others = [k for k in range(len(problem.cameras)) if k != view]
    images, alpha = render_pictures(mesh, problem.cameras[others], config)
    target_images, target_alpha = unpack_views(item["views"][others].to(images.device))
    return image_metrics(images, alpha, target_images, target_alpha)


def evaluate(config: dict, run_dir: str | Path, checkpoint: Optional[str | Path] = None,
             progress: bool = True) -> dict[str, Any]:
    """3D IoU (solid voxels), F-score and held-out image metrics of test shapes, per category and in mean.

    Loads ``checkpoint`` (default: the run's latest), predicts every test shape from
    view ``eval.input_view`` and writes ``RUN_DIR/eval.json``. The image metrics compare
    anti-aliased renders of the prediction with the shape's other cached views.

    Returns:
        ``{"checkpoint", "per_category": {name: {"count", "voxel_iou", "f_score_1", "f_score_2", "chamfer",
        "mask_iou", "psnr", "psnr_foreground"}}, "mean": {...}, "shapes": [{"path", "category"}], "seconds"}``
        (the mean is over shapes; ``shapes`` names each shape scored, once, in order).
    """
    run_dir = Path(run_dir)
    context = DistContext(init_distributed(config["device"]).device)
    run = RunDir(run_dir)
    path = Path(checkpoint) if checkpoint else latest_checkpoint(run.checkpoints)
    if path is None:
        raise TrainingError(f"{run_dir}: no checkpoint to evaluate in {run.checkpoints}")
    problem = ReconstructionProblem(config, context)
    problem.net.load_state_dict(load_checkpoint(path, map_location=context.device)["model"])
    test_set = build_dataset(config, "test", _cache_dir(config, run_dir))
    preprocess(test_set, context, config["data"]["num_workers"], progress, desc="rendering test views")
    start = time.perf_counter()
    eval_cfg, view = config["eval"], config["eval"]["input_view"]
    rows, scored = defaultdict(list), {}
    for items in item_batches(test_set, EVAL_BATCH, config["data"]["num_workers"]):
        for mesh, item in zip(problem.predict_meshes(items, view), items):
            if item["path"] in scored:
                continue  # the stand-in for a broken file of the split, already scored as itself
            scored[item["path"]] = item["category"]
            target = item_to_mesh(item).to(context.device)
            rows[item["category"]].append({
                **mesh_metrics(mesh, target, eval_cfg["num_points"], eval_cfg["voxel_resolution"], seed=config["seed"]),
                **_heldout_image_metrics(problem, mesh, item, view, config)})
    every = [row for category in rows.values() for row in category]
    mean = lambda group: {key: sum(r[key] for r in group) / len(group) for key in group[0]}
    result = {
        "checkpoint": str(path),
        "per_category": {name: {"count": len(group), **mean(group)} for name, group in sorted(rows.items())},
        "mean": {"count": len(every), **mean(every)},
        "shapes": [{"path": shape, "category": category} for shape, category in scored.items()],
        "seconds": time.perf_counter() - start,
    }
    run.write_json(run.eval_json, result)
    return result


def format_eval_table(result: dict[str, Any]) -> str:
    """The ``eval`` result as a text table (one row per category, then the mean)."""
    header = (f"{'category':<14}{'count':>6}{'3D IoU':>9}{'F@1%':>8}{'F@2%':>8}{'chamfer':>10}"
              f"{'mask IoU':>10}{'PSNR':>8}{'PSNR fg':>9}")
    lines = [header, "-" * len(header)]
    rows = list(result["per_category"].items()) + [("mean", result["mean"])]
    for name, row in rows:
        lines.append(f"{name:<14}{row['count']:>6}{row['voxel_iou']:>9.3f}{row['f_score_1']:>8.3f}"
                     f"{row['f_score_2']:>8.3f}{row['chamfer']:>10.5f}{row['mask_iou']:>10.3f}{row['psnr']:>8.2f}"
                     f"{row['psnr_foreground']:>9.2f}")
    return "\n".join(lines)
