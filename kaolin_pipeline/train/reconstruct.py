"""The ``train`` / ``eval`` recipe: single-image mesh reconstruction as in the DIB-R paper.

Every shape of the dataset is centred, scaled and rendered once from ``num_views``
cameras of a render preset (cached on disk). A step takes a batch of shapes, feeds
one random RGBA view of each to :class:`ReconstructionNet`, which predicts the shape
in the frame of that view's camera, turns it to world space with the camera's known
rotation, renders it from ``supervise`` other random views of the same shape and minimises
``mask * mask_iou + color * L1 + laplacian * Laplacian(offsets) + flatten * flatten``.
Under ``torchrun`` each process takes its share of the global batch (DDP).
"""
from __future__ import annotations

import dataclasses
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset
from tqdm import tqdm

from kaolin_pipeline.datasets import CachedDataset, MeshFolder, ModelNet, ShapeNetCore, SyntheticShapes, hash_split
from kaolin_pipeline.datasets.collate import item_to_mesh
from kaolin_pipeline.datasets.transforms import Transform
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import ConfigError, TrainingError
from kaolin_pipeline.export.checkpoint import latest_checkpoint, load_checkpoint
from kaolin_pipeline.ops.mesh import edge_adjacent_faces, normalize_vertices, uniform_laplacian
from kaolin_pipeline.ops.metrics import mask_iou
from kaolin_pipeline.render import load_preset, preset_cameras, preset_lights, preset_renderer
from kaolin_pipeline.train.config import save_config
from kaolin_pipeline.train.distributed import DistContext, init_distributed, local_share, wrap_model
from kaolin_pipeline.train.evaluate import mesh_metrics
from kaolin_pipeline.train.losses import flatten_loss, laplacian_loss
from kaolin_pipeline.train.loop import CHECKPOINT_DIR, Trainer
from kaolin_pipeline.train.models import ReconstructionNet
from kaolin_pipeline.train.outputs import TimelapseLogger, finish_run, save_view_images
from kaolin_pipeline.train.template import icosphere

EVAL_NAME = "eval.json"


def _render_setup(config: dict, device=None):
    """Renderer, lights and cameras of the cached views."""
    views_cfg = config["views"]
    size = views_cfg["image_size"]
    preset = {**load_preset(views_cfg["preset"]), "image_size": [size, size]}
    cameras = preset_cameras(preset, views_cfg["view_set"], device=device)
    if views_cfg["num_views"] > len(cameras):
        raise ConfigError(f"views.num_views = {views_cfg['num_views']} but view set '{views_cfg['view_set']}' of "
                          f"preset '{views_cfg['preset']}' has {len(cameras)} cameras")
    cameras = cameras[list(range(views_cfg["num_views"]))]
    return preset_renderer(preset).to(device), preset_lights(preset, device=device), cameras


class RenderViews(Transform):
    """Centre and scale an item's mesh, then add its DIB-R views.

    Adds ``view_images`` (K, S, S, 3) and ``view_masks`` (K, S, S) rendered with the
    renderer, lights and cameras of ``config`` (the ``views`` section).
    """

    def __init__(self, config: dict):
        self.views_cfg, self.scale = dict(config["views"]), config["data"]["target_scale"]
        self.renderer, self.lights, self.cameras = _render_setup(config)

    def params(self) -> dict[str, Any]:
        return {"name": "RenderViews", "scale": self.scale,
                **{k: self.views_cfg[k] for k in ("preset", "view_set", "num_views", "image_size")}}

    @torch.no_grad()
    def __call__(self, item: dict) -> dict:
        vertices = normalize_vertices(item["vertices"]) * self.scale
        item = {**item, "vertices": vertices}
        out = self.renderer(item_to_mesh(item), cameras=self.cameras, lights=self.lights)
        item["view_images"] = out["image"].clamp(0, 1)
        item["view_masks"] = (out["face_idx"] >= 0).float()
        return item


def build_dataset(config: dict, split: str, cache_dir: Path) -> Dataset:
    """The ``train`` or ``test`` split of the configured dataset, rendered and cached."""
    data = config["data"]
    transform = RenderViews(config)
    root, categories = data["root"], data["categories"] or None
    source = data["source"]
    if source == "synthetic":
        count = data["num_train"] if split == "train" else data["num_test"]
        dataset = SyntheticShapes(count, families=data["families"] or None,
                                  seed=config["seed"] * 2 + (split != "train"), transform=transform)
        return CachedDataset(dataset, cache_dir)
    if not root:
        raise ConfigError(f"data.root is required for data.source = {source}")
    if source == "shapenet":
        return ShapeNetCore(root, version=data["shapenet_version"], categories=categories, split=split,
                            transform=transform, cache_dir=cache_dir)
    if source == "modelnet":
        return ModelNet(root, variant=data["modelnet_variant"], split=split, categories=categories,
                        transform=transform, cache_dir=cache_dir)
    if source == "folder":
        dataset = MeshFolder(root, transform=transform, cache_dir=cache_dir)
        wanted = [i for i, path in enumerate(dataset.paths)
                  if (hash_split(str(path.relative_to(dataset.root))) == "test") == (split == "test")]
        return torch.utils.data.Subset(dataset, wanted)
    raise ConfigError(f"data.source must be one of synthetic, shapenet, modelnet, folder; got '{source}'")


@dataclasses.dataclass
class ViewBank:
    """Every cached view of a split, stacked.

    Attributes:
        images: (N, K, S, S, 3); masks: (N, K, S, S); meshes: the N scaled meshes; categories: N names.
    """

    images: torch.Tensor
    masks: torch.Tensor
    meshes: list
    categories: list

    @classmethod
    def load(cls, dataset: Dataset, device, progress: bool = True) -> "ViewBank":
        items = [dataset[i] for i in tqdm(range(len(dataset)), desc="rendering views", disable=not progress,
                                          leave=False)]
        if not items:
            raise ConfigError("the dataset split is empty")
        return cls(torch.stack([it["view_images"] for it in items]).to(device),
                   torch.stack([it["view_masks"] for it in items]).to(device),
                   [item_to_mesh(it).to(device) for it in items], [it["category"] for it in items])

    def rgba(self, shape_index: torch.Tensor, view_index: torch.Tensor) -> torch.Tensor:
        """(B, 4, S, S) network inputs: RGB and silhouette of view ``view_index[b]`` of shape ``shape_index[b]``."""
        image = self.images[shape_index, view_index]
        mask = self.masks[shape_index, view_index].unsqueeze(-1)
        return torch.cat([image, mask], dim=-1).permute(0, 3, 1, 2)


def draw_views(generator: torch.Generator, batch: int, num_shapes: int, num_views: int,
               supervise: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random shapes, their input views and ``supervise`` distinct other views of each.

    Returns:
        shapes (B,), inputs (B,) and targets (B, supervise) long tensors; no target equals its input.

    Raises:
        ConfigError: ``supervise`` is not between 1 and ``num_views - 1``.
    """
    if not 1 <= supervise < num_views:
        raise ConfigError(f"views.supervise must be between 1 and views.num_views - 1 = {num_views - 1} "
                          f"(supervising views differ from the input view), got {supervise}")
    shapes = torch.randint(num_shapes, (batch,), generator=generator)
    inputs = torch.randint(num_views, (batch,), generator=generator)
    # the input view moved 1 .. K-1 steps around the rig: distinct, never the input itself
    offsets = torch.argsort(torch.rand(batch, num_views - 1, generator=generator), dim=1)[:, :supervise] + 1
    return shapes, inputs, (inputs.unsqueeze(1) + offsets) % num_views


class ReconstructionProblem:
    """Network, template, renderer and loss of a ``train`` run."""

    def __init__(self, config: dict, context: DistContext):
        model_cfg, self.config, self.context = config["model"], config, context
        device = context.device
        vertices, faces = icosphere(model_cfg["subdivisions"])
        self.faces = faces.to(device)
        self.net = ReconstructionNet(vertices * model_cfg["template_scale"], image_size=config["views"]["image_size"],
                                     channels=tuple(model_cfg["channels"]), hidden=model_cfg["hidden"],
                                     norm=model_cfg["norm"]).to(device)
        self.model = wrap_model(self.net, context)
        self.laplacian = uniform_laplacian(vertices.shape[0], self.faces)
        self.adjacent_faces = edge_adjacent_faces(self.faces)
        self.renderer, self.lights, self.cameras = _render_setup(config, device)
        self.bank: Optional[ViewBank] = None

    def predict(self, images: torch.Tensor, views: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """World-space vertices (B, V, 3) and colours (B, V, 3) from (B, 4, S, S) images seen by cameras ``views``.

        The network predicts in the frame of the input camera (a single view does not tell
        how the object is turned in the world); the known camera rotation brings the
        prediction to world space (``world = camera @ R`` for world-to-camera ``R``).
        """
        vertices, colors = self.model(images)
        return vertices @ self.cameras.rotation[views], colors

    def losses(self, step: int) -> dict[str, torch.Tensor]:
        """Loss on this process's share of a global batch drawn from ``(seed, step)``."""
        cfg, bank = self.config, self.bank
        generator = torch.Generator().manual_seed(cfg["seed"] * 1_000_003 + step)
        num_shapes, num_views = bank.images.shape[:2]
        supervise = cfg["views"]["supervise"]
        shapes, inputs, targets = draw_views(generator, cfg["optim"]["batch_size"], num_shapes, num_views, supervise)
        shapes, inputs, targets = (local_share(t, self.context).to(self.context.device) for t in (shapes, inputs, targets))
        vertices, colors = self.predict(bank.rgba(shapes, inputs), inputs)
        repeat = lambda t: t.repeat_interleave(supervise, dim=0)
        cameras = self.cameras[targets.reshape(-1)]
        out = self.renderer(repeat(vertices), self.faces, cameras, vertex_colors=repeat(colors),
                            lights=self.lights, pairwise=True)
        target_images = bank.images[shapes.repeat_interleave(supervise), targets.reshape(-1)]
        target_masks = bank.masks[shapes.repeat_interleave(supervise), targets.reshape(-1)]
        weights = cfg["loss"]
        terms = {
            "mask": mask_iou(out["soft_mask"], target_masks),
            "color": F.l1_loss(out["image"], target_images),
            "laplacian": laplacian_loss(vertices - self.net.template @ self.cameras.rotation[inputs], self.laplacian),
            "flatten": flatten_loss(vertices, self.faces, self.adjacent_faces),
        }
        return {"loss": sum(weights[name] * value for name, value in terms.items()), **terms}

    @torch.no_grad()
    def predict_meshes(self, bank: ViewBank, view: int) -> list[Mesh]:
        """Predicted meshes (with vertex colours) of every shape of ``bank`` from its view ``view``."""
        self.net.eval()
        meshes = []
        for start in range(0, bank.images.shape[0], 32):
            index = torch.arange(start, min(start + 32, bank.images.shape[0]), device=bank.images.device)
            views = torch.full_like(index, view)
            vertices, colors = self.net(bank.rgba(index, views))
            vertices = vertices @ self.cameras.rotation[views]
            meshes += [Mesh(v, self.faces, vertex_colors=c) for v, c in zip(vertices, colors)]
        return meshes

    def optimizer(self):
        optim_cfg = self.config["optim"]
        optimizer = torch.optim.Adam(self.net.parameters(), lr=optim_cfg["lr"])
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, optim_cfg["scheduler_step"], optim_cfg["scheduler_gamma"])
        return optimizer, scheduler


def _cache_dir(config: dict, run_dir: Path) -> Path:
    return Path(config["data"]["cache_dir"]) if config["data"]["cache_dir"] else run_dir / "cache"


def train(config: dict, run_dir: str | Path, *, resume: bool = False, max_steps: Optional[int] = None,
          progress: bool = True, finish: bool = True) -> list[dict[str, float]]:
    """Run the reconstruction ``train`` recipe in ``run_dir`` (launch under ``torchrun`` for DDP).

    Writes ``config.yaml``, ``cache/`` (rendered views), ``checkpoints/``, ``metrics.csv``,
    ``timelapse/`` (the prediction for the first held-out shape) and, at the end with
    ``finish``, ``views/``, ``final/`` and ``report.html`` from held-out predictions.

    Returns:
        The losses of every step run by this call.
    """
    run_dir = Path(run_dir)
    context = init_distributed(config["device"])
    if context.is_main:
        save_config(run_dir / "config.yaml", config)
    torch.manual_seed(config["seed"])
    problem = ReconstructionProblem(config, context)
    problem.bank = ViewBank.load(build_dataset(config, "train", _cache_dir(config, run_dir)), context.device,
                                 progress and context.is_main)
    test_bank = None
    if context.is_main:
        test_bank = ViewBank.load(build_dataset(config, "test", _cache_dir(config, run_dir)), context.device,
                                  progress)
    optimizer, scheduler = problem.optimizer()
    hooks = []
    log_cfg = config["log"]
    if log_cfg["timelapse_every"] > 0 and context.is_main:
        logger = TimelapseLogger(run_dir, "reconstruct", voxel_resolution=config["eval"]["voxel_resolution"])
        first = ViewBank(test_bank.images[:1], test_bank.masks[:1], test_bank.meshes[:1], test_bank.categories[:1])
        hooks.append((log_cfg["timelapse_every"],
                      lambda step: logger.log(step, problem.predict_meshes(first, config["eval"]["input_view"]))))
    trainer = Trainer(run_dir, problem.model, optimizer, scheduler, problem.losses, steps=config["steps"],
                      config=config, log_every=log_cfg["every"], checkpoint_every=log_cfg["checkpoint_every"],
                      hooks=hooks, context=context, progress=progress)
    history = trainer.run(resume=resume, max_steps=max_steps)
    if finish and context.is_main and trainer.step == config["steps"]:
        _final_outputs(problem, test_bank, run_dir, config)
    return history


def _final_outputs(problem: ReconstructionProblem, bank: ViewBank, run_dir: Path, config: dict) -> None:
    """Held-out views (target vs prediction from another camera), assets and report of the first shapes."""
    view = config["eval"]["input_view"]
    count = min(4, bank.images.shape[0])
    subset = ViewBank(bank.images[:count], bank.masks[:count], bank.meshes[:count], bank.categories[:count])
    meshes = problem.predict_meshes(subset, view)
    other = (view + 1) % bank.images.shape[1]
    predictions = torch.cat([problem.renderer(m.vertices, m.faces, problem.cameras[other], vertex_colors=m.vertex_colors,
                                              lights=problem.lights)["image"] for m in meshes])
    save_view_images(run_dir, bank.images[:count, other], predictions)
    finish_run(run_dir, meshes[0])


def evaluate(config: dict, run_dir: str | Path, checkpoint: Optional[str | Path] = None,
             progress: bool = True) -> dict[str, Any]:
    """3D IoU (solid voxels) and F-score of held-out shapes, per category and in mean.

    Loads ``checkpoint`` (default: the run's latest), predicts every test shape from
    view ``eval.input_view`` and writes ``RUN_DIR/eval.json``.

    Returns:
        ``{"per_category": {name: {"count", "voxel_iou", "f_score_1", "f_score_2", "chamfer"}},
        "mean": {...}}`` (the mean is over shapes).
    """
    run_dir = Path(run_dir)
    context = DistContext(init_distributed(config["device"]).device)
    path = Path(checkpoint) if checkpoint else latest_checkpoint(run_dir / CHECKPOINT_DIR)
    if path is None:
        raise TrainingError(f"{run_dir}: no checkpoint to evaluate in {run_dir / CHECKPOINT_DIR}")
    problem = ReconstructionProblem(config, context)
    problem.net.load_state_dict(load_checkpoint(path, map_location=context.device)["model"])
    bank = ViewBank.load(build_dataset(config, "test", _cache_dir(config, run_dir)), context.device, progress)
    start = time.perf_counter()
    eval_cfg = config["eval"]
    rows = defaultdict(list)
    for mesh, target, category in zip(problem.predict_meshes(bank, eval_cfg["input_view"]), bank.meshes,
                                      bank.categories):
        rows[category].append(mesh_metrics(mesh, target, eval_cfg["num_points"], eval_cfg["voxel_resolution"],
                                           seed=config["seed"]))
    every = [row for category in rows.values() for row in category]
    mean = lambda group: {key: sum(r[key] for r in group) / len(group) for key in group[0]}
    result = {
        "checkpoint": str(path),
        "per_category": {name: {"count": len(group), **mean(group)} for name, group in sorted(rows.items())},
        "mean": {"count": len(every), **mean(every)},
        "seconds": time.perf_counter() - start,
    }
    (run_dir / EVAL_NAME).write_text(json.dumps(result, indent=2) + "\n")
    return result


def format_eval_table(result: dict[str, Any]) -> str:
    """The ``eval`` result as a text table (one row per category, then the mean)."""
    header = f"{'category':<14}{'count':>6}{'3D IoU':>9}{'F@1%':>8}{'F@2%':>8}{'chamfer':>10}"
    lines = [header, "-" * len(header)]
    rows = list(result["per_category"].items()) + [("mean", result["mean"])]
    for name, row in rows:
        lines.append(f"{name:<14}{row['count']:>6}{row['voxel_iou']:>9.3f}{row['f_score_1']:>8.3f}"
                     f"{row['f_score_2']:>8.3f}{row['chamfer']:>10.5f}")
    return "\n".join(lines)
