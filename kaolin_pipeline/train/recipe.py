"""One shape for every recipe: a problem object, and :func:`run_recipe` doing the rest.

A recipe (``fit``, ``train``) is a :class:`Problem`: the model, its optimiser, the loss of a step,
the current mesh and an evaluation. :func:`run_recipe` does what every run needs around it:
the run folder's checks and lock, the device and seed, the saved config, the Timelapse hook,
the :class:`~kaolin_pipeline.train.loop.Trainer`, and the final outputs (metrics, view
pictures, ``final/`` assets, the run page).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Protocol

import torch
from PIL import Image

from kaolin_pipeline.errors import CheckpointError, ConfigError
from kaolin_pipeline.export.assets import export_assets
from kaolin_pipeline.export.checkpoint import latest_checkpoint, load_checkpoint
from kaolin_pipeline.export.rundir import RunDir
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.train.config import resume_conflicts
from kaolin_pipeline.train.distributed import DistContext, init_distributed
from kaolin_pipeline.train.loop import Trainer
from kaolin_pipeline.train.outputs import TimelapseLogger
from kaolin_pipeline.train.views import to_uint8
from kaolin_pipeline.visualize.report import write_report


class Problem(Protocol):
    """What a recipe provides to :func:`run_recipe`."""

    #: Timelapse category of the run (``timelapse/<category>/``).
    category: str
    #: The module trained (possibly DDP-wrapped); its state is what checkpoints hold.
    model: torch.nn.Module

    def optimizer(self) -> tuple[torch.optim.Optimizer, Any]:
        """The optimiser and its scheduler (or None)."""

    def losses(self, step: int) -> Mapping[str, torch.Tensor]:
        """``{"loss": total, other named terms...}`` of step ``step``."""

    def mesh(self) -> Mesh:
        """The current prediction, in the frame the run exports (Timelapse, checkpoints, ``final/``)."""

    def target_mesh(self) -> Optional[Mesh]:
        """The mesh the run matches, in the same frame (written once to ``target/``), or None."""

    def evaluate(self) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
        """Final metrics (``{}`` when the recipe has its own ``eval``), and (N, H, W, 3) target and
        predicted pictures in [0, 1] for ``views/``."""

    def close(self) -> None:
        """Release what training held (data loader workers); called when training stops."""


def save_view_images(run: RunDir, targets: torch.Tensor, predictions: torch.Tensor) -> list[Path]:
    """Write ``views/target_<i>.png`` and ``views/pred_<i>.png`` from (N, H, W, 3) images in [0, 1]."""
    written = []
    for i, (target, prediction) in enumerate(zip(targets, predictions)):
        for kind, image in (("target", target), ("pred", prediction)):
            written.append(run.write_image(run.view_image(kind, i), Image.fromarray(to_uint8(image))))
    return written


def check_resume(recipe: str, run: RunDir, config: Mapping[str, Any]) -> None:
    """Refuse, before anything is written, a resume whose ``config`` does not fit the run's latest checkpoint.

    Raises:
        CheckpointError: the run has no checkpoint, or one that cannot be read.
        ConfigError: ``config`` changes a key the checkpoint depends on
            (:data:`~kaolin_pipeline.train.config.RESUME_FIXED_KEYS`), naming it with both values.
    """
    path = latest_checkpoint(run.checkpoints)
    if path is None:
        raise CheckpointError(f"--resume {run.path}: no checkpoint in {run.checkpoints} to resume from")
    trained = load_checkpoint(path, map_location="cpu").get("config")
    conflicts = resume_conflicts(recipe, trained, config) if isinstance(trained, Mapping) else []
    if conflicts:
        raise ConfigError(f"--resume {run.path}: {'; '.join(conflicts)} does not fit the checkpoint {path.name}, "
                          f"which was trained with the first value; start a new run to change it")


def run_recipe(recipe: str, config: dict, run_dir: str | Path, build: Callable[[DistContext], Problem], *,
               resume: bool = False, overwrite: bool = False, max_steps: Optional[int] = None,
               progress: bool = True, finish: bool = True) -> tuple[Trainer, dict[str, float]]:
    """Run the recipe ``build`` makes in the run folder ``run_dir``.

    Order: the folder is checked and locked (rank 0), a resume is checked against its checkpoint,
    the problem is built (seeded), and only then is ``config.yaml`` written; training follows.
    When the run reaches its last step: ``metrics.json`` (when the problem has metrics) and ``views/``;
    with ``finish`` also ``target/mesh.usd`` (when the problem has a target mesh), ``final/`` and
    ``report.html``.

    Args:
        recipe: the recipe family (``"fit"``, ``"reconstruct"``), for the resume rules.
        config: the resolved config.
        build: makes the problem on the process's :class:`DistContext`.
        resume: continue the run folder's latest checkpoint; else the folder must hold no run
            unless ``overwrite``, which clears it first.
        max_steps: stop after this step, as an interruption would (no final outputs).

    Returns:
        The trainer (its ``history`` and ``step``) and the final metrics, with ``seconds`` (wall time of
        the run up to its metrics: folder checks, building the problem, training, evaluation) and
        ``train_seconds`` (the training loop) added; empty when the run stopped early or the problem has none.
    """
    started = time.perf_counter()
    run = RunDir(run_dir)
    context = init_distributed(config["device"])
    if not context.is_main:  # rank 0 guards the folder
        torch.manual_seed(config["seed"])
        return _train(config, run, build(context), context, resume, max_steps, progress, finish, started)
    run.start(resume=resume, overwrite=overwrite)
    with run.locked():
        run.start(resume=resume, overwrite=overwrite)  # again, now that no other writer can start
        if resume:
            check_resume(recipe, run, config)
        elif overwrite:
            run.clear()
        torch.manual_seed(config["seed"])
        return _train(config, run, build(context), context, resume, max_steps, progress, finish, started)


def _train(config: dict, run: RunDir, problem: Problem, context: DistContext, resume: bool,
           max_steps: Optional[int], progress: bool, finish: bool,
           started: float) -> tuple[Trainer, dict[str, float]]:
    if context.is_main:
        run.write_config(config)
    optimizer, scheduler = problem.optimizer()
    log_cfg, hooks = config["log"], []
    if log_cfg["timelapse_every"] > 0 and context.is_main:
        logger = TimelapseLogger(run.timelapse, problem.category, voxel_resolution=config["eval"]["voxel_resolution"])
        hooks.append((log_cfg["timelapse_every"], lambda step: logger.log(step, [problem.mesh()])))
        if not resume:
            logger.log(0, [problem.mesh()])  # the template as it starts
    trainer = Trainer(run.path, problem.model, optimizer, scheduler, problem.losses, steps=config["steps"],
                      config=config, log_every=log_cfg["every"], checkpoint_every=log_cfg["checkpoint_every"],
                      hooks=hooks, mesh_fn=problem.mesh, context=context, progress=progress)
    start = time.perf_counter()
    try:
        trainer.run(resume=resume, max_steps=max_steps)
    finally:
        problem.close()
    seconds = time.perf_counter() - start
    if not (context.is_main and trainer.step == config["steps"]):
        return trainer, {}
    metrics, targets, predictions = problem.evaluate()
    save_view_images(run, targets, predictions)
    if metrics:
        metrics["train_seconds"] = seconds
        metrics["seconds"] = time.perf_counter() - started  # the whole run: target, building, training, evaluation
        run.write_json(run.metrics_json, metrics)
    if finish:
        mesh = problem.target_mesh()
        if mesh is not None:
            export_assets(mesh.to("cpu"), run.target, formats=("usd",))
        export_assets(problem.mesh().to("cpu"), run.final)
        write_report(run.path)
    return trainer, metrics
